"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Chromium reads NUL-terminated JSON commands on file descriptor 3 and writes
replies and events on fd 4, so no websocket client and no TCP port are needed.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "BrowserUnavailable", "DevTools", "find_chromium", "launch_chromium"]

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--no-default-browser-check",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-dev-shm-usage",
    "--remote-debugging-pipe",
)

class BrowserUnavailable(RuntimeError):
    """No Chromium to run, or it did not answer on the DevTools pipe."""


def find_chromium() -> str:
    """Path of a Chromium executable: ``$NLRSTATS_CHROMIUM``, then chromium/chrome on PATH, then /usr/bin/chromium."""
    candidates = [os.environ.get("NLRSTATS_CHROMIUM")]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    candidates.append("/usr/bin/chromium")
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise BrowserUnavailable(
        "no Chromium found (looked for $NLRSTATS_CHROMIUM, chromium, chromium-browser, google-chrome, /usr/bin/chromium); "
        "install it, e.g. 'apt-get install chromium'"
    )


class DevTools:
    """Minimal CDP client over the pipe: synchronous calls, events buffered in order."""

    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int, log_path: Path):
        self.proc = proc
        self.write_fd = write_fd
        self.read_fd = read_fd
        self.log_path = log_path
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        self.responses: dict[int, dict[str, Any]] = {}
        self.dialogs: list[str] = []
        self.session: str | None = None

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.write_fd, data)
            data = data[n:]
        return self.next_id

    def _dispatch(self, msg: dict[str, Any]) -> None:
        if "id" in msg:
            self.responses[msg["id"]] = msg
            return
        if msg.get("method") == "Page.javascriptDialogOpening":
            # A dialog blocks the page until answered: record it and dismiss it.
            p = msg.get("params", {})
            self.dialogs.append(f"{p.get('type')}: {p.get('message')}")
            self.send("Page.handleJavaScriptDialog", {"accept": False}, msg.get("sessionId"))
        self.events.append(msg)

    def pump(self, timeout: float) -> bool:
        """Read whatever arrives within ``timeout`` seconds; False when nothing came."""
        ready, _, _ = select.select([self.read_fd], [], [], max(timeout, 0))
        if not ready:
            return False
        chunk = os.read(self.read_fd, 1 << 20)
        if not chunk:
            raise BrowserUnavailable(f"Chromium closed the DevTools pipe (exit {self.proc.poll()}); log:\n{self._log_tail()}")
        self.buffer += chunk
        while b"\0" in self.buffer:
            raw, self.buffer = self.buffer.split(b"\0", 1)
            if raw:
                self._dispatch(json.loads(raw))
        return True

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 30) -> dict[str, Any]:
        cid = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while cid not in self.responses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserUnavailable(f"Chromium did not answer {method} within {timeout:.0f}s; log:\n{self._log_tail()}")
            self.pump(min(left, 0.5))
        msg = self.responses.pop(cid)
        if "error" in msg:
            raise BrowserUnavailable(f"DevTools {method} failed: {msg['error']}")
        return msg.get("result", {})

    def wait_event(self, method: str, timeout: float, since: int = 0) -> dict[str, Any] | None:
        """First ``method`` event at or after index ``since`` of :attr:`events`, waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for ev in self.events[seen:]:
                if ev.get("method") == method:
                    return ev
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.pump(min(left, 0.5))

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return "(no log)"


# Runs in the child: puts the pipe ends on fds 3 and 4, as --remote-debugging-pipe
# expects, then execs Chromium. The pipe ends arrive on fds >= 10 so the dup2
# calls cannot clobber one another.
_EXEC_WITH_PIPES = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def launch_chromium(chromium: str, workdir: Path) -> tuple[subprocess.Popen, int, int, Path]:
    """Start headless Chromium with its DevTools pipe; returns (process, write fd, read fd, log path).

    The process leads its own session (process group), so the caller can end
    Chromium and its helper processes together by that group's id.
    """
    cmd_read, cmd_write = os.pipe()
    resp_read, resp_write = os.pipe()
    child_r = fcntl.fcntl(cmd_read, fcntl.F_DUPFD_CLOEXEC, 10)
    child_w = fcntl.fcntl(resp_write, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(cmd_read)
    os.close(resp_write)
    log_path = workdir / "chromium.log"
    args = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'profile'}", "about:blank"]
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", _EXEC_WITH_PIPES, str(child_r), str(child_w), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(child_r, child_w),
                start_new_session=True,
            )
    finally:
        os.close(child_r)
        os.close(child_w)
    return proc, cmd_write, resp_read, log_path
