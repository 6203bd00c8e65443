"""Overhead of the ABC-SMC machinery per particle (metacascade.inference.abc), on a cheap model.

Problem: a cheap model, Gompertz growth observed at 16 time points, log10 V(t) with
V(t) = K exp(ln(V0/K) exp(-alpha t)), V0 = 10 cells, noise N(0, 0.05) on log10 V; parameters
alpha (day^-1) ~ U(0.01, 0.5) and log10 K ~ U(2, 4); data simulated at alpha = 0.15,
log10 K = 3.0. Population 500, 6 generations, quantile alpha 0.5.

Compared in the same run:
- ours: ``abc_smc`` with the batched model (serial executor);
- a straightforward reference ABC-SMC (Beaumont 2009 weights, the same steps) that loops over
  particles in Python with a scalar model, as textbook code does;
- pyABC (``pyabc.ABCSMC``, SingleCoreSampler, adaptive MAD-scaled distance) if importable; it is
  never a dependency: install it in a scratch environment to run this side.

"Overhead" = wall time minus the time spent inside the model, per accepted particle (population
size x generations after the first) and per simulation. Last line: one JSON object (ms).
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from metacascade.inference.abc import ABCSettings, Model, Uniform, abc_smc

T = np.linspace(0.0, 45.0, 16)
V0 = 10.0
NOISE = 0.05
TRUE = (0.15, 3.0)
LOW, HIGH = np.array([0.01, 2.0]), np.array([0.5, 4.0])
N, GENERATIONS, ALPHA = 500, 6, 0.5


def gompertz_log10(alpha: np.ndarray, log10k: np.ndarray) -> np.ndarray:
    lk = log10k[:, None] * math.log(10)
    lv = lk + (math.log(V0) - lk) * np.exp(-alpha[:, None] * T[None, :])
    return lv / math.log(10)


class TimedBatchModel:
    """The batched model, timing itself (serial runs only)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t0 = time.perf_counter()
        y = gompertz_log10(theta[:, 0], theta[:, 1])
        y = y + rng.normal(0.0, NOISE, size=y.shape)
        self.seconds += time.perf_counter() - t0
        return y


class TimedScalarModel:
    """One particle per call (the reference and pyABC)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, alpha: float, log10k: float, rng: np.random.Generator) -> np.ndarray:
        t0 = time.perf_counter()
        y = gompertz_log10(np.array([alpha]), np.array([log10k]))[0]
        y = y + rng.normal(0.0, NOISE, size=y.shape)
        self.seconds += time.perf_counter() - t0
        return y


def observed() -> np.ndarray:
    rng = np.random.default_rng(20260101)
    return gompertz_log10(np.array([TRUE[0]]), np.array([TRUE[1]]))[0] + rng.normal(0, NOISE, 16)


def run_ours(obs: np.ndarray) -> dict[str, float]:
    model = TimedBatchModel()
    m = Model(model, (Uniform("alpha", 0.01, 0.5), Uniform("log10_K", 2.0, 4.0)), "gompertz")
    t0 = time.perf_counter()
    res = abc_smc(m, obs, seed=1, settings=ABCSettings(population_size=N, alpha=ALPHA,
                                                       max_generations=GENERATIONS,
                                                       batch_size=4000))
    wall = time.perf_counter() - t0
    theta, w = res.posterior()
    return _figures("ours", wall, model.seconds, res.n_simulations, len(res.history), theta, w)


def run_reference(obs: np.ndarray) -> dict[str, float]:
    """Textbook ABC-SMC: one particle at a time, the same tolerance and kernel rules."""
    model = TimedScalarModel()
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    draws = [LOW + (HIGH - LOW) * rng.random(2) for _ in range(int(N / ALPHA))]
    sims = np.array([model(a, k, rng) for a, k in draws])
    mad = stats.median_abs_deviation(sims, axis=0)
    dist = np.sqrt((((sims - obs) / mad) ** 2).sum(axis=1))
    keep = np.argsort(dist)[:N]
    theta, d, w = np.array(draws)[keep], dist[keep], np.full(N, 1.0 / N)
    n_sim, n_gen = len(draws), 1
    for _ in range(1, GENERATIONS):
        eps = float(np.quantile(d, ALPHA, weights=w, method="inverted_cdf"))
        cov = 2.0 * np.cov(theta.T, aweights=w, bias=True)
        new_t, new_d = [], []
        while len(new_t) < N:
            j = rng.choice(N, p=w)
            cand = rng.multivariate_normal(theta[j], cov)
            if np.any(cand < LOW) or np.any(cand > HIGH):
                continue
            s = model(cand[0], cand[1], rng)
            n_sim += 1
            dd = math.sqrt((((s - obs) / mad) ** 2).sum())
            if dd <= eps:
                new_t.append(cand)
                new_d.append(dd)
        new_theta = np.array(new_t)
        kern = stats.multivariate_normal(np.zeros(2), cov)
        new_w = np.array([1.0 / np.sum(w * kern.pdf(theta - x)) for x in new_theta])
        theta, d, w = new_theta, np.array(new_d), new_w / new_w.sum()
        n_gen += 1
    wall = time.perf_counter() - t0
    return _figures("reference", wall, model.seconds, n_sim, n_gen, theta, w)


def run_pyabc(obs: np.ndarray) -> dict[str, float] | None:
    try:
        import pyabc
    except ImportError:
        return None
    import logging

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    model = TimedScalarModel()
    rng = np.random.default_rng(1)

    def pyabc_model(par: dict[str, float]) -> dict[str, np.ndarray]:
        return {"y": model(par["alpha"], par["log10_K"], rng)}

    prior = pyabc.Distribution(alpha=pyabc.RV("uniform", 0.01, 0.49),
                               log10_K=pyabc.RV("uniform", 2.0, 2.0))
    abc = pyabc.ABCSMC(pyabc_model, prior,
                       distance_function=pyabc.AdaptivePNormDistance(p=2),
                       population_size=N, eps=pyabc.QuantileEpsilon(alpha=ALPHA),
                       sampler=pyabc.sampler.SingleCoreSampler())
    with tempfile.TemporaryDirectory() as tmp:
        db = "sqlite:///" + str(Path(tmp) / "abc.db")
        t0 = time.perf_counter()
        abc.new(db, {"y": obs})
        hist = abc.run(max_nr_populations=GENERATIONS)
        wall = time.perf_counter() - t0
        df, w = hist.get_distribution(m=0, t=hist.max_t)
        n_sim = int(hist.total_nr_simulations)
        n_gen = hist.max_t + 1
    theta = df[["alpha", "log10_K"]].to_numpy()
    return _figures("pyabc", wall, model.seconds, n_sim, n_gen, theta, np.asarray(w))


def _figures(name: str, wall: float, sim_seconds: float, n_sim: int, n_gen: int,
             theta: np.ndarray, w: np.ndarray) -> dict[str, float]:
    over = wall - sim_seconds
    mean = np.average(theta, axis=0, weights=w)
    return {
        f"{name}_wall_ms": round(1e3 * wall, 1),
        f"{name}_model_ms": round(1e3 * sim_seconds, 1),
        f"{name}_simulations": n_sim,
        f"{name}_generations": n_gen,
        f"{name}_overhead_per_particle_ms": round(1e3 * over / (N * n_gen), 4),
        f"{name}_overhead_per_simulation_ms": round(1e3 * over / n_sim, 5),
        f"{name}_posterior_mean_alpha": round(float(mean[0]), 4),
        f"{name}_posterior_mean_log10_K": round(float(mean[1]), 4),
    }


def main() -> None:
    obs = observed()
    out: dict[str, float | str] = {}
    run_ours(obs)  # warm-up (imports, first allocations)
    out.update(run_ours(obs))
    out.update(run_reference(obs))
    py = run_pyabc(obs)
    if py is None:
        print("pyabc not installed (install it in a scratch environment to compare)")
        out["pyabc"] = "not installed"
    else:
        out.update(py)
    ref_over = float(out["reference_overhead_per_particle_ms"])
    ours_over = float(out["ours_overhead_per_particle_ms"])
    out["reference_over_ours_overhead"] = round(ref_over / ours_over, 1)
    if py is not None:
        out["pyabc_over_ours_overhead"] = round(
            float(out["pyabc_overhead_per_particle_ms"]) / ours_over, 1)
        out["pyabc_over_ours_wall"] = round(float(out["pyabc_wall_ms"])
                                            / float(out["ours_wall_ms"]), 1)
    for k, v in out.items():
        print(f"{k:40s} {v}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
