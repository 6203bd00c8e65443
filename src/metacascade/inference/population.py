"""Population (nonlinear mixed-effects) fits with log-normal random effects.

Model: for id i, log theta_i = phi_i ~ N(m, Omega) (Omega diagonal), and the observations of i
given theta_i follow the individual model and error model of :mod:`fit` (residual error fixed).

* :func:`two_stage`: standard two-stage estimate (Sheiner & Beal 1980): m and Omega are the mean
  and (diagonal) variance of the individual log-estimates.
* :func:`saem`: the SAEM algorithm (Delyon, Lavielle & Moulines 1999; Kuhn & Lavielle 2005), as
  in Monolix/saemix: a simulation step (Metropolis-Hastings kernels per id: one independent
  draw from N(m, Omega), then component-wise random walks), a stochastic approximation of the
  sufficient statistics S1 = mean phi_i, S2 = mean phi_i^2 with step 1 for ``k1`` iterations and
  1/(k - k1) for ``k2`` more, and the M-step m = S1, Omega = S2 - m^2.
* Empirical Bayes estimates (EBE): the mode of p(phi_i | y_i; m, Omega) per id; their
  intervals are quantiles of the conditional distribution sampled by MCMC.
* The population log-likelihood is estimated by importance sampling with a normal proposal fitted
  to the conditional samples (Monolix's method; Lavielle 2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import logsumexp

from metacascade.inference.fit import Objective, SubjectFit, _blas, floor_rows

Array = npt.NDArray[np.float64]


@dataclass
class PopulationFit:
    """Population parameters on the log scale and per-id empirical Bayes estimates."""

    method: str
    keys: tuple[str, ...]
    mean_log: Array  # m
    omega: Array  # standard deviations of the random effects (log scale)
    loglik: float
    ebe: list[SubjectFit]
    two_stage_mean_log: Array
    two_stage_omega: Array
    trace: Array = field(default_factory=lambda: np.zeros((0, 0)))  # (iterations, 2p)
    n_iterations: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "loglik": self.loglik,
                               "n_iterations": self.n_iterations, "parameters": {}}
        for j, k in enumerate(self.keys):
            out["parameters"][k] = {
                "typical_value": float(math.exp(self.mean_log[j])),
                "mean_log": float(self.mean_log[j]), "omega_log_sd": float(self.omega[j]),
                "two_stage_typical_value": float(math.exp(self.two_stage_mean_log[j])),
                "two_stage_omega_log_sd": float(self.two_stage_omega[j]),
            }
        return out


def two_stage(fits: list[SubjectFit]) -> tuple[Array, Array]:
    """Mean and standard deviation of the converged individual log-estimates."""
    est = np.array([np.log(f.estimate) for f in fits if f.converged])
    if len(est) == 0:
        raise ValueError("no converged individual fit")
    sd = est.std(axis=0, ddof=1) if len(est) > 1 else np.full(est.shape[1], 0.5)
    return est.mean(axis=0), np.maximum(sd, 1e-3)


def _ll_all(objs: list[Objective], phi: Array) -> Array:
    return np.array([float(o.loglik_log(phi[i][None, :])[0]) for i, o in enumerate(objs)])


def _log_prior(phi: Array, m: Array, om: Array) -> Array:
    z = (phi - m) / om
    return np.asarray(-0.5 * np.sum(z * z, axis=-1) - np.sum(np.log(om)) -
                      0.5 * phi.shape[-1] * math.log(2 * math.pi))


def _mh_sweep(objs: list[Objective], phi: Array, ll: Array, m: Array, om: Array, scale: Array,
              rng: np.random.Generator, lo: Array, hi: Array) -> tuple[Array, Array, Array]:
    """One sweep of MH kernels for all ids; returns phi, ll and the random-walk acceptance."""
    n, p = phi.shape
    # kernel 1: independent proposal from the prior
    prop = m + om * rng.standard_normal((n, p))
    prop = np.clip(prop, lo, hi)
    llp = _ll_all(objs, prop)
    acc = np.log(rng.random(n)) < llp - ll
    phi = np.where(acc[:, None], prop, phi)
    ll = np.where(acc, llp, ll)
    # kernel 2: component-wise random walk targeting p(y|phi) p(phi)
    rw_acc = np.zeros(p)
    for j in range(p):
        prop = phi.copy()
        prop[:, j] = np.clip(phi[:, j] + scale[j] * om[j] * rng.standard_normal(n), lo[j], hi[j])
        llp = _ll_all(objs, prop)
        lr = llp + _log_prior(prop, m, om) - ll - _log_prior(phi, m, om)
        acc = np.log(rng.random(n)) < lr
        phi = np.where(acc[:, None], prop, phi)
        ll = np.where(acc, llp, ll)
        rw_acc[j] = acc.mean()
    return phi, ll, rw_acc


def saem(objs: list[Objective], fits: list[SubjectFit], k1: int = 150, k2: int = 100,
         n_samples: int = 400, seed: int = 0, level: float = 0.95) -> PopulationFit:
    """SAEM estimate of (m, Omega), EBEs with conditional intervals, IS log-likelihood."""
    rng = np.random.default_rng(seed)
    keys = fits[0].keys
    m0, om0 = two_stage(fits)
    lo, hi = objs[0].lo, objs[0].hi
    phi = np.array([np.clip(np.log(f.estimate), lo, hi) for f in fits])
    m, om = m0.copy(), np.maximum(om0, 0.1)
    ll = _ll_all(objs, phi)
    scale = np.full(len(keys), 0.5)
    s1, s2 = phi.mean(0), (phi ** 2).mean(0)
    trace = []
    with _blas().limit(limits=1):
        for k in range(k1 + k2):
            phi, ll, acc = _mh_sweep(objs, phi, ll, m, om, scale, rng, lo, hi)
            scale *= np.exp(0.4 * (acc - 0.4))  # adapt the random-walk scale
            g = 1.0 if k < k1 else 1.0 / (k - k1 + 1)
            s1 = s1 + g * (phi.mean(0) - s1)
            s2 = s2 + g * ((phi ** 2).mean(0) - s2)
            m = s1.copy()
            var = np.maximum(s2 - m * m, 1e-8)
            # simulated annealing of Omega in the exploration phase (Lavielle 2014)
            om = np.maximum(np.sqrt(var), om * 0.95) if k < k1 // 2 else np.sqrt(var)
            trace.append(np.concatenate([m, om]))
        # conditional samples per id under the final estimates
        samples = np.zeros((n_samples, len(objs), len(keys)))
        for r in range(n_samples):
            phi, ll, _ = _mh_sweep(objs, phi, ll, m, om, scale, rng, lo, hi)
            samples[r] = phi
        ebe = _ebe(objs, fits, samples, m, om, level)
        loglik = _is_loglik(objs, samples, m, om, rng)
    return PopulationFit(method="saem", keys=keys, mean_log=m, omega=om, loglik=loglik, ebe=ebe,
                         two_stage_mean_log=m0, two_stage_omega=om0, trace=np.array(trace),
                         n_iterations=k1 + k2)


def _ebe(objs: list[Objective], fits: list[SubjectFit], samples: Array, m: Array, om: Array,
         level: float) -> list[SubjectFit]:
    out = []
    a = (1 - level) / 2
    for i, (o, f) in enumerate(zip(objs, fits, strict=True)):
        def neg(x: Array, o: Objective = o) -> float:
            return -float(o.loglik_log(x[None, :])[0] + _log_prior(x, m, om))

        x0 = np.median(samples[:, i, :], axis=0)
        res = minimize(neg, x0, method="L-BFGS-B",
                       bounds=list(zip(o.lo, o.hi, strict=True)))
        theta = np.exp(res.x)
        s = samples[:, i, :]
        cov = np.atleast_2d(np.cov(s, rowvar=False))
        ll = float(o.loglik(theta[None, :])[0])
        floored = floor_rows(o, theta)
        warn = [f"the likelihood of the EBE is at its floor (rows {', '.join(map(str, floored))})"
                ": not converged"] if floored else []
        out.append(SubjectFit(
            id=f.id, keys=f.keys, estimate=theta, lower=np.exp(np.quantile(s, a, axis=0)),
            upper=np.exp(np.quantile(s, 1 - a, axis=0)),
            loglik=ll, converged=bool(res.success) and math.isfinite(ll) and not floored,
            n_obs=f.n_obs, fitted=o.predict(theta)[0], cov_log=cov,
            warnings=warn, profiles={}, bootstrap=None,
            last_observation_day=f.last_observation_day))
    return out


def _is_loglik(objs: list[Objective], samples: Array, m: Array, om: Array,
               rng: np.random.Generator, n_draws: int = 500) -> float:
    """log p(y; m, Omega) by importance sampling, proposal N(conditional mean, 2 x cov)."""
    total = 0.0
    for i, o in enumerate(objs):
        s = samples[:, i, :]
        mu = s.mean(0)
        cov = np.atleast_2d(np.cov(s, rowvar=False)) * 2.0 + np.eye(len(mu)) * 1e-8
        chol = np.linalg.cholesky(cov)
        z = rng.standard_normal((n_draws, len(mu)))
        x = mu + z @ chol.T
        logq = (-0.5 * np.sum(z * z, 1) - np.sum(np.log(np.diag(chol)))
                - 0.5 * len(mu) * math.log(2 * math.pi))
        lw = o.loglik_log(x) + _log_prior(x, m, om) - logq
        total += float(logsumexp(lw) - math.log(n_draws))
    return total
