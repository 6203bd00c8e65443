"""The fitting API: :func:`fit` returns a :class:`FitResult`, which writes and reads its folder."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metacascade._version import __version__
from metacascade.errors import DataError, MetacascadeError, ScenarioError, shown
from metacascade.inference.data import (
    OBSERVABLES,
    ObservationData,
    from_frame,
    load_observations,
)
from metacascade.inference.fit import (
    FitSettings,
    IdentifiabilityWarning,
    Objective,
    SubjectFit,
    fit_individuals,
)
from metacascade.inference.fit_abc import ABCFitSettings, fit_abc_individuals
from metacascade.inference.likelihood import ErrorModel
from metacascade.inference.model import get_value
from metacascade.inference.population import PopulationFit, saem
from metacascade.limits import check_memory
from metacascade.options import check_int, check_level, check_number, check_seed
from metacascade.outputs import output_folder
from metacascade.parallel import Executor
from metacascade.scenario import Scenario, dump_toml, load_scenario, scenario_from_toml

#: Most bootstrap replicates accepted (each is one local optimisation: 1e5 already takes hours).
MAX_BOOTSTRAP = 100_000
#: Most worker processes and multi-start design points accepted.
MAX_WORKERS = 1024
MAX_STARTS = 2**16


@dataclass
class FitResult:
    """Individual fits (and, optionally, a population fit with EBEs) with provenance."""

    fits: list[SubjectFit]
    settings: FitSettings
    scenario: Scenario
    data: ObservationData | None
    population: PopulationFit | None
    version: str
    created: str
    overrides: dict[str, dict[str, Any]]  # per-id scenario values implied by the data
    #: "ml" (maximum likelihood) or "abc" (ABC-SMC: estimates are posterior medians, intervals
    #: credible intervals; ``posterior`` holds the weighted particles ``id, weight, <keys>``)
    method: str = "ml"
    posterior: pd.DataFrame | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return self.settings.keys

    @property
    def reported(self) -> list[SubjectFit]:
        """The per-id rows of estimates.csv: EBEs for a population fit, else individual ML."""
        return self.population.ebe if self.population is not None else self.fits

    def estimates(self, individual: bool = False) -> pd.DataFrame:
        """One row per id: id, <key>, <key>_lower, <key>_upper for each key, loglik, converged,
        then n_obs and warnings."""
        rows = []
        for f in (self.fits if individual else self.reported):
            r = f.as_row()
            r["n_obs"] = f.n_obs
            r["warnings"] = "; ".join(f.warnings)
            rows.append(r)
        return pd.DataFrame(rows)

    def subject_fit(self, sid: str) -> SubjectFit:
        for f in self.reported:
            if f.id == str(sid):
                return f
        raise DataError(f"id {shown(sid)} is not in this fit (ids: "
                        f"{', '.join(f.id for f in self.reported[:10])})")

    def goodness_of_fit(self) -> dict[str, Any]:
        ll = [f.loglik for f in self.fits]
        n = sum(f.n_obs for f in self.fits)
        k = len(self.keys) * len(self.fits)
        tot = float(np.sum(ll))
        return {"total_loglik": tot, "n_observations": n, "n_parameters": k,
                "aic": -2 * tot + 2 * k, "bic": -2 * tot + k * math.log(max(n, 1)),
                "n_converged": int(sum(f.converged for f in self.fits)),
                "n_ids": len(self.fits)}

    def to_dict(self) -> dict[str, Any]:
        def fdict(f: SubjectFit) -> dict[str, Any]:
            d = {k: _nan_none(v) for k, v in f.as_row().items()}
            d.update({"n_obs": f.n_obs, "warnings": f.warnings,
                      "last_observation_day": _nan_none(f.last_observation_day),
                      "cov_log": _nan_none(f.cov_log.tolist()),
                      "fitted": _nan_none(f.fitted.tolist()),
                      "scenario_overrides": self.overrides.get(f.id, {})})
            if f.profiles:
                d["profiles"] = {k: {"value": _nan_none(v[0]), "loglik": _nan_none(v[1])}
                                 for k, v in f.profiles.items()}
            return d

        out: dict[str, Any] = {
            "estimates": [fdict(f) for f in self.reported],
            "settings": self.settings.to_dict(),
            "method": self.method,
            "goodness_of_fit": self.goodness_of_fit(),
            "provenance": {"version": self.version, "seed": self.settings.seed,
                           "created": self.created,
                           "data": self.data.source if self.data is not None else None,
                           "scenario_name": self.scenario.name,
                           "scenario_toml": dump_toml(self.scenario)},
        }
        if self.population is not None:
            out["population"] = self.population.to_dict()
            out["individual_estimates"] = [fdict(f) for f in self.fits]
        return out

    def write_into(self, folder: Path) -> None:
        """Write estimates.csv, estimates.json and scenario.toml (and posterior.csv for an ABC
        fit) into ``folder`` (the figures: :func:`metacascade.plotting.fit.save_fit_figures`).
        Posterior samples are CSV: pyarrow (parquet) is not a dependency of metacascade."""
        self.estimates().to_csv(folder / "estimates.csv", index=False)
        if self.posterior is not None:
            self.posterior.to_csv(folder / "posterior.csv", index=False)
        if self.population is not None:
            self.estimates(individual=True).to_csv(folder / "individual_estimates.csv",
                                                   index=False)
        (folder / "estimates.json").write_text(
            json.dumps(_strict_json(self.to_dict()), indent=1, allow_nan=False) + "\n")
        (folder / "scenario.toml").write_text(dump_toml(self.scenario))

    def save(self, target: str | Path) -> Path:
        """Write the folder atomically (a temporary folder renamed at the end)."""
        t = Path(target)
        with output_folder(t, "fit", scenario_name=self.scenario.name) as tmp:
            self.write_into(tmp)
        return t


def _strict_json(x: Any) -> Any:
    """Replace non-finite floats (anywhere) by None so the file is valid JSON."""
    if isinstance(x, dict):
        return {k: _strict_json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_strict_json(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _nan_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, list):
        return [_nan_none(v) for v in x]
    if isinstance(x, np.floating):
        return _nan_none(float(x))
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _as_data(data: ObservationData | pd.DataFrame | str | Path) -> ObservationData:
    if isinstance(data, ObservationData):
        return data
    if isinstance(data, pd.DataFrame):
        return from_frame(data)
    return load_observations(data)


def fit(
    data: ObservationData | pd.DataFrame | str | Path,
    scenario: str | Path | Scenario = "neuroblastoma",
    keys: Sequence[str] | str = ("dissemination.mu",),
    *,
    overrides: Sequence[str] = (),
    error: dict[str, str | ErrorModel] | None = None,
    default_error: str | ErrorModel = "proportional:0.1",
    bounds: dict[str, tuple[float, float]] | None = None,
    phi: float | None = None,
    interval: str = "profile",
    level: float = 0.95,
    n_bootstrap: int = 200,
    population: bool = False,
    ids: Sequence[str] | None = None,
    seed: int = 0,
    workers: int = 1,
    engine: str = "auto",
    n_starts: int = 64,
    executor: Executor | None = None,
    method: str = "ml",
    abc: ABCFitSettings | None = None,
) -> FitResult:
    """Fit scenario parameters ``keys`` to long-format data, id by id (maximum likelihood), and
    optionally a population model (SAEM, log-normal random effects) with EBEs.

    The per-id fits run in ``workers`` processes, or on ``executor`` (any executor of
    :mod:`metacascade.parallel`); the estimates do not depend on either (bit for bit).
    ``method="abc"``: ABC-SMC posterior per id instead (:mod:`metacascade.inference.fit_abc`;
    estimates are posterior medians, intervals credible intervals at ``level``, the particles in
    ``result.posterior``); ``interval`` and ``n_bootstrap`` do not apply, ``population`` is not
    available.

    >>> res = fit("examples/neuroblastoma/observations.csv", "neuroblastoma",
    ...           ["dissemination.mu", "detection.visible_diameter_mm"])   # doctest: +SKIP
    >>> res.estimates().head()                                               # doctest: +SKIP
    """
    if method not in ("ml", "abc"):
        raise ScenarioError(f"--method {shown(method)}: allowed ml, abc")
    if method == "abc" and population:
        raise ScenarioError("--method abc: --population is not available (fit per id)")
    if method == "abc":
        interval = "none"
    level = check_level(level)
    n_bootstrap = check_int("--n-bootstrap", n_bootstrap, 1, MAX_BOOTSTRAP)
    seed = check_seed(seed)
    workers = check_int("--workers", workers, 1, MAX_WORKERS)
    n_starts = check_int("n_starts", n_starts, 1, MAX_STARTS)
    if phi is not None:
        phi = check_number("--phi", phi, gt=0.0)
    if isinstance(keys, str):
        ks = tuple(k.strip() for k in keys.split(","))
    elif isinstance(keys, Sequence) and all(isinstance(k, str) for k in keys):
        ks = tuple(k.strip() for k in keys)
    else:
        raise ScenarioError(f"--fit {shown(keys)}: give dotted keys (a comma-separated string "
                            "or a list of strings)")
    ks = tuple(k for k in ks if k)
    if interval == "bootstrap":
        check_memory(8.0 * n_bootstrap * max(len(ks), 1) * 4,
                     f"{n_bootstrap:,} bootstrap replicates", "lower --n-bootstrap")
    for name, b in (bounds or {}).items():
        if not (isinstance(b, tuple | list) and len(b) == 2):
            raise ScenarioError(f"--bounds {shown(name)}: give (lower, upper)")
        check_number(f"--bounds {name} lower", b[0], gt=0.0)
        check_number(f"--bounds {name} upper", b[1], gt=0.0)
    obs = _as_data(data)
    sc = scenario if isinstance(scenario, Scenario) and not overrides \
        else load_scenario(scenario, list(overrides))
    errs = {k: (v if isinstance(v, ErrorModel) else ErrorModel.parse(v))
            for k, v in (error or {}).items()}
    de = default_error if isinstance(default_error, ErrorModel) \
        else ErrorModel.parse(default_error)
    settings = FitSettings(keys=ks, bounds=dict(bounds or {}), error=errs, default_error=de,
                           obs_params={} if phi is None else {"marker.phi": phi},
                           interval=interval, level=level, n_bootstrap=n_bootstrap, seed=seed,
                           engine=engine, n_starts=n_starts)
    for k in ks:
        get_value(sc, k, settings.obs_params)  # clear error for unknown keys
    for o in errs:
        if o not in OBSERVABLES:
            raise ScenarioError(f"--error {o}=...: unknown observable; allowed: "
                                f"{', '.join(OBSERVABLES)}")
    for k in settings.bounds:
        if k not in ks:
            raise ScenarioError(f"--bounds {shown(k)}=...: it is not fitted (--fit {','.join(ks)})")
    chosen = [str(i) for i in ids] if ids is not None else obs.ids
    for i in chosen:
        obs[i]  # noqa: B018 - raises DataError for unknown ids
    if method == "abc":
        fits, posterior = fit_abc_individuals(obs, sc, settings, chosen, abc, workers,
                                               executor)
        return FitResult(fits=fits, settings=settings, scenario=sc, data=obs, population=None,
                         version=__version__,
                         created=datetime.now(UTC).isoformat(timespec="seconds"),
                         overrides={i: obs[i].scenario_overrides() for i in chosen},
                         method="abc", posterior=posterior)
    fits = fit_individuals(obs, sc, settings, chosen, workers, executor)
    pop = None
    if population:
        if len(fits) < 3:
            raise MetacascadeError(f"--population needs at least 3 ids (got {len(fits)})")
        objs = [Objective(sc, obs[i], settings) for i in chosen]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IdentifiabilityWarning)
            pop = saem(objs, fits, seed=seed, level=level)
    return FitResult(fits=fits, settings=settings, scenario=sc, data=obs, population=pop,
                     version=__version__, created=datetime.now(UTC).isoformat(timespec="seconds"),
                     overrides={i: obs[i].scenario_overrides() for i in chosen})


def load_fit(folder: str | Path) -> FitResult:
    """Read a fit folder written by :meth:`FitResult.save` (enough for :func:`predict`).
    A missing, unreadable or corrupt ``estimates.json`` is a DataError, never a traceback."""
    p = Path(folder) / "estimates.json"
    try:
        if not p.is_file():
            raise DataError(f"{shown(str(p))} not found: give a folder written by "
                            "'metacascade fit'")
        return _load_fit(p)
    except MetacascadeError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError,
            AttributeError, RecursionError) as exc:
        raise DataError(f"{shown(str(p))} is not a valid fit file written by 'metacascade fit' "
                        f"({type(exc).__name__}: {shown(str(exc), 120)})") from None


def _load_fit(p: Path) -> FitResult:
    d = json.loads(p.read_text(encoding="utf-8"))
    s = d["settings"]
    settings = FitSettings(
        keys=tuple(s["keys"]), bounds={k: (v[0], v[1]) for k, v in s["bounds"].items()},
        error={k: ErrorModel(**v) for k, v in s["error"].items()},
        default_error=ErrorModel(**s["default_error"]), obs_params=s["obs_params"],
        n_starts=s["n_starts"], n_local=s["n_local"], interval=s["interval"], level=s["level"],
        n_bootstrap=s["n_bootstrap"], seed=s["seed"], engine=s["engine"])
    sc = scenario_from_toml(d["provenance"]["scenario_toml"], "fitted scenario")

    def sf(e: dict[str, Any]) -> SubjectFit:
        ks = settings.keys

        def arr(suffix: str) -> np.ndarray[Any, Any]:
            return np.array([np.nan if e.get(k + suffix) is None else e[k + suffix] for k in ks])

        cov = np.array([[np.nan if v is None else v for v in row] for row in e["cov_log"]])
        return SubjectFit(id=str(e["id"]), keys=ks, estimate=arr(""), lower=arr("_lower"),
                          upper=arr("_upper"), loglik=e["loglik"] if e["loglik"] is not None
                          else math.nan, converged=bool(e["converged"]), n_obs=e["n_obs"],
                          fitted=np.array(e["fitted"], dtype=float), cov_log=cov,
                          warnings=e["warnings"],
                          last_observation_day=math.nan if e.get("last_observation_day") is None
                          else float(e["last_observation_day"]))

    fits = [sf(e) for e in d["estimates"]]
    return FitResult(fits=fits, settings=settings, scenario=sc, data=None, population=None,
                     version=d["provenance"]["version"], created=d["provenance"]["created"],
                     overrides={str(e["id"]): e["scenario_overrides"] for e in d["estimates"]},
                     method=str(d.get("method", "ml")))
