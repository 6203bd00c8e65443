"""``metacascade.fit(..., method="abc")``: posterior samples of fitted parameters by ABC-SMC.

The same data, scenario, keys, bounds and error models as the maximum-likelihood fit
(:mod:`metacascade.inference.fit`), id by id. The simulator of one id is the likelihood model's own
prediction f(theta) (:class:`metacascade.inference.fit.Objective`) plus the error model's noise,
y = f + sd(f) eps with eps ~ N(0, 1) (:mod:`metacascade.inference.likelihood`); a left-censored
observation (true value <= y) is compared as min(y_sim, y). The prior is uniform in log theta
on the search bounds of the ML fit (the space its profile likelihood is computed in). The
distance is Euclidean in noise units: each observation divided by its error sd at the observed
value (the sd at 1 observed unit where that is 0, e.g. a zero count under a proportional error),
so the tolerance reads as "how many noise sd the simulated data may miss the observed by".

:func:`metacascade.inference.abc.abc_smc` (Beaumont et al. 2009) runs with populations of 1000,
tolerances the 0.5-quantile of the previous distances, and stops at a tolerance of 0.1 noise sd,
after 30 generations, or when the acceptance rate (predicted for the next generation) falls below
1 %. An id's estimate is the posterior median, its interval the equal-tailed credible interval
at ``level``; ``cov_log`` the posterior covariance of log theta (what ``metacascade predict``
draws from). With data that dominate the prior the credible interval approaches the profile
interval (Bernstein-von Mises); ``tests/test_fit_abc.py`` compares them on neuroblastoma ids.

Reproducible: id number i (in the order fitted) runs with the seed
``SeedSequence(seed, spawn_key=(i,))`` (first 32 bits), whatever the number of workers.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.inference.abc import (
    ABCResult,
    ABCSettings,
    InferenceError,
    LogUniform,
    Model,
    abc_smc,
)
from metacascade.inference.data import ObservationData, SubjectData
from metacascade.inference.fit import (
    FitSettings,
    IdentifiabilityWarning,
    Objective,
    SubjectFit,
    map_jobs,
)
from metacascade.inference.likelihood import sd_of
from metacascade.parallel import Executor
from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ABCFitSettings:
    """ABC-SMC settings of ``fit(method="abc")`` (module docstring); ``min_epsilon`` and the
    tolerances are in noise sd units."""

    population_size: int = 1000
    alpha: float = 0.5
    max_generations: int = 30
    min_epsilon: float = 0.1
    min_acceptance_rate: float = 0.01
    batch_size: int = 2000

    def abc_settings(self, scales: Array) -> ABCSettings:
        return ABCSettings(population_size=self.population_size, alpha=self.alpha,
                           max_generations=self.max_generations, min_epsilon=self.min_epsilon,
                           min_acceptance_rate=self.min_acceptance_rate,
                           min_epsilon_decrease=0.0, batch_size=self.batch_size,
                           predict_acceptance=True,
                           fixed_scales=tuple(float(x) for x in scales))


@dataclass
class NoisyPredictions:
    """The simulator of one id: predictions of the likelihood model plus error-model noise
    (module docstring). Picklable: the objective is rebuilt where it runs."""

    scenario: Scenario
    subject: SubjectData
    settings: FitSettings
    _objective: Objective | None = field(default=None, repr=False, compare=False)

    @property
    def objective(self) -> Objective:
        if self._objective is None:
            self._objective = Objective(self.scenario, self.subject, self.settings)
        return self._objective

    def __getstate__(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "subject": self.subject, "settings": self.settings,
                "_objective": None}

    def __call__(self, theta: Array, rng: np.random.Generator) -> Array:
        obj = self.objective
        f = obj.predict(np.atleast_2d(theta))
        sd = sd_of(f, obj.a, obj.b)
        y = f + sd * rng.standard_normal(f.shape)
        y = np.where(obj.cens, np.minimum(y, obj.y), y)
        return np.where(np.isfinite(y), y, np.nan)


def noise_scales(obj: Objective) -> Array:
    """Error sd of each observation at its observed value (at 1 unit where that sd is 0)."""
    sd = sd_of(np.abs(obj.y), obj.a, obj.b)
    one = sd_of(np.ones_like(obj.y), obj.a, obj.b)
    return np.asarray(np.where(sd > 0, sd, one), dtype=np.float64)


def _quantiles(x: Array, w: Array, qs: tuple[float, ...]) -> Array:
    return np.array([np.quantile(x, q, weights=w, method="inverted_cdf") for q in qs])


def abc_fit_subject(scenario: Scenario, subject: SubjectData, settings: FitSettings,
                    abc: ABCFitSettings | None = None, seed: int = 0,
                    ) -> tuple[SubjectFit, pd.DataFrame, ABCResult]:
    """ABC fit of one id: its :class:`SubjectFit` (posterior median, credible interval at
    ``settings.level``), the weighted posterior particles and the ABC result."""
    a = abc if abc is not None else ABCFitSettings()
    sim = NoisyPredictions(scenario, subject, settings)
    obj = sim.objective
    priors = tuple(LogUniform(k, float(math.exp(lo)), float(math.exp(hi)))
                   for k, lo, hi in zip(settings.keys, obj.lo, obj.hi, strict=True))
    res = abc_smc(Model(sim, priors, "fit"), obj.y, seed=seed,
                  settings=a.abc_settings(noise_scales(obj)))
    theta, w = res.posterior(0)
    alpha = 1.0 - settings.level
    q = np.column_stack([_quantiles(theta[:, j], w, (alpha / 2, 0.5, 1 - alpha / 2))
                         for j in range(theta.shape[1])])
    median = q[1]
    logs = np.log(theta)
    cov = np.atleast_2d(np.cov(logs.T, aweights=w, bias=True))
    msgs: list[str] = []
    if res.epsilon > 1.0:
        msgs.append(f"ABC stopped at a tolerance of {res.epsilon:.3g} noise sd "
                    f"({res.stop_reason}): the posterior is wider than the data alone imply")
    for j, k in enumerate(settings.keys):
        near = (logs[:, j] - obj.lo[j] < 0.01 * (obj.hi[j] - obj.lo[j])) | \
            (obj.hi[j] - logs[:, j] < 0.01 * (obj.hi[j] - obj.lo[j]))
        mass = float(np.sum(w[near]))
        if mass > 0.05:
            msgs.append(f"{k}: {100 * mass:.0f} % of the posterior lies at a search bound "
                        "(prior-limited; the interval depends on the bounds)")
    ll = float(obj.loglik(median[None, :])[0])
    fit = SubjectFit(
        id=subject.id, keys=settings.keys, estimate=median, lower=q[0], upper=q[2], loglik=ll,
        converged=bool(res.epsilon <= 1.0 and res.ess >= a.population_size / 4),
        n_obs=subject.n, fitted=obj.predict(median[None, :])[0],
        cov_log=np.asarray(cov, dtype=np.float64), warnings=msgs,
        n_evaluations=res.n_simulations,
        last_observation_day=_last_day(obj, subject, median))
    post = pd.DataFrame({"id": subject.id, "weight": w,
                         **{k: theta[:, j] for j, k in enumerate(settings.keys)}})
    return fit, post, res


def _last_day(obj: Objective, subject: SubjectData, theta: Array) -> float:
    last = float(np.max(subject.time[np.isfinite(subject.time)], initial=-np.inf))
    if subject.at_diagnosis.any():
        last = max(last, float(obj.predictor.diagnosis_day(theta[None, :])[0]))
    return last if math.isfinite(last) else math.nan


@dataclass
class _Job:
    scenario: Scenario
    subject: SubjectData
    settings: FitSettings
    abc: ABCFitSettings
    seed: int


def _run_job(job: _Job) -> tuple[SubjectFit, pd.DataFrame]:
    fit, post, _ = abc_fit_subject(job.scenario, job.subject, job.settings, job.abc, job.seed)
    return fit, post


def id_seed(seed: int, index: int) -> int:
    """The ABC seed of the ``index``-th id fitted."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(1)[0])


def fit_abc_individuals(data: ObservationData, scenario: Scenario, settings: FitSettings,
                        ids: list[str], abc: ABCFitSettings | None = None, workers: int = 1,
                        executor: Executor | None = None,
                        ) -> tuple[list[SubjectFit], pd.DataFrame]:
    """ABC fit of every id (on ``executor``, or in a process pool when ``workers > 1``): the
    fits and all posterior particles (``id, weight, <keys>``); each id has its own seed, so the
    result does not depend on the executor."""
    a = abc if abc is not None else ABCFitSettings()
    if not ids:
        raise InferenceError("fit(method='abc'): no ids to fit")
    jobs = [_Job(scenario, data[i], settings, a, id_seed(settings.seed, n))
            for n, i in enumerate(ids)]
    out = map_jobs(_run_job, jobs, workers, executor)
    fits = [f for f, _ in out]
    for f in fits:
        for m in f.warnings:
            warnings.warn(f"id {f.id}: {m}", IdentifiabilityWarning, stacklevel=2)
    return fits, pd.concat([p for _, p in out], ignore_index=True)
