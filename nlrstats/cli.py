"""Command line: ``nlrstats validate | simulate | dictionary | analyze | render``.

Exit codes: 0 success; 1 the data (or a document cell) has problems, every one listed;
2 wrong usage (argparse). A problem with the user's data, mapping or paths is printed as a
message (control characters escaped), never as a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import math
import sys
from pathlib import Path

import polars as pl

from nlrstats.data.messages import DataError, escape, escape_message

__all__ = ["main"]


def _say(text: object = "") -> None:
    """Print to stdout with control characters escaped (file names and values come from the user's file)."""
    print(escape_message(str(text)))


def _print_frame(frame: pl.DataFrame) -> None:
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=120,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        _say(frame)


def _load(args):
    from nlrstats.data.cohort import load_cohort
    return load_cohort(args.data, mapping=args.mapping, sheet=args.sheet, encoding=args.encoding,
                       separator=args.separator, decimal=args.decimal, skip_rows=args.skip_rows, na=args.na)


def _plan(args):
    """The paper's plan with the marker, cut-off (and bootstrap) given on the command line."""
    from nlrstats.study.plan import StudyPlan
    return StudyPlan.fukuda2020().replace(marker=getattr(args, "marker", None), cutoff=getattr(args, "cutoff", None),
                                          bootstrap=getattr(args, "bootstrap", None))


def _cmd_validate(args) -> int:
    plan = _plan(args)
    cohort = _load(args)
    reading = cohort.mapping.reading
    _say(f"{cohort.source}: valid — {cohort.n} patients")
    _say("Read: " + reading.summary().removeprefix("read as ")
         + (f"; {reading.skip_rows} row(s) skipped above the header" if reading.skip_rows else ""))
    default = reading.time_unit == "months" and reading.count_unit == "10^9/L" and not reading.column_units
    _say(f"Units read: times in {reading.time_unit}, counts in {reading.count_unit}"
         + "".join(f"; {c} in {u}" for c, u in reading.column_units)
         + (" (the defaults; a mapping's [units] sets others)" if default else " (from the mapping's [units])"))
    _say("Read as missing: " + ", ".join("'" + escape(t) + "'" for t in reading.na))
    _say("Checks passed: required columns present; patient_id unique and non-empty; numbers numeric and finite; "
         "event codes 0/1; response codes RECIST; sex F/M; times >= 0; PFS <= OS (+0.01 month); "
         "lymphocytes > 0; WBC > neutrophils; medians plausible for the declared units; values plausible.")
    said = reading.describe()[:2]  # the summary and units lines, printed above
    notes = [n for n in cohort.notes if n not in said]
    if notes:
        _say("Handling applied:")
        for note in notes:
            _say(f"  - {note}")
    _say("Flow per analysis (" + ", ".join(f"{k}: {'+'.join(v)}" for k, v in plan.requirements.items()) + "):")
    _print_frame(plan.flow(cohort))
    column = plan.group_column
    groups = plan.grouped(cohort)[column].value_counts(sort=False).sort(column)
    _say(f"{plan.marker_label} groups at cut-off {plan.cutoff:g}: "
         + ", ".join(f"{k}: {v}" for k, v in groups.iter_rows()))
    return 0


def _cmd_simulate(args) -> int:
    from nlrstats.data.simulate import simulate_cohort, write_cohort, write_foreign_cohort
    frame = simulate_cohort(args.n, seed=args.seed, pfs_hr=args.pfs_hr, os_hr=args.os_hr,
                            missing_d14=args.missing_d14)
    if args.foreign_mapping:
        data, mapping = write_foreign_cohort(frame, args.out, args.foreign_mapping)
        print(f"wrote {data} ({frame.height} patients, hospital-export format) and its mapping {mapping}")
    else:
        print(f"wrote {write_cohort(frame, args.out)} ({frame.height} patients)")
    return 0


def _cmd_dictionary(args) -> int:
    from nlrstats.data.schema import data_dictionary
    _print_frame(data_dictionary())
    return 0


def _cmd_analyze(args) -> int:
    from nlrstats.present.console import summary_text
    from nlrstats.study.analyze import analyze
    plan = _plan(args)
    results = analyze(_load(args), plan)
    text = results.to_json(indent=2)
    if args.json == "-":
        print(text)  # JSON escapes control characters itself
    elif args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
        _say(f"wrote {args.json}")
    if args.json != "-":
        _say(summary_text(results))
    return 0


def _check_render_data(params: dict) -> None:
    """Check the cohort file of a render before any kernel starts, so a bad file fails fast with its problems."""
    if params.get("data") is None:
        return
    from nlrstats.data.cohort import load_cohort
    from nlrstats.render.errors import RenderError
    from nlrstats.study.plan import PlanError, StudyPlan
    try:
        load_cohort(params["data"], mapping=params.get("mapping"))
        StudyPlan.fukuda2020().replace(marker=params.get("marker"), cutoff=params.get("cutoff"))
    except (DataError, PlanError, OSError) as exc:
        raise RenderError(f"the data cannot be used, nothing was rendered:\n{escape_message(str(exc))}") from None


def _cutoff(text: str) -> float:
    """A cut-off given on the command line: a finite positive number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: '{escape(text)}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"the cut-off must be a finite positive number, got '{escape(text)}'")
    return value
def _encoding(text: str) -> str:
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"'{escape(text)}' is not an encoding Python knows "
                                         "(e.g. utf-8, cp1252, latin-1, cp932)") from None
    return text


def _separator(text: str) -> str:
    sep = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(text.lower(), text)
    if len(sep) != 1 or sep in "\"\r\n":
        raise argparse.ArgumentTypeError(f"'{escape(text)}' is not one character (',', ';', 'tab', '|')")
    return sep


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"'{escape(text)}' is not a whole number >= 0")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """argparse with its messages escaped (an argument can hold control characters)."""

    def error(self, message: str):
        super().error(escape_message(message))



def _build_parser() -> argparse.ArgumentParser:
    from nlrstats import __version__
    parser = _Parser(prog="nlrstats", description="NLR studies with R's numbers.")
    parser.add_argument("--version", action="version", version=f"nlrstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def data_args(p):
        p.add_argument("data", help="cohort file (.csv, .tsv, .txt, .xlsx, .xls, .ods, .parquet; may be .gz)")
        p.add_argument("--mapping", help="TOML mapping file for other names, codes, units and file layout")
        p.add_argument("--marker", choices=("nlr", "dnlr", "plr", "lmr", "sii"),
                       help="baseline marker of the groups (default: the paper's, NLR)")
        p.add_argument("--cutoff", type=_cutoff, help="marker value at or above which a patient is high "
                       "(default: the paper's)")
        g = p.add_argument_group("reading the file (each overrides the mapping's [file] key)")
        g.add_argument("--sheet", help="workbook sheet: a name, or its position from 1 (default the first)")
        g.add_argument("--encoding", type=_encoding, help="text encoding, e.g. utf-8, cp1252, cp932 "
                       "(default: detected)")
        g.add_argument("--separator", type=_separator, help="field separator: ',', ';', 'tab', '|' "
                       "(default: detected)")
        g.add_argument("--decimal", choices=[".", ","], help="decimal mark (default: detected)")
        g.add_argument("--skip-rows", type=_count, metavar="N", help="lines (rows) above the header to skip")
        g.add_argument("--na", action="append", metavar="TEXT",
                       help="a spelling of a missing value; repeat for several (replaces the defaults)")

    p = sub.add_parser("validate", help="check a cohort file and print the flow table")
    data_args(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("simulate", help="write a synthetic cohort with a known NLR effect")
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="output file (.csv, .parquet, .xlsx)")
    p.add_argument("--pfs-hr", type=float, default=2.5)
    p.add_argument("--os-hr", type=float, default=2.5)
    p.add_argument("--missing-d14", type=float, default=0.0, help="share of patients without day-14 counts")
    p.add_argument("--foreign-mapping", metavar="TOML",
                   help="write a hospital-export style file (other names, words, cells/uL, days) and this mapping")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("dictionary", help="print the canonical data dictionary")
    p.set_defaults(func=_cmd_dictionary)

    p = sub.add_parser("analyze", help="run the study's analysis plan")
    data_args(p)
    p.add_argument("--json", metavar="PATH", help="write results as JSON to PATH, or '-' for stdout")
    p.add_argument("--bootstrap", type=int, metavar="B",
                   help="bootstrap resamples for cut-point stability (0 to skip; default: the plan's)")
    p.set_defaults(func=_cmd_analyze)

    try:
        from nlrstats.render.cli import add_render_parser
    except ImportError:  # the render extra is not installed
        add_render_parser = None
    if add_render_parser is not None:
        add_render_parser(sub, preflight=_check_render_data)
    return parser


def _safe_streams() -> None:
    """Never fail on printing: characters the terminal's encoding lacks are written as escapes."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # a replaced stream (pytest, a notebook) keeps its own rules
            pass


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nlrstats`` console script."""
    from nlrstats.study.plan import PlanError
    _safe_streams()
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (DataError, PlanError) as exc:
        print(f"error: {escape_message(str(exc))}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"error: {escape_message(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:  # permission denied, disk full, a path that is not a file
        where = f"{escape(exc.filename)}: " if exc.filename else ""
        print(f"error: {where}{escape(exc.strerror or exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
