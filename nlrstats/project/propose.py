"""Propose a mapping file (TOML) from a data file's own headers and values.

``nlrstats new DIR --data export.xlsx`` writes what this module proposes: for each column of the
canonical schema (:data:`nlrstats.data.schema.SCHEMA`) the header that names it, for each coded
column (response, sex, events, yes/no) the file's words translated to canonical codes, and the units
of counts and times. Every guess is written as an editable line with a comment saying why; what
could not be matched stays a comment, so loading the cohort names it rather than guessing silently.
The proposal is checked by loading the file through it (:func:`nlrstats.data.cohort.load_cohort`).
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import polars as pl

from nlrstats.data.schema import COUNT_COLUMNS, MISSING_TOKENS, RESPONSE_CODES, SCHEMA, TIME_COLUMNS

__all__ = ["propose_mapping", "read_headers_and_values"]

# Words a hospital export uses for each canonical column (matched on the lower-cased header with
# punctuation as spaces). Day-14 and day-0 twins are told apart by a day marker, see _day().
_NAME_PATTERNS: dict[str, str] = {
    "patient_id": r"\b(patient|study|subject|record|case|mrn)\b.*\b(id|no|number|code)\b|^(id|mrn|pid)$",
    "age": r"\bage\b",
    "sex": r"\b(sex|gender)\b",
    "ecog": r"\b(ecog|ps|who ps|performance)\b",
    "distant_metastasis": r"\b(m1|m stage|metastas\w*|metastat\w*|distant)\b",
    "tumor_size_cm": r"\b(tumou?r|lesion)\b.*\b(size|diameter)\b|^size\b",
    "wbc": r"\b(wbc|white|leu[ck]ocytes?)\b",
    "neutrophils": r"\b(anc|neut\w*|neu)\b",
    "lymphocytes": r"\b(alc|lymph\w*|lym)\b",
    "monocytes": r"\b(amc|mono\w*|mon)\b",
    "platelets": r"\b(plt|platelets?|thrombocytes?)\b",
    "nlr": r"\bnlr\b",
    "best_response": r"\b(response|recist|bor)\b",
    "best_pct_change": r"\b(change|pct|percent|shrinkage)\b",
    "pfs_months": r"\bpfs\b|progression free",
    "pfs_event": r"\bprogress(ed|ion)?\b|\bpfs\b.*\b(event|status|censor\w*)\b",
    "os_months": r"\bos\b|overall survival|survival time",
    "os_event": r"\b(vital|death|dead|died|deceased)\b|\bos\b.*\b(event|status|censor\w*)\b",
}
_EVENT_WORDS = r"\b(event|status|censor\w*|progressed|vital|dead|death|died)\b"
_DAY14 = r"(\bd\s*14\b|\bday\s*14\b|\bw(ee)?k\s*2\b|\b14\b|\bfollow ?up\b|\bpost\b|\bon treatment\b)"

# File words -> canonical codes, by the schema's column kind.
_VALUE_WORDS: dict[str, list[tuple[str, object]]] = {
    "response": [(r"^cr$|complete", "CR"), (r"^pr$|partial", "PR"), (r"^sd$|stable", "SD"),
                 (r"^pd$|progress", "PD"), (r"^ne$|not evaluable|unevaluable|not assessed|unknown", "NE")],
    "sex": [(r"^(f|female|woman|w)$", "F"), (r"^(m|male|man)$", "M")],
    "event": [(r"^(1|yes|y|true|dead|died|deceased|death|event|progressed|progression)$", 1),
              (r"^(0|no|n|false|alive|censored|living|no event)$", 0)],
    "bool": [(r"^(1|yes|y|true|present|m1)$", "true"), (r"^(0|no|n|false|absent|m0)$", "false")],
}


def read_headers_and_values(path: str | Path) -> pl.DataFrame:
    """The data file with every column as text (CSV / TSV, Parquet, Excel), as the cohort loader reads it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return pl.read_csv(path, infer_schema=False, separator="\t" if suffix == ".tsv" else ",")
    if suffix == ".parquet":
        return pl.read_parquet(path).with_columns(pl.all().cast(pl.String))
    if suffix in (".xlsx", ".xlsm"):
        return pl.read_excel(path, infer_schema_length=0)
    raise ValueError(f"{path.name}: cannot read {suffix or 'a file without suffix'}; use .csv, .tsv, .parquet or .xlsx")


def _norm(header: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", header.lower())).strip()


def _day(header: str) -> str:
    return "d14" if re.search(_DAY14, _norm(header)) else "d0"


def _matches(canonical: str, header: str) -> bool:
    h = _norm(header)
    if h == _norm(canonical):
        return True
    base = re.sub(r"_d(0|14)$", "", canonical)
    pattern = _NAME_PATTERNS.get(base)
    if pattern is None or not re.search(pattern, h):
        return False
    if base != canonical:  # a day-0 / day-14 pair
        return _day(header) == canonical[-3:].lstrip("_")
    if canonical in TIME_COLUMNS and re.search(_EVENT_WORDS, h):
        return False
    if canonical == "best_response" and re.search(_NAME_PATTERNS["best_pct_change"], h):
        return False
    if canonical == "best_pct_change" and not ("%" in header or re.search(r"\b(change|shrinkage)\b", h)):
        return False
    return True


def _present(values: pl.Series) -> list[str]:
    return [v.strip() for v in values.drop_nulls().to_list() if v is not None and v.strip() not in MISSING_TOKENS]


def _numbers(values: list[str]) -> list[float]:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except ValueError:
            pass
    return out


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value_table(kind: str, values: list[str]) -> tuple[list[str], bool]:
    """TOML lines translating the file's distinct words; True when every word is already canonical."""
    distinct = sorted(set(values))[:50]
    canonical = {"response": set(RESPONSE_CODES), "sex": {"F", "M"}, "event": {"0", "1"},
                 "bool": {"true", "false", "True", "False"}}[kind]
    if all(v in canonical for v in distinct):
        return [], True
    lines = []
    for v in distinct:
        code = next((c for pat, c in _VALUE_WORDS[kind] if re.search(pat, v.lower())), None)
        if code is None:
            lines.append(f"# {_toml_str(v)} = ?   # not recognised: give its code, or loading will name it")
        else:
            lines.append(f"{_toml_str(v)} = {code if isinstance(code, int) else _toml_str(str(code))}")
    return lines, False


def propose_mapping(path: str | Path) -> str:
    """A mapping file (TOML text) for ``path``, proposed from its headers and values; edit and keep it.

    Columns whose header already is the canonical name need no line and get none; canonical columns
    that no header names are listed as comments; the units are guessed from the headers ("(days)",
    "cells/uL") and, failing that, from the size of the values (a median neutrophil count above 100
    is read as cells/uL, a median survival time above 60 as days).
    """
    frame = read_headers_and_values(path)
    headers = list(frame.columns)
    used: set[str] = set()
    columns: dict[str, str] = {}
    for spec in SCHEMA:  # exact names first, so a pattern cannot take a column named canonically
        if spec.name in headers:
            columns[spec.name] = spec.name
            used.add(spec.name)
    for spec in SCHEMA:
        if spec.name in columns:
            continue
        hit = next((h for h in headers if h not in used and _matches(spec.name, h)), None)
        if hit is not None:
            columns[spec.name] = hit
            used.add(hit)

    lines = [f"# Mapping proposed by `nlrstats new` from the headers and values of {Path(path).name}.",
             "# Check every line: the names on the right are your file's; the left side is nlrstats' schema",
             "# (`nlrstats dictionary` lists it).", "[columns]"]
    for spec in SCHEMA:
        if spec.name in columns and columns[spec.name] != spec.name:
            lines.append(f"{spec.name} = {_toml_str(columns[spec.name])}")
        elif spec.name not in columns:
            need = "required" if spec.required else f"optional, for {spec.needed_for}"
            lines.append(f"# {spec.name} = ?   # no column found ({need}): {spec.description}")
    unused = [h for h in headers if h not in used]
    if unused:
        lines.append("# columns of the file not mapped (kept as extra columns): " + ", ".join(unused))

    for spec in SCHEMA:
        if spec.name in columns and spec.kind in _VALUE_WORDS:
            table, canonical = _value_table(spec.kind, _present(frame[columns[spec.name]]))
            if not canonical:
                lines += ["", f"[values.{spec.name}]", *table]

    counts_unit, counts_why = "10^9/L", "the default"
    count_cols = [columns[c] for c in COUNT_COLUMNS if c in columns]
    header_text = " ".join(h.lower() for h in count_cols)
    if re.search(r"cells? ?/ ?(ul|µl|mm3)|/ ?ul\b|/mm3", header_text):
        counts_unit, counts_why = "cells/uL", "named in the headers"
    elif "neutrophils_d0" in columns:
        nums = _numbers(_present(frame[columns["neutrophils_d0"]]))
        if nums and statistics.median(nums) > 100:
            counts_unit, counts_why = "cells/uL", f"median neutrophil count {statistics.median(nums):g}"
    time_unit, time_why = "months", "the default"
    time_cols = [columns[c] for c in TIME_COLUMNS if c in columns]
    for word, unit in (("day", "days"), ("week", "weeks"), ("month", "months"), ("year", "years")):
        if any(re.search(rf"\b{word}s?\b", _norm(h)) for h in time_cols):
            time_unit, time_why = unit, "named in the headers"
            break
    else:
        nums = [x for h in time_cols for x in _numbers(_present(frame[h]))]
        if nums and statistics.median(nums) > 60:
            time_unit, time_why = "days", f"median time {statistics.median(nums):g}"
    lines += ["", "[units]", f"counts = {_toml_str(counts_unit)}   # {counts_why}",
              f"time = {_toml_str(time_unit)}   # {time_why}", ""]
    return "\n".join(lines)
