#!/usr/bin/env python
"""Calibrate the post-arrival cascade rates to Luzzi 1998 and Fidler 1970 (rerunnable).

Usage::

    PYTHONPATH=src python scripts/calibrate_cascade.py            # fit, print, write the JSON
    PYTHONPATH=src python scripts/calibrate_cascade.py --check    # fit and compare with the JSON

Method. The cascade is a continuous-time Markov chain (``metacascade.biology.cascade``), so the
expected fraction of injected cells in every state is exact (matrix exponential). We fit the eight
free parameters below with ``scipy.optimize.least_squares`` on log scale (logit for the liver
retention), minimising

    sum_k ((model_k - target_k) / tol_k)^2 + sum_j ((log theta_j - log prior_j) / 2)^2

i.e. a maximum a posteriori fit with weak log-normal priors (sd of two e-folds) around order-of-magnitude
guesses, because six targets cannot identify eight rates on their own. Fixed: CTC half-life 1.7 h
(Meng 2004), 2 min to arrest, lung first-pass retention 0.93 (0.99 with chemotaxis), chemotaxis 0.1, stem-like fraction
0.05, dormancy escape 1e-3/day, micrometastasis regression 0.3/day.

Targets (the Luzzi numbers are soft: recalled from the paper's text, not its tables):
- Luzzi et al. 1998, B16F1 cells into the mesenteric (portal) vein of mice: 87 % of the injected
  cells in the liver at 90 min; 83 % (> 80 %) extravasated by day 3; 2.25 % (1 in 40, 2-2.5 %)
  micrometastases at day 3; 0.02 % macroscopic tumours at day 13; 36 % solitary dormant cells at
  day 13.
- Fidler 1970, B16 cells into the tail vein: about 1 % of the injected cells alive at 24 h.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from scipy.special import expit, logit

from metacascade.biology import cascade as c

OUT = Path(__file__).resolve().parents[1] / "src/metacascade/biology/cascade_calibration.json"

# name: (prior guess, transform)
FREE = {
    "liver_retention": (0.9, "logit"),
    "extravasation_rate_per_day": (1.5, "log"),
    "liver_intravascular_death_rate_per_day": (0.05, "log"),
    "lung_intravascular_death_rate_per_day": (50.0, "log"),
    "death_after_extravasation_rate_per_day": (0.1, "log"),
    "dormancy_entry_rate_per_day": (0.1, "log"),
    "initiation_rate_per_day": (0.5, "log"),
    "progression_rate_per_day": (0.003, "log"),
    "dormant_death_rate_per_day": (0.03, "log"),
}
FIXED = {"lung_retention": 0.93}
PRIOR_SD = 2.0  # e-folds

# name: (target, tolerance, scale) -- scale "abs": (m - t)/tol; "log": log(m/t)/log(1 + tol)
TARGETS = {
    "luzzi_liver_at_90min": (0.87, 0.03, "abs"),
    "luzzi_extravasated_day3": (0.83, 0.04, "abs"),
    "luzzi_micrometastasis_day3": (0.0225, 0.0025, "abs"),
    "luzzi_macrometastasis_day13": (0.0002, 0.3, "log"),
    "luzzi_dormant_day13": (0.36, 0.04, "abs"),
    "fidler_alive_24h": (0.01, 0.3, "log"),
}
SOURCES = {
    "luzzi": "Luzzi KJ et al. Am J Pathol 1998;153:865-873 ([L])",
    "fidler": "Fidler IJ. J Natl Cancer Inst 1970;45:773-782 ([R: abstract])",
}
#: What this script fits, machine-readable (read by tests/test_claims.py: no claim may use one of
#: these numbers as a validation target): quantity -> published value, source, parameters set.
CALIBRATION_TARGETS = {
    name: {"value": t, "source": SOURCES[name.split("_")[0]], "sets": sorted(FREE)}
    for name, (t, _, _) in TARGETS.items()
}


def to_theta(x: np.ndarray) -> dict[str, float]:
    out = {}
    for v, (name, (_, tr)) in zip(x, FREE.items(), strict=True):
        out[name] = float(expit(v) if tr == "logit" else np.exp(v))
    return out


def prior_x() -> np.ndarray:
    return np.array([logit(g) if tr == "logit" else np.log(g) for g, tr in FREE.values()])


def parameters(theta: dict[str, float]) -> c.CascadeParameters:
    """CascadeParameters with the calibrated values in place."""
    base = c.CascadeParameters()
    organs = dict(base.organs)
    organs["liver"] = replace(organs["liver"], retention=theta["liver_retention"],
                              intravascular_death_rate_per_day=theta[
                                  "liver_intravascular_death_rate_per_day"])
    organs["lung"] = replace(organs["lung"], retention=FIXED["lung_retention"],
                             intravascular_death_rate_per_day=theta[
                                 "lung_intravascular_death_rate_per_day"])
    for name, site in organs.items():
        if name not in ("liver", "lung"):
            organs[name] = replace(site, intravascular_death_rate_per_day=theta[
                "liver_intravascular_death_rate_per_day"])
    keys = ("extravasation_rate_per_day", "death_after_extravasation_rate_per_day",
            "dormancy_entry_rate_per_day", "initiation_rate_per_day", "progression_rate_per_day",
            "dormant_death_rate_per_day")
    return replace(base, organs=organs, **{k: theta[k] for k in keys})


def measures(p: c.CascadeParameters) -> dict[str, float]:
    """The quantities the papers report, from the exact expected fates."""
    names = list(p.organs)
    liver = names.index("liver")
    fp = c.expected_fates(p, "portal-vein", [90.0 / 1440.0, 3.0, 13.0])
    out_of_vessel = (fp["extravasated"] + fp["dormant_single"] + fp["micrometastasis"]
                     + fp["macrometastasis"])
    ft = c.expected_fates(p, "tail-vein", [1.0])
    return {
        "luzzi_liver_at_90min": float(fp["by_organ"][0, liver, :].sum()),
        "luzzi_extravasated_day3": float(out_of_vessel[1]),
        "luzzi_micrometastasis_day3": float(fp["micrometastasis"][1]),
        "luzzi_macrometastasis_day13": float(fp["macrometastasis"][2]),
        "luzzi_dormant_day13": float(fp["dormant_single"][2]),
        "fidler_alive_24h": float(1.0 - ft["dead"][0]),
    }


def residuals(x: np.ndarray) -> np.ndarray:
    m = measures(parameters(to_theta(x)))
    res = []
    for k, (t, tol, scale) in TARGETS.items():
        if scale == "abs":
            res.append((m[k] - t) / tol)
        else:
            res.append(np.log(max(m[k], 1e-300) / t) / np.log1p(tol))
    res.extend((x - prior_x()) / PRIOR_SD)  # weak log-normal priors
    return np.asarray(res)


def calibrate() -> dict[str, object]:
    fit = least_squares(residuals, prior_x(), method="trf", x_scale=1.0, xtol=1e-12,
                        ftol=1e-12, gtol=1e-12, max_nfev=2000)
    theta = to_theta(fit.x)
    m = measures(parameters(theta))
    return {
        "parameters": {**{k: round(v, 6) for k, v in theta.items()}, **FIXED},
        "measured": {k: float(v) for k, v in m.items()},
        "targets": {k: {"value": t, "tolerance": tol, "scale": s} for k, (t, tol, s)
                    in TARGETS.items()},
        "priors": {k: g for k, (g, _) in FREE.items()},
        "cost": float(fit.cost),
        "success": bool(fit.success),
        "sources": SOURCES,
        "generated_by": "scripts/calibrate_cascade.py (scipy.optimize.least_squares, MAP with "
                        "log-normal priors of two e-folds)",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored JSON only")
    args = ap.parse_args(argv)
    result = calibrate()
    for k, v in result["parameters"].items():  # type: ignore[union-attr]
        print(f"{k:45s} {v:.6g}")
    for k, v in result["measured"].items():  # type: ignore[union-attr]
        t = TARGETS[k][0]
        print(f"{k:45s} model {v:.4g}  target {t:.4g}")
    if args.check:
        stored = json.loads(OUT.read_text())["parameters"]
        bad = [k for k, v in result["parameters"].items()  # type: ignore[union-attr]
               if not np.isclose(stored[k], v, rtol=1e-3)]
        print("stored calibration is up to date" if not bad else f"stale: {bad}")
        return 1 if bad else 0
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
