"""Survival figures: Kaplan-Meier curves with the numbers at risk under the axis (lifelines
``add_at_risk_counts``; Morris et al. 2019 KMunicate), and fitted parameters as survival covariates
(:mod:`metacascade.inference.survival`)."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metacascade.plotting.style import axes, decorate, figure, panels, root

SURVIVAL_SIZE = (7.0, 5.0)
SPLIT_SIZE = (11.0, 5.0)


def plot_kaplan_meier(table: pd.DataFrame, duration: str = "duration", event: str = "event",
                      group: str = "group", ax: Axes | None = None, at_risk: bool = True,
                      time_scale: float = 1.0, xlabel: str | None = None) -> Axes:
    """Kaplan-Meier estimate (95 % band) of each ``group`` of ``table`` (durations divided by
    ``time_scale``), with the numbers at risk below the time axis when ``at_risk``."""
    from lifelines import KaplanMeierFitter
    from lifelines.plotting import add_at_risk_counts

    ax = axes(ax, SURVIVAL_SIZE)
    fitters = []
    for label, rows in table.groupby(group, sort=False, observed=True):
        if len(rows):
            km = KaplanMeierFitter(label=str(label))
            km.fit(rows[duration].to_numpy(float) / time_scale, rows[event].to_numpy(int))
            km.plot_survival_function(ax=ax)
            fitters.append(km)
    ax.set_ylim(0, 1.02)
    decorate(ax, xlabel=xlabel or duration, ylabel="survival probability", grid=False)
    if at_risk and fitters:
        add_at_risk_counts(*fitters, ax=ax, fig=root(ax), rows_to_show=["At risk"])
    return ax


def at_risk_axes(ax: Axes) -> list[Axes]:
    """The number-at-risk table axes that :func:`plot_kaplan_meier` added under ``ax``."""
    return [o for o in root(ax).axes if o is not ax and o.bbox.bounds == ax.bbox.bounds
            and any(t.get_text() for t in o.get_xticklabels())]


def plot_survival_split(table: pd.DataFrame, key: str, duration: str, event: str,
                        ax: Axes | None = None, title: str | None = None) -> Axes:
    """Kaplan-Meier curves of the ids above and at or below the median of a fitted parameter
    (``table`` from :func:`metacascade.inference.survival.survival_table`)."""
    med = float(table["value"].median())
    order = [f"above the median ({med:.3g})", "at or below"]
    groups = pd.Series(order[1], index=table.index)
    groups[table["value"] > med] = order[0]
    data = table.assign(group=pd.Categorical(groups, categories=order)).sort_values("group")
    ax = plot_kaplan_meier(data, duration, event, "group", ax)
    ax.legend(title=key, fontsize=8, title_fontsize=8)
    return decorate(ax, title=title, grid=False)


def plot_parameter_against_survival(table: pd.DataFrame, key: str, duration: str, event: str,
                                    ax: Axes | None = None) -> Axes:
    """Each id's fitted value against its survival time (filled: died, open: censored)."""
    ax = axes(ax)
    ev = table[event] == 1
    ax.semilogy(table.loc[ev, duration], table.loc[ev, "value"], "o", color="C3", label="died")
    ax.semilogy(table.loc[~ev, duration], table.loc[~ev, "value"], "o", mfc="none", color="C0",
                label="censored")
    ax.axhline(float(table["value"].median()), color="k", ls=":", lw=0.8, label="median")
    return decorate(ax, xlabel=duration, ylabel=f"fitted {key}", legend=True)


def survival_figure(estimates: pd.DataFrame, covariates: pd.DataFrame,
                    key: str = "dissemination.mu", duration: str = "os_months",
                    event: str = "death", fig: Figure | None = None) -> Figure:
    """A fitted parameter as survival covariate: Kaplan-Meier curves of the median split (with
    numbers at risk, the log-rank and Cox results in the title) and the values against survival."""
    from metacascade.inference.survival import survival_association, survival_table

    table = survival_table(estimates, covariates, key, duration, event)
    res = survival_association(estimates, covariates, key, duration, event)
    fig = figure(fig, SPLIT_SIZE)
    left, right = panels(fig, 1, 2)[0]
    plot_survival_split(table, key, duration, event, left,
                        title=f"log-rank p = {res['logrank_p']:.3g}; Cox HR/decade = "
                              f"{res['cox_hazard_ratio_per_log10']:.2f} (p = {res['cox_p']:.3g})")
    plot_parameter_against_survival(table, key, duration, event, right)
    return fig
