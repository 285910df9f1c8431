import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="mpl-"))

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def bundled_path() -> Path:
    return ROOT / "data" / "fukuda2020_reconstructed.csv"


def paper_grouped(cohort):
    """A cohort with the paper's groups (``nlr_group``, NLR >= 8 high) added to its rows."""
    from dataclasses import replace

    from nlrstats.study.plan import StudyPlan
    return replace(cohort, data=StudyPlan.fukuda2020().grouped(cohort))


@pytest.fixture(scope="session")
def bundled(bundled_path):
    """The bundled reconstruction, with the paper's ``nlr_group`` for tests that fit models on it directly."""
    from nlrstats.data.cohort import load_cohort
    return paper_grouped(load_cohort(bundled_path))
