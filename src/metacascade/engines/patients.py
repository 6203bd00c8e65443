"""Stochastic virtual patients for cohorts: relapse, death and its cause (Iwata et al. 2000; Benzekry et al. 2016; Demicheli et al. 1997; Retsky et al. 1997).

Each patient follows the organism model of :mod:`metacascade.engines.organism` with its own
parameters, but metastases are *individual* events: births from the primary form a Poisson process
of rate d(V_p(t)) = mu V_p^gamma on the emission window (until resection), so the k-th birth happens
when the cumulative rate N(t) reaches Gamma_k = E_1 + ... + E_k (E_i ~ Exp(1), the time change of a
Poisson process). The first ``max_explicit`` births are followed one by one (organ, dormancy, size);
the expected burden of any later births is added deterministically (their share is small because the
earliest metastases are the largest).

Growth of metastases may be time-varying: with primary-derived systemic signals the specific growth
rate is multiplied by f(t) (:mod:`metacascade.biology.systemic`) and a lesion that grows from
``start`` has size X(tau(t) - tau(start)), tau = int f (time change of the autonomous law). With
f = 1 (no signals) tau(t) = t and the model is exactly independent growth.

Outputs per patient (times in days since the first cancer cell):
diagnosis (by size, or at the first screening visit that finds the primary), resection (at diagnosis
plus a delay), relapse (first metastasis becoming visible after surgery; patients with a visible
metastasis at surgery are ``metastatic_at_diagnosis`` and relapse on the day of surgery), death (the
total burden reaches ``death.lethal_burden_cells``, or an organ's burden its ``lethal_cells``) and its
cause (``primary`` if the primary holds more cells than the metastases at death, else ``metastasis``,
with the organ).

Events are physically ordered: a patient whose burden turns lethal before the primary is
diagnosed (metastases can kill first) is recorded with ``died_before_diagnosis`` = true and no
diagnosis, resection after death, relapse or at-diagnosis values; a relapse is a metastasis
becoming visible before death (never after it); metastases are counted and dated only up to death.
The table is checked by :func:`metacascade.engines.checks.check_physical` before it is returned.

Limitations (stated): secondary seeding (metastases from metastases) is not followed individually in
cohorts; the burden is evaluated on a grid of ``death_grid_points`` times (death day interpolated
in log burden between grid points).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.biology.dormancy import latency_from_uniform, surgery_pulse
from metacascade.biology.dosing import ADJUVANT_DRUGS, dose_days
from metacascade.biology.systemic import growth_clock
from metacascade.engines import sections
from metacascade.engines.base import Problem, Support, raise_problems
from metacascade.engines.checks import check_physical, scenario_values
from metacascade.engines.organism import (
    Patients,
    _col,
    overflow_problems,
    patients_from_scenarios,
)
from metacascade.errors import ScenarioError, shown
from metacascade.limits import check_memory
from metacascade.scenario import Scenario, apply_overrides, get_dotted, resolve, scenario_from_dict
from metacascade.streams import patient_stream

Array = npt.NDArray[np.float64]

COLUMNS = [
    "patient", "diagnosis_day", "primary_cells_at_diagnosis", "resection_day", "relapse_day",
    "relapse_after_surgery_days", "metastatic_at_diagnosis", "death_day",
    "death_after_diagnosis_days", "death_cause", "death_organ", "n_metastases",
    "n_metastases_at_diagnosis", "metastatic_burden_at_diagnosis_cells",
    "largest_metastasis_at_diagnosis_cells", "first_metastasis_day", "relapse_route",
    "died_before_diagnosis",
]

#: How the metastasis that relapses first left dormancy (column ``relapse_route``; "" if no
#: relapse): grew from birth (``no_dormancy``); a dormant single cell that escaped spontaneously
#: or at surgery; a stalled avascular micrometastasis switched spontaneously or at surgery; a
#: micrometastasis switched at surgery while still growing toward the plateau
#: (``dormancy.surgery_switch_before_plateau``).
ROUTES = ("no_dormancy", "single_cell", "single_cell_at_surgery", "micrometastasis",
          "micrometastasis_at_surgery", "switched_before_plateau_at_surgery")
(ROUTE_GROWING, ROUTE_SINGLE, ROUTE_SINGLE_SURGERY, ROUTE_MICRO, ROUTE_MICRO_SURGERY,
 ROUTE_SKIPPED) = range(len(ROUTES))


@dataclass(frozen=True)
class CohortSpec:
    """What one batch needs: the base scenario, the variability and the random seed.

    variability: dotted scenario key -> log-sd sigma; patient value = base value * exp(sigma z),
    z ~ N(0, 1) (log-normal with the base value as median).
    """

    scenario: Scenario
    variability: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0
    max_explicit: int = 48
    death_grid_points: int = 1500


def check_variability(scenario: Scenario, variability: Mapping[str, float]) -> None:
    """Every varied key must name a positive number of the scenario; sigma must be >= 0."""
    data = scenario.model_dump(exclude_none=True)
    for key, sigma in variability.items():
        value = get_dotted(data, key, label="variability key")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ScenarioError(f"variability key {shown(key)}: value {shown(value)} is not a positive "
                                "number (log-normal variability needs one)")
        if not (math.isfinite(sigma) and 0 <= sigma <= 5):
            raise ScenarioError(f"variability of {shown(key)} = {shown(sigma)}: allowed 0 <= sigma <= 5")


def _patient_scenarios(spec: CohortSpec, zs: Array) -> list[Scenario]:
    if not spec.variability:
        return [spec.scenario] * zs.shape[0]
    base = spec.scenario.model_dump(exclude_none=True)
    keys = list(spec.variability)
    out = []
    for row in zs:
        data = copy.deepcopy(base)
        apply_overrides(data, {k: float(get_dotted(base, k)) * math.exp(spec.variability[k] * z)
                               for k, z in zip(keys, row, strict=True)})
        out.append(scenario_from_dict(data, f"patient of scenario {spec.scenario.name!r}"))
    return out


# ----------------------------------------------------------------------------------------------
# Row-wise interpolation (each patient has its own monotone table)


def interp_rows(x: Array, xp: Array, fp: Array) -> Array:
    """``np.interp`` applied row by row: x (P, K) queries, xp (P, T) increasing, fp (P, T).
    Values outside the table are clamped to its ends."""
    p, t = xp.shape
    xq = np.clip(x, xp[:, :1], xp[:, -1:])
    out = np.empty_like(xq)
    for i in range(p):  # loop over patients only (each row is one vectorised np.interp)
        out[i] = np.interp(xq[i], xp[i], fp[i])
    return out


# ----------------------------------------------------------------------------------------------


@dataclass
class Draws:
    """Per-patient random numbers, drawn in a fixed order from the patient's own stream."""

    z: Array  # (P, n_var) standard normals for the variability
    e: Array  # (P, K) Exp(1) spacings of the birth process
    organ: Array  # (P, K) uniforms
    kind: Array
    lat1: Array
    surg1: Array
    lat2: Array
    surg2: Array


def draw(seed: int, start: int, stop: int, n_var: int, k: int) -> Draws:
    rows = []
    for i in range(start, stop):
        rng = patient_stream(seed, i)
        z = rng.standard_normal(n_var)
        rest = rng.random((7, k))
        rest[0] = -np.log1p(-rest[0])
        rows.append((z, rest))
    z = np.array([r[0] for r in rows]).reshape(stop - start, n_var)
    r = np.array([r[1] for r in rows])  # (P, 7, K)
    return Draws(z, r[:, 0], r[:, 1], r[:, 2], r[:, 3], r[:, 4], r[:, 5], r[:, 6])


def diagnosis_days(pat: Patients, scs: list[Scenario]) -> Array:
    """Day of diagnosis: primary reaches detection.primary_cells, or earlier at a screening visit
    (every ``screening_interval_days``) once it holds ``screening_primary_cells``."""
    det = pat.detection_day()
    interval = np.array([s.detection.screening_interval_days or np.inf for s in scs])
    screen_cells = np.array([s.detection.screening_primary_cells for s in scs])
    if np.isfinite(interval).any():
        law = pat.primary(1)
        a = np.asarray(law.age_at_size(screen_cells, pat.vp0), dtype=np.float64)
        with np.errstate(invalid="ignore"):
            visit = np.where(np.isfinite(interval) & np.isfinite(a),
                             np.ceil(a / interval) * interval, np.inf)
        det = np.minimum(det, visit)
    return det


#: Scenario keys that drive the cohort model out of range (named in refusals).
DRIVERS = ("primary.rate_per_day", "dissemination.mu", "dissemination.gamma",
           "detection.primary_cells", "death.lethal_burden_cells", "simulation.duration_days")


def grid_points(spec: CohortSpec) -> int:
    """Points of the birth-process grid of one patient (see :func:`run_batch`)."""
    sim = spec.scenario.simulation
    step = max(sim.output_step_days, sim.duration_days / 8000.0)
    return int(round(sim.duration_days / step)) + 1


def batch_bytes(spec: CohortSpec, n_patients: int) -> float:
    """Estimated peak memory of :func:`run_batch` for ``n_patients`` (bytes): five (K, G) and
    twelve (T,) float arrays per patient (measured with tracemalloc: 0.65 MB per breast patient,
    2.5 MB per neuroblastoma patient, whose 48 explicit metastases all exist)."""
    per = 8.0 * (5 * spec.max_explicit * spec.death_grid_points + 12 * grid_points(spec))
    return float(n_patients) * per


@dataclass
class Lesions:
    """The explicit metastases of patients ``start .. stop-1`` (P patients x K metastases), as
    drawn by :func:`lesions`: birth day (inf: not born), validity, organ, kind and the clock
    milestones of their growth (the growth clock ``tau`` on the grid ``t``; equal to t without
    systemic signals). :meth:`sizes` gives their cells at any times (0 before birth)."""

    scs: list[Scenario]
    pat: Patients
    diag: Array
    res: Array
    t: Array
    tau: Array
    n_cum: Array
    gam: Array
    birth: Array
    valid: npt.NDArray[np.bool_]
    n_mets: npt.NDArray[np.intp]
    organ_idx: npt.NDArray[np.intp]
    single: npt.NDArray[np.bool_]
    woken1: npt.NDArray[np.bool_]
    skipped: npt.NDArray[np.bool_]
    switched: npt.NDArray[np.bool_]
    tau_start: Array
    a_av: Array
    tau_resume: Array
    stalled: npt.NDArray[np.bool_]
    t_vis: Array

    def sizes(self, times: Array) -> Array:
        """Cells of every explicit metastasis at ``times`` (P, K, G); 0 before its birth."""
        times = np.asarray(times, dtype=np.float64)
        tau_g = np.stack([np.interp(times, self.t, self.tau[i]) for i in range(self.pat.n)])
        age = _clock_age(tau_g, self.tau_start, self.a_av, self.tau_resume, self.stalled,
                         self.valid)
        cells = np.asarray(self.pat.metastasis(3).size(age, self.pat.v0[:, None, None]),
                           dtype=np.float64)
        born = self.valid[:, :, None] & (self.birth[:, :, None] <= times[None, None, :])
        return np.where(born, cells, 0.0)

    def visible(self, times: Array) -> npt.NDArray[np.bool_]:
        """Whether every explicit metastasis is visible at ``times`` (P, K, G)."""
        times = np.asarray(times, dtype=np.float64)
        return np.asarray(self.valid[:, :, None] & (self.t_vis[:, :, None] <= times[None, None, :]))


def lesions(spec: CohortSpec, start: int, stop: int) -> Lesions:
    """Draw the explicit metastases of patients ``start .. stop-1`` and their growth milestones
    (the first part of :func:`run_batch`)."""
    sc = spec.scenario
    k = spec.max_explicit
    check_memory(batch_bytes(spec, stop - start), f"a cohort batch of {stop - start} patients",
                 "lower the batch size")
    d = draw(spec.seed, start, stop, len(spec.variability), k)
    scs = _patient_scenarios(spec, d.z)
    pat = patients_from_scenarios(scs)
    n = pat.n
    duration = sc.simulation.duration_days
    for i, why in enumerate(overflow_problems(pat, duration, False)):
        if why is not None:
            raise ScenarioError(f"cohort engine, patient {start + i}: {why}")

    diag = diagnosis_days(pat, scs)
    at_det = np.array([s.treatment.resection_at_detection for s in scs])
    delay = np.array([s.treatment.resection_delay_days for s in scs])
    given = np.array([np.inf if s.treatment.resection_day is None else s.treatment.resection_day
                      for s in scs])
    res = np.where(at_det & np.isfinite(diag), np.minimum(given, diag + delay), given)
    pat = replace(pat, resection_day=res)

    # time grid for the birth process and the growth clock
    step = max(sc.simulation.output_step_days, duration / 8000.0)
    t = np.linspace(0.0, duration, int(round(duration / step)) + 1)
    plaw = pat.primary(2)
    vp_free = np.asarray(plaw.size(t[None, :], _col(pat.vp0, 2)), dtype=np.float64)
    vp = np.where(t[None, :] < res[:, None], vp_free, 0.0)
    t_on, t_off = pat.window(duration)
    rate = np.asarray(pat.dissemination(2).rate(vp_free), dtype=np.float64)
    f_cum = np.concatenate([np.zeros((n, 1)), np.cumsum(0.5 * (rate[:, 1:] + rate[:, :-1])
                                                        * np.diff(t)[None, :], axis=1)], axis=1)
    tt = np.broadcast_to(t, (n, t.size))
    f_on = interp_rows(t_on[:, None], tt, f_cum)[:, 0]
    clipped = np.clip(tt, t_on[:, None], t_off[:, None])
    n_cum = interp_rows(clipped, tt, f_cum) - f_on[:, None]  # N(t), (P, T)

    if sc.systemic.model == "angiogenesis":
        raise ScenarioError("systemic.model = 'angiogenesis' is not supported in cohorts "
                            "(use 'proliferation'; the single-patient engine supports it)")
    if sc.systemic.inhibitor_source != "primary" and sc.systemic.model != "none":
        raise ScenarioError("systemic.inhibitor_source = 'total_burden' is not supported in "
                            "cohorts (use 'primary'; the single-patient engine supports it)")
    signals = resolve.systemic(sc)
    tau = growth_clock(t, signals.multiplier(t, vp, res)) if signals.active else np.array(tt)

    # births
    gam = np.cumsum(d.e, axis=1)
    total = n_cum[:, -1]
    valid = gam < total[:, None]
    birth = np.full((n, k), np.inf)
    # invert N(t): N is non-decreasing; use the strictly increasing part via interp on (N, t)
    birth_all = _invert_rows(n_cum, t, gam)
    birth = np.where(valid, birth_all, np.inf)
    n_mets = np.array([int(np.sum(v)) for v in valid])  # explicit births

    # organs
    organs = list(sc.organs)
    cum = np.cumsum([sc.organs[o].seeding_fraction for o in organs])
    organ_idx = np.minimum(np.searchsorted(cum, d.organ, side="right"), len(organs) - 1)

    # dormancy and growth milestones
    mlaw = pat.metastasis(2)
    v0 = pat.v0[:, None]
    vis_cells = pat.visible_cells[:, None]
    a_vis = np.asarray(mlaw.age_at_size(vis_cells, v0), dtype=np.float64)  # clock units
    dm = resolve.dormancy(sc)
    f1, f2 = dm.single_cell_fraction, dm.avascular_fraction
    single = d.kind < f1
    avasc = (d.kind >= f1) & (d.kind < f1 + f2)
    lat = pat.latency[:, None] + np.where(
        single, latency_from_uniform(d.lat1, dm.single_cell_latency, dm.single_cell_median_days,
                                     dm.single_cell_sigma), 0.0)
    pulsed = np.where(single, surgery_pulse(birth, lat, res[:, None],
                                            dm.surgery_escape_probability, d.surg1), lat)
    woken1 = single & (pulsed < lat)  # single cells woken by the surgery pulse
    lat = pulsed
    grow_start = birth + lat
    tau_start = interp_rows(np.minimum(grow_start, duration), tt, tau)
    tau_start = np.where(grow_start <= duration, tau_start, np.inf)
    # lesions that stall at the avascular plateau: avascular ones, and with two-stage dormancy
    # (Demicheli 1997; Retsky 1997) also the single cells once they escape
    stall_kind = avasc | (single & dm.single_cells_become_micrometastases)
    a_av = np.asarray(mlaw.age_at_size(np.full_like(v0, dm.avascular_cells), v0), dtype=np.float64)
    a_av = np.where(stall_kind & (a_av < a_vis), a_av, np.inf)  # only stalls below visibility
    skipped = np.zeros_like(stall_kind)
    if dm.surgery_switch_before_plateau:
        # growing toward the plateau at resection: switched (never stall) with the surgery
        # switch probability (the same draw that would switch it if it were stalled)
        r_ok = np.isfinite(res) & (res <= duration)
        tau_r = np.where(r_ok, interp_rows(np.where(r_ok, res, 0.0)[:, None], tt, tau)[:, 0],
                         np.inf)[:, None]
        with np.errstate(invalid="ignore"):
            skipped = (np.isfinite(a_av) & (tau_start <= tau_r) & (tau_start + a_av > tau_r)
                       & (d.surg2 < dm.surgery_switch_probability))
        a_av = np.where(skipped, np.inf, a_av)
    tau_start, valid = _adjuvant(sc, pat, res, tt, tau, tau_start, a_vis, np.isfinite(a_av), valid)
    t_av = _clock_inverse(tau_start + a_av, tt, tau)
    wait0 = latency_from_uniform(d.lat2, "exponential", dm.avascular_switch_median_days)
    wait = surgery_pulse(t_av, wait0, res[:, None], dm.surgery_switch_probability, d.surg2)
    switched = np.isfinite(a_av) & (wait < wait0)  # stalled micrometastases switched at surgery
    resume = t_av + wait
    tau_resume = np.where(np.isfinite(resume),
                          interp_rows(np.minimum(resume, duration), tt, tau), np.inf)
    tau_resume = np.where(np.isfinite(resume) & (resume > duration), np.inf, tau_resume)
    stalled = np.isfinite(a_av)
    with np.errstate(invalid="ignore"):
        tau_vis = np.where(stalled, tau_resume + (a_vis - a_av), tau_start + a_vis)
    t_vis = np.where(valid, _clock_inverse(tau_vis, tt, tau), np.inf)

    return Lesions(scs=scs, pat=pat, diag=diag, res=res, t=t, tau=tau, n_cum=n_cum, gam=gam,
                   birth=birth, valid=valid, n_mets=n_mets, organ_idx=organ_idx, single=single,
                   woken1=woken1, skipped=skipped, switched=switched, tau_start=tau_start,
                   a_av=a_av, tau_resume=tau_resume, stalled=stalled, t_vis=t_vis)


def run_batch(spec: CohortSpec, start: int, stop: int) -> pd.DataFrame:
    """Simulate patients ``start .. stop-1`` of the cohort (vectorised over the batch)."""
    les = lesions(spec, start, stop)
    sc = spec.scenario
    k = spec.max_explicit
    scs, pat, diag, res, t, tau = les.scs, les.pat, les.diag, les.res, les.t, les.tau
    n_cum, gam, birth, valid, n_mets = les.n_cum, les.gam, les.birth, les.valid, les.n_mets
    organ_idx, single, woken1 = les.organ_idx, les.single, les.woken1
    skipped, switched, tau_start, a_av = les.skipped, les.switched, les.tau_start, les.a_av
    tau_resume, stalled, t_vis = les.tau_resume, les.stalled, les.t_vis
    n = pat.n
    duration = sc.simulation.duration_days
    tt = np.broadcast_to(t, (n, t.size))
    plaw = pat.primary(2)
    organs = list(sc.organs)
    first_vis = np.min(t_vis, axis=1) if k else np.full(n, np.inf)
    route_code = np.select(
        [np.isfinite(a_av) & switched, np.isfinite(a_av), skipped, woken1, single],
        [ROUTE_MICRO_SURGERY, ROUTE_MICRO, ROUTE_SKIPPED, ROUTE_SINGLE_SURGERY, ROUTE_SINGLE],
        ROUTE_GROWING)
    surgery = np.where(np.isfinite(res), res, diag)
    m1 = first_vis <= surgery
    relapse = np.where(m1 & np.isfinite(surgery), surgery,
                       np.where(first_vis <= duration, first_vis, np.nan))
    relapse = np.where(np.isfinite(diag) & (diag <= duration), relapse, np.nan)

    # burden and death on a coarse grid
    tg = np.linspace(0.0, duration, spec.death_grid_points)
    tau_g = np.stack([np.interp(tg, t, tau[i]) for i in range(n)])
    vp_g = np.asarray(plaw.size(tg[None, :], _col(pat.vp0, 2)), dtype=np.float64)
    vp_g = np.where(tg[None, :] < res[:, None], vp_g, 0.0)
    extra = _remainder_burden(pat, t, n_cum, tau, gam[:, -1] if k else np.zeros(n), tg)
    fr = np.array([sc.organs[o].seeding_fraction for o in organs])
    organ_burden = fr[None, :, None] * extra[:, None, :]  # (P, O, G)
    kmax = int(n_mets.max()) if n else 0
    rows = np.nonzero(n_mets > 0)[0]
    if kmax > 0 and rows.size:
        sub = pat.take(rows)
        vs = valid[rows, :kmax]
        met_age = _clock_age(tau_g[rows], tau_start[rows, :kmax], a_av[rows, :kmax],
                             tau_resume[rows, :kmax], stalled[rows, :kmax], vs)  # (R, K, G)
        sizes = np.asarray(sub.metastasis(3).size(met_age, sub.v0[:, None, None]),
                           dtype=np.float64)
        sizes = np.where(vs[:, :, None], sizes, 0.0)
        # sums run left to right (cumsum) so that the trailing zero columns of a wider batch
        # cannot change the rounding: the result is independent of the batch composition
        for j in range(len(organs)):
            here = (organ_idx[rows, :kmax] == j)[:, :, None]
            organ_burden[rows, j] += _ordered_sum(np.where(here, sizes, 0.0), axis=1)
    met_burden = organ_burden.sum(axis=1)
    total_burden = vp_g + met_burden
    lethal = sc.death.lethal_burden_cells
    over = total_burden >= lethal
    organ_lethal = np.array([sc.organs[o].lethal_cells or np.inf for o in organs])
    over_organ = organ_burden >= organ_lethal[None, :, None]
    dead = over | over_organ.any(axis=1)
    has = dead.any(axis=1)
    gi = np.where(has, np.argmax(dead, axis=1), -1)
    death_day = np.full(n, np.nan)
    cause = np.full(n, "", dtype=object)
    organ_out = np.full(n, "", dtype=object)
    for p in np.nonzero(has)[0]:
        g = int(gi[p])
        death_day[p] = _cross_time(tg, total_burden[p], lethal, g) if over[p, g] else tg[g]
        if over_organ[p, :, g].any() and not over[p, g]:
            cause[p] = "metastasis"
            organ_out[p] = organs[int(np.argmax(over_organ[p, :, g]))]
        elif vp_g[p, g] >= met_burden[p, g]:
            cause[p] = "primary"
        else:
            cause[p] = "metastasis"
            organ_out[p] = organs[int(np.argmax(organ_burden[p, :, g]))]

    # a patient dies at most once: nothing happens after death (diagnosis, surgery, relapse,
    # births); a lethal burden before diagnosis means the patient died undiagnosed
    died = np.isfinite(death_day)
    alive_at = np.where(died, death_day, np.inf)
    diag_ok = np.isfinite(diag) & (diag <= duration) & (diag <= alive_at)
    undiagnosed_death = died & ~diag_ok
    relapse = np.where(diag_ok & (relapse <= alive_at), relapse, np.nan)
    valid = valid & (birth <= alive_at[:, None])
    n_mets = valid.sum(axis=1)
    burden_dx = np.zeros(n)
    largest_dx = np.zeros(n)
    if kmax > 0 and rows.size:
        tdx = np.where(diag_ok, diag, 0.0)[rows, None]
        tau_dx = interp_rows(tdx, tt[rows], tau[rows])
        vs = valid[rows, :kmax] & (birth[rows, :kmax] <= tdx)
        age_dx = _clock_age(tau_dx, tau_start[rows, :kmax], a_av[rows, :kmax],
                            tau_resume[rows, :kmax], stalled[rows, :kmax], vs)[:, :, 0]
        sub = pat.take(rows)
        size_dx = np.where(vs, np.asarray(sub.metastasis(2).size(age_dx, sub.v0[:, None]),
                                          dtype=np.float64), 0.0)
        burden_dx[rows] = _ordered_sum(size_dx, axis=1)
        largest_dx[rows] = size_dx.max(axis=1)
    diag_out = np.where(diag_ok, diag, np.nan)
    if k:
        first_j = np.argmin(t_vis, axis=1)[:, None]
        route = np.asarray(ROUTES, dtype=object)[np.take_along_axis(route_code, first_j, 1)[:, 0]]
    else:
        route = np.full(n, "", dtype=object)
    route = np.where(np.isfinite(relapse), route, "")
    vdiag = np.asarray(pat.primary(1).size(np.where(diag_ok, diag, 0.0), pat.vp0))
    n_at_diag = np.array([int(np.sum(birth[p] <= diag[p])) for p in range(n)])
    first_met = np.where((np.isfinite(birth[:, 0]) & (birth[:, 0] <= alive_at)) if k else False,
                         birth[:, 0], np.nan)
    resected = np.isfinite(res) & (res <= duration) & (res <= alive_at)
    df = pd.DataFrame({
        "patient": np.arange(start, stop),
        "diagnosis_day": diag_out,
        "primary_cells_at_diagnosis": np.where(diag_ok, vdiag, np.nan),
        "resection_day": np.where(resected, res, np.nan),
        "relapse_day": relapse,
        "relapse_after_surgery_days": relapse - np.where(np.isfinite(surgery), surgery, np.nan),
        "metastatic_at_diagnosis": np.where(diag_ok, m1, False),
        "death_day": death_day,
        "death_after_diagnosis_days": death_day - diag_out,
        "death_cause": cause,
        "death_organ": organ_out,
        "n_metastases": n_mets,
        "n_metastases_at_diagnosis": np.where(diag_ok, n_at_diag, 0),
        "metastatic_burden_at_diagnosis_cells": np.where(diag_ok, burden_dx, np.nan),
        "largest_metastasis_at_diagnosis_cells": np.where(diag_ok, largest_dx, np.nan),
        "first_metastasis_day": first_met,
        "relapse_route": route,
        "died_before_diagnosis": undiagnosed_death,
    })
    for key, sigma in spec.variability.items():
        if sigma > 0:
            df[key] = [float(get_dotted(s, key)) for s in scs]
    check_physical(df, "cohort engine", scenario_values(sc, DRIVERS),
                   rules={"patient": None, **{key: None for key in spec.variability}})
    return df


def _adjuvant(sc: Scenario, pat: Patients, res: Array, tt: Array, tau: Array, tau_start: Array,
              a_vis: Array, stalls: npt.NDArray[np.bool_], valid: npt.NDArray[np.bool_],
              ) -> tuple[Array, npt.NDArray[np.bool_]]:
    """Adjuvant cytotoxic schedules (``treatment.events`` with drug ``adjuvant_chemotherapy``):
    ``start_day`` counts from resection, ``dose`` is the log10 cell kill per dose (log-kill
    hypothesis, Skipper, Schabel & Wilcox 1964; Norton & Simon 1977). A dose acts on growing,
    not yet visible metastases (dormant single cells and avascular micrometastases are spared,
    as assumed by the Demicheli/Retsky model); the survivors regrow from their reduced size
    (the growth age is moved back), a metastasis left with less than one cell is eradicated."""
    events = sc.treatment.events
    for ev in events:
        if ev.drug not in ADJUVANT_DRUGS:
            raise ScenarioError(
                f"treatment.events drug {ev.drug!r} is not understood by the cohort engine "
                f"(supported: {', '.join(ADJUVANT_DRUGS)})")
    if not events:
        return tau_start, valid
    duration = float(tt[0, -1])
    law = pat.metastasis(2)
    v0 = pat.v0[:, None]
    tau_start = tau_start.copy()
    valid = valid.copy()
    times = sorted((float(d), ev.dose) for ev in events for d in dose_days(ev, duration))
    for day, dose in times:
        td = res + day
        ok = np.isfinite(td) & (td <= duration)
        tau_d = interp_rows(np.where(ok, td, 0.0)[:, None], tt, tau)
        age = tau_d - tau_start
        hit = ok[:, None] & valid & ~stalls & (age > 0) & (age < a_vis)
        size = np.asarray(law.size(np.where(hit, age, 0.0), v0), dtype=np.float64)
        left = size * 10.0 ** (-dose)
        killed = hit & (left < 1.0)
        new_age = np.asarray(law.age_at_size(np.maximum(left, v0), v0), dtype=np.float64)
        tau_start = np.where(hit & ~killed, tau_d - new_age, tau_start)
        valid = valid & ~killed
    return tau_start, valid


def _ordered_sum(x: Array, axis: int) -> Array:
    """Sum in index order (sequential, unlike numpy's pairwise ``sum``): appending zeros never
    changes the result, which keeps cohorts bit-identical across batch sizes."""
    return np.asarray(np.take(np.cumsum(x, axis=axis), -1, axis=axis), dtype=np.float64)


def _invert_rows(n_cum: Array, t: Array, level: Array) -> Array:
    """First time at which each row of the non-decreasing N(t) reaches ``level`` (P, K);
    linear interpolation inside the grid cell."""
    p = n_cum.shape[0]
    out = np.full(level.shape, np.inf)
    for i in range(p):
        row = n_cum[i]
        j = np.searchsorted(row, level[i], side="left")
        ok = (j > 0) & (j < row.size)
        jj = np.where(ok, j, 1)
        lo, hi = row[jj - 1], row[jj]
        w = np.where(hi > lo, (level[i] - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
        out[i] = np.where(ok, t[jj - 1] + w * (t[jj] - t[jj - 1]), np.where(j == 0, 0.0, np.inf))
    return out


def _clock_inverse(tau_q: Array, tt: Array, tau: Array) -> Array:
    """Real time at which the clock reaches ``tau_q`` (inf if beyond the simulation)."""
    finite = np.isfinite(tau_q) & (tau_q <= tau[:, -1:])
    res = interp_rows(np.where(finite, tau_q, 0.0), tau, tt)
    return np.where(finite, res, np.inf)


def _clock_age(tau_g: Array, tau_start: Array, a_av: Array, tau_resume: Array,
               stalled: npt.NDArray[np.bool_], valid: npt.NDArray[np.bool_]) -> Array:
    """Growth age (clock units) of every metastasis at the grid times: (P, K, G)."""
    tg = tau_g[:, None, :]
    grow = np.maximum(tg - np.where(valid, tau_start, np.inf)[:, :, None], 0.0)
    grow = np.where(np.isfinite(grow), grow, 0.0)
    held = np.minimum(grow, a_av[:, :, None]) + np.maximum(tg - tau_resume[:, :, None], 0.0)
    held = np.where(np.isfinite(held), held, 0.0)
    return np.where(stalled[:, :, None], held, grow)


def _remainder_burden(pat: Patients, t: Array, n_cum: Array, tau: Array, last_gamma: Array,
                      tg: Array) -> Array:
    """Expected burden (cells) of the births beyond the explicit ones, on the grid ``tg``: births
    after N(t) = last_gamma, each growing from its birth (no dormancy), by quadrature on a coarse
    grid of birth cohorts."""
    n = n_cum.shape[0]
    out = np.zeros((n, tg.size))
    over = np.nonzero(n_cum[:, -1] > last_gamma)[0]
    if over.size == 0:
        return out
    nb = 400
    sb = np.linspace(0.0, t[-1], nb + 1)
    for p in over:
        nc = np.interp(sb, t, n_cum[p])
        dn = np.diff(np.maximum(nc - last_gamma[p], 0.0))  # births per cohort beyond explicit
        mid = 0.5 * (sb[1:] + sb[:-1])
        tau_b = np.interp(mid, t, tau[p])
        tau_g = np.interp(tg, t, tau[p])
        age = tau_g[:, None] - tau_b[None, :]
        law_p = pat.take(np.array([p])).metastasis(2)
        size = np.where(age >= 0, law_p.size(np.maximum(age, 0.0), pat.v0[p]), 0.0)
        out[p] = size @ dn
    return out


def _cross_time(tg: Array, burden: Array, level: float, g: int) -> float:
    """Time in (tg[g-1], tg[g]] at which the burden crosses ``level`` (interpolated in log)."""
    if g == 0:
        return float(tg[0])
    lo, hi = burden[g - 1], burden[g]
    if lo <= 0 or hi <= lo:
        return float(tg[g])
    w = (np.log(level) - np.log(lo)) / (np.log(hi) - np.log(lo))
    return float(tg[g - 1] + np.clip(w, 0.0, 1.0) * (tg[g] - tg[g - 1]))


# ----------------------------------------------------------------------------------------------
# The contract (engines/base.py)

SUPPORTS: tuple[Support, ...] = (
    Support("primary", "yes"),
    Support("metastasis", "yes"),
    Support("dissemination", "partly", "power model (mu, gamma, thresholds, latency); the "
            "cascade model refused (spread); cluster_size only equal to metastasis.initial_cells"),
    Support("dissemination.secondary", "no", "refused (run: the organism engine)"),
    *(Support(name, "no", "cascade model only: defaults") for name in sections.CASCADE_SECTIONS),
    Support("organs", "partly", "seeding_fraction, lethal_cells; the cascade fields are refused"),
    Support("detection", "yes", "screening visits included"),
    Support("treatment", "partly", "resection (day, at detection, delay); adjuvant "
            "chemotherapy; bone drugs refused (run); unknown drugs refused"),
    Support("bone", "no", "refused (run)"),
    Support("simulation", "yes"),
    Support("death", "yes", "each patient's death and its cause"),
    Support("systemic", "partly", "primary-derived signals; angiogenesis and a total-burden "
            "inhibitor refused (organism)"),
    Support("dormancy", "yes", "sampled per metastasis"),
    Support("mutation", "partly", "neutral mutations do not change sizes; drivers and traits "
            "refused (stochastic)"),
)


def check_scenario(sc: Scenario, engine: str = "cohort") -> list[Problem]:
    """Every section or value of ``sc`` the cohort engine cannot honour (:data:`SUPPORTS`)."""
    if sc.dissemination.model == "cascade":
        return [Problem("dissemination.model", "cascade", f"the {engine} engine runs the power "
                        "model; the cascade model is run by the spread engine",
                        "metacascade run {scenario} --engine spread")]
    out: list[Problem] = []
    if sc.dissemination.secondary:
        out.append(Problem("dissemination.secondary", True, f"the {engine} engine does not follow "
                           "metastases seeding metastases individually (expected values: run)",
                           sections.RUN))
    out += sections.power_model(sc, engine) + sections.cell_scale(sc, engine)
    out += sections.drugs(sc, engine, ADJUVANT_DRUGS) + sections.no_bone(sc, engine)
    sy = sc.systemic
    if sy.model == "angiogenesis":
        out.append(Problem("systemic.model", "angiogenesis", f"the {engine} engine does not "
                           "follow the angiogenesis model (use 'proliferation')", sections.RUN))
    elif sections.systemic_active(sc) and sy.inhibitor_source != "primary":
        out.append(Problem("systemic.inhibitor_source", sy.inhibitor_source, f"the {engine} "
                           "engine follows an inhibitor made by the primary only", sections.RUN))
    return out


def check_cohort(sc: Scenario, variability: Mapping[str, float]) -> None:
    """Refuse a cohort whose scenario, or whose varied values, the engine cannot honour (a value
    at its default becomes active when it varies between patients)."""
    problems = check_scenario(sc)
    varied = {k: s for k, s in variability.items() if s > 0}
    if varied:
        data = sc.model_dump(exclude_none=True)
        apply_overrides(data, {k: float(get_dotted(data, k)) * 1.01 for k in varied})
        try:
            moved = scenario_from_dict(data, f"scenario {sc.name!r} with varied values")
        except ScenarioError:
            moved = None
        if moved is not None:
            seen = {p.key for p in problems}
            problems += [replace(p, why=p.why + " (varied between patients)")
                         for p in check_scenario(moved) if p.key not in seen]
    raise_problems("cohort", problems, sc.name)


class CohortChecker:
    """The checks of :func:`metacascade.simulate_cohort` (a command, not a single-run engine)."""

    name = "cohort"
    supports = SUPPORTS

    def check(self, scenario: Scenario) -> list[Problem]:
        return check_scenario(scenario)


CHECKER = CohortChecker()
