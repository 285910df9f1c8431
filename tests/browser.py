"""Test helper: open a rendered HTML file in headless Chromium (selenium + Debian's chromedriver).

What the browser reports, for the tests to assert on:

* console errors and uncaught exceptions (chromedriver's ``browser`` log at SEVERE, which also carries
  Content-Security-Policy violations),
* JavaScript dialogs (``alert`` etc.; accepted by chromedriver and recorded from ``Page.javascriptDialogOpening``),
* every image with its ``naturalWidth`` after load,
* the number of ``<table>`` elements and their text,
* unresolved cross-references: ``?@id`` / ``@fig-`` / ``@tbl-`` / ``@sec-`` text outside code, and
  ``a.quarto-xref`` links whose target id is missing,
* every network request the page made (``Network.requestWillBeSent`` from the performance log), and
  which of them the browser blocked before sending (``Network.loadingFailed`` with a ``blockedReason``,
  ``csp`` for the Content-Security-Policy),
* a full-page PNG screenshot (DevTools ``Page.captureScreenshot``).

This lives in the tests: the run-time package has no browser code. Chromium and chromedriver come
from Debian (``apt-get install chromium chromium-driver``); selenium from the ``test`` extra.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BrowserReport", "BrowserUnavailable", "check_html", "find_chromium"]


class BrowserUnavailable(RuntimeError):
    """No Chromium or chromedriver to run, or the browser did not answer."""


_COLLECT_JS = r"""
const done = arguments[arguments.length - 1];
(async () => {
  for (let i = 0; i < 200 && document.readyState !== 'complete'; i++) { await new Promise(r => setTimeout(r, 50)); }
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => (i.complete ? null : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); }))));
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  const images = imgs.map(i => ({
    src: (i.currentSrc || i.src || '').slice(0, 60),
    natural_width: i.naturalWidth, natural_height: i.naturalHeight, complete: i.complete, alt: i.alt || '',
    shown_width: i.getBoundingClientRect().width,
    column_width: (i.closest('figure, .cell-output-display, .quarto-figure, main, body') || document.body).getBoundingClientRect().width
  }));
  const parts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest('pre, code, script, style')) { parts.push(n.nodeValue); }
  }
  const text = parts.join(' ');
  const id = '[A-Za-z0-9_-]+(?:[.:][A-Za-z0-9_-]+)*';
  const unresolved = Array.from(new Set(text.match(new RegExp('\\?@' + id + '|@(?:fig|tbl|sec)-' + id, 'g')) || []));
  const xrefs = Array.from(document.querySelectorAll('a.quarto-xref')).map(a => {
    const href = a.getAttribute('href') || '';
    const id = href.startsWith('#') ? decodeURIComponent(href.slice(1)) : '';
    return { text: a.textContent.trim(), href: href, target_exists: id !== '' && document.getElementById(id) !== null };
  });
  const captions = Array.from(document.querySelectorAll('figcaption, .quarto-caption, caption'))
    .map(e => e.textContent.trim().replace(/\s+/g, ' ')).filter(t => t);
  const body = getComputedStyle(document.body);
  const link = document.querySelector('main a[href], body a[href]');
  return {
    href: location.href, ready_state: document.readyState, title: document.title,
    tables: document.querySelectorAll('table').length,
    table_texts: Array.from(document.querySelectorAll('table')).map(t => (t.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 4000)),
    images: images, unresolved: unresolved, xrefs: xrefs, captions: Array.from(new Set(captions)),
    scripts: document.scripts.length,
    body_text: (document.body.innerText || '').slice(0, 200000),
    body_font: body.fontFamily, link_color: link ? getComputedStyle(link).color : null,
    csp: Array.from(document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')).map(m => m.content),
    height: Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight))
  };
})().then(done, e => done({error: String(e)}));
"""


@dataclass(frozen=True)
class BrowserReport:
    """What headless Chromium saw when it opened ``path``.

    ``ok`` is true when there are no console errors, no dialogs, every image loaded, no unresolved
    cross-reference and no request beyond the file itself and ``data:`` URLs; ``problems()`` lists
    what failed.
    """

    path: Path
    title: str
    console_errors: tuple[str, ...]
    dialogs: tuple[str, ...]
    images: tuple[dict[str, Any], ...]
    tables: int
    table_texts: tuple[str, ...]
    unresolved_refs: tuple[str, ...]
    xrefs: tuple[dict[str, Any], ...]
    captions: tuple[str, ...]
    requests: tuple[str, ...]
    screenshot: Path | None
    page_height: int = 0
    elapsed_s: float = 0.0
    #: (url, reason) of requests the browser stopped before sending them ("csp": the policy)
    blocked: tuple[tuple[str, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def broken_images(self) -> tuple[dict[str, Any], ...]:
        return tuple(i for i in self.images if not i.get("natural_width"))

    @property
    def external_requests(self) -> tuple[str, ...]:
        """Requests for anything but the file itself and data: URLs that the browser did not block."""
        own = self.path.resolve().as_uri()
        stopped = {u for u, _ in self.blocked}
        return tuple(u for u in self.requests
                     if not (u.startswith("data:") or u.split("#", 1)[0] == own or u in stopped))

    @property
    def broken_xrefs(self) -> tuple[dict[str, Any], ...]:
        return tuple(x for x in self.xrefs if not x.get("target_exists"))

    def problems(self) -> list[str]:
        out = []
        out += [f"console error: {e}" for e in self.console_errors]
        out += [f"dialog opened: {d}" for d in self.dialogs]
        out += [f"image not loaded: {i['src']}..." for i in self.broken_images]
        out += [f"unresolved cross-reference: {r}" for r in self.unresolved_refs]
        out += [f"cross-reference link without target: {x['href']}" for x in self.broken_xrefs]
        out += [f"request beyond the file: {u}" for u in self.external_requests]
        return out

    @property
    def ok(self) -> bool:
        return not self.problems()


def find_chromium() -> tuple[str, str]:
    """Paths of Debian's ``chromium`` and ``chromedriver``; :class:`BrowserUnavailable` naming the fix if absent."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not exe or not driver:
        raise BrowserUnavailable("headless checks need Chromium and its driver: apt-get install chromium chromium-driver")
    return exe, driver


def _driver(width: int, tmp: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    exe, driver = find_chromium()
    opts = webdriver.ChromeOptions()
    opts.binary_location = exe
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                 f"--window-size={width},900", f"--user-data-dir={tmp / 'profile'}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    opts.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": True})
    # a dialog is accepted (and seen in the performance log) instead of blocking the page
    opts.set_capability("unhandledPromptBehavior", "accept")
    # the driver is given explicitly, so selenium never tries to download one
    return webdriver.Chrome(options=opts, service=Service(executable_path=driver, log_output=str(tmp / "driver.log")))


def check_html(path: str | Path, screenshot: str | Path | None = None, *, width: int = 1280,
               timeout: float = 60, settle: float = 0.5) -> BrowserReport:
    """Open ``path`` in headless Chromium and collect the checks listed in the module docstring."""
    from selenium.common.exceptions import WebDriverException

    start = time.perf_counter()
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(path)
    with tempfile.TemporaryDirectory(prefix="nlrstats-chromium-") as tmp:
        try:
            drv = _driver(width, Path(tmp))
        except WebDriverException as exc:
            raise BrowserUnavailable(f"Chromium did not start: {exc.msg}") from None
        try:
            drv.set_page_load_timeout(timeout)
            drv.set_script_timeout(timeout)
            drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
            # what the browser did before our page (its new-tab page) is read and dropped
            drv.get("about:blank")
            drv.get_log("performance")
            drv.get_log("browser")
            drv.get(path.as_uri())
            time.sleep(settle)
            info = drv.execute_async_script(_COLLECT_JS)
            if not isinstance(info, dict) or "error" in info:
                raise BrowserUnavailable(f"page inspection script failed: {info}")
            if info.get("href", "").split("#", 1)[0] != path.as_uri() or info.get("ready_state") != "complete":
                raise BrowserUnavailable(f"{path.name}: the page inspected was {info.get('href')} ({info.get('ready_state')})")
            height = int(math.ceil(info.get("height") or 900))
            shot_path = None
            if screenshot is not None:
                shot_h = min(max(height, 1), 16000)
                drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": shot_h, "deviceScaleFactor": 1, "mobile": False})
                shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": shot_h, "scale": 1}})
                shot_path = Path(screenshot)
                shot_path.parent.mkdir(parents=True, exist_ok=True)
                shot_path.write_bytes(base64.b64decode(shot["data"]))
            console = [f"{e.get('source', '')}: {e.get('message', '')}".strip(": ")
                       for e in drv.get_log("browser") if e.get("level") == "SEVERE"]
            requests, dialogs, ids, blocked = [], [], {}, {}
            for entry in drv.get_log("performance"):
                msg = json.loads(entry["message"]).get("message", {})
                method, params = msg.get("method"), msg.get("params", {})
                if method == "Network.requestWillBeSent":
                    url = params.get("request", {}).get("url", "")
                    url = url[:80] + "..." if url.startswith("data:") and len(url) > 80 else url
                    requests.append(url)
                    ids[params.get("requestId")] = url
                elif method == "Network.loadingFailed" and params.get("blockedReason"):
                    # stopped inside the browser (e.g. by the Content-Security-Policy): never sent
                    blocked[ids.get(params.get("requestId"), "?")] = params["blockedReason"]
                elif method == "Page.javascriptDialogOpening":
                    dialogs.append(f"{params.get('type')}: {params.get('message')}")
        finally:
            drv.quit()
    return BrowserReport(
        path=path, title=info.get("title", ""), console_errors=tuple(console), dialogs=tuple(dialogs),
        images=tuple(info.get("images", [])), tables=int(info.get("tables", 0)),
        table_texts=tuple(info.get("table_texts", [])), unresolved_refs=tuple(info.get("unresolved", [])),
        xrefs=tuple(info.get("xrefs", [])), captions=tuple(info.get("captions", [])), requests=tuple(requests),
        screenshot=shot_path, page_height=height, elapsed_s=time.perf_counter() - start,
        blocked=tuple(sorted(blocked.items())),
        extra={k: info.get(k) for k in ("scripts", "body_text", "body_font", "link_color", "csp")},
    )
