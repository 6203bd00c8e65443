"""Figures of the seeding inference (:class:`metacascade.inference.seeding_abc.SeedingRun`):
the posterior of the seeding size against the detection threshold, and observed against
simulated (posterior predictive) summary statistics.

Both take the run's tables (``run.posterior()``, ``run.predictive()``), so they also draw a
``posterior.csv`` or a predictive table read back from an output folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metacascade.plotting.style import axes, decorate, detached, figure, panels, root, save

#: Metastases per page of ``predictive.png``.
PREDICTIVE_PER_PAGE = 8


def _fitted(text: str, width_inches: float, fontsize: float = 10.0) -> str:
    """``text`` wrapped at spaces into lines no wider than ``width_inches`` at ``fontsize``
    points (widths measured in the figures' font; a word longer than a line, or words joined by
    no-break spaces, stay whole)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=fontsize)

    def width(line: str) -> float:  # inches
        return float(text_to_path.get_text_width_height_descent(line, font, ismath=False)[0]
                     ) / 72.0

    lines: list[str] = []
    for word in text.split(" "):
        if lines and width(lines[-1] + " " + word) <= width_inches:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def _predictive_title(shown: Sequence[str], total: int, page: int, n_pages: int) -> str:
    """Which metastases a page of ``predictive.png`` shows, and how many there are."""
    listed = ", ".join(map(str, shown)) if len(shown) <= 10 else f"{shown[0]} to {shown[-1]}"
    pages = f", page {page + 1} of {n_pages}" if n_pages > 1 else ""
    count = f"({len(shown)} of {total} metastases{pages})".replace(" ", "\u00a0")  # one piece
    return f"observed vs simulated statistics: {listed} {count}"


def plot_seeding_posterior(posterior: pd.DataFrame, detection_cells: float = 1e8,
                           ax: Axes | None = None, mets: Sequence[str] | None = None,
                           diagnosis_cells: float | None = None,
                           seeding: pd.DataFrame | None = None) -> Axes:
    """One row per metastasis: the weighted posterior of log10 seeding cells (violin-like
    density over the particles' range, median and interquartile range) against the detection
    size (dashed) and, if given, the size at diagnosis (dotted). ``posterior``: ``met, model,
    weight, seeding_cells``; with ``seeding`` (the ``seeding.csv`` table) only the particles of
    each metastasis' chosen model are drawn, as its row summarises them."""
    ax = axes(ax, (7.0, 0.45 * max(len(mets or posterior["met"].unique()), 4) + 1.2))
    order = list(mets) if mets is not None else list(dict.fromkeys(posterior["met"]))
    chosen = dict(zip(seeding["met"], seeding["model"], strict=True)) if seeding is not None \
        else {}
    for i, met in enumerate(order):
        p = posterior[posterior["met"] == met]
        if met in chosen:
            p = p[p["model"] == chosen[met]]
        x = np.log10(p["seeding_cells"].to_numpy(np.float64))
        w = p["weight"].to_numpy(np.float64)
        w = w / w.sum()
        grid = np.linspace(x.min(), x.max(), 200)
        sd = max(float(np.sqrt(np.sum(w * (x - np.sum(w * x)) ** 2))), 0.05)
        bw = 1.06 * sd * max(1.0 / np.sum(w ** 2), 2.0) ** -0.2  # Silverman, Kish's n
        dens = np.sum(w[None, :] * np.exp(-0.5 * ((grid[:, None] - x[None, :]) / bw) ** 2),
                      axis=1)
        dens = 0.4 * dens / dens.max()
        ax.fill_between(grid, i - dens, i + dens, color="C0", alpha=0.35, lw=0)
        q = np.quantile(x, [0.25, 0.5, 0.75], weights=w, method="inverted_cdf")
        ax.plot([q[0], q[2]], [i, i], color="C0", lw=3)
        ax.plot(q[1], i, "o", color="white", mec="C0", ms=5)
    ax.axvline(np.log10(detection_cells), color="C3", ls="--", lw=1,
               label=f"detection ({detection_cells:.0e} cells)")
    if diagnosis_cells is not None:
        ax.axvline(np.log10(diagnosis_cells), color="0.3", ls=":", lw=1,
                   label=f"diagnosis ({diagnosis_cells:.1e} cells)")
    ax.set_yticks(range(len(order)), order, fontsize=8)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.invert_yaxis()
    title = "posterior of the seeding size (median, quartiles" + (", chosen model)" if chosen
                                                                  else ")")
    return decorate(ax, xlabel="primary size at seeding, log10 cells",
                    title=_fitted(title, ax.get_position().width * root(ax).get_figwidth()),
                    legend={"fontsize": 7, "loc": "lower right"})


def plot_predictive(predictive: pd.DataFrame, met: str, ax: Axes | None = None) -> Axes:
    """Observed statistics of one metastasis (dots) against the posterior predictive median
    and 95 % interval (bars); ``predictive``: the table of ``SeedingRun.predictive()``."""
    ax = axes(ax, (4.5, 3.2))
    p = predictive[predictive["met"] == met]
    x = np.arange(len(p))
    med = p["predictive_median"].to_numpy(np.float64)
    lo = p["predictive_lower"].to_numpy(np.float64)
    hi = p["predictive_upper"].to_numpy(np.float64)
    ax.errorbar(x, med, yerr=[med - lo, hi - med], fmt="s", color="0.5", ms=4, capsize=2,
                label="simulated (95 %)")
    ax.plot(x, p["observed"].to_numpy(np.float64), "o", color="C3", ms=5, label="observed")
    ax.set_xticks(x, list(p["statistic"]), fontsize=7)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0.0)
    return decorate(ax, ylabel="mutations", title=str(met), legend={"fontsize": 7})


def predictive_figure(predictive: pd.DataFrame, mets: Sequence[str] | None = None,
                      fig: Figure | None = None, page: int = 0, n_pages: int = 1) -> Figure:
    """:func:`plot_predictive` for several metastases, four per row."""
    order = list(mets) if mets is not None else list(dict.fromkeys(predictive["met"]))
    ncols = min(4, max(len(order), 1))
    nrows = max(1, -(-len(order) // ncols))
    fig = figure(fig, (3.6 * ncols, 2.8 * nrows + 0.5))
    grid = panels(fig, nrows, ncols)
    for k, ax in enumerate(grid.ravel()):
        if k < len(order):
            plot_predictive(predictive, order[k], ax)
            if k:
                leg = ax.get_legend()
                if leg is not None:
                    leg.remove()
        else:
            ax.set_axis_off()
    all_mets = list(dict.fromkeys(predictive["met"]))
    fig.suptitle(_fitted(_predictive_title(order, len(all_mets), page, n_pages),
                         0.95 * fig.get_figwidth()), fontsize=10)
    return fig


def plot_seeding_years(seeding: pd.DataFrame, target_years: tuple[float, float] | None = None,
                       organism_years: float | None = None, ax: Axes | None = None) -> Axes:
    """One row per metastasis (a ``seeding.csv`` table): the median and 95 % interval of years
    from seeding to diagnosis, with a published range shaded (``target_years``, e.g. Hu 2020's
    2-4 years) and the organism model's median lead (``organism_years``) as a dotted line."""
    mets = list(seeding["met"])
    ax = axes(ax, (6.5, 0.3 * max(len(mets), 4) + 1.2))
    y = np.arange(len(mets))
    med = seeding["years_before_diagnosis_median"].to_numpy(np.float64)
    lo = seeding["years_before_diagnosis_lower"].to_numpy(np.float64)
    hi = seeding["years_before_diagnosis_upper"].to_numpy(np.float64)
    if target_years is not None:
        ax.axvspan(*target_years, color="C2", alpha=0.15,
                   label=f"published {target_years[0]:g}-{target_years[1]:g} years")
    ax.hlines(y, lo, hi, color="C0", lw=2)
    ax.plot(med, y, "o", color="white", mec="C0", ms=5, label="genomic inference (median, 95 %)")
    if organism_years is not None:
        ax.axvline(organism_years, color="C3", ls=":", lw=1.2,
                   label=f"organism model median ({organism_years:.2f} y)")
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_yticks(y, mets, fontsize=7)
    ax.set_ylim(-0.7, len(mets) - 0.3)
    ax.invert_yaxis()
    return decorate(ax, xlabel="years from seeding to diagnosis of the primary",
                    title=_fitted("when was each metastasis seeded?",
                                  ax.get_position().width * root(ax).get_figwidth()),
                    legend={"fontsize": 7, "loc": "lower left"})


def save_seeding_figures(posterior: pd.DataFrame, predictive: pd.DataFrame, folder: str | Path,
                         detection_cells: float, diagnosis_cells: float | None = None,
                         seeding: pd.DataFrame | None = None) -> list[str]:
    """Write ``seeding_posterior.png`` and ``predictive.png`` (``predictive_2.png``, ... so that
    every metastasis is shown); returns the file names."""
    folder = Path(folder)
    mets = list(dict.fromkeys(posterior["met"]))
    size: Any = (7.0, 0.45 * max(len(mets), 4) + 1.2)
    fig = detached(size)
    plot_seeding_posterior(posterior, detection_cells, fig.add_subplot(),
                           diagnosis_cells=diagnosis_cells, seeding=seeding)
    names = [save(fig, folder / "seeding_posterior.png")]
    if len(predictive):
        chunks = [mets[i:i + PREDICTIVE_PER_PAGE] for i in range(0, len(mets),
                                                                 PREDICTIVE_PER_PAGE)]
        for k, chunk in enumerate(chunks):
            ncols = min(4, len(chunk))
            nrows = -(-len(chunk) // ncols)
            fig = predictive_figure(predictive, chunk, detached((3.6 * ncols, 2.8 * nrows + 0.5)),
                                    k, len(chunks))
            names.append(save(fig, folder / ("predictive.png" if k == 0
                                             else f"predictive_{k + 1}.png")))
    return names
