"""``render_document``: one ``.qmd`` to HTML, DOCX or PDF, with Quarto or without it."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

from nlrstats.render.config import load_project, resolve_options
from nlrstats.render.dates import document_date, epoch_of
from nlrstats.render.errors import RenderError
from nlrstats.render.execute import execute_document
from nlrstats.render.markdown import document_metadata, to_markdown
from nlrstats.render.pandoc import compile_typst, run_pandoc
from nlrstats.render.qmd import find_project_root, parse_qmd
from nlrstats.render.quarto import EXTENSIONS, quarto_available, render_with_quarto

__all__ = ["render_document", "quarto_available", "EXTENSIONS"]


def _progress_printer(name: str, quiet: bool) -> Callable[[str], None]:
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[render {name} {time.perf_counter() - start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    return say


def render_document(
    path: str | Path,
    params: dict[str, Any] | None = None,
    to: str = "html",
    engine: str = "auto",
    output_dir: str | Path = "_output",
    quiet: bool = False,
    date: str | None = None,
    check: Future | None = None,
) -> Path:
    """Render a Quarto document and return the path of the file written.

    Parameters
    ----------
    path
        The ``.qmd`` file.
    params
        Parameter overrides, injected after the cell tagged ``parameters`` with
        Python types kept (Quarto's ``-P key:value`` for Jupyter documents).
    to
        ``"html"`` (one self-contained file), ``"docx"`` or ``"pdf"`` (typst).
    engine
        ``"quarto"`` runs ``quarto render``; ``"builtin"`` uses jupytext +
        nbclient + pandoc; ``"auto"`` uses Quarto when it is on PATH.
    output_dir
        Where the output goes. A relative directory is taken from the project
        root (the nearest directory with ``_quarto.yml``, as Quarto's
        ``output-dir``), else from the document's directory.
    quiet
        No progress lines on stderr.
    date
        ``YYYY-MM-DD`` printed as the document's date instead of its own ``date`` (``today``); without
        it ``SOURCE_DATE_EPOCH`` decides when set. Time stamps inside DOCX and PDF follow this date
        (see :mod:`nlrstats.render.dates`), so the same inputs give the same bytes.
    check
        A check of the inputs still running (``nlrstats render`` validates the cohort file this way):
        the built-in engine starts the kernel and runs cells beside it and stops with the check's
        error as soon as it fails (a failing cell waits for the check, whose message names the row
        and column); Quarto is stopped when it fails. Nothing is written unless it passes.

    Notes
    -----
    Cells run with the document's directory as working directory, as Quarto
    runs them (``execute-dir: project`` under ``project:`` in ``_quarto.yml``
    switches to the project root, as in Quarto); ``NLRSTATS_PROJECT_ROOT`` in the kernel's environment holds the
    project root so documents can read project files wherever they live.

    Raises
    ------
    RenderError
        For a failing cell (with the document name, cell number and line, the
        cell's source and traceback), invalid YAML, or a failing pandoc/typst.
    """
    path = Path(path).resolve()
    if to not in EXTENSIONS:
        raise RenderError(f"unknown output format {to!r}: use one of {', '.join(EXTENSIONS)}")
    if engine not in ("auto", "quarto", "builtin"):
        raise RenderError(f"unknown engine {engine!r}: use auto, quarto or builtin")
    if not path.is_file():
        raise RenderError(f"{path}: no such document")
    params = dict(params or {})
    root = find_project_root(path)
    output_dir = Path(output_dir)
    if not output_dir.is_absolute():
        output_dir = (root or path.parent) / output_dir
    output_dir.mkdir(parents=True, exist_ok=True)

    date = document_date(date)
    quarto = quarto_available()
    if engine == "quarto" and quarto is None:
        raise RenderError("engine 'quarto' asked for, but no 'quarto' executable is on PATH (use --engine builtin)")
    if engine == "quarto" or (engine == "auto" and quarto):
        return render_with_quarto(quarto, path, params, to, output_dir, quiet, date=date, epoch=epoch_of(date),
                                  check=check)

    say = _progress_printer(path.name, quiet)
    say("parse")
    doc = parse_qmd(path)
    project = load_project(root)
    options = resolve_options(project, doc.front_matter, to)
    if date is not None:
        options["date"] = date
    execute_dir = (project.get("project") or {}).get("execute-dir", "file")
    cwd = root if (execute_dir == "project" and root is not None) else path.parent
    chunks = execute_document(doc, params, options, root or path.parent, say, cwd=cwd, check=check)

    out = output_dir / f"{path.stem}.{EXTENSIONS[to]}"
    with tempfile.TemporaryDirectory(prefix="nlrstats-render-") as tmp:
        tmpdir = Path(tmp)
        pandoc_to = "typst" if to == "pdf" else to
        meta = document_metadata(doc.front_matter, options)
        epoch = epoch_of(meta.get("date"))
        say("assemble markdown")
        md = to_markdown(chunks, options, meta, to, tmpdir / f"{path.stem}_files", path.stem)
        md_path = tmpdir / f"{path.stem}.md"
        md_path.write_text(md, encoding="utf-8")
        if os.environ.get("NLRSTATS_KEEP_MD"):
            # debugging aid: keep the intermediate markdown next to the output
            shutil.copy(md_path, output_dir / f"{path.stem}.{to}.md")
        say(f"pandoc -> {pandoc_to}")
        target = tmpdir / f"{path.stem}.{'typ' if to == 'pdf' else EXTENSIONS[to]}"
        warnings = run_pandoc(md_path, target, pandoc_to, options, [tmpdir, path.parent], epoch=epoch,
                              base_dir=root or path.parent)
        for w in warnings:
            say(w.replace("WARNING: ", "warning: "))
        if to == "pdf":
            say("typst -> pdf")
            pdf = tmpdir / f"{path.stem}.pdf"
            compile_typst(target, pdf, epoch=epoch)
            target = pdf
        shutil.copyfile(target, out)
    say(f"write {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return out
