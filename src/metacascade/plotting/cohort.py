"""Figures of a virtual cohort (:class:`metacascade.CohortResult`): Kaplan-Meier curves with the
numbers at risk, the smoothed relapse hazard, and the causes of death (estimators from lifelines,
through :mod:`metacascade.cohort`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes

from metacascade.analysis.cohort import overall, relapse_free, relapse_hazard
from metacascade.plotting.style import MONTH, YEAR, axes, decorate, detached_axes, root, save
from metacascade.plotting.survival import SURVIVAL_SIZE, plot_kaplan_meier
from metacascade.result.cohort import CohortResult

NOBODY = "no patient was diagnosed within the follow-up:\n{what} is undefined"


def _say(ax: Axes, text: str) -> None:
    """Write ``text`` in the middle of an empty panel (an undefined estimate is said, not drawn)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True)


def survival_table(cohort: CohortResult) -> pd.DataFrame:
    """Durations (days) and events of relapse-free survival (from surgery) and overall survival
    (from diagnosis), one row per diagnosed patient and endpoint."""
    dur = cohort.scenario.simulation.duration_days
    parts = []
    for (t, e), label in ((relapse_free(cohort.patients, dur), "relapse-free"),
                          (overall(cohort.patients, dur), "overall")):
        parts.append(pd.DataFrame({"duration": t, "event": e.astype(int), "group": label}))
    return pd.concat(parts, ignore_index=True)


def plot_survival(cohort: CohortResult, ax: Axes | None = None, at_risk: bool = True) -> Axes:
    """Kaplan-Meier relapse-free (from surgery) and overall (from diagnosis) survival, with the
    numbers at risk below the axis."""
    ax = axes(ax, SURVIVAL_SIZE)
    table = survival_table(cohort)
    if table.empty:  # nobody diagnosed: survival after diagnosis is undefined
        _say(ax, NOBODY.format(what="survival after diagnosis"))
        ax.set_xlabel("years (relapse-free: since surgery; overall: since diagnosis)")
        ax.set_ylabel("survival probability")
    else:
        plot_kaplan_meier(table, ax=ax, at_risk=at_risk, time_scale=YEAR,
                          xlabel="years (relapse-free: since surgery; overall: since diagnosis)")
    return decorate(ax, title=f"{cohort.scenario.name}: Kaplan-Meier, n = "
                              f"{len(cohort.patients)}", grid=False)


def plot_hazard(cohort: CohortResult, ax: Axes | None = None, bandwidth_days: float = 90.0
                ) -> Axes:
    """Smoothed relapse hazard after surgery (per month) with its 95 % confidence band."""
    ax = axes(ax)
    h = relapse_hazard(cohort.patients, cohort.scenario.simulation.duration_days, bandwidth_days)
    if h.empty:
        _say(ax, NOBODY.format(what="the relapse hazard after surgery"))
        return decorate(ax, xlabel="months after surgery", ylabel="relapse hazard (per month)",
                        title="relapse hazard", grid=False)
    m = h["days"] / MONTH
    ax.plot(m, h["hazard_per_day"] * MONTH, color="C3", label="smoothed hazard")
    ax.fill_between(m, h["lower"] * MONTH, h["upper"] * MONTH, color="C3", alpha=0.25,
                    label="95 % band")
    return decorate(ax, xlabel="months after surgery", ylabel="relapse hazard (per month)",
                    title=f"relapse hazard (Epanechnikov kernel, bandwidth {bandwidth_days:g} d)",
                    legend=True, grid=False)


def plot_causes(cohort: CohortResult, ax: Axes | None = None) -> Axes:
    """Causes of death: primary, metastasis by organ, alive at the end."""
    ax = axes(ax)
    t = cohort.patients
    cause = t["death_cause"].fillna("")
    labels = ["primary"]
    counts = [int((cause == "primary").sum())]
    for organ, c in t.loc[cause == "metastasis", "death_organ"].value_counts().items():
        labels.append(f"metastasis: {organ}")
        counts.append(int(c))
    labels.append("alive at end")
    counts.append(int((cause == "").sum()))
    ax.barh(labels, counts, color=["C1"] + ["C3"] * (len(labels) - 2) + ["C2"])
    early = int(t["died_before_diagnosis"].sum()) if "died_before_diagnosis" in t else 0
    return decorate(ax, xlabel="patients", grid=False, title="causes of death"
                    + (f" ({early} before diagnosis)" if early else ""))


def save_cohort_figures(cohort: CohortResult, folder: str | Path) -> list[str]:
    """Write ``survival.png``, ``relapse_hazard.png`` and ``causes_of_death.png``; returns the
    names."""
    folder = Path(folder)
    return [save(root(plot_survival(cohort, detached_axes(SURVIVAL_SIZE))),
                 folder / "survival.png"),
            save(root(plot_hazard(cohort, detached_axes())), folder / "relapse_hazard.png"),
            save(root(plot_causes(cohort, detached_axes())), folder / "causes_of_death.png")]
