"""Cohort analysis: survival after diagnosis and surgery, relapse hazards and the cohort summary.

The cohort (:func:`metacascade.simulate_cohort`) gives one row per virtual patient (the columns of
:mod:`metacascade.engines.patients`); this module turns that table into what a clinician reads:
Kaplan-Meier relapse-free and overall survival (Kaplan & Meier 1958), the smoothed Nelson-Aalen
relapse hazard (Nelson 1972, Aalen 1978; kernel smoothing after Ramlau-Hansen 1983) and the death
fractions by cause, with lifelines (Davidson-Pilon 2019). Times are in days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from metacascade.scenario import Scenario


def relapse_free(table: pd.DataFrame, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Durations (days since surgery) and relapse indicators, censored at the end of follow-up.
    Patients never diagnosed within the simulation are left out."""
    d = table[table["diagnosis_day"].notna()]
    surgery = d["resection_day"].fillna(d["diagnosis_day"]).to_numpy()
    rel = d["relapse_day"].to_numpy()
    death = d["death_day"].to_numpy()
    event = np.isfinite(rel)
    end = np.where(np.isfinite(death), death, duration)
    time = np.where(event, rel, end) - surgery
    return np.maximum(time, 0.0), event


def overall(table: pd.DataFrame, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """Durations (days since diagnosis) and death indicators."""
    d = table[table["diagnosis_day"].notna()]
    death = d["death_day"].to_numpy()
    event = np.isfinite(death)
    time = np.where(event, death, duration) - d["diagnosis_day"].to_numpy()
    return np.maximum(time, 0.0), event


def summarise(table: pd.DataFrame, scenario: Scenario) -> dict[str, Any]:
    """Cohort summary: death fractions (of all patients) by cause and KM medians."""
    from lifelines import KaplanMeierFitter

    n = len(table)
    cause = table["death_cause"].fillna("")
    duration = scenario.simulation.duration_days
    out: dict[str, Any] = {
        "n_patients": n,
        "n_diagnosed": int(table["diagnosis_day"].notna().sum()),
        "n_died_before_diagnosis": int(table["died_before_diagnosis"].sum())
        if "died_before_diagnosis" in table else 0,
        "death_fraction_metastasis": float((cause == "metastasis").sum() / n),
        "death_fraction_primary": float((cause == "primary").sum() / n),
        "relapse_fraction": float(table["relapse_day"].notna().sum() / n),
        "metastatic_at_diagnosis_fraction": float(table["metastatic_at_diagnosis"].sum() / n),
        "follow_up_days": duration,
    }
    deaths = int((cause != "").sum())
    out["n_deaths"] = deaths
    out["share_of_deaths_metastasis"] = float((cause == "metastasis").sum() / deaths) \
        if deaths else None
    organs = table.loc[cause == "metastasis", "death_organ"].value_counts()
    out["metastatic_deaths_by_organ"] = {str(k): int(v) for k, v in organs.items()}
    t, e = relapse_free(table, duration)
    # survival is conditional on diagnosis: undefined (None) when nobody was diagnosed
    out.update({"median_relapse_free_days": None, "median_overall_survival_days": None,
                "relapse_free_5y": None, "relapse_free_10y": None})
    if t.size:
        km = KaplanMeierFitter().fit(t, e)
        out["median_relapse_free_days"] = float(km.median_survival_time_)
        to, eo = overall(table, duration)
        km2 = KaplanMeierFitter().fit(to, eo)
        out["median_overall_survival_days"] = float(km2.median_survival_time_)
        for years in (5, 10):
            out[f"relapse_free_{years}y"] = float(km.predict(365.25 * years))
    return out


def relapse_hazard(table: pd.DataFrame, duration: float, bandwidth_days: float = 90.0,
                   step_days: float = 7.0) -> pd.DataFrame:
    """Smoothed relapse hazard after surgery, with its 95 % band (Nelson-Aalen; Demicheli 1996).

    Nelson-Aalen increments smoothed by an Epanechnikov kernel (lifelines), on a grid of
    ``step_days``. The band is undefined (NaN) where the smoothed hazard is zero.

    Parameters
    ----------
    table : pandas.DataFrame
        A cohort's patient table (``CohortResult.patients``).
    duration : float
        Follow-up of the cohort (days); relapse-free patients are censored there.
    bandwidth_days : float
        Kernel bandwidth (days).
    step_days : float
        Grid step (days after surgery).

    Returns
    -------
    pandas.DataFrame
        ``days`` after surgery, ``hazard_per_day`` and its band ``lower``, ``upper`` (per day).

    Examples
    --------
    >>> import metacascade as mc
    >>> res = mc.simulate_cohort(mc.load_scenario("breast"), 200, seed=1)
    >>> h = mc.relapse_hazard(res.patients, res.scenario.simulation.duration_days)
    """
    from lifelines import NelsonAalenFitter

    t, e = relapse_free(table, duration)
    if t.size == 0:  # nobody diagnosed: the hazard after surgery is undefined
        return pd.DataFrame({"days": np.zeros(0), "hazard_per_day": np.zeros(0),
                             "lower": np.zeros(0), "upper": np.zeros(0)})
    grid = np.arange(0.0, float(t.max()) + step_days, step_days)
    naf = NelsonAalenFitter().fit(t, e, timeline=grid)
    h = naf.smoothed_hazard_(bandwidth_days).iloc[:, 0].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ci = naf.smoothed_hazard_confidence_intervals_(bandwidth_days).to_numpy()
    # lifelines returns the band as h exp(+-z sd/h) (log-transformed); order the two columns
    return pd.DataFrame({"days": grid, "hazard_per_day": h,
                         "lower": np.fmin(ci[:, 0], ci[:, 1]), "upper": np.fmax(ci[:, 0], ci[:, 1])})
