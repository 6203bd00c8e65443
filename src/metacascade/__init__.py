"""metacascade: simulate, fit and time cancer metastasis.

Public API::

    import metacascade as mc
    scenario = mc.load_scenario("breast", ["dissemination.mu=2e-11"])
    result = mc.simulate(scenario)
    result.summary["lead_time_days"]
"""

from metacascade._version import __version__
from metacascade.cohort import CohortResult, simulate_cohort
from metacascade.engines.organism import simulate, simulate_batch, size_distribution
from metacascade.errors import DataError, MetacascadeError, ScenarioError
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
    "MetacascadeError",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "builtin_names",
    "dump_toml",
    "load_scenario",
    "scenario_json_schema",
    "simulate",
    "simulate_batch",
    "simulate_cohort",
    "size_distribution",
]
