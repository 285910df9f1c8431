"""The sections a validation of a prognostic marker adds to the plan's analysis, as one call.

``validation_sections(plan, cohort)`` returns the marker as a continuous variable
(:mod:`nlrstats.study.continuous`), its discrimination beside the other blood-count markers
(:mod:`nlrstats.study.discrimination`), the hazard ratio pooled with a reference cohort and published
ones (:mod:`nlrstats.study.pooling`) and the REMARK checklist (:mod:`nlrstats.study.remark`). Each
section reports "not estimable: <reason>" for what a small or degenerate cohort cannot give.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.data.provenance import is_reconstruction
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.study.analyze import StudyResults, analyze
from nlrstats.study.continuous import ContinuousSection, continuous_section
from nlrstats.study.discrimination import DiscriminationSection, discrimination_section
from nlrstats.study.plan import StudyPlan
from nlrstats.study.pooling import PoolingSection, pooling_section
from nlrstats.study.remark import RemarkChecklist, remark_checklist

__all__ = ["ValidationSections", "validation_sections"]


@dataclass(frozen=True)
class ValidationSections(Result):
    """Continuous marker, discrimination, pooled evidence and the REMARK checklist of one cohort."""

    continuous: ContinuousSection
    discrimination: DiscriminationSection
    pooling: PoolingSection
    remark: RemarkChecklist
    reference_synthetic: bool
    plan: StudyPlan = field(metadata=NOT_IN_JSON)
    results: StudyResults = field(metadata=NOT_IN_JSON)

    @property
    def synthetic(self) -> bool:
        return self.results.synthetic

    @property
    def source(self) -> str:
        return self.results.source

    def tidy(self) -> pl.DataFrame:
        return self.continuous.tidy()


def validation_sections(plan: StudyPlan, cohort: Cohort, *, results: StudyResults | None = None,
                        name: str = "This cohort", reference: Cohort | None = None,
                        reference_name: str = "Reference cohort", published_hrs=None,
                        published_endpoint: str = "os", method: str = "REML") -> ValidationSections:
    """The validation sections of ``cohort`` under ``plan``.

    Parameters
    ----------
    plan, cohort : the analysis plan and the cohort.
    results : :func:`nlrstats.study.analyze.analyze` of the same plan and cohort, when already computed.
    name, reference_name : labels of this cohort and the reference cohort in the pooled estimate.
    reference : a cohort to pool with (the bundled reconstruction in the validation document), or None.
    published_hrs : published hazard ratios (a CSV path or frame; see
        :func:`nlrstats.study.pooling.read_published_hrs`), or None.
    published_endpoint : endpoint of published rows without an ``endpoint`` column.
    method : tau^2 estimator of the pooled estimate ("REML", "DL", "FE").
    """
    if results is None:
        results = analyze(cohort, plan)
    cont = continuous_section(plan, cohort)
    disc = discrimination_section(plan, cohort)
    pool = pooling_section(plan, cohort, name=name, reference=reference, reference_name=reference_name,
                           published_hrs=published_hrs, published_endpoint=published_endpoint, method=method,
                           results=results)
    remark = remark_checklist(plan, cohort, results, cont, disc, pool)
    return ValidationSections(cont, disc, pool, remark, reference is not None and is_reconstruction(reference), plan,
                              results)
