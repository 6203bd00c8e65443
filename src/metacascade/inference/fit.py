"""Individual maximum-likelihood fits with multi-start, profile-likelihood or bootstrap intervals.

For each id, the parameters theta (dotted scenario keys, or ``marker.phi``) maximise

    l(theta) = sum_i log p(y_i | f_i(theta))         (error models in ``likelihood``)

with f the model predictions (``model``: the organism engine, or its exact closed form for
exponential growth). The search runs on phi = log(theta) inside bounds: a scrambled Sobol design
(scipy.stats.qmc; Sobol 1967) over the log box is evaluated in one vectorised call, the best
points start L-BFGS-B (scipy.optimize.minimize), and the best optimum is kept (Raue et al. 2009).

Intervals (level 1 - alpha):

* ``profile`` (default): {theta_k : max over the others l >= l_max - chi2_1(1 - alpha)/2}
  (Venzon & Moolgavkar 1988; Raue et al. 2009, who call a profile that stays below the threshold
  up to a bound "practically non-identifiable"). A bound reached before the threshold gives an
  open end (nan) and an :class:`IdentifiabilityWarning`.
* ``bootstrap``: parametric bootstrap (Efron & Tibshirani 1993): simulate data from the fitted
  model and error model, refit, percentile interval.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.stats import chi2, qmc
from threadpoolctl import ThreadpoolController

from metacascade.errors import ScenarioError, shown
from metacascade.inference.data import ObservationData, SubjectData
from metacascade.inference.likelihood import FLOOR, ErrorModel, loglik_rows, loglik_terms
from metacascade.inference.model import (
    OBS_KEYS,
    EnginePredictor,
    ExponentialPredictor,
    field_limits,
    get_value,
    make_predictor,
)
from metacascade.options import check_int, check_level, check_number, check_seed
from metacascade.parallel import Executor, make_executor
from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]


class IdentifiabilityWarning(UserWarning):
    """A profile likelihood stays flat up to a parameter bound."""


#: Default search bounds (natural scale) of common keys; others: value * [1e-3, 1e3].
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "dissemination.mu": (1e-14, 1e2),
    "dissemination.gamma": (0.05, 1.5),
    "detection.visible_diameter_mm": (0.05, 200.0),
    "primary.rate_per_day": (1e-4, 10.0),
    "metastasis.rate_per_day": (1e-4, 10.0),
    "marker.phi": (1e-14, 1e-3),
}


@dataclass
class FitSettings:
    """How to fit: keys, bounds, error model per observable, search and interval options."""

    keys: tuple[str, ...]
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    error: dict[str, ErrorModel] = field(default_factory=dict)
    default_error: ErrorModel = field(default_factory=ErrorModel)
    obs_params: dict[str, float] = field(default_factory=dict)
    n_starts: int = 64
    n_local: int = 2
    interval: str = "profile"
    level: float = 0.95
    n_bootstrap: int = 200
    seed: int = 0
    engine: str = "auto"
    profile_points: bool = True

    def __post_init__(self) -> None:
        if not self.keys:
            raise ScenarioError("--fit: give at least one key to fit")
        if len(set(self.keys)) != len(self.keys):
            raise ScenarioError(f"--fit: repeated key in {','.join(self.keys)}")
        if self.interval not in ("profile", "bootstrap", "none"):
            raise ScenarioError(f"interval = {shown(self.interval)}: allowed profile, bootstrap, "
                                "none")
        self.level = check_level(self.level, "level")
        self.n_bootstrap = check_int("n_bootstrap", self.n_bootstrap, 1)
        self.n_starts = check_int("n_starts", self.n_starts, 1)
        self.n_local = check_int("n_local", self.n_local, 1)
        self.seed = check_seed(self.seed, "seed")
        for k, v in self.obs_params.items():
            self.obs_params[k] = check_number(k, v, gt=0.0)
        for k, (lo, hi) in self.bounds.items():
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
                raise ScenarioError(f"bounds of {k}: {lo}..{hi}; need 0 < lower < upper, "
                                    "both finite")

    def bounds_for(self, key: str, value: float) -> tuple[float, float]:
        """User bounds, else defaults clipped to the range the scenario field allows."""
        if key in self.bounds:
            return self.bounds[key]
        if key in DEFAULT_BOUNDS:
            lo, hi = DEFAULT_BOUNDS[key]
        else:
            v = abs(value) if value else 1.0
            lo, hi = v * 1e-3, v * 1e3
        flo, fhi = field_limits(key)
        return (max(lo, flo * (1 + 1e-9) if flo > 0 else lo), min(hi, fhi))

    def error_for(self, observable: str) -> ErrorModel:
        return self.error.get(observable, self.default_error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": list(self.keys),
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "error": {k: v.to_dict() for k, v in self.error.items()},
            "default_error": self.default_error.to_dict(),
            "obs_params": dict(self.obs_params),
            "n_starts": self.n_starts, "n_local": self.n_local, "interval": self.interval,
            "level": self.level, "n_bootstrap": self.n_bootstrap, "seed": self.seed,
            "engine": self.engine,
        }


_FD = 1e-6
_CONTROLLER: list[ThreadpoolController] = []


def _blas() -> ThreadpoolController:
    """A cached thread-pool controller (scanning the loaded libraries costs milliseconds)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


class Objective:
    """log-likelihood of one subject as a function of log-parameters."""

    def __init__(self, scenario: Scenario, subject: SubjectData, settings: FitSettings) -> None:
        self.subject = subject
        self.settings = settings
        self.predictor: ExponentialPredictor | EnginePredictor = make_predictor(
            scenario, subject, settings.keys, settings.obs_params, settings.engine)
        sc = self.predictor.scenario
        self.start = np.array([get_value(sc, k, settings.obs_params) for k in settings.keys])
        b = [settings.bounds_for(k, v) for k, v in zip(settings.keys, self.start, strict=True)]
        self.lo = np.log(np.array([x[0] for x in b]))
        self.hi = np.log(np.array([x[1] for x in b]))
        errs = [settings.error_for(o) for o in subject.observable]
        self.a = np.array([e.a for e in errs])
        self.b = np.array([e.b for e in errs])
        self.y = subject.value
        self.cens = subject.censored
        self.compiled = True

    @property
    def p(self) -> int:
        return len(self.settings.keys)

    def loglik(self, theta: Array) -> Array:
        """(S,) log-likelihoods of natural-scale parameter sets (S, p)."""
        f = self.predictor.predict(np.atleast_2d(theta))
        if self.compiled:
            return np.asarray(loglik_rows(self.y, f, self.a, self.b, self.cens))
        return np.asarray(loglik_terms(self.y, f, self.a, self.b, self.cens).sum(axis=1))

    def loglik_log(self, phi: Array) -> Array:
        return self.loglik(np.exp(np.atleast_2d(phi)))

    def nll(self, phi: Array) -> float:
        return -float(self.loglik(np.exp(phi)[None, :])[0])

    def nll_grad(self, phi: Array, free: Sequence[int] | None = None) -> tuple[float, Array]:
        """-l and its gradient over the ``free`` components (central differences, h = 1e-6 on
        the log scale), from one vectorised prediction call."""
        idx = list(range(self.p)) if free is None else list(free)
        k = len(idx)
        pts = np.repeat(phi[None, :], 2 * k + 1, axis=0)
        for n, j in enumerate(idx):  # steps stay inside the bounds (one-sided at a bound)
            pts[1 + n, j] = min(phi[j] + _FD, self.hi[j])
            pts[1 + k + n, j] = max(phi[j] - _FD, self.lo[j])
        v = -self.loglik(np.exp(pts))
        dx = np.array([pts[1 + n, j] - pts[1 + k + n, j] for n, j in enumerate(idx)])
        return float(v[0]), (v[1:k + 1] - v[k + 1:]) / np.where(dx > 0, dx, 1.0)

    def predict(self, theta: Array) -> Array:
        return self.predictor.predict(np.atleast_2d(theta))


@dataclass
class SubjectFit:
    """The fit of one id (natural-scale estimates; intervals nan when open)."""

    id: str
    keys: tuple[str, ...]
    estimate: Array
    lower: Array
    upper: Array
    loglik: float
    converged: bool
    n_obs: int
    fitted: Array  # predictions at the data
    cov_log: Array  # Wald covariance of log-parameters (inverse observed information)
    warnings: list[str] = field(default_factory=list)
    profiles: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    bootstrap: Array | None = None  # (B, p) natural scale
    n_evaluations: int = 0
    #: Day of the id's last observation (rows at diagnosis at the fitted diagnosis day); nan if
    #: unknown (fits written before it was recorded). Predictions start there by default.
    last_observation_day: float = math.nan

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.id}
        for j, k in enumerate(self.keys):
            row[k] = float(self.estimate[j])
            row[f"{k}_lower"] = float(self.lower[j])
            row[f"{k}_upper"] = float(self.upper[j])
        row["loglik"] = self.loglik
        row["converged"] = self.converged
        return row


def _local(obj: Objective, phi0: Array, fixed: dict[int, float] | None = None,
           ) -> tuple[Array, float, bool, int]:
    """L-BFGS-B from phi0 (log scale); ``fixed`` components stay at the given values."""
    fixed = fixed or {}
    free = [j for j in range(obj.p) if j not in fixed]
    full = np.array(phi0, dtype=np.float64)
    for j, v in fixed.items():
        full[j] = v
    if not free:
        return full, obj.nll(full), True, 1

    def f(x: Array) -> tuple[float, Array]:
        z = full.copy()
        z[free] = x
        return obj.nll_grad(z, free)

    x0 = np.clip(full[free], obj.lo[free], obj.hi[free])
    with _blas().limit(limits=1):  # BLAS threads slow L-BFGS-B down badly on a shared machine
        res = minimize(f, x0, jac=True, method="L-BFGS-B",
                       bounds=list(zip(obj.lo[free], obj.hi[free], strict=True)),
                       options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-7})
    full[free] = res.x
    return full, float(res.fun), bool(res.success), int(res.nfev)


def point_fit(obj: Objective, seed: int = 0) -> tuple[Array, float, bool, int]:
    """Multi-start maximum likelihood on the log scale: Sobol design, then L-BFGS-B from the
    ``n_local`` best design points and the scenario's own values."""
    s = obj.settings
    m = max(1, int(math.ceil(math.log2(max(s.n_starts, 2)))))
    design = qmc.Sobol(d=obj.p, scramble=True, seed=seed).random_base2(m)
    phis = obj.lo + design * (obj.hi - obj.lo)
    ll = obj.loglik_log(phis)
    order = np.argsort(-np.nan_to_num(ll, nan=-np.inf))
    starts = [phis[i] for i in order[: s.n_local]]
    starts.append(np.clip(np.log(obj.start), obj.lo, obj.hi))
    best: tuple[Array, float, bool, int] | None = None
    nfev = len(phis)
    for x0 in starts:
        phi, val, ok, n = _local(obj, x0)
        nfev += n
        if best is None or val < best[1]:
            best = (phi, val, ok, n)
    assert best is not None
    return best[0], -best[1], best[2], nfev


def hessian_log(obj: Objective, phi: Array, step: float = 1e-3) -> Array:
    """Central-difference Hessian of -l at phi (log scale), one vectorised call."""
    p = obj.p
    e = np.eye(p) * step
    pts = [phi]
    for i in range(p):
        for j in range(i, p):
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                pts.append(phi + si * e[i] + sj * e[j])
    vals = -obj.loglik_log(np.array(pts))
    h = np.zeros((p, p))
    k = 1
    for i in range(p):
        for j in range(i, p):
            fpp, fpm, fmp, fmm = vals[k:k + 4]
            k += 4
            h[i, j] = h[j, i] = (fpp - fpm - fmp + fmm) / (4 * step * step)
    return h


def _profile_side(obj: Objective, phi_hat: Array, ll_hat: float, k: int, direction: int,
                  thr: float, pts: list[tuple[float, float]], best: list[Any],
                  ) -> tuple[float, bool]:
    """Where the profile of parameter k crosses ll_hat - thr on one side (log scale)."""
    bound = obj.hi[k] if direction > 0 else obj.lo[k]
    warm = phi_hat.copy()

    def prof(v: float) -> float:
        nonlocal warm
        phi, val, _, _ = _local(obj, warm, {k: v})
        warm = phi
        pts.append((float(v), -val))
        if -val > best[0]:
            best[0], best[1] = -val, phi.copy()
        return ll_hat - (-val) - thr

    prev = float(phi_hat[k])
    g_prev = -thr
    step = 0.05
    while True:
        v = prev + direction * step
        if (v - bound) * direction >= 0:
            v = float(bound)
        g = prof(v)
        if g > 0:
            return _bracketed_root(prof, prev, g_prev, v, g), True
        if v == bound:
            return float(bound), False
        prev, g_prev = v, g
        step = min(step * 2.0, 2.0)


def _bracketed_root(fun: Callable[[float], float], a: float, fa: float, b: float, fb: float,
                    xtol: float = 1e-4, maxiter: int = 40) -> float:
    """Illinois (modified regula falsi) root of ``fun`` with fa <= 0 < fb; it keeps a bracket
    even if re-evaluations of a profile are slightly inconsistent."""
    side = 0
    for _ in range(maxiter):
        c = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
        if not (min(a, b) < c < max(a, b)):
            c = 0.5 * (a + b)
        fc = fun(c)
        if fc > 0:
            b, fb = c, fc
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            a, fa = c, fc
            if side == -1:
                fb *= 0.5
            side = -1
        if abs(b - a) < xtol or fc == 0:
            break
    return float(b - fb * (b - a) / (fb - fa)) if fb != fa else 0.5 * (a + b)


def profile_intervals(obj: Objective, phi_hat: Array, ll_hat: float, level: float,
                      best: list[Any] | None = None,
                      ) -> tuple[Array, Array, list[str], dict[str, tuple[list[float], list[float]]]]:
    """Profile-likelihood interval of every parameter; ``best`` = [ll, phi] collects the highest
    point met on the way (a better optimum than the point fit, if any)."""
    best = best if best is not None else [ll_hat, phi_hat.copy()]
    thr = float(chi2.ppf(level, 1)) / 2.0
    p = obj.p
    lower = np.full(p, np.nan)
    upper = np.full(p, np.nan)
    msgs: list[str] = []
    profiles: dict[str, tuple[list[float], list[float]]] = {}
    for k, key in enumerate(obj.settings.keys):
        pts: list[tuple[float, float]] = [(float(phi_hat[k]), ll_hat)]
        for d in (-1, 1):
            x, crossed = _profile_side(obj, phi_hat, ll_hat, k, d, thr, pts, best)
            if crossed:
                (upper if d > 0 else lower)[k] = math.exp(x)
            else:
                side = "upper" if d > 0 else "lower"
                msgs.append(f"{key}: profile likelihood flat up to the {side} bound "
                            f"{math.exp(x):.4g} (not identifiable on that side; interval open)")
        pts.sort()
        profiles[key] = ([math.exp(a) for a, _ in pts], [b for _, b in pts])
    return lower, upper, msgs, profiles


def bootstrap_intervals(obj: Objective, phi_hat: Array, level: float, n: int, seed: int,
                        ) -> tuple[Array, Array, Array]:
    rng = np.random.default_rng(seed)
    f = obj.predict(np.exp(phi_hat))[0]
    sd = np.sqrt(obj.a ** 2 + (obj.b * f) ** 2)
    y0 = obj.y.copy()
    est = np.zeros((n, obj.p))
    try:
        for r in range(n):
            obj.y = np.where(obj.cens, y0, f + sd * rng.standard_normal(f.shape))
            phi, _, _, _ = _local(obj, phi_hat)
            est[r] = np.exp(phi)
    finally:
        obj.y = y0
    alpha = 1.0 - level
    lo = np.quantile(est, alpha / 2, axis=0)
    hi = np.quantile(est, 1 - alpha / 2, axis=0)
    return lo, hi, est


def _inverse(h: Array) -> Array:
    """Inverse observed information (nan if singular or not positive)."""
    try:
        cov = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        return np.full_like(h, np.nan)
    if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
        return np.full_like(h, np.nan)
    return np.asarray(cov, dtype=np.float64)


def floor_rows(obj: Objective, theta: Array) -> list[int]:
    """CSV rows whose log-likelihood term sits at the impossible-prediction floor at ``theta``."""
    f = obj.predict(theta)
    terms = loglik_terms(obj.y, f, obj.a, obj.b, obj.cens)[0]
    return [int(r) for r, t in zip(obj.subject.row, terms, strict=True) if not t > FLOOR]


def fit_subject(scenario: Scenario, subject: SubjectData, settings: FitSettings) -> SubjectFit:
    """Maximum-likelihood fit of one id with intervals (see the module docstring)."""
    obj = Objective(scenario, subject, settings)
    phi, ll, ok, nfev = point_fit(obj, settings.seed)
    theta = np.exp(phi)
    h = hessian_log(obj, phi)
    cov = _inverse(h)
    p = obj.p
    lower = np.full(p, np.nan)
    upper = np.full(p, np.nan)
    msgs: list[str] = []
    profiles: dict[str, tuple[list[float], list[float]]] = {}
    boot = None
    if settings.interval == "profile":
        best: list[Any] = [ll, phi.copy()]
        lower, upper, msgs, profiles = profile_intervals(obj, phi, ll, settings.level, best)
        if best[0] > ll + 1e-6:
            # a profile met a better optimum: restart from it and profile again (once)
            phi2, ll2, ok2, n2 = _local(obj, best[1])
            nfev += n2
            if ll2 < best[0]:
                phi2, ll2 = best[1], best[0]
            phi, ll, ok = phi2, ll2, ok2
            theta = np.exp(phi)
            h = hessian_log(obj, phi)
            cov = _inverse(h)
            best = [ll, phi.copy()]
            lower, upper, msgs, profiles = profile_intervals(obj, phi, ll, settings.level, best)
            if best[0] > ll + 1e-6:
                msgs.append(f"profile found a higher likelihood than the optimum ({best[0]:.6g}"
                            f" > {ll:.6g}): the likelihood may be multimodal")
    elif settings.interval == "bootstrap":
        lower, upper, boot = bootstrap_intervals(obj, phi, settings.level,
                                                 settings.n_bootstrap, settings.seed + 1)
    zero = [int(r) for r, v, a, c in zip(subject.row, subject.value, obj.a, obj.cens,
                                         strict=True) if v == 0 and a == 0 and not c]
    if zero:
        ok = False
        msgs.append(f"observation(s) equal to 0 (rows {', '.join(map(str, zero))}) under a purely "
                    "proportional error model: the likelihood is unbounded as the prediction "
                    "goes to 0, so no maximum exists; mark them censored (below a detection "
                    "limit) or use a combined error model")
    if subject.n < p:
        ok = False
        msgs.append(f"only {subject.n} observation(s) for {p} fitted parameters: the estimate is "
                    "not determined by the data (not converged); fit fewer keys or add data")
    floored = floor_rows(obj, theta)
    if not np.isfinite(ll) or floored:
        ok = False
        where = f" (rows {', '.join(map(str, floored[:10]))}{' ...' if len(floored) > 10 else ''})" \
            if floored else ""
        msgs.append(f"the likelihood is at its floor ({FLOOR:g} per observation){where}: the "
                    "predictions are impossible (non-finite, or zero sd under the error model) "
                    "or incompatible with the data by far more than any error model allows, "
                    "so this is no maximum (not converged); check the data, the error model and "
                    "the fitted keys")
    at_bound = [k for j, k in enumerate(settings.keys)
                if min(phi[j] - obj.lo[j], obj.hi[j] - phi[j]) < 1e-6]
    for k in at_bound:
        msgs.append(f"{k}: estimate at a search bound")
    for m in msgs:
        warnings.warn(f"id {subject.id}: {m}", IdentifiabilityWarning, stacklevel=2)
    last = float(np.max(subject.time[np.isfinite(subject.time)], initial=-np.inf))
    if subject.at_diagnosis.any():
        last = max(last, float(obj.predictor.diagnosis_day(theta[None, :])[0]))
    return SubjectFit(
        id=subject.id, keys=settings.keys, estimate=theta, lower=lower, upper=upper,
        loglik=ll, converged=ok and np.isfinite(ll), n_obs=subject.n,
        last_observation_day=last if math.isfinite(last) else math.nan,
        fitted=obj.predict(theta)[0], cov_log=np.asarray(cov, dtype=np.float64), warnings=msgs, profiles=profiles,
        bootstrap=boot, n_evaluations=nfev)


@dataclass
class _Job:
    scenario: Scenario
    subject: SubjectData
    settings: FitSettings


def _run_job(job: _Job) -> SubjectFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentifiabilityWarning)
        return fit_subject(job.scenario, job.subject, job.settings)


def map_jobs(fn: Any, jobs: list[Any], workers: int = 1, executor: Executor | None = None,
             ) -> list[Any]:
    """``[fn(job) for job in jobs]`` on ``executor`` when given, else in a pool of ``workers``
    processes when ``workers > 1`` (the per-id fits of every method share it)."""
    if executor is not None:
        return list(executor.map(fn, jobs))
    kind = "processes" if workers > 1 and len(jobs) > 1 else "serial"
    with make_executor(kind, max(1, min(workers, len(jobs)))) as ex:
        return list(ex.map(fn, jobs))


def fit_individuals(data: ObservationData, scenario: Scenario, settings: FitSettings,
                    ids: Sequence[str] | None = None, workers: int = 1,
                    executor: Executor | None = None) -> list[SubjectFit]:
    """Fit every id separately: on ``executor`` when given, else in a pool of ``workers``
    processes (:func:`metacascade.parallel.make_executor`) when ``workers > 1``. A fit uses no
    random numbers but its own seed, so the fits do not depend on the executor (bit for bit)."""
    chosen = list(ids) if ids is not None else data.ids
    jobs = [_Job(scenario, data[i], settings) for i in chosen]
    fits = map_jobs(_run_job, jobs, workers, executor)
    for f in fits:
        for m in f.warnings:
            warnings.warn(f"id {f.id}: {m}", IdentifiabilityWarning, stacklevel=2)
    return fits


__all__ = [
    "DEFAULT_BOUNDS", "OBS_KEYS", "FitSettings", "IdentifiabilityWarning", "Objective",
    "SubjectFit", "bootstrap_intervals", "fit_individuals", "fit_subject", "hessian_log",
    "point_fit", "profile_intervals",
]
