"""Read a Quarto ``.qmd`` document without Quarto.

The chunks are split by jupytext's R Markdown reader (``jupytext.reads(text,
fmt="Rmd")`` recognises ```` ```{python} ```` chunks; its own ``.qmd`` reader
shells out to Quarto). Quarto's ``#|`` cell options are parsed here as YAML,
and each code chunk keeps the line of its opening fence so that errors can
point into the source file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlrstats.render.errors import RenderError

__all__ = ["Chunk", "QmdDocument", "parse_qmd", "split_cell_options", "find_project_root"]

_OPTION_LINE = re.compile(r"^#\|\s?(.*)$")
# An executable chunk fence: ```{python}, ```{python label}, ````{r echo=FALSE}
_CHUNK_FENCE = re.compile(r"^\s*(`{3,})\s*\{([A-Za-z0-9_]+)[^}]*\}\s*$")
# jupytext marks non-python chunks with a cell magic (%%R, %%bash, ...)
_CELL_MAGIC = re.compile(r"^%%(\w+)")


@dataclass(frozen=True)
class Chunk:
    """One piece of a ``.qmd``: prose (``markdown``) or an executable ``code`` chunk.

    ``source`` of a code chunk holds the code without its ``#|`` option lines;
    ``line`` is the 1-based line of the opening fence in the ``.qmd`` (None when
    the position could not be matched, e.g. for prose).
    """

    kind: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)
    language: str = "python"
    line: int | None = None
    option_lines: int = 0

    @property
    def code_line(self) -> int | None:
        """1-based line in the ``.qmd`` of the first line of ``source``."""
        if self.line is None:
            return None
        return self.line + 1 + self.option_lines


@dataclass(frozen=True)
class QmdDocument:
    """A parsed ``.qmd``: its path, YAML front matter and chunks in order."""

    path: Path
    front_matter: dict[str, Any]
    chunks: tuple[Chunk, ...]

    @property
    def code_chunks(self) -> tuple[Chunk, ...]:
        return tuple(c for c in self.chunks if c.kind == "code")


def split_cell_options(source: str, *, where: str = "cell") -> tuple[dict[str, Any], str, int]:
    """Split Quarto's leading ``#|`` option comments from a chunk's code.

    The option lines are joined and read as one YAML mapping, as Quarto does
    (``#| fig-cap: "A"`` and multi-line values such as ``#| tags: [parameters]``).

    Returns
    -------
    (options, code, n_option_lines)
        The options mapping, the remaining code and how many option lines were removed.
    """
    lines = source.splitlines()
    option_lines: list[str] = []
    i = 0
    while i < len(lines):
        m = _OPTION_LINE.match(lines[i])
        if not m:
            break
        option_lines.append(m.group(1))
        i += 1
    if not option_lines:
        return {}, source, 0
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{where}: the '#|' options are not valid YAML:\n{exc}") from None
    if not isinstance(options, dict):
        raise RenderError(f"{where}: the '#|' options must be 'key: value' lines, got {options!r}")
    return options, "\n".join(lines[i:]), i


def _fence_lines(text: str) -> list[int]:
    """1-based line numbers of executable chunk fences, skipping fences shown inside other code blocks."""
    found: list[int] = []
    open_fence: str | None = None  # backticks of the block we are inside, if any
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if open_fence is not None:
            if stripped.startswith(open_fence) and set(stripped) == {"`"}:
                open_fence = None
            continue
        m = _CHUNK_FENCE.match(line)
        if m:
            found.append(n)
            open_fence = m.group(1)
            continue
        m = re.match(r"^\s*(`{3,})", line)
        if m:
            open_fence = m.group(1)
    return found


def parse_qmd(path: str | Path) -> QmdDocument:
    """Parse a ``.qmd`` file into front matter and chunks.

    Uses jupytext's R Markdown reader for the chunk split (Quarto's own
    chunk syntax is the R Markdown one) and reads ``#|`` options as YAML.

    Raises
    ------
    RenderError
        If the file is missing, or its front matter or a chunk's options are not valid YAML.
    """
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise RenderError(f"{path}: no such document")
    text = path.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="Rmd")
    fences = _fence_lines(text)

    front: dict[str, Any] = {}
    chunks: list[Chunk] = []
    n_code = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "raw" and i == 0 and cell.source.lstrip().startswith("---"):
            body = cell.source.strip().strip("-")
            try:
                front = yaml.safe_load(body) or {}
            except yaml.YAMLError as exc:
                raise RenderError(f"{path.name}: the YAML front matter is not valid:\n{exc}") from None
            if not isinstance(front, dict):
                raise RenderError(f"{path.name}: the YAML front matter must be a mapping")
            continue
        if cell.cell_type == "code":
            line = fences[n_code] if n_code < len(fences) else None
            n_code += 1
            source = cell.source
            language = "python"
            m = _CELL_MAGIC.match(source)
            if m:
                language = m.group(1).lower()
                source = source.split("\n", 1)[1] if "\n" in source else ""
            where = f"{path.name}, chunk at line {line}" if line else f"{path.name}, chunk {n_code}"
            options, code, n_opt = split_cell_options(source, where=where)
            chunks.append(Chunk("code", code, options, language, line, n_opt))
        else:
            chunks.append(Chunk("markdown", cell.source))
    if n_code != len(fences):
        # Should not happen; line numbers would be wrong, so drop them rather than mislead.
        chunks = [Chunk(c.kind, c.source, c.options, c.language, None, c.option_lines) for c in chunks]
    return QmdDocument(path=path.resolve(), front_matter=front, chunks=tuple(chunks))


def find_project_root(start: str | Path) -> Path | None:
    """Nearest directory at or above ``start`` holding a ``_quarto.yml`` (Quarto's project root)."""
    p = Path(start).resolve()
    if p.is_file():
        p = p.parent
    for d in (p, *p.parents):
        if (d / "_quarto.yml").is_file() or (d / "_quarto.yaml").is_file():
            return d
    return None
