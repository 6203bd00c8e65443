"""Figures of every metacascade result, one module per result kind.

Every ``plot_*`` function takes the result (or a DataFrame/Dataset) and ``ax=None`` and returns the
Axes it drew on; every ``*_figure`` function draws several panels into ``fig=None`` and returns the
Figure. Results never draw themselves, and no module here selects a matplotlib backend (the
command line selects Agg). Only the ``save_*_figures(result, folder) -> list[str]`` helpers write
files; the command line calls them.

* :mod:`~metacascade.plotting.run`: one simulated patient (``metacascade run``)
* :mod:`~metacascade.plotting.cohort`: a virtual cohort (``metacascade cohort``)
* :mod:`~metacascade.plotting.injection`: the injection experiment (``metacascade cascade inject``)
* :mod:`~metacascade.plotting.fit`: fits and predictions (``metacascade fit``, ``predict``)
* :mod:`~metacascade.plotting.survival`: Kaplan-Meier curves with numbers at risk, fitted
  parameters as survival covariates
* :mod:`~metacascade.plotting.cellscale`: a stochastic patient's clones, genealogy and CCFs
  (``metacascade run --engine stochastic``, ``metacascade sequence``)
* :mod:`~metacascade.plotting.seeding`: seeding inference (``metacascade infer-seeding``)
* :mod:`~metacascade.plotting.claims`: the figures of the claims experiments
* :mod:`~metacascade.plotting.style`: the one axes and figure set-up
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> its submodule. Names are imported on first use, so importing one submodule (as
#: the command line does) does not import the others.
_HOME = {
    "bone_figure": "run",
    "ccf_pairs": "cellscale",
    "plot_ccf_scatter": "cellscale",
    "plot_genealogy": "cellscale",
    "plot_muller": "cellscale",
    "save_cellscale_figures": "cellscale",
    "save_sequencing_figures": "cellscale",
    "fit_curves_figure": "fit",
    "injection_figure": "injection",
    "metastases_figure": "run",
    "plot_bone": "run",
    "plot_bone_cells": "run",
    "plot_burden": "run",
    "plot_causes": "cohort",
    "plot_counts": "run",
    "plot_fates": "injection",
    "plot_fit_curve": "fit",
    "plot_hazard": "cohort",
    "plot_injection": "injection",
    "plot_kaplan_meier": "survival",
    "plot_observed_vs_predicted": "fit",
    "plot_parameter_against_survival": "survival",
    "plot_prediction": "fit",
    "plot_prediction_band": "fit",
    "plot_probability": "run",
    "plot_profile": "fit",
    "plot_predictive": "seeding",
    "plot_residuals": "fit",
    "plot_seeding_posterior": "seeding",
    "predictive_figure": "seeding",
    "plot_size_distribution": "run",
    "plot_survival": "cohort",
    "plot_survival_split": "survival",
    "prediction_figure": "fit",
    "profiles_figure": "fit",
    "residuals_figure": "fit",
    "save_cohort_figures": "cohort",
    "save_fit_figures": "fit",
    "save_injection_figures": "injection",
    "save_prediction_figures": "fit",
    "save_run_figures": "run",
    "save_seeding_figures": "seeding",
    "survival_figure": "survival",
}

__all__ = sorted(_HOME)


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"metacascade.plotting.{_HOME[name]}"), name)
    raise AttributeError(f"module 'metacascade.plotting' has no attribute {name!r}")
