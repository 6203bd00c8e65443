"""The genomic side of S13, S15 and S16: seeding times inferred from published sequencing data.

Three pieces, used by :mod:`metacascade.claims.s13_early_seeding`:

* :func:`infer_published`: the seeding size of each of the 23 published colorectal metastases
  (21 patients; Hu et al. 2019, Nat Genet 51:1113, SCIMET's nine statistics S1..S9, shipped as
  ``metacascade.datasets`` ``crc_metastases_summary_statistics_hu2019``) and the years before
  diagnosis through Hu et al. 2020's colorectal Gompertz law (plateau 1e11 cells, diagnosis at
  4.5 cm, doubling time 233 d; :func:`metacascade.inference.seeding.hu2020_timing_law`). Full
  mode: the ABC-SMC of :mod:`metacascade.inference.seeding_abc` (:data:`FULL_SETTINGS`); quick
  mode: the analytic posterior (docs/seeding.md: a normal in log10 N_s truncated to
  SCIMET's prior 1e3..1e9 cells; :func:`metacascade.inference.seeding_abc.analytic_posterior`).
  These are the only published data in the per-metastasis format the simulator reproduces, so
  the genomic inference has one cancer type, colorectal.
* :func:`hu2020_formula`: Hu 2020's own per-metastasis seeding times for breast, colorectal and
  lung, rebuilt from the paired clonal counts with their formula t_s = T (1 - 0.13 Lm/Lp)
  (Hu 2020, its formula; ``hu2020_paired_primary_met``): median per type and share seeded before
  diagnosis. A different cohort (Hu 2020's 42 colorectal metastases) and a different estimator
  than ours: the colorectal median (4.13 y) is a target for our inference on Hu 2019's data.
* :func:`organism_median_lead_years` and :func:`implied_gamma`: the organism model's reading. With
  dissemination d(V) = mu V^gamma (Iwata 2000; Benzekry 2016) and metastases rare (the low-rate
  limit, N(t_det) << 1, where the answer does not depend on mu), a seeding time has the density
  d(V(t)) / N(t_det) on [0, t_det], so the median lead of seeding before diagnosis depends on
  gamma and the growth law only. Through the same Gompertz law as the genomic inference,
  :func:`implied_gamma` is the gamma whose median lead equals the genomic median: what the
  genomic timing implies for the organism model.

Units: sizes in cells (1e8 cells/cm^3, Hu's density, on this side), times in years of 365 days
(Hu's scripts), the growth law in days.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import metacascade.datasets as datasets
from metacascade import (
    SeedingSettings,
    analytic_seeding_posterior,
    early_patients,
    hu2020_met_timing,
    hu2020_timing_law,
    infer_seeding_table,
)

Array = npt.NDArray[np.float64]
#: A timing law of :func:`metacascade.hu2020_timing_law` (seeding size -> years before diagnosis).
TimingLaw = Any
#: SCIMET's nine summary statistics, the columns S1..S9 of the Hu 2019 data set.
SUMMARY_STATISTICS = tuple(f"S{i}" for i in range(1, 10))

#: The ABC settings of the full claims run: the four SCIMET models, 100 particles, at most 1,500
#: simulations per metastasis (the stop rule of :mod:`metacascade.inference.abc` otherwise), no
#: predictive check (the claim reads the posterior only).
FULL_SETTINGS = SeedingSettings(population_size=100, max_simulations=1500, predictive_draws=0)
#: The published Hu 2019 statistics (``metacascade.datasets``).
HU2019_DATA = "crc_metastases_summary_statistics_hu2019"
HU2020_PAIRED = "hu2020_paired_primary_met"


def colorectal_law() -> TimingLaw:
    """Hu 2020's colorectal Gompertz law, detection (the "early" line) at 1e8 cells = 1 cm^3."""
    return hu2020_timing_law("colorectal")


def infer_published(quick: bool, seed: int, executor: Any = None) -> pd.DataFrame:
    """One row per published metastasis: the ``seeding.csv`` columns, ``early`` (posterior Q3
    below 1e8 cells), ``patient`` and ``method`` (``abc`` or ``analytic``)."""
    table = datasets.load(HU2019_DATA)
    law = colorectal_law()
    if quick:
        rows = [{"met": str(r["Met"]),
                 **analytic_seeding_posterior(r[list(SUMMARY_STATISTICS)].to_numpy(np.float64), law)}
                for _, r in table.iterrows()]  # 23 closed-form rows
        out = pd.DataFrame(rows)
        out["method"] = "analytic"
    else:
        run = infer_seeding_table(table, law, seed=seed, settings=FULL_SETTINGS,
                                  executor=executor)
        out = run.seeding.copy()
        out["early"] = [m.early for m in run.metastases]
        out["method"] = "abc"
    pts = early_patients(list(out["met"]), list(out["early"]))
    patient = {m: p for p, ms in zip(pts["patient"], pts["metastases"], strict=True)
               for m in ms.split(",")}
    out["patient"] = [patient[str(m)] for m in out["met"]]
    return out


def genomic_measures(per_met: pd.DataFrame) -> dict[str, float]:
    """The numbers the claims read from :func:`infer_published`."""
    pts = early_patients(list(per_met["met"]), list(per_met["early"]))
    years = per_met["years_before_diagnosis_median"].to_numpy(np.float64)
    log_cells = per_met["log10_seeding_cells_median"].to_numpy(np.float64)
    return {
        "genomic_colorectal_median_years_before_diagnosis": float(np.median(years)),
        "genomic_colorectal_years_q25": float(np.quantile(years, 0.25)),
        "genomic_colorectal_years_q75": float(np.quantile(years, 0.75)),
        "genomic_colorectal_fraction_seeded_2_years_before": float(np.mean(years >= 2.0)),
        "genomic_colorectal_median_log10_seeding_cells": float(np.median(log_cells)),
        "genomic_colorectal_median_seeding_cells": float(10.0 ** np.median(log_cells)),
        "genomic_colorectal_early_metastases": float(per_met["early"].sum()),
        "genomic_colorectal_metastases": float(len(per_met)),
        "genomic_colorectal_early_patients": float(pts["early"].sum()),
        "genomic_colorectal_patients": float(len(pts)),
        "genomic_colorectal_fraction_patients_early": float(pts["early"].mean()),
        "genomic_colorectal_mean_iqr_log10_cells": float(np.mean(
            per_met["log10_seeding_cells_q3"] - per_met["log10_seeding_cells_q1"])),
    }


def prior_measures(law: TimingLaw | None = None) -> dict[str, float]:
    """What the prior alone says (log-uniform on SCIMET's 1e3..1e9 cells): its interquartile
    range (3 decades) and the years before diagnosis at its median (1e6 cells), to read the
    posteriors against."""
    lw = law if law is not None else colorectal_law()
    lo, hi = (math.log10(x) for x in FULL_SETTINGS.seeding_cells_range)
    mid = 0.5 * (lo + hi)
    return {"prior_iqr_log10_cells": 0.5 * (hi - lo),
            "prior_median_years_before_diagnosis":
                float(lw.years_before_diagnosis(10.0 ** mid)[()])}


def hu2020_formula() -> dict[str, float]:
    """Hu 2020's formula on their paired counts (G8): per cancer type the median seeding time
    before diagnosis (years), the number of metastases and the share seeded before diagnosis."""
    timing = hu2020_met_timing(datasets.load(HU2020_PAIRED))
    out: dict[str, float] = {}
    for ct, g in timing.groupby("cancer_type", sort=True):
        name = str(ct).lower()  # Breast, Colorectal, Lung in the data set
        ts = g["seeding_years_before_diagnosis"].to_numpy(np.float64)
        out[f"hu2020_formula_{name}_median_years"] = float(np.median(ts))
        out[f"hu2020_formula_{name}_metastases"] = float(ts.size)
        out[f"hu2020_formula_{name}_fraction_before_diagnosis"] = float(np.mean(ts > 0))
    return out


def organism_median_lead_years(gamma: float, law: TimingLaw | None = None,
                               points: int = 4001) -> float:
    """Median years from a seeding to diagnosis when seeding has the rate mu V(t)^gamma (any
    mu, metastases rare) and the primary grows by ``law`` from ``law.initial_cells``: the
    median of the density V(t)^gamma on [0, t_det] (trapezoid rule on ``points`` ages)."""
    lw = law if law is not None else colorectal_law()
    t_det = float(lw.law.age_at_size(lw.diagnosis_cells, lw.initial_cells))
    t = np.linspace(0.0, t_det, points)
    v = np.asarray(lw.law.size(t, lw.initial_cells), dtype=np.float64)
    logd = gamma * np.log(np.maximum(v, 1e-300))
    dens = np.exp(logd - logd.max())
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(t))])
    t_half = float(np.interp(0.5 * cum[-1], cum, t))
    return (t_det - t_half) / lw.days_per_year


def implied_gamma(target_years: float, law: TimingLaw | None = None,
                  bracket: tuple[float, float] = (-1.0, 1.5)) -> float:
    """The gamma whose median lead (:func:`organism_median_lead_years`) equals ``target_years``
    (the lead falls as gamma rises); NaN when no gamma in ``bracket`` gives it."""
    from scipy.optimize import brentq

    def gap(g: float) -> float:
        return organism_median_lead_years(g, law) - target_years

    lo, hi = bracket
    if not math.isfinite(target_years) or gap(lo) * gap(hi) > 0:
        return float("nan")
    return float(brentq(gap, lo, hi, xtol=1e-4))


__all__ = ["FULL_SETTINGS", "colorectal_law", "genomic_measures", "hu2020_formula",
           "implied_gamma", "infer_published", "organism_median_lead_years", "prior_measures"]
