"""Prediction from a fit: what comes next, with uncertainty.

Parameter uncertainty is propagated by drawing log-parameters from N(log theta_hat, C), with C
the inverse observed information of the individual fit (or the conditional covariance of a
population EBE), and running the organism engine for every draw (any scenario change, e.g. a
resection day, is applied with ``overrides``). The band is the pointwise ``level`` quantile
interval of the model trajectories (parameter uncertainty only, no residual error).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from metacascade.engines.organism import patients_from_scenarios, solve
from metacascade.errors import DataError, ScenarioError
from metacascade.inference.api import FitResult, load_fit
from metacascade.inference.data import OBSERVABLES
from metacascade.inference.model import OBS_KEYS, scenario_with_overrides
from metacascade.scenario import load_scenario

Array = npt.NDArray[np.float64]


def parse_times(text: str) -> Array:
    """``start:stop:step`` (inclusive stop) or a comma-separated list of days."""
    try:
        if ":" in text:
            a, b, c = (float(x) for x in text.split(":"))
            if c <= 0 or b < a:
                raise ValueError
            return np.arange(a, b + 0.5 * c, c)
        return np.array([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise ScenarioError(f"--times {text!r}: give start:stop:step (step > 0, stop >= start) "
                            "or days separated by commas") from None


def predict(
    fitted: FitResult | str | Path,
    id: str,
    times: Sequence[float] | Array,
    observables: Sequence[str] = ("metastatic_burden_cells", "n_visible", "primary_cells"),
    overrides: Sequence[str] = (),
    n_samples: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> xr.Dataset:
    """Simulate observables of one fitted id at ``times`` (days) with uncertainty bands.

    Returns a Dataset with variables ``estimate`` (trajectory at the point estimate), ``median``,
    ``lower``, ``upper`` over dimensions (observable, time_days).
    """
    res = fitted if isinstance(fitted, FitResult) else load_fit(fitted)
    sf = res.subject_fit(str(id))
    t = np.asarray(times, dtype=np.float64)
    if t.size == 0 or np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ScenarioError("times: need at least one finite day >= 0")
    for o in observables:
        if o not in OBSERVABLES:
            raise DataError(f"observable {o!r}: allowed {', '.join(OBSERVABLES)}")
    base = scenario_with_overrides(res.scenario, res.overrides.get(sf.id, {}), f"id {sf.id!r}")
    base = load_scenario(base, list(overrides))
    rng = np.random.default_rng(seed)
    phi_hat = np.log(sf.estimate)
    cov = sf.cov_log
    if not np.all(np.isfinite(cov)):
        cov = np.zeros_like(cov)
    draws = rng.multivariate_normal(phi_hat, cov, size=n_samples, method="eigh")
    theta = np.exp(np.vstack([phi_hat[None, :], draws]))
    keys = res.keys
    sc_keys = [k for k in keys if k not in OBS_KEYS]
    phi_default = res.settings.obs_params.get("marker.phi", OBS_KEYS["marker.phi"])
    phis = theta[:, keys.index("marker.phi")] if "marker.phi" in keys else \
        np.full(len(theta), phi_default)
    step = base.simulation.output_step_days
    dur = float(max(step, (np.floor(t.max() / step) + 2) * step))
    scen = [load_scenario(base, {**{k: float(row[keys.index(k)]) for k in sc_keys},
                                 "simulation.duration_days": dur}) for row in theta]
    sol = solve(patients_from_scenarios(scen), dur, step, base.dissemination.secondary,
                base.simulation.max_internal_step_days)
    vals = np.zeros((len(theta), len(observables), len(t)))
    for k, tk in enumerate(t):
        at = sol.at(float(tk))
        at["total_cells"] = at["primary_cells"] + at["metastatic_burden_cells"]
        for i, o in enumerate(observables):
            q, fac = OBSERVABLES[o][0], OBSERVABLES[o][1]
            vals[:, i, k] = at[q] * fac * (phis if o == "burden_marker" else 1.0)
    a = (1.0 - level) / 2.0
    samples = vals[1:] if n_samples > 0 else vals
    dims = ("observable", "time_days")
    attrs: dict[str, Any] = {"id": sf.id, "level": level, "n_samples": n_samples, "seed": seed,
                             "overrides": list(overrides), "keys": list(keys),
                             "estimate_values": [float(x) for x in sf.estimate]}
    return xr.Dataset(
        {"estimate": (dims, vals[0]), "median": (dims, np.median(samples, 0)),
         "lower": (dims, np.quantile(samples, a, 0)),
         "upper": (dims, np.quantile(samples, 1 - a, 0))},
        coords={"observable": list(observables), "time_days": t}, attrs=attrs)
