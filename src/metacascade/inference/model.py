"""Model predictions of the observables for fitting: the organism engine, with an exact fast path.

A :class:`Predictor` maps parameter sets (natural scale, shape (S, p)) to the predicted
observables of one subject (shape (S, n), in the observed units of :data:`data.OBSERVABLES`).

* :class:`EnginePredictor` is general: it builds the scenario of each parameter set and runs the
  organism engine (``engines.organism.solve``, Iwata 2000; Benzekry 2016).
* :class:`ExponentialPredictor` is exact and vectorised for exponential growth of primary and
  metastases without secondary dissemination, latency or dissemination thresholds, using the
  closed forms of Hartung et al. 2014 (Benzekry et al.; derived for the exponential case):

      Vp(t) = Vp0 e^(a t),  X(s) = v0 e^(b s),  d(V) = mu V^gamma,  emission on [0, T_R]
      N(t)     = mu Vp0^g  t_e exprel(g a t_e)                   t_e = min(t, T_R)
      M(t)     = mu Vp0^g  v0 e^(b t) t_e exprel((g a - b) t_e)
      N_vis(t) = N(min(t - tau, T_R)),  tau = ln(v_vis / v0) / b
      M_vis(t) = mu Vp0^g v0 e^(b t) t_v exprel((g a - b) t_v),  t_v = min(t - tau, T_R)

  (exprel(z) = (e^z - 1)/z, so gamma a = b needs no special case.) Units: days, cells, mu in
  cell^-gamma day^-1, a and b in day^-1.

``marker.phi`` (marker units per cell, e.g. UI/L per cell for LDH; Benzekry 2021 use 1e-9) is
an observation parameter, not a scenario field; it scales ``burden_marker`` = phi (Vp + M).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numba
import numpy as np
import numpy.typing as npt

from metacascade.biology.growth import cells_from_diameter_mm
from metacascade.engines.organism import overflow_problems, patients_from_scenarios, solve
from metacascade.errors import DataError, ScenarioError, shown
from metacascade.inference.data import OBSERVABLES, SubjectData
from metacascade.scenario import (
    Scenario,
    UnknownKeyError,
    apply_overrides,
    field_at,
    get_dotted,
    load_scenario,
    scenario_from_dict,
)
from metacascade.scenario.fields import bounds_of

Array = npt.NDArray[np.float64]

OBS_KEYS = {"marker.phi": 1e-9}
"""Observation parameters that are not scenario fields, with their defaults."""


def get_value(scenario: Scenario, key: str, obs_params: dict[str, float] | None = None) -> float:
    """Value of a dotted scenario key (or an observation parameter such as ``marker.phi``)."""
    if key in OBS_KEYS:
        return float((obs_params or {}).get(key, OBS_KEYS[key]))
    try:
        obj = get_dotted(scenario, key)
    except UnknownKeyError:
        raise ScenarioError(f"--fit: {shown(key)} is not a scenario key (e.g. dissemination.mu, "
                            "detection.visible_diameter_mm, primary.rate_per_day, "
                            "marker.phi)") from None
    if obj is None or isinstance(obj, bool) or not isinstance(obj, int | float):
        raise ScenarioError(f"--fit: {shown(key)} is not a numeric scenario value (value: "
                            f"{shown(obj)})")
    if isinstance(obj, int):  # the schema's integers: a seed, a count, a cluster size
        raise ScenarioError(f"--fit: {shown(key)} = {obj} is an integer setting, not a "
                            "continuous parameter that can be fitted; fit real-valued keys "
                            "(e.g. dissemination.mu, detection.visible_diameter_mm, "
                            "primary.rate_per_day, marker.phi)")
    return float(obj)


def field_limits(key: str) -> tuple[float, float]:
    """The open/closed range a scenario key allows (from its pydantic constraints)."""
    lo, hi = 0.0, math.inf
    info = None if key in OBS_KEYS else field_at(key)
    if info is None:
        return lo, hi
    b = bounds_of(info)
    for name in ("gt", "ge"):
        if name in b:
            lo = max(lo, float(b[name]))
    for name in ("lt", "le"):
        if name in b:
            hi = min(hi, float(b[name]))
    return lo, hi


def subject_scenario(base: Scenario, subject: SubjectData) -> Scenario:
    """The base scenario with the per-id values implied by the data (diagnosis size, resection)."""
    return scenario_with_overrides(base, subject.scenario_overrides(), f"id {subject.id!r}")


def scenario_with_overrides(base: Scenario, ov: dict[str, Any], label: str = "scenario",
                            ) -> Scenario:
    """``base`` with ``section.name`` values set (``None`` removes an optional value)."""
    if not ov:
        return base
    data = base.model_dump(exclude_none=True)
    apply_overrides(data, ov)
    return scenario_from_dict(data, f"scenario for {label}")


def with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """A validated copy of ``scenario`` with the dotted keys set (observation keys ignored)."""
    sc = {k: v for k, v in values.items() if k not in OBS_KEYS}
    return load_scenario(scenario, sc) if sc else scenario


class Predictor(Protocol):
    keys: tuple[str, ...]

    def predict(self, theta: Array) -> Array:
        """Predicted observables, (S, n), for parameter sets ``theta`` (S, p)."""
        ...

    def curves(self, theta: Array, times: Array, observables: Sequence[str]) -> Array:
        """Trajectories (S, len(observables), len(times)) at numeric days."""
        ...

    def diagnosis_day(self, theta: Array) -> Array:
        ...


def _quantity(subject: SubjectData) -> tuple[list[str], Array]:
    qty = [OBSERVABLES[o][0] for o in subject.observable]
    fac = np.array([OBSERVABLES[o][1] for o in subject.observable])
    return qty, fac


def fast_path_reason(scenario: Scenario, keys: Sequence[str]) -> str | None:
    """``None`` if the exact exponential fast path applies, else why not."""
    met = scenario.metastasis_growth()
    d = scenario.dissemination
    checks = [
        (scenario.primary.growth == "exponential", "primary growth is not exponential"),
        (scenario.metastasis_growth_law() == "exponential", "metastatic growth not exponential"),
        (not d.secondary, "secondary dissemination"),
        (d.latency_days == 0, "latency"),
        (d.start_day == 0, "dissemination start day"),
        (d.size_threshold_cells is None or d.size_threshold_cells <= scenario.primary.initial_cells,
         "dissemination size threshold"),
        (met.rate_per_day is not None, "no metastatic rate"),
        (all(k in _FAST_KEYS for k in keys), "a fitted key outside the fast path"),
    ]
    for ok, why in checks:
        if not ok:
            return why
    return None


_FAST_KEYS = {"primary.initial_cells", "primary.rate_per_day", "metastasis.initial_cells",
              "metastasis.rate_per_day", "dissemination.mu", "dissemination.gamma",
              "detection.visible_diameter_mm", "detection.primary_cells",
              "treatment.resection_day", "marker.phi"}


_QCODE = {"primary_cells": 0, "metastatic_burden_cells": 1, "visible_burden_cells": 2,
          "n_metastases": 3, "n_visible": 4, "total_cells": 5}
# columns of the exponential parameter matrix
_COLS = ("vp0", "a", "v0", "b", "mu", "gamma", "det", "vis", "res", "phi")
_KEYCOL = {"primary.initial_cells": 0, "primary.rate_per_day": 1, "metastasis.initial_cells": 2,
           "metastasis.rate_per_day": 3, "dissemination.mu": 4, "dissemination.gamma": 5,
           "detection.primary_cells": 6, "detection.visible_diameter_mm": 7,
           "treatment.resection_day": 8, "marker.phi": 9}


@numba.njit(cache=True)
def _xrel(z: float) -> float:
    """(e^z - 1)/z, accurate near 0."""
    if abs(z) < 1e-5:
        return 1.0 + z * (0.5 + z / 6.0)
    return math.expm1(z) / z


@numba.njit(cache=True)
def _exp_quantity(code: int, t: float, vp0: float, a: float, v0: float, b: float, mu: float,
                  g: float, tr: float, tau: float) -> float:
    te = min(t, tr)
    if te < 0.0:
        te = 0.0
    tv = min(t - tau, tr)
    if tv < 0.0:
        tv = 0.0
    amp = mu * vp0 ** g
    prim = vp0 * math.exp(a * t) if t <= tr else 0.0
    if code == 0:
        return prim
    if code == 3:
        return amp * te * _xrel(g * a * te)
    if code == 4:
        return amp * tv * _xrel(g * a * tv)
    c = g * a - b
    grow = amp * v0 * math.exp(b * t)
    if code == 1:
        return grow * te * _xrel(c * te)
    if code == 2:
        return grow * tv * _xrel(c * tv)
    return prim + grow * te * _xrel(c * te)


@numba.njit(cache=True)
def _exp_predict(P: Array, at_detection: bool, times: Array, at_diag: Array, codes: Array,
                 fac: Array, marker: Array, out: Array, tdet_out: Array) -> None:
    """Closed-form predictions for each parameter row of P (columns ``_COLS``)."""
    for s in range(P.shape[0]):
        vp0, a, v0, b, mu, g, det, vis, res, phi = P[s]
        tdet = math.log(det / vp0) / a
        tdet_out[s] = tdet
        tr = min(res, tdet) if at_detection else res
        tau = max(math.log(vis / v0), 0.0) / b
        for i in range(times.shape[0]):
            t = tdet if at_diag[i] else times[i]
            v = _exp_quantity(codes[i], t, vp0, a, v0, b, mu, g, tr, tau) * fac[i]
            out[s, i] = v * phi if marker[i] else v


@dataclass
class ExponentialPredictor:
    """Exact closed-form predictions (exponential growth, primary dissemination only), compiled
    with numba; vectorised over parameter sets."""

    scenario: Scenario
    subject: SubjectData
    keys: tuple[str, ...]
    obs_params: dict[str, float]

    def __post_init__(self) -> None:
        sc = self.scenario
        met = sc.metastasis_growth()
        self.same_rate = sc.metastasis.growth == "same_as_primary"
        self.base = np.array([
            sc.primary.initial_cells, float(sc.primary.rate_per_day or math.nan),
            met.initial_cells, float(met.rate_per_day or math.nan),
            sc.dissemination.mu, sc.dissemination.gamma, sc.detection.primary_cells,
            float(cells_from_diameter_mm(sc.detection.visible_diameter_mm)),
            math.inf if sc.treatment.resection_day is None else sc.treatment.resection_day,
            self.obs_params.get("marker.phi", OBS_KEYS["marker.phi"])])
        self.at_detection = bool(sc.treatment.resection_at_detection)
        self.cols = np.array([_KEYCOL[k] for k in self.keys], dtype=np.int64)
        self.vis_j = [j for j, k in enumerate(self.keys) if k == "detection.visible_diameter_mm"]
        self.rate_j = [j for j, k in enumerate(self.keys) if k == "primary.rate_per_day"] \
            if self.same_rate else []
        qty, self.fac = _quantity(self.subject)
        s = self.subject
        self.codes = np.array([_QCODE[q] for q in qty], dtype=np.int64)
        self.marker = np.array([o == "burden_marker" for o in s.observable])
        self.times = np.nan_to_num(s.time, nan=0.0)
        self.at_diag = s.at_diagnosis.astype(np.bool_)

    def matrix(self, theta: Array) -> Array:
        P = np.repeat(self.base[None, :], theta.shape[0], axis=0)
        P[:, self.cols] = theta
        for j in self.vis_j:
            P[:, 7] = np.pi / 6.0 * theta[:, j] ** 3 * 1e6
        for j in self.rate_j:
            P[:, 3] = theta[:, j]
        return P

    def _run(self, theta: Array, times: Array, at_diag: npt.NDArray[Any],
             codes: npt.NDArray[Any], fac: Array, marker: npt.NDArray[Any],
             ) -> tuple[Array, Array]:
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        P = self.matrix(theta)
        out = np.empty((P.shape[0], times.shape[0]))
        tdet = np.empty(P.shape[0])
        _exp_predict(P, self.at_detection, times, at_diag, codes, fac, marker, out, tdet)
        return out, tdet

    def predict(self, theta: Array) -> Array:
        return self._run(theta, self.times, self.at_diag, self.codes, self.fac, self.marker)[0]

    def diagnosis_day(self, theta: Array) -> Array:
        return self._run(theta, self.times[:0], self.at_diag[:0], self.codes[:0], self.fac[:0],
                         self.marker[:0])[1]

    def curves(self, theta: Array, times: Array, observables: Sequence[str]) -> Array:
        times = np.asarray(times, dtype=np.float64)
        k = len(times)
        tt = np.tile(times, len(observables))
        codes = np.repeat([_QCODE[OBSERVABLES[o][0]] for o in observables], k).astype(np.int64)
        fac = np.repeat([OBSERVABLES[o][1] for o in observables], k).astype(np.float64)
        mk = np.repeat([o == "burden_marker" for o in observables], k)
        out = self._run(theta, tt, np.zeros(len(tt), dtype=np.bool_), codes, fac, mk)[0]
        return out.reshape(out.shape[0], len(observables), k)


@dataclass
class EnginePredictor:
    """General predictions through the organism engine (any growth law, secondary dissemination,
    latency, thresholds): one batched engine run per call (Iwata et al. 2000; Benzekry et al. 2016)."""

    scenario: Scenario
    subject: SubjectData
    keys: tuple[str, ...]
    obs_params: dict[str, float]

    def __post_init__(self) -> None:
        self.qty, self.fac = _quantity(self.subject)

    def _scenarios(self, theta: Array) -> list[Scenario]:
        return [with_values(self.scenario, dict(zip(self.keys, map(float, row), strict=True)))
                for row in theta]

    def _phi(self, theta: Array) -> Array:
        if "marker.phi" in self.keys:
            return theta[:, self.keys.index("marker.phi")]
        return np.full(theta.shape[0], self.obs_params.get("marker.phi", OBS_KEYS["marker.phi"]))

    def _solve(self, theta: Array, t_max: float) -> tuple[Any, npt.NDArray[np.intp]]:
        """The engine run of the parameter sets whose numbers stay in range, and their rows.

        Sets that would overflow (``overflow_problems``: e.g. runaway secondary seeding at a
        corner of the search box) are impossible predictions: left out of the run (they would
        also force a tiny cohort width on the whole batch) and given NaN, i.e. the likelihood
        floor, so that the optimiser moves away from them."""
        scs = self._scenarios(theta)
        pat = patients_from_scenarios(scs)
        sim = self.scenario.simulation
        step = sim.output_step_days
        duration = max(step, (math.floor(t_max / step) + 2) * step)
        secondary = self.scenario.dissemination.secondary
        rows = np.array([p for p, why in enumerate(overflow_problems(pat, duration, secondary))
                         if why is None], dtype=np.intp)
        if rows.size == 0:
            return None, rows
        return solve(pat.take(rows), duration, step, secondary, sim.max_internal_step_days,
                     check=False), rows

    def diagnosis_day(self, theta: Array) -> Array:
        theta = np.atleast_2d(theta)
        pat = patients_from_scenarios(self._scenarios(theta))
        return np.asarray(pat.detection_day(), dtype=np.float64)

    def _at(self, sol: Any, p: int, t: float) -> dict[str, float]:
        v = sol.take(p).at(t)
        res = {k: float(x[0]) for k, x in v.items()}
        res["total_cells"] = res["primary_cells"] + res["metastatic_burden_cells"]
        return res

    def predict(self, theta: Array) -> Array:
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        s = self.subject
        tdet = self.diagnosis_day(theta) if s.at_diagnosis.any() else np.zeros(theta.shape[0])
        if s.at_diagnosis.any() and not np.all(np.isfinite(tdet)):
            bad = float(tdet[~np.isfinite(tdet)][0])
            raise DataError(f"id {s.id!r}: the primary never reaches its diagnosis size "
                            f"(detection day {bad})")
        t_obs = np.nan_to_num(s.time, nan=0.0)
        t_max = float(max(np.max(t_obs, initial=0.0), np.max(tdet, initial=0.0)))
        sol, rows = self._solve(theta, t_max)
        phi = self._phi(theta)
        out = np.full((theta.shape[0], s.n), np.nan)
        for k, p in enumerate(rows):
            cache: dict[float, dict[str, float]] = {}
            for i in range(s.n):
                t = float(tdet[p]) if s.at_diagnosis[i] else float(s.time[i])
                if t not in cache:
                    cache[t] = self._at(sol, k, t)
                out[p, i] = cache[t][self.qty[i]] * self.fac[i]
                if s.observable[i] == "burden_marker":
                    out[p, i] *= phi[p]
        return out

    def curves(self, theta: Array, times: Array, observables: Sequence[str]) -> Array:
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        sol, rows = self._solve(theta, float(np.max(times)))
        phi = self._phi(theta)
        out = np.full((theta.shape[0], len(observables), len(times)), np.nan)
        for j, p in enumerate(rows):
            for k, t in enumerate(times):
                v = self._at(sol, j, float(t))
                for i, o in enumerate(observables):
                    q, f = OBSERVABLES[o][0], OBSERVABLES[o][1]
                    out[p, i, k] = v[q] * f * (phi[p] if o == "burden_marker" else 1.0)
        return out


def make_predictor(scenario: Scenario, subject: SubjectData, keys: Sequence[str],
                   obs_params: dict[str, float] | None = None, engine: str = "auto",
                   ) -> ExponentialPredictor | EnginePredictor:
    """The exact fast path when it applies (``engine='auto'`` or ``'exact'``), else the engine."""
    sc = subject_scenario(scenario, subject)
    ks = tuple(keys)
    op = dict(obs_params or {})
    if engine not in ("auto", "exact", "organism"):
        raise ScenarioError(f"engine = {shown(engine)}: allowed auto, exact, organism")
    reason = fast_path_reason(sc, ks)
    if engine == "exact" and reason is not None:
        raise ScenarioError(f"engine = 'exact' is not applicable: {reason}")
    if engine != "organism" and reason is None:
        return ExponentialPredictor(sc, subject, ks, op)
    return EnginePredictor(sc, subject, ks, op)
