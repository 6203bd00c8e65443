"""metacascade: simulate, fit and time cancer metastasis.

Public API::

    import metacascade as mc
    scenario = mc.load_scenario("breast", ["dissemination.mu=2e-11"])
    result = mc.simulate(scenario)
    result.summary["lead_time_days"]
"""

from metacascade._version import __version__
from metacascade.api import simulate
from metacascade.claims.runner import run_claims
from metacascade.cohort import CohortResult, simulate_cohort
from metacascade.engines.batch import simulate_batch
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
