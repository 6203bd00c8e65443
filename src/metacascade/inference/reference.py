"""The published discretisation of the neuroblastoma likelihood (Benzekry et al. 2021, code
``model.py`` of benzekry/mechanistic_predict_neuroblastoma, Benzekry et al. 2021, public code), re-implemented
from its description for regression tests and benchmarks; not used for fitting.

It computes N_vis(T) = int_0^(T - tau) mu Vp(s) ds by ``scipy.integrate.quad`` and the burden
M(T) by ``scipy.signal.fftconvolve`` of the emission rate and the growth kernel on 1001 nodes of
[0, T], taking element ``num`` = 1001 of the full convolution times the step (one step past T, a
left-Riemann sum): it overestimates M(T) by the factor e^(a T / 1000), +2-3 % for these patients.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.signal import fftconvolve

RATE = math.log(2.0) / 2.0  # day^-1, doubling time 48 h
PHI = 1e-9  # UI/L per cell
SIGMA = 0.1
NODES = 1001


def predict_published(mu: float, diameter_mm: float, vp_cells: float) -> tuple[float, float]:
    """(SIOPEN, LDH) of the published code for one patient (gamma = 1, one cell at t = 0)."""
    a = RATE
    t_diag = math.log(vp_cells) / a
    v_vis = math.pi / 6.0 * diameter_mm ** 3 * 1e6
    tau = math.log(v_vis) / a if v_vis > 1 else 0.0
    upper = t_diag - tau
    n_vis = quad(lambda s: mu * math.exp(a * s), 0.0, upper)[0] if upper > 0 else 0.0
    t = np.linspace(0.0, t_diag, NODES)
    dt = t[1] - t[0]
    f = mu * np.exp(a * t)
    g = np.exp(a * t)
    burden = float(fftconvolve(f, g)[NODES] * dt)
    return n_vis, PHI * (burden + vp_cells)


def loglik_published(mu: float, diameter_mm: float, vp_cells: float, siopen: float,
                     ldh: float) -> float:
    """Proportional-error Gaussian log-likelihood of (SIOPEN, LDH), sd = 0.1 x prediction."""
    total = 0.0
    for y, f in zip((siopen, ldh), predict_published(mu, diameter_mm, vp_cells), strict=True):
        if f <= 0:
            return -1e12
        sd = SIGMA * f
        total += -0.5 * ((y - f) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)
    return total


def fit_published(vp_cells: float, siopen: float, ldh: float,
                  start: tuple[float, float] = (1e-2, 10.0)) -> tuple[float, float, float]:
    """Nelder-Mead on (log mu, log diameter), as the published code (which starts Nelder-Mead
    from fixed values); returns (mu, diameter_mm, loglik)."""
    def nll(x: np.ndarray) -> float:
        return -loglik_published(math.exp(x[0]), math.exp(x[1]), vp_cells, siopen, ldh)

    res = minimize(nll, np.log(start), method="Nelder-Mead",
                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    return math.exp(res.x[0]), math.exp(res.x[1]), -float(res.fun)
