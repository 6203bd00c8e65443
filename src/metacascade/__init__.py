"""metacascade: simulate, fit and time cancer metastasis.

Public API::

    import metacascade as mc
    scenario = mc.load_scenario("breast", ["dissemination.mu=2e-11"])
    result = mc.simulate(scenario)
    result.summary["lead_time_days"]
    result.save("runs/breast")            # any result: save(dir) / load(dir), exact
    same = mc.load_result("runs/breast")  # the class picked from provenance.json
"""

from metacascade._version import __version__
from metacascade.claims.runner import run_claims
from metacascade.cohort import simulate_cohort
from metacascade.engines.batch import simulate_batch
from metacascade.engines.bone import simulate_bone
from metacascade.engines.injection import inject
from metacascade.engines.organism import simulate, size_distribution
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

__all__ = [
    "ClaimsResult",
    "CohortResult",
    "DataError",
    "FitResult",
    "IdentifiabilityWarning",
    "InjectionResult",
    "MetacascadeError",
    "ObservationData",
    "PredictionResult",
    "Provenance",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "builtin_names",
    "dump_toml",
    "fit",
    "load_fit",
    "load_observations",
    "load_result",
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
