"""Generate data/fukuda2020_reconstructed.csv: a synthetic 13-patient cohort that reproduces
every aggregate published by Fukuda et al., In Vivo 2020;34(5):2859-64.

The real patient data are not public. Each patient below is designed, not sampled:
- 9 patients with baseline NLR < 8 and 4 with NLR >= 8;
- disease control (CR/PR/SD) 8/9 vs 1/4 (Fisher two-sided p = 0.0517);
- NLR lower at day 14 than at day 0 in 7 patients, objective response 3/7 vs 0/6 (p = 0.192);
  overall ORR 3/13;
- Kaplan-Meier median PFS 4.0 vs 1.6 months and median OS 10.2 vs 3.8 months (log-rank p < 0.05);
- plausible age, sex, ECOG, metastasis, tumour size and blood counts for anaplastic thyroid cancer.
Counts are derived from the designed NLR and a lymphocyte count, rounded to 2 decimals, so the file
is byte-for-byte reproducible. Run: python scripts/make_reconstructed_cohort.py
"""

from __future__ import annotations

import csv
from pathlib import Path

# id, age, sex, ecog, mets, size_cm, lymph_d0, nlr_d0, lymph_d14, nlr_d14, mono, plt, other_wbc,
# best_response, best_pct_change, pfs, pfs_event, os, os_event
PATIENTS = [
    # NLR < 8
    ("ATC01", 74, "F", 1, 1, 6.8, 1.10, 6.9, 1.05, 8.2, 0.52, 288, 0.21, "PD", 28.4, 1.9, 1, 4.3, 1),
    ("ATC02", 68, "M", 1, 1, 5.9, 1.42, 4.1, 1.61, 3.3, 0.47, 241, 0.18, "SD", -12.5, 2.5, 1, 6.1, 1),
    ("ATC03", 81, "F", 2, 1, 7.4, 1.25, 5.2, 1.18, 5.9, 0.61, 312, 0.24, "SD", 4.8, 3.1, 1, 7.9, 1),
    ("ATC04", 77, "M", 1, 0, 6.1, 1.58, 3.7, 1.52, 4.0, 0.44, 198, 0.16, "SD", -8.9, 3.6, 1, 9.0, 1),
    ("ATC05", 63, "F", 0, 1, 5.2, 1.86, 2.4, 2.05, 1.8, 0.39, 226, 0.20, "PR", -41.7, 4.0, 1, 10.2, 1),
    ("ATC06", 72, "F", 1, 1, 8.3, 1.33, 6.2, 1.47, 4.4, 0.58, 354, 0.22, "SD", -22.0, 5.8, 1, 12.6, 1),
    ("ATC07", 66, "M", 0, 0, 4.6, 2.10, 2.9, 2.32, 2.0, 0.41, 215, 0.19, "PR", -52.3, 7.4, 1, 15.8, 0),
    ("ATC08", 79, "M", 1, 1, 6.5, 1.47, 5.6, 1.63, 4.9, 0.50, 267, 0.17, "SD", -18.6, 9.9, 1, 18.4, 0),
    ("ATC09", 70, "F", 1, 1, 5.5, 1.72, 3.2, 2.01, 2.2, 0.46, 233, 0.23, "PR", -36.1, 22.0, 0, 22.0, 0),
    # NLR >= 8
    ("ATC10", 83, "M", 2, 1, 9.6, 0.68, 12.5, 0.59, 16.8, 0.73, 402, 0.26, "PD", None, 0.9, 1, 1.5, 1),
    ("ATC11", 75, "F", 2, 1, 8.8, 0.87, 9.1, 0.80, 10.4, 0.66, 376, 0.25, "PD", 34.9, 1.6, 1, 2.9, 0),
    ("ATC12", 69, "M", 3, 1, 10.4, 0.61, 15.3, 0.55, 18.1, 0.81, 455, 0.29, "PD", 41.2, 1.6, 1, 3.8, 1),
    ("ATC13", 76, "F", 1, 1, 7.9, 0.95, 8.4, 1.08, 6.6, 0.62, 331, 0.21, "SD", 9.7, 2.8, 1, 7.0, 1),
]

HEADER = ["patient_id", "age", "sex", "ecog", "distant_metastasis", "tumor_size_cm", "wbc",
          "neutrophils_d0", "lymphocytes_d0", "monocytes_d0", "platelets_d0", "neutrophils_d14",
          "lymphocytes_d14", "best_response", "best_pct_change", "pfs_months", "pfs_event",
          "os_months", "os_event"]


def rows():
    for (pid, age, sex, ecog, mets, size, l0, nlr0, l14, nlr14, mono, plt, other, br, pct,
         pfs, pfs_ev, os_, os_ev) in PATIENTS:
        n0 = round(l0 * nlr0, 2)
        n14 = round(l14 * nlr14, 2)
        wbc = round(n0 + l0 + mono + other, 2)
        yield [pid, age, sex, ecog, "true" if mets else "false", f"{size:.1f}", f"{wbc:.2f}",
               f"{n0:.2f}", f"{l0:.2f}", f"{mono:.2f}", plt, f"{n14:.2f}", f"{l14:.2f}", br,
               "" if pct is None else f"{pct:.1f}", f"{pfs:.1f}", pfs_ev, f"{os_:.1f}", os_ev]


def main(out: Path = Path(__file__).resolve().parents[1] / "nlrstats" / "data" / "bundled" / "fukuda2020_reconstructed.csv") -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows())
    return out


if __name__ == "__main__":
    print(main())
