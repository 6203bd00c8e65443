"""Figures of a simulation. Each function takes ``ax=None`` and returns the matplotlib Axes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from metacascade.result import Result  # noqa: E402

YEAR = 365.25


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.2)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _years(result: Result) -> Any:
    return result.timeseries["time_days"].values / YEAR


def _mark_events(ax: Axes, result: Result) -> None:
    s = result.summary
    for key, label, style in (("detection_day", "diagnosis", "--"),
                              ("first_metastasis_day", "N = 1", ":"),
                              ("resection_day", "resection", "-.")):
        t = s.get(key)
        if t is not None:
            ax.axvline(t / YEAR, color="0.35", ls=style, lw=1, label=label)


def plot_burden(result: Result, ax: Axes | None = None) -> Axes:
    """Primary and metastatic burden (cells, log axis) with the detection size."""
    ax = _axes(ax)
    ts, t = result.timeseries, _years(result)
    with np.errstate(divide="ignore"):
        ax.plot(t, ts["primary_cells"], label="primary tumour", color="C3", lw=2)
        ax.plot(t, ts["metastatic_burden_cells"], label="all metastases", color="C0", lw=2)
        ax.plot(t, ts["visible_burden_cells"], label="visible metastases", color="C0", ls="--")
    ax.axhline(result.scenario.detection.primary_cells, color="C3", lw=0.8, ls=":",
               label="detection size")
    _mark_events(ax, result)
    ax.set_yscale("log")
    top = max(float(ts["primary_cells"].max()), float(ts["metastatic_burden_cells"].max()), 10.0)
    ax.set_ylim(1.0, top * 5)
    ax.set_xlabel("time since the first cancer cell (years)")
    ax.set_ylabel("cells")
    ax.set_title(f"{result.scenario.name}: tumour burden")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_counts(result: Result, ax: Axes | None = None) -> Axes:
    """Expected number of metastases N(t), visible ones, and P(at least one)."""
    ax = _axes(ax)
    ts, t = result.timeseries, _years(result)
    ax.plot(t, ts["n_metastases"], label="N(t), all", color="C0", lw=2)
    ax.plot(t, ts["n_visible"], label="visible", color="C0", ls="--")
    _mark_events(ax, result)
    ax.set_xlabel("time since the first cancer cell (years)")
    ax.set_ylabel("expected number of metastases")
    if float(ts["n_metastases"].max()) > 100:
        ax.set_yscale("symlog", linthresh=1.0)
    ax2 = ax.twinx()
    ax2.plot(t, ts["p_any_metastasis"], color="C2", lw=1, label="P(at least one)")
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("P(at least one metastasis)", color="C2")
    ax.set_title(f"{result.scenario.name}: number of metastases")
    lines, labels = ax.get_legend_handles_labels()
    l2, lab2 = ax2.get_legend_handles_labels()
    ax.legend(lines + l2, labels + lab2, fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_size_distribution(result: Result, ax: Axes | None = None) -> Axes:
    """Expected number of metastases per size bin at the stored times (log-log)."""
    ax = _axes(ax)
    sizes = result.sizes
    if sizes is None:
        ax.text(0.5, 0.5, "no size distribution stored", ha="center", transform=ax.transAxes)
        return ax
    vis = float(np.pi / 6 * result.scenario.detection.visible_diameter_mm ** 3 * 1e6)
    for i, day in enumerate(sizes["at_day"].values):
        counts = sizes["count"].isel(at_day=i).values
        label = f"day {day:,.0f}"
        if result.summary.get("detection_day") is not None and \
                abs(day - result.summary["detection_day"]) < 1e-6:
            label += " (diagnosis)"
        centres = sizes["size_cells"].values
        keep = counts > 0
        ax.step(centres[keep], counts[keep], where="mid", label=label)
    ax.axvline(vis, color="0.3", ls=":", label="visibility size")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("metastasis size (cells)")
    ax.set_ylabel("expected metastases per bin")
    ax.set_title(f"{result.scenario.name}: size distribution of metastases")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_bone(result: Result, ax: Axes | None = None) -> Axes:
    """Bone lesion: bone mass (%), osteoclasts and osteoblasts (relative to day 0) and tumour."""
    ax = _axes(ax)
    ts = result.timeseries
    t = ts["time_days"].values
    ax.plot(t, ts["bone_mass_percent"], color="k", lw=2, label="bone mass (%)")
    ax.set_xlabel("time (days)")
    ax.set_ylabel("bone mass (% of day 0)")
    ax2 = ax.twinx()
    for name, color in (("osteoclasts", "C3"), ("osteoblasts", "C0"), ("rankl", "C4"),
                        ("opg", "C2"), ("tgf_beta", "C1"), ("bone_tumour_cells", "C5")):
        if name in ts:
            v = ts[name].values
            ref = v[0] if v[0] > 0 else (np.max(v) if np.max(v) > 0 else 1.0)
            ax2.plot(t, v / ref, color=color, lw=1.2, ls="--" if name == "tgf_beta" else "-",
                     label=f"{name} / day 0")
    ax2.set_yscale("log")
    ax2.set_ylabel("relative to day 0")
    lines, labels = ax.get_legend_handles_labels()
    l2, lab2 = ax2.get_legend_handles_labels()
    ax.legend(lines + l2, labels + lab2, fontsize=8, loc="best")
    ax.set_title(f"{result.scenario.name}: bone lesion ({ts.attrs.get('bone_model', '')})",
                 fontsize=9)
    ax.grid(alpha=0.3)
    return ax


def save_run_figures(result: Result, folder: Path) -> list[str]:
    """Write the standard figures of a run as PNG files; returns their file names."""
    names = []
    if "bone_mass_percent" in result.timeseries:
        fig = plot_bone(result).get_figure(root=True)
        assert fig is not None
        fig.savefig(folder / "bone.png", dpi=110)
        plt.close(fig)
        names.append("bone.png")
    figs: list[tuple[Any, str]] = [(plot_burden, "burden.png")]
    if float(result.timeseries["n_metastases"].max()) > 0:  # nothing to show without metastases
        figs += [(plot_counts, "metastases.png"),
                 (plot_size_distribution, "size_distribution.png")]
    for fn, name in figs:
        fig = fn(result).get_figure(root=True)
        assert fig is not None
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        names.append(name)
    return names
