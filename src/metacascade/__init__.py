"""metacascade: simulate, fit and time cancer metastasis.

Public API::

    import metacascade as mc
    scenario = mc.load_scenario("breast", ["dissemination.mu=2e-11"])
    result = mc.simulate(scenario)
    result.summary["lead_time_days"]
    result.save("runs/breast")            # any result: save(dir) / load(dir), exact
    same = mc.load_result("runs/breast")  # the class picked from provenance.json

The names below are imported on first use (PEP 562): ``import metacascade`` costs milliseconds,
not the second that numpy, numba, scipy, pandas and xarray take, so the command line starts fast
and a script pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # type checkers and IDEs see the names; nothing is imported at run time
    from metacascade._version import __version__
    from metacascade.api import simulate
    from metacascade.batch import simulate_batch
    from metacascade.claims.runner import run_claims
    from metacascade.cohort import simulate_cohort
    from metacascade.engines.bone import simulate_bone
    from metacascade.engines.injection import inject
    from metacascade.engines.organism import size_distribution
    from metacascade.engines.spread import solve_cascade
    from metacascade.errors import DataError, MetacascadeError, ScenarioError
    from metacascade.inference.api import fit
    from metacascade.inference.data import ObservationData, load_observations
    from metacascade.inference.fit import IdentifiabilityWarning
    from metacascade.inference.predict import predict
    from metacascade.inference.result import FitResult, load_fit
    from metacascade.result import (
        ClaimsResult,
        CohortResult,
        InjectionResult,
        PredictionResult,
        Provenance,
        Result,
    )
    from metacascade.result import load as load_result
    from metacascade.scenario import (
        Scenario,
        builtin_names,
        dump_toml,
        load_scenario,
        scenario_json_schema,
    )

#: The module (and the name there, when it differs) of every public name, imported on first use.
_SOURCES: dict[str, str] = {
    "__version__": "metacascade._version",
    "builtin_names": "metacascade.scenario",
    "ClaimsResult": "metacascade.result",
    "CohortResult": "metacascade.result",
    "DataError": "metacascade.errors",
    "dump_toml": "metacascade.scenario",
    "fit": "metacascade.inference.api",
    "FitResult": "metacascade.inference.result",
    "IdentifiabilityWarning": "metacascade.inference.fit",
    "inject": "metacascade.engines.injection",
    "InjectionResult": "metacascade.result",
    "load_fit": "metacascade.inference.result",
    "load_observations": "metacascade.inference.data",
    "load_result": "metacascade.result:load",
    "load_scenario": "metacascade.scenario",
    "MetacascadeError": "metacascade.errors",
    "ObservationData": "metacascade.inference.data",
    "predict": "metacascade.inference.predict",
    "PredictionResult": "metacascade.result",
    "Provenance": "metacascade.result",
    "Result": "metacascade.result",
    "run_claims": "metacascade.claims.runner",
    "Scenario": "metacascade.scenario",
    "scenario_json_schema": "metacascade.scenario",
    "ScenarioError": "metacascade.errors",
    "simulate": "metacascade.api",
    "simulate_batch": "metacascade.batch",
    "simulate_bone": "metacascade.engines.bone",
    "simulate_cohort": "metacascade.cohort",
    "size_distribution": "metacascade.engines.organism",
    "solve_cascade": "metacascade.engines.spread",
}

__all__ = [
    "builtin_names",
    "ClaimsResult",
    "CohortResult",
    "DataError",
    "dump_toml",
    "fit",
    "FitResult",
    "IdentifiabilityWarning",
    "inject",
    "InjectionResult",
    "load_fit",
    "load_observations",
    "load_result",
    "load_scenario",
    "MetacascadeError",
    "ObservationData",
    "predict",
    "PredictionResult",
    "Provenance",
    "Result",
    "run_claims",
    "Scenario",
    "scenario_json_schema",
    "ScenarioError",
    "simulate",
    "simulate_batch",
    "simulate_bone",
    "simulate_cohort",
    "size_distribution",
    "solve_cascade",
    "__version__",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'metacascade' has no attribute {name!r}")
    module, _, attr = source.partition(":")
    value = getattr(importlib.import_module(module), attr or name)
    globals()[name] = value  # the next access does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
