"""Prediction from a fit: what comes next, with uncertainty.

Parameter uncertainty is propagated by drawing log-parameters from N(log theta_hat, C), with C
the inverse observed information of the individual fit (or the conditional covariance of a
population EBE), and running the organism engine for every draw (any scenario change, e.g. a
resection day, is applied with ``overrides``). The band is the pointwise ``level`` quantile
interval of the model trajectories (parameter uncertainty only, no residual error). Draws outside
the fit's search bounds are clipped to them (counted in the attrs). By default the grid starts at
the id's last observation, and times past the lethal burden are flagged (``past_lethal_burden``).

A fit that did not converge (``converged = False``: e.g. an observation of 0 under a proportional
error model, where no maximum exists) has values that are not estimates and a covariance that is
no measure of uncertainty: :func:`predict` refuses it unless ``allow_unconverged=True``, and then
warns (:class:`~metacascade.inference.fit.IdentifiabilityWarning`) and says so in the attrs.
:func:`prediction_scenario` is the scenario the point estimate is simulated with (what
``prediction.json`` records).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from metacascade.engines.organism import patients_from_scenarios, solve
from metacascade.errors import DataError, ScenarioError, shown
from metacascade.inference.data import OBSERVABLES
from metacascade.inference.fit import IdentifiabilityWarning, SubjectFit
from metacascade.inference.model import OBS_KEYS, scenario_with_overrides
from metacascade.inference.result import FitResult, load_fit
from metacascade.limits import check_memory
from metacascade.options import check_int, check_level, check_seed
from metacascade.scenario import Scenario, load_scenario

Array = npt.NDArray[np.float64]


#: Default prediction grid: from the id's last observation, this many days, every DEFAULT_STEP.
DEFAULT_HORIZON = 365.0
DEFAULT_STEP = 5.0
#: Most prediction times and parameter draws accepted.
MAX_TIMES = 1_000_000
MAX_SAMPLES = 100_000
#: What :func:`predict` (and ``metacascade predict``) predict when no observable is given.
DEFAULT_OBSERVABLES = ("metastatic_burden_cells", "n_visible", "primary_cells")


def parse_times(text: str | None) -> Array | None:
    """``start:stop:step`` (inclusive stop) or a comma-separated list of days; None (no
    ``--times``) gives None: :func:`predict` then starts at the id's last observation."""
    if text is None:
        return None
    try:
        if ":" in text:
            a, b, c = (float(x) for x in text.split(":"))
            if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)) or c <= 0 \
                    or b < a:
                raise ValueError
            if (b - a) / c + 1 > MAX_TIMES:
                raise ScenarioError(f"--times {shown(text)}: {(b - a) / c + 1:.3g} times; at "
                                    f"most {MAX_TIMES:,} are allowed (raise the step)")
            return np.arange(a, b + 0.5 * c, c)
        return np.array([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise ScenarioError(f"--times {shown(text)}: give start:stop:step (step > 0, stop >= "
                            "start) or days separated by commas") from None


def default_times(last_day: float) -> Array:
    """The default grid: the id's last observation day, then every DEFAULT_STEP days for
    DEFAULT_HORIZON days (from day 0 when the last observation is unknown)."""
    start = last_day if math.isfinite(last_day) else 0.0
    return np.asarray(start + np.arange(0.0, DEFAULT_HORIZON + 0.5 * DEFAULT_STEP, DEFAULT_STEP),
                      dtype=np.float64)


def _times(sf: SubjectFit, times: Sequence[float] | Array | None) -> Array:
    t = default_times(sf.last_observation_day) if times is None \
        else np.asarray(times, dtype=np.float64).ravel()
    if t.size == 0 or np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ScenarioError("times: need at least one finite day >= 0")
    if t.size > MAX_TIMES:
        raise ScenarioError(f"times: {t.size:,} times; at most {MAX_TIMES:,} are allowed")
    return t


def _id_base(res: FitResult, sf: SubjectFit, overrides: Sequence[str]) -> Scenario:
    """The fit's scenario with the id's data values and the prediction's ``overrides``."""
    base = scenario_with_overrides(res.scenario, res.overrides.get(sf.id, {}), f"id {sf.id!r}")
    return load_scenario(base, list(overrides))


def _simulated(base: Scenario, keys: Sequence[str], theta: Array, duration: float) -> Scenario:
    """``base`` with the fitted values ``theta`` of ``keys`` (observation parameters such as
    ``marker.phi`` are not scenario values) and the simulated duration (days)."""
    return load_scenario(base, {**{k: float(theta[j]) for j, k in enumerate(keys)
                                   if k not in OBS_KEYS},
                                "simulation.duration_days": duration})


def _duration(base: Scenario, t: Array) -> float:
    step = base.simulation.output_step_days
    return float(max(step, (np.floor(t.max() / step) + 2) * step))


def unconverged_message(sf: SubjectFit) -> str:
    """Why a prediction from a fit that did not converge means nothing (one line)."""
    return (f"id {sf.id}: its fit did not converge (converged = False; see the 'warnings' "
            "column of estimates.csv): its values are not estimates and a band drawn around "
            "them is no uncertainty band")


def prediction_scenario(
    fitted: FitResult | str | Path,
    id: str,
    times: Sequence[float] | Array | None = None,
    overrides: Sequence[str] = (),
) -> Scenario:
    """The scenario :func:`predict` simulates for the point estimate of ``id``: the fit's
    scenario with the id's data values (e.g. its diagnosis size), its fitted values, the
    prediction's ``overrides`` and the simulated duration (days, from ``times``).

    Parameters
    ----------
    fitted : FitResult, str or Path
        A fit, or the folder of one (:func:`load_fit`).
    id : str
        The id, as in the data.
    times : sequence of float, optional
        The prediction's days (as given to :func:`predict`; they set
        ``simulation.duration_days``).
    overrides : sequence of str
        The prediction's ``dotted.key=value`` changes.

    Returns
    -------
    Scenario
        The resolved scenario of that id (what ``prediction.json`` records).

    Raises
    ------
    DataError
        An unknown id.
    ScenarioError
        Invalid times or overrides.

    Examples
    --------
    >>> import metacascade as mc
    >>> from metacascade.inference.predict import prediction_scenario
    >>> fit = mc.fit("examples/neuroblastoma/observations.csv", ids=["4"],
    ...              interval="none")                                # doctest: +SKIP
    >>> prediction_scenario(fit, "4").dissemination.mu              # doctest: +SKIP
    0.0723...
    """
    res = fitted if isinstance(fitted, FitResult) else load_fit(fitted)
    sf = res.subject_fit(str(id))
    base = _id_base(res, sf, overrides)
    return _simulated(base, res.keys, sf.estimate, _duration(base, _times(sf, times)))


def predict(
    fitted: FitResult | str | Path,
    id: str,
    times: Sequence[float] | Array | None = None,
    observables: Sequence[str] = DEFAULT_OBSERVABLES,
    overrides: Sequence[str] = (),
    n_samples: int = 200,
    level: float = 0.95,
    seed: int = 0,
    *,
    allow_unconverged: bool = False,
) -> xr.Dataset:
    """Simulate observables of one fitted id at ``times`` (days) with uncertainty bands.

    ``times`` None: from the id's last observation (its fitted diagnosis day for rows at
    diagnosis), one year every 5 days. Returns a Dataset with variables ``estimate`` (trajectory
    at the point estimate), ``median``, ``lower``, ``upper`` over dimensions (observable,
    time_days), and ``past_lethal_burden`` over time_days: true where the point-estimate total
    burden (primary + metastases) has reached ``death.lethal_burden_cells``, i.e. the patient
    would be dead and the numbers there are the model's continuation, not a physical state (the
    attrs say so and give the first such day).

    Parameters
    ----------
    fitted : FitResult, str or Path
        A fit, or the folder of one (:func:`load_fit`).
    id : str
        The id to predict, as in the data.
    times : sequence of float, optional
        Days at which to predict (>= 0; default from the last observation, 365 days every 5
        days).
    observables : sequence of str
        What to predict: ``metastatic_burden_cells`` (cells), ``n_visible`` (count of visible
        metastases), ``primary_cells`` (cells) and the other observables of the data format.
    overrides : sequence of str
        ``dotted.key=value`` changes to the id's fitted scenario, e.g. a resection day
        (``treatment.resection_day=30``, days).
    n_samples : int
        The number of draws from the estimates' uncertainty (0: the point estimate only).
    level : float
        Level of the uncertainty band, a probability in (0, 1).
    seed : int
        Seed of the random number generator of the draws.
    allow_unconverged : bool
        Predict even when the id's fit did not converge (``converged = False``): its values are
        then not estimates and the band is no uncertainty band; an
        :class:`~metacascade.inference.fit.IdentifiabilityWarning` is issued and the attrs
        (``fit_converged``, ``warning``) say so. Default: refuse.

    Returns
    -------
    xarray.Dataset
        ``estimate``, ``median``, ``lower``, ``upper`` over (observable, time_days) in each
        observable's unit, and ``past_lethal_burden`` over time_days.

    Raises
    ------
    DataError
        An unknown id or observable, or a fit that did not converge (unless
        ``allow_unconverged``).
    ScenarioError
        Invalid times or overrides.

    Warns
    -----
    IdentifiabilityWarning
        The fit did not converge and ``allow_unconverged`` is true.

    Examples
    --------
    >>> import metacascade as mc
    >>> fit = mc.fit("examples/neuroblastoma/observations.csv", ids=["1"],
    ...              interval="none")                                # doctest: +SKIP
    >>> ds = mc.predict(fit, "1", times=[0, 30, 60], n_samples=50,
    ...                 overrides=["treatment.resection_day=0"])      # doctest: +SKIP
    >>> ds["median"].sel(observable="metastatic_burden_cells")      # doctest: +SKIP
    """
    level = check_level(level)
    n_samples = check_int("--n-samples", n_samples, 0, MAX_SAMPLES)
    seed = check_seed(seed)
    obs = [observables] if isinstance(observables, str) else list(observables)
    if not obs:
        raise DataError("observable: give at least one observable to predict")
    for o in obs:
        if o not in OBSERVABLES:
            raise DataError(f"observable {shown(o)}: allowed {', '.join(OBSERVABLES)}")
    dup = sorted({o for o in obs if obs.count(o) > 1})
    if dup:
        raise DataError(f"observable {', '.join(dup)} given more than once; give each once")
    res = fitted if isinstance(fitted, FitResult) else load_fit(fitted)
    sf = res.subject_fit(str(id))
    if not sf.converged:
        if not allow_unconverged:
            err = DataError(unconverged_message(sf))
            err.hint = ("refit it (its warnings say why), or predict it anyway, with a warning: "
                        "metacascade predict --allow-unconverged (mc.predict(..., "
                        "allow_unconverged=True))")
            raise err
        warnings.warn(unconverged_message(sf), IdentifiabilityWarning, stacklevel=2)
    from_last = times is None
    t = _times(sf, times)
    check_memory(8.0 * 4 * (n_samples + 1) * len(obs) * t.size,
                 f"a prediction of {n_samples + 1:,} trajectories x {len(obs)} observables x "
                 f"{t.size:,} times", "lower --n-samples or the number of --times")
    base = _id_base(res, sf, overrides)
    rng = np.random.default_rng(seed)
    phi_hat = np.log(sf.estimate)
    cov = sf.cov_log
    if not np.all(np.isfinite(cov)):
        cov = np.zeros_like(cov)
    draws = rng.multivariate_normal(phi_hat, cov, size=n_samples, method="eigh")
    keys = res.keys
    # draws stay inside the fit's search box (itself inside the scenario's bounds): a Gaussian
    # tail must not ask the engine for values the schema refuses (e.g. mu > 1e3)
    box = [res.settings.bounds_for(k, float(v)) for k, v in zip(keys, sf.estimate, strict=True)]
    lo = np.log([b[0] for b in box])
    hi = np.log([b[1] for b in box])
    outside = np.any((draws < lo) | (draws > hi), axis=1) if draws.size else np.zeros(0, bool)
    # row 0: the point estimate itself (the scenario prediction_scenario gives, bit for bit)
    theta = np.vstack([np.asarray(sf.estimate, dtype=np.float64)[None, :],
                       np.exp(np.clip(draws, lo, hi))])
    phi_default = res.settings.obs_params.get("marker.phi", OBS_KEYS["marker.phi"])
    phis = theta[:, keys.index("marker.phi")] if "marker.phi" in keys else \
        np.full(len(theta), phi_default)
    step = base.simulation.output_step_days
    dur = _duration(base, t)
    scen = [_simulated(base, keys, row, dur) for row in theta]
    sol = solve(patients_from_scenarios(scen), dur, step, base.dissemination.secondary,
                base.simulation.max_internal_step_days)
    vals = np.zeros((len(theta), len(obs), len(t)))
    total = np.zeros(len(t))
    for k, tk in enumerate(t):
        at = sol.at(float(tk))
        at["total_cells"] = at["primary_cells"] + at["metastatic_burden_cells"]
        total[k] = at["total_cells"][0]
        for i, o in enumerate(obs):
            q, fac = OBSERVABLES[o][0], OBSERVABLES[o][1]
            vals[:, i, k] = at[q] * fac * (phis if o == "burden_marker" else 1.0)
    a = (1.0 - level) / 2.0
    samples = vals[1:] if n_samples > 0 else vals
    dims = ("observable", "time_days")
    lethal = base.death.lethal_burden_cells
    past = total >= lethal
    attrs: dict[str, Any] = {"id": sf.id, "level": level, "n_samples": n_samples, "seed": seed,
                             "overrides": list(overrides), "keys": list(keys),
                             "estimate_values": [float(x) for x in sf.estimate],
                             "times_from": "last observation" if from_last else "given",
                             "n_draws_clipped_to_search_bounds": int(outside.sum()),
                             "last_observation_day": float(sf.last_observation_day),
                             "lethal_burden_cells": lethal,
                             "first_day_past_lethal_burden": float(t[past][0]) if past.any()
                             else None,
                             "fit_converged": bool(sf.converged)}
    if not sf.converged:
        attrs["warning"] = unconverged_message(sf)
    if past.any():
        attrs["note"] = (f"from day {t[past][0]:g} the point-estimate total burden exceeds "
                         f"death.lethal_burden_cells = {lethal:g}: the patient would be dead; "
                         "rows with past_lethal_burden = true continue the model beyond death "
                         "and are not physical states")
    return xr.Dataset(
        {"estimate": (dims, vals[0]), "median": (dims, np.median(samples, 0)),
         "lower": (dims, np.quantile(samples, a, 0)),
         "upper": (dims, np.quantile(samples, 1 - a, 0)),
         "past_lethal_burden": ("time_days", past)},
        coords={"observable": obs, "time_days": t}, attrs=attrs)
