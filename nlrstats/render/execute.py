"""Run a document's Python chunks in a Jupyter kernel (nbclient), as Quarto's Jupyter engine does.

* Kernel: ipykernel started with the current interpreter (``sys.executable``), so
  the venv that runs nlrstats runs the document; no user-wide kernelspec needed.
* Working directory: the document's directory (Quarto's behaviour; with
  ``project: execute-dir: project`` in ``_quarto.yml``, the project root). The project
  root (nearest ``_quarto.yml``, else the document's directory) is exported to
  the kernel as ``NLRSTATS_PROJECT_ROOT`` so reports can find project files.
* Parameters: Quarto/papermill convention. The chunk tagged ``parameters``
  (``#| tags: [parameters]``) holds the defaults; the overrides are injected as
  a new chunk right after it, each value written with ``repr`` so numbers stay
  numbers and strings are quoted.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

from nlrstats.render.errors import RenderError
from nlrstats.render.qmd import Chunk, QmdDocument

__all__ = ["ExecutedChunk", "execute_document", "parameter_cell_source", "is_parameters_chunk"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class ExecutedChunk:
    """A chunk with the outputs it produced (nbformat output dicts); ``injected`` marks parameter overrides."""

    chunk: Chunk
    outputs: list[dict[str, Any]] = field(default_factory=list)
    injected: bool = False
    #: for prose: the markdown text of each inline `{python} expr`, in order
    inline: list[str] = field(default_factory=list)


# Quarto's pattern for inline expressions: `{python} expr` not preceded by another backtick
INLINE_EXPR = re.compile(r"(^|[^`])`\{python\}[ \t]([^`]+)`", re.MULTILINE)


def inline_expressions(markdown: str) -> list[str]:
    """The expressions of Quarto inline code (`` `{python} expr` ``) in a piece of prose, in order."""
    return [m.group(2) for m in INLINE_EXPR.finditer(markdown)]


def inline_value(data: dict[str, Any]) -> str:
    """Markdown for an inline result: text/markdown as is, else text/plain as literal text (as Quarto).

    Quarto shows a plain value as text: ``**5**`` stays ``**5**`` and ``[x](javascript:...)`` is no link.
    Every ASCII punctuation character of the plain value is therefore backslash-escaped (pandoc reads
    ``\\c`` as the character ``c``), so a value that comes from data (a cohort name, a category label) can
    never become markup; string quotes are dropped as Quarto drops them. Objects that want markdown offer
    ``text/markdown`` (``_repr_markdown_``), which is used as is.
    """
    if "text/markdown" in data:
        return str(data["text/markdown"])
    text = str(data.get("text/plain", ""))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def _evaluate_inline(client, doc: QmdDocument, exprs: list[str]) -> list[str]:
    """Evaluate inline expressions in the kernel as Quarto does (``user_expressions`` of an empty execute request)."""
    user_expressions = {str(i): e for i, e in enumerate(exprs)}
    msg_id = client.kc.execute("", silent=True, store_history=False, user_expressions=user_expressions)
    reply = client.wait_for_reply(msg_id)
    content = (reply or {}).get("content", {})
    results = content.get("user_expressions", {})
    values = []
    text = doc.path.read_text(encoding="utf-8")
    for key, expr in user_expressions.items():
        res = results.get(key, {})
        if res.get("status") != "ok":
            pos = text.find(f"`{{python}} {expr}`")
            line = text.count("\n", 0, pos) + 1 if pos >= 0 else None
            where = f", line {line}" if line else ""
            raise RenderError(
                f"{doc.path.name}{where}: inline expression `{{python}} {expr}` failed:\n"
                f"{res.get('ename', 'Error')}: {strip_ansi(str(res.get('evalue', content.get('evalue', ''))))}"
            )
        values.append(inline_value(res.get("data", {})))
    return values


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def is_parameters_chunk(chunk: Chunk) -> bool:
    tags = chunk.options.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return chunk.kind == "code" and "parameters" in tags


def parameter_cell_source(params: dict[str, Any]) -> str:
    """Source of the injected cell: one ``name = repr(value)`` line per parameter (as papermill)."""
    lines = ["# Injected Parameters"]
    for name, value in params.items():
        if not _IDENTIFIER.match(str(name)):
            raise RenderError(f"parameter name {name!r} is not a Python identifier")
        lines.append(f"{name} = {value!r}")
    return "\n".join(lines)


def _setup_source(options: dict[str, Any]) -> str:
    """Hidden first cell: retina PNG figures (as Quarto's HTML default) and fig-width/fig-height when given.

    The figure dpi is left alone on purpose: setting ``figure.dpi`` through
    ``InlineBackend.rc`` makes plotnine save its retina PNG at the low dpi while
    still declaring the retina size, so images would be upscaled and blurred.
    """
    src = "%config InlineBackend.figure_formats = ['retina']\n"
    if "fig-width" in options or "fig-height" in options:
        width = float(options.get("fig-width", 7))
        height = float(options.get("fig-height", 5))
        src += f"%config InlineBackend.rc = {{'figure.figsize': ({width}, {height})}}\n"
    return src


def _kernel_manager(env: dict[str, str], runtime_dir: Path):
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    # IPC sockets in a private temporary directory: nothing listens on a TCP
    # port, and ipykernel has no reason to warn about unencrypted TCP.
    km = KernelManager(
        kernel_name="nlrstats-python",
        transport="ipc",
        ip=str(runtime_dir / "k"),
        connection_file=str(runtime_dir / "kernel.json"),
    )
    # Setting the spec directly bypasses kernelspec lookup: the kernel is this
    # interpreter, whatever kernelspecs the user has (or lacks).
    km._kernel_spec = KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name=f"Python ({sys.executable})",
        language="python",
        env=env,
    )
    return km


def _cell_failure(doc: QmdDocument, number: int, total: int, chunk: Chunk, traceback: str, execution_count: int | None = None) -> RenderError:
    label = chunk.options.get("label")
    where = [f"cell {number} of {total}"]
    if chunk.line:
        where.append(f"line {chunk.line}")
    if label:
        where.append(f"label '{label}'")
    start = chunk.code_line
    src_lines = chunk.source.splitlines() or [""]
    # IPython names the cell "Cell In[<execution count>], line <n>": mark that line in the listing.
    failing = None
    clean_tb = strip_ansi(traceback)
    if execution_count is not None:
        hits = re.findall(rf"Cell In\[{execution_count}\], line (\d+)", clean_tb)
        failing = int(hits[-1]) if hits else None
    width = len(str((start or 0) + len(src_lines)))
    shown_lines = []
    for k, s in enumerate(src_lines):
        mark = ">" if failing == k + 1 else " "
        num = f"{start + k:>{width}} " if start is not None else ""
        shown_lines.append(f" {mark}{num}| {s}")
    shown = "\n".join(shown_lines)
    return RenderError(
        f"{doc.path.name}: {', '.join(where)} failed.\n\n"
        f"Cell source:\n{shown}\n\n"
        f"Traceback:\n{clean_tb.rstrip()}"
    )


def execute_document(
    doc: QmdDocument,
    params: dict[str, Any] | None,
    options: dict[str, Any],
    project_root: Path,
    progress: Callable[[str], None],
    timeout: int = 600,
    cwd: Path | None = None,
    check: Future | None = None,
) -> list[ExecutedChunk]:
    """Execute the document's Python chunks in order and return every chunk with its outputs.

    ``cwd`` defaults to the document's directory (Quarto's default; the
    project's ``execute-dir: project`` makes it the project root).
    Chunks with ``eval: false`` and non-Python chunks are not run. A chunk
    raising an exception stops the render with a :class:`RenderError` unless it
    has ``error: true``. ``check``, a check of the inputs running beside the kernel (see
    :func:`~nlrstats.render.document.render_document`), stops it after the first cell that ends
    once the check has failed, and is waited for before the kernel stops.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    execute_defaults = options.get("execute", {}) or {}
    planned: list[ExecutedChunk] = []
    params = dict(params or {})
    injected_done = not params
    for chunk in doc.chunks:
        planned.append(ExecutedChunk(chunk))
        if not injected_done and is_parameters_chunk(chunk):
            # As Quarto: the injected cell carries the parameters cell's options except its label and tags.
            opts = {k: v for k, v in chunk.options.items() if k not in ("label", "tags")}
            planned.append(ExecutedChunk(Chunk("code", parameter_cell_source(params), opts, "python"), injected=True))
            injected_done = True
    if not injected_done:
        # Quarto injects nothing when no cell is tagged 'parameters'; say so rather than ignore silently.
        progress(f"warning: no cell tagged 'parameters' in {doc.path.name}; parameters {', '.join(params)} not used")

    def runs(item: ExecutedChunk) -> bool:
        c = item.chunk
        if c.kind != "code" or c.language != "python":
            return False
        return bool(c.options.get("eval", execute_defaults.get("eval", True)))

    to_run = [item for item in planned if runs(item)]
    total = len(to_run)
    has_inline = any(c.kind == "markdown" and inline_expressions(c.source) for c in doc.chunks)

    if not to_run and not has_inline:
        return planned  # nothing to execute: no kernel needed

    env = dict(os.environ)
    env["NLRSTATS_PROJECT_ROOT"] = str(project_root)
    runtime = tempfile.TemporaryDirectory(prefix="nlrstats-kernel-")
    runtime_dir = Path(runtime.name)
    if not env.get("MPLCONFIGDIR"):
        (runtime_dir / "mpl").mkdir()
        env["MPLCONFIGDIR"] = str(runtime_dir / "mpl")
    env.pop("PYDEVD_USE_FRAME_EVAL", None)
    # the documents' code reports its stages to this file (see nlrstats.data.progress); a thread prints them
    progress_file = runtime_dir / "progress.log"
    progress_file.touch()
    env.setdefault("NLRSTATS_PROGRESS", str(progress_file))
    cwd = str(cwd or doc.path.parent)

    nb = nbformat.v4.new_notebook()
    client = NotebookClient(
        nb,
        km=_kernel_manager(env, runtime_dir),
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": cwd}},
        # every output is collected when the last cell ends: a graceful shutdown only waits for a large
        # kernel to free its memory (8 s with a 10^6-patient cohort)
        shutdown_kernel="immediate",
    )
    kernel_log = open(runtime_dir / "kernel.log", "wb")
    forwarder = _Forwarder(progress_file, progress)
    forwarder.start()
    try:
        progress(f"start kernel ({Path(sys.executable).name}, cwd {cwd})")
        with client.setup_kernel(cwd=cwd, stdout=kernel_log, stderr=kernel_log):
            setup = nbformat.v4.new_code_cell(_setup_source(options))
            nb.cells.append(setup)
            try:
                client.execute_cell(setup, 0)
            except CellExecutionError as exc:
                raise RenderError(f"{doc.path.name}: the kernel setup failed:\n{strip_ansi(str(exc))}") from None
            number, div = 0, None
            for item in planned:
                c = item.chunk
                if c.kind == "markdown":
                    exprs = inline_expressions(c.source)
                    if exprs:
                        item.inline = _evaluate_inline(client, doc, exprs)
                    # a cell right after `::: {#fig-km-pfs}` is that figure (or table): its line names it
                    opened = re.findall(r"^:::+\s*\{#([\w-]+)", c.source, flags=re.M)
                    div = opened[-1] if opened and not c.source.rstrip().endswith(":::") else None
                    continue
                if not runs(item):
                    continue
                number += 1
                label = c.options.get("label") or div
                div = None
                forwarder.drain()
                progress(f"execute cell {number}/{total}" + (f" ({label})" if label else "") + (" [parameters injected]" if item.injected else ""))
                cell = nbformat.v4.new_code_cell(c.source)
                if c.options.get("error", execute_defaults.get("error", False)):
                    cell.metadata["tags"] = ["raises-exception"]
                nb.cells.append(cell)
                try:
                    client.execute_cell(cell, len(nb.cells) - 1)
                except CellExecutionError:
                    # bad data fail the document's first cells too: the check's message names row and column
                    if check is not None:
                        check.result()
                    tb = "\n".join(
                        "\n".join(o.get("traceback", [])) or f"{o.get('ename')}: {o.get('evalue')}"
                        for o in cell.outputs
                        if o.get("output_type") == "error"
                    )
                    raise _cell_failure(doc, number, total, c, tb, cell.get("execution_count")) from None
                item.outputs = [dict(o) for o in cell.outputs]
                if check is not None and check.done():
                    check.result()
            if check is not None:
                check.result()
            progress("stop kernel")
    except RenderError:
        raise
    except Exception as exc:  # kernel died, timeout, ...: still the author's problem to see, not ours
        log = (runtime_dir / "kernel.log").read_text(errors="replace").strip()[-2000:]
        raise RenderError(
            f"{doc.path.name}: execution failed: {type(exc).__name__}: {strip_ansi(str(exc))}"
            + (f"\nKernel log:\n{log}" if log else "")
        ) from None
    finally:
        forwarder.stop()
        kernel_log.close()
        runtime.cleanup()
    return planned


class _Forwarder(threading.Thread):
    """Prints each line the kernel appends to ``path`` through ``progress`` (the kernel's own stage lines)."""

    def __init__(self, path: Path, progress: Callable[[str], None], every: float = 0.2):
        super().__init__(daemon=True)
        self.path, self.progress, self.every = path, progress, every
        self.done = threading.Event()
        self.offset = 0
        self.lock = threading.Lock()

    def drain(self) -> None:
        """Print what the kernel has written so far (also called before each cell's line, to keep order)."""
        with self.lock:
            self._drain()

    def _drain(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        self.offset += end
        for line in data[:end].decode("utf-8", "replace").splitlines():
            # the kernel's own clock is dropped: the render line carries the render's
            self.progress(re.sub(r"^\[nlrstats\s+[\d.]+s\] ", "", line))

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.drain()

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=2)
        self.drain()
