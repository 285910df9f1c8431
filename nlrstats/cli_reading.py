"""The command line's reading flags and its terminal safety, shared by every command that reads a cohort.

``add_reading_args`` adds ``--sheet``, ``--encoding``, ``--separator``, ``--decimal``, ``--skip-rows``
and ``--na`` (each overrides the mapping's ``[file]`` key of the same name, see
:mod:`nlrstats.data.mapping`); ``reading_kwargs`` passes them to
:func:`nlrstats.data.cohort.load_cohort`. :class:`SafeParser` is argparse with its messages escaped
(an argument can hold control characters), and :func:`safe_streams` makes printing never fail on a
terminal whose encoding lacks a character (it is written as an escape).
"""

from __future__ import annotations

import argparse
import codecs
import sys

from nlrstats.data.messages import escape, escape_message

__all__ = ["add_reading_args", "reading_kwargs", "SafeParser", "safe_streams"]

_SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _encoding(text: str) -> str:
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"'{escape(text)}' is not an encoding Python knows "
                                         "(e.g. utf-8, cp1252, latin-1, cp932)") from None
    return text


def _separator(text: str) -> str:
    sep = _SEPARATOR_NAMES.get(text.lower(), text)
    if len(sep) != 1 or sep in "\"\r\n":
        raise argparse.ArgumentTypeError(f"'{escape(text)}' is not one character (',', ';', 'tab', '|')")
    return sep


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"'{escape(text)}' is not a whole number >= 0")
    return int(text)


def add_reading_args(p: argparse.ArgumentParser) -> None:
    """The flags that say how to read the cohort file."""
    g = p.add_argument_group("reading the file (each overrides the mapping's [file] key)")
    g.add_argument("--sheet", help="workbook sheet: a name, or its position from 1 (default the first)")
    g.add_argument("--encoding", type=_encoding, help="text encoding, e.g. utf-8, cp1252, cp932 (default: detected)")
    g.add_argument("--separator", type=_separator, help="field separator: ',', ';', 'tab', '|' (default: detected)")
    g.add_argument("--decimal", choices=[".", ","], help="decimal mark (default: detected)")
    g.add_argument("--skip-rows", type=_count, metavar="N", help="lines (rows) above the header to skip")
    g.add_argument("--na", action="append", metavar="TEXT",
                   help="a spelling of a missing value; repeat for several (replaces the defaults)")


def reading_kwargs(args: argparse.Namespace) -> dict:
    """The reading flags of a parsed command line as keyword arguments of ``load_cohort``."""
    return {k: getattr(args, k, None) for k in ("sheet", "encoding", "separator", "decimal", "skip_rows", "na")}


class SafeParser(argparse.ArgumentParser):
    """argparse with its messages escaped (an argument can hold control characters)."""

    def error(self, message: str):
        super().error(escape_message(message))


def safe_streams() -> None:
    """Never fail on printing: characters the terminal's encoding lacks are written as escapes."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # a replaced stream (pytest, a notebook) keeps its own rules
            pass
