"""Dormancy of disseminated tumour cells and escape from it (Demicheli et al. 1997; Retsky et al. 1997).

Three mechanisms, as in the Demicheli/Retsky model of breast-cancer relapse (Demicheli, Retsky,
Swartzendruber & Bonadonna 1997, Ann Oncol 8:1075; Retsky et al. 1997, Breast Cancer Res Treat
45:193; Demicheli et al. 2004, 2008):

1. **single dormant cells** that wait a random latency before they start to grow; the latency is
   exponential (a constant escape rate, median ln 2 / rate), lognormal or fixed (Hanin, Rose & Zaider
   2006 use distributed latencies; Benzekry's code a fixed tau0);
2. **avascular micrometastases** that grow to ``avascular_cells`` (about 1e6 cells, 1-2 mm;
   Folkman 1971; Holmgren, O'Reilly & Folkman 1995) and wait for an angiogenic switch, here an
   exponential waiting time;
3. **surgery-triggered escape**: at resection every still-dormant single cell escapes with probability
   ``surgery_escape_probability`` and every stalled micrometastasis switches with probability
   ``surgery_switch_probability`` (the synchronous "pulse" producing the early relapse peak).

Options (``dormancy`` section of a scenario, used by :mod:`metacascade.engines.patients`):
``single_cells_become_micrometastases`` puts 1 and 2 in series (a single cell that escapes grows to
the avascular size and stalls there: transitions 1 -> 2 -> 3 of Demicheli et al. 1997 and Retsky et
al. 1997); ``surgery_switch_before_plateau`` lets the surgery switch also reach micrometastases
still growing toward the plateau (they then never stall; an assumption: the post-surgical angiogenic
stimulus, Retsky, Demicheli & Hrushesky 2005 Int J Surg 3:179, acts whatever the lesion size). The
spontaneous switch of the breast and prostate dormancy scenarios has a half-life of 12 years (Willis
et al. 2010, Cancer Res 70:4310: growth-restricted micrometastases escape with a half-life of at
least 12 years).

The earliest relapse after surgery of a lesion released at surgery from size S is the growth time
from S to the visible size; with the breast Gompertz law (a = 6.39e-4 day^-1, K = 1e12 cells, 5 mm
visible) that is 54 months from one cell and 19 months from 1e6 cells (:func:`gompertz_days`).

All functions are vectorised over metastases and take uniform draws in (0, 1) so that the random
streams stay under the caller's control (one stream per patient). Times in days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

LatencyName = Literal["exponential", "lognormal", "fixed"]


@dataclass(frozen=True)
class DormancyParameters:
    """The dormancy of new metastases (the three mechanisms and two options of the module
    docstring).

    single_cell_fraction, avascular_fraction (1): shares of new metastases that are dormant single
    cells and avascular micrometastases (their sum is at most 1); single_cell_latency, its median
    (day) and log-sd (1): the latency law of single cells (:func:`latency_from_uniform`);
    avascular_cells (cells): the plateau of a micrometastasis; avascular_switch_median_days (day):
    median of the exponential wait for the spontaneous switch; surgery_escape_probability,
    surgery_switch_probability (1): the pulse at resection (:func:`surgery_pulse`).
    """

    single_cell_fraction: float = 0.0
    single_cell_latency: LatencyName = "exponential"
    single_cell_median_days: float = 1000.0
    single_cell_sigma: float = 1.0
    avascular_fraction: float = 0.0
    avascular_cells: float = field(default=1e6, metadata={"source": (
        "About 1-2 mm (1e6 cells) without angiogenesis (Folkman 1971; Holmgren 1995).")})
    avascular_switch_median_days: float = 2000.0
    surgery_escape_probability: float = 0.0
    surgery_switch_probability: float = 0.0
    single_cells_become_micrometastases: bool = field(default=False, metadata={"source": (
        "Demicheli, Retsky, Swartzendruber & Bonadonna 1997 Ann Oncol 8:1075; Retsky et al. 1997 "
        "Breast Cancer Res Treat 45:193 [L].")})
    surgery_switch_before_plateau: bool = field(default=False, metadata={"source": (
        "Retsky, Demicheli & Hrushesky 2005 Int J Surg 3:179 (surgery-induced angiogenesis) [L]; "
        "assumption of this package.")})


def latency_from_uniform(u: Array, kind: str, median_days: float, sigma: float = 1.0) -> Array:
    """Inverse-CDF draw of a latency (days) from uniforms ``u``.

    ``exponential``: escape rate ln 2 / median (day^-1); ``lognormal``: median and log-sd ``sigma``;
    ``fixed``: always the median."""
    u = np.asarray(u, dtype=np.float64)
    if kind == "exponential":
        return -np.log1p(-u) * (median_days / np.log(2.0))
    if kind == "lognormal":
        from scipy.special import ndtri  # here, not at import (scipy.special is slow to load)

        return median_days * np.exp(sigma * ndtri(u))
    if kind == "fixed":
        return np.full_like(u, median_days)
    raise ValueError(f"unknown latency distribution {kind!r}")


def surgery_pulse(start: Array, latency: Array, resection_day: Array, probability: float,
                  u: Array) -> Array:
    """Latency after a surgery pulse: a lesion dormant at resection (start <= T_R < start + L)
    escapes at T_R with the given probability (draw ``u``)."""
    start = np.asarray(start, dtype=np.float64)
    latency = np.asarray(latency, dtype=np.float64)
    tr = np.asarray(resection_day, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # inf - inf for lesions never born / never resected
        dormant_at_surgery = (start <= tr) & (tr < start + latency)
        hit = dormant_at_surgery & (np.asarray(u) < probability)
        return np.where(hit, tr - start, latency)


def escape_survival(t: Array, rate_per_day: float) -> Array:
    """P(still dormant at time t) for a constant escape rate: exp(-rate t)."""
    return np.exp(-rate_per_day * np.asarray(t, dtype=np.float64))


def gompertz_days(v_from: float, v_to: float, rate_per_day: float, capacity: float) -> float:
    """Time (days) for a Gompertz lesion dV/dt = a V ln(K/V) to grow from ``v_from`` to ``v_to``
    cells: ln(ln(K/v_from) / ln(K/v_to)) / a (closed form; Norton 1988)."""
    return float(np.log(np.log(capacity / v_from) / np.log(capacity / v_to)) / rate_per_day)


def latency_cdf(x: npt.ArrayLike, kind: str, median_days: npt.ArrayLike,
                sigma: npt.ArrayLike = 1.0) -> Array:
    """P(L <= x) for the latency laws of :func:`latency_from_uniform` (x in days; arrays
    broadcast, so a batch may give one median and log-sd per patient)."""
    x = np.asarray(x, dtype=np.float64)
    med = np.asarray(median_days, dtype=np.float64)
    if kind == "exponential":
        rate = np.log(2.0) / med
        return np.asarray(np.where(x > 0, -np.expm1(-rate * np.maximum(x, 0.0)), 0.0),
                          dtype=np.float64)
    if kind == "lognormal":
        from scipy.special import ndtr

        z = np.log(np.maximum(x, 1e-300) / med) / np.asarray(sigma, dtype=np.float64)
        return np.asarray(np.where(x > 0, ndtr(z), 0.0), dtype=np.float64)
    if kind == "fixed":
        return np.asarray(x >= med, dtype=np.float64)
    raise ValueError(f"unknown latency distribution {kind!r}")


def latency_pdf(x: npt.ArrayLike, kind: str, median_days: npt.ArrayLike,
                sigma: npt.ArrayLike = 1.0) -> Array:
    """Density of the latency (day^-1) at ``x`` days: exponential (rate ln 2 / median) or
    lognormal; a ``fixed`` latency is a point mass and has none (ValueError)."""
    x = np.asarray(x, dtype=np.float64)
    med = np.asarray(median_days, dtype=np.float64)
    if kind == "exponential":
        rate = np.log(2.0) / med
        return np.asarray(np.where(x >= 0, rate * np.exp(-rate * np.maximum(x, 0.0)), 0.0),
                          dtype=np.float64)
    if kind == "lognormal":
        s = np.asarray(sigma, dtype=np.float64)
        xp = np.maximum(x, 1e-300)
        z = np.log(xp / med) / s
        return np.asarray(np.where(x > 0, np.exp(-0.5 * z * z) / (xp * s * np.sqrt(2.0 * np.pi)),
                                   0.0), dtype=np.float64)
    raise ValueError(f"latency distribution {kind!r} has no density")
