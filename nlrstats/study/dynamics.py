"""NLR dynamics: change from day 0 to day 14 and its relation to response.

Per patient: ``nlr_change = nlr_d14 - nlr_d0``, ``nlr_pct_change`` and ``nlr_decreased``
(day 14 below day 0, as :mod:`nlrstats.data.markers`). ORR and DCR are compared between
patients whose NLR decreased and those whose did not (Clopper-Pearson CIs, Fisher's exact
test, as :mod:`nlrstats.study.response`), and NLR day 0 vs day 14 with the paired Wilcoxon
signed-rank test (R's ``wilcox.test(paired = TRUE)``: zero differences dropped, exact
without ties or zeros for n < 50), overall and in responders and non-responders. Patients
without a day-14 (or day-0) NLR or without a response are excluded and counted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import polars as pl

from nlrstats.stats.htest import HTest, wilcox_test
from nlrstats.study.response import ENDPOINTS, as_frame, binary_rates_by_group, check_response_column
from nlrstats.stats.result import Result

__all__ = ["DynamicsResult", "nlr_dynamics", "DYNAMICS_GROUPS"]

#: group key -> label, decreased first (the seed paper's order)
DYNAMICS_GROUPS = {"decreased": "NLR decreased", "not_decreased": "NLR not decreased"}

_PAIRED_SCHEMA = {"subset": pl.String, "n": pl.Int64, "median_d0": pl.Float64, "median_d14": pl.Float64,
                  "median_change": pl.Float64, "statistic": pl.Float64, "p_value": pl.Float64, "method": pl.String}
_RATE_ROW_SCHEMA = {"endpoint": pl.String, "group": pl.String, "x": pl.Int64, "n": pl.Int64,
                    "estimate": pl.Float64, "conf_low": pl.Float64, "conf_high": pl.Float64}
_TEST_SCHEMA = {"endpoint": pl.String, "test": pl.String, "p_value": pl.Float64, "estimate": pl.Float64,
                "conf_low": pl.Float64, "conf_high": pl.Float64}


@dataclass(frozen=True)
class DynamicsResult(Result):
    """NLR change from day 0 to day 14 versus response.

    Attributes
    ----------
    patients : polars.DataFrame
        Every patient: patient_id (if given), nlr_d0, nlr_d14, nlr_change, nlr_pct_change,
        nlr_decreased, best_response, responder, disease_control, included (bool), reason.
    rates_frame, tests_frame, paired_frame : polars.DataFrame
        See :meth:`rates`, :meth:`tests`, :meth:`paired`.
    orr_test, dcr_test : HTest or None
    paired_tests : dict
        subset -> HTest (or None when the subset is empty).
    excluded : polars.DataFrame
        reason, n.
    """

    patients: pl.DataFrame
    rates_frame: pl.DataFrame
    tests_frame: pl.DataFrame
    paired_frame: pl.DataFrame
    orr_test: HTest | None
    dcr_test: HTest | None
    paired_tests: dict
    excluded: pl.DataFrame
    conf_level: float = 0.95
    marker: str = "nlr"

    def tidy(self) -> pl.DataFrame:
        """Per-patient changes (the analysed and the excluded, with the reason)."""
        return self.patients

    def rates(self) -> pl.DataFrame:
        """ORR and DCR by NLR change: endpoint, group ("decreased" / "not_decreased" / "Overall"),
        label, x, n, estimate, conf_low, conf_high (Clopper-Pearson)."""
        return self.rates_frame

    def tests(self) -> pl.DataFrame:
        """endpoint (orr, dcr), test, p_value, odds ratio (decreased vs not) and its CI."""
        return self.tests_frame

    def paired(self) -> pl.DataFrame:
        """Paired Wilcoxon signed-rank test of NLR day 0 vs day 14: subset (overall, responder,
        non_responder), n, medians, statistic V, p_value, method."""
        return self.paired_frame

    def glance(self) -> pl.DataFrame:
        inc = self.patients["included"]
        return pl.DataFrame({"n": [int(inc.sum())], "n_excluded": [int((~inc).sum())],
                             "n_decreased": [int(self.patients.filter("included")[f"{self.marker}_decreased"].sum())],
                             "p_orr": [self.orr_test.p_value if self.orr_test else None],
                             "p_dcr": [self.dcr_test.p_value if self.dcr_test else None]},
                            schema={"n": pl.Int64, "n_excluded": pl.Int64, "n_decreased": pl.Int64,
                                    "p_orr": pl.Float64, "p_dcr": pl.Float64})

    def __repr__(self) -> str:
        lines = [f"{self.marker.upper()} change day 0 -> day 14 and response"]
        for r in self.rates_frame.iter_rows(named=True):
            est = "NA" if r["estimate"] is None else f"{100 * r['estimate']:.1f}%"
            lines.append(f"{r['endpoint'].upper()} {r['label']}: {r['x']}/{r['n']} = {est}")
        for r in self.tests_frame.iter_rows(named=True):
            p = "NA" if r["p_value"] is None else f"{r['p_value']:.4g}"
            lines.append(f"{r['endpoint'].upper()}: Fisher's exact p = {p}")
        for r in self.paired_frame.iter_rows(named=True):
            p = "NA" if r["p_value"] is None else f"{r['p_value']:.4g}"
            lines.append(f"{self.marker.upper()} d0 vs d14, {r['subset']} (n = {r['n']}): V = {r['statistic']}, p = {p}")
        for reason, n in self.excluded.iter_rows():
            if n:
                lines.append(f"excluded: {n} ({reason})")
        return "\n".join(lines)


def _marker_columns(frame: pl.DataFrame, marker: str) -> pl.DataFrame:
    """``<marker>_d0`` / ``<marker>_d14`` from the frame, or NLR from the counts when only those are given."""
    out = frame
    for day in ("d0", "d14"):
        col = f"{marker}_{day}"
        if col not in out.columns:
            n, l_ = f"neutrophils_{day}", f"lymphocytes_{day}"
            if marker == "nlr" and n in out.columns and l_ in out.columns:
                out = out.with_columns((pl.col(n) / pl.col(l_)).alias(col))
            else:
                hint = f" (or '{n}' and '{l_}')" if marker == "nlr" else ""
                raise KeyError(f"column '{col}'{hint} is not in the data")
    return out.with_columns(pl.col(f"{marker}_d0", f"{marker}_d14").cast(pl.Float64).fill_nan(None))


def nlr_dynamics(data, response: str = "best_response", conf_level: float = 0.95,
                 marker: str = "nlr") -> DynamicsResult:
    """A marker's change day 0 -> day 14, ORR / DCR by its decrease, and paired signed-rank tests.

    Parameters
    ----------
    data : polars.DataFrame or Cohort
        Needs ``<marker>_d0`` and ``<marker>_d14`` (for NLR, or the neutrophil and lymphocyte counts
        of both days) and the best overall response column.
    response : str
        Column of RECIST best overall response (CR, PR, SD, PD, NE).
    conf_level : float
    marker : the marker's column prefix (``"nlr"`` as in Fukuda et al.; ``"plr"``, ...).

    Returns
    -------
    DynamicsResult
        Its ``patients`` frame names the columns ``nlr_d0``, ``nlr_d14``, ``nlr_change``,
        ``nlr_pct_change`` and ``nlr_decreased`` after ``marker``.
    """
    d0, d14 = f"{marker}_d0", f"{marker}_d14"
    change, pct, decreased = f"{marker}_change", f"{marker}_pct_change", f"{marker}_decreased"
    frame = _marker_columns(as_frame(data), marker)
    if response not in frame.columns:
        raise KeyError(f"column '{response}' is not in the data")
    resp = check_response_column(frame, response)
    ids = frame["patient_id"] if "patient_id" in frame.columns else pl.Series("patient_id", range(frame.height))
    pts = pl.DataFrame({"patient_id": ids.cast(pl.String), d0: frame[d0], d14: frame[d14],
                        "best_response": resp})
    pts = pts.with_columns(
        (pl.col(d14) - pl.col(d0)).alias(change),
        ((pl.col(d14) - pl.col(d0)) / pl.col(d0) * 100).alias(pct),
        (pl.col(d14) < pl.col(d0)).alias(decreased),
        responder=pl.col("best_response").is_in(list(ENDPOINTS["orr"])),
        disease_control=pl.col("best_response").is_in(list(ENDPOINTS["dcr"])),
    ).with_columns(
        pl.when(pl.col("best_response").is_null()).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("responder", "disease_control")
    )
    reasons = [f"missing {d0}", f"missing {d14}", f"missing {response}"]
    reason = (pl.when(pl.col(d0).is_null()).then(pl.lit(reasons[0]))
              .when(pl.col(d14).is_null()).then(pl.lit(reasons[1]))
              .when(pl.col("best_response").is_null()).then(pl.lit(reasons[2]))
              .otherwise(None))
    pts = pts.with_columns(reason=reason).with_columns(included=pl.col("reason").is_null())
    excluded = pl.DataFrame({"reason": reasons}).join(
        pts.filter(~pl.col("included")).group_by("reason").len(name="n"), on="reason", how="left").with_columns(
        pl.col("n").fill_null(0).cast(pl.Int64))

    used = pts.filter("included")
    flag = used[decreased].map_elements(lambda d: "decreased" if d else "not_decreased", return_dtype=pl.String)
    rate_rows, tests = [], {}
    for endpoint, cats in ENDPOINTS.items():
        rows, h = binary_rates_by_group(used["best_response"].is_in(list(cats)), flag, list(DYNAMICS_GROUPS),
                                        endpoint, conf_level)
        rate_rows += rows
        tests[endpoint] = h
    rates = pl.DataFrame(rate_rows, schema=_RATE_ROW_SCHEMA).with_columns(
        label=pl.col("group").replace_strict({**DYNAMICS_GROUPS, "Overall": "Overall"}, return_dtype=pl.String)
    ).select("endpoint", "group", "label", "x", "n", "estimate", "conf_low", "conf_high").cast(
        {"x": pl.Int64, "n": pl.Int64, "estimate": pl.Float64, "conf_low": pl.Float64, "conf_high": pl.Float64})
    test_rows = []
    for endpoint in ENDPOINTS:
        h = tests[endpoint]
        test_rows.append({"endpoint": endpoint, "test": "Fisher's exact test" if h else None,
                          "p_value": h.p_value if h else None, "estimate": h.estimate if h else None,
                          "conf_low": h.conf_low if h else None, "conf_high": h.conf_high if h else None})

    paired_rows, paired_tests = [], {}
    subsets = {"overall": used, "responder": used.filter(pl.col("responder")),
               "non_responder": used.filter(~pl.col("responder"))}
    for name, sub in subsets.items():
        h = None
        if sub.height:
            with warnings.catch_warnings():
                # ties or zero differences: R warns and uses the normal approximation; the method says so
                warnings.simplefilter("ignore")
                h = wilcox_test(sub[d0].to_numpy(), sub[d14].to_numpy(), paired=True)
        paired_tests[name] = h
        paired_rows.append({"subset": name, "n": sub.height, "median_d0": sub[d0].median(),
                            "median_d14": sub[d14].median(), "median_change": sub[change].median(),
                            "statistic": h.statistic if h else None, "p_value": h.p_value if h else None,
                            "method": h.method if h else None})
    return DynamicsResult(
        patients=pts, rates_frame=rates, tests_frame=pl.DataFrame(test_rows, schema=_TEST_SCHEMA),
        paired_frame=pl.DataFrame(paired_rows, schema=_PAIRED_SCHEMA), orr_test=tests["orr"],
        dcr_test=tests["dcr"], paired_tests=paired_tests, excluded=excluded, conf_level=conf_level,
        marker=marker,
    )
