"""Figures of a cohort: Kaplan-Meier curves, smoothed relapse hazard, causes of death.

Each function takes ``ax=None`` and returns the matplotlib Axes; estimators from lifelines.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

if TYPE_CHECKING:
    from metacascade.cohort import CohortResult

MONTH = 365.25 / 12
NOBODY = "no patient was diagnosed within the follow-up:\n{what} is undefined"


def _say(ax: Axes, text: str) -> None:
    """Write ``text`` in the middle of an empty panel (an undefined estimate is said, not drawn)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=(7.0, 4.2), layout="constrained")
    return new


def plot_survival(cohort: CohortResult, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier relapse-free (from surgery) and overall (from diagnosis) survival."""
    from lifelines import KaplanMeierFitter

    from metacascade.cohort import overall, relapse_free

    ax = _axes(ax)
    dur = cohort.scenario.simulation.duration_days
    drawn = 0
    for (t, e), label in ((relapse_free(cohort.patients, dur), "relapse-free (from surgery)"),
                          (overall(cohort.patients, dur), "overall (from diagnosis)")):
        if t.size:
            KaplanMeierFitter(label=label).fit(t / 365.25, e).plot_survival_function(ax=ax)
            drawn += 1
    if not drawn:
        _say(ax, NOBODY.format(what="survival after diagnosis"))
    ax.set_xlabel("years")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{cohort.scenario.name}: Kaplan-Meier, n = {len(cohort.patients)}")
    return ax


def plot_hazard(cohort: CohortResult, ax: Axes | None = None, bandwidth_days: float = 90.0
                ) -> Axes:
    """Smoothed relapse hazard after surgery (per month) with its 95 % confidence band."""
    from metacascade.cohort import relapse_hazard

    ax = _axes(ax)
    h = relapse_hazard(cohort.patients, cohort.scenario.simulation.duration_days, bandwidth_days)
    if h.empty:
        _say(ax, NOBODY.format(what="the relapse hazard after surgery"))
        ax.set_xlabel("months after surgery")
        ax.set_ylabel("relapse hazard (per month)")
        return ax
    m = h["days"] / MONTH
    ax.plot(m, h["hazard_per_day"] * MONTH, color="C3", label="smoothed hazard")
    ax.fill_between(m, h["lower"] * MONTH, h["upper"] * MONTH, color="C3", alpha=0.25,
                    label="95 % band")
    ax.set_xlabel("months after surgery")
    ax.set_ylabel("relapse hazard (per month)")
    ax.set_title(f"relapse hazard (Epanechnikov kernel, bandwidth {bandwidth_days:g} d)")
    ax.legend()
    return ax


def plot_causes(cohort: CohortResult, ax: Axes | None = None) -> Axes:
    """Causes of death: primary, metastasis by organ, alive at the end."""
    ax = _axes(ax)
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
    ax.set_xlabel("patients")
    early = int(t["died_before_diagnosis"].sum()) if "died_before_diagnosis" in t else 0
    ax.set_title("causes of death" + (f" ({early} before diagnosis)" if early else ""))
    return ax


def save_cohort_figures(cohort: CohortResult, folder: Path) -> list[str]:
    names = []
    for stem, fn in (("survival", plot_survival), ("relapse_hazard", plot_hazard),
                     ("causes_of_death", plot_causes)):
        fig, ax = plt.subplots(figsize=(7.0, 4.2), layout="constrained")
        fn(cohort, ax=ax)
        fig.savefig(folder / f"{stem}.png", dpi=100)
        plt.close(fig)
        names.append(f"{stem}.png")
    return names
