"""Table 1: descriptive statistics by group with automatic test choice, as a long results frame.

``summarize(data, by="nlr_group")`` computes, for each variable and each group plus an
overall column: continuous — n, median, p25, p75 (R's ``quantile`` type 7), min, max,
mean, sd; categorical — n and % (of the non-missing values) per level; and, for every
variable, a "Missing" row with the count of missing values. Tests follow gtsummary's
defaults: Wilcoxon rank-sum (2 groups) or Kruskal-Wallis (more) for continuous
variables; Fisher's exact test when any expected count is below 5, else Pearson's
chi-square without continuity correction, for categorical ones. The test that ran is
recorded per variable for the footnote. Statistics are computed once into the long frame
(gtsummary's "analysis results data"); presentation is left to the table builders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.study.response import as_frame, group_levels
from nlrstats.stats.result import Result
from nlrstats.study.table_one_stats import (
    CATEGORICAL_TESTS, CONTINUOUS_TESTS, TEST_ALIASES, TEST_NAMES, categorical_counts, choose_test,
    continuous_moments, counts_matrix, level_strings, order_stats_from_counts, run_test, value_counts,
)

__all__ = ["summarize", "TableOne", "TABLE_ONE_VARIABLES", "DEFAULT_LABELS"]

#: The canonical schema's Table-1 variables, in display order.
TABLE_ONE_VARIABLES = (
    "age", "sex", "ecog", "distant_metastasis", "tumor_size_cm", "wbc", "neutrophils_d0", "lymphocytes_d0",
    "nlr_d0", "platelets_d0", "monocytes_d0",
)
DEFAULT_LABELS = {
    "age": "Age, years", "sex": "Sex", "ecog": "ECOG performance status",
    "distant_metastasis": "Distant metastasis", "tumor_size_cm": "Tumour size, cm",
    "wbc": "White blood cells, 10^9/L", "neutrophils_d0": "Neutrophils, 10^9/L",
    "lymphocytes_d0": "Lymphocytes, 10^9/L", "nlr_d0": "NLR", "platelets_d0": "Platelets, 10^9/L",
    "monocytes_d0": "Monocytes, 10^9/L", "nlr_d14": "NLR at day 14",
}
#: integer columns with at most this many distinct values are categorical (ECOG 0-4)
MAX_INT_LEVELS = 5
CONT_STAT_ORDER = ("n", "median", "p25", "p75", "min", "max", "mean", "sd")

_RESULT_SCHEMA = {"variable": pl.String, "label": pl.String, "level": pl.String, "group": pl.String,
                  "statistic": pl.String, "value": pl.Float64}
_TEST_SCHEMA = {"variable": pl.String, "label": pl.String, "test": pl.String, "test_key": pl.String,
                "statistic": pl.Float64, "parameter": pl.Float64, "p_value": pl.Float64}


@dataclass(frozen=True)
class TableOne(Result):
    """Table-1 statistics.

    Attributes
    ----------
    by : str or None
    groups : tuple of str
        Group labels in order, then ``"Overall"``.
    results : polars.DataFrame
        Long: variable, label, level, group, statistic, value (see :meth:`tidy`).
    variables_frame : polars.DataFrame
        variable, label, type ("continuous" / "categorical"), levels.
    tests_frame : polars.DataFrame
        variable, label, test (footnote name), test_key, statistic, parameter, p_value.
    group_sizes : polars.DataFrame
        group, n.
    n_excluded : int
        Rows without a value of ``by`` (left out of every column, Overall included).
    htests : dict
        variable -> HTest (or None when no test ran).
    """

    by: str | None
    groups: tuple[str, ...]
    results: pl.DataFrame
    variables_frame: pl.DataFrame
    tests_frame: pl.DataFrame
    group_sizes: pl.DataFrame
    n_excluded: int
    htests: dict

    def to_plain(self) -> dict:
        """For JSON output: the test that ran per variable and its p-value."""
        return {"tests": self.tests().select("variable", "test", "p_value").to_dicts()}

    def tidy(self) -> pl.DataFrame:
        """Long results: one row per (variable, level, group, statistic).

        Continuous variables have ``level`` null and statistics n, median, p25, p75, min,
        max, mean, sd; categorical ones have a row per level with statistics n and pct
        (percent of the group's non-missing values). Every variable has a ``level ==
        "Missing"`` row with statistic n.
        """
        return self.results

    def tests(self) -> pl.DataFrame:
        """One row per variable: the test that ran (name for the footnote) and its p-value."""
        return self.tests_frame

    def variables(self) -> pl.DataFrame:
        return self.variables_frame

    def glance(self) -> pl.DataFrame:
        n = int(self.group_sizes.filter(pl.col("group") == "Overall")["n"][0])
        return pl.DataFrame({"n": [n], "n_groups": [len(self.groups) - 1], "n_excluded": [self.n_excluded]})

    def __repr__(self) -> str:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
                       fmt_str_lengths=40, tbl_width_chars=200):
            sizes = ", ".join(f"{g}: {n}" for g, n in self.group_sizes.iter_rows())
            tests = str(self.tests_frame.select("label", "test", "p_value"))
        return "Table 1" + (f" by {self.by}" if self.by else "") + f" ({sizes})\n" + tests


def _kind(name: str, dtype: pl.DataType, n_unique: int | None) -> str:
    if dtype == pl.Boolean or dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical)):
        return "categorical"
    if dtype.is_integer():
        return "categorical" if n_unique is not None and n_unique <= MAX_INT_LEVELS else "continuous"
    if dtype.is_float():
        return "continuous"
    raise TypeError(f"column '{name}' has type {dtype}, which summarize() cannot describe "
                    "(numbers, booleans and strings are supported)")


def summarize(data, by: str | None = "nlr_group", variables=None, tests: dict | None = None,
              labels: dict | None = None, simulate_fisher: bool = False, B: int = 2000,
              seed: int | None = None, fisher_max_steps: int = 1_000_000, quantile_type: int = 7) -> TableOne:
    """Table-1 statistics by group with gtsummary's automatic test choice.

    Parameters
    ----------
    data : polars.DataFrame or Cohort (its ``.data`` is used)
    by : str or None
        Grouping column; ``None`` gives the overall column only and no tests.
    variables : list of str, optional
        Default: the canonical Table-1 variables present in the frame
        (:data:`TABLE_ONE_VARIABLES`). Unknown names raise ``KeyError`` naming them.
    tests : dict, optional
        Per-variable override, e.g. ``{"age": "t.test", "ecog": "chisq"}``. Accepted:
        "wilcox", "t.test" (Welch), "kruskal", "fisher", "chisq" (R's default, Yates for
        2 x 2), "chisq.no.correct", "none".
    labels : dict, optional
        Variable -> display label (defaults for the canonical names, else the name).
    simulate_fisher, B, seed
        When an exact r x c Fisher test is too large to enumerate, use a Monte Carlo
        p-value with ``B`` tables instead of raising (the test name then says so).
    fisher_max_steps : int
        Work limit of the exact r x c Fisher enumeration (see :func:`nlrstats.stats.htest.fisher_test`).
    quantile_type : {7, 2}
        Quartile definition: R's default ``quantile(type = 7)`` (also tableone's), or
        ``type = 2`` (inverse empirical CDF with averaging), which gtsummary uses.

    Returns
    -------
    TableOne

    Notes
    -----
    Booleans and strings are categorical, as are integer columns with at most 5 distinct
    values (ECOG); other numbers are continuous. NaN counts as missing. Rows with a
    missing ``by`` are excluded from every column and counted in ``n_excluded``.
    """
    frame = as_frame(data)
    if by is not None and by not in frame.columns:
        raise KeyError(f"grouping column '{by}' is not in the data")
    if variables is None:
        variables = [v for v in TABLE_ONE_VARIABLES if v in frame.columns and v != by]
    else:
        variables = [variables] if isinstance(variables, str) else list(variables)
        unknown = [v for v in variables if v not in frame.columns]
        if unknown:
            raise KeyError(f"variable(s) not in the data: {', '.join(unknown)}")
        if by in variables:
            raise ValueError(f"'{by}' is the grouping column and cannot also be a variable")
    tests = dict(tests or {})
    for name, given in (("tests", tests), ("labels", labels or {})):
        unknown = [k for k in given if k not in variables]
        if unknown:
            raise KeyError(f"{name} given for variable(s) not summarised: {', '.join(unknown)}")
    if quantile_type not in (2, 7):
        raise ValueError(f"quantile_type must be 7 (R's default) or 2 (gtsummary), got {quantile_type!r}")
    labels = {**DEFAULT_LABELS, **(labels or {})}
    bad_tests = {k: v for k, v in tests.items() if str(v).lower() not in TEST_ALIASES}
    if bad_tests:
        raise ValueError(f"unknown test(s) {bad_tests}; use one of {sorted(set(TEST_ALIASES))}")
    tests = {k: TEST_ALIASES[str(v).lower()] for k, v in tests.items()}

    cols = variables + ([by] if by is not None else [])
    df = frame.select(cols).with_columns(
        [pl.col(v).fill_nan(None) for v in variables if frame.schema[v].is_float()]
    )
    n_excluded = 0
    if by is not None:
        n_excluded = int(df[by].null_count())
        groups = group_levels(df[by].unique())
        if n_excluded:
            df = df.filter(pl.col(by).is_not_null())
        if df.schema[by] == pl.Boolean:
            df = df.with_columns(pl.col(by).map_elements(lambda v: "true" if v else "false",
                                                         return_dtype=pl.String))
    else:
        groups = []
    all_groups = groups + ["Overall"]
    lf = df.lazy()

    int_vars = [v for v in variables if df.schema[v].is_integer()]
    nuniq = df.select([pl.col(v).drop_nulls().n_unique() for v in int_vars]).row(0) if int_vars else ()
    nu = dict(zip(int_vars, nuniq))
    kinds = {v: _kind(v, df.schema[v], nu.get(v)) for v in variables}
    cont = [v for v in variables if kinds[v] == "continuous"]
    cat = [v for v in variables if kinds[v] == "categorical"]
    for v, key in tests.items():
        ok = CONTINUOUS_TESTS if kinds[v] == "continuous" else CATEGORICAL_TESTS
        if key != "none" and key not in ok:
            raise ValueError(f"test '{key}' does not apply to {kinds[v]} variable '{v}'")

    # one collect_all for every aggregation
    lazies = continuous_moments(lf, by, cont)
    n_mom = len(lazies)
    lazies += [value_counts(lf, by, v) for v in cont]
    lazies += [categorical_counts(lf, by, v) for v in cat]
    lazies.append(lf.group_by(by).len(name="n") if by is not None else lf.select(pl.len().alias("n")))
    collected = pl.collect_all(lazies)
    mom_frames = collected[:n_mom]
    vc_frames = dict(zip(cont, collected[n_mom:n_mom + len(cont)]))
    cat_frames = dict(zip(cat, collected[n_mom + len(cont):-1]))
    size_frame = collected[-1]

    gidx = {g: i for i, g in enumerate(groups)}
    value_tables: dict[str, np.ndarray] = {}  # variable -> (values x groups) counts (one column if by is None)
    pieces = []
    if cont:
        wide = pl.concat([f.select(sorted(f.columns)) for f in mom_frames], how="diagonal_relaxed")
        long = (wide.with_columns(pl.exclude("__group").cast(pl.Float64))
                .unpivot(index="__group", variable_name="key", value_name="value")
                .with_columns(pl.col("key").str.split_exact("\x1f", 1).struct.rename_fields(["variable", "statistic"]))
                .unnest("key")
                .rename({"__group": "group"}))
        order_rows = []
        for v in cont:
            vc = vc_frames[v]
            if by is None:
                codes = np.zeros(vc.height, dtype=np.int64)
                k = 1
            else:
                codes = vc[by].cast(pl.String).replace_strict(gidx, return_dtype=pl.Int64).to_numpy()
                k = len(groups)
            vals, mat = counts_matrix(vc[v].to_numpy(), codes, k, vc["n"].to_numpy().astype(float))
            value_tables[v] = mat
            cols = [(g, mat[:, i]) for i, g in enumerate(groups)] + [("Overall", mat.sum(axis=1))]
            for g, cvec in cols:
                for stat, val in order_stats_from_counts(vals, cvec, quantile_type).items():
                    order_rows.append((v, g, stat, val))
        order = pl.DataFrame(order_rows, schema={"variable": pl.String, "group": pl.String, "statistic": pl.String,
                                                 "value": pl.Float64}, orient="row")
        stats_part = pl.concat([long.filter(pl.col("statistic") != "n_missing").select(order.columns), order])
        miss_part = long.filter(pl.col("statistic") == "n_missing").with_columns(
            level=pl.lit("Missing"), statistic=pl.lit("n"))
        pieces += [stats_part.select("variable", pl.lit(None, pl.String).alias("level"), "group", "statistic", "value"),
                   miss_part.select("variable", "level", "group", "statistic", "value")]
    cat_levels: dict[str, list[str]] = {}
    tables: dict[str, np.ndarray] = {}
    for v in cat:
        cf = cat_frames[v]
        levels = level_strings(df.schema[v], cf["__level"])
        cat_levels[v] = levels
        cf = cf.with_columns(pl.col("__level").map_elements(
            lambda x: "true" if x is True else "false" if x is False else str(x), return_dtype=pl.String)
            if df.schema[v] == pl.Boolean else pl.col("__level").cast(pl.String))
        if by is not None:
            overall = cf.group_by("__level").agg(pl.col("n").sum()).with_columns(__group=pl.lit("Overall"))
            cf = pl.concat([cf, overall.select(cf.columns)])
        skeleton = pl.DataFrame({"__group": [g for g in all_groups for _ in levels],
                                 "__level": [lv for _ in all_groups for lv in levels]},
                                schema={"__group": pl.String, "__level": pl.String})
        full = skeleton.join(cf.filter(pl.col("__level").is_not_null()), on=["__group", "__level"], how="left")
        full = full.with_columns(pl.col("n").fill_null(0).cast(pl.Float64))
        full = full.with_columns(pct=pl.when(pl.col("n").sum().over("__group") > 0)
                                 .then(100 * pl.col("n") / pl.col("n").sum().over("__group")))
        long = full.unpivot(index=["__group", "__level"], on=["n", "pct"], variable_name="statistic",
                            value_name="value")
        miss = pl.DataFrame({"__group": all_groups}).join(
            cf.filter(pl.col("__level").is_null()).select("__group", "n"), on="__group", how="left"
        ).with_columns(pl.col("n").fill_null(0).cast(pl.Float64))
        pieces.append(long.select(pl.lit(v).alias("variable"), pl.col("__level").alias("level"),
                                  pl.col("__group").alias("group"), "statistic", "value"))
        pieces.append(miss.select(pl.lit(v).alias("variable"), pl.lit("Missing").alias("level"),
                                  pl.col("__group").alias("group"), pl.lit("n").alias("statistic"),
                                  pl.col("n").alias("value")))
        if by is not None:
            tab = (full.filter(pl.col("__group") != "Overall")
                   .pivot(on="__group", index="__level", values="n"))
            tables[v] = tab.select([g for g in groups if g in tab.columns]).to_numpy()

    # tests
    test_rows, htests = [], {}
    for v in variables:
        h, key = None, None
        if by is not None and len(groups) >= 2:
            if kinds[v] == "continuous":
                key = tests.get(v, choose_test("continuous", len(groups), None))
                vc = value_tables[v]
                if (vc.sum(axis=0) > 0).sum() < 2 or (key == "wilcox" and (vc.sum(axis=0) == 0).any()):
                    h = None  # fewer than two groups with data: no comparison
                elif key == "t.test":
                    raw = [df.filter(pl.col(by).cast(pl.String) == g)[v].drop_nulls().to_numpy().astype(float)
                           for g in groups]
                    h, key = run_test(key, raw=raw, variable=v)
                else:
                    h, key = run_test(key, value_counts=vc, variable=v)
            else:
                tab = tables[v]
                key = tests.get(v, choose_test("categorical", len(groups), tab))
                h, key = run_test(key, table=tab, variable=v, simulate_fisher=simulate_fisher, B=B, seed=seed,
                                  fisher_max_steps=fisher_max_steps)
        htests[v] = h
        test_rows.append({"variable": v, "label": labels.get(v, v),
                          "test": TEST_NAMES.get(key) if h is not None else None,
                          "test_key": key if h is not None else None,
                          "statistic": h.statistic if h is not None else None,
                          "parameter": h.parameter if h is not None else None,
                          "p_value": h.p_value if h is not None else None})

    results = pl.concat(pieces, how="vertical_relaxed") if pieces else pl.DataFrame(schema=_RESULT_SCHEMA)
    # stable order: variables as given, levels as displayed (Missing last), groups, statistics
    var_order = {v: i for i, v in enumerate(variables)}
    grp_order = {g: i for i, g in enumerate(all_groups)}
    stat_order = {s: i for i, s in enumerate(CONT_STAT_ORDER + ("pct",))}
    lvl_rank = {}
    for v in variables:
        for i, lv in enumerate(cat_levels.get(v, [])):
            lvl_rank[(v, lv)] = i + 1
    results = (
        results.with_columns(
            label=pl.col("variable").replace_strict({v: labels.get(v, v) for v in variables}, return_dtype=pl.String),
            _v=pl.col("variable").replace_strict(var_order, return_dtype=pl.Int64),
            _g=pl.col("group").replace_strict(grp_order, return_dtype=pl.Int64),
            _s=pl.col("statistic").replace_strict(stat_order, return_dtype=pl.Int64),
            _l=pl.struct("variable", "level").map_elements(
                lambda r: 10_000 if r["level"] == "Missing" else 0 if r["level"] is None
                else lvl_rank.get((r["variable"], r["level"]), 5_000), return_dtype=pl.Int64),
        )
        .sort("_v", "_l", "_g", "_s")
        .select(list(_RESULT_SCHEMA))
        .cast(_RESULT_SCHEMA)
    )
    if by is not None:
        sizes = dict((str(g), n) for g, n in size_frame.iter_rows())
        group_sizes = pl.DataFrame({"group": all_groups,
                                    "n": [sizes.get(g, 0) for g in groups] + [int(size_frame["n"].sum())]})
    else:
        group_sizes = pl.DataFrame({"group": ["Overall"], "n": [int(size_frame["n"][0])]})
    variables_frame = pl.DataFrame(
        {"variable": variables, "label": [labels.get(v, v) for v in variables], "type": [kinds[v] for v in variables],
         "levels": [cat_levels.get(v) for v in variables]},
        schema={"variable": pl.String, "label": pl.String, "type": pl.String, "levels": pl.List(pl.String)},
    )
    return TableOne(by=by, groups=tuple(all_groups), results=results, variables_frame=variables_frame,
                    tests_frame=pl.DataFrame(test_rows, schema=_TEST_SCHEMA),
                    group_sizes=group_sizes.cast({"n": pl.Int64}), n_excluded=n_excluded, htests=htests)
