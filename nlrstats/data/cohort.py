"""Load a cohort file into a validated :class:`Cohort` with a flow log of every exclusion.

``load_cohort(path, mapping=None)`` reads CSV, Parquet or Excel (.xlsx), renames, recodes
and converts units through a mapping file (see :mod:`nlrstats.data.mapping`), validates every
row (see :mod:`nlrstats.data.validate`), derives the markers (see :mod:`nlrstats.data.markers`) and
records, per analysis, how many patients enter, how many are excluded and why. A row is
never dropped without a line in :attr:`Cohort.flow`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import polars as pl

from nlrstats.data.mapping import Mapping, MappingError, read_mapping
from nlrstats.data.markers import MARKERS, derive_markers, group_expr, group_labels
from nlrstats.data.schema import COLUMNS, MISSING_TOKENS, RESPONSE_CODES, data_dictionary
from nlrstats.data.validate import CohortError, Problem, convert_and_check

__all__ = ["Cohort", "load_cohort", "resolve_data_path", "cohort_from_frame", "CohortError", "MappingError",
           "data_dictionary", "bundled_cohort_path"]

def resolve_data_path(path: str | Path) -> Path:
    """Find a data file named relative to the working directory or to the project root.

    Quarto runs a document's cells in the document's folder (``reports/``) while users name files
    from the project root (``-P data:cohorts/validation.csv``); both are tried, the working
    directory first, then each parent folder holding a ``_quarto.yml``.
    """
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    for parent in [Path.cwd(), *Path.cwd().parents]:
        if (parent / "_quarto.yml").exists() and (parent / path).exists():
            return parent / path
    raise FileNotFoundError(f"data file not found: {path} (looked in {Path.cwd()} and the project root)")


def bundled_cohort_path(name: str = "fukuda2020_reconstructed.csv") -> Path:
    """Path of a file shipped with the package in ``nlrstats/data/bundled/``.

    ``fukuda2020_reconstructed.csv`` (default) is the synthetic reconstruction of Fukuda et al. (2020);
    ``example_validation.csv`` / ``.toml`` are a simulated hospital export and its mapping.
    """
    path = Path(str(resources.files("nlrstats.data") / "bundled" / name))
    if not path.is_file():
        raise FileNotFoundError(f"bundled file {name} is not in the installed package ({path.parent})")
    return path


@dataclass(frozen=True)
class Cohort:
    """A validated cohort: one row a patient, canonical columns plus the derived markers.

    Attributes
    ----------
    data : canonical columns plus every marker of :data:`nlrstats.data.markers.MARKERS` at day 0 and
        day 14 with its change, and the response flags. Groups at a cut-off are made by the study plan
        (:meth:`nlrstats.study.plan.StudyPlan.grouped`), not here.
    source : name of the file (or frame) it came from.
    mapping : the mapping applied.
    notes : what the loader did to the data (renames, recodes, unit conversions, missing tokens).
    path : the file read, when the cohort came from a file.
    """

    data: pl.DataFrame
    source: str
    mapping: Mapping = field(default_factory=Mapping)
    notes: tuple[str, ...] = ()
    path: Path | None = None

    @property
    def n(self) -> int:
        return self.data.height

    def exclusions(self, requirements: dict[str, tuple[str, ...]], analysis: str | None = None) -> pl.DataFrame:
        """Every patient excluded from an analysis (or from all) with the row and the reason.

        Parameters
        ----------
        requirements : analysis name -> the columns it needs (a plan's ``requirements``).
        analysis : one analysis of ``requirements``; None for all.

        Returns
        -------
        polars.DataFrame with analysis, patient_id, _row, reason; the reason names the first required
        column that is missing for that patient ("missing nlr_d14", or "no nlr_d14 in the data").
        """
        names = [analysis] if analysis else list(requirements)
        frames = []
        for name in names:
            if name not in requirements:
                raise KeyError(f"unknown analysis '{name}' (known: {', '.join(requirements)})")
            reason = pl.lit(None, dtype=pl.String)
            for col in reversed(requirements[name]):
                if col not in self.data.columns or self.data[col].null_count() == self.n:
                    reason = pl.lit(f"no {col} in the data")
                else:
                    reason = pl.when(pl.col(col).is_null()).then(pl.lit(f"missing {col}")).otherwise(reason)
            frames.append(
                self.data.select(pl.lit(name).alias("analysis"), "patient_id", "_row", reason.alias("reason"))
                .filter(pl.col("reason").is_not_null())
            )
        return pl.concat(frames)

    def flow(self, requirements: dict[str, tuple[str, ...]]) -> pl.DataFrame:
        """Per analysis: n_in, excluded, reason (counts per missing column), n_analysed."""
        rows = []
        for analysis in requirements:
            ex = self.exclusions(requirements, analysis)
            reasons = ex.group_by("reason", maintain_order=True).len()
            reason = "; ".join(f"{r} ({k})" for r, k in reasons.iter_rows())
            rows.append((analysis, self.n, ex.height, reason, self.n - ex.height))
        return pl.DataFrame(rows, schema=["analysis", "n_in", "excluded", "reason", "n_analysed"], orient="row")

    def complete(self, columns: tuple[str, ...]) -> pl.DataFrame:
        """The rows complete (non-null) in ``columns``; a column absent from the data leaves no rows."""
        if any(c not in self.data.columns for c in columns):
            return self.data.clear()
        return self.data.drop_nulls(list(columns))

    def __repr__(self) -> str:
        return f"<Cohort {self.source}: {self.n} patients>"


def _read_raw(path: Path) -> tuple[pl.DataFrame, str]:
    """Read every column as text (so that we, not the reader, judge each value) and label rows."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        df = pl.read_csv(path, infer_schema=False, separator=sep)
        first, word = 2, "line"  # line 1 is the header
    elif suffix == ".parquet":
        df = pl.read_parquet(path)
        df = df.with_columns(pl.all().cast(pl.String))
        first, word = 1, "row"
    elif suffix in (".xlsx", ".xlsm"):
        df = pl.read_excel(path, infer_schema_length=0)
        first, word = 2, "row"  # spreadsheet row 1 is the header
    else:
        raise CohortError(str(path), [Problem("", None, "(file)", path.suffix,
                                              "a .csv, .tsv, .parquet or .xlsx file")])
    labels = pl.Series("_row", [f"{word} {i + first}" for i in range(df.height)], dtype=pl.String)
    return df.with_columns(labels), path.name


def _apply_mapping(raw: pl.DataFrame, mapping: Mapping, source: str) -> tuple[pl.DataFrame, list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    for canon, src in mapping.columns.items():
        if src not in raw.columns:
            problems.append(f"[columns] {canon} = \"{src}\": the file has no column '{src}'")
        elif canon in raw.columns and canon != src:
            problems.append(f"[columns] {canon} = \"{src}\": the file also has a column '{canon}'; "
                            "rename one of them")
    if problems:
        raise MappingError(f"mapping {mapping.source} does not fit {source}:\n  - " + "\n  - ".join(problems))
    df = raw.rename({src: canon for canon, src in mapping.columns.items() if src != canon})
    text_cols = [c for c in df.columns if c != "_row" and df.schema[c] == pl.String]
    stripped = df.with_columns(pl.col(text_cols).str.strip_chars())
    is_token = {c: stripped[c].is_in(list(MISSING_TOKENS)) for c in text_cols}
    n_missing_tokens = sum(int(mask.sum()) for mask in is_token.values())
    df = stripped.with_columns(
        pl.when(is_token[c]).then(None).otherwise(pl.col(c)).alias(c) for c in text_cols
    )
    if n_missing_tokens:
        notes.append(f"{n_missing_tokens} value(s) written as a missing-value token "
                     f"({', '.join(repr(t) for t in MISSING_TOKENS)}) read as missing")
    unmapped: list[str] = []
    for canon, table in mapping.values.items():
        if canon not in df.columns:
            unmapped.append(f"[values.{canon}]: the data have no column {canon}")
            continue
        seen = df[canon].drop_nulls().unique().to_list()
        spec = COLUMNS[canon]
        canonical_ok = _canonical_values(spec.kind)
        left = [v for v in seen if v not in table and (canonical_ok is None or v.upper() not in canonical_ok)]
        if left:
            unmapped.append(f"[values.{canon}] leaves value(s) unmapped: "
                            + ", ".join(repr(v) for v in sorted(left)))
        df = df.with_columns(
            pl.col(canon).replace({k: str(v) for k, v in table.items()}).alias(canon)
        )
    if unmapped:
        raise MappingError(f"mapping {mapping.source} on {source}:\n  - " + "\n  - ".join(unmapped))
    return df, notes + mapping.describe()


def _canonical_values(kind: str) -> set[str] | None:
    return {"response": set(RESPONSE_CODES), "sex": {"F", "M"}, "event": {"0", "1"},
            "bool": {"TRUE", "FALSE", "0", "1"}}.get(kind)


def _finish(raw: pl.DataFrame, source: str, mapping: Mapping, cutoff: float | None,
            notes: list[str], path: Path | None = None) -> Cohort:
    typed, problems = convert_and_check(raw, mapping)
    if problems:
        raise CohortError(source, problems)
    extra = [c for c in typed.columns if c not in COLUMNS and c != "_row"]
    for c in extra:
        # extra columns stay; numbers become numbers so they can be Table-1 variables
        if typed.schema[c] == pl.String:
            as_num = typed[c].cast(pl.Float64, strict=False)
            if as_num.null_count() == typed[c].null_count():
                typed = typed.with_columns(as_num.alias(c))
    if extra:
        notes.append(f"extra column(s) kept: {', '.join(extra)}")
    order = [c.name for c in COLUMNS.values() if c.name in typed.columns] + extra + ["_row"]
    data = derive_markers(typed.select(order))
    if cutoff is not None:
        warnings.warn("load_cohort(cutoff=) is deprecated: groups are the study plan's; use "
                      "nlrstats.StudyPlan.fukuda2020().replace(cutoff=...).grouped(cohort)", DeprecationWarning,
                      stacklevel=3)
        labels = group_labels(MARKERS["nlr"].label, float(cutoff))
        data = data.with_columns(group_expr("nlr_d0", float(cutoff), labels, "nlr_group"))
    return Cohort(data=data, source=source, mapping=mapping, notes=tuple(notes), path=path)


def load_cohort(path: str | Path, mapping: str | Path | dict | Mapping | None = None,
                cutoff: float | None = None) -> Cohort:
    """Load, map, validate and derive a cohort file.

    Parameters
    ----------
    path : CSV (.csv/.tsv), Parquet or Excel (.xlsx) file; one row a patient.
    mapping : TOML mapping file (or dict / :class:`~nlrstats.data.mapping.Mapping`) for other column
        names, codes and units; None when the file uses the canonical schema.
    cutoff : deprecated; adds ``nlr_group`` (NLR >= cutoff is high). Groups are made by the study plan:
        ``StudyPlan(...).grouped(cohort)``.

    Returns
    -------
    Cohort

    Raises
    ------
    CohortError
        listing every problem found (row, patient_id, column, value, what was expected).
    MappingError
        when the mapping has unknown keys, names a column the file lacks, or leaves values unmapped.
    """
    path = resolve_data_path(path)
    if mapping is not None and isinstance(mapping, (str, Path)):
        mapping = resolve_data_path(mapping)
    m = read_mapping(mapping)
    raw, source = _read_raw(path)
    mapped, notes = _apply_mapping(raw, m, source)
    return _finish(mapped, source, m, cutoff, notes, path)


def cohort_from_frame(frame: pl.DataFrame, source: str = "(data frame)", mapping=None,
                      cutoff: float | None = None) -> Cohort:
    """Validate an in-memory frame (e.g. a simulated cohort) exactly as a file would be."""
    m = read_mapping(mapping)
    raw = frame.with_columns(pl.all().cast(pl.String))
    raw = raw.with_columns(pl.Series("_row", [f"row {i + 1}" for i in range(raw.height)], dtype=pl.String))
    mapped, notes = _apply_mapping(raw, m, source)
    return _finish(mapped, source, m, cutoff, notes)


