"""Primary-derived systemic signals that act on the growth of distant lesions (Hahnfeldt et al. 1999; Benzekry et al. 2017).

Forms implemented
-----------------
- **Proliferation inhibition** (Benzekry, Lamont, Barbolosi, Hlatky & Hahnfeldt 2017, Cancer Res
  77:5183; angiostatin of O'Reilly et al. 1994, Cell 79:315): an inhibitor I produced by the primary
  and cleared at rate c (day^-1),

      dI/dt = c (V_p(t) 1[t < T_R] - I),

  so that I is measured in "cells of primary at steady state" (I -> V_p when V_p is constant);
  it divides the specific growth rate of every distant lesion by (1 + theta I), theta in cell^-1.
  A primary-derived stimulator S (same kinetics, clearance c_S) multiplies it by (1 + sigma S), and
  a post-surgical growth-factor surge (Fisher et al. 1989 Cancer Res 49:1996; Retsky et al.) by
  (1 + A exp(-(t - T_R)/tau_s)) for t >= T_R. Resection (T_R) removes the sources; I decays as
  exp(-c (t - T_R)) and metastases accelerate.
- **Hahnfeldt et al. 1999** (Cancer Res 59:4770) angiogenesis model of one lesion, volume V and
  vascular carrying capacity K (mm^3):

      dV/dt = -lambda1 V ln(V/K)
      dK/dt = -lambda2 K + b V - d K V^(2/3) - e K g(t)

  with steady state (lambda2 = 0, no drug) V = K = (b/d)^(3/2); Lewis-lung parameters
  lambda1 = 0.192 day^-1, b = 5.85 day^-1, d = 0.00873 mm^-2 day^-1 give 17,347 mm^3.
  Benzekry, Gandolfi & Hahnfeldt 2014 (PLoS One 9:e84249) drive the endogenous inhibition by the
  total burden: d K V^(2/3) -> d K I_total^(2/3) with I_total = primary + metastatic burden
  (:func:`hahnfeldt_global_rhs`).

When the signals multiply the specific growth rate by f(t) (the same for every lesion of a patient),
a lesion born at s with the autonomous law X(age) has size X(tau(t) - tau(s)) with the internal
clock tau(t) = int_0^t f (a time change of the autonomous solution), which is how the cohort
engines follow time-varying growth (:func:`growth_clock`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def first_order_response(t: Array, source: Array, clearance: float | Array) -> Array:
    """Solve dI/dt = c (source(t) - I), I(0) = 0, on the uniform grid ``t`` (last axis).

    The source is taken piecewise constant at the mid-point of each step (exact exponential
    integration), vectorised over leading axes with :func:`scipy.signal.lfilter`.
    """
    from scipy.signal import lfilter  # 0.5 s to import: only where it is used

    t = np.asarray(t, dtype=np.float64)
    src = np.asarray(source, dtype=np.float64)
    h = float(t[1] - t[0])
    mid = 0.5 * (src[..., 1:] + src[..., :-1])
    c = np.asarray(clearance, dtype=np.float64)
    if c.ndim == 0:
        e = float(np.exp(-float(c) * h))
        out = lfilter([1.0 - e], [1.0, -e], mid, axis=-1)
    else:  # one clearance per row
        out = np.empty_like(mid)
        for i, ci in enumerate(c.reshape(-1)):
            e = float(np.exp(-ci * h))
            out[i] = lfilter([1.0 - e], [1.0, -e], mid[i])
    zeros = np.zeros(src.shape[:-1] + (1,))
    return np.concatenate([zeros, np.asarray(out, dtype=np.float64)], axis=-1)


@dataclass(frozen=True)
class SystemicSignals:
    """Parameters of the primary-derived signals (see the module docstring for the equations).

    inhibition_per_cell : theta (cell^-1); clearance_per_day : c (day^-1);
    stimulation_per_cell : sigma (cell^-1); stimulator_clearance_per_day : c_S (day^-1);
    surge_amplitude : A (1); surge_decay_days : tau_s (day).
    """

    inhibition_per_cell: float = 0.0
    clearance_per_day: float = field(default=0.38, metadata={"source": (
        "Angiostatin clearance 0.38 day^-1 (Hahnfeldt et al. 1999, Cancer Res 59:4770) [L].")})
    stimulation_per_cell: float = 0.0
    stimulator_clearance_per_day: float = field(default=1.7, metadata={"source": (
        "Order of endostatin-like clearance 1.7 day^-1 (Hahnfeldt 1999) [L]; assumption.")})
    surge_amplitude: float = 0.0
    surge_decay_days: float = field(default=7.0, metadata={"source": (
        "Wound-healing signal of about one week (Gunduz 1979: labelling index raised ~10 d).")})

    @property
    def active(self) -> bool:
        return (self.inhibition_per_cell > 0 or self.stimulation_per_cell > 0
                or self.surge_amplitude > 0)

    def inhibitor(self, t: Array, primary_cells: Array) -> Array:
        """I(t) (cell equivalents) for primary sizes ``primary_cells`` (zero after resection)."""
        return first_order_response(t, primary_cells, self.clearance_per_day)

    def multiplier(self, t: Array, primary_cells: Array, resection_day: Array) -> Array:
        """f(t) >= 0 multiplying the specific growth rate of distant lesions, shape of
        ``primary_cells`` (P, T)."""
        t = np.asarray(t, dtype=np.float64)
        f = np.ones(np.shape(primary_cells))
        if self.inhibition_per_cell > 0:
            f = f / (1.0 + self.inhibition_per_cell * self.inhibitor(t, primary_cells))
        if self.stimulation_per_cell > 0:
            s = first_order_response(t, primary_cells, self.stimulator_clearance_per_day)
            f = f * (1.0 + self.stimulation_per_cell * s)
        if self.surge_amplitude > 0:
            tr = np.asarray(resection_day, dtype=np.float64).reshape(-1, 1)
            since = t[None, :] - tr
            with np.errstate(over="ignore", invalid="ignore"):
                surge = np.where(since >= 0,
                                 np.exp(-np.maximum(since, 0.0) / self.surge_decay_days), 0.0)
            f = f * (1.0 + self.surge_amplitude * surge)
        return f


def growth_clock(t: Array, multiplier: Array) -> Array:
    """tau(t) = int_0^t f (trapezoid on the grid ``t``), same shape as ``multiplier``."""
    f = np.asarray(multiplier, dtype=np.float64)
    h = np.diff(np.asarray(t, dtype=np.float64))
    inc = 0.5 * (f[..., 1:] + f[..., :-1]) * h
    return np.concatenate([np.zeros(f.shape[:-1] + (1,)), np.cumsum(inc, axis=-1)], axis=-1)


# ----------------------------------------------------------------------------------------------
# Hahnfeldt 1999 and its global (total-burden) extension


@dataclass(frozen=True)
class HahnfeldtParameters:
    """Parameters of the Hahnfeldt et al. 1999 (V, K) model (see :func:`hahnfeldt_rhs`).

    lambda1 (day^-1) tumour growth rate; lambda2 (day^-1) spontaneous loss of vascular capacity;
    b (day^-1) vascular stimulation; d (mm^-2 day^-1) endogenous inhibition. Defaults: Lewis lung
    carcinoma (Hahnfeldt et al. 1999; radivot/canceR hahnfeldt99.R).
    """

    lambda1: float = field(default=0.192, metadata={"source": (
        "Lewis lung carcinoma, Hahnfeldt et al. 1999.")})
    lambda2: float = 0.0
    b: float = field(default=5.85, metadata={"source": (
        "Lewis lung carcinoma, Hahnfeldt et al. 1999.")})
    d: float = field(default=0.00873, metadata={"source": (
        "Lewis lung carcinoma, Hahnfeldt et al. 1999.")})


#: Hahnfeldt 1999 Lewis lung carcinoma parameters as keyword arguments of :func:`hahnfeldt_rhs`.
LEWIS_LUNG: dict[str, float] = asdict(HahnfeldtParameters())


def hahnfeldt_plateau(b: float, d: float) -> float:
    """Steady state V = K = (b/d)^(3/2) (mm^3) of the Hahnfeldt model without drug, lambda2 = 0."""
    return float((b / d) ** 1.5)


def hahnfeldt_rhs(y: Array, lambda1: float, lambda2: float, b: float, d: float,
                  e: float = 0.0, g: float = 0.0) -> Array:
    """Right-hand side of (V, K) for Hahnfeldt et al. 1999 (volumes in mm^3, time in days).

    lambda1 (day^-1) tumour growth rate; lambda2 (day^-1) spontaneous vascular loss; b (day^-1)
    stimulation; d (mm^-2 day^-1) endogenous inhibition; e (per unit g, day^-1) drug potency;
    g drug concentration."""
    v, k = y[0], y[1]
    dv = -lambda1 * v * np.log(v / k)
    dk = -lambda2 * k + b * v - d * k * np.cbrt(v) ** 2 - e * k * g
    return np.array([dv, dk])


def hahnfeldt_global_rhs(v: Array, k: Array, total_burden: float, lambda1: float,
                         lambda2: float, b: float, d: float) -> tuple[Array, Array]:
    """Benzekry, Gandolfi & Hahnfeldt 2014: each lesion (V_i, K_i) follows Hahnfeldt growth but the
    endogenous inhibition is driven by the total burden I_total (mm^3) of all lesions:
    dK_i/dt = -lambda2 K_i + b V_i - d K_i I_total^(2/3). With one lesion I_total = V and the
    model reduces to Hahnfeldt 1999 (Benzekry et al. 2017; exact form [L])."""
    dv = -lambda1 * v * np.log(v / k)
    dk = -lambda2 * k + b * v - d * k * np.cbrt(total_burden) ** 2
    return dv, dk


def hahnfeldt_lesions_rhs(y: Array, alive: Array, lambda1: float, lambda2: float, b: float,
                          d: float) -> Array:
    """Several lesions (V_i, K_i), y = [V_1..V_n, K_1..K_n] in mm^3, coupled through the total
    burden (Benzekry, Gandolfi & Hahnfeldt 2014): lesions with ``alive[i] = False`` (resected) are
    frozen and do not count. At steady state every V_i = K_i and b = d I_total^(2/3), so the total
    burden is (b/d)^(3/2) whatever the number of lesions ("global dormancy")."""
    n = y.size // 2
    v, k = y[:n], y[n:]
    total = float(np.sum(np.where(alive, v, 0.0)))
    dv, dk = hahnfeldt_global_rhs(v, k, total, lambda1, lambda2, b, d)
    return np.concatenate([np.where(alive, dv, 0.0), np.where(alive, dk, 0.0)])
