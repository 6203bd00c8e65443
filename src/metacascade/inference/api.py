"""The fitting API: :func:`fit` returns a :class:`~metacascade.inference.result.FitResult`, which
writes and reads its folder."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from metacascade.errors import MetacascadeError, ScenarioError, shown
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
    fit_individuals,
)
from metacascade.inference.fit_abc import ABCFitSettings, fit_abc_individuals
from metacascade.inference.likelihood import ErrorModel
from metacascade.inference.model import get_value
from metacascade.inference.population import saem
from metacascade.inference.result import FitResult
from metacascade.limits import check_memory
from metacascade.options import check_int, check_level, check_number, check_seed
from metacascade.parallel import Executor
from metacascade.scenario import Scenario, load_scenario

#: Most bootstrap replicates accepted (each is one local optimisation: 1e5 already takes hours).
MAX_BOOTSTRAP = 100_000
#: Most worker processes and multi-start design points accepted.
MAX_WORKERS = 1024
MAX_STARTS = 2**16


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

    Parameters
    ----------
    data : ObservationData, pandas.DataFrame, str or Path
        Long-format observations (:func:`load_observations`): ``id``, ``time`` (days or
        ``diagnosis``), ``observable``, ``value`` (in the observable's unit), covariates.
    scenario : str, Path or Scenario
        The model every id starts from (a built-in name, a TOML file or a scenario).
    keys : sequence of str, or str
        Dotted scenario keys to fit (or ``marker.phi``); each estimate is in its key's unit
        (``dissemination.mu`` per cell per day, ``detection.visible_diameter_mm`` mm).
    overrides : sequence of str
        ``dotted.key=value`` changes to ``scenario`` before fitting.
    error : dict of str to str or ErrorModel, optional
        Observable -> residual error model (``"proportional:0.1"``, ``"additive:2"`` in the
        observable's unit, ``"combined:2,0.1"``).
    default_error : str or ErrorModel
        The error model of the other observables (default a proportional sd of 0.1,
        dimensionless).
    bounds : dict of str to (float, float), optional
        Key -> (lower, upper) search box, in the key's unit (e.g. per cell per day for
        ``dissemination.mu``; default: the scenario's range).
    phi : float, optional
        ``marker.phi``: marker units per cell of ``burden_marker`` (e.g. UI/L per cell;
        default 1e-9, Benzekry 2021 LDH).
    interval : str
        ``"profile"`` (profile likelihood), ``"bootstrap"`` (parametric) or ``"none"``.
    level : float
        Confidence (or credible) level of the intervals, a probability in (0, 1).
    n_bootstrap : int
        The number of bootstrap replicates (``interval="bootstrap"``).
    population : bool
        Also fit a population model (SAEM, log-normal random effects) and report EBEs.
    ids : sequence of str, optional
        Fit only these ids (default: every id of the data).
    seed : int
        Seed of the random number generator (multi-start points, bootstrap, ABC).
    workers : int
        Number of worker processes for the per-id fits (1: in this process).
    engine : str
        The engine that simulates each id (``"auto"``: :func:`simulate`'s choice).
    n_starts : int
        Number of multi-start points of the global search per id.
    executor : Executor, optional
        An executor of :mod:`metacascade.parallel` to run the per-id fits on instead.
    method : str
        ``"ml"`` (maximum likelihood) or ``"abc"`` (ABC-SMC posterior).
    abc : ABCFitSettings, optional
        ABC-SMC settings (population size, tolerances in noise sd units; ``method="abc"``).

    Returns
    -------
    FitResult
        The per-id fits (and population fit), with settings, data and provenance.

    Raises
    ------
    ScenarioError
        An unknown key or method, a value out of range, or options that do not go together.
    DataError
        The data cannot be read or an id is unknown.

    Warns
    -----
    IdentifiabilityWarning
        An estimate sits on a bound or its interval is open.

    Examples
    --------
    >>> import metacascade as mc
    >>> res = mc.fit("examples/neuroblastoma/observations.csv", "neuroblastoma",
    ...              ["dissemination.mu", "detection.visible_diameter_mm"],
    ...              ids=["1", "2"], interval="none")                 # doctest: +SKIP
    >>> res.estimates()[["id", "dissemination.mu"]]                  # doctest: +SKIP
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
    if population and len(chosen) < 3:  # before the individual fits, not after minutes of them
        raise MetacascadeError(f"--population needs at least 3 ids (got {len(chosen)})")
    if method == "abc":
        fits, posterior = fit_abc_individuals(obs, sc, settings, chosen, abc, workers,
                                               executor)
        return FitResult(fits=fits, settings=settings, scenario=sc, data=obs, population=None,
                         overrides={i: obs[i].scenario_overrides() for i in chosen},
                         method="abc", posterior=posterior)
    fits = fit_individuals(obs, sc, settings, chosen, workers, executor)
    pop = None
    if population:
        objs = [Objective(sc, obs[i], settings) for i in chosen]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IdentifiabilityWarning)
            pop = saem(objs, fits, seed=seed, level=level)
    return FitResult(fits=fits, settings=settings, scenario=sc, data=obs, population=pop,
                     overrides={i: obs[i].scenario_overrides() for i in chosen})
