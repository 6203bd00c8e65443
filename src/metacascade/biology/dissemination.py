"""Dissemination: the rate at which a tumour of size V seeds new metastases.

``d(V) = mu V^gamma`` (Iwata, Kawasaki & Shigesada 2000, J Theor Biol 203:177, with
``beta(x) = m x^alpha``; Benzekry et al. 2016, Cancer Res 76:535; Hartung et al. 2014, Cancer Res
74:6397). ``mu`` is in cell^-gamma day^-1 and ``gamma`` is dimensionless in [0, 1]: gamma = 1 lets
every cell leave, gamma = 2/3 restricts shedding to the tumour surface.

Optional gates follow Benzekry's public code (``model_met_discrete.m``): no emission
before a time threshold ``t_d0`` (days) or while the primary is below a size threshold ``V_d0`` (cells),
and a latency ``tau0`` (days) during which a new metastasis stays at its initial size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PowerDissemination:
    """``d(V) = mu V^gamma`` for V > 0, else 0.

    Parameters
    ----------
    mu : dissemination coefficient (cell^-gamma day^-1).
    gamma : shedding exponent (dimensionless, 0 <= gamma <= 1).
    """

    mu: Any
    gamma: Any

    def rate(self, v: npt.ArrayLike) -> Array:
        """Expected new metastases per day from a lesion of ``v`` cells."""
        v = np.asarray(v, dtype=np.float64)
        mu = np.asarray(self.mu, dtype=np.float64)
        gamma = np.asarray(self.gamma, np.float64)
        vpos = np.maximum(v, 0.0)
        if np.all(gamma == 1.0):  # linear shedding: no power to take
            return np.asarray(mu * vpos, dtype=np.float64)
        with np.errstate(divide="ignore"):
            out = mu * vpos**gamma
        return np.where(v > 0, out, 0.0)


def emission_window(
    start_day: Any,
    threshold_day: Any,
    resection_day: Any,
    duration_days: float,
) -> tuple[Array, Array]:
    """The interval ``[t_on, t_off)`` in which the primary tumour seeds.

    ``threshold_day`` is when the primary first reaches the size threshold (0 if none, inf if never);
    emission ends at resection (``inf`` when there is none) or at the end of the simulation.
    """
    t_on = np.maximum(np.asarray(start_day, np.float64), np.asarray(threshold_day, np.float64))
    t_off = np.minimum(np.asarray(resection_day, np.float64), duration_days)
    return t_on, np.maximum(t_off, t_on)
