"""Organism engine: speed and accuracy against a straightforward reference implementation.

Reference (what public codes do, e.g. Benzekry et al. 2021's neuroblastoma code): a uniform time grid, the trapezoid rule for
N(t) and for the convolution M(t_k) = int d(Vp(s)) X(t_k - s) ds at every step (O(n^2)), and the
trapezoid rule for the renewal (Volterra) equation of secondary dissemination, solved step by step.
The accuracy reference for the Iwata case is that trapezoid solver at dt = 1/16 and 1/32 day,
Richardson-extrapolated (error O(dt^4)); it is independent of the engine's cohort scheme.

Targets (issue 3): 10-year daily simulation < 5 ms (autonomous growth) and < 50 ms (secondary
dissemination); Iwata with secondary dissemination to 1,500 days after diagnosis < 0.1 s at a
relative error <= 1e-5; 10,000 patients with different parameters < 10 s on 2 cores.

Run: ``python benchmarks/bench_organism.py`` (the last line is a JSON object of the figures).
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

import metacascade as mc
from metacascade._memory import keep_freed_memory
from metacascade.biology.growth import make_growth_law
from metacascade.engines.organism import patients_from_scenarios, solve


def best_ms(fn, repeat=15):
    fn()  # warm-up (numba compilation, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times)), 1e3 * float(np.min(times))


# ---- reference implementation -------------------------------------------------------------

def reference(scenario, dt, t_end, secondary):
    """Trapezoid-rule solution on a uniform grid; returns (t, N, M)."""
    p, m = scenario.primary, scenario.metastasis_growth()
    law_p = make_growth_law(p.growth, p.rate_per_day, p.carrying_capacity_cells,
                            p.power_law_exponent)
    law_m = make_growth_law(scenario.metastasis_growth_law(), m.rate_per_day,
                            m.carrying_capacity_cells, m.power_law_exponent)
    mu, gamma = scenario.dissemination.mu, scenario.dissemination.gamma
    n = int(round(t_end / dt))
    dt = t_end / n  # the grid ends exactly at t_end
    t = np.arange(n + 1) * dt
    source = mu * law_p.size(t, p.initial_cells) ** gamma
    size = law_m.size(t, m.initial_cells)  # X(age) on the same grid
    if secondary:
        kern = mu * size**gamma
        b = np.zeros(n + 1)
        b[0] = source[0]
        for k in range(1, n + 1):
            hist = 0.5 * kern[k] * b[0] + np.dot(kern[k - 1:0:-1], b[1:k])
            b[k] = (source[k] + dt * hist) / (1.0 - 0.5 * dt * kern[0])
    else:
        b = source
    big_n = np.concatenate([[0.0], np.cumsum(0.5 * dt * (b[1:] + b[:-1]))])
    big_m = np.zeros(n + 1)
    for k in range(1, n + 1):
        f = b[: k + 1] * size[k::-1]
        big_m[k] = dt * (f.sum() - 0.5 * (f[0] + f[-1]))
    return t, big_n, big_m


# ---- figures --------------------------------------------------------------------------------

def main() -> dict[str, object]:
    fig: dict[str, object] = {}
    breast = mc.load_scenario("breast", ["simulation.duration_days=3650",
                                         "treatment.resection_at_detection=false"])
    breast_sec = mc.load_scenario(breast, ["dissemination.secondary=true"])
    for label, s in (("autonomous", breast), ("secondary", breast_sec)):
        pat = patients_from_scenarios([s])
        med, best = best_ms(lambda s=s, pat=pat: solve(pat, 3650.0, 1.0,
                                                       s.dissemination.secondary))
        fig[f"breast_10y_{label}_engine_ms"] = round(med, 2)
        fig[f"breast_10y_{label}_engine_best_ms"] = round(best, 2)
        med, _ = best_ms(lambda s=s: mc.simulate(s, size_times=[]))
        fig[f"breast_10y_{label}_simulate_ms"] = round(med, 2)
        ref_ms, _ = best_ms(lambda s=s: reference(s, 1.0, 3650.0, s.dissemination.secondary),
                            repeat=3)
        fig[f"breast_10y_{label}_reference_dt1_ms"] = round(ref_ms, 1)
        fig[f"breast_10y_{label}_speedup_vs_reference"] = round(
            ref_ms / fig[f"breast_10y_{label}_engine_ms"], 1)

    # Iwata 2000 with secondary dissemination, to 1,500 days after diagnosis
    iwata = mc.load_scenario("iwata-hcc")
    t_diag = float(patients_from_scenarios([iwata]).detection_day()[0])
    t_end = t_diag + 1500.0
    pat = patients_from_scenarios([iwata])
    med, best = best_ms(lambda: solve(pat, t_end, 1.0, True).at(t_end))
    sol = solve(pat, t_end, 1.0, True)
    got = sol.at(t_end)
    fig["iwata_secondary_engine_ms"] = round(med, 2)
    fig["iwata_secondary_engine_best_ms"] = round(best, 2)
    # independent reference: trapezoid Volterra solver, Richardson-extrapolated
    dt_f, dt_c = 1 / 32, 1 / 16
    t0 = time.perf_counter()
    _, n_f, m_f = reference(iwata, dt_f, t_end, True)
    fig["iwata_reference_dt1/32_ms"] = round(1e3 * (time.perf_counter() - t0), 0)
    _, n_c, m_c = reference(iwata, dt_c, t_end, True)
    n_ref = (4 * n_f[-1] - n_c[-1]) / 3
    m_ref = (4 * m_f[-1] - m_c[-1]) / 3
    fig["iwata_N_final"] = float(got["n_metastases"][0])
    fig["iwata_N_final_reference"] = float(n_ref)
    fig["iwata_rel_error_N"] = float(abs(got["n_metastases"][0] / n_ref - 1))
    fig["iwata_rel_error_M"] = float(abs(got["metastatic_burden_cells"][0] / m_ref - 1))
    t0 = time.perf_counter()
    _, n_q, _ = reference(iwata, 0.25, t_end, True)
    fig["iwata_reference_dt0.25_ms"] = round(1e3 * (time.perf_counter() - t0), 1)
    fig["iwata_reference_dt0.25_rel_error_N"] = float(abs(n_q[-1] / n_ref - 1))

    # 10,000 patients with different parameters (log-normal mu and growth rate), 10 years daily
    rng = np.random.default_rng(2026)
    n_pat = 10_000
    mus = 1.778e-12 * np.exp(rng.normal(0, 1.0, n_pat))
    rates = 6.39e-4 * np.exp(rng.normal(0, 0.2, n_pat))
    base = mc.load_scenario("breast", ["simulation.duration_days=3650"])
    scenarios = [base.model_copy(update={
        "dissemination": base.dissemination.model_copy(update={"mu": float(m)}),
        "primary": base.primary.model_copy(update={"rate_per_day": float(r)})})
        for m, r in zip(mus, rates, strict=True)]
    mc.simulate_batch(scenarios[:300])  # warm-up
    t0 = time.perf_counter()
    mc.simulate_batch(scenarios)
    fig["batch_10000_patients_serial_s"] = round(time.perf_counter() - t0, 2)
    workers = min(2, os.cpu_count() or 1)
    runs = []
    for _ in range(2):  # forked workers write into shared memory (engines/batch.py)
        t0 = time.perf_counter()
        ds, _ev = mc.simulate_batch(scenarios, workers=workers)
        runs.append(time.perf_counter() - t0)
        del ds, _ev
    fig[f"batch_10000_patients_{workers}workers_s"] = round(min(runs), 2)
    fig[f"batch_10000_patients_{workers}workers_runs_s"] = [round(r, 2) for r in runs]
    fig["batch_speedup_workers_over_serial"] = round(
        fig["batch_10000_patients_serial_s"] / min(runs), 2)
    # the workers keep freed memory in the heap (metacascade/_memory.py); the same setting here shows
    # the per-core cost without page faults (irreversible, so measured last)
    keep_freed_memory()
    mc.simulate_batch(scenarios[:300])
    t0 = time.perf_counter()
    mc.simulate_batch(scenarios)
    fig["batch_10000_patients_serial_kept_memory_s"] = round(time.perf_counter() - t0, 2)
    fig["batch_speedup_workers_over_serial_kept_memory"] = round(
        fig["batch_10000_patients_serial_kept_memory_s"] / min(runs), 2)
    return fig


if __name__ == "__main__":
    figures = main()
    for key, value in figures.items():
        print(f"{key:45s} {value}")
    print(json.dumps(figures))
