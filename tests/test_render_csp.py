"""The HTML of both engines carries a Content-Security-Policy that forbids any network fetch.

``tests/docs/leak.qmd`` prints raw HTML asking for an image, a stylesheet and a frame from another
host, as a user string that escaped its escaping would. Headless Chromium opens the rendered file:
every such request is blocked by the policy (``blockedReason: csp``) and none leaves the file. The
address is on the loopback (port 9, where nothing listens), so even a failure of the policy would
send nothing off this machine.
"""

from __future__ import annotations

import shutil

import pytest

from nlrstats.project import template_dir
from nlrstats.render import render_document
from tests.browser import check_html
from tests.quarto_compare import QUARTO, QUARTO_SKIP

pytestmark = pytest.mark.browser
ENGINES = ["builtin", pytest.param("quarto", marks=pytest.mark.skipif(QUARTO is None, reason=QUARTO_SKIP))]


@pytest.fixture(scope="module")
def project(root, tmp_path_factory):
    d = tmp_path_factory.mktemp("project")
    shutil.copy(template_dir() / "_quarto.yml", d / "_quarto.yml")
    shutil.copytree(template_dir() / "styles", d / "styles")
    (d / "reports").mkdir()
    shutil.copy(root / "tests" / "docs" / "leak.qmd", d / "reports" / "leak.qmd")
    return d


@pytest.mark.parametrize("engine", ENGINES)
def test_no_request_leaves_the_file(project, tmp_path, engine):
    out = render_document(project / "reports" / "leak.qmd", engine=engine, output_dir=tmp_path, quiet=True)
    report = check_html(out)
    asked = [u for u in report.requests if u.startswith("http")]
    assert set(asked) == {"http://127.0.0.1:9/leak.png?secret=1", "http://127.0.0.1:9/leak.css"}
    assert dict(report.blocked) == {u: "csp" for u in asked}  # stopped by the policy, not by a failed connection
    assert report.external_requests == ()
    assert any("Content Security Policy" in e for e in report.console_errors)
    assert all("default-src 'none'" in c and "connect-src 'none'" in c for c in report.extra["csp"])
    assert "Text after the leak." in report.extra["body_text"]


def test_builtin_policy_allows_no_script_at_all(tmp_path, root):
    out = render_document(root / "tests" / "docs" / "crossrefs.qmd", engine="builtin", output_dir=tmp_path, quiet=True)
    import html
    assert "script-src 'none'" in html.unescape(out.read_text(encoding="utf-8"))
