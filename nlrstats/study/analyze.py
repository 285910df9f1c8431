"""A study's analysis plan as one call: ``analyze(cohort, plan)``.

Sections, each a typed result of its own module:

- Table 1 by the plan's groups (:func:`nlrstats.study.table_one.summarize`);
- best overall response, ORR and DCR by group (:mod:`nlrstats.study.sections`);
- the marker's change by day 14 versus response (:mod:`nlrstats.study.sections`);
- PFS and OS by group: Kaplan-Meier, log-rank, Cox or Firth (:mod:`nlrstats.study.endpoints`);
- robustness of the cut-off: maxstat, ROC, bootstrap (:mod:`nlrstats.study.robustness`).

Results are read by attribute (``results.response.dcr.low.estimate``); ``to_dict()`` / ``to_json()`` are
derived from the same fields, so a JSON key path is the attribute path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort, load_cohort
from nlrstats.data.progress import stage
from nlrstats.data.provenance import is_reconstruction
from nlrstats.stats.result import NOT_IN_JSON, Result, json_safe, to_plain
from nlrstats.study.endpoints import EndpointSection, endpoint_section
from nlrstats.study.plan import StudyPlan
from nlrstats.study.published import compare_published
from nlrstats.study.robustness import CutpointSection, cutpoint_section
from nlrstats.study.sections import ChangeSection, ResponseSection, change_section, response_section
from nlrstats.study.summaries import Group, Groups
from nlrstats.study.table_one import TABLE_ONE_VARIABLES, TableOne, summarize

__all__ = ["analyze", "StudyResults", "hazard_ratio_frame"]


@dataclass(frozen=True)
class StudyResults(Result):
    """Everything :func:`analyze` computes, with the plan and the cohort it came from.

    ``to_dict()`` keys (the attribute paths): ``source``, ``n``, ``marker``, ``cutoff``, ``plan``,
    ``groups`` (list of {key: "low"|"high", label, n}; attributes ``groups.low.n``), ``flow``;
    ``response.orr|dcr.low|high|overall`` = {x, n, estimate, conf_low, conf_high}, ``response.orr|dcr.p_value``,
    ``response.bor_p_value``; ``nlr_change.n``, ``.excluded``, ``nlr_change.orr|dcr.decreased|not_decreased``,
    ``.p_value``, ``nlr_change.paired``; ``pfs|os.median.low|high`` = {estimate, conf_low, conf_high, n,
    events}; ``pfs|os.logrank`` = {statistic, df, p_value}; ``pfs|os.cox`` = {term, estimate, conf_low,
    conf_high, p_value, method, monotone_likelihood}; ``cutpoint.pfs|os`` = {cut, statistic, p_value,
    pmethod, p_value_unadjusted, n, events}; ``cutpoint.roc_dcr``; ``cutpoint.bootstrap``;
    ``table_one.tests``; ``notes``; ``synthetic`` (the data are the bundled reconstruction). Missing
    quantities are null.
    """

    groups: Groups
    table_one: TableOne
    response: ResponseSection
    nlr_change: ChangeSection
    pfs: EndpointSection
    os: EndpointSection
    cutpoint: CutpointSection | None
    notes: tuple[str, ...]
    synthetic: bool
    plan: StudyPlan = field(metadata=NOT_IN_JSON)
    cohort: Cohort = field(metadata=NOT_IN_JSON)

    json_properties = ("source", "n", "marker", "cutoff", "plan_summary", "flow")

    @property
    def source(self) -> str:
        return self.cohort.source

    @property
    def n(self) -> int:
        return self.cohort.n

    @property
    def marker(self) -> str:
        return self.plan.marker

    @property
    def cutoff(self) -> float:
        return self.plan.cutoff

    @property
    def labels(self):
        return self.plan.labels

    @property
    def plan_summary(self) -> dict:
        return self.plan.describe()

    @property
    def flow(self) -> pl.DataFrame:
        return self.plan.flow(self.cohort)

    @property
    def change(self) -> ChangeSection:
        """The marker's change by day 14 (``nlr_change`` keeps the paper's name in the JSON)."""
        return self.nlr_change

    def endpoint(self, key: str) -> EndpointSection:
        return {"pfs": self.pfs, "os": self.os}[key]

    def to_dict(self) -> dict:
        """Nested plain values with the keys in the class docstring (JSON-safe after :func:`json_safe`)."""
        out = to_plain(self)
        head = {k: out.pop(k) for k in ("source", "n", "marker", "cutoff")}
        head["plan"] = out.pop("plan_summary")
        return {**head, **out}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(json_safe(self.to_dict()), indent=indent, ensure_ascii=False)

    def compare_published(self) -> pl.DataFrame:
        """Published vs reproduced numbers (see :func:`nlrstats.study.published.compare_published`)."""
        return compare_published(self)

    def tidy(self) -> pl.DataFrame:
        return self.compare_published()

    def __repr__(self) -> str:
        g = self.groups
        return (f"<StudyResults {self.source}: {self.n} patients; {g.low.label}: {g.low.n}, "
                f"{g.high.label}: {g.high.n}; plan {self.plan.name}>")


def _groups(plan: StudyPlan, cohort: Cohort) -> Groups:
    data = plan.analysis_data(cohort, plan.baseline_analysis)
    counts = dict(data[plan.group_column].cast(pl.String).value_counts().iter_rows())
    low, high = plan.labels
    return Groups(Group("low", low, int(counts.get(low, 0))), Group("high", high, int(counts.get(high, 0))))


def _table_one(plan: StudyPlan, cohort: Cohort) -> TableOne:
    data = plan.analysis_data(cohort, plan.baseline_analysis)
    variables = [v for v in TABLE_ONE_VARIABLES if v in data.columns and data[v].null_count() < data.height]
    if plan.marker_column not in variables:
        variables.append(plan.marker_column)
    # the plan's marker under its name ("PLR"), not its column ("plr_d0")
    return summarize(data, by=plan.group_column, variables=variables,
                     labels={plan.marker_column: plan.marker_label})


def analyze(cohort: Cohort | str, plan: StudyPlan | None = None, *, mapping=None, **changes) -> StudyResults:
    """Run a study's analysis plan on a cohort.

    Parameters
    ----------
    cohort : a :class:`~nlrstats.data.cohort.Cohort` or a path to a cohort file.
    plan : the plan; default :meth:`StudyPlan.fukuda2020`.
    mapping : mapping file, when ``cohort`` is a path.
    **changes : plan fields to change, e.g. ``cutoff=5``, ``marker="plr"``, ``bootstrap=0``
        (``plan.replace(**changes)``; None leaves a field as it is).

    Returns
    -------
    StudyResults
    """
    if not isinstance(cohort, Cohort):
        cohort = load_cohort(cohort, mapping=mapping)
    plan = (plan or StudyPlan.fukuda2020()).replace(**changes)
    notes: list[str] = []
    steps = (("groups", "groups", lambda: _groups(plan, cohort)),
             ("table_one", "Table 1", lambda: _table_one(plan, cohort)),
             ("response", "response", lambda: response_section(plan, cohort)),
             ("nlr_change", "marker change by day 14", lambda: change_section(plan, cohort)),
             ("pfs", "progression-free survival", lambda: endpoint_section(plan, cohort, "pfs", notes)),
             ("os", "overall survival", lambda: endpoint_section(plan, cohort, "os", notes)),
             ("cutpoint", "cut-point robustness", lambda: cutpoint_section(plan, cohort)))
    sections = {}
    for key, name, run in steps:
        with stage(f"analyze {cohort.n} patients: {name}"):
            sections[key] = run()
    return StudyResults(**sections, notes=tuple(notes), synthetic=is_reconstruction(cohort), plan=plan,
                        cohort=cohort)


def hazard_ratio_frame(named_results: dict) -> pl.DataFrame:
    """Hazard ratios of the high vs the low group per endpoint and cohort, for a forest plot or a table.

    Parameters
    ----------
    named_results : cohort name -> :class:`StudyResults`.

    Returns
    -------
    polars.DataFrame with label ("PFS" / "OS"), cohort, estimate, conf_low, conf_high, p_value, method
    (Firth's fit where the ordinary likelihood is monotone); endpoints without a fit are kept with null
    estimates and method "not estimable".
    """
    rows = []
    for name, res in named_results.items():
        for key in ("pfs", "os"):
            section = res.endpoint(key)
            hr = section.cox
            values = ({k: getattr(hr, k) for k in ("estimate", "conf_low", "conf_high", "p_value", "method")}
                      if hr is not None else {"estimate": None, "conf_low": None, "conf_high": None,
                                              "p_value": None, "method": "not estimable"})
            rows.append({"label": section.endpoint.abbreviation, "cohort": name, **values})
    return pl.DataFrame(rows, schema={"label": pl.String, "cohort": pl.String, "estimate": pl.Float64,
                                      "conf_low": pl.Float64, "conf_high": pl.Float64, "p_value": pl.Float64,
                                      "method": pl.String})
