"""ABC-SMC (population Monte Carlo) for batched simulators, with model choice.

A *model* is a batched simulator ``simulate(theta[n, p], rng) -> stats[n, s]`` plus one prior per
parameter. :func:`abc_smc` approximates the posterior ``p(m, theta | d(S(theta), S_obs) <= eps)``
by a sequence of importance-weighted populations with shrinking tolerances:

- **Generation 0** is rejection ABC: ``initial_draws`` prior draws, the ``population_size`` closest
  ones kept (Pritchard et al. 1999; Beaumont et al. 2002).
- **Generation t** resamples the previous population, perturbs each particle with a Gaussian kernel
  of twice the weighted covariance in the internal space (log for log-scale priors) and accepts
  the simulations within ``eps_t``; importance weights
  ``w = prior / sum_j W_j K(theta | theta_j)`` (Beaumont, Cornuet, Marin & Robert 2009, Biometrika
  96:983, "Adaptive approximate Bayesian computation"). Grid parameters move by a discretised
  Gaussian random walk on the grid index, truncated to the grid and renormalised.
- **Model choice** (Toni, Welch, Strelkowa, Ipsen & Stumpf 2009, J R Soc Interface 6:187): the model
  index is a particle coordinate; it stays with probability ``model_stay_probability`` and otherwise
  jumps uniformly to another model still alive; parameters are then perturbed from the chosen
  model's own population. Posterior model probabilities are the summed weights.
- **Tolerances** shrink adaptively: ``eps_t`` is the weighted ``alpha``-quantile of the previous
  generation's distances (the quantile rule used by pyABC and Drovandi & Pettitt 2011; the adaptive
  reduction of Del Moral, Doucet & Jasra 2012, Stat Comput 22:1009).
- **Distance**: Euclidean on statistics divided by their median absolute deviation over the
  generation-0 simulations; optionally re-estimated every generation from the previous generation's
  simulations (Prangle 2017, Bayesian Analysis 12:289); or divided by ``fixed_scales`` given by the
  caller (e.g. the known noise sd of each observation: the distance is then in noise units).

**Stopping rule** (checked after every generation, first match wins; the reason is recorded):
``max_generations`` populations made; ``eps <= min_epsilon``; the generation's acceptance rate below
``min_acceptance_rate``; ``max_simulations`` reached; the next tolerance would fall by less than
``min_epsilon_decrease`` (relative; not checked with ``adaptive_distance``, whose tolerances
change units between generations); with ``predict_acceptance``, the next generation's acceptance
rate extrapolated geometrically from the last two (``a_t^2 / a_(t-1)``) below
``min_acceptance_rate`` (so no generation is begun that would likely be abandoned). A generation
that needs more than ``population_size / min_acceptance_rate`` simulations (or would exceed
``max_simulations``) is abandoned and the previous population returned.

**Parallelism and reproducibility.** Candidates are made in batches of ``batch_size``. Batch ``b``
of generation ``t`` draws its proposals from ``SeedSequence(seed, spawn_key=(t, b, 0))`` and is
simulated with ``SeedSequence(seed, spawn_key=(t, b, 1))`` (the same as
``SeedSequence(seed).spawn(t + 1)[t].spawn(b + 1)[b].spawn(2)[k]``); accepted particles are taken
in batch order until the population is full. So the posterior depends on the seed, the settings and
the models only, never on the executor or its number of workers (the batch size is a setting).
Simulations run through ``executor``: anything with ``map(fn, tasks)`` (the executors of
:mod:`metacascade.parallel`) or a ``map``-like callable ``(fn, tasks) -> results``; default serial.
Models must be picklable (module-level functions or dataclass instances) for process executors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import linalg, special
from scipy.stats import median_abs_deviation

from metacascade.errors import MetacascadeError

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Simulator = Callable[[Array, np.random.Generator], Any]

_ROWS_PER_CHUNK = 4_000_000  # kernel matrix entries evaluated at once (memory bound, ~32 MB)


class InferenceError(MetacascadeError, ValueError):
    """An inference setting, prior or model output is out of range (one line, names the value)."""


# --------------------------------------------------------------------------------------- priors
class Prior(Protocol):
    """One parameter's prior. ``internal`` is the space the perturbation kernel works in."""

    @property
    def name(self) -> str: ...

    @property
    def discrete(self) -> bool: ...

    @property
    def bounds(self) -> tuple[float, float]: ...

    def sample(self, n: int, rng: np.random.Generator) -> Array: ...

    def logpdf(self, theta: npt.ArrayLike) -> Array: ...

    def to_internal(self, theta: npt.ArrayLike) -> Array: ...

    def from_internal(self, u: npt.ArrayLike) -> Array: ...

    def logpdf_internal(self, u: npt.ArrayLike) -> Array: ...


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InferenceError(f"prior name = {name!r}: must be a non-empty string")
    return name


def _finite_pair(name: str, low: float, high: float) -> tuple[float, float]:
    lo, hi = float(low), float(high)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InferenceError(f"prior {name!r}: low = {low!r}, high = {high!r}: need finite "
                             "low < high")
    return lo, hi


@dataclass(frozen=True)
class Uniform:
    """Uniform prior on ``[low, high]`` (parameter units); the kernel works on the value itself."""

    name: str
    low: float
    high: float
    discrete: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        _name(self.name)
        _finite_pair(self.name, self.low, self.high)

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        return rng.uniform(self.low, self.high, size=n)

    def logpdf(self, theta: npt.ArrayLike) -> Array:
        x = np.asarray(theta, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, -math.log(self.high - self.low), -np.inf)

    def to_internal(self, theta: npt.ArrayLike) -> Array:
        return np.asarray(theta, dtype=float)

    def from_internal(self, u: npt.ArrayLike) -> Array:
        return np.asarray(u, dtype=float)

    def logpdf_internal(self, u: npt.ArrayLike) -> Array:
        return self.logpdf(u)


@dataclass(frozen=True)
class LogUniform:
    """Prior with density proportional to 1/theta on ``[low, high]``, ``0 < low < high``
    (uniform in log theta; SCIMET's seeding size is uniform on log10, Hu et al. 2019, SCIMET).
    The kernel works on log theta."""

    name: str
    low: float
    high: float
    discrete: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        _name(self.name)
        lo, _ = _finite_pair(self.name, self.low, self.high)
        if lo <= 0:
            raise InferenceError(f"prior {self.name!r}: low = {self.low!r}: a log-uniform "
                                 "prior needs low > 0")

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    @property
    def _log_width(self) -> float:
        return math.log(self.high) - math.log(self.low)

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), size=n))

    def logpdf(self, theta: npt.ArrayLike) -> Array:
        x = np.asarray(theta, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(inside, -np.log(x) - math.log(self._log_width), -np.inf)

    def to_internal(self, theta: npt.ArrayLike) -> Array:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.asarray(theta, dtype=float))

    def from_internal(self, u: npt.ArrayLike) -> Array:
        return np.exp(np.asarray(u, dtype=float))

    def logpdf_internal(self, u: npt.ArrayLike) -> Array:
        x = np.asarray(u, dtype=float)
        inside = (x >= math.log(self.low)) & (x <= math.log(self.high))
        return np.where(inside, -math.log(self._log_width), -np.inf)


@dataclass(frozen=True)
class ScipyPrior:
    """Any frozen continuous ``scipy.stats`` distribution as a prior (e.g. ``norm(0, 2)``).

    ``log_scale=True`` (positive support only) lets the kernel work on log theta; the density in
    that space includes the Jacobian theta.
    """

    name: str
    distribution: Any
    log_scale: bool = False
    discrete: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        _name(self.name)
        if not (hasattr(self.distribution, "logpdf") and hasattr(self.distribution, "rvs")):
            raise InferenceError(f"prior {self.name!r}: distribution = {self.distribution!r}: "
                                 "need a frozen continuous scipy.stats distribution")
        if self.log_scale and self.bounds[0] < 0:
            raise InferenceError(f"prior {self.name!r}: log_scale needs a support within "
                                 f"[0, inf), got lower bound {self.bounds[0]!r}")

    @property
    def bounds(self) -> tuple[float, float]:
        lo, hi = self.distribution.support()
        return float(lo), float(hi)

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        return np.asarray(self.distribution.rvs(size=n, random_state=rng), dtype=float)

    def logpdf(self, theta: npt.ArrayLike) -> Array:
        return np.asarray(self.distribution.logpdf(np.asarray(theta, dtype=float)), dtype=float)

    def to_internal(self, theta: npt.ArrayLike) -> Array:
        x = np.asarray(theta, dtype=float)
        if not self.log_scale:
            return x
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    def from_internal(self, u: npt.ArrayLike) -> Array:
        x = np.asarray(u, dtype=float)
        return np.exp(x) if self.log_scale else x

    def logpdf_internal(self, u: npt.ArrayLike) -> Array:
        x = np.asarray(u, dtype=float)
        if not self.log_scale:
            return self.logpdf(x)
        return self.logpdf(np.exp(x)) + x


@dataclass(frozen=True)
class DiscreteGrid:
    """A prior on a finite grid of values (e.g. SCIMET's 7 seeding sizes, Hu et al. 2019, SCIMET),
    uniform unless ``probabilities`` are given. The kernel is a random walk on the grid index."""

    name: str
    values: tuple[float, ...]
    probabilities: tuple[float, ...] | None = None
    discrete: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        _name(self.name)
        v = np.asarray(self.values, dtype=float)
        if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
            raise InferenceError(f"prior {self.name!r}: values = {self.values!r}: need at least "
                                 "one finite value")
        if np.any(np.diff(v) <= 0):
            raise InferenceError(f"prior {self.name!r}: values must be strictly increasing "
                                 "(sorted, no duplicates)")
        object.__setattr__(self, "values", tuple(float(x) for x in v))
        if self.probabilities is not None:
            p = np.asarray(self.probabilities, dtype=float)
            if p.shape != v.shape or np.any(p < 0) or not np.all(np.isfinite(p)) or p.sum() <= 0:
                raise InferenceError(f"prior {self.name!r}: probabilities = "
                                     f"{self.probabilities!r}: need one value >= 0 per grid "
                                     "value, not all zero")
            object.__setattr__(self, "probabilities", tuple(float(x) for x in p / p.sum()))

    @property
    def bounds(self) -> tuple[float, float]:
        return self.values[0], self.values[-1]

    @property
    def pmf(self) -> Array:
        if self.probabilities is None:
            return np.full(len(self.values), 1.0 / len(self.values))
        return np.asarray(self.probabilities, dtype=float)

    def sample(self, n: int, rng: np.random.Generator) -> Array:
        idx = rng.choice(len(self.values), size=n, p=self.pmf)
        return np.asarray(self.values, dtype=float)[idx]

    def index(self, theta: npt.ArrayLike) -> IntArray:
        """Grid index of each value (-1 where the value is not on the grid)."""
        v = np.asarray(self.values, dtype=float)
        x = np.asarray(theta, dtype=float)
        i = np.clip(np.searchsorted(v, x), 0, v.size - 1)
        return np.where(v[i] == x, i, -1).astype(np.int64)

    def logpdf(self, theta: npt.ArrayLike) -> Array:
        return self.logpdf_internal(self.index(theta).astype(float))

    def to_internal(self, theta: npt.ArrayLike) -> Array:
        return self.index(theta).astype(float)

    def from_internal(self, u: npt.ArrayLike) -> Array:
        i = np.asarray(u, dtype=float).astype(np.int64)
        return np.asarray(self.values, dtype=float)[np.clip(i, 0, len(self.values) - 1)]

    def logpdf_internal(self, u: npt.ArrayLike) -> Array:
        x = np.asarray(u, dtype=float)
        ok = (x >= 0) & (x <= len(self.values) - 1) & (x == np.round(x))
        i = np.clip(np.nan_to_num(x, nan=0.0).astype(np.int64), 0, len(self.values) - 1)
        with np.errstate(divide="ignore"):
            lp = np.log(self.pmf)[i]
        return np.where(ok, lp, -np.inf)


# ---------------------------------------------------------------------------------------- model
@dataclass(frozen=True)
class Model:
    """A batched simulator and the priors of its parameters (in column order of ``theta``).

    ``simulate(theta, rng)`` gets ``theta`` of shape ``(n, len(priors))`` in parameter units and
    must return statistics of shape ``(n, s)``; rows that failed may be NaN (never accepted).
    """

    simulate: Simulator
    priors: tuple[Prior, ...]
    name: str = "model"

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", tuple(self.priors))
        if not callable(self.simulate):
            raise InferenceError(f"model {self.name!r}: simulate = {self.simulate!r} is not "
                                 "callable")
        names = [p.name for p in self.priors]
        if len(set(names)) != len(names):
            raise InferenceError(f"model {self.name!r}: parameter names {names} repeat")

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.priors)

    @property
    def p(self) -> int:
        return len(self.priors)


# ------------------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class ABCSettings:
    """Settings of :func:`abc_smc` (see the module docstring for the stopping rule)."""

    population_size: int = 1000
    alpha: float = 0.5
    max_generations: int = 20
    min_epsilon: float = 0.0
    min_acceptance_rate: float = 1e-3
    min_epsilon_decrease: float = 0.01
    max_simulations: int | None = None
    batch_size: int = 1000
    initial_draws: int | None = None
    adaptive_distance: bool = False
    kernel_scale: float = 2.0
    min_grid_step_sd: float = 0.5
    model_stay_probability: float = 0.7
    predict_acceptance: bool = False
    fixed_scales: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        def bad(name: str, allowed: str) -> InferenceError:
            return InferenceError(f"ABC setting {name} = {getattr(self, name)!r}: {allowed}")

        if not _is_int(self.population_size) or self.population_size < 2:
            raise bad("population_size", "must be an integer >= 2")
        if not 0 < self.alpha < 1:
            raise bad("alpha", "must be in (0, 1)")
        if not _is_int(self.max_generations) or self.max_generations < 1:
            raise bad("max_generations", "must be an integer >= 1")
        if not (math.isfinite(self.min_epsilon) and self.min_epsilon >= 0):
            raise bad("min_epsilon", "must be a finite number >= 0")
        if not 0 < self.min_acceptance_rate <= 1:
            raise bad("min_acceptance_rate", "must be in (0, 1]")
        if not 0 <= self.min_epsilon_decrease < 1:
            raise bad("min_epsilon_decrease", "must be in [0, 1)")
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise bad("batch_size", "must be an integer >= 1")
        if self.initial_draws is not None and (not _is_int(self.initial_draws)
                                               or self.initial_draws < self.population_size):
            raise bad("initial_draws", "must be an integer >= population_size (or unset)")
        if self.max_simulations is not None and (not _is_int(self.max_simulations)
                                                 or self.max_simulations < self.n_initial):
            raise bad("max_simulations", f"must be an integer >= the {self.n_initial} draws of "
                                         "generation 0 (or unset)")
        if not (math.isfinite(self.kernel_scale) and self.kernel_scale > 0):
            raise bad("kernel_scale", "must be a finite number > 0 (Beaumont 2009: 2)")
        if not (math.isfinite(self.min_grid_step_sd) and self.min_grid_step_sd > 0):
            raise bad("min_grid_step_sd", "must be a finite number > 0 (grid steps)")
        if not 0 <= self.model_stay_probability <= 1:
            raise bad("model_stay_probability", "must be in [0, 1]")
        if self.fixed_scales is not None:
            fs = np.asarray(self.fixed_scales, dtype=float)
            if fs.ndim != 1 or fs.size == 0 or not np.all(np.isfinite(fs)) or np.any(fs <= 0):
                raise bad("fixed_scales", "need one finite scale > 0 per statistic (or unset)")
            object.__setattr__(self, "fixed_scales", tuple(float(x) for x in fs))

    @property
    def n_initial(self) -> int:
        if self.initial_draws is not None:
            return int(self.initial_draws)
        return int(math.ceil(self.population_size / self.alpha))


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


# --------------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class GenerationRecord:
    """What one SMC generation did (``epsilon`` in scaled-distance units)."""

    generation: int
    epsilon: float
    n_simulations: int
    acceptance_rate: float
    ess: float
    model_probabilities: tuple[float, ...]
    seconds: float


@dataclass(frozen=True)
class ABCResult:
    """The last population: particles (model index, parameters), normalised weights, distances
    and statistics, with the history of tolerances and why the run stopped.

    ``theta`` has one column per parameter of the widest model (NaN where a model has fewer).
    """

    model_names: tuple[str, ...]
    parameter_names: tuple[tuple[str, ...], ...]
    model_index: IntArray
    theta: Array
    weights: Array
    distances: Array
    stats: Array
    observed: Array
    scales: Array
    epsilon: float
    history: tuple[GenerationRecord, ...]
    stop_reason: str
    seed: int
    settings: ABCSettings
    abandoned_simulations: int = 0

    @property
    def n_simulations(self) -> int:
        """Simulations run, including those of an abandoned last generation."""
        return int(sum(g.n_simulations for g in self.history)) + self.abandoned_simulations

    @property
    def model_probabilities(self) -> Array:
        """Posterior probability of each model (summed weights; Toni 2009)."""
        return np.bincount(self.model_index, weights=self.weights,
                           minlength=len(self.model_names)).astype(float)

    @property
    def ess(self) -> float:
        """Kish's effective sample size 1 / sum(w^2) of the whole population."""
        return float(1.0 / np.sum(self.weights ** 2))

    def _model(self, model: int | str) -> int:
        if isinstance(model, str):
            if model not in self.model_names:
                raise InferenceError(f"model = {model!r}: unknown; models are "
                                     f"{', '.join(self.model_names)}")
            return self.model_names.index(model)
        if not 0 <= int(model) < len(self.model_names):
            raise InferenceError(f"model = {model!r}: must be in 0..{len(self.model_names) - 1}")
        return int(model)

    def posterior(self, model: int | str = 0) -> tuple[Array, Array]:
        """Particles of one model (n_m, p_m) and their weights normalised within the model."""
        k = self._model(model)
        sel = self.model_index == k
        theta = self.theta[sel][:, : len(self.parameter_names[k])]
        w = self.weights[sel]
        total = w.sum()
        return theta, (w / total if total > 0 else w)

    def sample(self, n: int, rng: np.random.Generator, model: int | str | None = None) -> Array:
        """``n`` equally weighted draws (multinomial resampling) of the particles' rows."""
        if model is None:
            idx = rng.choice(self.weights.size, size=n, p=self.weights)
            return self.theta[idx]
        theta, w = self.posterior(model)
        if theta.shape[0] == 0:
            raise InferenceError(f"model = {model!r} has no particles left")
        return theta[rng.choice(w.size, size=n, p=w)]

    def to_frame(self) -> pd.DataFrame:
        """One row per particle: model, weight, distance, then every model's parameters."""
        cols: dict[str, Any] = {
            "model": [self.model_names[k] for k in self.model_index],
            "weight": self.weights, "distance": self.distances,
        }
        names: list[str] = []
        for pn in self.parameter_names:
            names += [n for n in pn if n not in names]
        for name in names:
            col = np.full(self.weights.size, np.nan)
            for k, pn in enumerate(self.parameter_names):
                if name in pn:
                    sel = self.model_index == k
                    col[sel] = self.theta[sel, pn.index(name)]
            cols[name] = col
        return pd.DataFrame(cols)


# --------------------------------------------------------------------------------- the algorithm
def mad_scales(stats: Array) -> Array:
    """Median absolute deviation of each statistic over finite rows; falls back to the standard
    deviation, then 1, where the MAD is zero (a constant statistic adds nothing to rankings)."""
    finite = np.all(np.isfinite(stats), axis=1)
    x = stats[finite]
    if x.shape[0] == 0:
        return np.ones(stats.shape[1])
    mad = np.asarray(median_abs_deviation(x, axis=0), dtype=float)
    sd = x.std(axis=0)
    return np.where(mad > 0, mad, np.where(sd > 0, sd, 1.0))


def scaled_distance(stats: Array, observed: Array, scales: Array) -> Array:
    """Euclidean distance of ``(stats - observed) / scales``; NaN rows get ``inf``."""
    d = np.sqrt(np.sum(((stats - observed) / scales) ** 2, axis=1))
    return np.where(np.isfinite(d), d, np.inf)


def _weighted_quantile(x: Array, w: Array, q: float) -> float:
    return float(np.quantile(x, q, weights=w, method="inverted_cdf"))


def _stream(seed: int, key: tuple[int, ...]) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass(frozen=True)
class _SimTask:
    simulates: tuple[Simulator, ...]
    thetas: tuple[Array, ...]
    seed: int
    key: tuple[int, ...]


def _run_sim_task(task: _SimTask) -> list[Array]:
    """Worker side: simulate each model group of one batch with the batch's own stream."""
    rng = _stream(task.seed, task.key)
    return [np.asarray(sim(th, rng), dtype=float) for sim, th in zip(task.simulates, task.thetas,
                                                                     strict=True)]


def _mapper(executor: Any) -> Callable[[Callable[[Any], Any], list[Any]], list[Any]]:
    if executor is None:
        return lambda fn, tasks: [fn(t) for t in tasks]
    if hasattr(executor, "map") and callable(executor.map):
        return lambda fn, tasks: list(executor.map(fn, tasks))
    if callable(executor):
        return lambda fn, tasks: list(executor(fn, tasks))
    raise InferenceError(f"executor = {executor!r}: need an object with map(fn, tasks) or a "
                         "map-like callable")


class _Space:
    """Conversions between parameter units and the kernel's internal space for one model."""

    def __init__(self, model: Model) -> None:
        self.priors = model.priors
        self.cont = [i for i, p in enumerate(self.priors) if not p.discrete]
        self.disc = [i for i, p in enumerate(self.priors) if p.discrete]

    def to_u(self, theta: Array) -> Array:
        return np.column_stack([p.to_internal(theta[:, i]) for i, p in enumerate(self.priors)]) \
            if self.priors else np.zeros((theta.shape[0], 0))

    def to_theta(self, u: Array) -> Array:
        return np.column_stack([p.from_internal(u[:, i]) for i, p in enumerate(self.priors)]) \
            if self.priors else np.zeros((u.shape[0], 0))

    def log_prior_u(self, u: Array) -> Array:
        out = np.zeros(u.shape[0])
        for i, p in enumerate(self.priors):
            out = out + p.logpdf_internal(u[:, i])
        return out

    def sample_prior(self, n: int, rng: np.random.Generator) -> Array:
        if not self.priors:
            return np.zeros((n, 0))
        return np.column_stack([p.sample(n, rng) for p in self.priors])


@dataclass
class _Kernel:
    """Perturbation kernel of one model built from its previous population (internal space)."""

    u: Array  # previous particles (n_k, p)
    w: Array  # their weights normalised within the model
    cont: list[int]
    disc: list[int]
    chol: Array  # Cholesky factor of the continuous covariance
    log_norm: float  # -0.5 log det(2 pi Sigma)
    grid_logk: list[Array]  # (m, m) log transition matrix per discrete parameter
    grid_cum: list[Array]  # cumulative rows for sampling
    mean: Array  # weighted mean of the continuous coordinates (for stable distances)

    @staticmethod
    def build(u: Array, w: Array, space: _Space, settings: ABCSettings) -> _Kernel:
        cont, disc = space.cont, space.disc
        if cont:
            uc = u[:, cont]
            mean = np.average(uc, axis=0, weights=w)
            cov = settings.kernel_scale * np.atleast_2d(np.cov(uc.T, aweights=w, bias=True))
            cov = _regularise(cov, [space.priors[i] for i in cont])
            chol = linalg.cholesky(cov, lower=True)
            log_norm = -float(np.sum(np.log(np.diag(chol)))) - 0.5 * len(cont) * math.log(
                2 * math.pi)
        else:
            mean, chol, log_norm = np.zeros(0), np.zeros((0, 0)), 0.0
        logk, cum = [], []
        for i in disc:
            prior = space.priors[i]
            assert isinstance(prior, DiscreteGrid)
            m = len(prior.values)
            var = float(np.average((u[:, i] - np.average(u[:, i], weights=w)) ** 2, weights=w))
            sd = max(math.sqrt(settings.kernel_scale * var), settings.min_grid_step_sd)
            steps = np.arange(m)
            k = np.exp(-0.5 * ((steps[None, :] - steps[:, None]) / sd) ** 2)
            k /= k.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore"):
                logk.append(np.log(k))
            cum.append(np.cumsum(k, axis=1))
        return _Kernel(u, w, cont, disc, chol, log_norm, logk, cum, mean)

    def perturb(self, ancestors: IntArray, rng: np.random.Generator) -> Array:
        out = self.u[ancestors].copy()
        n = ancestors.size
        if self.cont:
            z = rng.standard_normal((n, len(self.cont)))
            out[:, self.cont] += z @ self.chol.T
        for j, i in enumerate(self.disc):
            cum = self.grid_cum[j][out[:, i].astype(np.int64)]
            r = rng.random(n)
            out[:, i] = np.minimum((cum < r[:, None]).sum(axis=1), cum.shape[1] - 1)
        return out

    def log_density(self, u_new: Array) -> Array:
        """log sum_j w_j K(u_new | u_j), chunked so the (new x old) matrix stays small."""
        n_new, n_old = u_new.shape[0], self.u.shape[0]
        out = np.empty(n_new)
        logw = np.log(self.w)
        if self.cont:
            v_old = linalg.solve_triangular(self.chol, (self.u[:, self.cont] - self.mean).T,
                                            lower=True).T
            v_new = linalg.solve_triangular(self.chol, (u_new[:, self.cont] - self.mean).T,
                                            lower=True).T
        step = max(1, _ROWS_PER_CHUNK // max(n_old, 1))
        old_idx = [self.u[:, i].astype(np.int64) for i in self.disc]
        for a in range(0, n_new, step):
            b = min(a + step, n_new)
            lk = np.broadcast_to(logw, (b - a, n_old)).copy()
            if self.cont:
                diff = v_new[a:b, None, :] - v_old[None, :, :]
                lk += self.log_norm - 0.5 * np.einsum("ijk,ijk->ij", diff, diff)
            for j, i in enumerate(self.disc):
                new_idx = u_new[a:b, i].astype(np.int64)
                lk += self.grid_logk[j][old_idx[j][None, :], new_idx[:, None]]
            out[a:b] = special.logsumexp(lk, axis=1)
        return out


def _regularise(cov: Array, priors: Sequence[Prior]) -> Array:
    """Keep the kernel covariance positive definite when particles have collapsed."""
    d = np.diag(cov).copy()
    floor = np.empty_like(d)
    for j, prior in enumerate(priors):
        lo, hi = prior.bounds
        ulo, uhi = prior.to_internal(np.array([lo, hi]))
        width = float(uhi - ulo)
        floor[j] = (1e-6 * width) ** 2 if math.isfinite(width) and width > 0 else 1e-12
    bump = np.maximum(1e-9 * d, floor)
    return cov + np.diag(bump)


@dataclass
class _Population:
    model_index: IntArray
    u: Array  # internal coordinates, padded with NaN (n, p_max)
    theta: Array
    weights: Array
    distances: Array
    stats: Array
    acceptance_rate: float = 0.5


@dataclass
class _Candidates:
    model_index: IntArray
    u: Array
    theta: Array


def _check_models(models: Model | Sequence[Model]) -> tuple[Model, ...]:
    seq = (models,) if isinstance(models, Model) else tuple(models)
    if not seq:
        raise InferenceError("models: need at least one Model")
    for m in seq:
        if not isinstance(m, Model):
            raise InferenceError(f"models: {m!r} is not a metacascade.inference.abc.Model")
    names = [m.name for m in seq]
    if len(set(names)) != len(names):
        raise InferenceError(f"models: names {names} repeat; give each model its own name")
    return seq


def _check_model_prior(model_prior: Sequence[float] | None, m: int) -> Array:
    if model_prior is None:
        return np.full(m, 1.0 / m)
    p = np.asarray(model_prior, dtype=float)
    if p.shape != (m,) or np.any(p < 0) or not np.all(np.isfinite(p)) or p.sum() <= 0:
        raise InferenceError(f"model_prior = {list(model_prior)!r}: need {m} values >= 0, "
                             "not all zero")
    return p / p.sum()


def _check_observed(observed: npt.ArrayLike) -> Array:
    obs = np.asarray(observed, dtype=float)
    if obs.ndim != 1 or obs.size == 0 or not np.all(np.isfinite(obs)):
        raise InferenceError(f"observed = {np.asarray(observed).tolist()!r}: need a 1-D vector "
                             "of finite summary statistics")
    return obs


class _Sampler:
    """State shared by the generations of one run."""

    def __init__(self, models: tuple[Model, ...], observed: Array, seed: int,
                 settings: ABCSettings, executor: Any, model_prior: Array) -> None:
        self.models = models
        self.spaces = [_Space(m) for m in models]
        self.observed = observed
        self.seed = seed
        self.s = settings
        self.map = _mapper(executor)
        self.log_model_prior = np.log(np.where(model_prior > 0, model_prior, 1e-300))
        self.model_prior = model_prior
        self.p_max = max(m.p for m in models)
        self.scales = np.ones(observed.size)

    def prior_candidates(self, n: int, rng: np.random.Generator) -> _Candidates:
        m_idx = rng.choice(len(self.models), size=n, p=self.model_prior).astype(np.int64)
        theta = np.full((n, self.p_max), np.nan)
        u = np.full((n, self.p_max), np.nan)
        for k, space in enumerate(self.spaces):
            sel = np.flatnonzero(m_idx == k)
            if sel.size == 0 or not space.priors:
                continue
            th = space.sample_prior(sel.size, rng)
            p = th.shape[1]
            theta[sel, :p] = th
            u[sel, :p] = space.to_u(th)
        return _Candidates(m_idx, u, theta)

    def perturbed_candidates(self, n: int, rng: np.random.Generator, prev: _Population,
                             kernels: list[_Kernel | None], p_prev: Array) -> _Candidates:
        alive = p_prev > 0
        n_alive = int(alive.sum())
        start = rng.choice(len(self.models), size=n, p=p_prev).astype(np.int64)
        m_idx = start.copy()
        if n_alive > 1:
            jump = rng.random(n) >= self.s.model_stay_probability
            alive_idx = np.flatnonzero(alive)
            # uniform over the other alive models: draw among n_alive - 1 and skip the start
            pos = np.searchsorted(alive_idx, start)
            r = rng.integers(0, n_alive - 1, size=n)
            r = np.where(r >= pos, r + 1, r)
            m_idx = np.where(jump, alive_idx[np.minimum(r, n_alive - 1)], start)
        theta = np.full((n, self.p_max), np.nan)
        u = np.full((n, self.p_max), np.nan)
        for k, space in enumerate(self.spaces):
            sel = np.flatnonzero(m_idx == k)
            kern = kernels[k]
            if sel.size == 0 or kern is None or not space.priors:
                continue
            anc = rng.choice(kern.w.size, size=sel.size, p=kern.w)
            uk = kern.perturb(anc, rng)
            p = uk.shape[1]
            u[sel, :p] = uk
            theta[sel, :p] = space.to_theta(uk)
        return _Candidates(m_idx, u, theta)

    def log_prior(self, cand: _Candidates) -> Array:
        out = self.log_model_prior[cand.model_index].copy()
        out[self.model_prior[cand.model_index] <= 0] = -np.inf
        for k, space in enumerate(self.spaces):
            sel = np.flatnonzero(cand.model_index == k)
            if sel.size and space.priors:
                out[sel] += space.log_prior_u(cand.u[sel, : len(space.priors)])
        return out

    # -- simulation
    def simulate(self, cands: list[_Candidates], generation: int, first_batch: int) -> list[Array]:
        tasks = []
        for j, c in enumerate(cands):
            ks = [k for k in range(len(self.models)) if np.any(c.model_index == k)]
            tasks.append(_SimTask(
                simulates=tuple(self.models[k].simulate for k in ks),
                thetas=tuple(c.theta[c.model_index == k][:, : self.models[k].p] for k in ks),
                seed=self.seed, key=(generation, first_batch + j, 1)))
        results = self.map(_run_sim_task, tasks)
        out = []
        for c, res in zip(cands, results, strict=True):
            n = c.model_index.size
            stats = np.full((n, self.observed.size), np.nan)
            ks = [k for k in range(len(self.models)) if np.any(c.model_index == k)]
            for k, st in zip(ks, res, strict=True):
                sel = c.model_index == k
                if st.ndim == 1 and self.observed.size == 1:
                    st = st[:, None]
                if st.shape != (int(sel.sum()), self.observed.size):
                    raise InferenceError(
                        f"model {self.models[k].name!r}: simulate returned shape {st.shape}, "
                        f"expected ({int(sel.sum())}, {self.observed.size}) (one row per "
                        "parameter row, one column per observed statistic)")
                stats[sel] = st
            out.append(stats)
        return out


def _concat(cands: list[_Candidates]) -> _Candidates:
    return _Candidates(np.concatenate([c.model_index for c in cands]),
                       np.concatenate([c.u for c in cands]),
                       np.concatenate([c.theta for c in cands]))


def _take(c: _Candidates, idx: IntArray) -> _Candidates:
    return _Candidates(c.model_index[idx], c.u[idx], c.theta[idx])


def abc_smc(
    models: Model | Sequence[Model],
    observed: npt.ArrayLike,
    *,
    seed: int,
    settings: ABCSettings | None = None,
    executor: Any = None,
    model_prior: Sequence[float] | None = None,
    progress: Callable[[GenerationRecord], None] | None = None,
) -> ABCResult:
    """Run ABC-SMC (with model choice when several models are given) and return the last
    population. See the module docstring for the algorithm, the stopping rule and the seeds."""
    s = settings if settings is not None else ABCSettings()
    if not isinstance(s, ABCSettings):
        raise InferenceError(f"settings = {s!r}: need an ABCSettings")
    if not _is_int(seed) or seed < 0:
        raise InferenceError(f"seed = {seed!r}: must be an integer >= 0")
    seq = _check_models(models)
    obs = _check_observed(observed)
    sampler = _Sampler(seq, obs, int(seed), s, executor, _check_model_prior(model_prior, len(seq)))
    history: list[GenerationRecord] = []
    abandoned = 0

    # generation 0: rejection from the prior, keep the population_size closest
    t0 = time.perf_counter()
    n0 = s.n_initial
    cands, stats_list = [], []
    for b, (a, e) in enumerate(_ranges(n0, s.batch_size)):
        cands.append(sampler.prior_candidates(e - a, _stream(sampler.seed, (0, b, 0))))
    for a in range(0, len(cands), _ROUND_BATCHES):
        stats_list += sampler.simulate(cands[a:a + _ROUND_BATCHES], 0, a)
    allc, stats = _concat(cands), np.concatenate(stats_list)
    if s.fixed_scales is not None:
        if len(s.fixed_scales) != obs.size:
            raise InferenceError(f"ABC setting fixed_scales: {len(s.fixed_scales)} scales for "
                                 f"{obs.size} statistics")
        scales = np.asarray(s.fixed_scales, dtype=float)
    else:
        scales = mad_scales(stats)
    sampler.scales = scales
    dist = scaled_distance(stats, obs, scales)
    n_finite = int(np.isfinite(dist).sum())
    if n_finite < s.population_size:
        raise InferenceError(f"generation 0: only {n_finite} of {n0} simulations gave finite "
                             f"statistics; need population_size = {s.population_size}")
    keep = np.argsort(dist, kind="stable")[: s.population_size]
    eps = float(dist[keep[-1]])
    pop = _Population(allc.model_index[keep], allc.u[keep], allc.theta[keep],
                      np.full(s.population_size, 1.0 / s.population_size), dist[keep],
                      stats[keep], s.population_size / n0)
    last_stats = stats
    history.append(_record(0, eps, n0, s.population_size / n0, pop, len(seq), t0))
    if progress is not None:
        progress(history[-1])
    total = n0
    reason = ""

    for t in range(1, s.max_generations + 1):
        reason = _stop_reason(s, t, eps, history[-1].acceptance_rate, total)
        if not reason and s.predict_acceptance and len(history) >= 2:
            a1, a0 = history[-1].acceptance_rate, history[-2].acceptance_rate
            if a0 > 0 and a1 * a1 / a0 < s.min_acceptance_rate:
                reason = (f"predicted acceptance rate {a1 * a1 / a0:.3g} (from {a0:.3g}, "
                          f"{a1:.3g}) < min_acceptance_rate = {s.min_acceptance_rate:g}")
        if reason:
            break
        if s.adaptive_distance and s.fixed_scales is None:
            scales = mad_scales(last_stats)
            sampler.scales = scales
            pop.distances = scaled_distance(pop.stats, obs, scales)
        new_eps = _weighted_quantile(pop.distances, pop.weights, s.alpha)
        if eps > 0 and math.isfinite(eps) and (eps - new_eps) / eps < s.min_epsilon_decrease \
                and not (s.adaptive_distance and s.fixed_scales is None):
            reason = (f"the tolerance would fall by less than {100 * s.min_epsilon_decrease:g} % "
                      f"({eps:.4g} -> {new_eps:.4g})")
            break
        t0 = time.perf_counter()
        res = _generation(sampler, pop, t, new_eps, total)
        if isinstance(res, _Abandoned):
            reason, abandoned = res.reason, res.n_simulations
            break
        pop, n_sim, last_stats = res
        eps = new_eps
        total += n_sim
        history.append(_record(t, eps, n_sim, s.population_size / n_sim, pop, len(seq), t0))
        if progress is not None:
            progress(history[-1])
    else:  # pragma: no cover - the loop always breaks through _stop_reason at max_generations
        reason = f"max_generations = {s.max_generations} reached"

    return ABCResult(
        model_names=tuple(m.name for m in seq),
        parameter_names=tuple(m.parameter_names for m in seq),
        model_index=pop.model_index, theta=pop.theta, weights=pop.weights,
        distances=pop.distances, stats=pop.stats, observed=obs, scales=scales, epsilon=eps,
        history=tuple(history), stop_reason=reason, seed=int(seed), settings=s,
        abandoned_simulations=abandoned)


_ROUND_BATCHES = 8  # batches handed to the executor at once (does not change the result)


def _ranges(n: int, size: int) -> list[tuple[int, int]]:
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _stop_reason(s: ABCSettings, t: int, eps: float, acc: float, total: int) -> str:
    if t >= s.max_generations:
        return f"max_generations = {s.max_generations} reached"
    if eps <= s.min_epsilon:
        return f"tolerance {eps:.4g} <= min_epsilon = {s.min_epsilon:g}"
    if acc < s.min_acceptance_rate:
        return f"acceptance rate {acc:.3g} < min_acceptance_rate = {s.min_acceptance_rate:g}"
    if s.max_simulations is not None and total >= s.max_simulations:
        return f"max_simulations = {s.max_simulations} reached"
    return ""


def _record(t: int, eps: float, n_sim: int, acc: float, pop: _Population, m: int,
            t0: float) -> GenerationRecord:
    probs = np.bincount(pop.model_index, weights=pop.weights, minlength=m)
    return GenerationRecord(t, eps, int(n_sim), float(acc), float(1.0 / np.sum(pop.weights ** 2)),
                            tuple(float(x) for x in probs), time.perf_counter() - t0)


@dataclass(frozen=True)
class _Abandoned:
    reason: str
    n_simulations: int


def _generation(sampler: _Sampler, prev: _Population, t: int, eps: float,
                total_before: int) -> tuple[_Population, int, Array] | _Abandoned:
    """One SMC generation at tolerance ``eps`` (population, simulations, statistics for the next
    scales), or why it was abandoned."""
    s = sampler.s
    m = len(sampler.models)
    p_prev = np.bincount(prev.model_index, weights=prev.weights, minlength=m).astype(float)
    p_prev /= p_prev.sum()
    kernels: list[_Kernel | None] = []
    for k, space in enumerate(sampler.spaces):
        sel = prev.model_index == k
        if not sel.any():
            kernels.append(None)
            continue
        w = prev.weights[sel] / prev.weights[sel].sum()
        kernels.append(_Kernel.build(prev.u[sel][:, : len(space.priors)], w, space, s))

    limit = int(math.ceil(s.population_size / s.min_acceptance_rate))
    accepted: list[_Candidates] = []
    acc_dist: list[Array] = []
    acc_stats: list[Array] = []
    kept_stats: list[Array] = []  # simulations of this generation, for adaptive scales
    n_acc = n_sim = 0
    b = 0
    rate = max(prev.acceptance_rate, 1e-3)
    while n_acc < s.population_size:
        need = s.population_size - n_acc
        n_batches = int(min(_ROUND_BATCHES, max(1, math.ceil(need / (rate * s.batch_size)))))
        if s.max_simulations is not None:  # never start more than the budget allows
            room = (s.max_simulations - total_before - n_sim) // s.batch_size
            if room < 1:
                return _Abandoned(f"max_simulations = {s.max_simulations} reached during "
                                  f"generation {t}", n_sim)
            n_batches = min(n_batches, room)
        cands = []
        for j in range(n_batches):
            rng = _stream(sampler.seed, (t, b + j, 0))
            c = sampler.perturbed_candidates(s.batch_size, rng, prev, kernels, p_prev)
            lp = sampler.log_prior(c)
            cands.append(_take(c, np.flatnonzero(np.isfinite(lp))))
        stats = sampler.simulate(cands, t, b)
        b += n_batches
        for c, st in zip(cands, stats, strict=True):
            d = scaled_distance(st, sampler.observed, sampler.scales)
            ok = np.flatnonzero(d <= eps)
            accepted.append(_take(c, ok))
            acc_dist.append(d[ok])
            acc_stats.append(st[ok])
            if s.adaptive_distance and sum(x.shape[0] for x in kept_stats) < 20 * s.population_size:
                kept_stats.append(st)
            n_sim += c.model_index.size
            n_acc += ok.size
        rate = max(n_acc / max(n_sim, 1), 1e-3)
        if n_acc < s.population_size and n_sim > limit:
            return _Abandoned(f"generation {t} abandoned: acceptance rate below "
                              f"min_acceptance_rate = {s.min_acceptance_rate:g} ({n_acc} accepted "
                              f"of {n_sim})", n_sim)
    allc = _concat(accepted)
    first = np.arange(s.population_size)
    c = _take(allc, first)
    dist = np.concatenate(acc_dist)[first]
    stats_acc = np.concatenate(acc_stats)[first]

    # importance weights: prior / proposal (model kernel x parameter kernel), Toni 2009 / Beaumont
    log_prior = sampler.log_prior(c)
    log_q = np.empty(s.population_size)
    stay = s.model_stay_probability
    alive = p_prev > 0
    n_alive = int(alive.sum())
    km = np.where(np.eye(m, dtype=bool), stay if n_alive > 1 else 1.0,
                  (1 - stay) / max(n_alive - 1, 1))
    km = km * alive[None, :] * alive[:, None]  # km[from, to]
    q_model = p_prev @ km  # probability of proposing each model
    for k, space in enumerate(sampler.spaces):
        sel = np.flatnonzero(c.model_index == k)
        if sel.size == 0:
            continue
        kern = kernels[k]
        lq = np.full(sel.size, math.log(q_model[k]))
        if kern is not None and space.priors:
            lq += kern.log_density(c.u[sel, : len(space.priors)])
        log_q[sel] = lq
    logw = log_prior - log_q
    w = np.exp(logw - logw.max())
    w /= w.sum()
    last = np.concatenate(kept_stats) if kept_stats else stats_acc
    pop = _Population(c.model_index, c.u, c.theta, w, dist, stats_acc,
                      s.population_size / n_sim)
    return pop, n_sim, last


# ---------------------------------------------------------------------- posterior predictive
@dataclass(frozen=True)
class PredictiveCheck:
    """Statistics simulated from posterior draws, beside the observed ones."""

    statistics: Array  # (n, s)
    model_index: IntArray
    observed: Array
    statistic_names: tuple[str, ...]

    @property
    def quantile_of_observed(self) -> Array:
        """Where the observed value falls in each statistic's predictive distribution (mid-p:
        P(sim < obs) + P(sim = obs)/2; near 0 or 1 flags a statistic the model misses)."""
        x = self.statistics
        return np.mean(x < self.observed, axis=0) + 0.5 * np.mean(x == self.observed, axis=0)

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: observed, predictive median and 95 % interval, mid-p."""
        q = np.nanquantile(self.statistics, [0.025, 0.5, 0.975], axis=0)
        return pd.DataFrame({
            "statistic": list(self.statistic_names), "observed": self.observed,
            "predictive_median": q[1], "predictive_lower": q[0], "predictive_upper": q[2],
            "quantile_of_observed": self.quantile_of_observed,
        })


def posterior_predictive(
    result: ABCResult,
    models: Model | Sequence[Model],
    n: int = 1000,
    *,
    seed: int = 0,
    executor: Any = None,
    statistic_names: Iterable[str] | None = None,
    batch_size: int | None = None,
) -> PredictiveCheck:
    """Simulate ``n`` statistic vectors from particles resampled by weight (posterior predictive
    check; Gelman, Meng & Stern 1996). Streams: resampling ``(seed, (0,))``, batch ``b``
    simulated with ``(seed, (1, b))``, so the check is reproducible on any executor."""
    seq = _check_models(models)
    if tuple(m.name for m in seq) != result.model_names:
        raise InferenceError(f"models {[m.name for m in seq]} do not match the result's "
                             f"{list(result.model_names)}")
    if not _is_int(n) or n < 1:
        raise InferenceError(f"n = {n!r}: must be an integer >= 1")
    rng = _stream(seed, (0,))
    idx = rng.choice(result.weights.size, size=n, p=result.weights)
    m_idx, theta = result.model_index[idx], result.theta[idx]
    size = batch_size or result.settings.batch_size
    tasks = []
    spans = _ranges(n, size)
    for b, (a, e) in enumerate(spans):
        ks = [k for k in range(len(seq)) if np.any(m_idx[a:e] == k)]
        tasks.append(_SimTask(tuple(seq[k].simulate for k in ks),
                              tuple(theta[a:e][m_idx[a:e] == k][:, : seq[k].p] for k in ks),
                              int(seed), (1, b)))
    res = _mapper(executor)(_run_sim_task, tasks)
    stats = np.full((n, result.observed.size), np.nan)
    for (a, e), task_res in zip(spans, res, strict=True):
        ks = [k for k in range(len(seq)) if np.any(m_idx[a:e] == k)]
        block = stats[a:e]
        for k, st in zip(ks, task_res, strict=True):
            block[m_idx[a:e] == k] = st
    names = tuple(statistic_names) if statistic_names is not None else tuple(
        f"S{i + 1}" for i in range(result.observed.size))
    if len(names) != result.observed.size:
        raise InferenceError(f"statistic_names: {len(names)} names for "
                             f"{result.observed.size} statistics")
    return PredictiveCheck(stats, m_idx, result.observed, names)


@dataclass(frozen=True)
class PriorSimulations:
    """Simulations from the prior (a pilot or reference table): model index, parameters (one
    column per parameter of the widest model, NaN where a model has fewer) and statistics."""

    model_index: IntArray
    theta: Array
    stats: Array


def simulate_prior(models: Model | Sequence[Model], n: int, *, seed: int, executor: Any = None,
                   batch_size: int = 1000,
                   model_prior: Sequence[float] | None = None) -> PriorSimulations:
    """``n`` prior draws (model uniform or ``model_prior``, then its priors) and their statistics,
    e.g. the pilot of a semi-automatic summary (Fearnhead & Prangle 2012). Batch ``b`` draws from
    ``SeedSequence(seed, spawn_key=(b, 0))`` and simulates with ``(b, 1)``: the same table on any
    executor and worker count (the batch size is part of the result)."""
    seq = _check_models(models)
    if not _is_int(n) or n < 1:
        raise InferenceError(f"n = {n!r}: the number of prior simulations must be an integer >= 1")
    if not _is_int(batch_size) or batch_size < 1:
        raise InferenceError(f"batch_size = {batch_size!r}: must be an integer >= 1")
    probe = _check_observed(np.zeros(1))
    sampler = _Sampler(seq, probe, int(seed), ABCSettings(population_size=2), executor,
                       _check_model_prior(model_prior, len(seq)))
    cands = [sampler.prior_candidates(e - a, _stream(int(seed), (b, 0)))
             for b, (a, e) in enumerate(_ranges(n, batch_size))]
    tasks = []
    for b, c in enumerate(cands):
        ks = [k for k in range(len(seq)) if np.any(c.model_index == k)]
        tasks.append(_SimTask(tuple(seq[k].simulate for k in ks),
                              tuple(c.theta[c.model_index == k][:, : seq[k].p] for k in ks),
                              int(seed), (b, 1)))
    res = _mapper(executor)(_run_sim_task, tasks)
    blocks = []
    for c, task_res in zip(cands, res, strict=True):
        ks = [k for k in range(len(seq)) if np.any(c.model_index == k)]
        width = max((st.reshape(st.shape[0], -1).shape[1] for st in task_res), default=1)
        block = np.full((c.model_index.size, width), np.nan)
        for k, st in zip(ks, task_res, strict=True):
            block[c.model_index == k] = st.reshape(st.shape[0], -1)
        blocks.append(block)
    allc = _concat(cands)
    return PriorSimulations(allc.model_index, allc.theta, np.concatenate(blocks))
