"""metacascade: simulate, fit and time cancer metastasis.

Public API::

    import metacascade as mc
    scenario = mc.load_scenario("breast", ["dissemination.mu=2e-11"])
    result = mc.simulate(scenario)
    result.summary["lead_time_days"]

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
    from metacascade.cohort import CohortResult, simulate_cohort
    from metacascade.engines.bone import simulate_bone
    from metacascade.engines.injection import inject
    from metacascade.engines.organism import size_distribution
    from metacascade.engines.spread import solve_cascade
    from metacascade.errors import DataError, MetacascadeError, ScenarioError
    from metacascade.inference.api import FitResult, fit, load_fit
    from metacascade.inference.data import ObservationData, load_observations
    from metacascade.inference.fit import IdentifiabilityWarning
    from metacascade.inference.predict import predict
    from metacascade.result import Result
    from metacascade.scenario import (
        Scenario,
        builtin_names,
        dump_toml,
        load_scenario,
        scenario_json_schema,
    )

#: The module of every public name (imported when the name is first used).
_SOURCES: dict[str, str] = {
    "__version__": "metacascade._version",
    "builtin_names": "metacascade.scenario",
    "CohortResult": "metacascade.cohort",
    "DataError": "metacascade.errors",
    "dump_toml": "metacascade.scenario",
    "fit": "metacascade.inference.api",
    "FitResult": "metacascade.inference.api",
    "IdentifiabilityWarning": "metacascade.inference.fit",
    "inject": "metacascade.engines.injection",
    "load_fit": "metacascade.inference.api",
    "load_observations": "metacascade.inference.data",
    "load_scenario": "metacascade.scenario",
    "MetacascadeError": "metacascade.errors",
    "ObservationData": "metacascade.inference.data",
    "predict": "metacascade.inference.predict",
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
    "CohortResult",
    "DataError",
    "FitResult",
    "IdentifiabilityWarning",
    "MetacascadeError",
    "ObservationData",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "builtin_names",
    "dump_toml",
    "fit",
    "load_fit",
    "load_observations",
    "inject",
    "load_scenario",
    "run_claims",
    "predict",
    "scenario_json_schema",
    "simulate",
    "simulate_batch",
    "simulate_bone",
    "simulate_cohort",
    "size_distribution",
    "solve_cascade",
]


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'metacascade' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next access does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
