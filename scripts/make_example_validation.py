"""Generate data/example_validation.csv and data/example_validation.toml.

A simulated validation cohort of 120 patients written as a hospital export would be (other column
names, words for codes, counts in cells/uL, times in days, 8% without day-14 counts) together with the
mapping file that reads it. It is the default input of reports/validation.qmd and a template for
users' own mapping files. Deterministic: python scripts/make_example_validation.py
"""

from pathlib import Path

from nlrstats.data.simulate import simulate_cohort, write_foreign_cohort

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "nlrstats" / "data" / "bundled"


def main(data: Path = BUNDLED / "example_validation.csv",
         mapping: Path = BUNDLED / "example_validation.toml") -> tuple[Path, Path]:
    frame = simulate_cohort(120, seed=2024, missing_d14=0.08, pfs_hr=2.2, os_hr=2.0)
    return write_foreign_cohort(frame, data, mapping)


if __name__ == "__main__":
    print(*main())
