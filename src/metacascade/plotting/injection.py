"""Figures of the injection experiment (:func:`metacascade.inject`): the fraction of injected cells
in each state of the cascade over time, with published reference points."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metacascade.plotting.style import (
    axes,
    decorate,
    detached_axes,
    figure,
    panels,
    root,
    save,
    visible_on_log,
)
from metacascade.result.injection import InjectionResult

FATE_STYLES = {
    "circulating": "C7", "arrested": "C0", "extravasated": "C1", "dead": "k",
    "dormant_single": "C2", "micrometastasis": "C4", "macrometastasis": "C3",
}

#: Published reference points per route: state -> (day, fraction of injected cells), and source.
#: Luzzi et al. 1998 Am J Pathol 153:865 (portal vein, B16F1, liver); Fidler 1970 J Natl Cancer
#: Inst 45:773 (tail vein, B16, lung: 1 % alive after 24 h).
PUBLISHED: dict[str, tuple[dict[str, tuple[float, float]], str]] = {
    "portal-vein": ({"micrometastasis": (3.0, 0.0225), "macrometastasis": (13.0, 0.0002),
                     "dormant_single": (13.0, 0.36)}, "Luzzi 1998"),
    "tail-vein": ({"dead": (1.0, 0.99)}, "Fidler 1970"),
}


def plot_fates(fates: pd.DataFrame, ax: Axes | None = None,
               markers: Mapping[str, tuple[float, float]] | None = None) -> Axes:
    """Fraction of injected cells in each state over time (log fraction axis); ``markers``
    maps a state to a published (day, fraction) point drawn as a star."""
    ax = axes(ax)
    t = fates["time_days"].to_numpy()
    for name, colour in FATE_STYLES.items():
        if name in fates:
            ax.plot(t, visible_on_log(fates[name]), color=colour, label=name.replace("_", " "),
                    lw=1.8)
    for name, (day, frac) in (markers or {}).items():
        ax.plot([day], [frac], marker="*", ms=13, color=FATE_STYLES.get(name, "C9"),
                mec="k", ls="none")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1.5)
    return decorate(ax, xlabel="days after injection", ylabel="fraction of injected cells",
                    legend={"ncol": 2}, grid=False)


def plot_injection(result: InjectionResult, ax: Axes | None = None) -> Axes:
    """:func:`plot_fates` of one experiment, with the published points of its route (stars)."""
    route = str(result.summary.get("route", ""))
    markers, source = PUBLISHED.get(route, ({}, ""))
    ax = plot_fates(result.fates, ax, markers)
    stars = f" (stars: {source})" if source else ""
    return decorate(ax, title=f"{int(result.summary.get('cells', 0)):,} cells, {route} "
                              f"injection{stars}", grid=False)


def injection_figure(results: Sequence[InjectionResult], fig: Figure | None = None) -> Figure:
    """One :func:`plot_injection` panel per experiment, side by side."""
    n = max(len(results), 1)
    fig = figure(fig, (6.0 * n, 4.2))
    for ax, res in zip(np.ravel(panels(fig, 1, n)), results, strict=False):
        plot_injection(res, ax)
    return fig


def save_injection_figures(result: InjectionResult, folder: str | Path) -> list[str]:
    """Write ``fates.png``; returns its name."""
    folder = Path(folder)
    return [save(root(plot_injection(result, detached_axes())), folder / "fates.png")]
