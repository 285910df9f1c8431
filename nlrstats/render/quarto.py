"""Drive a real Quarto CLI: ``quarto render`` with our parameters, then find what it wrote.

Quarto keeps a document's path inside the project under ``--output-dir`` (a project rendering
``reports/*.qmd`` to ``_output`` writes ``_output/reports/replication.html``). A document that is not
part of a project (no ``_quarto.yml`` above it, or one whose ``project.render`` list leaves it out)
refuses ``--output-dir`` and is written next to the document. Rather than guess the layout, a
project document renders into a private staging directory, a lone document in place, and the one
output (with its ``<name>_files`` folder when resources are not embedded) is moved to
``<output_dir>/<name>.<ext>``, the place the built-in engine writes to.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from nlrstats.render.config import FORMAT_KEYS, load_project
from nlrstats.render.errors import RenderError
from nlrstats.render.qmd import find_project_root

__all__ = ["quarto_available", "quarto_environment", "render_with_quarto", "find_output", "in_quarto_project"]

#: output file extension per ``to``
EXTENSIONS = {"html": "html", "docx": "docx", "pdf": "pdf"}


def quarto_available() -> str | None:
    """Path of the ``quarto`` executable on PATH, or None."""
    return shutil.which("quarto")


def quarto_environment(base: dict[str, str] | None = None, epoch: int | None = None) -> dict[str, str]:
    """The environment for ``quarto``: ``QUARTO_PYTHON`` is this interpreter unless the user set one.

    Without it Quarto looks for ``python3`` on PATH, which is often another Python without nlrstats,
    jupyter or papermill, and the render fails in the first cell. ``epoch`` becomes
    ``SOURCE_DATE_EPOCH`` (pandoc's and typst's document dates) unless that is set already.
    """
    env = dict(os.environ if base is None else base)
    if not env.get("QUARTO_PYTHON"):
        env["QUARTO_PYTHON"] = sys.executable
    if epoch is not None and not env.get("SOURCE_DATE_EPOCH"):
        env["SOURCE_DATE_EPOCH"] = str(int(epoch))
    return env


def in_quarto_project(path: Path) -> bool:
    """Whether Quarto renders ``path`` as part of a project (and so accepts ``--output-dir``).

    True when a ``_quarto.yml`` is above it and its ``project.render`` list (globs from the project
    root; none means every document) matches it.
    """
    root = find_project_root(path)
    if root is None:
        return False
    patterns = (load_project(root).get("project") or {}).get("render")
    if not patterns:
        return True
    resolved = path.resolve()
    return any(resolved in {p.resolve() for p in root.glob(str(pattern))} for pattern in patterns
               if not str(pattern).startswith("!"))


def find_output(stage: Path, stem: str, ext: str) -> Path | None:
    """The file Quarto wrote for document ``stem`` anywhere under ``stage`` (shallowest first)."""
    hits = sorted(stage.rglob(f"{stem}.{ext}"), key=lambda p: (len(p.parts), str(p)))
    return hits[0] if hits else None


_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) \(D:)\d{14}Z(\))")
_PDF_ID = re.compile(rb"<xmpMM:DocumentID>([A-Za-z0-9+/=]{24})</xmpMM:DocumentID>")
_XMP_DATE = re.compile(rb"(<xmp:(?:CreateDate|ModifyDate|MetadataDate)>)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(<)")


def stamp_pdf(pdf: Path, epoch: int) -> None:
    """Set a typst PDF's creation and modification dates to ``epoch`` (UTC), in place.

    Quarto runs ``typst compile``; the typst of this project's Quarto install (typst-py behind a
    small command line) ignores both ``--creation-timestamp`` and ``SOURCE_DATE_EPOCH`` and stamps
    the clock into ``/CreationDate``, ``/ModDate`` and the XMP dates, and a document id made from it
    into the XMP and the trailer's ``/ID``. The stamps are rewritten with the same number of bytes
    (the id becomes an MD5 of the rest of the file), so the cross-reference offsets stay valid.
    """
    t = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    data = pdf.read_bytes()
    fixed = _PDF_DATE.sub(lambda m: m.group(1) + t.strftime("%Y%m%d%H%M%SZ").encode() + m.group(2), data)
    fixed = _XMP_DATE.sub(lambda m: m.group(1) + t.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + m.group(2), fixed)
    # typst derives the document id from the time as well: it becomes a hash of the rest of the file
    ids = set(_PDF_ID.findall(fixed))
    if len(ids) == 1:
        old = ids.pop()
        new = base64.b64encode(hashlib.md5(fixed.replace(old, b"")).digest())
        if len(new) == len(old):
            fixed = fixed.replace(old, new)
    if fixed != data:
        pdf.write_bytes(fixed)


def render_with_quarto(quarto: str, path: Path, params: dict[str, Any], to: str, output_dir: Path, quiet: bool,
                       date: str | None = None, epoch: int | None = None, check: Future | None = None) -> Path:
    """``quarto render path --to FMT`` and return ``output_dir/<stem>.<ext>``.

    Parameters go through ``--execute-params`` (a YAML file written as JSON), so every value keeps
    its type exactly: a cohort name such as ``"2020"`` or ``"yes"`` stays a string, which ``-P``
    would read as a number or a boolean. ``date`` (ISO) is passed as ``NLRSTATS_DATE``, which the
    project filter ``styles/print.lua`` prints as the document's date (Quarto ignores ``-M date:``).
    PDF goes through typst, as ``_quarto.yml`` declares: Quarto's ``--to pdf`` would need LaTeX.
    ``check``, a check of the inputs still running, stops Quarto (its whole process group) as soon as
    it fails and raises its error; the output is moved into ``output_dir`` only once it has passed.
    """
    fmt = FORMAT_KEYS[to]
    ext = EXTENSIONS[to]
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".nlrstats-quarto-", dir=output_dir) as tmp:
        if in_quarto_project(path):
            stage = Path(tmp) / "out"
            args = [quarto, "render", str(path), "--to", fmt, "--output-dir", str(stage)]
        else:
            stage = path.parent
            args = [quarto, "render", str(path), "--to", fmt]
        if params:
            pfile = Path(tmp) / "params.yml"
            pfile.write_text(json.dumps(params, ensure_ascii=False, default=str), encoding="utf-8")
            args += ["--execute-params", str(pfile)]
        if quiet:
            args.append("--quiet")
        env = quarto_environment(epoch=epoch)
        # as the built-in engine tells its kernel, so documents find project files with either engine
        env["NLRSTATS_PROJECT_ROOT"] = str(find_project_root(path) or path.parent)
        if not quiet:
            # the documents' stage lines go to the kernel's standard error, which Quarto shows
            env.setdefault("NLRSTATS_PROGRESS", "stderr")
        if date is not None:
            # Quarto resolves `date: today` itself and `-M date:` does not override it; the project's
            # styles/print.lua filter puts this date in its place
            env["NLRSTATS_DATE"] = date
        returncode, stderr = _run_beside(args, path.parent, env, quiet, check)
        written = find_output(stage, path.stem, ext) if stage != path.parent else path.parent / f"{path.stem}.{ext}"
        if written is not None and not written.exists():
            written = None
        if check is not None and check.exception() is not None:
            if written is not None and stage == path.parent:
                written.unlink()  # beside the document: nothing stays written from data that failed the check
            check.result()
        if returncode != 0:
            detail = (stderr or "").strip()[-4000:] if quiet else "(see quarto's messages above)"
            raise RenderError(f"{path.name}: quarto render failed (exit {returncode}):\n{detail}")
        if written is None:
            found = sorted(str(p.relative_to(stage)) for p in stage.rglob("*") if p.is_file())[:20]
            raise RenderError(f"{path.name}: quarto finished but wrote no {path.stem}.{ext} under --output-dir "
                              f"(it wrote: {', '.join(found) or 'nothing'})")
        if ext == "pdf" and epoch is not None:
            stamp_pdf(written, epoch)
        out = output_dir / f"{path.stem}.{ext}"
        if out.exists():
            out.unlink()
        shutil.move(str(written), out)
        support = written.parent / f"{path.stem}_files"
        if support.is_dir():
            target = output_dir / support.name
            shutil.rmtree(target, ignore_errors=True)
            shutil.move(str(support), target)
    return out


def _run_beside(args: list[str], cwd: Path, env: dict[str, str], quiet: bool,
                check: Future | None) -> tuple[int, str | None]:
    """Run Quarto to its end, or until ``check`` fails (then its process group is stopped): (exit code,
    captured standard error when ``quiet``).

    Quarto runs deno, which runs the Jupyter kernel; they get a process group of their own so that a
    failed check (or Ctrl-C here, which the group no longer receives from the terminal) stops them all."""
    pipe = subprocess.PIPE if quiet else None
    proc = subprocess.Popen(args, cwd=cwd, stdout=pipe, stderr=pipe, text=True, env=env, start_new_session=True)
    try:
        while True:
            try:
                _, stderr = proc.communicate(timeout=None if check is None else 0.2)
                return proc.returncode, stderr
            except subprocess.TimeoutExpired:
                if check.done() and check.exception() is not None:
                    _stop_group(proc)
                    _, stderr = proc.communicate()
                    return proc.returncode, stderr
    except BaseException:
        _stop_group(proc)
        raise


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL if it has not ended within 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue
