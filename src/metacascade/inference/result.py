"""The fit result (``metacascade fit``): individual and population fits, the data, provenance.

It lives with the fitting code because its records (:class:`SubjectFit`, :class:`FitSettings`,
:class:`PopulationFit`, :class:`ObservationData`) are the optimiser's; everything else (the
provenance record, the JSON encoder, the atomic writer, ``save``/``saving``/``load``) is the one of
:mod:`metacascade.result`, which loads fit folders through this module.

Folder (``kind = "fit"``)::

    estimates.csv             one row per id: estimates, interval bounds, loglik, ... (contract)
    individual_estimates.csv  the individual fits when a population was fitted
    estimates.json            everything, exactly: estimates (with covariances, fitted values,
                              profiles and bootstrap draws), settings, goodness of fit,
                              provenance, the population fit and its state, the observations
    scenario.toml             the fitted scenario
    provenance.json           the provenance record (data)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metacascade._version import __version__
from metacascade.errors import DataError, MetacascadeError, shown
from metacascade.inference.data import ObservationData, SubjectData, some_ids
from metacascade.inference.fit import FitSettings, SubjectFit
from metacascade.inference.likelihood import ErrorModel
from metacascade.inference.population import PopulationFit
from metacascade.result import jsonio
from metacascade.result.base import SavedResult, register
from metacascade.result.provenance import Provenance, command_line, now
from metacascade.scenario import Scenario, dump_toml, scenario_from_toml

Array = np.ndarray[Any, Any]
ESTIMATES_JSON = "estimates.json"
#: The weighted posterior particles of an ABC fit (``id, weight, <keys>``).
POSTERIOR_CSV = "posterior.csv"


@register
@dataclass
class FitResult(SavedResult):
    """Individual fits (and, optionally, a population fit with EBEs) with provenance.

    Parameters
    ----------
    fits : list of SubjectFit
        One maximum-likelihood (or ABC) fit per id.
    settings : FitSettings
        The fitted keys, bounds, error models, interval method and seed.
    scenario : Scenario
        The scenario the fit started from.
    data : ObservationData or None
        The data that were fitted (None for folders of older versions).
    population : PopulationFit or None
        The population fit (SAEM, log-normal random effects) with its EBEs.
    version : str
        The metacascade version that made the result.
    created : str
        UTC time the result was made (ISO 8601).
    overrides : dict
        Id -> the scenario values of that id (from its covariates and data).
    method : str
        ``"ml"`` (maximum likelihood) or ``"abc"`` (ABC-SMC).
    posterior : pandas.DataFrame or None
        The weighted ABC particles ``id, weight, <keys>`` (ABC fits).
    command : tuple of str
        The command line that made the result.

    Examples
    --------
    >>> import metacascade as mc
    >>> res = mc.fit("examples/neuroblastoma/observations.csv", ids=["1", "2"],
    ...              interval="none")                                  # doctest: +SKIP
    >>> res.keys                                                       # doctest: +SKIP
    ('dissemination.mu',)
    >>> res.estimates()[["id", "dissemination.mu"]]                   # doctest: +SKIP
    """

    kind = "fit"
    regenerate = "metacascade fit DATA --fit KEYS --out DIR"

    fits: list[SubjectFit]
    settings: FitSettings
    scenario: Scenario
    data: ObservationData | None
    population: PopulationFit | None
    version: str = __version__
    created: str = field(default_factory=now)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-id scenario values
    #: "ml" (maximum likelihood) or "abc" (ABC-SMC: estimates are posterior medians, intervals
    #: credible intervals; ``posterior`` holds the weighted particles ``id, weight, <keys>``)
    method: str = "ml"
    posterior: pd.DataFrame | None = None
    command: tuple[str, ...] = field(default_factory=command_line)

    def __post_init__(self) -> None:
        self.command = tuple(self.command)
        for f in [*self.fits, *(self.population.ebe if self.population is not None else [])]:
            _plain_scalars(f)
        if self.population is not None:
            self.population.loglik = float(self.population.loglik)
            self.population.n_iterations = int(self.population.n_iterations)

    @property
    def keys(self) -> tuple[str, ...]:
        """The fitted dotted keys of the scenario, in order."""
        return self.settings.keys

    @property
    def reported(self) -> list[SubjectFit]:
        """The per-id rows of estimates.csv: EBEs for a population fit, else individual ML."""
        return self.population.ebe if self.population is not None else self.fits

    def estimates(self, individual: bool = False) -> pd.DataFrame:
        """One row per id: id, <key>, <key>_lower, <key>_upper for each key, loglik, converged,
        then n_obs and warnings.

        Parameters
        ----------
        individual : bool
            The individual maximum-likelihood fits even when there is a population fit (whose
            EBEs are the default rows).

        Returns
        -------
        pandas.DataFrame
            The ``estimates.csv`` table; each estimate in the unit its key names.
        """
        rows = []
        for f in (self.fits if individual else self.reported):
            r = f.as_row()
            r["n_obs"] = f.n_obs
            r["warnings"] = "; ".join(f.warnings)
            rows.append(r)
        return pd.DataFrame(rows)

    def to_dataframe(self) -> pd.DataFrame:
        """The ``estimates.csv`` table (see :meth:`estimates`).

        Returns
        -------
        pandas.DataFrame
            One row per id.
        """
        return self.estimates()

    def subject_fit(self, sid: str) -> SubjectFit:
        """The reported fit of one id (its EBE for a population fit).

        Parameters
        ----------
        sid : str
            The id as in the data file.

        Returns
        -------
        SubjectFit
            Estimates, intervals, log-likelihood and fitted values of that id.

        Raises
        ------
        DataError
            The id is not in this fit.
        """
        for f in self.reported:
            if f.id == str(sid):
                return f
        raise DataError(f"id {shown(sid)} is not in this fit "
                        f"({some_ids([f.id for f in self.reported])})")

    def goodness_of_fit(self) -> dict[str, Any]:
        """Total log-likelihood, AIC and BIC of the individual fits.

        Returns
        -------
        dict
            ``total_loglik``, ``n_observations``, ``n_parameters``, ``aic``, ``bic``,
            ``n_converged`` and ``n_ids`` (counts).
        """
        ll = [f.loglik for f in self.fits]
        n = sum(f.n_obs for f in self.fits)
        k = len(self.keys) * len(self.fits)
        tot = float(np.sum(ll))
        return {"total_loglik": tot, "n_observations": n, "n_parameters": k,
                "aic": -2 * tot + 2 * k, "bic": -2 * tot + k * math.log(max(n, 1)),
                "n_converged": int(sum(f.converged for f in self.fits)),
                "n_ids": len(self.fits)}

    @property
    def provenance(self) -> Provenance:
        """The provenance record written as ``provenance.json``."""
        return Provenance("fit", version=self.version, created=self.created,
                          command=self.command, seed=self.settings.seed, scenario=self.scenario,
                          extra={"data": self.data.source if self.data is not None else None})

    # ---- the estimates.json document ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``estimates.json`` document (plain JSON data; undefined numbers are None).

        Returns
        -------
        dict
            Estimates, settings, method, goodness of fit, provenance, the population fit and
            the observations: everything :meth:`read_from` needs.
        """
        out: dict[str, Any] = {
            "estimates": [self._fit_dict(f) for f in self.reported],
            "settings": {**self.settings.to_dict(),
                         "profile_points": self.settings.profile_points},
            "method": self.method,
            "goodness_of_fit": self.goodness_of_fit(),
            "provenance": {"version": self.version, "seed": self.settings.seed,
                           "created": self.created,
                           "data": self.data.source if self.data is not None else None,
                           "scenario_name": self.scenario.name,
                           "scenario_toml": dump_toml(self.scenario)},
        }
        if self.population is not None:
            p = self.population
            out["population"] = {**p.to_dict(), "state": {
                "mean_log": p.mean_log, "omega": p.omega,
                "two_stage_mean_log": p.two_stage_mean_log,
                "two_stage_omega": p.two_stage_omega, "trace": _matrix(p.trace)}}
            out["individual_estimates"] = [self._fit_dict(f) for f in self.fits]
        out["observations"] = _data_dict(self.data) if self.data is not None else None
        return jsonio.plain(out)

    def _fit_dict(self, f: SubjectFit) -> dict[str, Any]:
        d = f.as_row()
        d.update({"n_obs": f.n_obs, "warnings": f.warnings,
                  "last_observation_day": f.last_observation_day, "cov_log": f.cov_log,
                  "fitted": f.fitted, "scenario_overrides": self.overrides.get(f.id, {})})
        if f.profiles:
            d["profiles"] = {k: {"value": v[0], "loglik": v[1]} for k, v in f.profiles.items()}
        d["bootstrap"] = None if f.bootstrap is None else _matrix(f.bootstrap)
        d["n_evaluations"] = f.n_evaluations
        return d

    # ---- files ----------------------------------------------------------------------------------
    @property
    def file_names(self) -> list[str]:
        """The files :meth:`write_into` writes (``provenance.json`` and the figures aside), in the
        order the CLI lists them."""
        names = ["estimates.csv"]
        if self.population is not None:
            names.append("individual_estimates.csv")
        if self.posterior is not None:
            names.append(POSTERIOR_CSV)
        return [*names, ESTIMATES_JSON, "scenario.toml"]

    def write_into(self, folder: Path) -> None:
        """Write estimates.csv, estimates.json and scenario.toml (and posterior.csv for an ABC
        fit) into ``folder`` (the figures: :func:`metacascade.plotting.fit.save_fit_figures`).
        Posterior samples are CSV (shortest round-trip floats, read back exactly): pyarrow
        (parquet) is not a dependency of metacascade."""
        self.estimates().to_csv(folder / "estimates.csv", index=False)
        if self.posterior is not None:
            self.posterior.to_csv(folder / POSTERIOR_CSV, index=False)
        if self.population is not None:
            self.estimates(individual=True).to_csv(folder / "individual_estimates.csv",
                                                   index=False)
        jsonio.write_json(folder / ESTIMATES_JSON, self.to_dict(), indent=1)
        (folder / "scenario.toml").write_text(dump_toml(self.scenario), encoding="utf-8")

    @classmethod
    def read_from(cls, folder: Path, provenance: Provenance | None) -> FitResult:
        """The fit in ``folder``. A missing, unreadable or corrupt ``estimates.json`` is a
        DataError, never a traceback. Folders of older versions load without the data and the
        population fit (enough for :func:`metacascade.predict`)."""
        p = folder / ESTIMATES_JSON
        if not p.is_file():
            raise DataError(f"{shown(str(p))} not found: give a folder written by "
                            "'metacascade fit'")
        try:
            d = jsonio.read_json(p)
            res = _from_dict(d)
        except MetacascadeError as exc:
            raise DataError(f"{shown(str(p))} is not a valid fit file written by 'metacascade "
                            f"fit' ({shown(str(exc), 160)})") from None
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise DataError(f"{shown(str(p))} is not a valid fit file written by 'metacascade "
                            f"fit' ({type(exc).__name__}: {shown(str(exc), 120)})") from None
        post = folder / POSTERIOR_CSV
        if res.method == "abc" and post.is_file():
            try:
                res.posterior = pd.read_csv(post, dtype={"id": str})
            except (ValueError, OSError) as exc:
                raise DataError(f"{shown(str(post))} is not a posterior table written by "
                                f"an ABC fit (metacascade.fit(..., method='abc')) "
                                f"({shown(str(exc), 120)})") from None
        if provenance is not None:
            res.command = provenance.command
        return res


def _plain_scalars(f: SubjectFit) -> None:
    """The optimiser's numpy scalars as Python numbers (what the saved fit gives back)."""
    f.loglik, f.converged, f.n_obs = float(f.loglik), bool(f.converged), int(f.n_obs)
    f.n_evaluations = int(f.n_evaluations)
    f.last_observation_day = float(f.last_observation_day)
    f.warnings = [str(w) for w in f.warnings]
    f.profiles = {str(k): ([float(x) for x in v[0]], [float(y) for y in v[1]])
                  for k, v in f.profiles.items()}


def _matrix(a: Array) -> dict[str, Any]:
    """A 2-D array with its shape (so that empty arrays keep their shape)."""
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.ravel().tolist()}


def _unmatrix(d: Mapping[str, Any]) -> Array:
    return _floats(d["data"]).reshape([int(n) for n in d["shape"]])


def _floats(values: Any) -> Array:
    """A float64 array from JSON numbers (null -> NaN)."""
    return np.array(values, dtype=np.float64)


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _data_dict(data: ObservationData) -> dict[str, Any]:
    cov = data.covariates
    return {
        "source": data.source,
        "covariate_types": {str(c): str(t) for c, t in cov.dtypes.items()},
        "covariates": {str(c): cov[c].tolist() for c in cov.columns},
        "subjects": [{"id": s.id, "time": s.time, "at_diagnosis": s.at_diagnosis,
                      "observable": s.observable, "value": s.value, "censored": s.censored,
                      "row": s.row, "diagnosis_primary_cells": s.diagnosis_primary_cells,
                      "resection_day": s.resection_day,
                      "resection_at_diagnosis": s.resection_at_diagnosis}
                     for s in data.subjects.values()],
    }


def _data_from(d: Mapping[str, Any]) -> ObservationData:
    ids = [str(s["id"]) for s in d["subjects"]]
    cols: dict[str, Any] = {}
    for c, t in d["covariate_types"].items():
        values = d["covariates"][c]
        if t == "object":  # a missing text cell was NaN
            cols[c] = pd.Series([math.nan if v is None else v for v in values], dtype=object)
        else:
            cols[c] = pd.Series([math.nan if v is None else v for v in values]).astype(t)
    cov = pd.DataFrame(cols, index=pd.RangeIndex(len(ids)))
    cov.index = pd.Index(ids, name="id")
    if not cols:
        cov = pd.DataFrame(index=pd.Index(ids, name="id"))
    values = {c: cov[c].to_numpy(dtype=object) for c in cov.columns}
    subjects: dict[str, SubjectData] = {}
    for g, s in enumerate(d["subjects"]):
        sid = str(s["id"])
        subjects[sid] = SubjectData(
            id=sid, time=_floats(s["time"]), at_diagnosis=np.array(s["at_diagnosis"], dtype=bool),
            observable=[str(o) for o in s["observable"]], value=_floats(s["value"]),
            censored=np.array(s["censored"], dtype=bool),
            row=np.array(s["row"], dtype=np.int64),
            diagnosis_primary_cells=None if s["diagnosis_primary_cells"] is None
            else float(s["diagnosis_primary_cells"]),
            resection_day=None if s["resection_day"] is None else float(s["resection_day"]),
            resection_at_diagnosis=bool(s["resection_at_diagnosis"]),
            covariates={c: v[g] for c, v in values.items()})
    return ObservationData(subjects=subjects, covariates=cov, source=str(d["source"]))


def _subject_fit(e: Mapping[str, Any], keys: tuple[str, ...]) -> SubjectFit:
    def arr(suffix: str) -> Array:
        return _floats([e.get(k + suffix) for k in keys])

    profiles = {str(k): ([_num(x) for x in v["value"]], [_num(x) for x in v["loglik"]])
                for k, v in (e.get("profiles") or {}).items()}
    boot = e.get("bootstrap")
    return SubjectFit(
        id=str(e["id"]), keys=keys, estimate=arr(""), lower=arr("_lower"), upper=arr("_upper"),
        loglik=_num(e["loglik"]), converged=bool(e["converged"]), n_obs=int(e["n_obs"]),
        fitted=_floats(e["fitted"]),
        cov_log=_floats(e["cov_log"]).reshape(len(keys), len(keys)),
        warnings=[str(w) for w in e["warnings"]], profiles=profiles,
        bootstrap=None if boot is None else _unmatrix(boot),
        n_evaluations=int(e.get("n_evaluations", 0)),
        last_observation_day=_num(e.get("last_observation_day")))


def _settings(s: Mapping[str, Any]) -> FitSettings:
    return FitSettings(
        keys=tuple(s["keys"]), bounds={k: (v[0], v[1]) for k, v in s["bounds"].items()},
        error={k: ErrorModel(**v) for k, v in s["error"].items()},
        default_error=ErrorModel(**s["default_error"]), obs_params=dict(s["obs_params"]),
        n_starts=s["n_starts"], n_local=s["n_local"], interval=s["interval"], level=s["level"],
        n_bootstrap=s["n_bootstrap"], seed=s["seed"], engine=s["engine"],
        profile_points=bool(s.get("profile_points", True)))


def _from_dict(d: Mapping[str, Any]) -> FitResult:
    settings = _settings(d["settings"])
    prov = d["provenance"]
    scenario = scenario_from_toml(prov["scenario_toml"], "fitted scenario")
    keys = settings.keys
    reported = [_subject_fit(e, keys) for e in d["estimates"]]
    population = None
    pop = d.get("population")
    if pop is not None and "state" in pop and "individual_estimates" in d:
        st = pop["state"]
        population = PopulationFit(
            method=str(pop["method"]), keys=keys, mean_log=_floats(st["mean_log"]),
            omega=_floats(st["omega"]), loglik=_num(pop["loglik"]), ebe=reported,
            two_stage_mean_log=_floats(st["two_stage_mean_log"]),
            two_stage_omega=_floats(st["two_stage_omega"]), trace=_unmatrix(st["trace"]),
            n_iterations=int(pop["n_iterations"]))
        fits = [_subject_fit(e, keys) for e in d["individual_estimates"]]
        entries: Sequence[Mapping[str, Any]] = d["individual_estimates"]
    else:  # a fit without a population, or one of an older version (its EBEs as the fits)
        fits, entries = reported, d["estimates"]
    obs = d.get("observations")
    return FitResult(fits=fits, settings=settings, scenario=scenario,
                     data=_data_from(obs) if obs is not None else None, population=population,
                     version=str(prov["version"]), created=str(prov["created"]),
                     overrides={str(e["id"]): dict(e["scenario_overrides"]) for e in entries},
                     method=str(d.get("method", "ml")), command=())


def load_fit(folder: str | Path) -> FitResult:
    """Read a fit folder written by :meth:`FitResult.save` or ``metacascade fit`` (see
    :meth:`FitResult.read_from`); the same as ``FitResult.load``.

    Parameters
    ----------
    folder : str or Path
        A fit folder.

    Returns
    -------
    FitResult
        The saved fit.

    Raises
    ------
    DataError
        The folder or its ``estimates.json`` is missing or damaged.

    Examples
    --------
    >>> import metacascade as mc
    >>> res = mc.load_fit("runs/neuroblastoma-fit/fit")               # doctest: +SKIP
    >>> res.estimates().head()                                       # doctest: +SKIP
    """
    p = Path(folder)
    if not p.is_dir():
        raise DataError(f"{shown(str(p / ESTIMATES_JSON))} not found: give a folder written by "
                        "'metacascade fit'")
    return FitResult.load(p)


__all__ = ["ESTIMATES_JSON", "FitResult", "load_fit"]
