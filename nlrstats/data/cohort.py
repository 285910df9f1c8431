"""Load a cohort file into a validated :class:`Cohort` with a flow log of every exclusion.

``load_cohort(path, mapping=None)`` reads CSV, Parquet or Excel (see :mod:`nlrstats.data.reading`),
renames, recodes and converts units through a mapping file (see :mod:`nlrstats.data.mapping` and
:mod:`nlrstats.data.recode`), validates every row (see :mod:`nlrstats.data.validate` and
:mod:`nlrstats.data.plausibility`), derives the markers (see :mod:`nlrstats.data.markers`) and
records, per analysis, how many patients enter, how many are excluded and why. A row is
never dropped without a line in :attr:`Cohort.flow`. How the file was read (encoding, separator,
decimal mark, sheet, units) is ``cohort.mapping.reading`` (a :class:`~nlrstats.data.reading.Reading`).
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import polars as pl

from nlrstats.data.mapping import Mapping, MappingError, parse_file_options, read_mapping
from nlrstats.data.markers import MARKERS, derive_markers, group_expr, group_labels
from nlrstats.data.messages import DataError, ReadError, escape
from nlrstats.data.progress import stage
from nlrstats.data.reading import FileOptions, RawTable, Reading, read_table, table_from_frame
from nlrstats.data.recode import apply_mapping
from nlrstats.data.schema import COLUMNS, data_dictionary
from nlrstats.data.validate import CohortError, convert_and_check, to_number

__all__ = ["Cohort", "load_cohort", "resolve_data_path", "cohort_from_frame", "CohortError", "MappingError",
           "ReadError", "DataError", "Reading", "data_dictionary", "bundled_cohort_path"]


def resolve_data_path(path: str | Path) -> Path:
    """Find a data file named relative to the working directory or to the project root.

    Quarto runs a document's cells in the document's folder (``reports/``) while users name files
    from the project root (``-P data:cohorts/validation.csv``); both are tried, the working
    directory first, then each parent folder holding a ``_quarto.yml``. The name is taken
    literally (``Kyoto [final].csv`` is not a glob pattern).

    Raises
    ------
    FileNotFoundError
        naming the places looked in and files with a similar name.
    """
    path = Path(path)
    if path.exists():
        return path
    for parent in [] if path.is_absolute() else [Path.cwd(), *Path.cwd().parents]:
        if (parent / "_quarto.yml").exists() and (parent / path).exists():
            return parent / path
    folder = path.parent if path.parent.is_dir() else None
    similar = []
    if folder is not None:
        names = [p.name for p in folder.iterdir()]
        similar = [n for n in names if n.lower() == path.name.lower()] or \
            difflib.get_close_matches(path.name, names, n=3, cutoff=0.7)
    hint = f"; did you mean {', '.join(escape(folder / n) for n in similar)}?" if similar else ""
    raise FileNotFoundError(f"data file not found: {escape(path)} (looked in {escape(Path.cwd())} and the project "
                            f"root){hint}")


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

    @property
    def reading(self):
        """How the file was read (encoding, separator, decimal mark, sheet, units...), or None for a frame."""
        return self.mapping.reading

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


def _finish(table: RawTable, mapping: Mapping, cutoff: float | None, path: Path | None = None) -> Cohort:
    """Map, validate and derive a table read from a file or a frame; raise with every problem found."""
    source = table.reading.source
    mapped, notes = apply_mapping(table, mapping)
    mapped, left_out = _without_id_only_rows(mapped)
    notes.extend(left_out)
    typed, problems = convert_and_check(mapped, mapping, table)
    if problems:
        raise CohortError(source, problems, context=table.reading.summary())
    extra = [c for c in typed.columns if c not in COLUMNS and c != "_row"]
    for c in extra:
        # extra columns stay; numbers become numbers so they can be Table-1 variables
        if typed.schema[c] == pl.String:
            as_num = to_number(typed[c], table.reading.decimal)
            if as_num.null_count() == typed[c].null_count():
                if as_num.is_finite().fill_null(True).all():
                    typed = typed.with_columns(as_num.alias(c))
                else:  # inf and NaN are not measurements: the column stays text, and the user is told
                    notes.append(f"extra column {escape(c)} holds non-finite numbers (inf or NaN); kept as text")
    if extra:
        notes.append(f"extra column(s) kept: {', '.join(escape(c) for c in extra)}")
    reading = replace(table.reading, time_unit=mapping.time_unit, count_unit=mapping.counts_unit,
                      column_units=tuple(mapping.column_units.items()))
    described = reading.describe()
    notes = [described[0], described[1], *reading.notes, *notes]
    order = [c.name for c in COLUMNS.values() if c.name in typed.columns] + extra + ["_row"]
    data = derive_markers(typed.select(order))
    if cutoff is not None:
        warnings.warn("load_cohort(cutoff=) is deprecated: groups are the study plan's; use "
                      "nlrstats.StudyPlan.fukuda2020().replace(cutoff=...).grouped(cohort)", DeprecationWarning,
                      stacklevel=3)
        labels = group_labels(MARKERS["nlr"].label, float(cutoff))
        data = data.with_columns(group_expr("nlr_d0", float(cutoff), labels, "nlr_group"))
    return Cohort(data=data, source=source, mapping=replace(mapping, reading=reading), notes=tuple(notes),
                  path=path)


def _without_id_only_rows(mapped: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Rows holding an identifier and nothing else, left out with a note naming them.

    Exports end with a "Total" or "n = 120" line, or keep the ID of a withdrawn patient with every
    cell empty; counted as a patient, such a row would raise the cohort's n and sit in every
    analysis as missing. A row with any other value, even one unusable, stays and is validated.
    """
    if "patient_id" not in mapped.columns or mapped.height == 0:
        return mapped, []
    others = [c for c in mapped.columns if c not in ("patient_id", "_row")]
    if not others:
        return mapped, []
    empty = pl.all_horizontal([pl.col(c).is_null() for c in others]) & pl.col("patient_id").is_not_null()
    gone = mapped.filter(empty)
    if gone.height == 0:
        return mapped, []
    shown = ", ".join(f"{r} ({escape(str(i))})" for r, i in gone.select("_row", "patient_id").head(5).iter_rows())
    more = f" and {gone.height - 5} more" if gone.height > 5 else ""
    note = (f"{gone.height} row(s) with an identifier and no other value left out (a totals line or an empty "
            f"record): {shown}{more}; delete them from the export, or fill in their values, to silence this")
    return mapped.filter(~empty), [note]


def _options(mapping: Mapping, flags: dict) -> FileOptions:
    """The mapping's ``[file]`` options with the caller's flags put in place, checked like the mapping."""
    given = {k: v for k, v in flags.items() if v is not None}
    if not given:
        return mapping.file
    problems: list[str] = []
    checked = parse_file_options(given, problems, where="option")
    if problems:
        raise DataError("; ".join(problems))
    return mapping.file.overridden(**{k: getattr(checked, k) for k in given})


def load_cohort(path: str | Path, mapping: str | Path | dict | Mapping | None = None,
                cutoff: float | None = None, *, sheet: str | int | None = None, encoding: str | None = None,
                separator: str | None = None, decimal: str | None = None, skip_rows: int | None = None,
                na: list[str] | tuple[str, ...] | None = None) -> Cohort:
    """Load, map, validate and derive a cohort file.

    Parameters
    ----------
    path : CSV/TSV/TXT, Parquet or Excel (.xlsx/.xlsm/.xls/.ods) file, optionally gzip-compressed;
        one row a patient.
    mapping : TOML mapping file (or dict / :class:`~nlrstats.data.mapping.Mapping`) for other column
        names, codes, units and file layout; None when the file uses the canonical schema.
    cutoff : deprecated; adds ``nlr_group`` (NLR >= cutoff is high). Groups are made by the study plan:
        ``StudyPlan(...).grouped(cohort)``.
    sheet, encoding, separator, decimal, skip_rows, na : how to read the file; each overrides the
        mapping's ``[file]`` key of the same name (see :mod:`nlrstats.data.mapping`). None: the
        mapping's value, else detected (encoding, separator, decimal) or the default (first sheet,
        no skipped rows, :data:`~nlrstats.data.schema.MISSING_TOKENS`).

    Returns
    -------
    Cohort
        ``cohort.mapping.reading`` records how the file was read and the units.

    Raises
    ------
    ReadError
        when the file cannot be read as a table (a directory, empty, header only, ragged rows, ...).
    CohortError
        listing every problem found (row, patient_id, column, value, what was expected, the fix).
    MappingError
        when the mapping has unknown keys, names a column the file lacks, or leaves values unmapped.
    FileNotFoundError
        when the data file does not exist.
    """
    path = resolve_data_path(path)
    if mapping is not None and isinstance(mapping, (str, Path)):
        try:
            mapping = resolve_data_path(mapping)
        except FileNotFoundError:
            raise MappingError(f"mapping file not found: {escape(mapping)}") from None
    m = read_mapping(mapping)
    options = _options(m, {"sheet": sheet, "encoding": encoding, "separator": separator, "decimal": decimal,
                           "skip_rows": skip_rows, "na": list(na) if na is not None else None})
    with stage(f"read {path.name}"):
        table = read_table(path, options)
    with stage(f"validate {path.name}"):
        return _finish(table, m, cutoff, path)


def cohort_from_frame(frame: pl.DataFrame, source: str = "(data frame)", mapping=None,
                      cutoff: float | None = None) -> Cohort:
    """Validate an in-memory frame (e.g. a simulated cohort) exactly as a file would be."""
    m = read_mapping(mapping)
    na = m.file.na if m.file.na is not None else None
    table = table_from_frame(frame, source) if na is None else table_from_frame(frame, source, na=("", *na))
    return _finish(table, m, cutoff)
