"""Organism model with time-varying metastatic growth (systemic signals; Hahnfeldt et al. 1999; Benzekry et al. 2017).

The FFT path of :mod:`metacascade.engines.organism` needs autonomous growth (every metastasis follows
the same X(age)). With primary-derived signals the specific growth rate of every distant lesion is
multiplied by f(t) >= 0 (:class:`metacascade.biology.systemic.SystemicSignals`), which may itself
depend on the total burden (Benzekry, Gandolfi & Hahnfeldt 2014: the inhibitor is produced by all
lesions). Births are grouped into cohorts of width h (births of [t_j, t_j + h) placed at the
mid-point); each cohort carries its clock age alpha_j = int f over its life, so its size is
X(alpha_j) (exact for laws of the form dV/dt = f(t) g(V)). The system is marched forward one step
at a time, vectorised over cohorts and patients:

    I_{k+1} = e^{-c h} I_k + (1 - e^{-c h}) source_k          (exact for a constant source)
    alpha_j += h (f_k + f_{k+1}) / 2                          (trapezoid, as ``growth_clock``)
    births_k = N_p(t_{k+1}) - N_p(t_k) + [secondary] h sum_j n_j mu X(alpha_j)^gamma

With f = 1 this is a direct quadrature of the autonomous model: tests compare it with the FFT path.
Cost O(T^2 / 2) per patient.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from metacascade.biology.systemic import SystemicSignals
from metacascade.engines.organism import Patients, _col

Array = npt.NDArray[np.float64]




def _primary_setup(pat: Patients, duration: float, step: float) -> tuple[Array, Array, Array]:
    """Output times t, the primary's size while it stands (P, T) and the primary's births in
    each output step (P, T - 1): what both time-stepping solvers start from."""
    n_out = int(np.floor(duration / step + 1e-9)) + 1
    t = np.arange(n_out, dtype=np.float64) * step
    vp = np.asarray(pat.primary(2).size(t[None, :], _col(pat.vp0, 2)), dtype=np.float64)
    vp_alive = np.where(t[None, :] < pat.resection_day[:, None], vp, 0.0)
    births = np.diff(_primary_cumulative_births(pat, duration, t), axis=1)
    return t, vp_alive, births

def _primary_cumulative_births(pat: Patients, duration: float, t: Array) -> Array:
    """Cumulative primary births N_p at the output times ``t`` (P, T), on the emission window
    (fine trapezoid rule, 8 sub-steps per output step)."""
    sub = 8
    tf = np.linspace(0.0, t[-1], (len(t) - 1) * sub + 1)
    t_on, t_off = pat.window(duration)
    vpf = np.asarray(pat.primary(2).size(tf[None, :], _col(pat.vp0, 2)), dtype=np.float64)
    rate = np.asarray(pat.dissemination(2).rate(vpf), dtype=np.float64)
    rate = np.where((tf[None, :] >= t_on[:, None]) & (tf[None, :] < t_off[:, None]), rate, 0.0)
    steps = np.cumsum(0.5 * (rate[:, 1:] + rate[:, :-1]), axis=1) * (tf[1] - tf[0])
    return np.concatenate([np.zeros((pat.n, 1)), steps], axis=1)[:, ::sub]

def solve_timevarying(
    pat: Patients,
    duration: float,
    step: float,
    signals: SystemicSignals,
    source: Literal["primary", "total_burden"] = "primary",
    secondary: bool = False,
) -> dict[str, Array]:
    """Time series (P, T) of n_metastases, metastatic_burden_cells, n_visible,
    visible_burden_cells, primary_cells, inhibitor and growth_multiplier on t = 0, step, ...

    ``pat.latency`` holds a new metastasis at its birth size before it grows (real time).
    """
    t, vp_alive, births_p = _primary_setup(pat, duration, step)
    n_out, p = len(t), pat.n

    law = pat.metastasis(2)
    v0 = pat.v0[:, None]
    a_vis = np.asarray(law.age_at_size(pat.visible_cells[:, None], v0), dtype=np.float64)
    diss = pat.dissemination(2)
    lat = pat.latency[:, None]

    n_coh = np.zeros((p, n_out - 1))  # births of each cohort
    alpha = np.zeros((p, n_out - 1))  # clock age of each cohort
    born = (np.arange(n_out - 1) + 0.5) * step  # mid-points
    out = {k: np.zeros((p, n_out)) for k in ("n_metastases", "metastatic_burden_cells",
                                              "n_visible", "visible_burden_cells", "inhibitor",
                                              "growth_multiplier")}
    out["primary_cells"] = vp_alive
    decay_i = np.exp(-signals.clearance_per_day * step)
    decay_s = np.exp(-signals.stimulator_clearance_per_day * step)
    inh = np.zeros(p)
    stim = np.zeros(p)

    def multiplier(k: int, inh: Array, stim: Array) -> Array:
        f = np.ones(p)
        if signals.inhibition_per_cell > 0:
            f = f / (1.0 + signals.inhibition_per_cell * inh)
        if signals.stimulation_per_cell > 0:
            f = f * (1.0 + signals.stimulation_per_cell * stim)
        if signals.surge_amplitude > 0:
            since = t[k] - pat.resection_day
            f = f * (1.0 + signals.surge_amplitude
                     * np.where(since >= 0, np.exp(-np.maximum(since, 0) / signals.surge_decay_days),
                                0.0))
        return f

    f_k = multiplier(0, inh, stim)
    out["growth_multiplier"][:, 0] = f_k
    burden = np.zeros(p)
    for k in range(n_out - 1):
        # cohort k is born in [t_k, t_{k+1}); its births include secondary seeding at step k
        nb = births_p[:, k]
        if secondary and k > 0:
            sizes = np.asarray(law.size(alpha[:, :k], v0), dtype=np.float64)
            nb = nb + step * np.sum(n_coh[:, :k] * diss.rate(sizes), axis=1)
        n_coh[:, k] = nb
        # inhibitor / stimulator over [t_k, t_{k+1}] with the source at t_k (mid-point for Vp)
        src = 0.5 * (vp_alive[:, k] + vp_alive[:, k + 1])
        if source == "total_burden":
            src = src + burden
        inh = decay_i * inh + (1.0 - decay_i) * src
        stim = decay_s * stim + (1.0 - decay_s) * 0.5 * (vp_alive[:, k] + vp_alive[:, k + 1])
        f_next = multiplier(k + 1, inh, stim)
        # clock ages: older cohorts a full step (minus latency), the newborn half a step
        growing = (t[k + 1] - born[: k + 1])[None, :] >= lat
        inc = 0.5 * step * (f_k + f_next)
        alpha[:, :k] += np.where(growing[:, :k], inc[:, None], 0.0)
        alpha[:, k] = np.where(growing[:, k], 0.5 * inc, 0.0)
        f_k = f_next
        sizes = np.asarray(law.size(alpha[:, : k + 1], v0), dtype=np.float64)
        nk = n_coh[:, : k + 1]
        burden = np.sum(nk * sizes, axis=1)
        vis = alpha[:, : k + 1] >= a_vis
        out["n_metastases"][:, k + 1] = np.sum(nk, axis=1)
        out["metastatic_burden_cells"][:, k + 1] = burden
        out["n_visible"][:, k + 1] = np.sum(np.where(vis, nk, 0.0), axis=1)
        out["visible_burden_cells"][:, k + 1] = np.sum(np.where(vis, nk * sizes, 0.0), axis=1)
        out["inhibitor"][:, k + 1] = inh
        out["growth_multiplier"][:, k + 1] = f_next
    out["time_days"] = np.broadcast_to(t, (p, n_out)).copy()
    return out


def first_visible_day(series: dict[str, Array], first_met: float | None, a_vis: float,
                      step: float) -> float | None:
    """Day the first metastasis (born at ``first_met``) becomes visible under the time-varying
    clock: tau(t) - tau(first_met) = a_vis."""
    if first_met is None or not np.isfinite(a_vis):
        return None
    f = series["growth_multiplier"][0]
    t = series["time_days"][0]
    tau = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * step)])
    target = float(np.interp(first_met, t, tau)) + a_vis
    if target > tau[-1]:
        return None
    return float(np.interp(target, tau, t))


def solve_angiogenesis(
    pat: Patients,
    duration: float,
    step: float,
    lambda1: float,
    b: float,
    d: float,
    k_ratio: float,
) -> dict[str, Array]:
    """Organism model where every metastasis follows Hahnfeldt et al. 1999 dynamics with the
    endogenous inhibition driven by the total burden (Benzekry, Gandolfi & Hahnfeldt 2014):

        dV_j/dt = -lambda1 V_j ln(V_j / K_j)
        dK_j/dt = b V_j - d K_j I(t)^(2/3),     I = V_p 1[t < T_R] + sum_j n_j V_j   (mm^3)

    Births come from the primary (its own growth law) as in :func:`solve_timevarying`; a new
    metastasis starts at V = v0, K = k_ratio v0. Each step uses stable updates: V exactly for K
    frozen over the step, K semi-implicitly in the inhibition term. Sizes in cells (1 mm^3 = 1e6)."""
    t, vp_alive, births = _primary_setup(pat, duration, step)
    n_out, p = len(t), pat.n
    v0 = pat.v0[:, None] / 1e6
    vis = pat.visible_cells[:, None] / 1e6
    vm = np.zeros((p, n_out - 1))
    km = np.zeros((p, n_out - 1))
    out = {k: np.zeros((p, n_out)) for k in ("n_metastases", "metastatic_burden_cells",
                                              "n_visible", "visible_burden_cells", "inhibitor",
                                              "growth_multiplier")}
    out["primary_cells"] = vp_alive
    out["inhibitor"][:, 0] = vp_alive[:, 0]
    decay = np.exp(-lambda1 * step)
    for k in range(n_out - 1):
        vm[:, k:k + 1] = v0
        km[:, k:k + 1] = k_ratio * v0
        nk = births[:, : k + 1]
        total = vp_alive[:, k] / 1e6 + np.sum(nk * vm[:, : k + 1], axis=1)
        inh = np.cbrt(total)[:, None] ** 2
        vj, kj = vm[:, : k + 1], km[:, : k + 1]
        kj_new = (kj + step * b * vj) / (1.0 + step * d * inh)
        vm[:, : k + 1] = kj * np.exp(np.log(vj / kj) * decay)
        km[:, : k + 1] = kj_new
        sizes = vm[:, : k + 1]
        burden = np.sum(nk * sizes, axis=1) * 1e6
        seen = sizes >= vis
        out["n_metastases"][:, k + 1] = np.sum(nk, axis=1)
        out["metastatic_burden_cells"][:, k + 1] = burden
        out["n_visible"][:, k + 1] = np.sum(np.where(seen, nk, 0.0), axis=1)
        out["visible_burden_cells"][:, k + 1] = np.sum(np.where(seen, nk * sizes, 0.0), axis=1) * 1e6
        out["inhibitor"][:, k + 1] = vp_alive[:, k + 1] + burden
        # growth multiplier reported as the specific growth rate of the oldest cohort
        out["growth_multiplier"][:, k + 1] = -lambda1 * np.log(vm[:, 0] / km[:, 0])
    out["time_days"] = np.broadcast_to(t, (p, n_out)).copy()
    return out
