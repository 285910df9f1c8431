"""Best overall response by group: counts, ORR and DCR with exact intervals and Fisher tests.

RECIST 1.1 categories CR, PR, SD, PD and NE are always all shown (zero counts included).
Objective response (ORR) is CR or PR; disease control (DCR) is CR, PR or SD. NE stays in
the denominator as neither, as in the seed paper. Rates carry Clopper-Pearson intervals
(R's ``binom.test``); groups are compared with Fisher's exact test (R's ``fisher.test``),
on the 2 x 2 (or r x 2) table for ORR and DCR and on the groups x categories table for the
whole response distribution. Patients without a response or a group are excluded and
counted in :attr:`ResponseResult.excluded`, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.stats.htest import HTest, binom_test, chisq_test, fisher_test
from nlrstats.stats.htest.chisq import expected_counts
from nlrstats.stats.result import Result

__all__ = ["RESPONSE_LEVELS", "ENDPOINTS", "ResponseResult", "response_by_group", "binary_rates_by_group",
           "as_frame", "group_levels", "check_response_column"]

RESPONSE_LEVELS = ("CR", "PR", "SD", "PD", "NE")
#: Monte Carlo tables of the simulated r x c Fisher p-value (R's ``fisher.test`` default B)
FISHER_B = 2000
#: endpoint -> categories counted as an event
ENDPOINTS = {"orr": ("CR", "PR"), "dcr": ("CR", "PR", "SD")}

_RATE_SCHEMA = {"endpoint": pl.String, "group": pl.String, "x": pl.Int64, "n": pl.Int64, "estimate": pl.Float64,
                "conf_low": pl.Float64, "conf_high": pl.Float64}
_TEST_SCHEMA = {"endpoint": pl.String, "test": pl.String, "p_value": pl.Float64, "estimate": pl.Float64,
                "conf_low": pl.Float64, "conf_high": pl.Float64}


def as_frame(data) -> pl.DataFrame:
    """Accept a polars DataFrame or anything with a ``.data`` frame (a Cohort)."""
    frame = getattr(data, "data", data)
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"expected a polars DataFrame or a Cohort, got {type(data).__name__}")
    return frame


def _require(frame: pl.DataFrame, *cols: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"column(s) not in the data: {', '.join(missing)}")


def group_levels(s: pl.Series) -> list[str]:
    """Group labels in the column's order: Enum categories present, else sorted values (as strings)."""
    present = s.drop_nulls()
    if isinstance(s.dtype, pl.Enum):
        seen = set(present.cast(pl.String).to_list())
        return [c for c in s.dtype.categories.to_list() if c in seen]
    if s.dtype == pl.Boolean:
        return [str(v).lower() for v in sorted(set(present.to_list()))]
    return [str(v) for v in sorted(set(present.to_list()))]


def _group_strings(s: pl.Series) -> pl.Series:
    if s.dtype == pl.Boolean:
        return s.map_elements(lambda v: str(v).lower(), return_dtype=pl.String)
    return s.cast(pl.String)


def _rate_row(endpoint: str, group: str, x: int, n: int, conf_level: float) -> dict:
    if n == 0:
        return {"endpoint": endpoint, "group": group, "x": x, "n": n, "estimate": None, "conf_low": None,
                "conf_high": None}
    h = binom_test(x, n, conf_level=conf_level)
    return {"endpoint": endpoint, "group": group, "x": x, "n": n, "estimate": h.estimate, "conf_low": h.conf_low,
            "conf_high": h.conf_high}


def binary_rates_by_group(
    events: pl.Series, groups: pl.Series, levels: list[str], endpoint: str, conf_level: float = 0.95,
    overall: bool = True,
) -> tuple[list[dict], HTest | None]:
    """Rates of a boolean outcome per group (Clopper-Pearson) and Fisher's test across groups.

    ``events`` and ``groups`` must already be free of nulls. The Fisher table has one row
    per group in ``levels`` (empty groups left out) and columns (event, no event), so the
    2-group odds ratio is odds(first group) / odds(second group).
    """
    ev = events.to_numpy().astype(bool)
    gr = groups.to_numpy()
    rows, table = [], []
    for g in levels:
        m = gr == g
        x, n = int(ev[m].sum()), int(m.sum())
        rows.append(_rate_row(endpoint, g, x, n, conf_level))
        if n > 0:
            table.append([x, n - x])
    if overall:
        rows.append(_rate_row(endpoint, "Overall", int(ev.sum()), len(ev), conf_level))
    test = fisher_test(np.array(table)) if len(table) >= 2 else None
    return rows, test


def response_test_name(h: HTest) -> str:
    """The footnote name of a response test: exact, simulated (with B and seed) or chi-square."""
    if h.method.startswith("Pearson"):
        return "Pearson's chi-squared test (all expected counts at least 5)"
    if "simulated" in h.method:
        return (f"Fisher's exact test, Monte Carlo p-value (R's simulate.p.value, B = {h.replicates}, "
                f"seed = {h.seed}): the exact test exceeds its workspace")
    return "Fisher's exact test"


def _test_row(endpoint: str, h: HTest | None) -> dict:
    if h is None:
        return {"endpoint": endpoint, "test": None, "p_value": None, "estimate": None, "conf_low": None,
                "conf_high": None}
    return {"endpoint": endpoint, "test": response_test_name(h), "p_value": h.p_value, "estimate": h.estimate,
            "conf_low": h.conf_low, "conf_high": h.conf_high}


def distribution_test(table: np.ndarray, seed: int | None = None, B: int = FISHER_B) -> HTest:
    """Groups x categories test of the response distribution, chosen as gtsummary chooses it.

    Fisher's exact test (R's ``fisher.test``) when any expected count is below 5, else Pearson's
    chi-squared test without continuity correction (gtsummary's ``add_p`` default). An exact r x c
    walk beyond the workspace bound becomes R's Monte Carlo p-value (``simulate.p.value = TRUE``)
    from ``B`` tables drawn after ``set.seed(seed)``.
    """
    used = table[:, table.sum(axis=0) > 0]
    if (expected_counts(used) >= 5).all():
        return chisq_test(used, correct=False)
    return fisher_test(used, simulate_p_value="auto", B=B, seed=seed)


@dataclass(frozen=True)
class ResponseResult(Result):
    """Best overall response by group.

    Attributes
    ----------
    by, response : str
        The grouping and response columns.
    groups : tuple of str
        Group labels in order (Enum order or sorted); ``"Overall"`` rows come last in frames.
    counts : polars.DataFrame
        Long: group, category, n, pct (percent of the group's evaluable patients).
    rates_frame, tests_frame : polars.DataFrame
        See :meth:`rates` and :meth:`tests`.
    bor_test, orr_test, dcr_test : HTest or None
        Fisher's tests (None with fewer than two non-empty groups).
    excluded : polars.DataFrame
        reason, n: patients left out (missing response, missing group).
    conf_level : float
    """

    by: str
    response: str
    groups: tuple[str, ...]
    counts: pl.DataFrame
    rates_frame: pl.DataFrame
    tests_frame: pl.DataFrame
    bor_test: HTest | None
    orr_test: HTest | None
    dcr_test: HTest | None
    excluded: pl.DataFrame
    conf_level: float = 0.95

    def tidy(self) -> pl.DataFrame:
        """Long counts: group, category, n, pct (all five categories for every group and Overall)."""
        return self.counts

    def rates(self) -> pl.DataFrame:
        """ORR and DCR per group: endpoint, group, x, n, estimate, conf_low, conf_high (Clopper-Pearson)."""
        return self.rates_frame

    def tests(self) -> pl.DataFrame:
        """endpoint (bor, orr, dcr), test, p_value, and the 2 x 2 conditional MLE odds ratio with its CI."""
        return self.tests_frame

    def glance(self) -> pl.DataFrame:
        n = int(self.counts.filter(pl.col("group") == "Overall")["n"].sum())
        return pl.DataFrame({"n": [n], "n_excluded": [int(self.excluded["n"].sum())],
                             "p_bor": [self.bor_test.p_value if self.bor_test else None],
                             "p_orr": [self.orr_test.p_value if self.orr_test else None],
                             "p_dcr": [self.dcr_test.p_value if self.dcr_test else None]},
                            schema={"n": pl.Int64, "n_excluded": pl.Int64, "p_bor": pl.Float64,
                                    "p_orr": pl.Float64, "p_dcr": pl.Float64})

    def __repr__(self) -> str:
        wide = self.counts.with_columns(
            cell=pl.format("{} ({}%)", pl.col("n"), pl.col("pct").round(1).fill_null(0))
        ).pivot(on="group", index="category", values="cell")
        with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
            lines = [f"Best overall response by {self.by}", str(wide)]
        for r in self.rates_frame.iter_rows(named=True):
            est = "NA" if r["estimate"] is None else f"{100 * r['estimate']:.1f}%"
            ci = "" if r["conf_low"] is None else f" [{100 * r['conf_low']:.1f}, {100 * r['conf_high']:.1f}]"
            lines.append(f"{r['endpoint'].upper()} {r['group']}: {r['x']}/{r['n']} = {est}{ci}")
        for r in self.tests_frame.iter_rows(named=True):
            p = "NA" if r["p_value"] is None else f"{r['p_value']:.4g}"
            lines.append(f"{r['endpoint'].upper()}: {r['test'] or 'no test'} p = {p}")
        if self.excluded["n"].sum() > 0:
            for reason, n in self.excluded.iter_rows():
                lines.append(f"excluded: {n} ({reason})")
        return "\n".join(lines)


def check_response_column(frame: pl.DataFrame, response: str) -> pl.Series:
    """The response column as strings; raises naming the column and rows of any unknown code."""
    s = frame[response]
    if s.dtype != pl.String and not isinstance(s.dtype, (pl.Enum, pl.Categorical)):
        raise TypeError(f"column '{response}' must hold the strings CR, PR, SD, PD, NE; got {s.dtype}")
    s = s.cast(pl.String)
    bad = frame.with_row_index("_r").filter(s.is_not_null() & ~s.is_in(list(RESPONSE_LEVELS)))
    if bad.height:
        rows = bad["_r"].head(5).to_list()
        vals = bad[response].cast(pl.String).head(5).to_list()
        raise ValueError(
            f"column '{response}' holds values other than {', '.join(RESPONSE_LEVELS)}: "
            f"{vals} at row(s) {rows} (0-based)"
        )
    return s


def response_by_group(data, by: str = "nlr_group", response: str = "best_response",
                      conf_level: float = 0.95, seed: int | None = None) -> ResponseResult:
    """Best overall response, ORR and DCR by group, with Clopper-Pearson CIs and Fisher's tests.

    Parameters
    ----------
    data : polars.DataFrame or Cohort
    by : str
        Grouping column (Enum order kept; otherwise sorted values).
    response : str
        Column of RECIST best overall response: CR, PR, SD, PD or NE.
    conf_level : float
        Level of the Clopper-Pearson intervals (R's ``binom.test``) and Fisher odds-ratio CIs.
    seed : int, optional
        Seed of R's Monte Carlo Fisher p-value, used only when the exact groups x categories test
        exceeds its workspace (see :func:`distribution_test`).

    Returns
    -------
    ResponseResult
    """
    frame = as_frame(data)
    _require(frame, by, response)
    resp = check_response_column(frame, response)
    grp_raw = frame[by]
    levels = group_levels(grp_raw)
    grp = _group_strings(grp_raw)
    miss_resp = resp.is_null()
    miss_grp = grp.is_null()
    excluded = pl.DataFrame(
        {"reason": [f"missing {response}", f"missing {by}"],
         "n": [int(miss_resp.sum()), int((miss_grp & ~miss_resp).sum())]},
        schema={"reason": pl.String, "n": pl.Int64},
    )
    keep = ~(miss_resp | miss_grp)
    resp, grp = resp.filter(keep), grp.filter(keep)

    cnt = (pl.DataFrame({"group": grp, "category": resp}).group_by(["group", "category"]).len(name="n"))
    skeleton = pl.DataFrame(
        {"group": [g for g in levels for _ in RESPONSE_LEVELS], "category": list(RESPONSE_LEVELS) * len(levels)}
    )
    by_group = skeleton.join(cnt, on=["group", "category"], how="left").with_columns(pl.col("n").fill_null(0))
    overall = pl.DataFrame({"group": ["Overall"] * len(RESPONSE_LEVELS), "category": list(RESPONSE_LEVELS)}).join(
        cnt.group_by("category").agg(pl.col("n").sum()), on="category", how="left"
    ).with_columns(pl.col("n").fill_null(0))
    counts = pl.concat([by_group, overall.select(by_group.columns)]).with_columns(pl.col("n").cast(pl.Int64))
    counts = counts.with_columns(
        pct=pl.when(pl.col("n").sum().over("group") > 0)
        .then(100 * pl.col("n") / pl.col("n").sum().over("group"))
        .otherwise(None)
    )

    rate_rows, tests = [], {}
    for endpoint, cats in ENDPOINTS.items():
        rows, h = binary_rates_by_group(resp.is_in(list(cats)), grp, levels, endpoint, conf_level)
        rate_rows += rows
        tests[endpoint] = h
    table = (
        counts.filter(pl.col("group") != "Overall")
        .pivot(on="category", index="group", values="n")
        .select(list(RESPONSE_LEVELS))
        .to_numpy()
    ) if levels else np.zeros((0, 5))
    table = table[table.sum(axis=1) > 0]
    bor = distribution_test(table, seed) if table.shape[0] >= 2 and (table.sum(axis=0) > 0).sum() >= 2 else None
    if bor is None and table.shape[0] >= 2:
        # a single response category across groups: nothing to compare, p = 1 as FEXACT
        bor = HTest(statistic=None, parameter=None, p_value=1.0, estimate=None, conf_low=None, conf_high=None,
                    method="Fisher's Exact Test for Count Data", alternative="two.sided")
    tests_frame = pl.DataFrame(
        [_test_row("bor", bor), _test_row("orr", tests["orr"]), _test_row("dcr", tests["dcr"])],
        schema=_TEST_SCHEMA,
    )
    return ResponseResult(
        by=by, response=response, groups=tuple(levels), counts=counts,
        rates_frame=pl.DataFrame(rate_rows, schema=_RATE_SCHEMA), tests_frame=tests_frame,
        bor_test=bor, orr_test=tests["orr"], dcr_test=tests["dcr"], excluded=excluded, conf_level=conf_level,
    )
