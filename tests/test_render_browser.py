"""Rendered HTML opened in headless Chromium (selenium + chromedriver): the checks come from the real browser.

Chromium is required: without it these tests fail (CI installs it), they do not skip.
Screenshots are kept under _output/screenshots/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlrstats.render import render_document
from tests.browser import BrowserReport, check_html

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DOCS = Path(__file__).resolve().parent / "docs"
SHOTS = ROOT / "_output" / "screenshots"
XSS = "<script>alert(1)</script>"
XSS_NAME = "<img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def features_report(tmp_path_factory) -> BrowserReport:
    # the cohort name comes from the user: it must show as text, not run
    out = render_document(DOCS / "features.qmd", params={"cutoff": 5, "cohort_name": XSS_NAME},
                          engine="builtin", output_dir=tmp_path_factory.mktemp("html"), quiet=True)
    return check_html(out, screenshot=SHOTS / "features.png")


def test_rendered_document_passes_browser_checks(features_report):
    r = features_report
    assert r.ok, r.problems()
    assert r.console_errors == () and r.dialogs == ()
    assert r.title == "Renderer feature test"
    assert len(r.images) == 3 and all(i["natural_width"] == 1280 for i in r.images)  # retina PNGs decoded
    assert r.tables == 1
    assert r.unresolved_refs == ()
    assert [x["text"] for x in r.xrefs] == ["Figure 1", "Table 1", "1", "Parameters", "Figure 2", "Figure 2 (b)"]
    assert all(x["target_exists"] for x in r.xrefs)
    assert r.captions == ("Figure 1: Points by group, cut-off shown in the title",
                          "Table 1: Counts per group (labels come from the data)",
                          "(a) Left panel", "(b) Right panel", "Figure 2: Two panels side by side")


def test_only_the_file_itself_and_data_urls_are_requested(features_report):
    r = features_report
    assert r.requests[0] == r.path.as_uri()
    assert all(u == r.path.as_uri() or u.startswith("data:") for u in r.requests), r.requests
    assert any(u.startswith("data:image/png") for u in r.requests)
    assert r.external_requests == ()


def test_label_from_data_shows_as_text_and_runs_nothing(features_report):
    r = features_report
    assert r.dialogs == ()  # alert(1) never ran
    assert r.extra["scripts"] == 0  # no <script> element in the document at all
    assert any(XSS in t for t in r.table_texts)  # the label is visible as text in the table
    assert len(r.images) == 3  # the cohort name made no <img>
    assert f"for cohort {XSS_NAME}." in r.extra["body_text"]


def test_screenshot_is_a_full_page_png(features_report):
    shot = features_report.screenshot
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width == 1280 and height == features_report.page_height > 1000


def test_checks_detect_problems(tmp_path):
    # A page that breaks every rule, to show each check can fail.
    page = tmp_path / "bad.html"
    page.write_text(
        "<!doctype html><html><head><title>bad</title></head><body>"
        "<p>See ?@fig-missing and @tbl-gone.</p>"
        '<p><a class="quarto-xref" href="#fig-nowhere">Figure 9</a></p>'
        '<img src="missing.png" alt="missing">'
        '<img src="http://127.0.0.1:9/remote.png" alt="remote">'
        '<script>console.error("boom"); alert("hi");</script>'
        "<table><tr><td>1</td></tr></table>"
        "</body></html>"
    )
    r = check_html(page, screenshot=tmp_path / "bad.png")
    assert not r.ok
    assert any("boom" in e for e in r.console_errors)
    assert r.dialogs == ("alert: hi",)
    assert len(r.broken_images) == 2
    assert set(r.unresolved_refs) == {"?@fig-missing", "@tbl-gone"}
    assert [x["href"] for x in r.broken_xrefs] == ["#fig-nowhere"]
    assert "http://127.0.0.1:9/remote.png" in r.external_requests
    assert any(u.endswith("/missing.png") for u in r.external_requests)
    assert r.tables == 1
    problems = "\n".join(r.problems())
    assert "dialog opened: alert: hi" in problems and "request beyond the file" in problems


def test_unresolved_reference_in_a_rendered_document_is_reported(tmp_path):
    out = render_document(DOCS / "crossrefs.qmd", engine="builtin", output_dir=tmp_path, quiet=True)
    r = check_html(out, screenshot=SHOTS / "crossrefs.png")
    assert r.unresolved_refs == ("?@fig-missing",)
    assert r.problems() == ["unresolved cross-reference: ?@fig-missing"]
    assert r.tables == 1 and len(r.images) == 1 and r.images[0]["natural_width"] == 1
    assert [x["text"] for x in r.xrefs] == ["Section 2", "Table 1"]
