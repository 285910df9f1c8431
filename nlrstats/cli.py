"""Command line: ``nlrstats validate | simulate | dictionary | analyze | new | render``.

Exit codes: 0 success; 1 the data (or a document cell) has problems, every one listed;
2 wrong usage (argparse).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import polars as pl

__all__ = ["main"]


def _print_frame(frame: pl.DataFrame) -> None:
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, fmt_str_lengths=120,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(frame)


def _load(args):
    from nlrstats.data.cohort import load_cohort
    return load_cohort(args.data, mapping=args.mapping)


def _plan(args):
    """The paper's plan with the marker, cut-off (and bootstrap) given on the command line."""
    from nlrstats.study.plan import StudyPlan
    return StudyPlan.fukuda2020().replace(marker=getattr(args, "marker", None), cutoff=getattr(args, "cutoff", None),
                                          bootstrap=getattr(args, "bootstrap", None))


def _cmd_validate(args) -> int:
    plan = _plan(args)
    cohort = _load(args)
    print(f"{cohort.source}: valid — {cohort.n} patients")
    print("Checks passed: required columns present; patient_id unique and non-empty; numbers numeric; "
          "event codes 0/1; response codes RECIST; sex F/M; times >= 0; PFS <= OS (+0.01 month); "
          "lymphocytes > 0; WBC > neutrophils; values plausible for the declared units.")
    if cohort.notes:
        print("Handling applied:")
        for note in cohort.notes:
            print(f"  - {note}")
    print("Flow per analysis (" + ", ".join(f"{k}: {'+'.join(v)}" for k, v in plan.requirements.items()) + "):")
    _print_frame(plan.flow(cohort))
    column = plan.group_column
    groups = plan.grouped(cohort)[column].value_counts(sort=False).sort(column)
    print(f"{plan.marker_label} groups at cut-off {plan.cutoff:g}: "
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
        print(text)
    elif args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.json != "-":
        print(summary_text(results))
    return 0


def _cmd_new(args) -> int:
    from nlrstats.project import ProjectExistsError, new_project
    try:
        project = new_project(args.directory, data=args.data, mapping=args.mapping, force=args.force)
    except (ProjectExistsError, FileNotFoundError, ValueError) as exc:
        print(f"nlrstats new: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote a Quarto project in {project.root}:")
    for f in project.files:
        print(f"  {f.relative_to(project.root)}")
    for note in project.notes:
        print(f"note: {note}")
    print("next:")
    print(f"  cd {args.directory}")
    if project.data is not None:
        data, mapping = project.data.relative_to(project.root), project.mapping.relative_to(project.root)
        print(f"  nlrstats validate {data} --mapping {mapping}")
        print(f"  quarto render reports/validation.qmd -P data:{data} -P mapping:{mapping}")
        print(f"  nlrstats render validation --data {data} --mapping {mapping}   # the same without Quarto")
    else:
        print("  quarto render            # or: nlrstats render")
    return 0


def _check_render_data(params: dict) -> None:
    """Check the cohort file of a render before any kernel starts, so a bad file fails fast with its problems."""
    if params.get("data") is None:
        return
    from nlrstats.data.cohort import CohortError, MappingError, load_cohort
    from nlrstats.render.errors import RenderError
    from nlrstats.study.plan import PlanError, StudyPlan
    try:
        load_cohort(params["data"], mapping=params.get("mapping"))
        StudyPlan.fukuda2020().replace(marker=params.get("marker"), cutoff=params.get("cutoff"))
    except (CohortError, MappingError, PlanError, FileNotFoundError) as exc:
        raise RenderError(f"the data cannot be used, nothing was rendered:\n{exc}") from None


def _cutoff(text: str) -> float:
    """A cut-off given on the command line: a finite positive number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"the cut-off must be a finite positive number, got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    from nlrstats import __version__
    parser = argparse.ArgumentParser(prog="nlrstats", description="NLR studies with R's numbers.")
    parser.add_argument("--version", action="version", version=f"nlrstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p):
        p.add_argument("data", help="cohort file (.csv, .tsv, .parquet, .xlsx)")
        p.add_argument("--mapping", help="TOML mapping file for other names, codes and units")
        p.add_argument("--marker", choices=("nlr", "dnlr", "plr", "lmr", "sii"),
                       help="baseline marker of the groups (default: the paper's, NLR)")
        p.add_argument("--cutoff", type=_cutoff, help="marker value at or above which a patient is high "
                       "(default: the paper's)")

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

    p = sub.add_parser("new", help="write a Quarto project you own (documents, _quarto.yml, data/, a mapping)")
    p.add_argument("directory", metavar="DIR", help="project folder (created; must not hold the project's files)")
    p.add_argument("--data", metavar="FILE", help="cohort file copied to DIR/data/; a mapping is proposed from it")
    p.add_argument("--mapping", metavar="FILE", help="mapping TOML for --data, copied instead of proposing one")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=_cmd_new)

    try:
        from nlrstats.render.cli import add_render_parser
    except ImportError:  # the render extra is not installed
        add_render_parser = None
    if add_render_parser is not None:
        add_render_parser(sub, preflight=_check_render_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nlrstats`` console script."""
    from nlrstats.data.cohort import CohortError, MappingError
    from nlrstats.study.plan import PlanError
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CohortError, MappingError, PlanError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
