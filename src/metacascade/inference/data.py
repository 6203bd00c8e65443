"""Long-format observation data for fitting (one row per observation).

Columns (CSV, header required):

``id``
    Subject (patient, animal) identifier; any text.
``time``
    Day of the observation (>= 0, same clock as the scenario: day 0 = the first cancer cell), or
    the word ``diagnosis``. ``diagnosis`` is for data whose date is unknown but set by the primary
    size at that moment (Benzekry 2021: the tumour's age follows from its size): a
    ``primary_*`` row at ``diagnosis`` fixes that subject's ``detection.primary_cells``, and every
    row at ``diagnosis`` is compared with the model at the day the primary reaches that size.
    That primary row defines the time, so it is not itself a term of the likelihood. Without such a
    row, the scenario's ``detection.primary_cells`` is used. An empty time is an error.
``observable``
    One of :data:`OBSERVABLES` (units in the table), or the event ``resection``.
``value``
    The measurement in the unit of its observable. For ``resection`` rows the value is ignored
    and may be empty; the row's time is the resection day (``diagnosis`` = at diagnosis).
``censored`` (optional)
    0 or 1; 1 = left-censored: the true value is at most ``value`` (below a detection limit).
any other column
    A covariate: it must be constant within each id (used in the survival and population
    analyses, never by the model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.errors import DataError, shown

Array = npt.NDArray[np.float64]

REQUIRED = ("id", "time", "observable", "value")
DIAGNOSIS = "diagnosis"
RESECTION = "resection"

#: observable -> (model quantity, factor from model units to the observed unit, unit, meaning).
#: ``burden_marker`` is phi * (primary + metastatic cells); phi is the fit setting ``marker.phi``.
OBSERVABLES: dict[str, tuple[str, float, str, str]] = {
    "primary_cells": ("primary_cells", 1.0, "cells", "primary tumour size"),
    "primary_volume_mm3": ("primary_cells", 1e-6, "mm^3", "primary volume (1 mm^3 = 1e6 cells)"),
    "primary_volume_cm3": ("primary_cells", 1e-9, "cm^3", "primary volume (1 cm^3 = 1e9 cells)"),
    "metastatic_burden_cells": ("metastatic_burden_cells", 1.0, "cells",
                                "total metastatic burden M(t)"),
    "visible_burden_cells": ("visible_burden_cells", 1.0, "cells",
                             "burden in visible metastases"),
    "n_metastases": ("n_metastases", 1.0, "metastases", "expected number of metastases N(t)"),
    "n_visible": ("n_visible", 1.0, "metastases",
                  "number of visible metastases (e.g. the SIOPEN score)"),
    "total_cells": ("total_cells", 1.0, "cells", "primary + metastatic cells"),
    "burden_marker": ("total_cells", 1.0, "marker unit (e.g. UI/L)",
                      "biomarker proportional to total cells, phi * (Vp + M) (e.g. LDH)"),
}
PRIMARY_OBSERVABLES = ("primary_cells", "primary_volume_mm3", "primary_volume_cm3")


@dataclass
class SubjectData:
    """The observations of one id, normalised."""

    id: str
    time: Array  # day, nan where at_diagnosis
    at_diagnosis: npt.NDArray[np.bool_]
    observable: list[str]
    value: Array
    censored: npt.NDArray[np.bool_]
    row: npt.NDArray[np.int64]  # CSV line numbers (header = line 1)
    diagnosis_primary_cells: float | None = None
    resection_day: float | None = None
    resection_at_diagnosis: bool = False
    covariates: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.value)

    def scenario_overrides(self) -> dict[str, Any]:
        """Per-id scenario values implied by the data (diagnosis size, resection)."""
        out: dict[str, Any] = {}
        if self.diagnosis_primary_cells is not None:
            out["detection.primary_cells"] = self.diagnosis_primary_cells
        if self.resection_day is not None:
            out["treatment.resection_day"] = self.resection_day
            out["treatment.resection_at_detection"] = False
        elif self.resection_at_diagnosis:
            out["treatment.resection_day"] = None
            out["treatment.resection_at_detection"] = True
        return out


@dataclass
class ObservationData:
    """A validated data set: one :class:`SubjectData` per id (in file order).

    Parameters
    ----------
    subjects : dict of str to SubjectData
        Id -> its observations (times in days, values in the unit of each observable).
    covariates : pandas.DataFrame
        One row per id (index ``id``): the columns that are not observations (e.g. survival
        in months).
    source : str
        Where the data came from (a file path).

    Examples
    --------
    >>> import metacascade as mc
    >>> data = mc.load_observations("examples/neuroblastoma/observations.csv")
    >>> len(data.ids), data.ids[0]
    (45, '1')
    >>> data["1"].observable          # the primary volume became the size at diagnosis
    ['n_visible', 'burden_marker']
    >>> round(data["1"].diagnosis_primary_cells / 1e12, 3)       # cells (1 cm^3 = 1e9 cells)
    1.143
    """

    subjects: dict[str, SubjectData]
    covariates: pd.DataFrame  # one row per id, index = id
    source: str = ""

    @property
    def ids(self) -> list[str]:
        """The ids, in file order."""
        return list(self.subjects)

    def __getitem__(self, key: str) -> SubjectData:
        try:
            return self.subjects[str(key)]
        except KeyError:
            raise DataError(f"id {shown(key)} is not in the data ({some_ids(self.ids)})") from None


#: At most this many ids are listed in a message about an unknown id.
IDS_SHOWN = 10


def some_ids(ids: Sequence[str], n: int = IDS_SHOWN) -> str:
    """The ids for a message about an unknown id: ``ids: a, b, c`` when there are at most ``n``,
    else the first ``n``, ``...`` and how many there are (``45 ids: 1, 2, ..., 12, ...``)."""
    listed = ", ".join(map(str, ids[:n]))
    if len(ids) <= n:
        return f"ids: {listed}"
    return f"{len(ids)} ids: {listed}, ..."


def _err(line: int, column: str, value: Any, what: str) -> DataError:
    return DataError(f"row {line}: column {column!r} = {shown(value)}: {what}")


def _text(col: pd.Series, lower: bool = False) -> npt.NDArray[np.object_]:
    """Stripped (optionally lower-cased) text of a column, '' for missing values, as an object
    array. The distinct values are converted once (``pd.factorize``), not every row."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    text = [str(u).strip() for u in uniq]
    if lower:
        text = [t.lower() for t in text]
    table = np.array([*text, ""], dtype=object)  # code -1 (missing) reads the last entry
    return np.asarray(table[codes], dtype=object)


#: Words that Python's float() reads as infinite or NaN (a "number" that is not finite).
_NON_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity",
                         "-infinity"})


def _numbers(col: pd.Series) -> tuple[Array, npt.NDArray[np.bool_]]:
    """Values of a column as floats and where they are not numbers at all (NaN/inf words and
    missing values are numbers here, that are then refused as not finite)."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(col), dtype=bool)
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    text = [str(u).strip() for u in uniq]
    num_u = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    bad_u = np.isnan(num_u) & ~np.isin(np.array([t.lower() for t in text], dtype=object),
                                       list(_NON_FINITE))
    num = np.append(num_u, np.nan)[codes]
    bad = np.append(bad_u, False)[codes]
    return num, bad


class _Problems:
    """The first problem of the table in row order (then in the order the checks are listed),
    found from boolean masks over all rows at once."""

    def __init__(self) -> None:
        self.best: tuple[int, int, Callable[[int], DataError]] | None = None
        self.order = 0

    def add(self, mask: npt.NDArray[np.bool_], make: Callable[[int], DataError]) -> None:
        self.order += 1
        hit = np.flatnonzero(mask)
        if hit.size and (self.best is None or (int(hit[0]), self.order) < self.best[:2]):
            self.best = (int(hit[0]), self.order, make)

    def raise_first(self) -> None:
        if self.best is not None:
            raise self.best[2](self.best[0])


def _first_in_group(codes: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """For every row, the index of the first row of its group."""
    _, first = np.unique(codes, return_index=True)
    return np.asarray(first[codes], dtype=np.intp)


def _rank_in_group(codes: npt.NDArray[np.intp], mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """For rows in ``mask``: how many earlier masked rows share the group (0 for the first)."""
    out = np.zeros(codes.size, dtype=np.intp)
    idx = np.flatnonzero(mask)
    if idx.size:
        out[idx] = pd.Series(codes[idx]).groupby(codes[idx]).cumcount().to_numpy()
    return out


def _covariate_error(line: npt.NDArray[np.intp], column: str, v: npt.NDArray[np.object_],
                     prev: npt.NDArray[np.object_], sid: npt.NDArray[np.object_],
                     ) -> Callable[[int], DataError]:
    def make(i: int) -> DataError:
        return _err(int(line[i]), column, v[i], f"covariate must be constant within id "
                                              f"{str(sid[i])!r} (earlier: {shown(prev[i])})")

    return make


def _py(x: Any) -> Any:
    """A numpy scalar as the Python value (so that messages show 4, not np.int64(4))."""
    return x.item() if isinstance(x, np.generic) else x


def _id_text(raw: Any) -> str:
    """An id as text: integral floats (a numeric id column) lose their '.0'."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def from_frame(df: pd.DataFrame, source: str = "data") -> ObservationData:
    """Validate a long-format table (see the module docstring) and split it by id.

    Errors name the CSV line (header = line 1), the column, the value and what is allowed; the
    first offending row is reported (checks run on whole columns at once, so a table of a
    million rows parses in about a second).
    """
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}; a long-format file "
                        f"needs {', '.join(REQUIRED)} (found: {shown(', '.join(df.columns), 300)})")
    if df.empty:
        raise DataError(f"{source}: no data rows")
    if df.columns.duplicated().any():
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"{source}: column(s) {shown(', '.join(dup))} appear more than once")
    df = df.reset_index(drop=True)
    n = len(df)
    line = np.arange(n) + 2
    covariate_cols = [c for c in df.columns if c not in (*REQUIRED, "censored")]
    allowed = ", ".join([*OBSERVABLES, RESECTION])
    bad = _Problems()

    def at(column: str, what: str) -> Callable[[int], DataError]:
        return lambda i: _err(int(line[i]), column, _py(df[column].iloc[i]), what)

    # id: required; the text of the value (uniques converted once)
    codes0, uniq = pd.factorize(df["id"], use_na_sentinel=True)
    sid_of = np.array([*(_id_text(u) for u in uniq), ""], dtype=object)
    sid = np.asarray(sid_of[codes0], dtype=object)
    bad.add(sid == "", at("id", "an id is required"))
    # observable
    obs = _text(df["observable"])
    is_res = obs == RESECTION
    bad.add(~np.isin(obs, [*OBSERVABLES, RESECTION]), at("observable", f"allowed: {allowed}"))
    # time: a day >= 0 or 'diagnosis'
    t_txt = _text(df["time"])
    at_diag = _text(df["time"], lower=True) == DIAGNOSIS
    bad.add(t_txt == "", at("time", f"empty; give a day >= 0 or '{DIAGNOSIS}'"))
    t_num, t_nan = _numbers(df["time"].where(~at_diag))
    timed = ~at_diag & (t_txt != "")
    bad.add(timed & t_nan, at("time", f"not a number; give a day >= 0 or '{DIAGNOSIS}'"))
    with np.errstate(invalid="ignore"):
        bad.add(timed & ~t_nan & ~(np.isfinite(t_num) & (t_num >= 0)),
                at("time", "must be a finite day >= 0"))
    t_val = np.where(at_diag, np.nan, t_num)
    # ids in order of first appearance (after the id text normalisation)
    codes, ids = pd.factorize(pd.Series(sid), sort=False)
    codes = np.asarray(codes, dtype=np.intp)
    first_row = _first_in_group(codes)
    # covariates: constant within each id
    for c in covariate_cols:
        v = df[c].to_numpy(dtype=object)
        prev = v[first_row]
        na = pd.isna(df[c]).to_numpy()
        with np.errstate(invalid="ignore"):
            eq = np.asarray(v == prev, dtype=bool) | (na & na[first_row])
        bad.add(~eq, _covariate_error(line, c, v, prev, sid))
    # events: at most one resection row per id
    res_rank = _rank_in_group(codes, is_res)
    bad.add(is_res & (res_rank > 0),
            lambda i: _err(int(line[i]), "observable", obs[i],
                           f"id {str(sid[i])!r} has two resection rows"))
    # values of the observation rows
    meas = ~is_res
    v_num, v_bad = _numbers(df["value"])
    bad.add(meas & v_bad, at("value", "not a number"))
    with np.errstate(invalid="ignore"):
        bad.add(meas & ~v_bad & ~np.isfinite(v_num), at("value", "must be a finite number"))
        bad.add(meas & np.isfinite(v_num) & (v_num < 0),
                at("value", "must be >= 0 (sizes, counts and markers)"))
    cens = np.zeros(n, dtype=bool)
    if "censored" in df.columns:
        c_txt = _text(df["censored"], lower=True)
        ok = np.isin(c_txt, ["", "0", "1", "0.0", "1.0", "true", "false"])
        bad.add(meas & ~ok, at("censored", "allowed: 0 or 1 (empty = 0)"))
        cens = np.isin(c_txt, ["1", "1.0", "true"])
    # primary size at diagnosis: at most one per id, > 0; it sets the time, it is not a term
    diag_primary = meas & at_diag & np.isin(obs, PRIMARY_OBSERVABLES)
    dp_rank = _rank_in_group(codes, diag_primary)
    bad.add(diag_primary & (dp_rank > 0),
            lambda i: _err(int(line[i]), "observable", obs[i],
                           f"id {str(sid[i])!r} has two primary sizes at diagnosis"))
    bad.add(diag_primary & (v_num <= 0),
            at("value", "the primary size at diagnosis must be > 0"))
    bad.raise_first()
    # split by id (file order of the ids, row order within each)
    term = meas & ~diag_primary
    n_ids = len(ids)
    counts = np.bincount(codes[term], minlength=n_ids)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise DataError(f"{source}: id {str(ids[empty[0]])!r} has no observations to fit (only "
                        "events or the primary size at diagnosis)")
    rows_t = np.flatnonzero(term)
    order = rows_t[np.argsort(codes[rows_t], kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    o_codes, o_uniq = pd.factorize(obs)
    factor = np.array([OBSERVABLES[o][1] if o in OBSERVABLES else 1.0 for o in o_uniq],
                      dtype=np.float64)[o_codes]
    dp_cells = np.full(n_ids, np.nan)
    dp_rows = np.flatnonzero(diag_primary)
    dp_cells[codes[dp_rows]] = v_num[dp_rows] / factor[dp_rows]
    res_day = np.full(n_ids, np.nan)
    res_diag = np.zeros(n_ids, dtype=bool)
    r_rows = np.flatnonzero(is_res)
    res_diag[codes[r_rows[at_diag[r_rows]]]] = True
    timed_res = r_rows[~at_diag[r_rows]]
    res_day[codes[timed_res]] = t_val[timed_res]
    cov_first = np.unique(codes, return_index=True)[1]
    cov_values = {c: df[c].to_numpy(dtype=object)[cov_first] for c in covariate_cols}
    out: dict[str, SubjectData] = {}
    keys = [str(i) for i in ids]
    for g, key in enumerate(keys):
        r = order[bounds[g]:bounds[g + 1]]
        out[key] = SubjectData(
            id=key, time=t_val[r], at_diagnosis=at_diag[r],
            observable=obs[r].tolist(), value=v_num[r], censored=cens[r],
            row=line[r].astype(np.int64),
            diagnosis_primary_cells=None if np.isnan(dp_cells[g]) else float(dp_cells[g]),
            resection_day=None if np.isnan(res_day[g]) else float(res_day[g]),
            resection_at_diagnosis=bool(res_diag[g]),
            covariates={c: cov_values[c][g] for c in covariate_cols})
    cov = df[covariate_cols].iloc[cov_first].reset_index(drop=True)
    cov.index = pd.Index(keys, name="id")
    return ObservationData(subjects=out, covariates=cov, source=source)


def load_observations(path: str | Path) -> ObservationData:
    """Read and validate a long-format CSV file (see the module docstring).

    Parameters
    ----------
    path : str or Path
        A CSV file with the columns ``id``, ``time`` (days, or ``diagnosis``), ``observable``,
        ``value`` (in the unit of the observable: cells, cm^3, count) and optional covariates.

    Returns
    -------
    ObservationData
        The validated data set.

    Raises
    ------
    DataError
        The file is missing or unreadable, or a row is invalid (its line, column and value).

    Examples
    --------
    >>> import metacascade as mc
    >>> data = mc.load_observations("examples/neuroblastoma/observations.csv")
    >>> data.covariates.columns.tolist()
    ['os_months', 'death', 'pfs_months', 'progression']
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file {shown(str(p))} not found")
    try:
        df = pd.read_csv(p, dtype={"id": str, "time": str, "observable": str},
                         skipinitialspace=True, float_precision="round_trip")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: cannot be read as CSV ({exc})") from None
    return from_frame(df, source=str(p))
