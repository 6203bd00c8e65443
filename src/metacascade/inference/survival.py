"""Fitted parameters as survival covariates (Benzekry et al. 2021: the fitted mu predicts overall
survival in high-risk neuroblastoma).

A Cox proportional-hazards model (Cox 1972) of the survival time on log10 of a fitted parameter
(lifelines ``CoxPHFitter``) and a log-rank test (Mantel 1966; lifelines ``logrank_test``)
between the ids above and below the median of the parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from metacascade.errors import DataError


def survival_table(estimates: pd.DataFrame, covariates: pd.DataFrame, key: str,
                   duration: str, event: str) -> pd.DataFrame:
    """id, the fitted value, log10 of it, duration and event (ids with a finite estimate)."""
    for c in (duration, event):
        if c not in covariates.columns:
            raise DataError(f"covariate {c!r} not in the data (have: "
                            f"{', '.join(map(str, covariates.columns))})")
    est = estimates.set_index(estimates["id"].astype(str))[key]
    cov = covariates.copy()
    cov.index = cov.index.astype(str)
    df = pd.DataFrame({"value": est}).join(cov[[duration, event]], how="inner")
    df = df[np.isfinite(df["value"]) & (df["value"] > 0)].copy()
    df["log10_value"] = np.log10(df["value"])
    df[event] = df[event].astype(int)
    df[duration] = df[duration].astype(float)
    return df


def survival_association(estimates: pd.DataFrame, covariates: pd.DataFrame,
                         key: str = "dissemination.mu", duration: str = "os_months",
                         event: str = "death") -> dict[str, Any]:
    """Cox model on log10(key) and log-rank test on the median split."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    df = survival_table(estimates, covariates, key, duration, event)
    cph = CoxPHFitter()
    cph.fit(df[["log10_value", duration, event]], duration_col=duration, event_col=event)
    s = cph.summary.loc["log10_value"]
    med = float(df["value"].median())
    high = df["value"] > med
    lr = logrank_test(df.loc[high, duration], df.loc[~high, duration],
                      df.loc[high, event], df.loc[~high, event])
    return {
        "key": key, "duration": duration, "event": event, "n": int(len(df)),
        "n_events": int(df[event].sum()),
        "cox_hazard_ratio_per_log10": float(s["exp(coef)"]),
        "cox_hr_lower_95": float(s["exp(coef) lower 95%"]),
        "cox_hr_upper_95": float(s["exp(coef) upper 95%"]),
        "cox_p": float(s["p"]), "cox_concordance": float(cph.concordance_index_),
        "median_value": med, "n_high": int(high.sum()), "n_low": int((~high).sum()),
        "logrank_statistic": float(lr.test_statistic), "logrank_p": float(lr.p_value),
    }
