"""The analysis plan of Fukuda et al. (In Vivo 2020) as one call: ``analyze(cohort, cutoff=8)``.

Sections, each a result object of its own module:

- Table 1 by NLR group (:func:`nlrstats.study.table_one.summarize`);
- best overall response, ORR and DCR by NLR group with Clopper-Pearson CIs and Fisher tests
  (:func:`nlrstats.study.response.response_by_group`);
- NLR change by day 14 versus response (:func:`nlrstats.study.dynamics.nlr_dynamics`);
- PFS and OS by NLR group: Kaplan-Meier medians (R's CI), log-rank, Cox HR (Efron ties), and Firth's
  penalised Cox whenever the likelihood is monotone (:mod:`nlrstats.stats.survival`);
- robustness of the cut-off: maxstat with adjusted p, ROC of NLR for disease control, bootstrap of the
  optimal cut (:mod:`nlrstats.stats.cutpoint`).

``StudyResults.to_dict()`` / ``to_json()`` give stable keys for scripts (documented in :func:`analyze`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort, load_cohort
from nlrstats.study.dynamics import DynamicsResult, nlr_dynamics
from nlrstats.data.markers import group_labels
from nlrstats.study.published import compare_published
from nlrstats.study.response import ResponseResult, response_by_group
from nlrstats.study.robustness import CutpointSection, cutpoint_section
from nlrstats.stats.result import Result, json_safe
from nlrstats.study.table_one import TableOne, summarize
from nlrstats.stats.survival import CoxPH, SurvDiff, SurvFit, coxph, survdiff, survfit
from nlrstats.stats.survival.cox import MonotoneLikelihoodWarning

__all__ = ["analyze", "StudyResults", "EndpointResult", "ENDPOINTS", "hazard_ratio_frame"]

#: endpoint key -> (time column, event column, label)
ENDPOINTS = {"pfs": ("pfs_months", "pfs_event", "Progression-free survival"),
             "os": ("os_months", "os_event", "Overall survival")}


def _rate(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {k: row[k] for k in ("x", "n", "estimate", "conf_low", "conf_high")}


@dataclass(frozen=True)
class EndpointResult(Result):
    """PFS or OS by NLR group: Kaplan-Meier fit, log-rank test, Cox model (and Firth when needed).

    Attributes
    ----------
    endpoint : "pfs" or "os".
    label : "Progression-free survival" / "Overall survival".
    fit : Kaplan-Meier by ``nlr_group`` (log CI, as R's survfit).
    logrank : log-rank test, None when fewer than two groups have patients.
    cox : Cox PH with Efron ties (HR of NLR ≥ cut-off vs < cut-off), None as for ``logrank``.
    firth : Firth's penalised Cox (profile-likelihood CI), computed when ``cox.monotone``.
    univariable : one Cox fit per covariate (NLR group first, then the covariates present), each
        replaced by Firth's fit when its likelihood is monotone.
    multivariable : NLR group adjusted for the covariates, fitted only with at least 10 events per
        coefficient (Peduzzi et al., J Clin Epidemiol 1996); None otherwise (see the study notes).
    """

    endpoint: str
    label: str
    fit: SurvFit
    logrank: SurvDiff | None
    cox: CoxPH | None
    firth: CoxPH | None = None
    univariable: tuple = ()
    multivariable: CoxPH | None = None

    @property
    def preferred_cox(self) -> CoxPH | None:
        """Firth's fit when the likelihood is monotone (the ordinary HR is infinite), else Cox."""
        return self.firth if self.firth is not None else self.cox

    def tidy(self) -> pl.DataFrame:
        med = self.fit.median()
        return med.with_columns(pl.lit(self.endpoint).alias("endpoint")).select("endpoint", *med.columns)

    def medians_by_group(self, labels: tuple[str, str]) -> dict:
        out = {}
        for row in self.fit.median().iter_rows(named=True):
            level = row["strata"].split("=", 1)[-1]
            key = "low" if level == labels[0] else "high" if level == labels[1] else level
            out[key] = {"estimate": row["median"], "conf_low": row["conf_low"], "conf_high": row["conf_high"],
                        "n": row["records"], "events": row["events"]}
        return out

    def to_dict(self, labels: tuple[str, str]) -> dict:
        d = {"label": self.label, "median": self.medians_by_group(labels), "logrank": None, "cox": None}
        if self.logrank is not None:
            d["logrank"] = {"statistic": self.logrank.statistic, "df": self.logrank.df,
                            "p_value": self.logrank.p_value}
        cox = self.preferred_cox
        if cox is not None:
            row = cox.tidy(exponentiate=True).row(0, named=True)
            d["cox"] = {"term": row["term"], "estimate": row["estimate"], "conf_low": row["conf_low"],
                        "conf_high": row["conf_high"], "p_value": row["p_value"],
                        "method": "Firth penalised Cox" if cox is self.firth else "Cox PH (Efron ties)",
                        "monotone_likelihood": bool(self.cox.monotone) if self.cox is not None else None}
        return d


@dataclass(frozen=True)
class StudyResults(Result):
    """Everything :func:`analyze` computes, plus the cohort it came from."""

    cohort: Cohort
    cutoff: float
    table_one: TableOne
    response: ResponseResult
    dynamics: DynamicsResult
    pfs: EndpointResult
    os: EndpointResult
    cutpoint: CutpointSection | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def labels(self) -> tuple[str, str]:
        return group_labels(self.cutoff)

    def groups(self) -> list[dict]:
        counts = dict(self.cohort.data["nlr_group"].cast(pl.String).value_counts().iter_rows())
        low, high = self.labels
        return [{"key": "low", "label": low, "n": int(counts.get(low, 0))},
                {"key": "high", "label": high, "n": int(counts.get(high, 0))}]

    def _rates(self, frame: pl.DataFrame, endpoint: str, keys: dict[str, str]) -> dict:
        rows = {r["group"]: r for r in frame.filter(pl.col("endpoint") == endpoint).iter_rows(named=True)}
        return {new: _rate(rows.get(old)) for old, new in keys.items()}

    def _p(self, tests: pl.DataFrame, endpoint: str):
        sub = tests.filter(pl.col("endpoint") == endpoint)
        return sub["p_value"][0] if sub.height else None

    def to_dict(self) -> dict:
        """Nested dict with the keys documented in :func:`analyze` (JSON-safe after :func:`json_safe`)."""
        low, high = self.labels
        rates, tests = self.response.rates(), self.response.tests()
        response = {}
        for ep in ("orr", "dcr"):
            response[ep] = {**self._rates(rates, ep, {low: "low", high: "high", "Overall": "overall"}),
                            "p_value": self._p(tests, ep), "test": "Fisher's exact test"}
        response["bor_p_value"] = self._p(tests, "bor")
        drates, dtests = self.dynamics.rates(), self.dynamics.tests()
        included = self.dynamics.patients["included"]
        change = {"n": int(included.sum()), "excluded": int((~included).sum())}
        for ep in ("orr", "dcr"):
            change[ep] = {**self._rates(drates, ep, {"decreased": "decreased", "not_decreased": "not_decreased"}),
                          "p_value": self._p(dtests, ep), "test": "Fisher's exact test"}
        change["paired"] = [{k: r[k] for k in ("subset", "n", "median_d0", "median_d14", "statistic", "p_value",
                                                "method")} for r in self.dynamics.paired().iter_rows(named=True)]
        out = {
            "source": self.cohort.source,
            "n": self.cohort.n,
            "cutoff": self.cutoff,
            "groups": self.groups(),
            "flow": self.cohort.flow.to_dicts(),
            "response": response,
            "nlr_change": change,
            "pfs": self.pfs.to_dict(self.labels),
            "os": self.os.to_dict(self.labels),
            "table_one": {"tests": self.table_one.tests().select("variable", "test", "p_value").to_dicts()},
            "notes": list(self.notes),
        }
        if self.cutpoint is not None:
            out["cutpoint"] = self.cutpoint.to_dict()
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(json_safe(self.to_dict()), indent=indent, ensure_ascii=False)

    def compare_published(self, data: dict | None = None) -> pl.DataFrame:
        """Published vs reproduced numbers (see :func:`nlrstats.study.published.compare_published`).

        ``data`` is this object's ``to_dict()`` when the caller has it already.
        """
        return compare_published(data if data is not None else self.to_dict())

    def tidy(self) -> pl.DataFrame:
        return self.compare_published()

    def summary_text(self) -> str:
        """A few lines for the terminal."""
        d = self.to_dict()
        low, high = self.labels

        def pct(r):
            return "n/a" if r is None else f"{r['x']}/{r['n']} ({100 * r['estimate']:.1f}%)"

        def med(m):
            return "n/a" if m is None or m.get("estimate") is None else f"{m['estimate']:.1f}"

        def pval(p):
            return "n/a" if p is None else f"{p:.4f}"

        lines = [f"{d['source']}: {d['n']} patients; {low}: {d['groups'][0]['n']}, {high}: {d['groups'][1]['n']}"]
        r = d["response"]
        lines.append(f"DCR {pct(r['dcr']['low'])} vs {pct(r['dcr']['high'])}, Fisher p = {pval(r['dcr']['p_value'])}")
        c = d["nlr_change"]["orr"]
        lines.append(f"ORR by NLR fall at day 14: {pct(c['decreased'])} vs {pct(c['not_decreased'])}, "
                     f"Fisher p = {pval(c['p_value'])}")
        for ep in ("pfs", "os"):
            e = d[ep]
            lr = e["logrank"]["p_value"] if e["logrank"] else None
            lines.append(f"median {ep.upper()} {med(e['median'].get('low'))} vs {med(e['median'].get('high'))} "
                         f"months, log-rank p = {pval(lr)}")
        cp = d.get("cutpoint") or {}
        for ep in ("pfs", "os"):
            m = cp.get(ep)
            if m:
                lines.append(f"data-driven {ep.upper()} cut {m['cut']:.2f}: naive p = {pval(m['p_value_unadjusted'])}, "
                             f"adjusted for the search p = {pval(m['p_value'])} ({m['pmethod']})")
        agree = self.compare_published(d)
        lines.append(f"published numbers reproduced: {int(agree['agrees'].sum())}/{agree.height}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<StudyResults>\n{self.summary_text()}"


def _cox_or_firth(formula: str, data: pl.DataFrame) -> CoxPH:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        fit = coxph(formula, data, ties="efron")
    return coxph(formula, data, ties="efron", firth=True) if fit.monotone else fit


def _covariate_models(data: pl.DataFrame, time: str, event: str, label: str, covariates, notes: list[str],
                      nlr_fit: CoxPH):
    """Univariable fits (``nlr_fit``, the NLR-group model already fitted, first) and the multivariable one."""
    usable = [c for c in covariates if c in data.columns and data[c].drop_nulls().n_unique() > 1]
    uni = [nlr_fit]
    for term in usable:
        uni.append(_cox_or_firth(f"Surv({time}, {event}) ~ {term}", data.drop_nulls([term])))
    multi = None
    n_coef = 1 + sum(1 if data[c].dtype.is_numeric() and data[c].dtype != pl.Boolean
                     else data[c].drop_nulls().n_unique() - 1 for c in usable)
    events = int(data[event].sum())
    if usable and events >= 10 * n_coef:
        sub = data.drop_nulls(usable)
        multi = _cox_or_firth(f"Surv({time}, {event}) ~ nlr_group + " + " + ".join(usable), sub)
        if sub.height < data.height:
            notes.append(f"{label}: the multivariable model uses the {sub.height} patients complete in "
                         f"{', '.join(usable)} ({data.height - sub.height} excluded)")
    elif usable:
        notes.append(f"{label}: no multivariable model: {events} events for {n_coef} coefficients "
                     "(fewer than 10 events per coefficient)")
    return tuple(uni), multi


def _endpoint(data: pl.DataFrame, key: str, notes: list[str], covariates=()) -> EndpointResult:
    time, event, label = ENDPOINTS[key]
    formula = f"Surv({time}, {event}) ~ nlr_group"
    fit = survfit(formula, data)
    groups_present = data["nlr_group"].drop_nulls().n_unique()
    if groups_present < 2:
        notes.append(f"{label}: only one NLR group has patients; no log-rank test or hazard ratio")
        return EndpointResult(key, label, fit, None, None)
    logrank = survdiff(formula, data)
    with warnings.catch_warnings():
        # coxph warns exactly when it sets .monotone; the study reports it as a note instead
        warnings.simplefilter("ignore", MonotoneLikelihoodWarning)
        cox = coxph(formula, data, ties="efron")
    firth = None
    if cox.monotone:
        firth = coxph(formula, data, ties="efron", firth=True)
        notes.append(f"{label}: the Cox likelihood is monotone (a group without events or complete "
                     "separation), so the hazard ratio is reported from Firth's penalised Cox model")
    uni, multi = _covariate_models(data, time, event, label, covariates, notes, firth or cox)
    return EndpointResult(key, label, fit, logrank, cox, firth, uni, multi)


#: Covariates of the univariable (and, with enough events, multivariable) Cox models.
COX_COVARIATES = ("age", "ecog", "distant_metastasis")


def analyze(cohort: Cohort | str, cutoff: float | None = None, mapping=None, bootstrap: int = 200,
            seed: int = 2020, covariates=COX_COVARIATES) -> StudyResults:
    """Run the study's analysis plan on a cohort.

    Parameters
    ----------
    cohort : a :class:`~nlrstats.data.cohort.Cohort` or a path to a cohort file.
    cutoff : NLR cut-off (>= is high); default the cohort's own (8 unless loaded otherwise).
    mapping : mapping file, when ``cohort`` is a path.
    bootstrap : resamples for the cut-point stability analysis (0 skips it).
    covariates : covariates of the univariable and multivariable Cox models (those present are used).
    seed : seed of every resampling step, so that results are reproducible.

    Returns
    -------
    StudyResults
        ``to_dict()`` keys: ``n``, ``cutoff``, ``groups`` (list of {key: "low"|"high", label, n});
        ``response.orr|dcr.low|high|overall`` = {x, n, estimate, conf_low, conf_high},
        ``response.orr|dcr.p_value``; ``nlr_change.orr|dcr.decreased|not_decreased`` = {x, n, estimate,
        conf_low, conf_high}, ``nlr_change.orr|dcr.p_value``; ``pfs|os.median.low|high`` = {estimate,
        conf_low, conf_high, n, events}; ``pfs|os.logrank`` = {statistic, df, p_value};
        ``pfs|os.cox`` = {estimate, conf_low, conf_high, p_value, method}; ``cutpoint.pfs|os`` = {cut,
        statistic, p_value, pmethod, p_value_unadjusted}; ``cutpoint.roc_dcr`` = {auc, conf_low, conf_high,
        youden}; ``flow``; ``notes``. Missing quantities are null.
    """
    if not isinstance(cohort, Cohort):
        cohort = load_cohort(cohort, mapping=mapping, cutoff=cutoff if cutoff is not None else 8.0)
    if cutoff is not None and float(cutoff) != cohort.cutoff:
        cohort = cohort.with_cutoff(cutoff)
    notes: list[str] = []
    table_one = summarize(cohort.for_analysis("baseline_nlr"), by="nlr_group")
    response = response_by_group(cohort.for_analysis("response"), by="nlr_group")
    dynamics = nlr_dynamics(cohort.data)
    pfs = _endpoint(cohort.for_analysis("pfs"), "pfs", notes, covariates)
    os_ = _endpoint(cohort.for_analysis("os"), "os", notes, covariates)
    cut = cutpoint_section(cohort, published=8.0, bootstrap=bootstrap, seed=seed)
    return StudyResults(cohort, cohort.cutoff, table_one, response, dynamics, pfs, os_, cut, tuple(notes))


def hazard_ratio_frame(named_results: dict) -> pl.DataFrame:
    """Hazard ratios of high vs low NLR per endpoint and cohort, for a forest plot or a table.

    Parameters
    ----------
    named_results : cohort name -> :class:`StudyResults`.

    Returns
    -------
    polars.DataFrame with label ("PFS" / "OS"), cohort, estimate, conf_low, conf_high, p_value, method
    (Firth's fit where the ordinary likelihood is monotone); endpoints without a fit are
    kept with null estimates and method "not estimable".
    """
    rows = []
    for name, res in named_results.items():
        d = res.to_dict()
        for ep in ("pfs", "os"):
            cox = d[ep]["cox"]
            if cox is None:
                rows.append({"label": ep.upper(), "cohort": name, "estimate": None, "conf_low": None,
                             "conf_high": None, "p_value": None, "method": "not estimable"})
            else:
                rows.append({"label": ep.upper(), "cohort": name, **{k: cox[k] for k in
                             ("estimate", "conf_low", "conf_high", "p_value", "method")}})
    return pl.DataFrame(rows, schema={"label": pl.String, "cohort": pl.String, "estimate": pl.Float64,
                                      "conf_low": pl.Float64, "conf_high": pl.Float64, "p_value": pl.Float64,
                                      "method": pl.String})
