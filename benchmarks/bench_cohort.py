"""Benchmark: a cohort of 10,000 breast-cancer patients over 20 years.

Compares the batched, vectorised cohort engine (250 patients per task) on a process pool of 1 and
2 workers with a straightforward reference in the same process: the same algorithm run one patient
at a time (batches of one, no vectorisation over patients), timed on a subset and scaled.
Target (issue 6): under 30 s on 2 cores. Last line: one JSON object (times in ms).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

from metacascade.cohort import simulate_cohort
from metacascade.parallel import ProcessExecutor, SerialExecutor
from metacascade.scenario import load_scenario

T = TypeVar("T")
N = 10_000
N_REF = 200


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t) * 1e3


def main() -> None:
    sc = load_scenario("breast")  # 20 years from the first cell, 1-day steps
    with ProcessExecutor(1) as ex1:
        r1, ms1 = timed(lambda: simulate_cohort(sc, N, seed=1, executor=ex1))
    with ProcessExecutor(2) as ex2:
        r2, ms2 = timed(lambda: simulate_cohort(sc, N, seed=1, executor=ex2))
    assert r1.patients.equals(r2.patients)
    _, ms_ref = timed(lambda: simulate_cohort(sc, N_REF, seed=1, executor=SerialExecutor(),
                                              batch_size=1))
    ref_total = ms_ref * N / N_REF
    print(f"{N} patients, 1 worker : {ms1 / 1e3:.2f} s")
    print(f"{N} patients, 2 workers: {ms2 / 1e3:.2f} s (target < 30 s)")
    print(f"speed-up of 2 workers over 1: {ms1 / ms2:.2f}x")
    print(f"reference (one patient per call, serial), scaled from {N_REF}: {ref_total / 1e3:.1f} s")
    print(json.dumps({"patients": N, "ms_1_worker": round(ms1, 1), "ms_2_workers": round(ms2, 1),
                      "speedup_2_over_1": round(ms1 / ms2, 3),
                      "ms_reference_one_patient_per_call": round(ref_total, 1),
                      "ratio_reference_over_2_workers": round(ref_total / ms2, 2),
                      "under_30s": ms2 < 30_000}))


if __name__ == "__main__":
    main()
