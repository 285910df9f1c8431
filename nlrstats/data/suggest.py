"""Fixes a message can offer: "did you mean" for column names, and the exact TOML lines to add.

Column names are compared after folding case, spaces, dashes and dots ("OS (months)" ~ "os_months"),
then by similarity (:func:`difflib.get_close_matches`), then through a short table of names
hospital exports use for the canonical columns ("ANC" for neutrophils, "Vital status" for the OS
event). Coded values get a guess at their canonical code from the words they contain ("dead" -> 1,
"Partial response" -> "PR"); a value without a guess is written with a comment to fill it in.
Every suggestion is printed as TOML the user can paste into the mapping, values escaped as TOML
strings.
"""

from __future__ import annotations

import difflib
import re

from nlrstats.data.messages import toml_string

__all__ = ["fold", "similar_columns", "columns_toml", "values_toml", "guess_code", "ALIASES"]

#: Names hospital exports give the canonical columns (folded; see :func:`fold`).
ALIASES = {
    "patient_id": ("id", "patient", "patientid", "subject", "subjectid", "studyid", "pid", "mrn", "caseid",
                   "patientnumber", "patientno"),
    "age": ("ageyears", "ageatbaseline", "ageatstart"),
    "sex": ("gender",),
    "ecog": ("ps", "ecogps", "performancestatus"),
    "distant_metastasis": ("m1", "mstage", "metastasis", "distantmets"),
    "wbc": ("wbcbaseline", "whitecells", "leukocytes", "wbccount"),
    "neutrophils_d0": ("anc", "ancbaseline", "neutrophils", "neut", "neutrophil", "neutrophilsbaseline"),
    "lymphocytes_d0": ("alc", "alcbaseline", "lymphocytes", "lymph", "lymphocyte", "lymphocytesbaseline"),
    "monocytes_d0": ("amc", "amcbaseline", "monocytes", "mono"),
    "platelets_d0": ("plt", "pltbaseline", "platelets"),
    "neutrophils_d14": ("ancday14", "ancd14", "neutrophilsday14"),
    "lymphocytes_d14": ("alcday14", "alcd14", "lymphocytesday14"),
    "best_response": ("response", "bestresponse", "bor", "recist", "bestoverallresponse"),
    "best_pct_change": ("bestchange", "pctchange", "bestpercentchange"),
    "pfs_months": ("pfs", "pfstime", "pfsdays", "pfsmonths"),
    "pfs_event": ("progressed", "progression", "pfsstatus", "pfscensor", "pfsevent"),
    "os_months": ("os", "ostime", "osdays", "osmonths", "overallsurvival"),
    "os_event": ("vitalstatus", "status", "death", "dead", "died", "osstatus", "oscensor", "osevent"),
}

_EVENT_1 = {"1", "dead", "died", "deceased", "death", "yes", "y", "true", "t", "event", "progressed", "progression",
            "progressive", "relapse", "relapsed", "recurrence", "pd"}
_EVENT_0 = {"0", "alive", "living", "censored", "censor", "no", "n", "false", "f", "noevent", "notprogressed"}
_RESPONSE = (("complete", "CR"), ("cr", "CR"), ("partial", "PR"), ("pr", "PR"), ("stable", "SD"), ("sd", "SD"),
             ("progress", "PD"), ("pd", "PD"), ("notevaluable", "NE"), ("ne", "NE"), ("unknown", "NE"),
             ("nonevaluable", "NE"), ("inevaluable", "NE"))
_SEX = (("female", "F"), ("woman", "F"), ("women", "F"), ("weiblich", "F"), ("w", "F"), ("f", "F"),
        ("male", "M"), ("man", "M"), ("men", "M"), ("mannlich", "M"), ("m", "M"))
_BOOL_T = {"1", "yes", "y", "true", "t", "m1", "present", "positive", "+"}
_BOOL_F = {"0", "no", "n", "false", "f", "m0", "absent", "negative", "none", "-"}


def fold(name: str) -> str:
    """A name folded for comparison: lower case, letters and digits only, units in brackets dropped."""
    s = str(name).lower()
    s = re.sub(r"[\(\[].*?[\)\]]", "", s) if re.sub(r"[\(\[].*?[\)\]]", "", s).strip() else s
    return re.sub(r"[^0-9a-z]+", "", s)


def similar_columns(canonical: str, found: list[str], n: int = 3) -> list[str]:
    """The file's columns most like a canonical column: same when folded, an alias, or close in spelling."""
    want = fold(canonical)
    aliases = set(ALIASES.get(canonical, ()))
    exact = [c for c in found if fold(c) == want]
    alias = [c for c in found if fold(c) in aliases and c not in exact]
    by_fold = {fold(c): c for c in found}
    close = [by_fold[f] for f in difflib.get_close_matches(want, list(by_fold), n=n, cutoff=0.75)]
    out: list[str] = []
    for c in exact + alias + close:
        if c not in out:
            out.append(c)
    return out[:n]


def columns_toml(pairs: list[tuple[str, str]]) -> str:
    """``[columns]`` lines mapping each canonical column to the file's column."""
    return "\n".join(["[columns]"] + [f"{canon} = {toml_string(src)}" for canon, src in pairs])


def guess_code(kind: str, value: str) -> str | int | None:
    """The canonical code a file's value most likely stands for, or None."""
    v = re.sub(r"[^0-9a-z+\-]+", "", str(value).lower())
    if kind == "event":
        return 1 if v in _EVENT_1 else 0 if v in _EVENT_0 else None
    if kind == "bool":
        return "true" if v in _BOOL_T else "false" if v in _BOOL_F else None
    if kind == "response":
        for word, code in _RESPONSE:
            if v == word or (len(word) > 2 and word in v):
                return code
        return None
    if kind == "sex":
        for word, code in _SEX:
            if v == word or (len(word) > 2 and v.startswith(word)):
                return code
    return None


_ALLOWED = {"event": "1 = event, 0 = censored", "bool": "\"true\" or \"false\"",
            "response": "\"CR\", \"PR\", \"SD\", \"PD\" or \"NE\"", "sex": "\"F\" or \"M\""}


def values_toml(column: str, kind: str, values: list[str], limit: int = 20) -> str:
    """A ``[values.column]`` table for ``values``, each with its guessed code or a comment to fill it in."""
    lines = [f"[values.{column}]"]
    for v in values[:limit]:
        code = guess_code(kind, v)
        if code is None:
            placeholder = 0 if kind == "event" else '""'
            lines.append(f"{toml_string(v)} = {placeholder}  # fill in: {_ALLOWED.get(kind, 'the canonical value')}")
        else:
            lines.append(f"{toml_string(v)} = {code if isinstance(code, int) else toml_string(code)}")
    if len(values) > limit:
        lines.append(f"# ... and {len(values) - limit} more value(s)")
    return "\n".join(lines)
