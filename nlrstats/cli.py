"""Command line: ``nlrstats validate | simulate | dictionary | analyze | new | render``.

Exit codes: 0 success; 1 the data (or a document cell) has problems, every one listed;
2 wrong usage (argparse). A problem with the user's data, mapping or paths is printed as a
message (control characters escaped), never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import polars as pl

from nlrstats.cli_reading import SafeParser, add_reading_args, reading_kwargs, safe_streams
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
    return load_cohort(args.data, mapping=args.mapping, **reading_kwargs(args))


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
    from nlrstats.data import progress
    if not args.quiet:
        progress.enable()
    plan = _plan(args)
    results = analyze(_load(args), plan)
    with progress.stage("write JSON"):
        text = results.to_json(indent=2)
        if args.json == "-":
            print(text)  # JSON escapes control characters itself
        elif args.json:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
            _say(f"wrote {args.json}")
    if args.json != "-":
        _say(summary_text(results))
    return 0


def _fail(exc: Exception) -> int:
    print(f"error: {escape_message(str(exc))}", file=sys.stderr)
    return 1


def _pool_rows(path: Path, endpoint: str):
    """(labels, hr, conf_low, conf_high, notes) from an ``analyze --json`` file or a CSV/TOML of published rows."""
    import tomllib
    if path.suffix.lower() == ".json":
        res = json.loads(path.read_text(encoding="utf-8"))
        cox = (res.get(endpoint) or {}).get("cox") if isinstance(res, dict) else None
        if not cox or cox.get("estimate") is None:
            raise ValueError(f"{path}: no '{endpoint}.cox' hazard ratio (is it a file of `nlrstats analyze --json`?)")
        label = Path(str(res.get("source") or path.stem)).stem
        note = [] if "Efron" in str(cox.get("method", "Efron")) else \
            [f"{label}: its CI is not a Wald interval ({cox.get('method')}): the standard error from it is approximate"]
        return [label], [cox["estimate"]], [cox.get("conf_low")], [cox.get("conf_high")], note
    if path.suffix.lower() == ".toml":
        rows = tomllib.loads(path.read_text(encoding="utf-8")).get("study")
        if not isinstance(rows, list):
            raise ValueError(f"{path}: expected [[study]] tables with label, hr, conf_low, conf_high")
        frame = pl.DataFrame(rows)
    elif path.suffix.lower() in (".csv", ".tsv"):
        frame = pl.read_csv(path, separator="\t" if path.suffix.lower() == ".tsv" else ",")
    else:
        raise ValueError(f"{path}: give result JSON files of `nlrstats analyze --json` or a CSV/TOML of published rows")
    missing = [c for c in ("label", "hr", "conf_low", "conf_high") if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (need label, hr, conf_low, conf_high)")
    notes = []
    if "endpoint" in frame.columns:
        other = frame.filter(pl.col("endpoint").cast(pl.String).str.to_lowercase() != endpoint)
        if other.height:
            notes.append(f"{path}: {other.height} row(s) of other endpoints not pooled: "
                         + ", ".join(other["label"].cast(pl.String).to_list()))
        frame = frame.filter(pl.col("endpoint").cast(pl.String).str.to_lowercase() == endpoint)
    cols = [frame[c].cast(pl.Float64, strict=False).to_list() for c in ("hr", "conf_low", "conf_high")]
    return frame["label"].cast(pl.String).to_list(), *cols, notes


def _cmd_pool(args) -> int:
    from nlrstats.stats.meta import rma
    labels, hr, lo, hi, notes = [], [], [], [], []
    try:
        for item in args.inputs:
            path = Path(item)
            if not path.exists():
                raise FileNotFoundError(f"no such file: {path}")
            lb, h, a, b, nt = _pool_rows(path, args.endpoint)
            labels += lb
            hr += h
            lo += a
            hi += b
            notes += nt
        fit = rma(hr=[math.nan if v is None else v for v in hr], conf_low=[math.nan if v is None else v for v in lo],
                  conf_high=[math.nan if v is None else v for v in hi], labels=labels, method=args.method,
                  test=args.test)
    except (ValueError, OSError) as exc:
        return _fail(exc)
    print(repr(fit))
    print()
    _print_frame(fit.tidy())
    for n in notes:
        print(f"note: {n}")
    out = {"endpoint": args.endpoint, "method": args.method, "test": args.test, "notes": notes,
           "studies": fit.tidy().to_dicts(), "pooled": fit.glance().to_dicts()[0]}
    _write_json(out, args.json)
    if args.plot:
        from nlrstats.present.plots import save_figure
        from nlrstats.present.plots.pooled import pooled_forest_plot
        print(f"wrote {save_figure(pooled_forest_plot(fit), args.plot)}")
    return 0


def _write_json(obj, target) -> None:
    from nlrstats.stats.result import json_safe
    if not target:
        return
    text = json.dumps(json_safe(obj), indent=2, ensure_ascii=False)
    if target == "-":
        print(text)
    else:
        Path(target).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {target}")


def _cmd_site_summary(args) -> int:
    from nlrstats.stats.multisite import site_summary
    from nlrstats.study.response import ENDPOINTS
    plan = _plan(args)
    data = plan.grouped(_load(args))  # the plan's marker groups (Enum, low group first)
    ep = plan.endpoint(args.endpoint)
    formula = args.formula or f"Surv({ep.time}, {ep.event}) ~ {plan.group_column}"
    response = None
    if args.response:
        if args.response in ENDPOINTS and args.response not in data.columns:
            response = args.response
            data = data.with_columns(pl.col("best_response").is_in(list(ENDPOINTS[args.response]))
                                     .cast(pl.Int64).alias(response))
        else:
            response = args.response
    try:
        summ = site_summary(data, formula, site=args.site, response=response, min_cell=args.min_cell,
                            censoring=args.censoring)
        summ.to_json(args.out, indent=1)
    except (ValueError, OSError) as exc:
        return _fail(exc)
    print(repr(summ))
    print(f"wrote {args.out} (counts only: no patient rows, identifiers or covariates)")
    return 0


def _cmd_pool_sites(args) -> int:
    from nlrstats.stats.multisite import pool_sites
    try:
        pooled = pool_sites([Path(p) for p in args.summaries])
        cox = pooled.coxph(ties=args.ties)
        diff = pooled.survdiff()
        exact = all(s.censoring == "exact" for s in pooled.summaries)
        km = pooled.survfit(by_site=not exact)
    except (ValueError, OSError) as exc:
        return _fail(exc)
    print(repr(pooled))
    print()
    print(repr(diff))
    print()
    print(repr(cox))
    print()
    print("Kaplan-Meier medians" + ("" if exact else " by site (censorings reported at event times)") + ":")
    _print_frame(km.median())
    out = {"sites": list(pooled.sites), "formula": pooled.formula(), "survdiff": diff.tidy().to_dicts()[0],
           "survdiff_groups": diff.groups().to_dicts(), "coxph": {"tidy": cox.tidy().to_dicts(),
                                                                  "glance": cox.glance().to_dicts()[0]},
           "median": km.median().to_dicts()}
    if all(s.response is not None for s in pooled.summaries):
        tab = pooled.response_table()
        ft = pooled.fisher_test()
        print("Response (" + str(pooled.first.response_column) + "):")
        _print_frame(tab)
        print(f"Fisher's exact test (pooled table): p = {ft.p_value:.4g}")
        out["response"] = {"table": tab.to_dicts(), "fisher_p_value": ft.p_value,
                           "odds_ratio": ft.estimate, "conf_low": ft.conf_low, "conf_high": ft.conf_high}
    _write_json(out, args.json)
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


def _build_parser() -> argparse.ArgumentParser:
    from nlrstats import __version__
    parser = SafeParser(prog="nlrstats", description="NLR studies with R's numbers.")
    parser.add_argument("--version", action="version", version=f"nlrstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=SafeParser)

    def data_args(p):
        p.add_argument("data", help="cohort file (.csv, .tsv, .txt, .xlsx, .xls, .ods, .parquet; may be .gz)")
        p.add_argument("--mapping", help="TOML mapping file for other names, codes, units and file layout")
        p.add_argument("--marker", choices=("nlr", "dnlr", "plr", "lmr", "sii"),
                       help="baseline marker of the groups (default: the paper's, NLR)")
        p.add_argument("--cutoff", type=_cutoff, help="marker value at or above which a patient is high "
                       "(default: the paper's)")
        add_reading_args(p)

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
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_cmd_analyze)

    from nlrstats.project.command import add_new_parser
    add_new_parser(sub)

    p = sub.add_parser("pool", help="meta-analysis of hazard ratios (analyze --json files, published rows)")
    p.add_argument("inputs", nargs="+", metavar="FILE",
                   help="result JSON of `nlrstats analyze --json`, or CSV/TOML rows: label, hr, conf_low, conf_high")
    p.add_argument("--endpoint", choices=["os", "pfs"], default="os", help="hazard ratio pooled (default os)")
    p.add_argument("--method", choices=["REML", "DL", "FE"], default="REML", help="tau^2 estimator (metafor's rma)")
    p.add_argument("--test", choices=["z", "knha"], default="z", help="z, or Knapp-Hartung t test")
    p.add_argument("--json", metavar="PATH", help="write the pooled table as JSON to PATH, or '-' for stdout")
    p.add_argument("--plot", metavar="PATH", help="write the forest plot (.png, .svg or .pdf)")
    p.set_defaults(func=_cmd_pool)

    p = sub.add_parser("site-summary", help="reduce a site's cohort to counts that can be pooled (no patient rows)")
    data_args(p)
    p.add_argument("--site", required=True, help="label of the site (unique among the sites pooled)")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--endpoint", choices=["os", "pfs"], default="os")
    p.add_argument("--formula", help="instead of --endpoint: 'Surv(time, event) ~ group'")
    p.add_argument("--response", help="'orr', 'dcr' or a 0/1 column: keep its counts by group")
    p.add_argument("--min-cell", type=int, help="suppress counts below this (the summary then cannot be pooled)")
    p.add_argument("--censoring", choices=["exact", "event_times"], default="exact",
                   help="event_times: report censorings at the preceding event time (hides censoring dates)")
    p.set_defaults(func=_cmd_site_summary)

    p = sub.add_parser("pool-sites", help="stratified log-rank, Cox and Kaplan-Meier from site summaries")
    p.add_argument("summaries", nargs="+", metavar="JSON", help="files written by `nlrstats site-summary`")
    p.add_argument("--ties", choices=["efron", "breslow"], default="efron")
    p.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH, or '-' for stdout")
    p.set_defaults(func=_cmd_pool_sites)

    try:
        from nlrstats.render.cli import add_render_parser
    except ImportError:  # the render extra is not installed
        add_render_parser = None
    if add_render_parser is not None:
        add_render_parser(sub, preflight=_check_render_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nlrstats`` console script."""
    from nlrstats.study.plan import PlanError
    safe_streams()
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
