"""User text made inert: names from the user's data or parameters shown as text, never as markup.

Cohort names, file names, group labels, category values and column names reach documents through
markdown printed by ``output: asis`` cells or inline expressions. :func:`md_escape` turns every character
that pandoc or a browser could read as markup into its literal form, so ``[click](javascript:...)`` stays
text, ``![x](https://host/beacon.png)`` loads nothing, and ``<script>`` runs nothing. Control characters
are shown as escapes (``\\x1b``) instead of reaching the reader raw.
"""

from __future__ import annotations

import re

__all__ = ["md_escape", "bullet_list", "visible_controls", "Markdown", "markdown"]

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~^$@<>:\"'=&;/%"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible_controls(text: str) -> str:
    """Control characters as ``\\xNN`` escapes; newlines and tabs become spaces."""
    text = str(text).replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def md_escape(text: str) -> str:
    """Text from user data made inert for pandoc markdown (and the HTML, DOCX and PDF made from it).

    Every ASCII punctuation character that markdown or HTML gives a meaning is backslash-escaped
    (pandoc's ``all_symbols_escapable``: a backslash before any ASCII punctuation gives the character
    itself), so no emphasis, link, image, citation, raw HTML or entity can form; control characters
    are shown as escapes.
    """
    return visible_controls(text).translate(_MD_SPECIAL)


def bullet_list(lines) -> str:
    """A markdown bullet list of escaped lines (empty string when there are none)."""
    return "\n".join(f"- {md_escape(line)}" for line in lines)


class Markdown(str):
    """A string that documents show as markdown.

    Quarto (and the built-in renderer) show an inline ``{python}`` expression's ``text/markdown`` form when
    it has one, and otherwise its plain repr; this type offers the markdown form, so a sentence from
    :mod:`nlrstats.present.narrative` renders with its emphasis, while the user text inside it was escaped
    when the sentence was built. It prints as itself in ``output: asis`` cells.
    """

    def _repr_markdown_(self) -> str:
        return str(self)


def markdown(func):
    """Decorator: the function's string result becomes :class:`Markdown`."""
    def wrapper(*args, **kwargs):
        return Markdown(func(*args, **kwargs))
    wrapper.__name__, wrapper.__doc__, wrapper.__qualname__ = func.__name__, func.__doc__, func.__qualname__
    wrapper.__wrapped__ = func
    return wrapper
