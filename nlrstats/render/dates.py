"""The date a rendered document carries, so that reruns give the same bytes.

A document's ``date: today`` would change the output every day, and pandoc (docx) and typst (PDF)
stamp the time of the run into the file's metadata. The date is therefore chosen once per render:

1. ``--date YYYY-MM-DD`` (``render_document(date=...)``), else
2. ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention: seconds since 1970, UTC), else
3. the document's own ``date`` (``today`` is today's date).

Every time stamp inside the file (docx ``dcterms:created``, zip entries, the PDF's creation date) is
midnight UTC of that date, or ``SOURCE_DATE_EPOCH`` itself when it is set.
"""

from __future__ import annotations

import datetime as dt
import os

from nlrstats.render.errors import RenderError

__all__ = ["document_date", "epoch_of", "parse_date"]


def parse_date(text: str) -> str:
    """``text`` as an ISO date ``YYYY-MM-DD``; :class:`RenderError` naming the expected form otherwise."""
    try:
        return dt.date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise RenderError(f"date {text!r}: expected YYYY-MM-DD, e.g. 2026-03-31") from None


def _source_date_epoch() -> int | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise RenderError(f"SOURCE_DATE_EPOCH={raw!r}: expected whole seconds since 1970-01-01 UTC") from None


def document_date(explicit: str | None) -> str | None:
    """The date to print in the document: ``explicit``, else the day of ``SOURCE_DATE_EPOCH``, else None."""
    if explicit is not None:
        return parse_date(explicit)
    epoch = _source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date().isoformat()
    return None


def epoch_of(date: str | None) -> int:
    """Seconds since 1970 for time stamps in the output: ``SOURCE_DATE_EPOCH`` when set, else midnight UTC of ``date``.

    A date that is not ISO (a document may say ``date: "Spring 2026"``) and no date at all give
    midnight UTC of today, so reruns on one day still agree.
    """
    epoch = _source_date_epoch()
    if epoch is not None:
        return epoch
    try:
        day = dt.date.fromisoformat(str(date)) if date is not None else dt.date.today()
    except ValueError:
        day = dt.date.today()
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
