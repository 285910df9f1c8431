"""The validation cohort's hazard ratio pooled with the reconstruction's and any published ones.

Per endpoint: the hazard ratio of the plan's high versus low group in this cohort and in the reference
cohort (e.g. the bundled reconstruction of Fukuda et al. 2020, analysed with the same plan), and
the published hazard ratios a document passes (a CSV or frame with label, hr, conf_low, conf_high and
optionally endpoint), pooled by :func:`nlrstats.stats.meta.rma` (random effects, REML by default, as
metafor's ``rma``; standard errors from the 95% limits). A study whose hazard ratio is not finite is
left out with the reason; with fewer than two studies nothing is pooled ("not estimable: ...").
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nlrstats.data.cohort import Cohort
from nlrstats.data.provenance import is_reconstruction
from nlrstats.stats.meta import rma
from nlrstats.stats.result import NOT_IN_JSON, Result
from nlrstats.study import published
from nlrstats.study.endpoints import endpoint_section
from nlrstats.study.plan import StudyPlan

__all__ = ["PooledStudy", "PooledEndpoint", "PoolingSection", "pooling_section", "read_published_hrs",
           "PublishedHRError"]

_COLUMNS = ("label", "hr", "conf_low", "conf_high")


class PublishedHRError(ValueError):
    """A published hazard ratio file that cannot be used (missing columns, a row that is not a valid HR)."""


@dataclass(frozen=True)
class PooledStudy:
    """One study's hazard ratio as pooled: where it comes from ("cohort", "reference", "published")."""

    label: str
    source: str
    estimate: float
    conf_low: float
    conf_high: float


@dataclass(frozen=True)
class PooledEndpoint(Result):
    """The pooled hazard ratio of one endpoint (None with ``reason`` when fewer than two studies)."""

    key: str
    label: str
    studies: tuple[PooledStudy, ...]
    method: str
    estimate: float | None
    conf_low: float | None
    conf_high: float | None
    p_value: float | None
    pi_low: float | None
    pi_high: float | None
    tau2: float | None
    i2: float | None
    q: float | None
    q_df: int | None
    q_p_value: float | None
    reason: str | None
    notes: tuple[str, ...]
    fit: object = field(default=None, metadata=NOT_IN_JSON, repr=False)  # the RMA, for the forest plot

    def tidy(self) -> pl.DataFrame:
        """The studies and the pooled row (term, type, estimate, conf_low, conf_high, weight) from ``rma``."""
        if self.fit is None:
            return pl.DataFrame(schema={"term": pl.String, "type": pl.String, "estimate": pl.Float64,
                                        "conf_low": pl.Float64, "conf_high": pl.Float64, "weight": pl.Float64})
        return self.fit.tidy().select("term", "type", "estimate", "conf_low", "conf_high", "weight")


@dataclass(frozen=True)
class PoolingSection(Result):
    """Pooled hazard ratios for PFS and OS."""

    pfs: PooledEndpoint
    os: PooledEndpoint

    def endpoint(self, key: str) -> PooledEndpoint:
        return {"pfs": self.pfs, "os": self.os}[key]

    def tidy(self) -> pl.DataFrame:
        return pl.concat([self.pfs.tidy().with_columns(pl.lit("pfs").alias("endpoint")),
                          self.os.tidy().with_columns(pl.lit("os").alias("endpoint"))])


def read_published_hrs(source, default_endpoint: str = "os") -> pl.DataFrame:
    """Published hazard ratios from a CSV/TSV path or a frame: label, hr, conf_low, conf_high[, endpoint].

    Rows without an ``endpoint`` column are taken as ``default_endpoint``'s. Every row must have
    0 < conf_low <= hr <= conf_high; the error names the row and the fix.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise PublishedHRError(f"published_hrs: no such file {path}; give a CSV with columns "
                                   "label, hr, conf_low, conf_high (and optionally endpoint)")
        frame = pl.read_csv(path, separator="\t" if path.suffix.lower() == ".tsv" else ",",
                            infer_schema_length=None)
    elif isinstance(source, pl.DataFrame):
        frame = source
    else:
        raise PublishedHRError(f"published_hrs must be a path or a polars DataFrame, got {type(source).__name__}")
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise PublishedHRError(f"published_hrs: missing column(s) {', '.join(missing)}; it has "
                               f"{', '.join(frame.columns)} (need label, hr, conf_low, conf_high)")
    if "endpoint" not in frame.columns:
        frame = frame.with_columns(pl.lit(default_endpoint).alias("endpoint"))
    out = frame.select(pl.col("label").cast(pl.String),
                       *[pl.col(c).cast(pl.Float64, strict=False) for c in ("hr", "conf_low", "conf_high")],
                       pl.col("endpoint").cast(pl.String).str.to_lowercase().str.strip_chars())
    for i, r in enumerate(out.iter_rows(named=True)):
        where = f"published_hrs row {i + 1} ({r['label']!r})"
        vals = [r["hr"], r["conf_low"], r["conf_high"]]
        if any(v is None or not math.isfinite(v) for v in vals):
            raise PublishedHRError(f"{where}: hr, conf_low and conf_high must be finite numbers")
        if not 0 < r["conf_low"] <= r["hr"] <= r["conf_high"]:
            raise PublishedHRError(f"{where}: need 0 < conf_low <= hr <= conf_high, got {vals}")
        if r["endpoint"] not in ("pfs", "os"):
            raise PublishedHRError(f"{where}: endpoint must be 'pfs' or 'os', got {r['endpoint']!r}")
    return out


def _own(plan, cohort, key, label, source, notes, results=None) -> PooledStudy | None:
    """The cohort's hazard ratio as a study: from ``results`` (its analysis under ``plan``) when given,
    else from a fresh endpoint section."""
    if results is not None:
        hr = results.endpoint(key).cox
    else:
        section_notes: list[str] = []
        try:
            hr = endpoint_section(plan, cohort, key, section_notes).cox
        except (ValueError, ArithmeticError) as exc:
            notes.append(f"{label}: no hazard ratio ({exc})")
            return None
    vals = None if hr is None else (hr.estimate, hr.conf_low, hr.conf_high)
    if vals is None or any(v is None or not math.isfinite(v) or v <= 0 for v in vals):
        notes.append(f"{label}: no finite hazard ratio with limits; left out")
        return None
    if hr.firth:
        notes.append(f"{label}: Firth's profile-likelihood limits; the standard error taken from them is approximate")
    return PooledStudy(label, source, *vals)


def _pool(key, label, studies, method, notes) -> PooledEndpoint:
    none = dict(estimate=None, conf_low=None, conf_high=None, p_value=None, pi_low=None, pi_high=None, tau2=None,
                i2=None, q=None, q_df=None, q_p_value=None)
    if len(studies) < 2:
        return PooledEndpoint(key, label, tuple(studies), method, **none,
                              reason=f"not estimable: {len(studies)} study with a hazard ratio (pooling needs 2)",
                              notes=tuple(notes))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # REML convergence remarks are in the fit's glance
            fit = rma(hr=[s.estimate for s in studies], conf_low=[s.conf_low for s in studies],
                      conf_high=[s.conf_high for s in studies], labels=[s.label for s in studies], method=method)
    except (ValueError, ArithmeticError) as exc:
        return PooledEndpoint(key, label, tuple(studies), method, **none, reason=f"not estimable: {exc}",
                              notes=tuple(notes))
    g = fit.glance().row(0, named=True)
    return PooledEndpoint(key, label, tuple(studies), method, g["estimate"], g["conf_low"], g["conf_high"],
                          g.get("p_value"), g.get("pi_low"), g.get("pi_high"), g.get("tau2"), g.get("i2"),
                          g.get("q"), g.get("q_df"), g.get("q_p_value"), None, tuple(notes), fit)


def pooling_section(plan: StudyPlan, cohort: Cohort, *, name: str = "This cohort", reference: Cohort | None = None,
                    reference_name: str = "Reference cohort", published_hrs=None, published_endpoint: str = "os",
                    method: str = "REML", results=None) -> PoolingSection:
    """Pool this cohort's hazard ratio (high vs low group) with the reference cohort's and published ones.

    Parameters
    ----------
    plan, cohort : the plan and the validation cohort.
    name, reference_name : how the two cohorts are labelled.
    reference : the reference cohort (e.g. the bundled reconstruction), analysed with the same plan; None for none.
    published_hrs : path or frame for :func:`read_published_hrs`, or None. When the reference is the bundled
        reconstruction and a published row is labelled as the reconstructed study (Fukuda 2020), the
        reconstruction is left out (it imitates the same patients) and a note says so.
    published_endpoint : the endpoint of published rows without an ``endpoint`` column.
    method : "REML" (default), "DL" or "FE", as :func:`nlrstats.stats.meta.rma`.
    results : :func:`nlrstats.study.analyze.analyze` of ``cohort`` under ``plan``, when already computed: its
        hazard ratios are used instead of fitting the endpoints again (at 10^6 patients, seconds each).
    """
    table = read_published_hrs(published_hrs, published_endpoint) if published_hrs is not None else None
    out = {}
    for key in ("pfs", "os"):
        e = plan.endpoint(key)
        notes: list[str] = []
        studies = []
        rows = table.filter(pl.col("endpoint") == key) if table is not None else None
        same = (reference is not None and is_reconstruction(reference) and rows is not None
                and rows.filter(pl.col("label").str.strip_chars().str.to_lowercase()
                                == published.SHORT_NAME.lower()).height > 0)
        if same:  # the reconstruction imitates the published patients: pooling both would count them twice
            notes.append(f"{reference_name} left out: the published {published.SHORT_NAME} row is the same patients")
        elif reference is not None:
            s = _own(plan, reference, key, reference_name, "reference", notes)
            studies += [s] if s else []
        s = _own(plan, cohort, key, name, "cohort", notes, results)
        studies += [s] if s else []
        if rows is not None:
            studies += [PooledStudy(r["label"], "published", r["hr"], r["conf_low"], r["conf_high"])
                        for r in rows.iter_rows(named=True)]
        out[key] = _pool(key, e.label, studies, method, notes)
    return PoolingSection(out["pfs"], out["os"])
