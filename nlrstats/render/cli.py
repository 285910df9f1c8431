"""The ``nlrstats render`` subcommand.

Wiring into the main parser (``nlrstats/cli.py``)::

    from nlrstats.render.cli import add_render_parser
    add_render_parser(subparsers)          # sets func=run_render; main calls args.func(args)

Also runnable alone: ``python -m nlrstats.render [REPORT...] [options]``.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Sequence

import yaml

from nlrstats.render.errors import RenderError

__all__ = ["add_render_parser", "run_render", "main", "resolve_reports", "parse_param", "packaged_project"]

_DESCRIPTION = """\
Render Quarto reports to HTML, DOCX or PDF. With Quarto on PATH (--engine auto)
this runs `quarto render`; otherwise nlrstats' built-in engine (jupytext +
nbclient + pandoc) writes the same documents. REPORT is a report name
(replication, validation -> reports/<name>.qmd of the project) or a .qmd path;
without REPORT every document in _quarto.yml's project.render list is rendered.
"""


def add_render_parser(subparsers: Any, preflight: Callable[[dict], None] | None = None) -> argparse.ArgumentParser:
    """Add ``render`` to an argparse subparsers object; the parser's default ``func`` is :func:`run_render`.

    ``preflight(params)`` raises :class:`RenderError` to stop the render: the caller (nlrstats' CLI) checks
    the cohort file there, so this package needs no domain import. It runs before any document starts for
    a cohort file below :data:`CONCURRENT_CHECK_BYTES`, else beside the first document (``check`` of
    :func:`~nlrstats.render.document.render_document`): the kernel starts meanwhile, and nothing is written
    unless the check passes.
    """
    p = subparsers.add_parser("render", help="render the Quarto reports (HTML, DOCX, PDF)", description=_DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(p)
    p.set_defaults(func=run_render, preflight=preflight)
    return p


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="*", metavar="REPORT", help="report name or .qmd path (default: all reports)")
    p.add_argument("--data", metavar="PATH", help="cohort data file: parameter 'data' (made absolute)")
    p.add_argument("--mapping", metavar="PATH", help="mapping TOML for the data: parameter 'mapping' (made absolute)")
    p.add_argument("--marker", metavar="NAME",
                   help="baseline marker of the groups (nlr, dnlr, plr, lmr, sii): parameter 'marker'")
    p.add_argument("--cutoff", metavar="C", type=_number,
                   help="marker value at or above which a patient is high: parameter 'cutoff' "
                        "(5 stays an int, as Quarto's -P cutoff:5)")
    p.add_argument("--cohort-name", metavar="NAME", help="cohort name shown in the report: parameter 'cohort_name'")
    p.add_argument("-P", "--param", metavar="KEY:VALUE", action="append", default=[],
                   help="any parameter, value read as YAML as Quarto does (-P cutoff:5 gives a number); repeatable")
    p.add_argument("--to", choices=("html", "docx", "pdf"), default="html", help="output format (pdf through typst)")
    p.add_argument("--engine", choices=("auto", "quarto", "builtin"), default="auto",
                   help="auto: quarto when on PATH, else built-in")
    p.add_argument("--output-dir", metavar="DIR", help="where outputs go (default: the project's _output)")
    p.add_argument("--date", metavar="YYYY-MM-DD",
                   help="date printed in the documents instead of 'today' (default: SOURCE_DATE_EPOCH when set); "
                        "DOCX and PDF time stamps follow it, so reruns give identical files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def _number(text: str) -> int | float:
    """A number typed as Quarto's ``-P`` would read it: ``5`` -> 5, ``7.5`` -> 7.5."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    return value


def parse_param(text: str) -> tuple[str, Any]:
    """``key:value`` -> (key, value) with the value read as YAML (numbers stay numbers)."""
    if ":" not in text:
        raise RenderError(f"-P {text!r}: expected KEY:VALUE")
    key, raw = text.split(":", 1)
    key = key.strip()
    if not key.isidentifier():
        raise RenderError(f"-P {text!r}: {key!r} is not a valid parameter name")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, (datetime.date, datetime.datetime)):
        # YAML would make a date object, whose repr needs an import in the kernel: keep the text
        value = raw.strip()
    return key, value


def packaged_project() -> Path | None:
    """The project shipped inside the installed distribution (``nlrstats/project/template``), if any.

    Read as package data with :mod:`importlib.resources`, not imported: the renderer stays free of
    the domain code, and only uses these files when no ``_quarto.yml`` is found above the working
    directory (``pip install nlrstats`` then ``nlrstats render replication`` in an empty folder).
    """
    try:
        root = Path(str(resources.files("nlrstats") / "project" / "template"))
    except (ModuleNotFoundError, TypeError):
        return None
    return root if (root / "_quarto.yml").is_file() else None


def _project_root(start: Path) -> Path | None:
    from nlrstats.render.qmd import find_project_root

    root = find_project_root(start)
    return root if root is not None else packaged_project()


def resolve_reports(names: Sequence[str], cwd: Path | None = None) -> list[Path]:
    """Turn REPORT arguments into ``.qmd`` paths (see the module docstring)."""
    cwd = Path.cwd() if cwd is None else cwd
    root = _project_root(cwd)
    if not names:
        if root is None:
            raise RenderError("no REPORT given and no _quarto.yml found above the current directory")
        from nlrstats.render.config import load_project

        patterns = (load_project(root).get("project") or {}).get("render") or ["reports/*.qmd"]
        found: list[Path] = []
        for pattern in patterns:
            for f in sorted(glob.glob(str(root / pattern))):
                p = Path(f)
                if p.suffix == ".qmd" and not p.name.startswith("_") and p not in found:
                    found.append(p)
        if not found:
            raise RenderError(f"{root / '_quarto.yml'}: its render list {patterns} matches no .qmd file")
        return found
    out = []
    for name in names:
        p = Path(name)
        if p.suffix == ".qmd" or p.exists():
            p = (cwd / p).resolve() if not p.is_absolute() else p
            if not p.is_file():
                raise RenderError(f"{name}: no such document")
            out.append(p)
            continue
        if root is None:
            raise RenderError(f"{name}: not a file, and no project (_quarto.yml) to look up reports/{name}.qmd")
        candidate = root / "reports" / f"{name}.qmd"
        if not candidate.is_file():
            available = sorted(q.stem for q in (root / "reports").glob("*.qmd"))
            raise RenderError(f"{name}: no report {candidate}; available: {', '.join(available) or 'none'}")
        out.append(candidate)
    return out


def _params_from_args(args: argparse.Namespace, cwd: Path) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for text in args.param or []:
        key, value = parse_param(text)
        params[key] = value
    for option, key in (("data", "data"), ("mapping", "mapping")):
        value = getattr(args, option, None)
        if value is not None:
            path = (cwd / value).resolve()
            if not path.exists():
                raise RenderError(f"--{option} {value}: no such file")
            params[key] = str(path)
    if getattr(args, "marker", None) is not None:
        params["marker"] = args.marker
    if getattr(args, "cutoff", None) is not None:
        params["cutoff"] = args.cutoff
    if getattr(args, "cohort_name", None) is not None:
        params["cohort_name"] = args.cohort_name
    return params


#: cohort files from this size (about 45,000 patients as CSV) are checked beside the render, smaller ones
#: (checked in well under a second) before the kernel starts
CONCURRENT_CHECK_BYTES = 4 * 2**20


def _data_bytes(params: dict[str, Any]) -> int:
    data = params.get("data")
    try:
        return Path(data).stat().st_size if isinstance(data, str) else 0
    except OSError:
        return 0


def run_render(args: argparse.Namespace) -> int:
    """Render the reports named in ``args``; 0 on success, 1 with the error on stderr otherwise."""
    from nlrstats.render.document import render_document

    cwd = Path.cwd()
    staging = checker = check = None
    try:
        reports = resolve_reports(args.reports, cwd)
        params = _params_from_args(args, cwd)
        preflight = getattr(args, "preflight", None)
        if preflight is not None and _data_bytes(params) < CONCURRENT_CHECK_BYTES:
            preflight(params)  # a small file is checked before any kernel starts
        elif preflight is not None:
            # a large one is read and validated on the second core while the kernel starts and imports:
            # at 10^6 patients 4 s that were spent before the kernel started
            checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlrstats-preflight")
            check = checker.submit(preflight, params)
        output_dir = (cwd / args.output_dir).resolve() if args.output_dir else "_output"
        shipped = packaged_project()
        if shipped is not None and any(r.is_relative_to(shipped) for r in reports):
            # The shipped documents render from a copy: Quarto writes .quarto/ and outputs into the
            # project, which may be read-only site-packages; the outputs go to ./_output here.
            staging = tempfile.TemporaryDirectory(prefix="nlrstats-project-")
            copy = Path(staging.name) / "project"
            shutil.copytree(shipped, copy)
            reports = [copy / r.relative_to(shipped) if r.is_relative_to(shipped) else r for r in reports]
            if not args.output_dir:
                output_dir = cwd / "_output"
        for report in reports:
            out = render_document(report, params=params, to=args.to, engine=args.engine,
                                  output_dir=output_dir, quiet=args.quiet, date=getattr(args, "date", None),
                                  check=check)
            print(out)
    except ImportError as exc:
        print(f"nlrstats render: error: the renderer needs the 'render' extra (pip install 'nlrstats[render]'): "
              f"{exc}", file=sys.stderr)
        return 1
    except RenderError as exc:
        print(f"nlrstats render: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nlrstats render: interrupted", file=sys.stderr)
        return 130
    finally:
        if checker is not None:
            checker.shutdown(wait=True, cancel_futures=True)
        if staging is not None:
            staging.cleanup()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nlrstats.render``: the render subcommand on its own."""
    parser = argparse.ArgumentParser(prog="nlrstats render", description=_DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(parser)
    return run_render(parser.parse_args(argv))
