"""Organism-scale size-structured model of metastasis (Iwata et al. 2000; Benzekry et al.).

The density rho(t, v) of metastases of size v obeys the transport equation
d rho/dt + d(g rho)/dv = 0 with births at v0 cells at rate B(t) (Iwata et al. 2000; Benzekry et al. 2016). By the method of
characteristics each metastasis born at time s has size X(t - s), so every observable is a
convolution of the birth rate with a kernel of the age:

    N(t)     = int_0^t B(s) ds                      number of metastases
    M(t)     = int_0^t B(s) X(t - s) ds              metastatic burden (cells)
    N_vis(t) = int_0^t B(s) 1[X(t - s) >= v_vis] ds  visible metastases
    B(t)     = d(Vp(t)) 1[window] + [secondary] int_0^t B(s) d(X(t - s)) ds   (renewal equation)

with d(V) = mu V^gamma. Births are grouped into cohorts by birth time (``_birth_cohorts``); with
autonomous growth the convolutions are evaluated by FFT. Expected counts are real numbers; the
probability of at least one metastasis is 1 - exp(-N) (Poisson births).

All functions work on a batch of patients at once (leading axis P); :func:`simulate` is the
single-patient entry point; :mod:`metacascade.engines.batch` runs many patients at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from metacascade._version import __version__
from metacascade.biology.bone import DRUGS as BONE_DRUGS
from metacascade.biology.dissemination import PowerDissemination, emission_window
from metacascade.biology.growth import GrowthLaw, cells_from_diameter_mm, make_growth_law
from metacascade.biology.systemic import SystemicSignals
from metacascade.engines import _birth_cohorts as co
from metacascade.engines import _dormancy as dm
from metacascade.engines import sections
from metacascade.engines.base import Problem, Support
from metacascade.engines.checks import NON_NEGATIVE, check_physical, describe
from metacascade.errors import ScenarioError
from metacascade.limits import check_memory
from metacascade.result import Result
from metacascade.scenario import Scenario, resolve

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]

#: Internal cohort width is at most this many e-folding times of the fastest specific growth rate.
STEP_RATE = 0.1
#: An FFT block of the convolutions spans at most this many e-folding times.
BLOCK_GROWTH = 6.0
#: Sizes and counts beyond this are refused before any work (float64 overflows near 1.8e308).
OVERFLOW = 1e300
#: Measured peak memory of :func:`solve` per patient and birth cohort (bytes; tracemalloc on
#: breast runs of 3,650 to 146,000 cohorts: 320-370 without, 550-670 with secondary seeding),
#: with a margin, and per patient and output point (the seven series).
BYTES_PER_CELL = 450.0
BYTES_PER_CELL_SECONDARY = 800.0
#: Extra peak memory per patient and cohort with dormant metastases (the delayed event rates and
#: their renewal weights; see ``_dormancy``), measured with tracemalloc with a margin.
BYTES_PER_CELL_DORMANCY = 1500.0
BYTES_PER_OUTPUT = 7 * 8.0


def _col(x: Array, ndim: int) -> Array:
    """Reshape a (P,) parameter to broadcast against arrays of ``ndim`` dimensions."""
    return np.asarray(x, dtype=np.float64).reshape((-1,) + (1,) * (ndim - 1))


@dataclass(frozen=True)
class Patients:
    """Per-patient parameters of a batch, as (P,) arrays (units as in the scenario)."""

    primary_law: str
    met_law: str
    vp0: Array
    p_rate: Array
    p_cap: Array
    p_exp: Array
    v0: Array
    m_rate: Array
    m_cap: Array
    m_exp: Array
    mu: Array
    gamma: Array
    size_threshold: Array
    start_day: Array
    latency: Array
    resection_day: Array  # inf when none (resection at detection is resolved here)
    detection_cells: Array
    visible_cells: Array

    @property
    def n(self) -> int:
        return int(self.vp0.shape[0])

    def take(self, idx: Index | None) -> Patients:
        if idx is None:
            return self
        kw: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            kw[f.name] = v[idx] if isinstance(v, np.ndarray) else v
        return Patients(**kw)

    def primary(self, ndim: int) -> GrowthLaw:
        return make_growth_law(self.primary_law, _col(self.p_rate, ndim), _col(self.p_cap, ndim),
                               _col(self.p_exp, ndim))

    def metastasis(self, ndim: int) -> GrowthLaw:
        return make_growth_law(self.met_law, _col(self.m_rate, ndim), _col(self.m_cap, ndim),
                               _col(self.m_exp, ndim))

    def dissemination(self, ndim: int) -> PowerDissemination:
        return PowerDissemination(_col(self.mu, ndim), _col(self.gamma, ndim))

    # ---- derived times -------------------------------------------------------------------
    def detection_day(self) -> Array:
        law = self.primary(1)
        return np.asarray(law.age_at_size(self.detection_cells, self.vp0), dtype=np.float64)

    def visible_age(self) -> Array:
        """Age at which a metastasis reaches the visibility size (latency included)."""
        law = self.metastasis(1)
        return self.latency + law.age_at_size(self.visible_cells, self.v0)

    def window(self, duration: float) -> tuple[Array, Array]:
        law = self.primary(1)
        thr = np.where(self.size_threshold > self.vp0,
                       law.age_at_size(self.size_threshold, self.vp0), 0.0)
        return emission_window(self.start_day, thr, self.resection_day, duration)

    def max_rate(self) -> float:
        r = max(float(np.max(self.primary(1).max_specific_rate(self.vp0))),
                float(np.max(self.metastasis(1).max_specific_rate(self.v0))))
        return r

    def secondary_rate(self) -> Array:
        """Births per day from one newborn metastasis, mu v0^gamma: a lower bound on the
        seeding of every metastasis (sizes only grow), and the time scale of the renewal
        equation's self-excitation."""
        return np.asarray(self.mu * self.v0 ** self.gamma, dtype=np.float64)


#: Summary values that may be negative (seeding after diagnosis gives a negative lead time).
SIGNED_EVENTS: dict[str, str | None] = {"lead_time_days": None, "lead_time_years": None}

def drivers(pat: Patients, duration: float, secondary: bool) -> str:
    """The driving values of a batch (a range where patients differ), for messages."""
    def val(x: Array) -> str:
        x = x[np.isfinite(x)]
        if x.size == 0:
            return ""
        lo, hi = float(x.min()), float(x.max())
        return f"{lo:.4g}" if lo == hi else f"{lo:.4g}..{hi:.4g}"

    parts = {"primary.growth": pat.primary_law, "primary.rate_per_day": val(pat.p_rate),
             "metastasis.rate_per_day": val(pat.m_rate), "dissemination.mu": val(pat.mu),
             "dissemination.gamma": val(pat.gamma), "dissemination.secondary": secondary,
             "simulation.duration_days": float(duration)}
    return describe({k: v for k, v in parts.items() if v != ""})


def overflow_problems(pat: Patients, duration: float, secondary: bool) -> list[str | None]:
    """Why each patient's numbers would pass :data:`OVERFLOW` within ``duration`` (None: they
    stay in range), decided before any work from closed forms:

    * the primary (or a metastasis born at day 0) outgrows 1e300 cells: its closed-form size;
    * secondary seeding: every metastasis seeds at least a = mu v0^gamma metastases per day after
      its latency tau, so each lineage grows at least like exp(r t), r = W(a tau) / tau (r = a
      without latency; W the Lambert function), and N(T) >= N_primary(s) exp(r (T - s)) / (1 +
      r tau) for every s (a lower estimate: only runs that certainly overflow are refused).
    """
    from scipy.special import lambertw

    out: list[str | None] = [None] * pat.n
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        vp_end = np.asarray(pat.primary(1).size(np.full(pat.n, duration), pat.vp0))
        grow = np.maximum(duration - pat.latency, 0.0)
        vm_end = np.asarray(pat.metastasis(1).size(grow, pat.v0))
        day_p = np.asarray(pat.primary(1).age_at_size(np.full(pat.n, OVERFLOW), pat.vp0))
        day_m = pat.latency + np.asarray(pat.metastasis(1).age_at_size(np.full(pat.n, OVERFLOW),
                                                                      pat.v0))
    for p in np.nonzero(~(vp_end <= OVERFLOW))[0]:
        out[p] = (f"the primary grows past {OVERFLOW:g} cells within the simulated duration "
                  f"(primary.growth = {pat.primary_law}, primary.rate_per_day = "
                  f"{pat.p_rate[p]:.4g}: {OVERFLOW:g} cells on day {day_p[p]:.4g}); lower "
                  "primary.rate_per_day or simulation.duration_days")
    for p in np.nonzero(~(vm_end <= OVERFLOW))[0]:
        if out[p] is None:
            out[p] = (f"a metastasis grows past {OVERFLOW:g} cells within the simulated duration "
                      f"(metastatic growth {pat.met_law}, rate {pat.m_rate[p]:.4g} per day: "
                      f"{OVERFLOW:g} cells {day_m[p]:.4g} days after its birth); lower "
                      "metastasis.rate_per_day (or primary.rate_per_day when metastasis.growth "
                      "= 'same_as_primary') or simulation.duration_days")
    if not secondary:
        return out
    a = pat.secondary_rate()
    tau = pat.latency
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(tau > 0, np.real(lambertw(a * tau, 0)) / np.where(tau > 0, tau, 1.0), a)
    s = np.linspace(0.0, duration, 513)
    t_on, t_off = pat.window(duration)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        vp = pat.primary(2).size(s[None, :], _col(pat.vp0, 2))
        rate = np.asarray(pat.dissemination(2).rate(vp), dtype=np.float64)
        rate = np.where((s[None, :] >= t_on[:, None]) & (s[None, :] < t_off[:, None]), rate, 0.0)
        # left Riemann sum of an increasing rate: a lower bound of N_primary(s)
        n_p = np.concatenate([np.zeros((pat.n, 1)), np.cumsum(rate[:, :-1] * np.diff(s), 1)], 1)
        log_n = np.log(n_p) + r[:, None] * (duration - s[None, :]) - np.log1p(r * tau)[:, None]
    worst = np.max(np.where(np.isfinite(log_n), log_n, -np.inf), axis=1)
    for p in np.nonzero(worst > np.log(OVERFLOW))[0]:
        if out[p] is None:
            out[p] = (f"secondary seeding makes the expected number of metastases exceed "
                      f"{OVERFLOW:g} within the simulated duration (every metastasis seeds at "
                      f"least dissemination.mu x metastasis.initial_cells^gamma = {a[p]:.4g} new "
                      f"metastases per day, so their number grows at least like exp({r[p]:.4g} "
                      "t)); lower dissemination.mu or simulation.duration_days, or set "
                      "dissemination.secondary = false")
    return out


def solve_bytes(n_patients: int, n_cells: float, n_out: float, secondary: bool,
                dormant: bool = False) -> float:
    """Estimated peak memory of :func:`solve` (bytes); see :data:`BYTES_PER_CELL`."""
    per_cell = BYTES_PER_CELL_SECONDARY if secondary else BYTES_PER_CELL
    if dormant:
        per_cell += BYTES_PER_CELL_DORMANCY
    return float(n_patients) * (per_cell * float(n_cells) + BYTES_PER_OUTPUT * float(n_out))


def check_solve_memory(pat: Patients, duration: float, output_step: float, secondary: bool,
                       h: float, dormant: bool = False) -> None:
    """Refuse a grid whose memory exceeds the limit (before any allocation)."""
    n_cells = duration / h
    n_out = duration / output_step + 1
    check_memory(
        solve_bytes(pat.n, n_cells, n_out, secondary, dormant),
        f"the organism engine with {pat.n} patient(s), {n_cells:.3g} birth cohorts of "
        f"{h:.3g} days and {n_out:.3g} output points",
        "lower simulation.duration_days, raise simulation.output_step_days or "
        "simulation.max_internal_step_days, or lower the fastest growth or seeding rate (the "
        "cohort width is 0.1 / rate)")


def patients_from_scenarios(scenarios: Sequence[Scenario]) -> Patients:
    """Collect the parameters of several scenarios (same growth laws) into one batch."""
    if not scenarios:
        raise ValueError("no scenarios given")
    pl = {s.primary.growth for s in scenarios}
    ml = {s.metastasis_growth_law() for s in scenarios}
    if len(pl) > 1 or len(ml) > 1:
        raise ValueError("a batch must share the primary and metastatic growth laws")

    def arr(get: Callable[[Scenario], Any]) -> Array:
        return np.array([np.nan if get(s) is None else get(s) for s in scenarios], dtype=np.float64)

    mets = [s.metastasis_growth() for s in scenarios]
    pat = Patients(
        primary_law=pl.pop(),
        met_law=ml.pop(),
        vp0=arr(lambda s: s.primary.initial_cells),
        p_rate=arr(lambda s: s.primary.rate_per_day),
        p_cap=arr(lambda s: s.primary.carrying_capacity_cells),
        p_exp=arr(lambda s: s.primary.power_law_exponent),
        v0=np.array([m.initial_cells for m in mets], dtype=np.float64),
        m_rate=np.array([np.nan if m.rate_per_day is None else m.rate_per_day for m in mets]),
        m_cap=np.array([np.nan if m.carrying_capacity_cells is None else m.carrying_capacity_cells
                        for m in mets]),
        m_exp=np.array([np.nan if m.power_law_exponent is None else m.power_law_exponent
                        for m in mets]),
        mu=arr(lambda s: s.dissemination.mu),
        gamma=arr(lambda s: s.dissemination.gamma),
        size_threshold=arr(lambda s: s.dissemination.size_threshold_cells),
        start_day=arr(lambda s: s.dissemination.start_day),
        latency=arr(lambda s: s.dissemination.latency_days),
        resection_day=arr(lambda s: np.inf if s.treatment.resection_day is None
                          else s.treatment.resection_day),
        detection_cells=arr(lambda s: s.detection.primary_cells),
        visible_cells=np.asarray(
            cells_from_diameter_mm([s.detection.visible_diameter_mm for s in scenarios])),
    )
    at_det = np.array([s.treatment.resection_at_detection for s in scenarios])
    if at_det.any():
        # resection at diagnosis plus the delay (a delay of 0 leaves the diagnosis day as is)
        det = pat.detection_day()
        delay = np.array([s.treatment.resection_delay_days for s in scenarios])
        surgery = np.where(delay > 0, det + delay, det)
        res = np.where(at_det & np.isfinite(det), np.minimum(pat.resection_day, surgery),
                       pat.resection_day)
        pat = replace(pat, resection_day=res)
    return pat


# ------------------------------------------------------------------------------------------
# Kernels of the age a (days since birth); ``idx`` selects the patients the ages belong to.


def _size_kernel(pat: Patients) -> Callable[[Array, Index | None], Array]:
    def size(age: Array, idx: Index | None) -> Array:
        p = pat.take(idx)
        nd = age.ndim
        law = p.metastasis(nd)
        grow = np.maximum(age - _col(p.latency, nd), 0.0)
        return np.asarray(law.size(grow, _col(p.v0, nd)), dtype=np.float64)

    return size


def _visible_kernel(pat: Patients, weight_by_size: bool) -> Callable[[Array, Index | None], Array]:
    size = _size_kernel(pat)
    a_vis = pat.visible_age()

    def visible(age: Array, idx: Index | None) -> Array:
        av = _col(a_vis if idx is None else a_vis[idx], age.ndim)
        seen = (age >= av).astype(np.float64)
        return seen * size(age, idx) if weight_by_size else seen

    return visible


def _emission_kernel(pat: Patients) -> Callable[[Array, Index | None], Array]:
    size = _size_kernel(pat)

    def emission(age: Array, idx: Index | None) -> Array:
        p = pat.take(idx)
        return p.dissemination(age.ndim).rate(size(age, idx))

    return emission


def _above_kernel(pat: Patients, min_age: Array) -> Callable[[Array, Index | None], Array]:
    def above(age: Array, idx: Index | None) -> Array:
        a = _col(min_age if idx is None else min_age[idx], age.ndim)
        return (age >= a).astype(np.float64)

    return above


# ------------------------------------------------------------------------------------------


@dataclass
class Solution:
    """Raw engine output for a batch: grid, cohort moments and time series on the output grid."""

    pat: Patients
    h: float
    n_cells: int
    out_every: int
    duration: float
    t_on: Array
    t_off: Array
    primary_moments: Array  # (P, J, 3)
    moments: Array  # (P, J, 3) total births (primary + secondary)
    secondary: bool
    series: dict[str, Array]  # each (P, n_out)
    times: Array  # (n_out,)
    dormancy: Any = None  # _dormancy.DormancyTerms: the dormant lesions' part of the observables

    @cached_property
    def scaled_moments(self) -> Array:
        """The moments divided by ||P_m||^2 (the coefficients of the cell-wise projection)."""
        return np.asarray(self.moments / co.norm2(self.h), dtype=np.float64)

    @cached_property
    def n_grid(self) -> Array:
        """N at the cell boundaries k h, k = 0..J (P, J + 1)."""
        return np.concatenate([np.zeros((self.pat.n, 1)), np.cumsum(self.moments[:, :, 0], 1)], 1)

    # ---- evaluation at arbitrary times --------------------------------------------------
    def _primary_rate(self, idx: Index | None) -> Callable[[Array], Array]:
        p = self.pat.take(idx)

        def rate(s: Array) -> Array:
            nd = s.ndim
            vp = p.primary(nd).size(s, _col(p.vp0, nd))
            return p.dissemination(nd).rate(vp)

        return rate

    def primary_cells(self, t: npt.ArrayLike) -> Array:
        """Primary size at times ``t`` (P, T); zero after resection (its size at the instant of
        resection is the size removed)."""
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        law = self.pat.primary(2)
        vp = law.size(t[None, :], _col(self.pat.vp0, 2))
        return np.where(t[None, :] <= _col(self.pat.resection_day, 2), vp, 0.0)

    def evaluate(self, t: float | Array, kernel: Callable[[Array, Index | None], Array],
                 breaks: Array, values: Array | None = None) -> Array:
        """Q(t_p) = int_0^t_p B(s) K(t_p - s) ds for every patient p, at one time or at one time
        per patient (``t`` of shape (P,))."""
        h, n = self.h, self.pat.n
        t_p = np.clip(np.broadcast_to(np.asarray(t, dtype=np.float64), (n,)), 0.0,
                      self.n_cells * h)
        j_full = np.minimum(np.floor(t_p / h + 1e-12).astype(np.intp), self.n_cells)
        delta = t_p - j_full * h
        total = np.zeros(n)
        n_lags = int(j_full.max())
        if n_lags > 0:
            w = co.kernel_weights(kernel, h, n_lags, breaks, offset=delta,
                                  values=None if values is None else values[:, :n_lags])
            # cell j_full - i lies i cells before t (lag i = 1 .. j_full)
            total += co.lagged_dot(self.scaled_moments, w, j_full)
        cut = (delta > 1e-12 * h) & (j_full < self.n_cells)
        if cut.any():
            total += np.where(cut, self._partial_cell(j_full, t_p, kernel, breaks), 0.0)
        return total

    def _partial_cell(self, j: npt.NDArray[np.intp], t: Array,
                      kernel: Callable[[Array, Index | None], Array], breaks: Array) -> Array:
        """Births in [j h, t] (the cell cut by t; one per patient): the primary part exactly,
        the secondary part by its Legendre reconstruction."""
        h, n = self.h, self.pat.n
        j = np.minimum(j, self.n_cells - 1)
        lo, hi = j * h, np.maximum(t, j * h)
        cuts = np.concatenate([t[:, None] - breaks, self.t_on[:, None], self.t_off[:, None]],
                              axis=1)
        cuts = np.where(np.isfinite(cuts), cuts, lo[:, None])
        pts = np.sort(np.clip(cuts, lo[:, None], hi[:, None]), axis=1)
        pts = np.concatenate([lo[:, None], pts, hi[:, None]], axis=1)
        s, w = co.gauss_nodes(pts[:, :-1], pts[:, 1:])  # (P, S, q)
        on = (s >= self.t_on[:, None, None]) & (s < self.t_off[:, None, None])
        births = np.where(on, self._primary_rate(None)(s), 0.0)
        if self.secondary:
            rows = np.arange(n)
            sec = (self.moments[rows, j] - self.primary_moments[rows, j]) / co.norm2(h)
            x = (s - ((j + 0.5) * h)[:, None, None]) * (2.0 / h)
            births = births + np.einsum("psqm,pm->psq", co.legendre(x), sec)
        return np.einsum("psq,psq->p", births * w, kernel(t[:, None, None] - s, None))

    # ---- observables at an arbitrary time -------------------------------------------------
    def kernels(self) -> dict[str, tuple[Callable[[Array, Index | None], Array], Array]]:
        pat = self.pat
        a_vis = pat.visible_age()
        brk_size = pat.latency[:, None]
        brk_vis = np.stack([pat.latency, a_vis], axis=1)
        return {
            "n_metastases": (_above_kernel(pat, np.zeros(pat.n)), np.zeros((pat.n, 0))),
            "metastatic_burden_cells": (_size_kernel(pat), brk_size),
            "n_visible": (_visible_kernel(pat, False), brk_vis),
            "visible_burden_cells": (_visible_kernel(pat, True), brk_vis),
        }

    def at(self, t: float | Array) -> dict[str, Array]:
        """All observables at one time, or at one time per patient (arrays over patients)."""
        t_p = np.broadcast_to(np.asarray(t, dtype=np.float64), (self.pat.n,))
        kern = self.kernels()
        out = {"n_metastases": self.cumulative_number(t_p),
               "n_visible": self.cumulative_number(t_p - self.visible_age)}
        out.update(zip(("metastatic_burden_cells", "visible_burden_cells"),
                       self._evaluate_sized(t_p, kern["metastatic_burden_cells"][1]), strict=True))
        law = self.pat.primary(1)
        vp = law.size(t_p, self.pat.vp0)
        out["primary_cells"] = np.where(t_p <= self.pat.resection_day, vp, 0.0)
        out["p_any_metastasis"] = -np.expm1(-out["n_metastases"])
        if self.dormancy is not None:
            extra = self.dormancy.at(t_p)
            for name, value in extra.items():
                out[name] = self.dormancy.growing_weight * out[name] + value
        return out

    def visible_number(self, t: Array) -> Array:
        """Expected visible metastases at one time per patient (P,), dormancy included."""
        t_p = np.broadcast_to(np.asarray(t, dtype=np.float64), (self.pat.n,))
        base = self.cumulative_number(t_p - self.visible_age)
        if self.dormancy is None:
            return base
        extra = self.dormancy.at(t_p, ("n_visible",))["n_visible"]
        return np.asarray(self.dormancy.growing_weight * base + extra, dtype=np.float64)

    @cached_property
    def visible_age(self) -> Array:
        """Age at which a metastasis becomes visible (+inf if never)."""
        a = self.pat.visible_age()
        return np.where(np.isfinite(a), a, np.inf)

    def _evaluate_sized(self, t_p: Array, brk_size: Array) -> tuple[Array, Array]:
        """Burden and visible burden at one time per patient, sharing the size at the nodes."""
        h = self.h
        t_c = np.clip(t_p, 0.0, self.n_cells * h)
        j_full = np.minimum(np.floor(t_c / h + 1e-12).astype(np.intp), self.n_cells)
        n_lags = max(int(j_full.max()), 1)
        ages = co.node_ages(h, n_lags, t_c - j_full * h)
        size = _size_kernel(self.pat)(ages, None)
        seen = (ages >= self.visible_age[:, None, None]).astype(np.float64)
        brk_vis = np.stack([self.pat.latency, self.visible_age], axis=1)
        return (self.evaluate(t_p, _size_kernel(self.pat), brk_size, values=size),
                self.evaluate(t_p, _visible_kernel(self.pat, True), brk_vis, values=size * seen))

    def count_above(self, t: float, sizes: Array) -> Array:
        """Expected number of metastases with at least ``sizes[k]`` cells at time t: (P, K)."""
        pat = self.pat
        law = pat.metastasis(2)
        ages = pat.latency[:, None] + law.age_at_size(np.asarray(sizes)[None, :],
                                                      pat.v0[:, None])
        ages = np.where(np.asarray(sizes)[None, :] <= pat.v0[:, None], 0.0, ages)
        out = np.zeros((pat.n, len(sizes)))
        for k in range(len(sizes)):
            a = ages[:, k]
            out[:, k] = self.evaluate(t, _above_kernel(pat, a), a[:, None])
        if self.dormancy is not None:
            t_p = np.full(pat.n, float(t))
            out = self.dormancy.growing_weight[:, None] * out
            for k, v in enumerate(np.asarray(sizes, dtype=np.float64)):
                out[:, k] += self.dormancy.at(t_p, (dm.ABOVE,), level=float(v))[dm.ABOVE]
        return out

    def cumulative_number(self, t: float | Array) -> Array:
        """N(t) at one time, one time per patient (P,) or several per patient (P, T): the
        cumulated cell masses plus the births in the cell cut by t."""
        h, n = self.h, self.pat.n
        t_in = np.asarray(t, dtype=np.float64)
        shape = (n,) if t_in.ndim <= 1 else (n, t_in.shape[1])
        t_p = np.clip(np.broadcast_to(t_in if t_in.ndim != 1 else t_in.reshape(n), shape)
                      .reshape(n, -1), 0.0, self.n_cells * h)
        j = np.minimum(np.floor(t_p / h + 1e-12).astype(np.intp), self.n_cells)
        total = np.take_along_axis(self.n_grid, j, axis=1)
        cut = (t_p - j * h > 1e-12 * h) & (j < self.n_cells)
        if cut.any():
            total = total + np.where(cut, self._births_since_cell_start(j, t_p), 0.0)
        return np.asarray(total.reshape(shape), dtype=np.float64)

    def projected_number(self, t: Array) -> Array:
        """N at times ``t`` (P, T) from the cell-wise Legendre projection of the births: the
        cumulated cell masses plus the projection integrated over the cut cell. This is what the
        kernel quadrature gives for a step kernel (error of order (rate h)^4 of N per cut cell)
        and costs no evaluation of the emission rate (used for whole series)."""
        return co.projected_number(self.n_grid, self.moments, self.h, np.asarray(t))

    def _births_since_cell_start(self, j: npt.NDArray[np.intp], t: Array) -> Array:
        """int_{j h}^{t} B(s) ds for t inside cell j (arrays (P, T)): the primary part by Gauss
        quadrature on the part of [j h, t] inside the emission window (exact to rounding for the
        smooth rate), the secondary part from its Legendre moments (integrated exactly)."""
        h, n = self.h, self.pat.n
        j = np.minimum(j, self.n_cells - 1)
        lo = j * h
        a = np.maximum(lo, self.t_on[:, None])
        b = np.maximum(a, np.minimum(t, self.t_off[:, None]))
        s, w = co.gauss_nodes(a, b)  # (P, T, q)
        total = np.einsum("ptq,ptq->pt", self._primary_rate(None)(s), w)
        if self.secondary:
            rows = np.arange(n)[:, None]
            sec = (self.moments[rows, j] - self.primary_moments[rows, j]) / co.norm2(h)
            x = (t - (j + 0.5) * h) * (2.0 / h)
            primitive = np.stack([x + 1.0, 0.5 * (x * x - 1.0), 0.5 * (x**3 - x)], axis=-1)
            total = total + 0.5 * h * np.einsum("ptm,ptm->pt", sec, primitive)
        return np.asarray(total, dtype=np.float64)

    def _birth_rate(self, t: Array) -> Array:
        """B(t) at one time per patient: primary emission plus the Legendre reconstruction of
        the secondary births (Newton derivative of N)."""
        h, n = self.h, self.pat.n
        on = (t >= self.t_on) & (t < self.t_off)
        rate = np.where(on, self._primary_rate(None)(t), 0.0)
        if self.secondary:
            j = np.clip(np.floor(t / h).astype(np.intp), 0, self.n_cells - 1)
            rows = np.arange(n)
            sec = (self.moments[rows, j] - self.primary_moments[rows, j]) / co.norm2(h)
            x = (t - (j + 0.5) * h) * (2.0 / h)
            rate = rate + np.einsum("pm,pm->p", sec, co.legendre(x))
        return np.asarray(rate, dtype=np.float64)

    def time_of_number(self, level: float) -> Array:
        """First time at which N(t) reaches ``level`` (nan if never), for every patient: the
        crossing cell from the cumulated masses, then safeguarded Newton steps inside it (N is
        non-decreasing with derivative B; a step leaving the bracket is replaced by bisection)."""
        k = np.sum(self.n_grid < level, axis=1)  # N is non-decreasing: index of the first >= level
        found = (k > 0) & (k <= self.n_cells)
        kk = np.where(found, k, 1)
        rows = np.arange(self.pat.n)
        lo = (kk - 1) * self.h
        hi = kk * self.h
        n_lo, n_hi = self.n_grid[rows, kk - 1], self.n_grid[rows, kk]
        with np.errstate(invalid="ignore", divide="ignore"):
            t = lo + self.h * np.clip((level - n_lo) / (n_hi - n_lo), 0.0, 1.0)
        t = np.where(np.isfinite(t), t, 0.5 * (lo + hi))
        for _ in range(60):
            f = self.cumulative_number(t) - level
            lo = np.where(f < 0, t, lo)
            hi = np.where(f >= 0, t, hi)
            with np.errstate(invalid="ignore", divide="ignore"):
                step = t - f / self._birth_rate(t)
            bad = ~np.isfinite(step) | (step < lo) | (step > hi)
            done = ~bad & (np.abs(step - t) <= 1e-13 * np.maximum(1.0, np.abs(t)))
            t = np.where(bad, 0.5 * (lo + hi), step)
            if np.all(done | ~found):
                break
        return np.where(found, t, np.nan)

    def take(self, p: int) -> Solution:
        idx = np.array([p])
        return Solution(
            pat=self.pat.take(idx), h=self.h, n_cells=self.n_cells, out_every=self.out_every,
            duration=self.duration, t_on=self.t_on[idx], t_off=self.t_off[idx],
            primary_moments=self.primary_moments[idx], moments=self.moments[idx],
            secondary=self.secondary, series={k: v[idx] for k, v in self.series.items()},
            times=self.times,
        ) if self.dormancy is None else self._take_dormant(idx)

    def _take_dormant(self, idx: Index) -> Solution:
        sub = replace(self, dormancy=None).take(int(idx[0]))
        sub.dormancy = dm.build(sub, self.dormancy.params.take(idx), self.dormancy.block)
        return sub


def choose_step(pat: Patients, output_step: float, max_step: float | None,
                secondary: bool = False) -> tuple[float, int]:
    """Cohort width h = output_step / m with m the smallest integer keeping h * rate <= STEP_RATE;
    with secondary seeding the rate includes the self-seeding rate mu v0^gamma (the renewal
    equation grows at most at growth rate + mu v0^gamma, and its implicit step is only stable
    and accurate when that is resolved)."""
    rate = pat.max_rate()
    if secondary:
        rate += float(np.max(pat.secondary_rate()))
    rate = max(rate, 1e-12)
    target = STEP_RATE / rate
    if max_step is not None:
        target = min(target, max_step)
    m = max(1, int(np.ceil(output_step / target - 1e-9)))
    return output_step / m, m


def fft_block(pat: Patients, h: float) -> int:
    """FFT block length (cells): a block spans at most ~e^BLOCK_GROWTH of growth, so that the
    rounding of the blocked convolution stays relative (see ``_birth_cohorts.causal_convolution``)."""
    return max(16, int(BLOCK_GROWTH / (max(pat.max_rate(), 1e-12) * h)))


def solve(
    pat: Patients,
    duration: float,
    output_step: float,
    secondary: bool,
    max_step: float | None = None,
    block: int | None = None,
    check: bool = True,
    dormancy: dm.DormancyBatch | None = None,
) -> Solution:
    """Run the cohort engine for a batch of patients with autonomous metastatic growth.

    ``max_step`` caps the cohort width; ``block`` fixes the FFT block (cells) instead of deriving
    it from these patients (so that a patient's result does not depend on its batch-mates).
    ``check``: refuse (ScenarioError) patients whose numbers would overflow
    (:func:`overflow_problems`) and impossible outputs (:func:`~metacascade.engines.checks.
    check_physical`); callers that handle non-finite values themselves (the fit's likelihood
    floor) pass False. The memory estimate is always checked first. ``dormancy``: the dormant
    metastases of the batch (:mod:`metacascade.engines._dormancy`; not with secondary
    seeding)."""
    if dormancy is not None and secondary:
        raise ValueError("dormancy with secondary seeding is not followed by the organism engine")
    if check:
        problems = [p for p in overflow_problems(pat, duration, secondary) if p is not None]
        if problems:
            raise ScenarioError(f"organism engine: {problems[0]}")
    h, m = choose_step(pat, output_step, max_step, secondary)
    check_solve_memory(pat, duration, output_step, secondary, h, dormancy is not None)
    n_out = int(np.floor(duration / output_step + 1e-9)) + 1
    # the cohort grid covers the whole duration (outputs are the multiples of output_step)
    n_cells = max((n_out - 1) * m, int(np.ceil(duration / h - 1e-9)), 1)
    t_on, t_off = pat.window(n_cells * h)

    def rate(s: Array) -> Array:
        nd = s.ndim
        vp = pat.primary(nd).size(s, _col(pat.vp0, nd))
        return pat.dissemination(nd).rate(vp)

    b_primary = co.source_moments(rate, h, n_cells, t_on, t_off)
    if secondary:
        lam = co.renewal_weights(_emission_kernel(pat), h, n_cells, pat.latency[:, None])
        b_total = co.solve_renewal(b_primary, lam, h)
    else:
        b_total = b_primary

    sol = Solution(pat=pat, h=h, n_cells=n_cells, out_every=m, duration=duration, t_on=t_on,
                   t_off=t_off, primary_moments=b_primary, moments=b_total, secondary=secondary,
                   series={}, times=np.arange(n_out, dtype=np.float64) * output_step)
    scaled = sol.scaled_moments
    block = fft_block(pat, h) if block is None else block
    series: dict[str, Array] = {}
    n_grid = sol.n_grid
    series["n_metastases"] = n_grid[:, ::m][:, :n_out]
    # autonomous growth: a metastasis is visible from age a_vis, so N_vis(t) = N(t - a_vis)
    series["n_visible"] = sol.projected_number(sol.times[None, :] - sol.visible_age[:, None])
    # the size X(a) at the Gauss nodes is shared by the burden and visible-burden kernels
    ages = co.node_ages(h, n_cells, None)
    size = _size_kernel(pat)(ages, None)
    seen = (ages >= sol.visible_age[:, None, None]).astype(np.float64)
    kern = sol.kernels()
    weights = [co.kernel_weights(kern[name][0], h, n_cells, kern[name][1], values=v)
               for name, v in (("metastatic_burden_cells", size), ("visible_burden_cells",
                                                                    size * seen))]
    burden, visible_burden = co.causal_convolutions(scaled, weights, block)
    series["metastatic_burden_cells"] = burden[:, ::m][:, :n_out]
    series["visible_burden_cells"] = visible_burden[:, ::m][:, :n_out]
    if dormancy is not None:
        sol.dormancy = dm.build(sol, dormancy, block)
        extra = sol.dormancy.series(m, n_out, sol.times)
        w = sol.dormancy.growing_weight[:, None]
        for name, value in extra.items():
            series[name] = w * series[name] + value
    series["primary_cells"] = sol.primary_cells(sol.times)
    series["p_any_metastasis"] = -np.expm1(-series["n_metastases"])
    series["birth_rate_per_day"] = _birth_rate_on_grid(b_total, h, m, n_out)
    sol.series = series
    if check:
        check_series(series, sol.times, "organism engine", drivers(pat, duration, secondary))
    return sol


def check_series(series: dict[str, Array], times: Array, context: str, why: str) -> None:
    """:func:`check_physical` on (patient, time) series, naming the day and patient."""
    check_physical(series, context, why, coords=(("patient", None), ("time_days", times)))


def _birth_rate_on_grid(moments: Array, h: float, m: int, n_out: int) -> Array:
    """Cell-average birth rate, reported at the end of each cell (left value 0 at t = 0)."""
    avg = moments[:, :, 0] / h
    out = np.concatenate([np.zeros((avg.shape[0], 1)), avg], axis=1)
    return out[:, ::m][:, :n_out]


# ------------------------------------------------------------------------------------------
# Scenario -> Result


def size_distribution(sol: Solution, times: Sequence[float], n_bins: int = 48) -> xr.Dataset:
    """Expected number of metastases per logarithmic size bin at the given times (patient 0).

    Bins run from the birth size to the largest size reached; ``density_per_cell`` is
    rho(t, v) = B(t - a(v)) / g(v) evaluated at the geometric bin centres.

    Parameters
    ----------
    sol : Solution
        A solution of the organism engine (:func:`solve`).
    times : sequence of float
        Days at which to count.
    n_bins : int
        The number of logarithmic size bins.

    Returns
    -------
    xarray.Dataset
        ``count`` (expected metastases) over (at_day, size_cells), with the bin edges in cells.

    Examples
    --------
    Most users get it from :func:`metacascade.simulate` (``result.sizes``); directly:

    >>> import metacascade as mc
    >>> from metacascade.engines.organism import patients_from_scenarios, solve
    >>> s = mc.load_scenario("breast")
    >>> sol = solve(patients_from_scenarios([s]), 7300.0, 1.0, False)
    >>> ds = mc.size_distribution(sol, [7300.0], n_bins=8)
    >>> round(float(ds["count"].sum()), 3)                       # metastases at day 7300
    0.357
    """
    pat = sol.pat
    v0 = float(pat.v0[0])
    law = pat.metastasis(1)
    v_max = float(np.max(law.size(np.array([sol.n_cells * sol.h]), np.array([v0]))))
    edges = np.geomspace(v0, max(v_max, v0 * 10.0), n_bins + 1)
    counts = np.zeros((len(times), n_bins))
    for i, t in enumerate(times):
        above = sol.count_above(float(t), edges)[0]
        counts[i] = np.maximum(above[:-1] - above[1:], 0.0)
    centres = np.sqrt(edges[:-1] * edges[1:])
    return xr.Dataset(
        {
            "count": (("at_day", "size_cells"), counts,
                      {"units": "metastases", "long_name": "expected metastases in the bin"}),
            "bin_lower_cells": ("size_cells", edges[:-1], {"units": "cells"}),
            "bin_upper_cells": ("size_cells", edges[1:], {"units": "cells"}),
        },
        coords={"at_day": np.asarray(times, dtype=np.float64),
                "size_cells": ("size_cells", centres, {"units": "cells"})},
    )


def key_events(sol: Solution) -> list[dict[str, Any]]:
    """Detection, first metastasis (N = 1), P(any) = 0.5 and the state at detection, per patient."""
    pat = sol.pat
    det = pat.detection_day()
    first = sol.time_of_number(1.0)
    half = sol.time_of_number(float(np.log(2.0)))
    a_vis = pat.visible_age()
    end = sol.n_cells * sol.h
    first_vis = first_visible_day(sol) if sol.dormancy is not None else None
    out: list[dict[str, Any]] = [{} for _ in range(pat.n)]
    finite = np.isfinite(det) & (det <= end)
    at_det = sol.at(np.where(finite, det, 0.0))
    for p in range(pat.n):
        d = float(det[p]) if finite[p] else None
        f = float(first[p]) if np.isfinite(first[p]) else None
        e: dict[str, Any] = {
            "detection_day": d,
            "first_metastasis_day": f,
            "lead_time_days": (d - f) if (d is not None and f is not None) else None,
            "half_probability_day": float(half[p]) if np.isfinite(half[p]) else None,
            "resection_day": float(pat.resection_day[p]) if np.isfinite(pat.resection_day[p])
            else None,
            "visible_age_days": float(a_vis[p]) if np.isfinite(a_vis[p]) else None,
            "first_visible_metastasis_day": (f + float(a_vis[p]))
            if (f is not None and np.isfinite(a_vis[p]) and f + a_vis[p] <= end) else None,
        }
        if first_vis is not None:  # dormancy: the day the expected visible number reaches 1
            e["first_visible_metastasis_day"] = float(first_vis[p]) \
                if np.isfinite(first_vis[p]) else None
        e["lead_time_years"] = e["lead_time_days"] / 365.25 if e["lead_time_days"] is not None \
            else None
        for key, name in (("n_metastases", "n_metastases_at_detection"),
                          ("metastatic_burden_cells", "burden_at_detection_cells"),
                          ("n_visible", "n_visible_at_detection"),
                          ("visible_burden_cells", "visible_burden_at_detection_cells"),
                          ("p_any_metastasis", "p_any_metastasis_at_detection"),
                          ("primary_cells", "primary_cells_at_detection")):
            e[name] = float(at_det[key][p]) if d is not None else None
        for key in ("n_metastases", "metastatic_burden_cells", "n_visible",
                    "visible_burden_cells", "p_any_metastasis", "primary_cells"):
            e[f"{key}_final"] = float(sol.series[key][p, -1])
        out[p] = e
    return out


def first_visible_day(sol: Solution, level: float = 1.0) -> Array:
    """First day the expected number of visible metastases reaches ``level`` (nan if never):
    the crossing output step from the series, then bisection on the exact count (without
    dormancy N_vis(t) = N(t - a_vis), so this is the first metastasis' day plus a_vis)."""
    vis = sol.series["n_visible"]
    times = sol.times
    hit = vis >= level
    found = hit.any(axis=1)
    k = np.where(found, np.argmax(hit, axis=1), 1)
    lo = times[np.maximum(k - 1, 0)].astype(np.float64)
    hi = times[k].astype(np.float64)
    lo = np.where(k == 0, 0.0, lo)
    for _ in range(48):  # the bracket is one output step: 2^-48 of it
        mid = 0.5 * (lo + hi)
        up = sol.visible_number(mid) >= level
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return np.where(found, hi, np.nan)


def timeseries_dataset(sol: Solution, p: int, organs: dict[str, float]) -> xr.Dataset:
    """The time series of patient ``p`` as an xarray Dataset with units."""
    units = {
        "primary_cells": ("cells", "primary tumour size"),
        "n_metastases": ("metastases", "expected number of metastases N(t)"),
        "metastatic_burden_cells": ("cells", "metastatic burden M(t)"),
        "n_visible": ("metastases", "expected number of visible metastases"),
        "visible_burden_cells": ("cells", "burden in visible metastases"),
        "p_any_metastasis": ("1", "probability of at least one metastasis, 1 - exp(-N)"),
        "birth_rate_per_day": ("metastases/day", "cohort-average birth rate of metastases"),
    }
    data: dict[str, Any] = {}
    for name, (unit, long) in units.items():
        data[name] = ("time_days", sol.series[name][p], {"units": unit, "long_name": long})
    names = list(organs)
    frac = np.array([organs[o] for o in names])
    for name in ("n_metastases", "metastatic_burden_cells", "n_visible", "visible_burden_cells"):
        unit, long = units[name]
        data[f"{name}_by_organ"] = (("time_days", "organ"),
                                    sol.series[name][p][:, None] * frac[None, :],
                                    {"units": unit, "long_name": f"{long}, by organ"})
    return xr.Dataset(
        data,
        coords={"time_days": ("time_days", sol.times, {"units": "day"}),
                "organ": ("organ", np.array(names, dtype=object))},
    )


def crossing_day(times: Array, burden: Array, level: Array) -> Array:
    """First day each row of ``burden`` (P, T) reaches its ``level`` (P,), interpolated in log
    burden between the output ``times`` (nan if never)."""
    over = burden >= level[:, None]
    hit = over.any(axis=1)
    g = np.where(hit, np.argmax(over, axis=1), 0)
    rows = np.arange(burden.shape[0])
    lo = burden[rows, np.maximum(g - 1, 0)]
    hi = burden[rows, g]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (np.log(level) - np.log(lo)) / (np.log(hi) - np.log(lo))
    w = np.where((lo > 0) & (hi > lo), np.clip(w, 0.0, 1.0), 1.0)
    day = np.where(g > 0, times[np.maximum(g - 1, 0)] + w * (times[g] - times[np.maximum(g - 1, 0)]),
                   times[0])
    return np.where(hit, day, np.nan)


def lethal_burden(times: Array, primary: Array, by_organ: dict[str, Array],
                  scenario: Scenario) -> dict[str, Any]:
    """``death``: the first day the total burden (primary + metastases, ``by_organ`` summed)
    reaches ``death.lethal_burden_cells``, or an organ's metastatic burden its
    ``organs.*.lethal_cells`` (interpolated in log burden between output times), and which
    (``lethal_burden_site``: ``total`` or the organ). None if never within the simulation. For the
    expected-value engines this is the day the *expected* burden turns lethal (the time series go
    on: expected values are not conditioned on survival); ``metacascade cohort`` draws deaths."""
    sites = ["total"]
    rows = [np.asarray(primary + sum(by_organ.values()), dtype=np.float64)]
    levels = [scenario.death.lethal_burden_cells]
    for name, organ in scenario.organs.items():
        if organ.lethal_cells is not None and name in by_organ:
            sites.append(name)
            rows.append(np.asarray(by_organ[name], dtype=np.float64))
            levels.append(organ.lethal_cells)
    days = crossing_day(times, np.array(rows), np.array(levels, dtype=np.float64))
    if not np.isfinite(days).any():
        return {"lethal_burden_day": None, "lethal_burden_site": None}
    i = int(np.nanargmin(days))
    return {"lethal_burden_day": float(days[i]), "lethal_burden_site": sites[i]}


def lethal_burden_rows(times: Array, primary: Array, burden: Array,
                       scenarios: Sequence[Scenario]) -> tuple[Array, list[str | None]]:
    """:func:`lethal_burden` for a batch of power-model patients (organ burden = seeding fraction
    x burden): the days (P,) (nan if never) and sites."""
    lethal = np.array([s.death.lethal_burden_cells for s in scenarios], dtype=np.float64)
    total = crossing_day(times, primary + burden, lethal)
    organ_level = np.full(len(scenarios), np.inf)
    organ_name: list[str | None] = [None] * len(scenarios)
    for p, s in enumerate(scenarios):
        for name, o in s.organs.items():
            if o.lethal_cells is not None and o.seeding_fraction > 0 \
                    and o.lethal_cells / o.seeding_fraction < organ_level[p]:
                organ_level[p] = o.lethal_cells / o.seeding_fraction
                organ_name[p] = name
    days, sites = total, ["total" if np.isfinite(d) else None for d in total]
    has = np.isfinite(organ_level)
    if has.any():
        organ = crossing_day(times, burden[has], organ_level[has])
        for i, row in enumerate(np.nonzero(has)[0]):
            if np.isfinite(organ[i]) and not organ[i] >= days[row]:
                days[row] = organ[i]
                sites[row] = organ_name[row]
    return days, sites


def simulate(scenario: Scenario, *, size_times: Sequence[float] | None = None) -> Result:
    """Simulate one patient described by ``scenario`` with the organism engine.

    ``size_times``: days at which to store the size distribution of metastases; by default the
    detection day (if reached) and the final time. This runs the engine without its contract
    check; :func:`metacascade.simulate` checks first (and refuses what is not honoured).
    """
    if scenario.dissemination.model == "cascade":
        from metacascade.engines.spread import simulate_cascade

        return simulate_cascade(scenario)
    sim = scenario.simulation
    pat = patients_from_scenarios([scenario])
    dormancy = dm.dormancy_batch([scenario])
    sol = solve(pat, sim.duration_days, sim.output_step_days, scenario.dissemination.secondary,
                sim.max_internal_step_days, dormancy=dormancy)
    events = key_events(sol)[0]
    path = systemic_path(scenario)
    systemic = apply_systemic(path, pat, sol, [events]) if path is not None else None
    if size_times is None:
        size_times = [t for t in (events["detection_day"], float(sol.times[-1])) if t is not None]
    sizes = size_distribution(sol, size_times) if size_times else None
    organs = {k: o.seeding_fraction for k, o in scenario.organs.items()}
    ts = timeseries_dataset(sol, 0, organs)
    ts.attrs["engine"] = "organism (birth cohorts, Legendre moments)"
    if dormancy is not None:
        ts.attrs["dormancy"] = dm.describe(dormancy)
    if systemic is not None:
        ts["inhibitor"] = ("time_days", systemic["inhibitor"][0],
                           {"units": "cells", "long_name": "primary-derived inhibitor level"})
        ts["growth_multiplier"] = ("time_days", systemic["growth_multiplier"][0],
                                   {"units": "1", "long_name": "multiplier of metastatic growth"})
        ts.attrs["engine"] = "organism, time-varying growth (engines/_timevarying.py)"
        sizes = None  # the size distribution of the FFT path assumes autonomous growth
    ts.attrs["cohort_width_days"] = sol.h
    burden = sol.series["metastatic_burden_cells"][0]
    events.update(lethal_burden(sol.times, sol.series["primary_cells"][0],
                                {k: f * burden for k, f in organs.items()}, scenario))
    if scenario.bone is not None:  # a representative bone lesion on the same time grid
        events, ts = with_bone_lesion(scenario, sol.times, events, ts)
    why = drivers(pat, sim.duration_days, scenario.dissemination.secondary)
    # proliferation inhibition reports a multiplier (>= 0); the angiogenesis model reports the
    # oldest cohort's specific growth rate -lambda1 ln(V/K), negative while a lesion regresses
    multiplier = None if scenario.systemic.model == "angiogenesis" else NON_NEGATIVE
    check_physical(ts, "organism engine", why, rules={"inhibitor": NON_NEGATIVE,
                                                       "growth_multiplier": multiplier})
    check_physical({k: v for k, v in events.items() if isinstance(v, float)},
                   "organism engine (summary)", why, allow_missing=True, rules=SIGNED_EVENTS)
    return Result(timeseries=ts, summary=events, scenario=scenario, version=__version__,
                  seed=scenario.simulation.seed,
                  created=datetime.now(UTC).isoformat(timespec="seconds"), sizes=sizes,
                  extra={"cohort_width_days": sol.h})


def with_bone_lesion(scenario: Scenario, times: Array, events: dict[str, Any],
                     ts: xr.Dataset) -> tuple[dict[str, Any], xr.Dataset]:
    """The representative bone lesion (``bone`` section and drug events) on the same grid, merged
    into the summary and the time series."""
    from metacascade.engines.bone import bone_summary, simulate_bone

    bone = simulate_bone(scenario, times)
    events = {**events, **bone_summary(bone)}
    ts = xr.merge([ts, bone.drop_attrs(deep=False) if hasattr(bone, "drop_attrs") else bone],
                  combine_attrs="override")
    ts.attrs["bone_model"] = bone.attrs.get("bone_model", "")
    return events, ts


# ------------------------------------------------------------------------------------------
# Time-varying metastatic growth (systemic signals): the path of engines/_timevarying.py


@dataclass(frozen=True)
class SystemicPath:
    """How a patient's metastatic growth varies in time: primary-derived ``signals`` produced by
    ``source``, or the Hahnfeldt angiogenesis model (``hahnfeldt``: lambda1, b, d and the K/V of a
    new metastasis). Patients with equal paths are solved together."""

    name: str  # systemic.model, reported in the summary
    signals: SystemicSignals | None
    source: str
    hahnfeldt: tuple[float, float, float, float] | None


def systemic_path(scenario: Scenario) -> SystemicPath | None:
    """The time-varying path of a scenario (None when its metastases grow autonomously)."""
    sy = scenario.systemic
    if sy.model == "angiogenesis":
        hf = resolve.hahnfeldt(scenario)
        return SystemicPath(sy.model, None, "primary",
                            (hf.lambda1, hf.b, hf.d, sy.initial_vascular_ratio))
    signals = resolve.systemic(scenario)
    if not signals.active:
        return None
    return SystemicPath(sy.model, signals, sy.inhibitor_source, None)


def apply_systemic(path: SystemicPath, pat: Patients, sol: Solution,
                   events: list[dict[str, Any]], rows: Index | None = None) -> dict[str, Array]:
    """Replace the metastatic series of the patients ``rows`` of ``sol`` (all when None; they
    share ``path``) by the time-varying path and update their events in place: the visible
    relapse, the final values and the values at detection (interpolated between output times).
    Returns the time-varying series of those patients."""
    from metacascade.engines import _timevarying as tv

    rows = np.arange(pat.n) if rows is None else rows
    pat = pat.take(rows)
    duration = sol.duration
    step = float(sol.times[1]) if sol.times.size > 1 else duration  # times are k x step
    if path.hahnfeldt is not None:
        lam, b, d, ratio = path.hahnfeldt
        out = tv.solve_angiogenesis(pat, duration, step, lam, b, d, ratio)
    else:
        assert path.signals is not None
        out = tv.solve_timevarying(pat, duration, step, path.signals,
                                   "total_burden" if path.source == "total_burden" else "primary",
                                   sol.secondary)
    names = ("n_metastases", "metastatic_burden_cells", "n_visible", "visible_burden_cells")
    for key, value in (*((k, out[k]) for k in names),
                       ("p_any_metastasis", -np.expm1(-out["n_metastases"]))):
        series = np.array(sol.series[key])  # a copy: some series are views of the solution
        series[rows] = value
        sol.series[key] = series
    a_vis = pat.visible_age()
    for p, row in enumerate(rows):
        e = events[int(row)]
        if path.hahnfeldt is not None:
            seen = np.nonzero(out["n_visible"][p] > 0)[0]
            e["first_visible_metastasis_day"] = float(sol.times[seen[0]]) if seen.size else None
        else:
            own = {k: out[k][p : p + 1] for k in ("growth_multiplier", "time_days")}
            e["first_visible_metastasis_day"] = tv.first_visible_day(
                own, e["first_metastasis_day"], float(a_vis[p]), step)
        for key in (*names, "p_any_metastasis"):
            e[f"{key}_final"] = float(sol.series[key][row, -1])
        det = e.get("detection_day")
        if det is not None:
            for key, name in (("n_metastases", "n_metastases_at_detection"),
                              ("metastatic_burden_cells", "burden_at_detection_cells"),
                              ("n_visible", "n_visible_at_detection"),
                              ("visible_burden_cells", "visible_burden_at_detection_cells")):
                e[name] = float(np.interp(det, sol.times, sol.series[key][row]))
            e["p_any_metastasis_at_detection"] = float(-np.expm1(-e["n_metastases_at_detection"]))
        e["systemic"] = path.name
    return out


# ------------------------------------------------------------------------------------------
# The engine contract (engines/base.py)

SUPPORTS: tuple[Support, ...] = (
    Support("primary", "yes"),
    Support("metastasis", "yes"),
    Support("dissemination", "partly", "power model (mu, gamma, thresholds, latency); "
            "'cascade' is the spread engine's; cluster_size only equal to "
            "metastasis.initial_cells"),
    Support("dissemination.secondary", "yes", "renewal equation; not with dormancy or the "
            "angiogenesis model"),
    *(Support(name, "no", "cascade model only: defaults") for name in sections.CASCADE_SECTIONS),
    Support("organs", "partly", "seeding_fraction, lethal_cells; the cascade fields are refused"),
    Support("detection", "partly", "detection and visibility sizes; screening visits are "
            "refused (cohort)"),
    Support("treatment", "partly", "resection (day, at detection, delay); bone drugs with a "
            "[bone] section; adjuvant chemotherapy refused (cohort); unknown drugs refused"),
    Support("bone", "yes", "the representative lesion on the same time grid"),
    Support("simulation", "yes"),
    Support("death", "yes", "lethal_burden_day: the expected burden reaches the lethal burden"),
    Support("systemic", "yes", "proliferation, stimulation, surge (time-varying growth) and "
            "angiogenesis; not with dormancy"),
    Support("dormancy", "partly", "expected values by latency kernels, surgery pulse included; "
            "surgery_switch_before_plateau refused (cohort)"),
    Support("mutation", "partly", "neutral mutations do not change expected sizes; drivers and "
            "traits refused (stochastic)"),
)


def check_scenario(sc: Scenario, engine: str = "organism") -> list[Problem]:
    """Every section or value of ``sc`` the organism engine cannot honour (see :data:`SUPPORTS`)."""
    if sc.dissemination.model == "cascade":
        return [Problem("dissemination.model", "cascade", f"the {engine} engine runs the power "
                        "model; the cascade model is run by the spread engine",
                        "metacascade run {scenario} --engine spread")]
    out = sections.power_model(sc, engine) + sections.cell_scale(sc, engine)
    out += sections.screening(sc, engine) + sections.drugs(sc, engine, BONE_DRUGS)
    d = sc.dormancy
    if sections.dormancy_active(sc):
        if sc.dissemination.secondary:
            out.append(Problem("dissemination.secondary", True, f"the {engine} engine does not "
                               "follow seeding by dormant metastases (secondary seeding with "
                               "dormancy)", None))
        if sections.systemic_active(sc):
            key, value = sections.systemic_key(sc)
            cohort = sc.systemic.model != "angiogenesis" and sc.systemic.inhibitor_source == \
                "primary"
            out.append(Problem(key, value, f"the {engine} engine does not combine systemic "
                               "signals with dormant metastases",
                               sections.COHORT if cohort else None))
        stalls = d.avascular_fraction > 0 or (d.single_cell_fraction > 0
                                              and d.single_cells_become_micrometastases)
        if d.surgery_switch_before_plateau and d.surgery_switch_probability > 0 and stalls:
            out.append(Problem("dormancy.surgery_switch_before_plateau", True,
                               f"the {engine} engine does not follow the surgery switch of "
                               "micrometastases still growing toward the plateau",
                               sections.COHORT))
    if sc.systemic.model == "angiogenesis":
        if sc.dissemination.secondary:
            out.append(Problem("dissemination.secondary", True, "the angiogenesis model "
                               "(systemic.model = 'angiogenesis') seeds from the primary only",
                               None))
        if sc.dissemination.latency_days > 0:
            out.append(Problem("dissemination.latency_days", sc.dissemination.latency_days,
                               "the angiogenesis model (systemic.model = 'angiogenesis') starts "
                               "every metastasis growing at birth", None))
    return out


class OrganismEngine:
    """The expected-value organism engine as an :class:`~metacascade.engines.base.Engine`."""

    name = "organism"
    supports = SUPPORTS

    def check(self, scenario: Scenario) -> list[Problem]:
        return check_scenario(scenario, self.name)

    def run(self, scenario: Scenario, rng: np.random.Generator | None = None, *,
            size_times: Sequence[float] | None = None) -> Result:
        """Deterministic: ``rng`` is not used."""
        return simulate(scenario, size_times=size_times)


ENGINE = OrganismEngine()
