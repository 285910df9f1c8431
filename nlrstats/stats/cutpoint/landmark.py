"""Death or progression by a landmark time as a binary outcome for ROC analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.result import Result
from nlrstats.stats.cutpoint._inputs import column

__all__ = ["landmark_outcome", "LandmarkOutcome"]


@dataclass(frozen=True, eq=False)
class LandmarkOutcome(Result):
    """Event by ``landmark`` (True), event-free beyond it (False), or excluded (null).

    Patients censored before the landmark have unknown status and are excluded
    (``n_excluded``, rows in ``excluded_rows``); rows with a missing time or event are
    null too and counted in ``n_missing``. Pass the object to :func:`roc` as the outcome.
    """

    outcome: pl.Series = field(repr=False)
    landmark: float
    name: str
    n_events: int
    n_event_free: int
    n_excluded: int
    n_missing: int
    excluded_rows: np.ndarray = field(repr=False)

    def tidy(self) -> pl.DataFrame:
        """One row: landmark, n_events (cases), n_event_free (controls), n_excluded, n_missing."""
        return pl.DataFrame({"landmark": [self.landmark], "n_events": [self.n_events],
                             "n_event_free": [self.n_event_free], "n_excluded": [self.n_excluded],
                             "n_missing": [self.n_missing]})

    def __repr__(self) -> str:
        return (f"{self.name}: {self.n_events} with the event by {self.landmark:g}, {self.n_event_free} "
                f"event-free beyond it, {self.n_excluded} censored before it (excluded), "
                f"{self.n_missing} missing")


def landmark_outcome(time, event, landmark: float, data: pl.DataFrame | None = None) -> LandmarkOutcome:
    """Binary "event by the landmark" outcome from survival data.

    Parameters
    ----------
    time, event : array-like or column names
        Follow-up time and event indicator (0/1 or boolean).
    landmark : float
        E.g. 6 (months). An event at ``time <= landmark`` is a case; ``time > landmark``
        (with or without a later event) a control, as is censoring exactly at the landmark
        (known event-free up to it); censoring before the landmark is excluded.
    data : polars.DataFrame, optional

    Returns
    -------
    LandmarkOutcome
    """
    t_name, t = column(time, data, "time")
    e_name, e = column(event, data, "event")
    if t.len() != e.len():
        raise ValueError(f"time '{t_name}' and event '{e_name}' differ in length")
    tv = t.cast(pl.Float64).fill_nan(None).to_numpy()
    ev = e.cast(pl.Float64).fill_nan(None).to_numpy()
    miss = np.isnan(tv) | np.isnan(ev)
    bad = np.flatnonzero(~miss & (ev != 0) & (ev != 1))
    if bad.size:
        raise ValueError(f"event '{e_name}' must be 0/1 (row {bad[0]} has {ev[bad[0]]:g})")
    case = ~miss & (ev == 1) & (tv <= landmark)
    ctrl = ~miss & (tv > landmark) | (~miss & (ev == 0) & (tv == landmark))
    excl = ~miss & ~case & ~ctrl
    out = pl.Series(f"{e_name} by {landmark:g}", np.where(case, True, False)).set(
        pl.Series(miss | excl), None)
    return LandmarkOutcome(outcome=out, landmark=float(landmark), name=out.name, n_events=int(case.sum()),
                           n_event_free=int(ctrl.sum()), n_excluded=int(excl.sum()), n_missing=int(miss.sum()),
                           excluded_rows=np.flatnonzero(excl))
