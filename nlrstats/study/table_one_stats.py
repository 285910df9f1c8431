"""Table-1 statistics and test choice, computed with polars aggregations.

All descriptive statistics of all variables come from one lazy ``group_by`` per kind
(continuous, categorical), collected together. Rank tests are computed from value counts
(:func:`nlrstats.stats.htest.rank.rank_sums_from_counts`), so a million patients cost one
``group_by`` per variable instead of a full ranking.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from nlrstats.stats.htest import FisherTableTooLarge, HTest, chisq_test, fisher_test, t_test
from nlrstats.stats.htest.chisq import expected_counts
from nlrstats.stats.htest.kruskal import kruskal_from_counts
from nlrstats.stats.htest.rank import wilcox_from_counts

__all__ = ["TEST_ALIASES", "TEST_NAMES", "continuous_moments", "value_counts", "order_stats_from_counts",
           "categorical_counts",
           "choose_test", "run_test", "level_strings"]

#: user spellings -> internal test key
TEST_ALIASES = {
    "wilcox": "wilcox", "wilcox.test": "wilcox", "wilcoxon": "wilcox", "mann-whitney": "wilcox",
    "t.test": "t.test", "t_test": "t.test", "ttest": "t.test", "welch": "t.test",
    "kruskal": "kruskal", "kruskal.test": "kruskal", "kruskal-wallis": "kruskal",
    "fisher": "fisher", "fisher.test": "fisher",
    "chisq": "chisq", "chisq.test": "chisq", "chisq.test.no.correct": "chisq.no.correct",
    "chisq.no.correct": "chisq.no.correct",
    "none": "none",
}
#: test key -> the name printed in a table footnote (gtsummary's wording)
TEST_NAMES = {
    "wilcox": "Wilcoxon rank sum test",
    "kruskal": "Kruskal-Wallis rank sum test",
    "t.test": "Welch Two Sample t-test",
    "fisher": "Fisher's exact test",
    "fisher.simulated": "Fisher's exact test (simulated p-value)",
    "chisq": "Pearson's Chi-squared test",
    "chisq.no.correct": "Pearson's Chi-squared test",
    "none": None,
}
CONTINUOUS_TESTS = {"wilcox", "kruskal", "t.test"}
CATEGORICAL_TESTS = {"fisher", "chisq", "chisq.no.correct"}

def _moment_exprs(v: str) -> list[pl.Expr]:
    c = pl.col(v)
    return [
        c.count().alias(f"{v}\x1fn"),
        c.null_count().alias(f"{v}\x1fn_missing"),
        c.mean().alias(f"{v}\x1fmean"),
        c.std().alias(f"{v}\x1fsd"),
    ]


def continuous_moments(lf: pl.LazyFrame, by: str | None, variables: list[str]) -> list[pl.LazyFrame]:
    """Lazy frames (overall, then per group) of n, n_missing, mean and sd of each variable."""
    if not variables:
        return []
    exprs = [e for v in variables for e in _moment_exprs(v)]
    out = [lf.select(exprs).with_columns(pl.lit("Overall").alias("__group"))]
    if by is not None:
        out.append(lf.group_by(by).agg(exprs).with_columns(pl.col(by).cast(pl.String).alias("__group")).drop(by))
    return out


def value_counts(lf: pl.LazyFrame, by: str | None, v: str) -> pl.LazyFrame:
    """(value, group, n) counts of the non-missing values of ``v``: the input of the order statistics
    and the rank tests."""
    q = lf.filter(pl.col(v).is_not_null())
    return q.group_by([v] if by is None else [v, by]).len(name="n")


def order_stats_from_counts(values: np.ndarray, counts: np.ndarray, quantile_type: int = 7) -> dict[str, float | None]:
    """Median, quartiles, min and max from sorted distinct values and their counts.

    Quartiles follow R's ``quantile(type = 7)`` (R's default, tableone) or ``type = 2``
    (gtsummary's choice), with R's arithmetic so that the numbers are R's to the last bit.
    """
    keep = counts > 0
    values, counts = values[keep], counts[keep]
    n = int(counts.sum())
    if n == 0:
        return {"median": None, "p25": None, "p75": None, "min": None, "max": None}
    cum = np.cumsum(counts)

    def at(k: int) -> float:  # k-th order statistic, 0-based, clamped to the sample
        k = min(max(k, 0), n - 1)
        return float(values[np.searchsorted(cum, k, side="right")])

    def q7(p: float) -> float:
        index = (n - 1) * p
        lo = int(np.floor(index))
        hi = int(np.ceil(index))
        qs = at(lo)
        x_hi = at(hi)
        h = index - lo
        if index > lo and x_hi != qs:
            qs = (1 - h) * qs + h * x_hi
        return qs

    def q2(p: float) -> float:
        nppm = n * p
        j = int(np.floor(nppm + 4 * 2.220446049250313e-16))
        x_j, x_j1 = at(j - 1), at(j)  # R's padded x[j + 2], x[j + 3]
        if nppm > j:
            return x_j1
        return 0.5 * x_j + 0.5 * x_j1 if x_j != x_j1 else x_j

    if quantile_type not in (2, 7):
        raise ValueError(f"quantile_type must be 7 (R's default) or 2 (gtsummary), got {quantile_type!r}")
    q = q7 if quantile_type == 7 else q2
    half = (n + 1) // 2
    median = at(half - 1) if n % 2 == 1 else (at(half - 1) + at(half)) / 2
    return {"median": median, "p25": q(0.25), "p75": q(0.75), "min": float(values[0]), "max": float(values[-1])}


def categorical_counts(lf: pl.LazyFrame, by: str | None, v: str) -> pl.LazyFrame:
    """Counts of (group, level) including a null level (missing)."""
    keys = [v] if by is None else [by, v]
    q = lf.group_by(keys).len(name="n")
    if by is None:
        q = q.with_columns(pl.lit("Overall").alias("__group"))
    else:
        q = q.with_columns(pl.col(by).cast(pl.String).alias("__group")).drop(by)
    return q.with_columns(pl.col(v).alias("__level")).select("__group", "__level", "n")


def level_strings(dtype: pl.DataType, observed: pl.Series) -> list[str]:
    """Levels of a categorical variable, as strings, in display order: Enum categories (all of
    them), else the observed values sorted (numbers numerically, booleans false < true)."""
    if isinstance(dtype, pl.Enum):
        return [str(x) for x in dtype.categories.to_list()]
    vals = sorted(set(observed.drop_nulls().to_list()))
    return [_level_str(v) for v in vals]


def _level_str(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def choose_test(kind: str, n_groups: int, table: np.ndarray | None) -> str:
    """gtsummary's default: Wilcoxon / Kruskal-Wallis for continuous; Fisher if any expected
    count is below 5, else chi-square without continuity correction, for categorical."""
    if kind == "continuous":
        return "wilcox" if n_groups == 2 else "kruskal"
    tab = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return "fisher"
    return "fisher" if (expected_counts(tab) < 5).any() else "chisq.no.correct"


def counts_matrix(values: np.ndarray, groups: np.ndarray, n_groups: int,
                  weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and the (values x groups) matrix of counts from (value, group, count) rows."""
    uniq, inv = np.unique(values, return_inverse=True)
    mat = np.zeros((len(uniq), n_groups))
    np.add.at(mat, (inv, groups), weights)
    return uniq, mat


def run_test(key: str, *, value_counts: np.ndarray | None = None, table: np.ndarray | None = None,
             raw: list[np.ndarray] | None = None, variable: str = "", simulate_fisher: bool = False,
             B: int = 2000, seed: int | None = None, fisher_max_steps: int = 1_000_000,
             ) -> tuple[HTest | None, str]:
    """Run test ``key``; returns (HTest, key actually used)."""
    if key == "none":
        return None, key
    if key == "wilcox":
        if value_counts.shape[1] != 2:
            raise ValueError(f"variable '{variable}': the Wilcoxon rank-sum test needs exactly 2 groups; "
                             f"use 'kruskal'")
        with warnings.catch_warnings():
            # ties under exact=None: R warns and uses the normal approximation; the method says so
            warnings.simplefilter("ignore")
            return wilcox_from_counts(value_counts), key
    if key == "kruskal":
        return kruskal_from_counts(value_counts), key
    if key == "t.test":
        if len(raw) != 2:
            raise ValueError(f"variable '{variable}': the t-test needs exactly 2 groups")
        return t_test(raw[0], raw[1]), key
    tab = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        # one level (or one group) observed: nothing varies, R's tests are undefined
        return None, key
    if key == "fisher":
        try:
            return fisher_test(tab, max_steps=fisher_max_steps), key
        except FisherTableTooLarge as exc:
            if not simulate_fisher:
                raise FisherTableTooLarge(
                    f"variable '{variable}': {exc}. In summarize(), pass simulate_fisher=True or "
                    f"tests={{'{variable}': 'chisq'}}"
                ) from None
            return fisher_test(tab, simulate_p_value=True, B=B, seed=seed), "fisher.simulated"
    if key == "chisq":
        return chisq_test(tab, correct=True), key
    if key == "chisq.no.correct":
        return chisq_test(tab, correct=False), key
    raise ValueError(f"unknown test {key!r}")
