"""Physical checks of engine outputs: impossible numbers are refused, never returned.

Every engine passes what it is about to return through :func:`check_physical`, which knows the
physical range of each quantity from its name (docs/design.md conventions):

* counts, sizes, burdens and rates (``n_*``, ``*_cells``, ``*burden*``, ``*_per_day``, ...) are
  finite and non-negative;
* probabilities and fractions (``p_*``, ``*probability*``, ``*_fraction``) lie in [0, 1];
* event days (``*_day`` columns of event tables) are non-negative (day 0 is the first cancer cell,
  the patient's "birth" in the model) and ordered: diagnosis, resection, relapse and the first
  metastasis never after death.

A violation raises :class:`~metacascade.errors.ScenarioError` naming the quantity, the value, where
it occurred and the scenario values that drive the model there (``drivers``), so that the user
knows what to lower. Rounding-level negatives (at most ``REL_TOL`` of the largest magnitude of the
same series) are rounding, not physics: they are set to zero in place by :func:`clip_rounding`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from metacascade.errors import ScenarioError
from metacascade.scenario import get_dotted

Array = npt.NDArray[np.float64]

NON_NEGATIVE = "non-negative"
PROBABILITY = "probability"
#: Relative size of a negative (or > 1 probability) excursion that is treated as rounding.
REL_TOL = 1e-9
#: Event-day pairs (earlier, later) of cohort tables: the first never after the second.
ORDERED_DAYS: tuple[tuple[str, str], ...] = (
    ("diagnosis_day", "death_day"),
    ("resection_day", "death_day"),
    ("relapse_day", "death_day"),
    ("first_metastasis_day", "death_day"),
)


def rule_for(name: str) -> str | None:
    """The physical range of a quantity from its name (None: no range known)."""
    n = name.lower()
    if n.endswith("_day") or n.endswith("_days"):
        return NON_NEGATIVE
    if n.startswith("p_") or "probability" in n or n.endswith("_fraction") \
            or n.endswith("_efficiency"):
        return PROBABILITY
    if (n.startswith("n_") or n.endswith("_cells") or "burden" in n or n.endswith("_per_day")
            or n.endswith("_count") or n.endswith("_day") or n.endswith("_days")
            or n == "count"):
        return NON_NEGATIVE
    return None


def describe(values: Mapping[str, Any]) -> str:
    """``key = value`` pairs for a message (floats with 4 significant digits)."""
    def fmt(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float | np.floating):
            return f"{float(v):.4g}"
        return str(v)

    return ", ".join(f"{k} = {fmt(v)}" for k, v in values.items())


def scenario_values(scenario: Any, keys: Iterable[str]) -> dict[str, Any]:
    """The values of dotted ``keys`` in a scenario (unset optional values left out)."""
    out: dict[str, Any] = {}
    for key in keys:
        value = get_dotted(scenario, key, default=None)
        if value is not None:
            out[key] = value
    return out


def _items(data: Any) -> list[tuple[str, Array, Any]]:
    """(name, values, coordinates or index) of every numeric variable."""
    out: list[tuple[str, Array, Any]] = []
    if isinstance(data, xr.Dataset):
        for name, var in data.data_vars.items():
            if np.issubdtype(var.dtype, np.number) and var.dtype != bool:
                out.append((str(name), np.asarray(var.values, dtype=np.float64), var))
    elif isinstance(data, pd.DataFrame):
        for name in data.columns:
            col = data[name]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                out.append((str(name), col.to_numpy(dtype=np.float64, na_value=np.nan), data))
    else:
        for name, v in data.items():
            arr = np.asarray(v)
            if np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
                out.append((str(name), arr.astype(np.float64, copy=False), None))
    return out


def _where(var: Any, flat: int, shape: tuple[int, ...],
           coords: Sequence[tuple[str, Any]] | None = None) -> str:
    """Where element ``flat`` lies, e.g. "at patient = 0, time_days = 3649"."""
    if not shape:
        return ""
    idx = np.unravel_index(flat, shape)
    if isinstance(var, xr.DataArray):
        coords = [(str(d), var.coords[d].values if d in var.coords else None) for d in var.dims]
    if coords is not None and len(coords) == len(shape):
        parts = []
        for (dim, values), i in zip(coords, idx, strict=True):
            val = values[i] if values is not None else int(i)
            parts.append(f"{dim} = {val:.6g}" if isinstance(val, float | np.floating)
                         else f"{dim} = {val}")
        return " at " + ", ".join(parts)
    if isinstance(var, pd.DataFrame):
        return f" in row {idx[0]}"
    return " at index " + ", ".join(str(int(i)) for i in idx)


def _refuse(context: str, name: str, value: float, where: str, why: str,
            drivers: Mapping[str, Any] | str) -> ScenarioError:
    drv = drivers if isinstance(drivers, str) else describe(drivers)
    tail = f"; the model left its valid range with {drv}: lower them" if drv else ""
    return ScenarioError(f"{context}: {name} = {value:.4g}{where} is impossible ({why}){tail}")


def clip_rounding(values: Array, rule: str) -> Array:
    """Set rounding-level excursions (relative ``REL_TOL``) to the range bound, in place."""
    if values.size == 0:
        return values
    finite = np.isfinite(values)
    if not finite.any():
        return values
    scale = float(np.max(np.abs(values[finite])))
    tol = REL_TOL * scale
    small_neg = finite & (values < 0) & (values >= -tol)
    values[small_neg] = 0.0
    if rule == PROBABILITY:
        over = finite & (values > 1) & (values <= 1 + REL_TOL)
        values[over] = 1.0
    return values


def check_physical(data: xr.Dataset | pd.DataFrame | Mapping[str, Any], context: str,
                   drivers: Mapping[str, Any] | str = "", *,
                   rules: Mapping[str, str | None] | None = None,
                   allow_missing: bool | None = None,
                   ordered: Sequence[tuple[str, str]] = ORDERED_DAYS,
                   coords: Sequence[tuple[str, Any]] | None = None) -> None:
    """Refuse (ScenarioError) impossible values in ``data``; clip rounding-level ones in place.

    ``rules`` overrides :func:`rule_for` per name (None: not checked). ``allow_missing``: NaN
    means "not applicable" (default for tables: e.g. no relapse); in time series NaN is refused.
    ``ordered``: (earlier, later) column pairs of a table that must not be inverted.
    ``coords``: for a mapping of arrays, (dimension name, coordinate values or None) per axis,
    to say where a bad value lies (a Dataset carries its own).
    """
    table = isinstance(data, pd.DataFrame)
    missing_ok = table if allow_missing is None else allow_missing
    for name, values, var in _items(data):
        rule = rules[name] if rules is not None and name in rules else rule_for(name)
        if rule is None:
            bad_inf = np.isinf(values)
            if bad_inf.any():
                k = int(np.argmax(bad_inf.ravel()))
                raise _refuse(context, name, float(values.ravel()[k]),
                              _where(var, k, values.shape, coords), "not finite", drivers)
            continue
        flat = values.ravel()
        nan = np.isnan(flat)
        if nan.any() and not missing_ok:
            k = int(np.argmax(nan))
            raise _refuse(context, name, math.nan, _where(var, k, values.shape, coords),
                          "not a number", drivers)
        if np.isinf(flat).any():
            k = int(np.argmax(np.isinf(flat)))
            raise _refuse(context, name, float(flat[k]), _where(var, k, values.shape, coords),
                          "not finite: the numbers overflowed", drivers)
        work = flat.copy()
        clip_rounding(work, rule)
        bad = ~nan & (work < 0)
        if rule == PROBABILITY:
            bad |= ~nan & (work > 1)
        if bad.any():
            k = int(np.argmax(bad))
            why = "a probability must lie in [0, 1]" if rule == PROBABILITY \
                else "it must be non-negative"
            raise _refuse(context, name, float(flat[k]), _where(var, k, values.shape, coords), why,
                          drivers)
        if not np.array_equal(work, flat, equal_nan=True):
            _write_back(data, name, work.reshape(values.shape))
    if isinstance(data, pd.DataFrame):
        _check_order(data, context, drivers, ordered)


def _write_back(data: Any, name: str, values: Array) -> None:
    if isinstance(data, xr.Dataset):
        data[name].values[...] = values
    elif isinstance(data, pd.DataFrame):
        data[name] = values
    else:
        target = data[name]
        if isinstance(target, np.ndarray) and target.dtype == np.float64:
            target[...] = values


def _check_order(table: pd.DataFrame, context: str, drivers: Mapping[str, Any] | str,
                 ordered: Sequence[tuple[str, str]]) -> None:
    for first, later in ordered:
        if first not in table.columns or later not in table.columns:
            continue
        a = table[first].to_numpy(dtype=np.float64, na_value=np.nan)
        b = table[later].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(a) & np.isfinite(b) & (a > b + 1e-9 * np.maximum(1.0, np.abs(b)))
        if bad.any():
            k = int(np.argmax(bad))
            raise ScenarioError(
                f"{context}: row {k} has {first} = {a[k]:.6g} after {later} = {b[k]:.6g}, "
                "which is impossible"
                + (f"; the model left its valid range with "
                   f"{drivers if isinstance(drivers, str) else describe(drivers)}"
                   if drivers else ""))
