"""Benchmark of the neuroblastoma fits (2 parameters, SIOPEN + LDH; Benzekry et al. 2021).

Ours: the exact compiled closed form + Sobol multi-start L-BFGS-B (metacascade.inference).
Reference in the same process: the published discretisation (quad + fftconvolve on 1001 nodes,
Nelder-Mead), metacascade.inference.reference. Last line: one JSON object (times in ms).
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from pathlib import Path

import numpy as np

from metacascade.inference.api import fit
from metacascade.inference.data import load_observations
from metacascade.inference.fit import FitSettings, Objective, fit_subject, point_fit
from metacascade.inference.reference import RATE, fit_published, loglik_published
from metacascade.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "neuroblastoma" / "observations.csv"
KEYS = ("dissemination.mu", "detection.visible_diameter_mm")
IDS = ["1", "2", "8", "3", "4"]


def best_of(fn, repeat: int, number: int) -> float:  # type: ignore[no-untyped-def]
    """Best mean time per call (ms) over ``repeat`` runs of ``number`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t0) / number)
    return 1e3 * min(out)


def main() -> None:
    warnings.simplefilter("ignore")
    data = load_observations(EXAMPLE)
    sc = load_scenario("neuroblastoma")
    res: dict[str, float | int | str] = {}
    ll_ours, ll_ref, pf_ours, pf_ref, prof, bias = [], [], [], [], [], []
    for sid in IDS:
        s = data[sid]
        obj = Objective(sc, s, FitSettings(keys=KEYS))
        theta = np.array([[3e-2, 12.0]])
        obj.loglik(theta)
        vp, sio, ldh = s.diagnosis_primary_cells, s.value[0], s.value[1]
        assert vp is not None
        ll_ours.append(best_of(lambda o=obj, th=theta: o.loglik(th), 5, 2000))
        ll_ref.append(best_of(lambda v=vp, a=sio, b=ldh: loglik_published(3e-2, 12.0, v, a, b),
                              3, 100))
        pf_ours.append(best_of(lambda o=obj: point_fit(o), 3, 10))
        pf_ref.append(best_of(lambda v=vp, a=sio, b=ldh: fit_published(v, a, b), 3, 3))
        prof.append(best_of(lambda ss=s: fit_subject(sc, ss, FitSettings(keys=KEYS)), 3, 2))
        t = math.log(vp) / RATE
        bias.append(math.exp(RATE * t / 1000) - 1)
    res["loglik_exact_ms"] = float(np.median(ll_ours))
    res["loglik_reference_ms"] = float(np.median(ll_ref))
    res["loglik_speedup"] = res["loglik_reference_ms"] / res["loglik_exact_ms"]
    res["point_fit_ms"] = float(np.median(pf_ours))
    res["point_fit_reference_ms"] = float(np.median(pf_ref))
    res["point_fit_speedup"] = res["point_fit_reference_ms"] / res["point_fit_ms"]
    res["fit_with_profile_intervals_ms"] = float(np.median(prof))
    res["reference_burden_bias_percent"] = 100 * float(np.median(bias))
    workers = min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    fit(data, sc, KEYS, workers=workers)
    res["all_45_with_intervals_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit(data, sc, KEYS, workers=1)
    res["all_45_with_intervals_1_worker_s"] = time.perf_counter() - t0
    res["workers"] = workers
    res["targets"] = "loglik < 0.1 ms, point fit < 20 ms, profile fit < 500 ms, 45 ids < 20 s"
    for k, v in res.items():
        print(f"{k:38s} {v:.4g}" if isinstance(v, float) else f"{k:38s} {v}")
    print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in res.items()}))


if __name__ == "__main__":
    main()
