"""Semi-automatic ABC summaries: the statistics projected on the parameters they predict.

Fearnhead & Prangle 2012 (J R Stat Soc B 74:419, "Constructing summary statistics for approximate
Bayesian computation: semi-automatic approximate Bayesian computation"): with quadratic loss the
best summary of data y for parameter theta_j is its posterior mean E[theta_j | y]. A pilot of
prior simulations estimates it by least squares on features f(y) of the raw statistics,
s_j(y) = f(y) . c_j, and ABC then runs on s(y), one number per parameter, instead of on all
raw statistics. A Euclidean distance over many raw statistics, each scaled by its spread, weighs
the statistics that carry a parameter no more than those that are mostly noise (they dilute it);
the regression weighs them by what they predict. Model indicators as targets give the estimated
posterior model probabilities as summaries for model choice (the linear version of Prangle,
Fearnhead, Cox, Biggs & French 2014, Stat Appl Genet Mol Biol 13:67).

Targets are standardised by their pilot standard deviation, so every summary is in prior-sd units
and the distance is the plain Euclidean one (fixed unit scales): a summary that predicts little
varies little and adds little to the distance. The same :class:`LinearSummary` (a fixed function
once fitted) is applied to the observed and to every simulated statistic vector
(:class:`Summarised` wraps a simulator).

``noise_sd`` is the spread of each summary around its mean given the parameters (the residual sd
of a quadratic regression of the summary on the targets over the pilot): the scale below which a
smaller ABC tolerance no longer changes the posterior (:func:`tolerance_floor`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from metacascade.inference.abc import InferenceError

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LinearSummary:
    """``summary(stats) = features(stats) @ coef``: (n, s) raw statistics -> (n, k) summaries,
    one per target ``names``; ``r2`` and ``noise_sd`` per summary from the pilot."""

    features: Callable[[Array], Array]
    coef: Array
    names: tuple[str, ...]
    r2: tuple[float, ...]
    noise_sd: tuple[float, ...]
    pilot_size: int

    def __call__(self, stats: npt.ArrayLike) -> Array:
        x = np.atleast_2d(np.asarray(stats, dtype=np.float64))
        return np.asarray(self.features(x) @ self.coef, dtype=np.float64)


@dataclass(frozen=True)
class Summarised:
    """A batched simulator followed by a summary (picklable when both are)."""

    simulate: Any
    summary: LinearSummary

    def __call__(self, theta: Array, rng: np.random.Generator) -> Array:
        return self.summary(np.asarray(self.simulate(theta, rng), dtype=np.float64))


def _quadratic(t: Array) -> Array:
    """1, t_j and the products t_i t_j (i <= j)."""
    cols = [np.ones(t.shape[0])] + [t[:, j] for j in range(t.shape[1])]
    cols += [t[:, i] * t[:, j] for i in range(t.shape[1]) for j in range(i, t.shape[1])]
    return np.column_stack(cols)


def fit_linear_summary(stats: npt.ArrayLike, targets: npt.ArrayLike,
                       features: Callable[[Array], Array],
                       names: Sequence[str]) -> LinearSummary:
    """Least-squares fit of each standardised target (column of ``targets``: the pilot's
    parameters, e.g. log10 sizes or model indicators) on ``features(stats)``; rows with a
    non-finite value are left out. Raises :class:`InferenceError` when too few rows remain."""
    s = np.atleast_2d(np.asarray(stats, dtype=np.float64))
    t = np.asarray(targets, dtype=np.float64)
    t = t[:, None] if t.ndim == 1 else t
    if t.shape[0] != s.shape[0] or t.shape[1] != len(names):
        raise InferenceError(f"fit_linear_summary: {s.shape[0]} statistic rows, targets of shape "
                             f"{t.shape} and {len(names)} names do not match")
    x = np.asarray(features(s), dtype=np.float64)
    ok = np.all(np.isfinite(x), axis=1) & np.all(np.isfinite(t), axis=1)
    if int(ok.sum()) < 2 * x.shape[1]:
        raise InferenceError(f"fit_linear_summary: {int(ok.sum())} usable pilot rows for "
                             f"{x.shape[1]} features; need at least {2 * x.shape[1]}")
    x, t = x[ok], t[ok]
    sd = t.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = (t - t.mean(axis=0)) / sd
    coef, *_ = np.linalg.lstsq(x, z, rcond=None)
    fitted = x @ coef
    r2 = 1.0 - np.var(z - fitted, axis=0) / np.maximum(np.var(z, axis=0), 1e-300)
    q = _quadratic(z)
    back, *_ = np.linalg.lstsq(q, fitted, rcond=None)
    noise = np.std(fitted - q @ back, axis=0)
    return LinearSummary(features, coef, tuple(names), tuple(float(v) for v in r2),
                         tuple(float(v) for v in noise), int(ok.sum()))


def tolerance_floor(summary: LinearSummary, inflation: float = 0.1,
                    reference: int | None = None) -> float:
    """The ABC tolerance h below which the posterior no longer changes noticeably: accepting
    simulations within a Euclidean ball of radius h around the observed summaries adds noise of
    variance h^2 / (k + 2) to each of the k summaries (uniform in the ball); it is at most
    ``inflation`` times the noise variance of summary ``reference`` (default: the smallest
    over all summaries) when h = sqrt(inflation (k + 2)) noise_sd[reference]."""
    if not 0 < inflation < 1:
        raise InferenceError(f"inflation = {inflation!r}: must be in (0, 1)")
    k = len(summary.names)
    sd = min(summary.noise_sd) if reference is None else summary.noise_sd[reference]
    return float(math.sqrt(inflation * (k + 2)) * sd)
