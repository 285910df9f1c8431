"""Units of blood counts and follow-up times: their factors to the canonical unit and their spellings.

Counts are stored in 10^9/L and times in months (1 month = 365.25 / 12 = 30.4375 days, the
convention of R's ``lubridate`` and of most survival papers). Hospital systems write the same unit
many ways (``cells/µL`` with a micro sign, ``cells/μL`` with a Greek mu, ``/mcL``, ``x10^9/l``,
``K/uL``); :func:`count_unit` and :func:`time_unit` accept those spellings and return the canonical
name, or None for a unit they do not know.
"""

from __future__ import annotations

import re

__all__ = ["COUNT_FACTORS", "TIME_FACTORS", "count_unit", "time_unit", "DAYS_PER_MONTH"]

DAYS_PER_MONTH = 365.25 / 12

#: Multiply a count in this unit by the factor to get 10^9/L.
COUNT_FACTORS = {"10^9/L": 1.0, "10^3/uL": 1.0, "G/L": 1.0, "cells/uL": 1e-3, "cells/mm3": 1e-3, "10^6/L": 1e-3}
#: Multiply a time in this unit by the factor to get months.
TIME_FACTORS = {"months": 1.0, "days": 1 / DAYS_PER_MONTH, "weeks": 7 / DAYS_PER_MONTH, "years": 12.0}

# written forms after _squash (lower case, no spaces, micro sign / mu / "mc" -> "u", superscripts -> ^n)
_COUNT_SPELLINGS = {
    "10^9/l": "10^9/L", "g/l": "G/L", "giga/l": "G/L",
    "10^3/ul": "10^3/uL", "k/ul": "10^3/uL", "thousand/ul": "10^3/uL", "10^3/mm3": "10^3/uL",
    "cells/ul": "cells/uL", "/ul": "cells/uL", "cell/ul": "cells/uL", "n/ul": "cells/uL",
    "cells/mm3": "cells/mm3", "/mm3": "cells/mm3", "cell/mm3": "cells/mm3",
    "10^6/l": "10^6/L",
}
_TIME_SPELLINGS = {
    "months": "months", "month": "months", "mo": "months", "mon": "months", "mths": "months",
    "days": "days", "day": "days", "d": "days",
    "weeks": "weeks", "week": "weeks", "wk": "weeks", "wks": "weeks", "w": "weeks",
    "years": "years", "year": "years", "yr": "years", "yrs": "years", "y": "years",
}
_SUPERSCRIPTS = str.maketrans({"⁰": "^0", "¹": "^1", "²": "^2", "³": "^3", "⁴": "^4", "⁵": "^5", "⁶": "^6",
                               "⁷": "^7", "⁸": "^8", "⁹": "^9"})


def _squash(unit: str) -> str:
    s = str(unit).strip().translate(_SUPERSCRIPTS).replace("\u00b5", "u").replace("\u03bc", "u")
    s = re.sub(r"\s+", "", s).lower().replace("^^", "^")
    s = re.sub(r"^(x|×|\*)(?=10)", "", s)              # "x10^9/L", "×10^9/L"
    s = re.sub(r"10(\*\*|\*|e|\^)?(\d)", r"10^\2", s)  # "10*9/L", "10**9/L", "10e9/L", "109/L" (lost caret)
    s = re.sub(r"^1e(\d)", r"10^\1", s)                 # "1e9/L"
    s = s.replace("mcl", "ul").replace("mm^3", "mm3").replace("/microl", "/ul").replace("per", "/")
    return s.replace("//", "/")


def count_unit(unit: str) -> str | None:
    """The canonical name (a key of :data:`COUNT_FACTORS`) of a blood-count unit as written, or None."""
    if unit in COUNT_FACTORS:
        return unit
    return _COUNT_SPELLINGS.get(_squash(unit))


def time_unit(unit: str) -> str | None:
    """The canonical name (a key of :data:`TIME_FACTORS`) of a time unit as written, or None."""
    if unit in TIME_FACTORS:
        return unit
    return _TIME_SPELLINGS.get(_squash(unit))
