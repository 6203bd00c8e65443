"""Tumour growth laws: right-hand sides and closed-form trajectories.

Every law is written for a size ``v`` in cells and a time or age in days, and is vectorised:
parameters may be numpy arrays (one value per patient) that broadcast against the sizes and times.

Sources
-------
- Exponential: Malthus; used for neuroblastoma by Benzekry et al. 2021 (JCO Clin Cancer Inform 5:81).
- Gompertz: ``dv/dt = a v ln(K/v)`` (Iwata, Kawasaki & Shigesada 2000, J Theor Biol 203:177; the same
  law as Benzekry's ``(alpha0 - beta ln v) v`` with ``beta = a`` and ``alpha0 = a ln K``; Norton 1988).
- Logistic: Verhulst 1838; Vaghi et al. 2020 (PLoS Comput Biol 16:e1007178) compare it for tumours.
- Power law: ``dv/dt = a v^p`` (Hart, Shochat & Agur 1998; von Bertalanffy-type; Benzekry et al.
  2014, PLoS Comput Biol 10:e1003800, "Classical mathematical models for description and prediction of
  experimental tumor growth").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
Array = npt.NDArray[np.float64]


class GrowthLaw(Protocol):
    """What every growth law provides (all methods are vectorised)."""

    @property
    def name(self) -> str: ...

    def rhs(self, v: ArrayLike) -> Array:
        """Growth velocity dv/dt in cells/day at size ``v`` (cells)."""
        ...

    def size(self, age: ArrayLike, v0: ArrayLike) -> Array:
        """Size (cells) after ``age`` days of growth from ``v0`` cells (closed form)."""
        ...

    def age_at_size(self, v: ArrayLike, v0: ArrayLike) -> Array:
        """Days needed to grow from ``v0`` to ``v`` cells; ``inf`` if never reached."""
        ...

    def max_specific_rate(self, v0: ArrayLike) -> Array:
        """An upper bound of (dv/dt)/v in day^-1 along trajectories from ``v0`` (sets step sizes)."""
        ...


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class Exponential:
    """``dv/dt = rate v``.

    Parameters
    ----------
    rate_per_day : specific growth rate (day^-1); doubling time is ln 2 / rate.
    """

    rate_per_day: Any
    name: str = "exponential"

    def rhs(self, v: ArrayLike) -> Array:
        return _f(self.rate_per_day) * _f(v)

    def size(self, age: ArrayLike, v0: ArrayLike) -> Array:
        return _f(v0) * np.exp(_f(self.rate_per_day) * _f(age))

    def age_at_size(self, v: ArrayLike, v0: ArrayLike) -> Array:
        r = _f(self.rate_per_day)
        with np.errstate(divide="ignore", invalid="ignore"):
            age = np.log(_f(v) / _f(v0)) / r
        return _never_if_negative(age, v, v0)

    def max_specific_rate(self, v0: ArrayLike) -> Array:
        return np.abs(_f(self.rate_per_day)) + 0.0 * _f(v0)


@dataclass(frozen=True)
class Gompertz:
    """``dv/dt = a v ln(K/v)`` (Iwata et al. 2000; Norton 1988).

    Parameters
    ----------
    rate_per_day : Gompertz rate ``a`` (day^-1): the specific growth rate decays as ``a ln(K/v)``.
    carrying_capacity_cells : plateau size ``K`` (cells).
    """

    rate_per_day: Any
    carrying_capacity_cells: Any
    name: str = "gompertz"

    def rhs(self, v: ArrayLike) -> Array:
        v = _f(v)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = _f(self.rate_per_day) * v * np.log(_f(self.carrying_capacity_cells) / v)
        return np.where(v > 0, out, 0.0)

    def size(self, age: ArrayLike, v0: ArrayLike) -> Array:
        k = _f(self.carrying_capacity_cells)
        return k * np.exp(np.log(_f(v0) / k) * np.exp(-_f(self.rate_per_day) * _f(age)))

    def age_at_size(self, v: ArrayLike, v0: ArrayLike) -> Array:
        k = _f(self.carrying_capacity_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log(k / _f(v)) / np.log(k / _f(v0))
            age = -np.log(ratio) / _f(self.rate_per_day)
        age = np.where(ratio > 0, age, np.inf)
        return _never_if_negative(age, v, v0)

    def max_specific_rate(self, v0: ArrayLike) -> Array:
        k = _f(self.carrying_capacity_cells)
        return np.abs(_f(self.rate_per_day) * np.log(k / np.minimum(_f(v0), k)))


@dataclass(frozen=True)
class Logistic:
    """``dv/dt = r v (1 - v/K)`` (Verhulst).

    Parameters
    ----------
    rate_per_day : intrinsic growth rate ``r`` (day^-1).
    carrying_capacity_cells : plateau size ``K`` (cells).
    """

    rate_per_day: Any
    carrying_capacity_cells: Any
    name: str = "logistic"

    def rhs(self, v: ArrayLike) -> Array:
        v = _f(v)
        return _f(self.rate_per_day) * v * (1.0 - v / _f(self.carrying_capacity_cells))

    def size(self, age: ArrayLike, v0: ArrayLike) -> Array:
        k, v0 = _f(self.carrying_capacity_cells), _f(v0)
        e = np.exp(-_f(self.rate_per_day) * _f(age))
        return k * v0 / (v0 + (k - v0) * e)

    def age_at_size(self, v: ArrayLike, v0: ArrayLike) -> Array:
        k, v, v0 = _f(self.carrying_capacity_cells), _f(v), _f(v0)
        with np.errstate(divide="ignore", invalid="ignore"):
            arg = v * (k - v0) / (v0 * (k - v))
            age = np.log(arg) / _f(self.rate_per_day)
        age = np.where(arg > 0, age, np.inf)
        return _never_if_negative(age, v, v0)

    def max_specific_rate(self, v0: ArrayLike) -> Array:
        return np.abs(_f(self.rate_per_day)) + 0.0 * _f(v0)


@dataclass(frozen=True)
class PowerLaw:
    """``dv/dt = a v^p`` with ``0 < p < 1`` (sub-exponential growth).

    Parameters
    ----------
    rate_per_day : coefficient ``a`` (cells^(1-p) day^-1).
    exponent : ``p`` (dimensionless, 0 < p < 1; p = 2/3 is surface-limited growth).
    """

    rate_per_day: Any
    exponent: Any
    name: str = "power_law"

    def rhs(self, v: ArrayLike) -> Array:
        v = _f(v)
        return _f(self.rate_per_day) * np.maximum(v, 0.0) ** _f(self.exponent)

    def size(self, age: ArrayLike, v0: ArrayLike) -> Array:
        q = 1.0 - _f(self.exponent)
        base = _f(v0) ** q + q * _f(self.rate_per_day) * _f(age)
        return np.maximum(base, 0.0) ** (1.0 / q)

    def age_at_size(self, v: ArrayLike, v0: ArrayLike) -> Array:
        q = 1.0 - _f(self.exponent)
        age = (_f(v) ** q - _f(v0) ** q) / (q * _f(self.rate_per_day))
        return _never_if_negative(age, v, v0)

    def max_specific_rate(self, v0: ArrayLike) -> Array:
        return np.abs(_f(self.rate_per_day)) * _f(v0) ** (_f(self.exponent) - 1.0)


def _never_if_negative(age: Array, v: ArrayLike, v0: ArrayLike) -> Array:
    """Ages below zero mean the size lies behind the start: unreachable, except ``v == v0``."""
    age = np.where(np.isnan(age), np.inf, age)
    age = np.where(age < 0, np.inf, age)
    return np.where(_f(v) == _f(v0), 0.0, age)


def make_growth_law(
    law: str,
    rate_per_day: Any,
    carrying_capacity_cells: Any = None,
    exponent: Any = None,
) -> GrowthLaw:
    """Build a growth law by name (``exponential``, ``gompertz``, ``logistic``, ``power_law``)."""
    if law == "exponential":
        return Exponential(rate_per_day)
    if law == "gompertz":
        return Gompertz(rate_per_day, carrying_capacity_cells)
    if law == "logistic":
        return Logistic(rate_per_day, carrying_capacity_cells)
    if law == "power_law":
        return PowerLaw(rate_per_day, exponent)
    raise ValueError(f"unknown growth law {law!r}")


def cells_from_diameter_mm(diameter_mm: ArrayLike) -> Array:
    """Cells in a sphere of the given diameter: (pi/6) D^3 mm^3 at 1e6 cells/mm^3 (Del Monte 2009).

    Parameters
    ----------
    diameter_mm : array_like of float
        Diameter (mm).

    Returns
    -------
    ndarray of float
        Cells.

    Examples
    --------
    >>> import metacascade as mc
    >>> round(float(mc.cells_from_diameter_mm(10.0)))  # a 1 cm tumour
    523598776
    """
    return np.pi / 6.0 * _f(diameter_mm) ** 3 * 1e6


def diameter_mm_from_cells(cells: ArrayLike) -> Array:
    """Diameter of a sphere of the given cells at 1e6 cells/mm^3 (Del Monte 2009).

    The inverse of :func:`cells_from_diameter_mm`.

    Parameters
    ----------
    cells : array_like of float
        Number of cells.

    Returns
    -------
    ndarray of float
        Diameter (mm).

    Examples
    --------
    >>> import metacascade as mc
    >>> round(float(mc.diameter_mm_from_cells(1e9)), 2)  # a billion cells
    12.41
    """
    return np.cbrt(_f(cells) * 6.0 / (np.pi * 1e6))
