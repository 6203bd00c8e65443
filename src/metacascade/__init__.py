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
    from metacascade.analysis.cohort import relapse_hazard
    from metacascade.analysis.sequencing import summary_statistics as sequencing_statistics
    from metacascade.analysis.sequencing import virtual_sequencing
    from metacascade.api import simulate
    from metacascade.batch import simulate_batch
    from metacascade.biology.bone import LemaireParameters
    from metacascade.biology.cascade import cascade_calibration, expected_fates
    from metacascade.biology.dosing import Dose
    from metacascade.biology.growth import cells_from_diameter_mm, diameter_mm_from_cells
    from metacascade.biology.tumour_interactions import simulate_two_tumours
    from metacascade.claims.runner import run_claims
    from metacascade.cohort import simulate_cohort
    from metacascade.engines.bone import integrate_vicious_cycle, simulate_bone
    from metacascade.engines.injection import inject
    from metacascade.engines.organism import size_distribution
    from metacascade.engines.spread import first_time, solve_cascade
    from metacascade.engines.stochastic import CellScalePatient
    from metacascade.engines.stochastic import simulate_scenario as simulate_cell_scale
    from metacascade.errors import DataError, MetacascadeError, ScenarioError
    from metacascade.inference.api import fit
    from metacascade.inference.bone_fit import (
        fit_johnson2011,
        johnson2011_data,
        simulate_tibd,
        tibd_parameters,
    )
    from metacascade.inference.data import ObservationData, load_observations
    from metacascade.inference.fit import IdentifiabilityWarning
    from metacascade.inference.predict import predict
    from metacascade.inference.result import FitResult, load_fit
    from metacascade.inference.seeding import (
        TimingLaw,
        hu2020_doubling_time_days,
        hu2020_met_timing,
        hu2020_timing_law,
    )
    from metacascade.inference.seeding_abc import SeedingSettings, infer_seeding_table
    from metacascade.inference.seeding_abc import analytic_posterior as analytic_seeding_posterior
    from metacascade.result import (
        ClaimsResult,
        CohortResult,
        InjectionResult,
        PredictionResult,
        Provenance,
        Result,
    )
    from metacascade.result import load as load_result
    from metacascade.result.seeding import early_patients
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
    "analytic_seeding_posterior": "metacascade.inference.seeding_abc:analytic_posterior",
    "builtin_names": "metacascade.scenario",
    "cascade_calibration": "metacascade.biology.cascade",
    "cells_from_diameter_mm": "metacascade.biology.growth",
    "CellScalePatient": "metacascade.engines.stochastic",
    "ClaimsResult": "metacascade.result",
    "CohortResult": "metacascade.result",
    "DataError": "metacascade.errors",
    "diameter_mm_from_cells": "metacascade.biology.growth",
    "Dose": "metacascade.biology.dosing",
    "dump_toml": "metacascade.scenario",
    "early_patients": "metacascade.result.seeding",
    "expected_fates": "metacascade.biology.cascade",
    "first_time": "metacascade.engines.spread",
    "fit": "metacascade.inference.api",
    "fit_johnson2011": "metacascade.inference.bone_fit",
    "FitResult": "metacascade.inference.result",
    "hu2020_doubling_time_days": "metacascade.inference.seeding",
    "hu2020_met_timing": "metacascade.inference.seeding",
    "hu2020_timing_law": "metacascade.inference.seeding",
    "IdentifiabilityWarning": "metacascade.inference.fit",
    "infer_seeding_table": "metacascade.inference.seeding_abc",
    "inject": "metacascade.engines.injection",
    "InjectionResult": "metacascade.result",
    "integrate_vicious_cycle": "metacascade.engines.bone",
    "johnson2011_data": "metacascade.inference.bone_fit",
    "LemaireParameters": "metacascade.biology.bone",
    "load_fit": "metacascade.inference.result",
    "load_observations": "metacascade.inference.data",
    "load_result": "metacascade.result:load",
    "load_scenario": "metacascade.scenario",
    "MetacascadeError": "metacascade.errors",
    "ObservationData": "metacascade.inference.data",
    "predict": "metacascade.inference.predict",
    "PredictionResult": "metacascade.result",
    "Provenance": "metacascade.result",
    "relapse_hazard": "metacascade.analysis.cohort",
    "Result": "metacascade.result",
    "run_claims": "metacascade.claims.runner",
    "Scenario": "metacascade.scenario",
    "scenario_json_schema": "metacascade.scenario",
    "ScenarioError": "metacascade.errors",
    "SeedingSettings": "metacascade.inference.seeding_abc",
    "sequencing_statistics": "metacascade.analysis.sequencing:summary_statistics",
    "simulate": "metacascade.api",
    "simulate_batch": "metacascade.batch",
    "simulate_bone": "metacascade.engines.bone",
    "simulate_cell_scale": "metacascade.engines.stochastic:simulate_scenario",
    "simulate_cohort": "metacascade.cohort",
    "simulate_tibd": "metacascade.inference.bone_fit",
    "simulate_two_tumours": "metacascade.biology.tumour_interactions",
    "size_distribution": "metacascade.engines.organism",
    "solve_cascade": "metacascade.engines.spread",
    "tibd_parameters": "metacascade.inference.bone_fit",
    "TimingLaw": "metacascade.inference.seeding",
    "virtual_sequencing": "metacascade.analysis.sequencing",
}

__all__ = [
    "analytic_seeding_posterior",
    "builtin_names",
    "cascade_calibration",
    "cells_from_diameter_mm",
    "CellScalePatient",
    "ClaimsResult",
    "CohortResult",
    "DataError",
    "diameter_mm_from_cells",
    "Dose",
    "dump_toml",
    "early_patients",
    "expected_fates",
    "first_time",
    "fit",
    "fit_johnson2011",
    "FitResult",
    "hu2020_doubling_time_days",
    "hu2020_met_timing",
    "hu2020_timing_law",
    "IdentifiabilityWarning",
    "infer_seeding_table",
    "inject",
    "InjectionResult",
    "integrate_vicious_cycle",
    "johnson2011_data",
    "LemaireParameters",
    "load_fit",
    "load_observations",
    "load_result",
    "load_scenario",
    "MetacascadeError",
    "ObservationData",
    "predict",
    "PredictionResult",
    "Provenance",
    "relapse_hazard",
    "Result",
    "run_claims",
    "Scenario",
    "scenario_json_schema",
    "ScenarioError",
    "SeedingSettings",
    "sequencing_statistics",
    "simulate",
    "simulate_batch",
    "simulate_bone",
    "simulate_cell_scale",
    "simulate_cohort",
    "simulate_tibd",
    "simulate_two_tumours",
    "size_distribution",
    "solve_cascade",
    "tibd_parameters",
    "TimingLaw",
    "virtual_sequencing",
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
