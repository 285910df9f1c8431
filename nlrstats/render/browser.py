"""Open a rendered HTML file in headless Chromium and report what the browser saw.

The checks come from a real browser, driven through the Chrome DevTools
Protocol over ``--remote-debugging-pipe`` (file descriptors 3 and 4, messages
NUL-terminated JSON), so no websocket client and no TCP port are needed:

* console errors and uncaught exceptions (``Runtime``/``Log`` events),
* JavaScript dialogs (``alert`` etc.; dismissed and recorded),
* every image with its ``naturalWidth`` after load,
* the number of ``<table>`` elements,
* unresolved cross-references: ``?@id`` / ``@fig-`` / ``@tbl-`` / ``@sec-`` text
  outside code, and ``a.quarto-xref`` links whose target id is missing,
* every network request URL (``Network.requestWillBeSent``),
* a full-page PNG screenshot.
"""

from __future__ import annotations

import base64
import math
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlrstats.render.cdp import BrowserUnavailable, DevTools, find_chromium, launch_chromium

__all__ = ["BrowserReport", "BrowserUnavailable", "check_html", "find_chromium"]

_COLLECT_JS = r"""
(async () => {
  for (let i = 0; i < 200 && document.readyState !== 'complete'; i++) { await new Promise(r => setTimeout(r, 50)); }
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(i => (i.complete ? null : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); }))));
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  const images = imgs.map(i => ({
    src: (i.currentSrc || i.src || '').slice(0, 60),
    natural_width: i.naturalWidth, natural_height: i.naturalHeight, complete: i.complete, alt: i.alt || ''
  }));
  // visible prose only: text nodes outside code, scripts and styles, kept apart by spaces
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
    return { text: a.textContent, href: href, target_exists: id !== '' && document.getElementById(id) !== null };
  });
  const captions = Array.from(document.querySelectorAll('figcaption, .quarto-caption')).map(e => e.textContent.trim());
  return {
    href: location.href, ready_state: document.readyState,
    title: document.title,
    tables: document.querySelectorAll('table').length,
    table_texts: Array.from(document.querySelectorAll('table')).map(t => (t.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 4000)),
    images: images, unresolved: unresolved, xrefs: xrefs, captions: captions,
    scripts: document.scripts.length,
    body_text: (document.body.innerText || '').slice(0, 200000)
  };
})()
"""


@dataclass(frozen=True)
class BrowserReport:
    """What headless Chromium saw when it opened ``path``.

    ``ok`` is true when there are no console errors, no dialogs, every image
    loaded, no unresolved cross-reference and no request beyond the file itself
    and ``data:`` URLs; ``problems()`` lists what failed.
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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def broken_images(self) -> tuple[dict[str, Any], ...]:
        return tuple(i for i in self.images if not i.get("natural_width"))

    @property
    def external_requests(self) -> tuple[str, ...]:
        own = self.path.resolve().as_uri()
        return tuple(u for u in self.requests if not (u.startswith("data:") or u.split("#", 1)[0] == own))

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

    def __repr__(self) -> str:
        lines = [
            f"<BrowserReport {self.path.name}: {'OK' if self.ok else 'PROBLEMS'}>",
            f"  title: {self.title!r}",
            f"  images: {len(self.images)} ({len(self.broken_images)} not loaded), tables: {self.tables}, "
            f"cross-refs: {len(self.xrefs)}, requests: {len(self.requests)} ({len(self.external_requests)} external)",
            f"  screenshot: {self.screenshot} ({self.page_height}px tall), {self.elapsed_s:.1f}s",
        ]
        lines += [f"  ! {p}" for p in self.problems()]
        return "\n".join(lines)


def _text_of_console(params: dict[str, Any]) -> str:
    parts = []
    for a in params.get("args", []):
        parts.append(str(a.get("value", a.get("description", a.get("type")))))
    return " ".join(parts)


def check_html(
    path: str | Path,
    screenshot: str | Path | None = None,
    *,
    width: int = 1280,
    chromium: str | None = None,
    timeout: float = 60,
    settle: float = 0.5,
) -> BrowserReport:
    """Open ``path`` in headless Chromium and collect the checks listed in the module docstring.

    Parameters
    ----------
    path
        The HTML file.
    screenshot
        Where to write a full-page PNG screenshot (None: no screenshot).
    width
        Viewport width in CSS pixels.
    chromium
        Browser executable (default: :func:`find_chromium`).
    timeout
        Seconds allowed for the page to load.
    settle
        Quiet time (seconds without new requests) after the load event before collecting.

    Raises
    ------
    BrowserUnavailable
        When no Chromium is found or it does not answer.
    """
    start = time.perf_counter()
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(path)
    exe = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="nlrstats-chromium-") as tmp:
        proc, wfd, rfd, log_path = launch_chromium(exe, Path(tmp))
        cdp = DevTools(proc, wfd, rfd, log_path)
        try:
            target = cdp.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
                cdp.call(method, session=session)
            cdp.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
            n_before = len(cdp.events)
            nav = cdp.call("Page.navigate", {"url": path.as_uri()}, session=session, timeout=timeout)
            if nav.get("errorText"):
                raise BrowserUnavailable(f"Chromium could not open {path}: {nav['errorText']}")
            # only a load event after our navigation counts (about:blank may fire late)
            if cdp.wait_event("Page.loadEventFired", timeout, since=n_before) is None:
                raise BrowserUnavailable(f"{path.name}: no load event within {timeout:.0f}s")
            # network idle: no new request for `settle` seconds
            deadline = time.monotonic() + timeout
            last = len(cdp.events)
            while time.monotonic() < deadline:
                cdp.pump(settle)
                if len(cdp.events) == last:
                    break
                last = len(cdp.events)

            result = cdp.call("Runtime.evaluate",
                              {"expression": _COLLECT_JS, "awaitPromise": True, "returnByValue": True},
                              session=session, timeout=timeout)
            if "exceptionDetails" in result:
                raise BrowserUnavailable(f"page inspection script failed: {result['exceptionDetails']}")
            info = result["result"]["value"]
            if info.get("href", "").split("#", 1)[0] != path.as_uri() or info.get("ready_state") != "complete":
                raise BrowserUnavailable(f"{path.name}: the page inspected was {info.get('href')} ({info.get('ready_state')})")

            shot_path = None
            height = 0
            metrics = cdp.call("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
            height = int(math.ceil(size.get("height", 900)))
            if screenshot is not None:
                shot_h = min(max(height, 1), 16000)
                cdp.call("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": shot_h, "deviceScaleFactor": 1, "mobile": False}, session=session)
                shot = cdp.call("Page.captureScreenshot",
                                {"format": "png", "captureBeyondViewport": True,
                                 "clip": {"x": 0, "y": 0, "width": width, "height": shot_h, "scale": 1}},
                                session=session, timeout=timeout)
                shot_path = Path(screenshot)
                shot_path.parent.mkdir(parents=True, exist_ok=True)
                shot_path.write_bytes(base64.b64decode(shot["data"]))
            cdp.pump(0.05)

            console: list[str] = []
            requests: list[str] = []
            for ev in cdp.events[n_before:]:
                m, p = ev.get("method"), ev.get("params", {})
                if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                    console.append(_text_of_console(p))
                elif m == "Runtime.exceptionThrown":
                    d = p.get("exceptionDetails", {})
                    desc = (d.get("exception") or {}).get("description") or d.get("text", "")
                    console.append(f"uncaught: {desc}")
                elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                    e = p["entry"]
                    console.append(f"{e.get('source')}: {e.get('text')} {e.get('url', '')}".strip())
                elif m == "Network.requestWillBeSent":
                    url = p.get("request", {}).get("url", "")
                    requests.append(url[:80] + "..." if url.startswith("data:") and len(url) > 80 else url)
            try:
                cdp.call("Browser.close", timeout=5)
            except BrowserUnavailable:
                pass
        finally:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(timeout=5)
            os.close(wfd)
            os.close(rfd)
    return BrowserReport(
        path=path,
        title=info.get("title", ""),
        console_errors=tuple(console),
        dialogs=tuple(cdp.dialogs),
        images=tuple(info.get("images", [])),
        tables=int(info.get("tables", 0)),
        table_texts=tuple(info.get("table_texts", [])),
        unresolved_refs=tuple(info.get("unresolved", [])),
        xrefs=tuple(info.get("xrefs", [])),
        captions=tuple(info.get("captions", [])),
        requests=tuple(requests),
        screenshot=shot_path,
        page_height=height,
        elapsed_s=time.perf_counter() - start,
        extra={"scripts": info.get("scripts"), "body_text": info.get("body_text", "")},
    )
