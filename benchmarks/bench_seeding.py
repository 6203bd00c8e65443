"""Speed of ``metacascade infer-seeding`` (issue 16): one metastasis, all 23 published ones, and a
straightforward reference in the same run.

Problem: the published colorectal metastases of Hu et al. 2019 (SCIMET's nine statistics;
``metacascade.datasets`` ``crc_metastases_summary_statistics_hu2019``), Hu 2020's colorectal
Gompertz timing law, the command line's default settings (:class:`SeedingSettings`: SCIMET's
four models, a 2,000-simulation pilot for the semi-automatic summary, 400 particles, at most
20,000 SMC simulations per metastasis, a 200-draw predictive check), over the process pool of
``--workers`` (default 2) workers. Also reported: the posterior interquartile range of log10 N_s
of the timed metastases against the prior's 3 decades (log-uniform on 1e3..1e9 cells).

Measured in the same run:

* ``one``: metastasis V402_BM end to end (ABC-SMC, model choice, predictive check). Target:
  under 60 s on 2 cores.
* ``all``: the 23 metastases one after another, each parallel over its batches. Target: under
  10 minutes. By default a subset of ``--subset`` metastases (spread over the table) is timed and
  the total extrapolated by their mean; ``--all`` times all 23.
* ``reference``: what a straightforward implementation does with the same simulator: SCIMET's
  rejection ABC (sample the prior, simulate one parameter at a time in a Python loop, keep the
  nearest 2 %), serial, on V402_BM with ``--reference-simulations`` simulations (default 2,000).
  Reported: ms per simulation one at a time vs batched (ours, serial, same parameters), and the
  posterior interquartile range of log10 seeding cells of the rejection ABC at its budget against
  the SMC's (the SMC's is narrower for the same statistics: it spends its simulations where the
  posterior is).

Last line: one JSON object (times in ms or s as named, ratios). The machine is shared: timings
are noisy, and a run says so (``load_average``).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from metacascade import datasets
from metacascade.inference.abc import LogUniform
from metacascade.inference.seeding import SUMMARY_STATISTICS, hu2020_timing_law
from metacascade.inference.seeding_abc import (
    SeedingSettings,
    first_guess,
    infer_seeding_table,
    seeding_priors,
)
from metacascade.parallel import make_executor


def rejection_reference(observed: np.ndarray, settings: SeedingSettings, n: int, keep: float,
                        seed: int) -> dict[str, float]:
    """SCIMET-style rejection ABC, one simulation per call (the straightforward reference): the
    same priors as ours, model drawn uniformly, MAD-scaled Euclidean distance, nearest ``keep``."""
    rng = np.random.default_rng(seed)
    priors = seeding_priors(settings, first_guess(observed, settings.beta, settings.purity))
    sims = {m: settings.simulator(m) for m in settings.models}
    models = rng.choice(list(settings.models), size=n)
    theta = np.column_stack([
        np.exp(rng.uniform(np.log(p.low), np.log(p.high), n)) if isinstance(p, LogUniform)
        else np.full(n, np.nan) for p in priors])
    t0 = time.perf_counter()
    stats = np.array([sims[m](theta[i:i + 1], rng)[0] for i, m in enumerate(models)])  # the loop
    loop_s = time.perf_counter() - t0
    mad = np.median(np.abs(stats - np.median(stats, axis=0)), axis=0)
    mad[mad == 0] = 1.0
    d = np.sqrt(np.sum(((stats - observed) / mad) ** 2, axis=1))
    k = max(int(keep * n), 5)
    best = np.argsort(d)[:k]
    q = np.quantile(np.log10(theta[best, 0]), [0.25, 0.5, 0.75])
    t1 = time.perf_counter()  # the same parameters batched, one call per model (ours)
    for m in settings.models:
        sel = models == m
        if sel.any():
            sims[m](theta[sel], rng)
    batch_s = time.perf_counter() - t1
    return {"reference_simulations": n, "reference_loop_ms_per_simulation": 1e3 * loop_s / n,
            "batched_ms_per_simulation": 1e3 * batch_s / n,
            "reference_median_log10_cells": float(q[1]),
            "reference_iqr_log10_cells": float(q[2] - q[0]), "reference_accepted": k}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--subset", type=int, default=3)
    ap.add_argument("--all", action="store_true", help="time all 23 metastases")
    ap.add_argument("--reference-simulations", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    table = datasets.load("crc_metastases_summary_statistics_hu2019")
    law = hu2020_timing_law("colorectal")
    settings = SeedingSettings()
    out: dict[str, object] = {"load_average": round(os.getloadavg()[0], 2),
                              "workers": a.workers}
    with make_executor("processes", workers=a.workers) as ex:
        infer_seeding_table(table, law, seed=a.seed, executor=ex, metastases=["V402_BM"],
                            settings=SeedingSettings(models=("NN",), population_size=20,
                                                     max_simulations=1000,
                                                     predictive_draws=0))  # warm the workers
        t0 = time.perf_counter()
        one = infer_seeding_table(table, law, seed=a.seed, executor=ex, metastases=["V402_BM"],
                                  settings=settings)
        one_s = time.perf_counter() - t0
        d = one.diagnostics().iloc[0]
        row = one.seeding.iloc[0]
        out.update({"one_met_s": round(one_s, 2), "one_met_under_60_s": one_s < 60,
                    "one_met_simulations": int(d["simulations"]),
                    "one_met_generations": int(d["generations"]),
                    "one_met_stop_reason": str(d["stop_reason"]),
                    "one_met_model": str(row["model"]),
                    "one_met_median_log10_cells": round(float(row["log10_seeding_cells_median"]),
                                                        3),
                    "one_met_iqr_log10_cells": round(float(row["log10_seeding_cells_q3"]
                                                           - row["log10_seeding_cells_q1"]), 3)})
        print(f"one metastasis (V402_BM): {one_s:.1f} s, {int(d['simulations']):,} simulations, "
              f"{int(d['generations'])} generations ({d['stop_reason']})", flush=True)
        mets = list(table["Met"])
        chosen = mets if a.all else [mets[int(i)] for i in
                                     np.linspace(0, len(mets) - 1, max(a.subset, 1))]
        t0 = time.perf_counter()
        run = infer_seeding_table(table, law, seed=a.seed, executor=ex, metastases=chosen,
                                  settings=settings)
        sub_s = time.perf_counter() - t0
        all_s = sub_s if a.all else sub_s / len(chosen) * len(mets)
        pts = run.early_patients()
        iqr = (run.seeding["log10_seeding_cells_q3"] - run.seeding["log10_seeding_cells_q1"])
        out.update({"timed_iqr_log10_cells": [round(float(v), 2) for v in iqr],
                    "timed_median_log10_cells": [round(float(v), 2) for v in
                                                 run.seeding["log10_seeding_cells_median"]],
                    "prior_iqr_log10_cells": 3.0})
        out.update({"all_mets_timed": len(chosen), "all_mets_timed_s": round(sub_s, 1),
                    "all_23_s": round(all_s, 1), "all_23_extrapolated": not a.all,
                    "all_23_under_10_min": all_s < 600,
                    "timed_simulations": int(run.diagnostics()["simulations"].sum()),
                    "timed_early_patients": int(pts["early"].sum()),
                    "timed_patients": len(pts)})
        print(f"{len(chosen)} metastases: {sub_s:.1f} s -> all 23: {all_s:.0f} s"
              f"{' (extrapolated)' if not a.all else ''}", flush=True)
    obs = table.loc[table["Met"] == "V402_BM", list(SUMMARY_STATISTICS)].to_numpy(np.float64)[0]
    ref = rejection_reference(obs, settings, a.reference_simulations, 0.02, a.seed)
    out.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in ref.items()})
    out["loop_over_batched_per_simulation"] = round(
        ref["reference_loop_ms_per_simulation"] / ref["batched_ms_per_simulation"], 2)
    out["smc_ms_per_simulation_2_workers"] = round(1e3 * one_s / max(int(d["simulations"]), 1),
                                                   3)
    print(f"reference rejection ABC: {ref['reference_loop_ms_per_simulation']:.2f} ms per "
          f"simulation one at a time vs {ref['batched_ms_per_simulation']:.2f} batched; "
          f"posterior IQR {ref['reference_iqr_log10_cells']:.2f} decades "
          f"({a.reference_simulations:,} simulations) vs SMC {out['one_met_iqr_log10_cells']}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
