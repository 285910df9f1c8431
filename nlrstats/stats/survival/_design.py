"""Model matrix for Cox models with R's treatment contrasts and R's column names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError
from nlrstats.stats.survival._data import factor

__all__ = ["Design", "model_matrix"]


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class Design:
    """Covariate matrix (n x p), R column names and the source column of each."""

    X: np.ndarray
    names: tuple[str, ...]
    source: tuple[str, ...]
    binary: tuple[bool, ...]  # 0/1 dummy columns (for the zero-events check)
    references: dict  # column -> reference level label, for categorical terms


def _is_categorical(dt) -> bool:
    return dt in (pl.String, pl.Boolean) or isinstance(dt, (pl.Enum, pl.Categorical))


def model_matrix(frame: pl.DataFrame, terms: tuple[str, ...], reference=None, formula: str = "") -> Design:
    """Treatment-contrast coding as R's ``model.matrix``: first level is the reference.

    Parameters
    ----------
    reference : dict or str, optional
        ``{"column": level}`` to choose another reference level (R's ``relevel``);
        a bare level is accepted when the model has exactly one categorical term.
        For boolean columns the level may be given as ``True``/``False`` or "TRUE"/"FALSE".
    """
    cats = [t for t in terms if _is_categorical(frame.schema[t])]
    if reference is None:
        reference = {}
    elif not isinstance(reference, dict):
        if len(cats) != 1:
            raise ValueError("reference given as a single level needs exactly one categorical term; "
                             "pass a dict {column: level}")
        reference = {cats[0]: reference}
    for col in reference:
        if col not in cats:
            raise FormulaError(f"{formula}: reference given for '{col}', which is not a categorical term")
    cols, names, source, binary, refs = [], [], [], [], {}
    for t in terms:
        s = frame[t]
        if _is_categorical(s.dtype):
            fac = factor(s)
            if len(fac.levels) < 2:
                raise FormulaError(f"{formula}: column '{t}' has a single level "
                                   f"({fac.labels[0] if fac.labels else 'none'}) in the complete cases; "
                                   "a contrast needs two or more")
            ref = 0
            if t in reference:
                want = reference[t]
                lab = {"TRUE": True, "FALSE": False}.get(want, want) if s.dtype == pl.Boolean else want
                matches = [i for i, (lv, lb) in enumerate(zip(fac.levels, fac.labels)) if lv == lab or lb == want]
                if not matches:
                    raise FormulaError(f"{formula}: reference level {want!r} not found in column '{t}' "
                                       f"(levels: {', '.join(fac.labels)})")
                ref = matches[0]
            refs[t] = fac.labels[ref]
            for i, lb in enumerate(fac.labels):
                if i == ref:
                    continue
                cols.append((fac.codes == i).astype(np.float64))
                names.append(f"{t}{lb}")
                source.append(t)
                binary.append(True)
        elif s.dtype.is_numeric():
            x = s.cast(pl.Float64).to_numpy()
            cols.append(x)
            names.append(t)
            source.append(t)
            binary.append(bool(np.isin(x, (0.0, 1.0)).all()))
        else:
            raise FormulaError(f"{formula}: column '{t}' has type {s.dtype}; use numeric, boolean or string")
    X = np.column_stack(cols) if cols else np.zeros((frame.height, 0))
    return Design(X, tuple(names), tuple(source), tuple(binary), refs)
