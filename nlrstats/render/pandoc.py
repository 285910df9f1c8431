"""Run the pandoc bundled with pypandoc-binary, and typst for PDF.

HTML: ``--standalone --embed-resources`` so the file fetches nothing when opened
(images, CSS inlined; math as MathML, no MathJax from a CDN), and a
Content-Security-Policy that forbids every fetch, so not even a raw HTML string
that escaped its escaping can load or send anything. DOCX: native tables and
PNG figures. PDF: pandoc's typst writer, compiled by the ``typst`` Python
package (no LaTeX, no network).

As Quarto does, the project's and document's ``filters`` (Lua files) and
``include-in-header`` (files or ``text:`` entries) are used; paths are taken
from the project root.

Time stamps: pandoc reads ``SOURCE_DATE_EPOCH`` for the docx properties and zip
entries and typst gets the same moment, so reruns give identical bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from nlrstats.render.errors import RenderError

__all__ = ["pandoc_path", "run_pandoc", "compile_typst", "resource_file", "CSP"]

#: The built-in HTML has no script at all; images, styles and fonts only as data: URLs.
CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline' data:; img-src data:; font-src data:; "
       "connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; "
       "form-action 'none'")


def resource_file(*parts: str) -> Path:
    return Path(str(resources.files("nlrstats.render").joinpath(*parts)))


def pandoc_path() -> str:
    try:
        import pypandoc
    except ImportError:  # pragma: no cover - render extra not installed
        raise RenderError("the built-in renderer needs pandoc: pip install 'nlrstats[render]' (pypandoc-binary)") from None
    try:
        return pypandoc.get_pandoc_path()
    except OSError as exc:  # pragma: no cover
        raise RenderError(f"pandoc not found: {exc}") from None


def _flag(options: dict[str, Any], key: str, default: bool = False) -> bool:
    value = options.get(key, default)
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _user_filters(options: dict[str, Any], base_dir: Path) -> list[str]:
    """Lua filters named under ``filters:`` (Quarto's own entry ``quarto`` and non-Lua filters skipped)."""
    out = []
    for entry in _as_list(options.get("filters")):
        path = entry.get("path") if isinstance(entry, dict) else entry
        if not isinstance(path, str) or path == "quarto" or not path.endswith(".lua"):
            continue
        f = (base_dir / path).resolve()
        if not f.is_file():
            raise RenderError(f"filter {path}: no such file (paths are taken from {base_dir})")
        out.append(str(f))
    return out


def _header_files(options: dict[str, Any], base_dir: Path, tmp: Path) -> list[str]:
    """``include-in-header`` entries as files: paths as given, ``text:`` entries written out."""
    out = []
    for k, entry in enumerate(_as_list(options.get("include-in-header"))):
        text = entry.get("text") if isinstance(entry, dict) else None
        path = entry.get("file") if isinstance(entry, dict) else entry
        if text is not None:
            f = tmp / f"header-{k}.txt"
            f.write_text(str(text), encoding="utf-8")
            out.append(str(f))
        elif isinstance(path, str):
            f = (base_dir / path).resolve()
            if not f.is_file():
                raise RenderError(f"include-in-header {path}: no such file (paths are taken from {base_dir})")
            out.append(str(f))
    return out


def run_pandoc(markdown: Path, output: Path, to: str, options: dict[str, Any], resource_dirs: list[Path],
               epoch: int | None = None, base_dir: Path | None = None) -> list[str]:
    """Convert the intermediate markdown to ``to`` (html, docx or typst) at ``output``; returns pandoc's cross-reference warnings.

    ``epoch`` (seconds since 1970) is the time stamp written into the file; ``base_dir`` is where
    ``filters`` and ``include-in-header`` paths are found (the project root).
    """
    base_dir = base_dir or markdown.parent
    with tempfile.TemporaryDirectory(prefix="nlrstats-pandoc-") as tmp:
        return _run_pandoc(markdown, output, to, options, resource_dirs, epoch, base_dir, Path(tmp))


def _run_pandoc(markdown: Path, output: Path, to: str, options: dict[str, Any], resource_dirs: list[Path],
                epoch: int | None, base_dir: Path, tmp: Path) -> list[str]:
    writer = {"html": "html5", "docx": "docx", "typst": "typst"}[to]
    args = [
        pandoc_path(),
        str(markdown),
        "--from", "markdown",
        "--to", writer,
        "--standalone",
        "--output", str(output),
        "--lua-filter", str(resource_file("filters", "quarto.lua")),
        "--resource-path", ":".join(str(d) for d in resource_dirs),
        "--wrap", "none",
    ]
    for f in _user_filters(options, base_dir):
        args += ["--lua-filter", f]
    if to in ("html", "typst"):
        for f in _header_files(options, base_dir, tmp):
            args += ["--include-in-header", f]
    if _flag(options, "toc"):
        args += ["--toc", "--toc-depth", str(options.get("toc-depth", 3))]
        args += ["--metadata", f"toc-title={options.get('toc-title', 'Table of contents')}"]
    if _flag(options, "number-sections"):
        args += ["--number-sections", "--metadata", "number-sections=true"]
    if to == "html":
        args += ["--embed-resources", "--mathml", "--css", str(resource_file("resources", "quarto.css"))]
        args += ["--metadata", "document-css=false"]
        csp = tmp / "csp.html"
        csp.write_text(f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n', encoding="utf-8")
        args += ["--include-in-header", str(csp)]
        # pagetitle is required by the HTML writer when there is no title
        if not options.get("title"):
            args += ["--metadata", f"pagetitle={markdown.stem}"]
    if to == "typst":
        # Quarto's typst options that map onto pandoc's typst template variables
        for key in ("papersize", "mainfont", "fontsize", "columns"):
            if options.get(key) is not None:
                args += ["--variable", f"{key}={options[key]}"]
        if isinstance(options.get("margin"), dict):
            # a map: given as metadata, which pandoc's typst template reads as margin.x, margin.y
            meta = tmp / "margin.json"
            meta.write_text(json.dumps({"margin": options["margin"]}), encoding="utf-8")
            args += ["--metadata-file", str(meta)]
    if to == "docx" and options.get("reference-doc"):
        args += ["--reference-doc", str(options["reference-doc"])]
    env = dict(os.environ)
    if epoch is not None and not env.get("SOURCE_DATE_EPOCH"):
        env["SOURCE_DATE_EPOCH"] = str(int(epoch))
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=markdown.parent)
    if proc.returncode != 0:
        raise RenderError(f"pandoc failed (exit {proc.returncode}) writing {output.name}:\n{proc.stderr.strip()}")
    unresolved = [line for line in proc.stderr.splitlines() if "unresolved cross-reference" in line]
    return unresolved


def compile_typst(source: Path, pdf: Path, epoch: int | None = None) -> None:
    """Compile a typst file to PDF with the ``typst`` package (bundled fonts, root ``/`` for absolute image paths).

    ``epoch`` is the PDF's creation time (seconds since 1970); None lets typst use the clock.
    """
    try:
        import typst
    except ImportError:
        raise RenderError("PDF output needs the 'typst' Python package (pip install typst); it is not installed") from None
    try:
        typst.compile(str(source), output=str(pdf), root="/", timestamp=epoch)
    except Exception as exc:  # typst raises its own error types with the compiler's diagnostics
        raise RenderError(f"typst could not compile {source.name} to PDF:\n{exc}") from None
