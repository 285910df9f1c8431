"""Model matrix for Cox models with R's treatment contrasts, R's interaction coding and R's column names.

A factor in a term is coded by contrasts (its first level, or the chosen reference, left out)
when the term without it is also in the model (for a main effect: always, a Cox model has an
intercept's role taken by the baseline hazard), and by indicators of all levels otherwise, as
R's ``model.matrix``. Interaction columns are products, the first variable varying fastest,
named ``a:b`` from the columns' names. The :class:`DesignSpec` keeps the levels and spline
knots, so new data get the same columns (``predict``, ``survfit(fit, newdata)``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from nlrstats.stats.formula import FormulaError, SurvFormula
from nlrstats.stats.survival._data import factor, r_format
from nlrstats.stats.survival.splines import rcs_basis, rcs_names

__all__ = ["Design", "DesignSpec", "Coding", "model_matrix", "is_categorical"]


def is_categorical(dt) -> bool:
    return dt in (pl.String, pl.Boolean) or isinstance(dt, (pl.Enum, pl.Categorical))


@dataclass(frozen=True)
class Coding:
    """How one variable becomes columns: numeric, a factor (levels, reference) or a spline (knots)."""

    text: str
    kind: str  # "numeric", "factor", "rcs"
    levels: tuple = ()  # factor levels (values, R's order)
    labels: tuple[str, ...] = ()
    ref: int = 0
    knots: tuple[float, ...] = ()
    boolean: bool = False
    inner: str = ""  # rcs(): the spline's variable, which names its columns (rms)

    def columns(self, s: pl.Series, contrasts: bool, formula: str, codes=None) -> tuple[list[np.ndarray], list[str]]:
        """The variable's columns and names; ``codes`` may give the level indices already."""
        if self.kind == "numeric":
            return [s.cast(pl.Float64).to_numpy()], [self.text]
        if self.kind == "rcs":
            B = rcs_basis(s.cast(pl.Float64).to_numpy(), self.knots)
            return list(B.T), [self.text + nm for nm in rcs_names(self.inner, len(self.knots))]
        codes = _codes(s, self, formula) if codes is None else codes
        keep = [i for i in range(len(self.levels)) if not (contrasts and i == self.ref)]
        na = codes == -2  # a missing value (new data): NA in every indicator, as model.matrix(na.pass)
        cols = [np.where(na, np.nan, (codes == i).astype(np.float64)) if na.any() else (codes == i).astype(np.float64)
                for i in keep]
        return cols, [self.text + self.labels[i] for i in keep]


def _codes(s: pl.Series, c: Coding, formula: str) -> np.ndarray:
    """Level index of each value (-2 for a missing one); a value outside the fitted levels is an
    error, as R's "factor has new levels"."""
    if c.boolean or s.dtype == pl.Boolean:
        key, old = s.cast(pl.Boolean).cast(pl.Int8), [int(v) for v in c.levels]
    elif s.dtype.is_numeric():
        key, old = s.cast(pl.Float64), [float(v) for v in c.levels]
    else:
        key, old = s.cast(pl.String), [str(v) for v in c.levels]
    codes = key.replace_strict(old, list(range(len(old))), default=-1, return_dtype=pl.Int64).to_numpy().copy()
    codes[key.is_null().to_numpy()] = -2
    bad = np.flatnonzero(codes == -1)
    if len(bad):
        raise FormulaError(f"{formula}: factor {c.text} has new level {r_format(key[int(bad[0])])!r} "
                           f"(levels: {', '.join(c.labels)})")
    return codes


@dataclass(frozen=True)
class DesignSpec:
    """What :func:`model_matrix` decided, to build the same columns for new data."""

    formula: SurvFormula = field(repr=False)
    codings: tuple[Coding, ...]
    contrasts: tuple[tuple[bool, ...], ...]  # per term, per variable of the term

    def matrix(self, frame: pl.DataFrame, codes: dict | None = None) -> tuple[np.ndarray, list[str], list[int]]:
        """(X, column names, term index of each column) for a model frame with the variables' columns.

        ``codes`` (variable -> level indices) skips re-coding factors of the fitted data."""
        f = self.formula
        cols, names, assign = [], [], []
        per_var = {}
        for ti, (tvars, con) in enumerate(zip(f.term_vars, self.contrasts)):
            parts = []
            for vi, c in zip(tvars, con):
                key = (vi, c)
                if key not in per_var:
                    text = f.variables[vi].text
                    per_var[key] = self.codings[vi].columns(frame[text], c, f.text, (codes or {}).get(text))
                parts.append(per_var[key])
            # first variable varies fastest, as R
            for combo in itertools.product(*[list(zip(*p)) for p in reversed(parts)]):
                combo = combo[::-1]
                x = combo[0][0].copy()
                for arr, _ in combo[1:]:
                    x = x * arr
                cols.append(x)
                names.append(":".join(nm for _, nm in combo))
                assign.append(ti)
        X = np.column_stack(cols) if cols else np.zeros((frame.height, 0))
        return X, names, assign


@dataclass(frozen=True, eq=False)  # holds arrays: identity equality
class Design:
    """Covariate matrix (n x p), R's column names, the term of each column, and the coding spec."""

    X: np.ndarray
    names: tuple[str, ...]
    assign: tuple[int, ...]  # term index of each column
    terms: tuple[str, ...]  # R's term labels
    binary: tuple[bool, ...]  # 0/1 columns (for the zero-events check)
    nocenter: np.ndarray  # columns coxfit6 neither centres nor scales: values in -1, 0, 1
    references: dict  # variable -> reference level label, for factors coded by contrasts
    spec: DesignSpec = field(repr=False)

    @property
    def source(self) -> tuple[str, ...]:
        """Term label of each column."""
        return tuple(self.terms[a] for a in self.assign)


def _reference_map(f: SurvFormula, frame: pl.DataFrame, reference) -> dict:
    cats = [v.text for v in f.variables
            if v.kind == "factor" or (v.kind != "rcs" and is_categorical(frame.schema[v.text]))]
    if reference is None:
        return {}
    if not isinstance(reference, dict):
        if len(cats) != 1:
            raise ValueError("reference given as a single level needs exactly one categorical term; "
                             "pass a dict {column: level}")
        return {cats[0]: reference}
    for col in reference:
        if col not in cats:
            raise FormulaError(f"{f.text}: reference given for '{col}', which is not a categorical term")
    return dict(reference)


def model_matrix(frame: pl.DataFrame, f: SurvFormula, reference=None, knots: dict | None = None) -> Design:
    """Treatment-contrast coding as R's ``model.matrix``: first level is the reference.

    Parameters
    ----------
    frame : polars.DataFrame
        The model frame: one column per formula variable, named by its text.
    reference : dict or str, optional
        ``{"column": level}`` to choose another reference level (R's ``relevel``);
        a bare level is accepted when the model has exactly one categorical variable.
        For boolean columns the level may be given as ``True``/``False`` or "TRUE"/"FALSE".
    knots : dict, optional
        Knots of each ``rcs()`` variable (computed by the model frame from the data).
    """
    reference = _reference_map(f, frame, reference)
    codings, codes = [], {}
    for v in f.variables:
        s = frame[v.text]
        if v.kind == "rcs":
            codings.append(Coding(v.text, "rcs", knots=tuple((knots or {})[v.text]), inner=v.node.args[0].id))
        elif v.kind == "factor" or is_categorical(s.dtype):
            fac = factor(s)
            if len(fac.levels) < 2:
                raise FormulaError(f"{f.text}: column '{v.text}' has a single level "
                                   f"({fac.labels[0] if fac.labels else 'none'}) in the complete cases; "
                                   "a contrast needs two or more")
            ref = 0
            if v.text in reference:
                want = reference[v.text]
                lab = {"TRUE": True, "FALSE": False}.get(want, want) if s.dtype == pl.Boolean else want
                matches = [i for i, (lv, lb) in enumerate(zip(fac.levels, fac.labels)) if lv == lab or lb == want]
                if not matches:
                    raise FormulaError(f"{f.text}: reference level {want!r} not found in column '{v.text}' "
                                       f"(levels: {', '.join(fac.labels)})")
                ref = matches[0]
            codings.append(Coding(v.text, "factor", fac.levels, fac.labels, ref, boolean=s.dtype == pl.Boolean))
            codes[v.text] = fac.codes
        elif s.dtype.is_numeric():
            codings.append(Coding(v.text, "numeric"))
        else:
            raise FormulaError(f"{f.text}: column '{v.text}' has type {s.dtype}; use numeric, boolean or string")
    termset = set(f.term_vars)
    contrasts = tuple(tuple(len(t) == 1 or tuple(x for x in t if x != v) in termset for v in t)
                      for t in f.term_vars)
    spec = DesignSpec(f, tuple(codings), contrasts)
    X, names, assign = spec.matrix(frame, codes)
    refs = {c.text: c.labels[c.ref] for c, used in zip(codings, _by_contrast(f, contrasts)) if c.kind == "factor"
            and used}
    binary = tuple(bool(np.isin(X[:, j], (0.0, 1.0)).all()) for j in range(X.shape[1]))
    nocenter = np.array([bool(np.isin(X[:, j], (-1.0, 0.0, 1.0)).all()) for j in range(X.shape[1])], dtype=bool)
    return Design(X, tuple(names), tuple(assign), f.terms, binary, nocenter, refs, spec)


def _by_contrast(f: SurvFormula, contrasts) -> list[bool]:
    """Whether each variable is coded by contrasts somewhere (it then has a reference level)."""
    used = [False] * len(f.variables)
    for t, con in zip(f.term_vars, contrasts):
        for v, c in zip(t, con):
            used[v] = used[v] or c
    return used
