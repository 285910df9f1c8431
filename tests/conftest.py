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


@pytest.fixture(scope="session")
def bundled(bundled_path):
    from nlrstats.data.cohort import load_cohort
    return load_cohort(bundled_path)
