"""Synthetic cohorts of any size with a known NLR effect (for validation reports, tests, benchmarks).

Generative model (all draws vectorised with one ``numpy.random.Generator``):

- baseline NLR: log-normal (median ``nlr_median``, log-sd ``nlr_log_sd``); lymphocytes log-normal;
  neutrophils = NLR x lymphocytes; "high" means NLR >= ``cutoff``.
- progression and death: independent exponential times with proportional hazards. Death hazard
  ``ln 2 / os_median_low`` times ``os_hr`` if high; progression hazard chosen so that PFS
  = min(progression, death) has median ``pfs_median_low`` in the low group and hazard ratio
  ``pfs_hr`` (a mixture of two proportional hazards is itself proportional, so the PFS and OS hazard
  ratios are exactly the stated ones).
- censoring: administrative, uniform on ``follow_up`` months.
- best overall response: categorical with probabilities ``response_low`` / ``response_high``.
- NLR at day 14: falls for responders (log change mean -0.3) and drifts up for the rest (+0.05).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from nlrstats.data.plausibility import FOLLOW_UP_MEDIAN_MONTHS
from nlrstats.data.schema import RESPONSE_CODES

__all__ = ["SimulationTruth", "simulate_cohort", "write_cohort", "write_foreign_cohort"]


@dataclass(frozen=True)
class SimulationTruth:
    """The parameters a simulated cohort was drawn from (the "known truth")."""

    n: int
    seed: int
    cutoff: float = 8.0
    nlr_median: float = 5.0
    nlr_log_sd: float = 0.6
    pfs_median_low: float = 4.0
    os_median_low: float = 10.2
    pfs_hr: float = 2.5
    os_hr: float = 2.5
    follow_up: tuple[float, float] = (6.0, 36.0)
    response_low: tuple[float, ...] = (0.02, 0.28, 0.55, 0.13, 0.02)
    response_high: tuple[float, ...] = (0.0, 0.05, 0.20, 0.65, 0.10)
    missing_d14: float = 0.0
    time_decimals: int = 2

    def as_dict(self) -> dict:
        return asdict(self)


def simulate_cohort(n: int, seed: int = 1, **params) -> pl.DataFrame:
    """Draw a schema-valid cohort of ``n`` patients.

    Parameters
    ----------
    n : number of patients (1 to 10^6 and beyond; 10^6 takes about a second).
    seed : seed of ``numpy.random.default_rng``; the same (n, seed, params) give the same frame.
    **params : any field of :class:`SimulationTruth` (e.g. ``pfs_hr=1.0`` for no effect).

    Returns
    -------
    polars.DataFrame in the canonical schema (counts 10^9/L, times months).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    truth = SimulationTruth(n=n, seed=seed, **params)
    for name in ("response_low", "response_high"):
        p = getattr(truth, name)
        if len(p) != 5 or abs(sum(p) - 1) > 1e-9:
            raise ValueError(f"{name} must be 5 probabilities for CR, PR, SD, PD, NE summing to 1")
    rng = np.random.default_rng(seed)
    lym0 = np.exp(rng.normal(math.log(1.4), 0.4, n))
    # clipped to the range seen in practice so every simulated count passes validation
    nlr0 = np.clip(np.exp(rng.normal(math.log(truth.nlr_median), truth.nlr_log_sd, n)), 0.3, 60)
    # and lymphocytes capped so that neutrophils (NLR x lymphocytes) stay <= 150 x 10^9/L, inside the
    # validator's plausible range (0.01-200) at any n: a 10^6 draw otherwise reaches 224
    lym0 = np.round(np.clip(lym0, 0.05, np.floor(100 * 150 / nlr0) / 100), 2)
    neu0 = np.round(nlr0 * lym0, 2)
    neu0 = np.maximum(neu0, 0.05)
    high = (neu0 / lym0) >= truth.cutoff
    mono = np.round(np.exp(rng.normal(math.log(0.5), 0.3, n)), 2)
    plt_ = np.round(np.exp(rng.normal(math.log(260), 0.3, n)))
    wbc = np.round(neu0 + lym0 + mono + np.exp(rng.normal(math.log(0.2), 0.3, n)), 2)

    lam_d = math.log(2) / truth.os_median_low
    lam_p = math.log(2) / truth.pfs_median_low - lam_d
    if lam_p <= 0:
        raise ValueError("pfs_median_low must be shorter than os_median_low")
    hr_os = np.where(high, truth.os_hr, 1.0)
    # progression hazard in the high group solves lam_p*h + lam_d*os_hr = (lam_p+lam_d)*pfs_hr
    hp_high = ((lam_p + lam_d) * truth.pfs_hr - lam_d * truth.os_hr) / lam_p
    if hp_high <= 0:
        raise ValueError("pfs_hr too small relative to os_hr for a positive progression hazard")
    hr_prog = np.where(high, hp_high, 1.0)
    d = truth.time_decimals
    while True:
        t_death = rng.exponential(1 / (lam_d * hr_os))
        t_prog = rng.exponential(1 / (lam_p * hr_prog))
        censor = rng.uniform(*truth.follow_up, n)
        os_t = np.round(np.minimum(t_death, censor), d)
        pfs_raw = np.minimum(np.minimum(t_prog, t_death), censor)
        pfs_t = np.round(pfs_raw, d)
        os_t = np.maximum(os_t, 10.0 ** -d)
        pfs_t = np.minimum(np.maximum(pfs_t, 10.0 ** -d), os_t)
        # the validator reads a median follow-up under a week as a unit slip; a tiny cohort (one patient
        # who progressed on day 0) can draw one: draw its times again (a cohort of 10 almost never does,
        # so the frames of existing seeds are unchanged)
        if np.median(pfs_t) >= FOLLOW_UP_MEDIAN_MONTHS[0]:
            break
    os_ev = (t_death <= censor).astype(np.int64)
    pfs_ev = (np.minimum(t_prog, t_death) <= censor).astype(np.int64)

    u = rng.random(n)
    cum_low, cum_high = np.cumsum(truth.response_low), np.cumsum(truth.response_high)
    idx = np.where(high, np.searchsorted(cum_high, u, side="right"), np.searchsorted(cum_low, u, side="right"))
    idx = np.minimum(idx, 4)
    codes = np.array(RESPONSE_CODES)
    responder = idx <= 1
    log_change = np.clip(rng.normal(np.where(responder, -0.3, 0.05), 0.3), -1.5, 1.5)
    lym14 = np.round(np.maximum(lym0 * np.exp(rng.normal(0, 0.15, n)), 0.05), 2)
    neu14 = np.round(np.clip((neu0 / lym0) * np.exp(log_change) * lym14, 0.05, 150), 2)
    if truth.missing_d14 > 0:
        miss = rng.random(n) < truth.missing_d14
        neu14 = np.where(miss, np.nan, neu14)
        lym14 = np.where(miss, np.nan, lym14)
    lo = np.array([-100, -100, -30, 20, np.nan])[idx]
    hi = np.array([-100, -30, 20, 80, np.nan])[idx]
    pct = np.round(lo + (hi - lo) * rng.random(n), 1)

    ecog = np.minimum(rng.choice(5, size=n, p=[0.2, 0.45, 0.25, 0.08, 0.02]) + high.astype(int) * (rng.random(n) < 0.3), 4)
    return pl.DataFrame(
        {
            "patient_id": pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(len(str(n))),
            "age": np.round(np.clip(rng.normal(70, 9, n), 30, 95)),
            "sex": np.where(rng.random(n) < 0.55, "F", "M"),
            "ecog": ecog.astype(np.int64),
            "distant_metastasis": rng.random(n) < np.where(high, 0.85, 0.6),
            "tumor_size_cm": np.round(np.clip(np.exp(rng.normal(math.log(6.5), 0.3, n)), 1, 30), 1),
            "wbc": wbc,
            "neutrophils_d0": neu0,
            "lymphocytes_d0": lym0,
            "monocytes_d0": mono,
            "platelets_d0": plt_,
            "neutrophils_d14": neu14,
            "lymphocytes_d14": lym14,
            "best_response": codes[idx],
            "best_pct_change": pct,
            "pfs_months": pfs_t,
            "pfs_event": pfs_ev,
            "os_months": os_t,
            "os_event": os_ev,
        },
        nan_to_null=True,
    ).with_columns(("SIM" + pl.col("patient_id")).alias("patient_id"))


def write_cohort(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write a cohort frame as CSV, Parquet or Excel, chosen by the suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    elif suffix == ".xlsx":
        frame.write_excel(path)
    else:
        raise ValueError(f"cannot write {path}: use .csv, .parquet or .xlsx")
    return path


#: How :func:`write_foreign_cohort` names columns (canonical -> hospital export name).
FOREIGN_COLUMNS = {
    "patient_id": "Study ID", "age": "Age (years)", "sex": "Gender", "ecog": "PS",
    "distant_metastasis": "M1", "tumor_size_cm": "Tumour size", "wbc": "WBC_baseline",
    "neutrophils_d0": "ANC_baseline", "lymphocytes_d0": "ALC_baseline", "monocytes_d0": "AMC_baseline",
    "platelets_d0": "PLT_baseline", "neutrophils_d14": "ANC_day14", "lymphocytes_d14": "ALC_day14",
    "best_response": "Best response", "best_pct_change": "Best change (%)",
    "pfs_months": "PFS (days)", "pfs_event": "Progressed", "os_months": "OS (days)", "os_event": "Vital status",
}
_RESPONSE_WORDS = {"CR": "Complete response", "PR": "Partial response", "SD": "Stable disease",
                   "PD": "Progressive disease", "NE": "Not evaluable"}


def write_foreign_cohort(frame: pl.DataFrame, data_path: str | Path, mapping_path: str | Path) -> tuple[Path, Path]:
    """Write a cohort as a hospital export would (other names, words, cells/uL, days) and its mapping.

    The pair exercises every feature of a mapping file and is how the validation report is tested.
    """
    counts = ["wbc", "neutrophils_d0", "lymphocytes_d0", "monocytes_d0", "platelets_d0",
              "neutrophils_d14", "lymphocytes_d14"]
    out = frame.with_columns(
        [(pl.col(c) * 1000).round(0).cast(pl.Int64) for c in counts]
        + [(pl.col(c) * 30.4375).round(2) for c in ("pfs_months", "os_months")]
        + [
            pl.col("best_response").replace_strict(_RESPONSE_WORDS, return_dtype=pl.String),
            pl.col("sex").replace_strict({"F": "female", "M": "male"}, return_dtype=pl.String),
            pl.col("os_event").replace_strict({1: "dead", 0: "alive"}, return_dtype=pl.String),
            pl.col("pfs_event").replace_strict({1: "yes", 0: "no"}, return_dtype=pl.String),
            pl.col("distant_metastasis").replace_strict({True: "yes", False: "no"}, return_dtype=pl.String),
        ]
    ).rename(FOREIGN_COLUMNS)
    data_path = write_cohort(out, data_path)
    lines = ["# Mapping for a hospital export: other names, words, cells/uL, days", "[columns]"]
    lines += [f'{k} = "{v}"' for k, v in FOREIGN_COLUMNS.items()]
    lines += ["", "[values.best_response]"] + [f'"{w}" = "{c}"' for c, w in _RESPONSE_WORDS.items()]
    lines += ["", "[values.sex]", '"female" = "F"', '"male" = "M"',
              "", "[values.os_event]", '"dead" = 1', '"alive" = 0',
              "", "[values.pfs_event]", '"yes" = 1', '"no" = 0',
              "", "[values.distant_metastasis]", '"yes" = "true"', '"no" = "false"',
              "", "[units]", 'counts = "cells/uL"', 'time = "days"', ""]
    mapping_path = Path(mapping_path)
    mapping_path.write_text("\n".join(lines), encoding="utf-8")
    return data_path, mapping_path
