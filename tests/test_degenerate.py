"""Cohorts that pass validation but leave analyses with nothing to estimate render a complete document.

Each case of tests/degenerate_cases.py is rendered with the built-in engine (the validation document,
every cell run); the document must have every section and figure, and say what could not be
estimated and why. Zero patients is an error before any kernel starts.
"""

import re
import subprocess
import sys

import pytest

from nlrstats.data.simulate import write_cohort
from nlrstats.render import render_document
from tests.degenerate_cases import CASES, degenerate_cohort
from tests.test_reports import text_of

#: what each document must say about what it could not estimate
SAYS = {
    "one patient": ["only one NLR group has patients; no log-rank test or hazard ratio",
                    "PFS: too few patients or events to search for a cut", "deg.csv , 1 patient)"],
    "two patients": ["only one NLR group has patients; no log-rank test or hazard ratio",
                     "PFS: too few patients or events to search for a cut"],
    "three patients": ["only one NLR group has patients; no log-rank test or hazard ratio",
                       "OS: too few patients or events to search for a cut"],
    "all censored": ["Progression-free survival: no events; no log-rank test or hazard ratio",
                     "Overall survival: no events; no log-rank test or hazard ratio",
                     "Median PFS was not reached", "PFS: too few patients or events to search for a cut"],
    "no events in one group": ["the Cox likelihood is monotone", "Firth penalised Cox"],
    "one NLR group empty": ["only one NLR group has patients; no log-rank test or hazard ratio",
                            "form the high group (0 patients; 40 with NLR < 8)"],
    "every response NE": ["Not evaluable (NE) 40 (100%)", "Disease control was 0/35 (0.0%"],
    "no day-14 counts": ["No patient has both a day-0 and a day-14 NLR, so the change by day 14 could not be "
                         "analysed", "no nlr_d14 in the data (40)"],
}
SECTIONS = ("Cohort", "Beside the published study", "Response", "Survival", "Does the prespecified cut-off hold here?",
            "Reproducibility")


def test_every_case_has_its_expectations():
    assert set(SAYS) == set(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_degenerate_cohort_renders_a_complete_document(case, root, tmp_path):
    data = write_cohort(degenerate_cohort(case), tmp_path / "deg.csv")
    path = render_document(root / "reports" / "validation.qmd", params={"data": str(data), "bootstrap": 20},
                           to="html", engine="builtin", output_dir=tmp_path / "out", quiet=True)
    raw = path.read_text(encoding="utf-8")
    text = text_of(path)
    for heading in SECTIONS:
        assert re.search(rf"<h2[^>]*>[^<]*{re.escape(heading)}", raw), heading
    # forest, two Kaplan-Meier curves, the cut-point figure, two hazard-ratio curves and two pooled forests:
    # each drawn, or a panel saying why it is empty, so no figure slot of the document is left blank
    assert len(re.findall(r'<img [^>]*src="data:image/png', raw)) == 8
    for phrase in SAYS[case]:
        assert phrase in text, phrase
    assert "Traceback" not in text and "Error" not in text


def test_zero_patients_is_a_clear_error_before_any_kernel(tmp_path):
    header = tmp_path / "header.csv"
    write_cohort(degenerate_cohort("one patient").head(0), header)
    res = subprocess.run([sys.executable, "-m", "nlrstats.cli", "render", "validation", "--engine", "builtin",
                          "--data", str(header), "--output-dir", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "nothing was rendered" in res.stderr and "no patient rows" in res.stderr
    assert "Traceback" not in res.stderr and "start kernel" not in res.stderr
    assert not (tmp_path / "out").exists()
