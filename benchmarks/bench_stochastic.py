"""Cell-scale engine (issue 15): speed of stochastic patients, exact Gillespie and ABC pairs.

Figures and targets:
- one patient of the ``breast`` scenario grown from one cell to 1e9 primary cells (resected at
  detection, 1e9 cells), with clones, neutral mutations (0.3 per daughter cell) and its metastases
  (mu = 1e-10): < 1 s;
- 1,000 such patients on 2 worker processes (``parallel.make_executor("processes")``, one
  ``SeedSequence`` child per patient): < 2 minutes;
- exact Gillespie (one clone, b = 1, d = 0.7, all exact) to 1e5 cells (the size of the engine's
  exact regime) and to 1e7 cells (a 40 MB label array: memory-bound): >= 1e7 events per second;
  the same with neutral mutations recorded as clones (mu = 0.3, to 1e5 cells);
- the straightforward reference: a per-event Python Gillespie with numpy random numbers (the
  textbook loop) on the same process, to 1e5 cells, in the same run;
- the batched ABC entry point: primary-metastasis pairs (exome mu = 0.3, beta = 0.3, 1e9 cells
  each, seeding at 1e5 and at 1e8 cells) with their summary statistics, per pair.

Events of a run from 1 to N cells are counted as (N - 1)(b + d)/(b - d), the expected number
(births - deaths = N - 1, births/deaths = b/d). Run: ``python benchmarks/bench_stochastic.py``
(the last line is a JSON object of the figures; times in ms).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from metacascade.analysis.sequencing import pair_summary_statistics
from metacascade.biology.growth import Exponential
from metacascade.engines.evolution import simulate_pairs
from metacascade.engines.stochastic import (
    CellScaleParameters,
    cell_scale_parameters,
    simulate_patient,
)
from metacascade.parallel import batches, make_executor
from metacascade.scenario import load_scenario
from metacascade.streams import patient_stream

SEED = 2026
N_PATIENTS = 1000
BATCH = 25


def breast_params() -> CellScaleParameters:
    sc = load_scenario("breast", ["detection.primary_cells=1e9",
                                  "treatment.resection_at_detection=true",
                                  "simulation.duration_days=4000", "dissemination.mu=1e-10"])
    return cell_scale_parameters(sc)


def run_batch(span: tuple[int, int]) -> list[tuple[float, int, int]]:
    """Patients ``span[0] .. span[1] - 1``: (primary cells at resection, clones, metastases)."""
    p = breast_params()
    out = []
    for i in range(*span):  # one patient per stream
        pt = simulate_patient(p, patient_stream(SEED, i))
        out.append((pt.site_cells()["primary"], len(pt.clones), len(pt.metastases)))
    return out


def reference_gillespie(n_stop: int, rng: np.random.Generator, b: float = 1.0,
                        d: float = 0.7) -> tuple[int, float]:
    """Textbook per-event Gillespie of one birth-death population (Python loop, numpy draws)."""
    n, t, events = 1, 0.0, 0
    while 0 < n < n_stop:
        t += rng.exponential(1.0 / (n * (b + d)))
        n += 1 if rng.random() < b / (b + d) else -1
        events += 1
    return n, t


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1e3


def exact_events_per_s(n_stop: float, mu: float) -> float:
    law = Exponential(0.3)
    p = CellScaleParameters(primary_law=law, metastasis_law=law, beta=0.3, mutation_rate=mu,
                            seeding_rate=0.0, duration_days=400.0, step_days=400.0,
                            detection_cells=math.inf, stop_primary_at_cells=n_stop,
                            exact_below_cells=2 * n_stop, track_mutations_below_cells=n_stop)
    simulate_patient(p, np.random.default_rng(0))  # warm-up
    rates = []
    for seed in range(7 if n_stop <= 1e5 else 3):
        rng = np.random.default_rng(seed)
        while True:
            pt, ms = timed(lambda rng=rng: simulate_patient(p, rng))
            if pt.attempts == 1:  # time a run that survived at once
                break
        events = (n_stop - 1) * 1.7 / 0.3
        rates.append(events / (ms / 1e3))
    return float(np.median(rates))


def main() -> None:
    print("cell-scale benchmark", flush=True)
    p = breast_params()
    simulate_patient(p, patient_stream(SEED, 10_000))  # warm-up (compilation)
    one = []
    for i in range(5):
        pt, ms = timed(lambda i=i: simulate_patient(p, patient_stream(SEED, i)))
        one.append(ms)
    print(f"one breast patient to 1e9 cells: median {np.median(one):.0f} ms "
          f"({len(pt.clones)} clones, {len(pt.metastases)} metastases in the last) target < 1000")

    rate_exact = exact_events_per_s(1e5, 0.0)
    rate_big = exact_events_per_s(1e7, 0.0)
    rate_mut = exact_events_per_s(1e5, 0.3)
    print(f"exact Gillespie: {rate_exact / 1e6:.1f} M events/s to 1e5 cells (target >= 10), "
          f"{rate_big / 1e6:.1f} M to 1e7 cells; with mutations as clones (mu = 0.3): "
          f"{rate_mut / 1e6:.1f} M events/s")
    rng = np.random.default_rng(1)
    while True:
        (n_ref, _), ms_ref = timed(lambda: reference_gillespie(100_000, rng))
        if n_ref > 0:
            break
    rate_ref = (1e5 - 1) * 1.7 / 0.3 / (ms_ref / 1e3)
    print(f"reference per-event Python Gillespie: {rate_ref / 1e6:.3f} M events/s; "
          f"ratio {rate_exact / rate_ref:.0f}x")

    tasks = batches(N_PATIENTS, BATCH)
    with make_executor("processes", workers=2) as ex:
        ex.map(run_batch, [(N_PATIENTS + 10, N_PATIENTS + 12)] * 2)  # start workers, load caches
        res, ms_many = timed(lambda: ex.map(run_batch, tasks))
    rows = [r for part in res for r in part]
    mets = float(np.mean([r[2] for r in rows]))
    print(f"{N_PATIENTS} patients on 2 workers: {ms_many / 1e3:.1f} s (target < 120 s); "
          f"mean {mets:.1f} metastases, {np.mean([r[1] for r in rows]):.0f} clones per patient")

    pairs = {}
    n = 200
    for ns in (1e5, 1e8):
        simulate_pairs(0.3, ns, "NN", 5, np.random.default_rng(0))
        batch, ms_sim = timed(lambda ns=ns: simulate_pairs(0.3, ns, "NN", n,
                                                           np.random.default_rng(3)))
        _, ms_stats = timed(lambda batch=batch: pair_summary_statistics(
            batch.pair, batch.ccf_primary, batch.ccf_metastasis, batch.n_pairs,
            np.random.default_rng(4)))
        pairs[ns] = (ms_sim + ms_stats) / n
        print(f"ABC pairs seeded at {ns:.0e} cells: {pairs[ns]:.2f} ms per pair "
              f"(simulation {ms_sim / n:.2f}, statistics {ms_stats / n:.3f})")

    print(json.dumps({
        "ms_one_patient_1e9_median": round(float(np.median(one)), 1),
        "one_patient_under_1s": bool(np.median(one) < 1000),
        "s_1000_patients_2_workers": round(ms_many / 1e3, 2),
        "thousand_under_2min": bool(ms_many < 120_000),
        "exact_events_per_s": round(rate_exact),
        "exact_events_per_s_to_1e7_cells": round(rate_big),
        "exact_events_per_s_with_mutation_clones": round(rate_mut),
        "reference_python_events_per_s": round(rate_ref),
        "ratio_exact_over_reference": round(rate_exact / rate_ref, 1),
        "exact_at_least_1e7_per_s": bool(rate_exact >= 1e7),
        "ms_per_abc_pair_seeded_1e5": round(pairs[1e5], 2),
        "ms_per_abc_pair_seeded_1e8": round(pairs[1e8], 2),
        "mean_metastases_per_patient": round(mets, 2),
    }))


if __name__ == "__main__":
    main()
