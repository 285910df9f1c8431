"""Progress of long work: one line per stage with elapsed time, a bar for long loops.

Off unless asked for, so library calls and tests print nothing. It is switched on by :func:`enable`
(the ``nlrstats analyze`` command does so unless ``-q``) or by the environment variable
``NLRSTATS_PROGRESS``, which ``nlrstats render`` sets for the documents' kernel:

- ``"stderr"`` or ``"1"``: lines go to the process's own standard error (``sys.__stderr__``, never a
  notebook cell's captured stream, so nothing of it reaches a document);
- any other value: the path of a file the lines are appended to (the built-in renderer reads it and
  prints each line under its own ``[render ...]`` prefix);
- unset, ``""`` or ``"0"``: off.

Lines look like ``[nlrstats   12.3s] analyze: overall survival (4.1 s)``: the time since the first line
of the process, the stage and its own duration. Loops (the cut-point bootstrap) get a ``tqdm`` bar on a
terminal, shown only once they have run for :data:`BAR_DELAY` seconds, and otherwise a line every
:data:`LINE_EVERY` seconds.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["ENV", "BAR_DELAY", "LINE_EVERY", "enable", "disable", "enabled", "say", "stage", "bar"]

ENV = "NLRSTATS_PROGRESS"
#: seconds a loop runs before its bar appears (short loops show none)
BAR_DELAY = 2.0
#: seconds between the lines of a loop when no terminal shows a bar
LINE_EVERY = 2.0

_state: dict = {"target": None, "start": None}


def enable(target: str = "stderr") -> None:
    """Report progress to ``target`` (``"stderr"`` or a file path), whatever the environment says."""
    _state["target"] = target


def disable() -> None:
    """Report nothing, whatever the environment says."""
    _state["target"] = "0"


def _target() -> str | None:
    t = _state["target"] if _state["target"] is not None else os.environ.get(ENV, "")
    return None if t in ("", "0") else t


def enabled() -> bool:
    """Whether progress is reported."""
    return _target() is not None


def _write(text: str) -> None:
    t = _target()
    if t is None:
        return
    if t in ("stderr", "1"):
        stream = sys.__stderr__ or sys.stderr
        stream.write(text + "\n")
        stream.flush()
        return
    with open(t, "a", encoding="utf-8") as fh:
        fh.write(text + "\n")


def _elapsed() -> float:
    if _state["start"] is None:
        _state["start"] = time.perf_counter()
    return time.perf_counter() - _state["start"]


def say(message: str) -> None:
    """One progress line (nothing when progress is off)."""
    if enabled():
        _write(f"[nlrstats {_elapsed():6.1f}s] {message}")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a stage; its line (with its duration) is written when it ends."""
    if not enabled():
        yield
        return
    _elapsed()
    t0 = time.perf_counter()
    yield
    say(f"{name} ({time.perf_counter() - t0:.1f} s)")


def bar(name: str, total: int) -> Callable[[int, int], None] | None:
    """An updater ``update(done, total)`` for a loop of ``total`` steps, or None when progress is off."""
    if not enabled():
        return None
    t = _target()
    stream = sys.__stderr__ or sys.stderr
    if t in ("stderr", "1") and getattr(stream, "isatty", lambda: False)():
        from tqdm import tqdm

        pbar = tqdm(total=total, desc=name, unit="resample", file=stream, delay=BAR_DELAY, leave=False)

        def update_bar(done: int, _total: int) -> None:
            pbar.update(done - pbar.n)
            if done >= _total:
                pbar.close()
        return update_bar
    t0 = time.perf_counter()
    last = [t0]

    def update_lines(done: int, _total: int) -> None:
        now = time.perf_counter()
        if done >= _total or now - last[0] >= LINE_EVERY:
            last[0] = now
            say(f"{name}: {done}/{_total} ({now - t0:.1f} s)")
    return update_lines
