"""Benchmark: many bone-lesion parameter sets in one batched solve_ivp call vs a per-system loop.

Model: Ayati 2010 (Komarova power-law osteoclasts/osteoblasts + Gompertz tumour + bone mass;
BioModels BIOMD0000000402), t = 0..500 days, rtol 1e-6, atol 1e-8, each system with its
own parameters (alpha1, beta2, k1, gammaT, r11, r22 drawn +/- 10-20 % around BIOMD0000000402).
Reference: the straightforward loop, one solve_ivp call per system (same RHS, same tolerances)
on a subset, extrapolated to the full batch. Also: the vicious-cycle (Lemaire) model, batched BDF
with block-diagonal Jacobian sparsity, vs the per-system LSODA loop.

Usage: python benchmarks/bench_bone.py [--n 10000] [--n-ref 100]
Last line: one JSON object (times in ms).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from metacascade.biology.bone import LemaireParameters, PowerLawBoneParameters
from metacascade.engines.bone import integrate_power_law, integrate_vicious_cycle


def draw_power_law(n: int, rng: np.random.Generator) -> PowerLawBoneParameters:
    def u(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, n)

    return PowerLawBoneParameters.ayati2010(
        alpha1=3.0 * u(0.9, 1.1), beta2=0.02 * u(0.9, 1.1), k1=0.0748 * u(0.8, 1.2),
        gamma_t=0.005 * u(0.8, 1.2), r11=0.005 * u(0.8, 1.2), r22=0.2 * u(0.8, 1.2))


def take(p, i):  # one system's parameters
    from dataclasses import fields, replace

    return replace(p, **{f.name: float(np.atleast_1d(getattr(p, f.name))[i]
                                       if np.size(getattr(p, f.name)) > 1
                                       else np.asarray(getattr(p, f.name)))
                         for f in fields(p)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--n-ref", type=int, default=100)
    ap.add_argument("--n-vc", type=int, default=10_000)
    ap.add_argument("--chunk", type=int, default=2_000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    t = np.array([0.0, 100.0, 250.0, 500.0])

    # ---- Ayati / Komarova power-law model ----------------------------------------------------
    p = draw_power_law(args.n, rng)
    kw = dict(osteoclasts0=15.0, osteoblasts0=316.0, tumour0=1.0, rtol=1e-6, atol=1e-8)
    kb = dict(kw, chunk_size=args.chunk)
    integrate_power_law(take(p, 0), t, **kw)  # warm-up (imports)
    t0 = time.perf_counter()
    batch = integrate_power_law(p, t, **kb)
    t_batch = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [integrate_power_law(take(p, i), t, **kw).isel(system=0, time_days=-1)
           for i in range(args.n_ref)]
    t_loop = (time.perf_counter() - t0) / args.n_ref
    end_b = batch.isel(time_days=-1, system=slice(0, args.n_ref))
    diffs = {v: float(np.max(np.abs(end_b[v].values - np.array([r[v].values for r in ref]))
                             / np.maximum(np.abs(np.array([r[v].values for r in ref])), 1e-3)))
             for v in ("osteoclasts", "osteoblasts", "bone_mass_percent", "bone_tumour_cells")}

    # ---- vicious cycle (Lemaire + tumour) ----------------------------------------------------
    m = args.n_vc
    vc = LemaireParameters(r_t=rng.uniform(0.03, 0.2, m), s_pthrp=rng.uniform(5e-4, 3e-3, m),
                           eps_tgf=1.0, kappa=rng.uniform(0.5, 1.5, m))
    tv = np.array([0.0, 7.0, 14.0, 21.0, 28.0])
    t0 = time.perf_counter()
    vb = integrate_vicious_cycle(vc, tv, tumour0=1e5, rtol=1e-6, chunk_size=args.chunk)
    t_vc_batch = time.perf_counter() - t0
    n_vref = min(args.n_ref, m)
    t0 = time.perf_counter()
    vref = [integrate_vicious_cycle(take(vc, i), tv, tumour0=1e5, rtol=1e-6)
            .isel(system=0, time_days=-1) for i in range(n_vref)]
    t_vc_loop = (time.perf_counter() - t0) / n_vref
    vc_diff = float(np.max(np.abs(vb.bone_mass_percent.values[:n_vref, -1]
                                  - np.array([r.bone_mass_percent.values for r in vref]))))

    out = {
        "n_systems": args.n,
        "chunk_size": args.chunk,
        "batched_total_ms": round(t_batch * 1e3, 1),
        "batched_per_system_ms": round(t_batch * 1e3 / args.n, 4),
        "loop_per_system_ms": round(t_loop * 1e3, 3),
        "loop_extrapolated_total_ms": round(t_loop * 1e3 * args.n, 0),
        "speedup": round(t_loop * args.n / t_batch, 1),
        "max_rel_diff_end_state": max(diffs.values()),
        "under_10s": t_batch < 10.0,
        "vc_under_10s": t_vc_batch < 10.0,
        "vc_n_systems": m,
        "vc_batched_total_ms": round(t_vc_batch * 1e3, 1),
        "vc_batched_per_system_ms": round(t_vc_batch * 1e3 / m, 4),
        "vc_loop_per_system_ms": round(t_vc_loop * 1e3, 3),
        "vc_speedup": round(t_vc_loop / (t_vc_batch / m), 1),
        "vc_max_abs_diff_bone_percent": vc_diff,
    }
    print(f"Ayati 2010, {args.n} systems: batched {t_batch:.2f} s; loop {t_loop * 1e3:.2f} ms/system "
          f"(extrapolated {t_loop * args.n:.1f} s); speedup {out['speedup']}x; "
          f"max relative end-state difference {out['max_rel_diff_end_state']:.2e}")
    print(f"Vicious cycle, {m} systems: batched BDF {t_vc_batch:.2f} s; loop LSODA "
          f"{t_vc_loop * 1e3:.2f} ms/system; speedup {out['vc_speedup']}x")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
