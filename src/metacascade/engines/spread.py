"""Organism-scale metastasis with the cascade: per-organ seeding, niche, lymph nodes, stem cells.

With ``dissemination.model = "cascade"`` the birth rate of metastases in organ o is the product of
the steps (Luzzi et al. 1998; Chambers et al. 2002; Kaplan et al. 2005; Müller et al. 2001):

    B_o(t) = Vp(t)^gamma x f_stem x cluster x [ D_blood q_blood,o + D_lymph q_lymph,o ]
             x P_col,o(n_o(t))  x 1[primary stands]            (from the primary)
           + R_LN(t) x f_stem x cluster x q_blood,o x P_col,o(n_o(t))   (re-seeding by node mets)

- D_blood = detachment x invasion x blood intravasation x P(survive the circulation) (cells per
  cell^gamma per day); D_lymph = detachment x invasion x p_L(lymphatic area);
- q_blood,o, q_lymph,o: where surviving cells arrest (first capillary bed by venous drainage, blood
  flow, mechanical retention and CXCL12 chemotaxis; the lymph goes to the regional node first);
- P_col,o(n) = P(extravasate) x P(start dividing) x P(micrometastasis becomes progressive |
  niche readiness n), the absorption probabilities of the cell-level Markov chain
  (:mod:`metacascade.biology.cascade`); lymph-node entry needs no extravasation;
- n_o(t): niche readiness (:mod:`metacascade.biology.niche`); f_stem: stem-like fraction
  (:mod:`metacascade.biology.stemcells`); resection ends the primary's seeding;
- R_LN(t) = reseeding rate x int B_LN(s) X(t - s)^gamma ds: cells shed by lymph-node metastases
  into the efferent lymph and the veins (caval route).

The cascade time scales (minutes to days) are short compared with tumour growth, so a cell shed at
t is counted at t with the readiness n_o(t) (quasi-static). Cells that become solitary dormant cells
are not counted as metastases here (dormancy is its own mechanism, S14). When every factor is
constant (no niche signal, no lymphatics) the cascade is exactly the single-mu model with
``mu_o = D_blood q_blood,o P_col,o f_stem cluster`` (tested).

Births are computed with the organism engine's birth-cohort numerics (``_birth_cohorts``): Legendre
moments of each organ's source rate, and the age kernels computed once per patient and shared by
its organs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import xarray as xr
from scipy.optimize import brentq

from metacascade._version import __version__
from metacascade.biology import cascade as cc
from metacascade.biology.bone import DRUGS as BONE_DRUGS
from metacascade.biology.niche import NicheParameters
from metacascade.engines import _birth_cohorts as co
from metacascade.engines import sections
from metacascade.engines.base import Problem, Support
from metacascade.engines.checks import PROBABILITY, check_physical
from metacascade.engines.organism import (
    SIGNED_EVENTS,
    Patients,
    Solution,
    _col,
    _size_kernel,
    choose_step,
    drivers,
    fft_block,
    lethal_burden,
    overflow_problems,
    patients_from_scenarios,
    solve_bytes,
    with_bone_lesion,
)
from metacascade.errors import ScenarioError
from metacascade.limits import check_memory
from metacascade.result import Result
from metacascade.scenario import Scenario, resolve

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]

#: Relative accuracy of the convolutions (values below 1e-7 of the largest are summed directly).
REL_TOL = 1e-7
#: Readiness grid: this many steps per output step (at most 1 day apart).
NICHE_SUBSTEPS = 2


@dataclass(frozen=True)
class OrganFactors:
    """Per patient (P,) and per organ (P, O) constant factors of the cascade."""

    organs: list[str]
    gamma: Array  # (P,)
    d_blood: Array  # (P,) cells entering the blood and surviving, per cell^gamma per day
    d_lymph: Array  # (P,) cells entering the lymph per cell^gamma per day
    q_blood: Array  # (P, O) arrest distribution of blood-borne cells (primary drainage)
    q_lymph: Array  # (P, O) of lymph-borne cells (node first, then veins; survival included)
    q_reseed: Array  # (P, O) of cells shed by node metastases (caval; survival included)
    p_ext: Array  # (P, O)
    p_init: Array  # (P, O) probability that an extravasated stem-like cell starts dividing
    k_big: Array  # (P, O) progression rate of a micrometastasis in a naive organ (day^-1)
    k_mdeath: Array  # (P,) regression rate of micrometastases (day^-1)
    multiplier: Array  # (P,) stem fraction x cluster factor
    reseed_rate: Array  # (P,) node metastasis cells re-entering blood per cell^gamma per day
    niche: list[NicheParameters]
    affinity: Array  # (P, O)

    def colonisation(self, gain_n: Array) -> Array:
        """P_col(n) for ``gain_n`` = gain x n of shape (P, O, ...)."""
        nd = gain_n.ndim
        k = _exp(self.k_big, nd) * (1.0 + gain_n)
        return np.asarray(_exp(self.p_ext, nd) * _exp(self.p_init, nd) * k
                          / (k + _col(self.k_mdeath, nd)), dtype=np.float64)


def _exp(x: Array, nd: int) -> Array:
    return x.reshape(x.shape + (1,) * (nd - x.ndim))


def organ_factors(scenarios: Sequence[Scenario]) -> OrganFactors:
    """The constant factors of each patient's cascade (organs must be the same for all)."""
    params = [resolve.cascade(s) for s in scenarios]
    names = list(params[0].organs)
    for p in params[1:]:
        if list(p.organs) != names:
            raise ValueError("a batch must share the organs")
    lymph = [resolve.lymphatics(s) for s in scenarios]
    ln = names.index(cc.LYMPH_NODE)
    rows: dict[str, list[Any]] = {k: [] for k in (
        "q_blood", "q_lymph", "q_reseed", "p_ext", "p_init", "k_big", "k_mdeath", "d_blood",
        "d_lymph", "multiplier", "reseed", "affinity")}
    for s, p, lp in zip(scenarios, params, lymph, strict=True):
        surv = p.survival_probability
        drainage = "portal" if s.cascade.venous_drainage == "portal" else "caval"
        rows["q_blood"].append(cc.arrival_distribution(p, drainage))
        ql = cc.arrest_distribution(p, "lymph")
        ql_blood = ql.copy()
        ql_blood[ln] = 0.0
        ql = ql_blood * surv
        ql[ln] = cc.arrest_distribution(p, "lymph")[ln]
        rows["q_lymph"].append(ql)
        rows["q_reseed"].append(cc.arrival_distribution(p, "caval") * surv)
        skip = np.zeros(len(names), dtype=bool)
        skip[ln] = True
        r = cc.chain_rates(p, 1.0, skip_extravasation=skip)
        with np.errstate(invalid="ignore"):
            rows["p_ext"].append(np.where(skip, 1.0, r.extravasation
                                          / (r.extravasation + r.intravascular_death)))
        k_e = r.initiation + r.dormancy_entry + r.death_after_extravasation
        rows["p_init"].append(np.full(len(names), r.initiation / k_e if k_e > 0 else 0.0))
        rows["k_big"].append(r.progression)
        rows["k_mdeath"].append(r.micro_death)
        rows["d_blood"].append(p.blood_shedding_rate_per_cell_day * surv)
        rows["d_lymph"].append(p.detachment_rate_per_cell_day * p.invasion_probability
                               * lp.entry_probability())
        rows["multiplier"].append(p.stem_fraction * p.cluster_factor)
        rows["reseed"].append(lp.reseeding_rate_per_cell_day)
        rows["affinity"].append(p.organ_arrays()["niche_affinity"])
    a = {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}
    a["p_ext"] = np.nan_to_num(a["p_ext"])
    return OrganFactors(
        organs=names, gamma=np.array([s.dissemination.gamma for s in scenarios], np.float64),
        d_blood=a["d_blood"], d_lymph=a["d_lymph"], q_blood=a["q_blood"], q_lymph=a["q_lymph"],
        q_reseed=a["q_reseed"], p_ext=a["p_ext"], p_init=a["p_init"], k_big=a["k_big"],
        k_mdeath=a["k_mdeath"], multiplier=a["multiplier"], reseed_rate=a["reseed"],
        niche=[resolve.niche(s) for s in scenarios], affinity=a["affinity"])


@numba.njit(cache=True)
def _readiness_loop(a: Array, k_decay: Array, dt: float) -> Array:  # pragma: no cover
    """n_{i+1} = n_eq + (n_i - n_eq) exp(-(a + k) dt) with a (R, T) frozen on each step."""
    n_rows, n_t = a.shape
    out = np.zeros((n_rows, n_t))
    for r in range(n_rows):
        n = 0.0
        for i in range(n_t - 1):
            k = a[r, i] + k_decay[r]
            if k > 0.0:
                e = np.exp(-k * dt)
                n = a[r, i] / k + (n - a[r, i] / k) * e
            out[r, i + 1] = n
    return out


def niche_readiness(f: OrganFactors, pat: Patients, grid: Array) -> Array:
    """Readiness (P, O, T) on a uniform ``grid`` (days), driven by the primary's secretion with the
    rate frozen at each step's midpoint (second order); zero signal after resection."""
    dt = float(grid[1] - grid[0]) if grid.size > 1 else 1.0
    mid = grid[:-1] + 0.5 * dt
    vp = pat.primary(2).size(mid[None, :], _col(pat.vp0, 2))
    vp = np.where(mid[None, :] < _col(pat.resection_day, 2), vp, 0.0)  # (P, T-1)
    kp = np.array([n.priming_rate_per_day for n in f.niche])
    kd = np.array([n.decay_rate_per_day for n in f.niche])
    power = np.array([n.secretion_power for n in f.niche])
    ref = np.array([n.reference_cells for n in f.niche])
    sig = (vp / ref[:, None]) ** power[:, None]  # (P, T-1)
    a = kp[:, None, None] * f.affinity[:, :, None] * sig[:, None, :]  # (P, O, T-1)
    n_p, n_o = f.affinity.shape
    a_full = np.concatenate([a, np.zeros((n_p, n_o, 1))], axis=2).reshape(n_p * n_o, -1)
    out = _readiness_loop(np.ascontiguousarray(a_full), np.repeat(kd, n_o), dt)
    return out.reshape(n_p, n_o, grid.size)


def _interp_uniform(values: Array, dt: float, s: Array) -> Array:
    """Linear interpolation of (R, T) samples on a uniform grid at times s (R, ...)."""
    n_t = values.shape[1]
    x = np.clip(s / dt, 0.0, n_t - 1.000001)
    i = np.floor(x).astype(np.intp)
    w = x - i
    flat_i = i.reshape(i.shape[0], -1)
    lo = np.take_along_axis(values, flat_i, axis=1).reshape(s.shape)
    hi = np.take_along_axis(values, flat_i + 1, axis=1).reshape(s.shape)
    return np.asarray(lo + w * (hi - lo), dtype=np.float64)


@dataclass
class CascadeSolution:
    """Per-organ solution of a batch: ``series[name]`` has shape (P, O, T)."""

    organs: list[str]
    factors: OrganFactors
    sol: Solution  # rows = patients x organs (patient-major)
    readiness: Array  # (P, O, T) on the output grid
    series: dict[str, Array]
    times: Array
    n_patients: int

    def row(self, p: int, o: int) -> int:
        return p * len(self.organs) + o


def solve_cascade(scenarios: Sequence[Scenario], duration: float | None = None,
                  output_step: float | None = None, counts_only: bool = False) -> CascadeSolution:
    """Run the cascade organism model for a batch of scenarios (same organs and growth laws).

    Parameters
    ----------
    scenarios : sequence of Scenario
        One cascade scenario (``dissemination.model = "cascade"``) per patient.
    duration : float, optional
        The simulated time in days (default ``simulation.duration_days`` of the first scenario).
    output_step : float, optional
        The time between outputs in days (default ``simulation.output_step_days``).
    counts_only : bool
        Compute the numbers of metastases and birth rates only (no burden or visibility
        convolutions; much faster for large cohorts).

    Returns
    -------
    CascadeSolution
        Per-organ series (cells, counts) of shape (patients, organs, times), the output days and
        the niche readiness.

    Raises
    ------
    ScenarioError
        Numbers that would overflow, or too little memory.

    Examples
    --------
    >>> import metacascade as mc
    >>> cs = mc.solve_cascade([mc.load_scenario("breast-cascade")])
    >>> cs.n_patients, len(cs.organs) > 1
    (1, True)
    """
    sim = scenarios[0].simulation
    duration = sim.duration_days if duration is None else duration
    output_step = sim.output_step_days if output_step is None else output_step
    pat = patients_from_scenarios(scenarios)
    for p_, why in enumerate(overflow_problems(pat, duration, False)):
        if why is not None:
            raise ScenarioError(f"cascade engine{f', patient {p_}' if pat.n > 1 else ''}: {why}")
    f = organ_factors(scenarios)
    n_p, n_o = f.q_blood.shape
    h, m = choose_step(pat, output_step, sim.max_internal_step_days)
    block = fft_block(pat, h)
    n_out = int(np.floor(duration / output_step + 1e-9)) + 1
    n_cells = (n_out - 1) * m if n_out > 1 else m
    end = n_cells * h
    n_niche = end / (min(output_step, 1.0) / NICHE_SUBSTEPS)
    check_memory(solve_bytes(n_p * n_o, n_cells, n_out, False) + 8.0 * 3 * n_p * n_o * n_niche,
                 f"the cascade engine with {n_p} patient(s) x {n_o} organs, {n_cells:.3g} birth "
                 f"cohorts and {n_niche:.3g} niche steps",
                 "lower simulation.duration_days or raise simulation.output_step_days or "
                 "simulation.max_internal_step_days")
    t_on, t_off = pat.window(end)

    # niche readiness on a fine uniform grid
    dt_n = min(output_step, 1.0) / NICHE_SUBSTEPS
    n_grid = int(np.ceil(end / dt_n)) + 1
    grid = np.arange(n_grid, dtype=np.float64) * dt_n
    ready = niche_readiness(f, pat, grid)  # (P, O, G)
    gains = np.array([n.gain for n in f.niche])
    gain_ready = (ready * gains[:, None, None]).reshape(n_p * n_o, -1)

    rows = np.repeat(np.arange(n_p), n_o)
    org = np.tile(np.arange(n_o), n_p)
    pat_rows = pat.take(rows)
    ln = f.organs.index(cc.LYMPH_NODE)
    base = (f.d_blood[:, None] * f.q_blood + f.d_lymph[:, None] * f.q_lymph)  # (P, O)
    base_rows = (base * f.multiplier[:, None]).reshape(-1)
    k_big_r, p_init_r = f.k_big.reshape(-1), f.p_init.reshape(-1)
    p_ext_r, k_md_r = f.p_ext.reshape(-1), f.k_mdeath[rows]
    gamma_r = f.gamma[rows]

    # Rows of one patient share their time nodes; readiness rows are often identical (equal
    # affinities): evaluate the interpolation and the primary size once per distinct row.
    rep_of = np.arange(n_p * n_o)
    for pp in range(n_p):  # rows of one patient with identical readiness share a representative
        for o in range(1, n_o):
            for o2 in range(o):
                if np.array_equal(gain_ready[pp * n_o + o], gain_ready[pp * n_o + o2]):
                    rep_of[pp * n_o + o] = rep_of[pp * n_o + o2]
                    break
    rep, inverse = np.unique(rep_of, return_inverse=True)
    uniq = gain_ready[rep]
    first = np.arange(n_p) * n_o

    def p_col(s: Array, idx: Index | None) -> Array:
        nd = s.ndim
        if idx is None and _same_per_patient(s, rows, first):
            g = _interp_uniform(uniq, dt_n, s[rep])[inverse.ravel()]
            r = np.arange(n_p * n_o)
        else:
            r = np.arange(n_p * n_o) if idx is None else idx
            g = _interp_uniform(gain_ready[r], dt_n, s)
        k = _col(k_big_r[r], nd) * (1.0 + g)
        return np.asarray(_col(p_ext_r[r] * p_init_r[r], nd) * k / (k + _col(k_md_r[r], nd)),
                          dtype=np.float64)

    def primary_source(s: Array, idx: Index | None = None) -> Array:
        nd = s.ndim
        if idx is None and _same_per_patient(s, rows, first):
            vp = pat.primary(nd).size(s[first], _col(pat.vp0, nd))[rows]
            r = np.arange(n_p * n_o)
        else:
            r = np.arange(n_p * n_o) if idx is None else idx
            p = pat_rows.take(r)
            vp = p.primary(nd).size(s, _col(p.vp0, nd))
        return np.asarray(np.maximum(vp, 0.0) ** _col(gamma_r[r], nd) * _col(base_rows[r], nd)
                          * p_col(s, idx), dtype=np.float64)

    b_rows = co.source_moments(primary_source, h, n_cells, t_on[rows], t_off[rows])

    # lymph-node metastases re-seed the blood: R(t) = rate x int B_LN(s) X(t - s)^gamma ds
    sol_p = Solution(pat=pat, h=h, n_cells=n_cells, out_every=m, duration=duration, t_on=t_on,
                     t_off=t_off, primary_moments=b_rows[ln::n_o], moments=b_rows[ln::n_o],
                     secondary=False, series={},
                     times=np.arange(n_out, dtype=np.float64) * output_step)
    inv = 1.0 / co.norm2(h)
    w_cache: dict[str, Array] = {}
    if np.any(f.reseed_rate > 0) and np.any(b_rows[ln::n_o, :, 0] > 0):
        size = _size_kernel(pat)

        def emission(age: Array, idx: Index | None) -> Array:
            g = _col(f.gamma if idx is None else f.gamma[idx], age.ndim)
            return np.asarray(size(age, idx) ** g, dtype=np.float64)

        if np.all(f.gamma == 1.0):  # the emission kernel is the size kernel: share its weights
            w_em = co.kernel_weights(size, h, n_cells, pat.latency[:, None])
            w_cache["metastatic_burden_cells"] = w_em
        else:
            w_em = co.kernel_weights(emission, h, n_cells, pat.latency[:, None])
        shed = co.causal_convolution(b_rows[ln::n_o] * inv, w_em, block, REL_TOL)  # (P, J+1) at cell ends
        reseed = shed * f.reseed_rate[:, None]
        fac = (f.q_reseed * f.multiplier[:, None]).reshape(-1)
        fac[org == ln] = 0.0
        reseed_rows = reseed[rows]

        def reseed_source(s: Array, idx: Index | None = None) -> Array:
            r_ = _interp_uniform(reseed_rows, h, s)
            return np.asarray(r_ * _col(fac, s.ndim) * p_col(s, None), dtype=np.float64)

        zero = np.zeros(n_p * n_o)
        b_rows = b_rows + co.source_moments(reseed_source, h, n_cells, zero,
                                            np.full(n_p * n_o, end))

    # observables: kernels once per patient, shared by its organs
    series: dict[str, Array] = {}
    scaled = b_rows * inv
    n_grid_cum = np.concatenate([np.zeros((n_p * n_o, 1)), np.cumsum(b_rows[:, :, 0], axis=1)],
                                axis=1)
    series["n_metastases"] = n_grid_cum[:, ::m][:, :n_out]
    for name, (kern, brk) in sol_p.kernels().items():
        if name == "n_metastases" or counts_only:
            continue
        w = w_cache[name] if name in w_cache else co.kernel_weights(kern, h, n_cells, brk)
        series[name] = _grouped_convolution(scaled, w, rows, block)[:, ::m][:, :n_out]
    times = np.arange(n_out, dtype=np.float64) * output_step
    series["birth_rate_per_day"] = np.concatenate(
        [np.zeros((n_p * n_o, 1)), b_rows[:, :, 0] / h], axis=1)[:, ::m][:, :n_out]
    # Arbitrary-time evaluation reconstructs births inside a partial cell from the moments: an
    # empty primary window and the births flagged as "secondary" make Solution do exactly that.
    zero = np.zeros(n_p * n_o)
    sol = Solution(pat=pat_rows, h=h, n_cells=n_cells, out_every=m, duration=duration,
                   t_on=zero, t_off=zero, primary_moments=np.zeros_like(b_rows), moments=b_rows,
                   secondary=True, series=series, times=times)
    out = {k: v.reshape(n_p, n_o, -1) for k, v in series.items()}
    idx = np.clip(np.round(times / dt_n).astype(np.intp), 0, n_grid - 1)
    return CascadeSolution(organs=f.organs, factors=f, sol=sol,
                           readiness=ready[:, :, idx], series=out, times=times, n_patients=n_p)


def _same_per_patient(s: Array, rows: Index, first: Index) -> bool:
    """True when every row's time nodes equal those of its patient's first row."""
    return bool(np.array_equal(s, s[first][rows]))


def _grouped_convolution(scaled: Array, w: Array, rows: Index,
                         block: int | None = None) -> Array:
    """causal_convolution of every row with its patient's kernel weights, computed once for each
    set of rows whose birth moments are proportional (e.g. blood-borne organs with the same
    niche readiness) and scaled: exact, and several times cheaper than one per organ."""
    n_rows = scaled.shape[0]
    flat = scaled.reshape(n_rows, -1)
    norm = np.abs(flat).sum(axis=1)
    out = np.zeros((n_rows, scaled.shape[1] + 1))
    reps: list[int] = []  # representative row of each group
    rep_of = np.full(n_rows, -1)
    scale = np.zeros(n_rows)
    for r in range(n_rows):
        if norm[r] == 0.0:
            continue
        unit = flat[r] / norm[r]
        for g in reps:
            if rows[g] == rows[r] and np.allclose(unit, flat[g] / norm[g], rtol=1e-12,
                                                   atol=1e-15 * float(np.abs(unit).max())):
                rep_of[r], scale[r] = g, norm[r] / norm[g]
                break
        else:
            reps.append(r)
            rep_of[r], scale[r] = r, 1.0
    if reps:
        idx = np.array(reps)
        conv = co.causal_convolution(scaled[idx], w[rows[idx]], block, REL_TOL)
        pos = {g: i for i, g in enumerate(reps)}
        for r in range(n_rows):
            if rep_of[r] >= 0:
                out[r] = conv[pos[int(rep_of[r])]] * scale[r]
    return out


def first_time(times: Array, values: Array, level: float) -> float | None:
    """First time a series reaches a level (linear interpolation between samples).

    Parameters
    ----------
    times : ndarray of float
        Sample times (days, increasing).
    values : ndarray of float
        The series at ``times`` (any unit, e.g. a count of metastases).
    level : float
        The level, in the unit of ``values`` (e.g. a count).

    Returns
    -------
    float or None
        The first day the series reaches ``level``; None if it never does.

    Examples
    --------
    >>> import numpy as np
    >>> import metacascade as mc
    >>> mc.first_time(np.array([0.0, 10.0, 20.0]), np.array([0.0, 0.5, 1.5]), 1.0)
    15.0
    """
    above = np.nonzero(values >= level)[0]
    if above.size == 0:
        return None
    k = int(above[0])
    if k == 0:
        return float(times[0])
    v0, v1 = values[k - 1], values[k]
    return float(times[k - 1] + (level - v0) / (v1 - v0) * (times[k] - times[k - 1]))


def effective_mu(scenario: Scenario) -> dict[str, float]:
    """mu_o (cell^-gamma day^-1) of each organ when readiness is 0 and only blood spread counts:
    the single-mu equivalent of the cascade (sum over organs = mu_eff; Luzzi et al. 1998; Chambers et al. 2002)."""
    f = organ_factors([scenario])
    pcol = f.colonisation(np.zeros_like(f.k_big))[0]
    mu = f.d_blood[0] * f.q_blood[0] * pcol * f.multiplier[0]
    return {o: float(v) for o, v in zip(f.organs, mu, strict=True)}


def simulate_cascade(scenario: Scenario) -> Result:
    """Simulate one patient with the cascade model: per-organ series (lymph node included), niche
    readiness per organ, and the key events of the total."""
    cs = solve_cascade([scenario])
    pat = patients_from_scenarios([scenario])
    times = cs.times
    tot = {k: v[0].sum(axis=0) for k, v in cs.series.items()}
    det = float(pat.detection_day()[0])
    end = float(times[-1])

    def n_total(t: float) -> float:
        return float(cs.sol.cumulative_number(t).sum())

    def time_of(level: float) -> float | None:
        """First time the total expected number reaches ``level`` (root of the exact N(t))."""
        if tot["n_metastases"][-1] < level:
            return None
        k = int(np.searchsorted(tot["n_metastases"], level))
        lo, hi = times[max(k - 1, 0)], times[k]
        return float(brentq(lambda t: n_total(t) - level, lo, hi, xtol=1e-8)) if hi > lo \
            else float(hi)

    first = time_of(1.0)
    half = time_of(float(np.log(2.0)))
    primary = cs.sol.primary_cells(times)[0]
    summary: dict[str, Any] = {
        "dissemination_model": "cascade",
        "detection_day": det if np.isfinite(det) and det <= end else None,
        "first_metastasis_day": first,
        "resection_day": float(pat.resection_day[0]) if np.isfinite(pat.resection_day[0])
        else None,
        "effective_mu_by_organ": effective_mu(scenario),
    }
    d = summary["detection_day"]
    summary["lead_time_days"] = (d - first) if (d is not None and first is not None) else None
    summary["lead_time_years"] = (summary["lead_time_days"] / 365.25
                                  if summary["lead_time_days"] is not None else None)
    summary["half_probability_day"] = half
    a_vis = float(pat.visible_age()[0])
    summary["visible_age_days"] = a_vis if np.isfinite(a_vis) else None
    summary["first_visible_metastasis_day"] = (
        first + a_vis if first is not None and np.isfinite(a_vis) and first + a_vis <= end
        else None)
    if d is not None:
        at = cs.sol.at(d)
        summary["p_any_metastasis_at_detection"] = float(-np.expm1(-at["n_metastases"].sum()))
        summary["primary_cells_at_detection"] = float(pat.detection_cells[0])
        for key, name in (("n_metastases", "n_metastases_at_detection"),
                          ("metastatic_burden_cells", "burden_at_detection_cells"),
                          ("n_visible", "n_visible_at_detection")):
            summary[name] = float(at[key].sum())
            summary[f"{name}_by_organ"] = {o: float(at[key][i]) for i, o in enumerate(cs.organs)}
    for key in ("n_metastases", "metastatic_burden_cells", "n_visible", "visible_burden_cells"):
        summary[f"{key}_final"] = float(tot[key][-1])
    summary["p_any_metastasis_final"] = float(-np.expm1(-tot["n_metastases"][-1]))
    summary["first_metastasis_day_by_organ"] = {
        o: first_time(times, cs.series["n_metastases"][0, i], 1.0) for i, o in enumerate(cs.organs)}
    summary["niche_half_ready_day_by_organ"] = {
        o: first_time(times, cs.readiness[0, i], 0.5) for i, o in enumerate(cs.organs)}
    units = {
        "n_metastases": ("metastases", "expected number of metastases N(t)"),
        "metastatic_burden_cells": ("cells", "metastatic burden M(t)"),
        "n_visible": ("metastases", "expected number of visible metastases"),
        "visible_burden_cells": ("cells", "burden in visible metastases"),
        "birth_rate_per_day": ("metastases/day", "cohort-average birth rate of metastases"),
    }
    data: dict[str, Any] = {
        "primary_cells": ("time_days", primary, {"units": "cells", "long_name": "primary size"}),
        "p_any_metastasis": ("time_days", -np.expm1(-tot["n_metastases"]),
                             {"units": "1", "long_name": "1 - exp(-N)"}),
    }
    for name, (unit, long) in units.items():
        data[name] = ("time_days", tot[name], {"units": unit, "long_name": long})
        data[f"{name}_by_organ"] = (("time_days", "organ"), cs.series[name][0].T,
                                    {"units": unit, "long_name": f"{long}, by organ"})
    data["niche_readiness_by_organ"] = (("time_days", "organ"), cs.readiness[0].T,
                                        {"units": "1", "long_name": "niche readiness n(t)"})
    ts = xr.Dataset(data, coords={"time_days": ("time_days", times, {"units": "day"}),
                                  "organ": ("organ", np.array(cs.organs, dtype=object))})
    ts.attrs["engine"] = "organism with the metastatic cascade (birth cohorts)"
    summary.update(lethal_burden(times, primary, {o: cs.series["metastatic_burden_cells"][0, i]
                                                  for i, o in enumerate(cs.organs)}, scenario))
    if scenario.bone is not None:  # a representative bone lesion on the same time grid
        summary, ts = with_bone_lesion(scenario, times, summary, ts)
    why = drivers(pat, float(times[-1]), False) + ", and the cascade.*, niche.* and organs.* values"
    check_physical(ts, "cascade engine", why, rules={"niche_readiness_by_organ": PROBABILITY})
    check_physical({k: v for k, v in summary.items() if isinstance(v, float)},
                   "cascade engine (summary)", why, allow_missing=True, rules=SIGNED_EVENTS)
    return Result(timeseries=ts, summary=summary, scenario=scenario, version=__version__,
                  seed=scenario.simulation.seed,
                  created=datetime.now(UTC).isoformat(timespec="seconds"), sizes=None,
                  extra={"cohort_width_days": cs.sol.h})


# ------------------------------------------------------------------------------------------
# The engine contract (engines/base.py)

SUPPORTS: tuple[Support, ...] = (
    Support("primary", "yes"),
    Support("metastasis", "yes"),
    Support("dissemination", "partly", "the cascade model (gamma, thresholds, latency; mu is "
            "replaced by the cascade); 'power' is the organism engine's; cluster_size only equal "
            "to metastasis.initial_cells"),
    Support("dissemination.secondary", "n/a", "not allowed with the cascade model"),
    *(Support(name, "yes") for name in sections.CASCADE_SECTIONS),
    Support("organs", "yes", "the organ table overridden by the cascade fields; lethal_cells"),
    Support("detection", "partly", "detection and visibility sizes; screening visits are "
            "refused (cohort)"),
    Support("treatment", "partly", "resection (day, at detection, delay); bone drugs with a "
            "[bone] section; adjuvant chemotherapy refused (cohort); unknown drugs refused"),
    Support("bone", "yes", "the representative lesion on the same time grid"),
    Support("simulation", "yes"),
    Support("death", "yes", "lethal_burden_day: the expected burden reaches the lethal burden"),
    Support("systemic", "no", "refused (organism engine, power model)"),
    Support("dormancy", "no", "refused (single cells: the stochastic engine)"),
    Support("mutation", "partly", "neutral mutations do not change expected sizes; drivers and "
            "traits refused (stochastic)"),
)


def check_scenario(sc: Scenario, engine: str = "spread") -> list[Problem]:
    """Every section or value of ``sc`` the cascade (spread) engine cannot honour."""
    if sc.dissemination.model != "cascade":
        return [Problem("dissemination.model", sc.dissemination.model, f"the {engine} engine runs "
                        "the cascade model (dissemination.model = 'cascade')",
                        "metacascade run {scenario} --engine organism")]
    out = sections.cell_scale(sc, engine) + sections.screening(sc, engine)
    out += sections.drugs(sc, engine, BONE_DRUGS)
    d = sc.dormancy
    single_only = d.avascular_fraction == 0 and not d.single_cells_become_micrometastases
    out += sections.no_dormancy(sc, engine, sections.STOCHASTIC if single_only else None)
    primary_signals = sc.systemic.model != "angiogenesis" and \
        sc.systemic.inhibitor_source == "primary"
    out += sections.no_systemic(sc, engine, sections.STOCHASTIC if primary_signals else None)
    return out


class SpreadEngine:
    """The cascade organism engine as an :class:`~metacascade.engines.base.Engine`."""

    name = "spread"
    supports = SUPPORTS

    def check(self, scenario: Scenario) -> list[Problem]:
        return check_scenario(scenario, self.name)

    def run(self, scenario: Scenario, rng: np.random.Generator | None = None) -> Result:
        """Deterministic: ``rng`` is not used."""
        return simulate_cascade(scenario)


ENGINE = SpreadEngine()
