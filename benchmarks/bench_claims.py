"""Benchmark of the S13/S15 experiment's cohort: one vectorised ``simulate_batch`` call versus a
straightforward loop of ``simulate`` over the same virtual patients (the reference).

Prints, as the last line, one JSON object: times in ms and the speed-up; also checks that both give
the same detection day and time of the first metastasis.
"""

from __future__ import annotations

import json
import time

import numpy as np

import metacascade as mc
from metacascade.claims.s13_early_seeding import DOUBLING_DAYS, GAMMA_RANGE, MU1_RANGE


def cohort(n: int, seed: int = 0) -> list[mc.Scenario]:
    rng = np.random.default_rng(seed)
    dt = DOUBLING_DAYS["breast"] * np.exp(rng.uniform(-np.log(2), np.log(2), n))
    mu1 = np.exp(rng.uniform(np.log(MU1_RANGE[0]), np.log(MU1_RANGE[1]), n))
    gamma = rng.uniform(*GAMMA_RANGE, n)
    a = np.log(2.0) / (dt * np.log(1e3))
    return [mc.load_scenario("breast", {
        "primary.rate_per_day": float(a[i]), "dissemination.mu": float(mu1[i] * 1e9 ** (1 - gamma[i])),
        "dissemination.gamma": float(gamma[i]), "simulation.duration_days": 5000.0,
        "simulation.output_step_days": 5.0}) for i in range(n)]


def main(n: int = 40) -> dict[str, float]:
    scs = cohort(n)
    mc.simulate_batch(scs[:2])  # warm-up (numba caches, imports)
    t0 = time.perf_counter()
    _, ev = mc.simulate_batch(scs)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [mc.simulate(s).summary for s in scs]
    t_loop = time.perf_counter() - t0
    for key in ("detection_day", "first_metastasis_day"):
        a = ev[key].to_numpy(dtype=float)
        b = np.array([np.nan if r[key] is None else r[key] for r in ref], dtype=float)
        assert np.allclose(a, b, rtol=1e-9, equal_nan=True), key
    out = {"patients": n, "batch_ms": round(1e3 * t_batch, 1), "loop_ms": round(1e3 * t_loop, 1),
           "speedup": round(t_loop / t_batch, 2)}
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
