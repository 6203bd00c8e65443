"""Figures of one simulated patient (:class:`metacascade.Result` of ``metacascade run``): tumour
burden, number of metastases, their size distribution, and the bone lesion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metacascade.plotting.style import (
    YEAR,
    axes,
    decorate,
    detached,
    detached_axes,
    figure,
    panels,
    plain_log_labels,
    root,
    save,
)
from metacascade.result import Result

TIME_LABEL = "time since the first cancer cell (years)"
#: Above this many expected metastases the count axis is logarithmic (linear from 0 to 1).
LOG_COUNTS_ABOVE = 100.0
METASTASES_SIZE = (7.0, 5.6)
BONE_SIZE = (7.0, 6.0)
BONE_SERIES = (("osteoclasts", "C3"), ("osteoblasts", "C0"), ("rankl", "C4"), ("opg", "C2"),
               ("tgf_beta", "C1"), ("bone_tumour_cells", "C5"))


def _years(result: Result) -> np.ndarray:
    return np.asarray(result.timeseries["time_days"].values) / YEAR


#: Colour of the lethal burden's marks (the death line, the lethal level, the shading after it).
DEATH_COLOR = "k"


def _mark_events(ax: Axes, result: Result, labels: bool = True) -> None:
    """Vertical lines at diagnosis, N = 1 and resection, and a solid line at death (the lethal
    burden's day, :meth:`Result.lethal_day`)."""
    s = result.summary
    for key, label, style in (("detection_day", "diagnosis", "--"),
                              ("first_metastasis_day", "N = 1", ":"),
                              ("resection_day", "resection", "-.")):
        t = s.get(key)
        if t is not None:
            ax.axvline(t / YEAR, color="0.35", ls=style, lw=1, label=label if labels else None)
    death = result.lethal_day()
    if death is not None:
        ax.axvline(death / YEAR, color=DEATH_COLOR, ls="-", lw=1.5,
                   label="death (lethal burden)" if labels else None)


def is_stochastic(result: Any) -> bool:
    """Whether ``result`` is one stochastic patient (a ``CellScaleResult``, ``kind =
    "stochastic"``): its counts are one patient's, not expectations."""
    return getattr(type(result), "kind", None) == "stochastic"


def has_metastases(result: Result) -> bool:
    """Whether any metastasis is expected (else the count and size figures are empty)."""
    return float(result.timeseries["n_metastases"].max()) > 0


def is_bone_only(result: Result) -> bool:
    """A bone-lesion run whose organism part shows nothing (no metastasis, no diagnosis): its
    burden figure would be an empty plot of a primary of a few cells
    (:meth:`Result.is_bone_only`, which also leaves its rows out of the summary)."""
    return result.is_bone_only()


def plot_burden(result: Result, ax: Axes | None = None) -> Axes:
    """Primary and metastatic burden (cells, log axis) with the detection size and the lethal
    burden.

    When the burden turns lethal (:meth:`Result.lethal_day`) the days after it are shaded
    ("after death": the model goes on, the patient does not) and the cell axis ends a little above
    the burden at death and the lethal level, so the unphysical burden beyond death (up to 1e53
    cells) does not squash the rest; the data are unchanged (timeseries.csv has them all)."""
    ax = axes(ax)
    ts, t = result.timeseries, _years(result)
    with np.errstate(divide="ignore"):
        ax.plot(t, ts["primary_cells"], label="primary tumour", color="C3", lw=2)
        ax.plot(t, ts["metastatic_burden_cells"], label="all metastases", color="C0", lw=2)
        ax.plot(t, ts["visible_burden_cells"], label="visible metastases", color="C0", ls="--")
    ax.axhline(result.scenario.detection.primary_cells, color="C3", lw=0.8, ls=":",
               label="detection size")
    _mark_events(ax, result)
    primary = np.asarray(ts["primary_cells"].values, dtype=np.float64)
    burden = np.asarray(ts["metastatic_burden_cells"].values, dtype=np.float64)
    death, level = result.lethal_day(), result.lethal_level()
    shown = np.ones(t.size, dtype=bool)
    headroom, where = 5.0, "upper left"
    if death is not None and level is not None:
        shown = np.asarray(ts["time_days"].values) <= death
        site, cells = level
        if site == "total":
            ax.axhline(cells, color=DEATH_COLOR, lw=0.8, ls=":", label="lethal burden")
        ax.axvspan(death / YEAR, max(float(t[-1]), death / YEAR), color="0.6", alpha=0.25,
                   lw=0, zorder=0, label="after death (model continued)")
        headroom = 30.0
        where = "lower right"  # the burden leaves the axis after death: that corner is free
    tops = [10.0, float(result.scenario.detection.primary_cells)]
    tops += [float(np.nanmax(v[shown])) for v in (primary, burden) if shown.any()]
    if death is not None and level is not None and level[0] == "total":
        tops.append(level[1])
    # the limits are set before the log scale: a flat series (a run of one size) leaves no
    # range to autoscale on a log axis
    ax.set_ylim(1.0, max(tops) * headroom)
    ax.set_yscale("log")
    return decorate(ax, xlabel=TIME_LABEL, ylabel="cells",
                    title=f"{result.scenario.name}: tumour burden",
                    legend={"loc": where})


def plot_counts(result: Result, ax: Axes | None = None) -> Axes:
    """Expected number of metastases N(t), all and visible (of a stochastic run: this patient's
    number). The axis starts at 0; above :data:`LOG_COUNTS_ABOVE` it is logarithmic from 1 up
    (linear from 0 to 1, so no negative ticks)."""
    ax = axes(ax)
    one = is_stochastic(result)
    ts, t = result.timeseries, _years(result)
    ax.plot(t, ts["n_metastases"], label="founded" if one else "N(t), all", color="C0", lw=2)
    ax.plot(t, ts["n_visible"], label="visible", color="C0", ls="--")
    _mark_events(ax, result)
    top = max(float(ts["n_metastases"].max()), 1.0)
    if top > LOG_COUNTS_ABOVE:
        ax.set_yscale("symlog", linthresh=1.0, linscale=0.5)
        ax.set_ylim(0.0, top * 3)
    else:
        ax.set_ylim(0.0, top * 1.05)
    return decorate(ax, xlabel=TIME_LABEL,
                    ylabel="number of metastases (this patient)" if one
                    else "expected number of metastases",
                    title=f"{result.scenario.name}: number of metastases"
                          + (" (one stochastic patient)" if one else ""),
                    legend={"loc": "upper left"})


def plot_probability(result: Result, ax: Axes | None = None) -> Axes:
    """Probability that at least one metastasis has been seeded, P(N >= 1). One stochastic
    patient has no probability: its curve is 0 before its first metastasis and 1 after, and is
    labelled so."""
    ax = axes(ax)
    one = is_stochastic(result)
    ax.plot(_years(result), result.timeseries["p_any_metastasis"], color="C2", lw=1.5)
    _mark_events(ax, result, labels=False)
    ax.set_ylim(0.0, 1.02)
    if one:
        ax.set_yticks([0.0, 1.0], ["no", "yes"])
    return decorate(ax, xlabel=TIME_LABEL,
                    ylabel="any metastasis yet" if one else "P(at least one)",
                    title=f"{result.scenario.name}: "
                          + ("a metastasis founded yet (this patient)" if one
                             else "probability of at least one metastasis"))


def metastases_figure(result: Result, fig: Figure | None = None) -> Figure:
    """``metastases.png``: the expected counts above, P(at least one) below, on one time axis
    (two panels instead of a twin axis whose zero did not line up). Of a stochastic run: this
    patient's counts above, its metastases founded in each organ below (one patient has no
    probability to show)."""
    fig = figure(fig, METASTASES_SIZE)
    top, bottom = panels(fig, 2, 1, sharex=True, height_ratios=[2.2, 1.0])[:, 0]
    plot_counts(result, top)
    top.set_xlabel("")
    if is_stochastic(result):
        from metacascade.plotting.cellscale import plot_metastases_by_organ

        plot_metastases_by_organ(result, bottom)
        _mark_events(bottom, result, labels=False)
    else:
        plot_probability(result, bottom)
    bottom.set_title("")
    return fig


def plot_size_distribution(result: Result, ax: Axes | None = None) -> Axes:
    """Expected number of metastases per size bin at the stored times (log-log); of a stochastic
    run, the sizes of this patient's metastases
    (:func:`~metacascade.plotting.cellscale.plot_metastasis_sizes`)."""
    if is_stochastic(result):
        from metacascade.plotting.cellscale import plot_metastasis_sizes

        return plot_metastasis_sizes(result, ax)
    ax = axes(ax)
    sizes = result.sizes
    if sizes is None:
        ax.text(0.5, 0.5, "no size distribution stored", ha="center", transform=ax.transAxes)
        return ax
    vis = float(np.pi / 6 * result.scenario.detection.visible_diameter_mm ** 3 * 1e6)
    detection = result.summary.get("detection_day")
    centres = sizes["size_cells"].values
    for i, day in enumerate(sizes["at_day"].values):
        counts = sizes["count"].isel(at_day=i).values
        label = f"day {day:,.0f}"
        if detection is not None and abs(day - detection) < 1e-6:
            label += " (diagnosis)"
        keep = counts > 0
        ax.step(centres[keep], counts[keep], where="mid", label=label)
    ax.axvline(vis, color="0.3", ls=":", label="visibility size")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return decorate(ax, xlabel="metastasis size (cells)", ylabel="expected metastases per bin",
                    title=f"{result.scenario.name}: size distribution of metastases",
                    legend=True)


def plot_bone(result: Result, ax: Axes | None = None) -> Axes:
    """Bone mass of the bone lesion (% of day 0)."""
    ax = axes(ax)
    ts = result.timeseries
    ax.plot(ts["time_days"].values, ts["bone_mass_percent"], color="k", lw=2)
    return decorate(ax, xlabel="time (days)", ylabel="bone mass (% of day 0)",
                    title=f"{result.scenario.name}: bone lesion "
                          f"({ts.attrs.get('bone_model', '')})")


def plot_bone_cells(result: Result, ax: Axes | None = None) -> Axes:
    """Osteoclasts, osteoblasts, signals and tumour of the bone lesion relative to day 0 (log)."""
    ax = axes(ax)
    ts = result.timeseries
    t = ts["time_days"].values
    for name, color in BONE_SERIES:
        if name in ts:
            v = ts[name].values
            ref = v[0] if v[0] > 0 else (np.max(v) if np.max(v) > 0 else 1.0)
            ax.plot(t, v / ref, color=color, lw=1.2, ls="--" if name == "tgf_beta" else "-",
                    label=name.replace("_", " ").replace("tgf beta", "TGF-beta")
                    .replace("rankl", "RANKL").replace("opg", "OPG"))
    ax.set_yscale("log")
    plain_log_labels(ax)
    return decorate(ax, xlabel="time (days)", ylabel="relative to day 0",
                    title="cells and signals of the lesion", legend={"ncol": 2})


def bone_figure(result: Result, fig: Figure | None = None) -> Figure:
    """``bone.png``: bone mass above, the cells and signals (relative to day 0) below."""
    fig = figure(fig, BONE_SIZE)
    top, bottom = panels(fig, 2, 1, sharex=True)[:, 0]
    plot_bone(result, top)
    top.set_xlabel("")
    plot_bone_cells(result, bottom)
    return fig


def save_run_figures(result: Result, folder: str | Path) -> list[str]:
    """Write the figures of a run as PNG files into ``folder``; returns their names.

    ``bone.png`` when the run has a bone lesion; ``burden.png`` unless the run is bone-only
    (:func:`is_bone_only`); ``metastases.png`` and ``size_distribution.png`` when any metastasis is
    expected."""
    folder = Path(folder)
    names = []
    if "bone_mass_percent" in result.timeseries:
        names.append(save(bone_figure(result, detached(BONE_SIZE)), folder / "bone.png"))
    if not is_bone_only(result):
        names.append(save(root(plot_burden(result, detached_axes())), folder / "burden.png"))
    if has_metastases(result):
        names.append(save(metastases_figure(result, detached(METASTASES_SIZE)),
                          folder / "metastases.png"))
        names.append(save(root(plot_size_distribution(result, detached_axes())),
                          folder / "size_distribution.png"))
    return names
