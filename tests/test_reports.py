"""The two report documents rendered with the built-in engine and opened in headless Chromium.

Numbers asserted in the HTML are computed here by the package on the same data, so the test checks
that each document prints what the package computes (and the package's numbers are pinned to R
elsewhere). Screenshots are kept in _output/screenshots/ for a person to look at.
"""

import html as htmllib
import re

import polars as pl
import pytest

from nlrstats.data.cohort import load_cohort
from nlrstats.present.narrative import hr_text, median_text, p_text, rate_text
from nlrstats.render import render_document
from tests.browser import check_html
from nlrstats.data.simulate import simulate_cohort, write_foreign_cohort
from nlrstats.study.analyze import analyze

pytestmark = pytest.mark.browser


def text_of(path) -> str:
    """The document's visible text (tags dropped, entities decoded, white space folded)."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", raw, flags=re.S)
    raw = re.sub(r'<img [^>]*src="data:[^"]*"[^>]*>', " ", raw)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)))


@pytest.fixture(scope="module")
def screenshots(root):
    out = root / "_output" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def replication(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("replication")
    path = render_document(root / "reports" / "replication.qmd", params={"bootstrap": 100}, to="html",
                           engine="builtin", output_dir=out, quiet=True)
    return path


@pytest.fixture(scope="module")
def validation(root, tmp_path_factory):
    """A 500-patient simulated export (other names, words, cells/uL, days) read through its mapping,
    with a hostile column name and cohort name."""
    d = tmp_path_factory.mktemp("validation")
    frame = simulate_cohort(500, seed=7, missing_d14=0.05)
    data, mapping = write_foreign_cohort(frame, d / "export.csv", d / "export.toml")
    hostile = "<script>alert(1)</script>"
    data.write_text(data.read_text().replace("Study ID", hostile, 1))
    mapping.write_text(mapping.read_text().replace('"Study ID"', f'"{hostile}"'))
    params = {"data": str(data), "mapping": str(mapping), "bootstrap": 0,
              "cohort_name": "<img src=x onerror=alert(2)> [click](javascript:alert(7)) ![x](https://host/beacon.png)"}
    path = render_document(root / "reports" / "validation.qmd", params=params, to="html",
                           engine="builtin", output_dir=d / "out", quiet=True)
    return path, data, mapping, frame


def test_replication_prints_the_package_numbers(replication, bundled):
    text = text_of(replication)
    r = analyze(bundled, bootstrap=0)
    for phrase in (rate_text(r.response.dcr.low), rate_text(r.response.dcr.high), p_text(r.response.dcr.p_value),
                   median_text(r.pfs.median.low), median_text(r.os.median.high),
                   rate_text(r.nlr_change.orr.decreased), p_text(r.nlr_change.orr.p_value), hr_text(r.pfs.cox)):
        assert phrase in text, phrase
    # hand-checkable anchors of the paper
    assert "8/9 (88.9%" in text and "1/4 (25.0%" in text and "3/7 (42.9%" in text
    assert "16 of 16 published numbers are reproduced" in text
    for caption in ("Figure 1:", "Table 1:", "Kaplan", "Published"):
        assert caption in text


def test_replication_in_browser(replication, screenshots):
    report = check_html(replication, screenshot=screenshots / "replication.png")
    assert report.ok, report.problems()
    assert len(report.images) >= 6 and not report.broken_images
    assert report.tables >= 7
    assert not report.external_requests and not report.unresolved_refs
    assert len(report.xrefs) >= 10


def test_validation_prints_the_package_numbers(validation):
    path, data, mapping, frame = validation
    text = text_of(path)
    r = analyze(load_cohort(data, mapping), bootstrap=0)
    assert "500 patients" in text
    for phrase in (rate_text(r.response.dcr.low), median_text(r.pfs.median.low), median_text(r.os.median.high),
                   rate_text(r.nlr_change.orr.decreased)):
        assert phrase in text, phrase
    n_missing = int(frame["neutrophils_d14"].null_count())
    assert n_missing > 0 and f"missing nlr_d14 ({n_missing})" in text
    assert "counts converted from cells/uL" in text and "times converted from days" in text


def test_validation_in_browser_and_hostile_labels_inert(validation, screenshots):
    path = validation[0]
    report = check_html(path, screenshot=screenshots / "validation.png")
    assert report.ok, report.problems()  # includes: no dialog opened by alert()
    assert not report.dialogs
    assert len(report.images) >= 3 and report.tables >= 5
    raw = path.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in raw and "<img src=x onerror" not in raw
    assert 'href="javascript:' not in raw and "https://host/beacon.png\"" not in raw and 'src="https://host' not in raw
    text = text_of(path)
    assert "<script>alert(1)</script>" in text  # shown as text
    assert "[click](javascript:alert(7))" in text and "![x](https://host/beacon.png)" in text


def without_data_uris(text: str) -> str:
    # base64 images can contain any short string by chance; what images show is tested on the figures
    return re.sub(r"data:[^\"')\s]+", "", text)


def test_no_patient_identifiers_unless_listing(replication, validation, bundled, root, tmp_path):
    ids = bundled.data["patient_id"].to_list()
    raw = without_data_uris(replication.read_text(encoding="utf-8"))
    assert not [i for i in ids if i in raw]
    sim_ids = validation[3]["patient_id"].head(50).to_list()
    vraw = without_data_uris(validation[0].read_text(encoding="utf-8"))
    assert not [i for i in sim_ids if re.search(rf"\b{i}\b", vraw)]
    listed = render_document(root / "reports" / "replication.qmd", params={"listing": True, "bootstrap": 0},
                             to="html", engine="builtin", output_dir=tmp_path, quiet=True)
    assert all(i in listed.read_text(encoding="utf-8") for i in ids)


def test_render_rejects_bad_data_before_rendering(tmp_path):
    import subprocess
    import sys
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,best_response,pfs_months,pfs_event,os_months,os_event,neutrophils_d0,lymphocytes_d0\n"
                   "A,PR,3,1,2,1,4,1.2\nB,XX,1,1,5,1,4,0\n")
    res = subprocess.run([sys.executable, "-m", "nlrstats.cli", "render", "validation", "--data", str(bad),
                          "--output-dir", str(tmp_path / "out")], capture_output=True, text=True)
    assert res.returncode == 1
    assert "nothing was rendered" in res.stderr and "Traceback" not in res.stderr
    assert "line 3 (patient_id B), column best_response" in res.stderr
    assert "line 2 (patient_id A), column pfs_months" in res.stderr
    assert not (tmp_path / "out").exists()


def _captions(path) -> tuple[list[str], list[str]]:
    """Figure captions and table source notes as a reader sees them."""
    raw = path.read_text(encoding="utf-8")
    figs = [text_of_fragment(c) for c in re.findall(r'<div class="quarto-caption figure-caption">(.*?)</div>', raw, re.S)]
    notes = [text_of_fragment(c) for c in re.findall(r'<td class="gt_sourcenote"[^>]*>(.*?)</td>', raw, re.S)]
    return figs, notes


def text_of_fragment(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_synthetic_mark_on_every_caption_of_the_reconstruction_only(replication, validation):
    figs, notes = _captions(replication)
    data_notes = [n for n in notes if n.startswith("Data:")]
    assert len(figs) >= 6 and len(data_notes) >= 7
    assert all("Synthetic data" in c for c in figs), figs
    assert all("Synthetic data" in n for n in data_notes), data_notes
    vfigs, vnotes = _captions(validation[0])
    own = [n for n in vnotes if n.startswith("Data: export.csv")]
    assert own and not any("ynthetic" in n for n in own)
    # the validation's own figures are unmarked; the forest plot and the pooled forest plots, which also show
    # the reconstruction, mark it
    marked = [c for c in vfigs if "ynthetic" in c]
    assert len(marked) == 3 and "Hazard ratios" in marked[0], marked
    assert all("pooled" in c for c in marked[1:]) and len([c for c in vfigs if "pooled" in c]) == 2
    assert all("Reconstruction of Fukuda 2020: Synthetic" in c for c in marked)


@pytest.fixture(scope="module")
def replication_plr(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("replication_plr")
    return render_document(root / "reports" / "replication.qmd", params={"bootstrap": 0, "marker": "plr",
                           "cutoff": 150}, to="html", engine="builtin", output_dir=out, quiet=True)


def test_replication_on_another_marker_names_it_everywhere(replication_plr, bundled):
    text = text_of(replication_plr)
    r = analyze(bundled, marker="plr", cutoff=150, bootstrap=0)
    assert "PLR < 150" in text and "PLR ≥ 150" in text
    assert "by baseline PLR" in text and "Baseline PLR" in text
    assert rate_text(r.response.dcr.low) in text and median_text(r.pfs.median.low) in text
    # Table 1 names the marker's row after the marker, not after its column
    assert "plr_d0" not in text and "plr_group" not in text and "PLR group" in text and r.table_one.variables_frame.filter(variable="plr_d0")["label"].item() == "PLR"
    # the paper's groups appear only where the paper's numbers are quoted (the published table's rows)
    for sentence in re.split(r"(?<=\.) ", text):
        if "NLR < 8" in sentence:
            assert "Patients, NLR < 8" in sentence or "NLR < 8 (months)" in sentence or "rate, NLR < 8" in sentence, sentence


@pytest.fixture(scope="module")
def validation_cut5(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("validation_cut5")
    return render_document(root / "reports" / "validation.qmd", params={"bootstrap": 0, "cutoff": 5}, to="html",
                           engine="builtin", output_dir=out, quiet=True)


def test_validation_at_another_cutoff(validation_cut5):
    text = text_of(validation_cut5)
    assert "NLR < 5 vs NLR ≥ 5" in text  # the side-by-side column of this cohort
    assert "Fukuda 2020, published (NLR < 8 vs NLR ≥ 8)" in text
    assert "Patients, low group" in text and "Disease control rate, NLR < 8" not in text
