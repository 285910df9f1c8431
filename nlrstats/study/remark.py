"""The REMARK checklist (McShane et al., J Natl Cancer Inst 2005;97:1180-4), filled where the analysis knows.

REporting recommendations for tumour MARKer prognostic studies: 20 items. Each item here carries its
(abridged) wording, what the analysis can say about it (numbers of patients and events, where the cut-off
comes from, missing marker values, median follow-up by the reverse Kaplan-Meier method of Schemper &
Smith, Control Clin Trials 1996, the models fitted) and a status: "reported" (the document answers it),
"partly" (the document answers part of it; the author completes the rest) or "author to complete"
(only the study team knows: assays, specimens, treatment allocation, rationale of the sample size).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.stats.result import Result
from nlrstats.stats.survival import survfit
from nlrstats.study import published
from nlrstats.study.plan import StudyPlan

__all__ = ["RemarkItem", "RemarkChecklist", "remark_checklist", "REMARK_ITEMS", "reverse_km_followup",
           "AUTHOR", "PARTLY", "REPORTED"]

AUTHOR, PARTLY, REPORTED = "author to complete", "partly", "reported"

#: (number, section, abridged wording) of McShane et al. (2005), Table 1
REMARK_ITEMS = (
    (1, "Introduction", "State the marker examined, the study objectives and any prespecified hypotheses."),
    (2, "Patients", "Describe the patients: source, inclusion and exclusion criteria, characteristics."),
    (3, "Patients", "Describe the treatments received and how they were chosen."),
    (4, "Specimens", "Describe the biological material used and its preservation and storage."),
    (5, "Assay methods", "Specify the assay method, its protocol and quality control, and blinding to the endpoint."),
    (6, "Study design", "State the case selection (prospective or retrospective), the period, the end of follow-up "
                        "and the median follow-up."),
    (7, "Study design", "Precisely define all clinical endpoints examined."),
    (8, "Study design", "List all candidate variables examined or considered for the models."),
    (9, "Study design", "Give the rationale for the sample size (target power and effect size, if designed so)."),
    (10, "Statistical methods", "Specify all statistical methods: variable selection, model assumptions, "
                                "missing data."),
    (11, "Statistical methods", "Clarify how marker values were handled; describe any cut-point determination."),
    (12, "Data", "Describe the flow of patients, with the numbers of patients and events in each analysis."),
    (13, "Data", "Report the distributions of demographic and prognostic variables and of the marker, with "
                 "missing values."),
    (14, "Analysis", "Show the relation of the marker to standard prognostic variables."),
    (15, "Analysis", "Present univariable analyses of the marker and outcome (hazard ratio, survival curves)."),
    (16, "Analysis", "For key multivariable analyses, report hazard ratios with confidence intervals for the "
                     "marker and all other variables."),
    (17, "Analysis", "Report the marker's effect from a model with the standard prognostic variables, regardless "
                     "of their significance."),
    (18, "Analysis", "Report further investigations: checks of assumptions, sensitivity analyses, internal "
                     "validation."),
    (19, "Discussion", "Interpret the results in the context of the hypotheses and other studies; discuss "
                       "limitations."),
    (20, "Discussion", "Discuss implications for future research and clinical value."),
)


@dataclass(frozen=True)
class RemarkItem:
    number: int
    section: str
    item: str
    status: str
    answer: str


@dataclass(frozen=True)
class RemarkChecklist(Result):
    """The 20 REMARK items with what the analysis fills in; ``followup`` the reverse-KM median (OS)."""

    items: tuple[RemarkItem, ...]
    followup: float | None
    followup_conf_low: float | None
    followup_conf_high: float | None

    def tidy(self) -> pl.DataFrame:
        """number, section, item, status, answer."""
        return pl.DataFrame([i.__dict__ for i in self.items],
                            schema={"number": pl.Int64, "section": pl.String, "item": pl.String, "status": pl.String,
                                    "answer": pl.String})

    def count(self, status: str) -> int:
        return sum(i.status == status for i in self.items)


def reverse_km_followup(plan: StudyPlan, cohort: Cohort, key: str = "os") -> tuple[float | None, float | None,
                                                                                   float | None]:
    """Median follow-up by the reverse Kaplan-Meier method: censoring as the event (Schemper & Smith 1996)."""
    e = plan.endpoint(key)
    data = plan.analysis_data(cohort, key).select(e.time, e.event).drop_nulls()
    if data.height == 0 or int(data[e.event].cast(pl.Int64).sum()) == data.height:
        return None, None, None  # nobody censored: follow-up is complete, the reverse curve has no events
    rev = data.with_columns((1 - pl.col(e.event).cast(pl.Int64)).alias("censored"))
    m = survfit(f"Surv({e.time}, censored) ~ 1", rev).median().row(0, named=True)
    return m["median"], m["conf_low"], m["conf_high"]


def _fmt(x: float | None, unit: str) -> str:
    return "not reached" if x is None else f"{x:.1f} {unit}"


def _counts(plan: StudyPlan, cohort: Cohort, e) -> str:
    data = plan.analysis_data(cohort, e.key)
    events = int(data[e.event].cast(pl.Int64).sum() or 0) if data.height else 0
    return f"{e.abbreviation}: {data.height} patients, {events} events"


def remark_checklist(plan: StudyPlan, cohort: Cohort, results, continuous=None, discrimination=None,
                     pooling=None) -> RemarkChecklist:
    """The checklist for this analysis; ``results`` is the :class:`~nlrstats.study.analyze.StudyResults`.

    The answers are plain text built from the analysis (no markup); the status says who completes the rest.
    """
    unit = plan.time_unit
    label = plan.marker_label
    flow = plan.flow(cohort)
    paper = plan.marker == published.MARKER and plan.cutoff == published.CUTOFF
    origin = (f"prespecified: the cut-off of {published.SHORT_NAME} ({label} {plan.cutoff:g}), not chosen on these "
              "data" if paper else f"given by the analysis plan ({plan.name}): {label} {plan.cutoff:g}")
    missing = int(cohort.data[plan.marker_column].null_count())
    ev = {k: results.endpoint(k) for k in ("pfs", "os")}
    counts = "; ".join(_counts(plan, cohort, e) for e in plan.endpoints)
    cut = getattr(results, "cutpoint", None)
    boot = getattr(cut, "bootstrap", None)  # the resamples run (capped at scale), not the plan's request
    robust = ("maximally selected rank statistics" + (f", bootstrap of the optimal cut over {boot.B} "
                                                      "resamples" if boot is not None and boot.B else "")
              if cut is not None else "not estimable on these data")
    fu, fu_lo, fu_hi = reverse_km_followup(plan, cohort)
    fu_text = ("not estimable: no patient censored for overall survival" if fu is None and fu_lo is None
               and fu_hi is None else f"median follow-up {_fmt(fu, unit)} (reverse Kaplan-Meier, overall survival)")
    multi = [k.upper() for k, e in ev.items() if e.multivariable is not None]
    cont = []
    if continuous is not None:
        for e in (continuous.pfs, continuous.os):
            cont.append(f"{e.key.upper()}: " + (f"rcs with {e.knots} knots" if e.knots else "no spline")
                        + (", HR per doubling" if e.per_doubling else ""))
    answers = {
        1: (PARTLY, f"Marker: baseline {label} ({plan.marker_spec.name}), split at {plan.cutoff:g} ({origin}). "
                    "Objectives and hypotheses: author to complete."),
        2: (PARTLY, f"{cohort.n} patients from {cohort.source}; characteristics in the Table of characteristics. "
                    "Source, inclusion and exclusion criteria: author to complete."),
        3: (AUTHOR, "Treatment and how it was chosen: author to complete."),
        4: (PARTLY, f"{label} from peripheral blood counts before treatment (day 0). Sampling and storage: "
                    "author to complete."),
        5: (AUTHOR, "Blood count method, laboratory quality control, blinding: author to complete."),
        6: (PARTLY, f"{fu_text}. Design (prospective or retrospective), period and end of follow-up: author "
                    "to complete."),
        7: (REPORTED, "; ".join(f"{e.label} ({e.abbreviation}): {e.time} with event indicator {e.event}"
                                for e in plan.endpoints) + ". Definitions of progression and death: as the protocol."),
        8: (REPORTED, f"{label} and the other blood-count markers of the discrimination section; covariates: "
                      f"{', '.join(plan.covariates) or 'none'}."),
        9: (AUTHOR, f"Rationale of the sample size: author to complete ({counts})."),
        10: (REPORTED, "Kaplan-Meier with log-rank tests; Cox models with Efron ties (Firth's penalised model when "
                       f"a group has no events); a multivariable model only with {plan.events_per_coefficient} events "
                       "per coefficient; missing values: a patient missing a variable is left out of the analyses "
                       "that need it (patient flow table). Proportional hazards: author to check."),
        11: (REPORTED, f"{label} dichotomised at {plan.cutoff:g} ({origin}); also continuous"
                       + (f" ({'; '.join(cont)})" if cont else "") + f"; data-driven cut-points ({robust}) reported "
                       "as exploratory only."),
        12: (REPORTED, "Patients per analysis with reasons for exclusion in the patient flow table; "
                       f"{counts}. Excluded from any analysis: {int(flow['excluded'].max() or 0)} at most."),
        13: (PARTLY, f"Table of characteristics by group; {label} missing in {missing} of {cohort.n} patients. "
                     "Standard disease-specific prognostic variables: author to complete if not in the file."),
        14: (REPORTED, f"Characteristics by {label} group with tests in the Table of characteristics."),
        15: (REPORTED, "Kaplan-Meier curves, medians, log-rank tests and univariable hazard ratios per endpoint"
                       + ("; the continuous marker and discrimination sections" if continuous is not None else "")
                       + "."),
        16: ((REPORTED, f"Multivariable Cox models for {', '.join(multi)}: the adjusted hazard ratio tables.") if multi else
             (PARTLY, f"No multivariable model: fewer than {plan.events_per_coefficient} events per coefficient "
                      "(the study notes say so); author to discuss.")),
        17: ((REPORTED, "The marker adjusted for the plan's covariates, all shown.") if multi else
             (PARTLY, "Not estimable with these events; author to complete from a larger cohort.")),
        18: (PARTLY, f"Robustness of the cut-off ({robust})"
                     + (", pooled evidence with other studies" if pooling is not None else "")
                     + ". Checks of proportional hazards and internal validation: author to complete."),
        19: (AUTHOR, "Interpretation and limitations: author to complete."),
        20: (AUTHOR, "Implications for research and clinical use: author to complete."),
    }
    items = tuple(RemarkItem(n, sec, text, *answers[n]) for n, sec, text in REMARK_ITEMS)
    return RemarkChecklist(items, fu, fu_lo, fu_hi)
