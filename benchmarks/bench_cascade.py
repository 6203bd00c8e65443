"""Benchmark of the cascade: the injection experiment and the organism model with the cascade.

1. ``inject`` (vectorised over cells) with 1e6 cells over 14 days (target < 2 s), against a
   straightforward per-cell reference (a Python loop drawing each cell's jumps) on a subset,
   extrapolated per cell; the two agree statistically on the final fractions.
2. The organism model with the cascade (``breast-cascade``: bone, lung, liver, brain, other and
   the lymph node, niche readiness, lymph-node re-seeding; 20 years, daily output) against the
   single-organ power model (``breast``) on the same grid (target: within 3x).

Prints one JSON object of figures as the last line (times in ms).
"""

from __future__ import annotations

import json
import time

import numpy as np

import metacascade as mc
from metacascade.biology import cascade as cc
from metacascade.engines.injection import inject
from metacascade.engines.organism import patients_from_scenarios, solve
from metacascade.engines.spread import solve_cascade


def reference_cells(p: cc.CascadeParameters, route: str, n: int, days: float,
                    seed: int) -> dict[str, float]:
    """Per-cell loop: the same Markov chain, one cell and one jump at a time."""
    rng = np.random.default_rng(seed)
    q = cc.arrest_distribution(p, route)
    r = cc.chain_rates(p)
    counts = dict.fromkeys(("circulating", "arrested", "extravasated", "dead",
                            "dormant_single", "micrometastasis", "macrometastasis"), 0)
    for _ in range(n):
        stem = rng.random() < p.stem_fraction
        t, state, organ = 0.0, "circulating", -1
        while True:
            if state == "circulating":
                rates = {"arrested": p.arrest_rate, "dead": p.circulation_death_rate}
            elif state == "arrested":
                rates = {"extravasated": r.extravasation[organ],
                         "dead": r.intravascular_death[organ]}
            elif state == "extravasated":
                rates = {"micrometastasis": r.initiation if stem else 0.0,
                         "dormant_single": r.dormancy_entry,
                         "dead": r.death_after_extravasation}
            elif state == "dormant_single":
                rates = {"micrometastasis": r.dormancy_escape if stem else 0.0,
                         "dead": r.dormant_death}
            elif state == "micrometastasis":
                rates = {"macrometastasis": r.progression[organ], "dead": r.micro_death}
            else:
                break
            total = sum(rates.values())
            dt = rng.exponential(1.0 / total)
            if t + dt > days:
                break
            t += dt
            u = rng.random() * total
            names = list(rates)
            nxt = names[-1]
            for name in names:
                if u < rates[name]:
                    nxt = name
                    break
                u -= rates[name]
            if state == "circulating" and nxt == "arrested":
                organ = int(rng.choice(len(q), p=q / q.sum()))
            state = nxt
        counts[state] += 1
    return {k: v / n for k, v in counts.items()}


def timed(f, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main() -> None:
    p = cc.CascadeParameters()
    inject(1000, "portal-vein", 14.0, seed=0)  # warm-up
    t_inject = timed(lambda: inject(1_000_000, "portal-vein", 14.0, seed=1))
    n_ref = 20_000
    t0 = time.perf_counter()
    ref = reference_cells(p, "portal-vein", n_ref, 14.0, seed=2)
    t_ref = (time.perf_counter() - t0) * 1e3
    t_ref_per_cell = t_ref / n_ref
    vec = inject(1_000_000, "portal-vein", 14.0, seed=3).summary["final_fractions"]
    z = max(abs(ref[k] - vec[k]) / np.sqrt(max(vec[k] * (1 - vec[k]), 1e-6) / n_ref)
            for k in ref)

    power = mc.load_scenario("breast")
    pat = patients_from_scenarios([power])
    sim = power.simulation
    solve(pat, sim.duration_days, sim.output_step_days, False)
    t_power = timed(lambda: solve(pat, sim.duration_days, sim.output_step_days, False))
    casc = mc.load_scenario("breast-cascade")
    solve_cascade([casc])
    t_casc = timed(lambda: solve_cascade([casc]))
    n_rows = len(solve_cascade([casc]).organs)

    figures = {
        "inject_1e6_cells_14_days_ms": round(t_inject, 1),
        "reference_per_cell_loop_ms_per_1e6_cells": round(t_ref_per_cell * 1e6, 1),
        "speedup_vs_per_cell_loop": round(t_ref_per_cell * 1e6 / t_inject, 1),
        "reference_vs_vectorised_max_z": round(float(z), 2),
        "organism_power_single_organ_ms": round(t_power, 1),
        "organism_cascade_ms": round(t_casc, 1),
        "organism_cascade_compartments": n_rows,
        "cascade_over_single_organ": round(t_casc / t_power, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
