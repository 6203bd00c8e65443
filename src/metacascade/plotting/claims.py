"""The figures of the claims experiments (``metacascade claims``), one function per figure.

Each takes the numbers the experiment measured (tables, results, solutions) and returns the Axes
or Figure; the experiment saves it with ``Context.save_figure``. Nothing here computes a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from metacascade.plotting.style import (
    MONTH,
    YEAR,
    axes,
    decorate,
    figure,
    panels,
    plain_log_labels,
    positive,
)
from metacascade.result import Result

WIDE = (11.0, 4.2)


# ---- S1 -------------------------------------------------------------------------------------
def plot_cause_of_death(fractions: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Fraction of all patients who died of metastasis and of the primary, per cancer type
    (``fractions``: index cancer type, columns ``metastasis`` and ``primary``)."""
    ax = axes(ax, (7.0, 4.2))
    x = np.arange(len(fractions))
    ax.bar(x - 0.2, fractions["metastasis"], 0.4, color="C3", label="of metastasis")
    ax.bar(x + 0.2, fractions["primary"], 0.4, color="C1", label="of the primary")
    ax.set_xticks(x, [str(i) for i in fractions.index])
    return decorate(ax, ylabel="fraction of patients who died",
                    title="S1: cause of death, surgery at diagnosis", legend=True)


# ---- S2, S10, S11 ---------------------------------------------------------------------------
class CascadeSeries(Protocol):
    """What the niche figure reads of a :func:`metacascade.solve_cascade` solution: organ
    names, output times (days), readiness and ``series["n_metastases"]`` as (P, O, T)."""

    @property
    def organs(self) -> list[str]: ...
    @property
    def times(self) -> np.ndarray: ...
    @property
    def readiness(self) -> np.ndarray: ...
    @property
    def series(self) -> dict[str, np.ndarray]: ...


def _identical_groups(names: Sequence[str], curves: np.ndarray) -> list[list[int]]:
    """Indices of ``names`` grouped by identical curves (rows of ``curves``)."""
    groups: list[list[int]] = []
    for i in range(len(names)):
        for g in groups:
            if np.allclose(curves[g[0]], curves[i], rtol=1e-9, atol=1e-12):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def plot_niche(primed: CascadeSeries, ax: Axes | None = None,
               organs: Sequence[str] = ("lung", "liver", "lymph_node")) -> Axes:
    """Niche readiness n(t) (solid; organs with identical readiness share one curve) and the
    expected number of metastases N(t) capped at 1 (dashed), per organ."""
    ax = axes(ax)
    years = primed.times / YEAR
    idx = [primed.organs.index(o) for o in organs]
    ready = primed.readiness[0][idx]
    n_met = primed.series["n_metastases"][0][idx]
    for g in _identical_groups(organs, ready):
        names = ", ".join(organs[i].replace("_", " ") for i in g)
        ax.plot(years, ready[g[0]], color="k" if len(g) > 1 else f"C{g[0]}", lw=1.5,
                label=f"readiness: {names}" + (" (identical)" if len(g) > 1 else ""))
    for i, o in enumerate(organs):
        ax.plot(years, np.minimum(n_met[i], 1.0), ls="--", color=f"C{i}",
                label=f"min(N, 1): {o.replace('_', ' ')}")
    return decorate(ax, xlabel="years from the first cancer cell",
                    ylabel="readiness n (solid), min(N, 1) (dashed)",
                    title="niche readiness vs metastases", legend={"fontsize": 7})


def niche_figure(primed: CascadeSeries, blocked: CascadeSeries, fig: Figure | None = None
                 ) -> Figure:
    """Readiness against colonisation, and the metastases seeded with and without the signal."""
    fig = figure(fig, (12.0, 4.2))
    left, right = panels(fig, 1, 2)[0]
    plot_niche(primed, left)
    totals = [float(s.series["n_metastases"][0][:, -1].sum()) for s in (primed, blocked)]
    right.bar(["primed", "signal blocked"], totals)
    decorate(right, ylabel=f"metastases seeded by year {primed.times[-1] / YEAR:.0f}",
             title="blocking the primary's niche signal", grid=False)
    return fig


# ---- S4 -------------------------------------------------------------------------------------
def plot_node_status(cohort: pd.DataFrame, density: str, ax: Axes | None = None,
                     bins: int = 8) -> Axes:
    """Fraction of node-positive patients per octile of a lymphatic vessel density column of
    ``cohort`` (which also holds ``node_pos``, 0 or 1)."""
    ax = axes(ax)
    x = cohort[density].to_numpy()
    node = cohort["node_pos"].to_numpy()
    edges = np.quantile(x, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges, x) - 1, 0, bins - 1)
    ax.plot(0.5 * (edges[1:] + edges[:-1]), [node[idx == k].mean() for k in range(bins)], "o-")
    ax.set_xscale("log")
    plain_log_labels(ax, "x")
    r = float(np.corrcoef(x, node)[0, 1])
    where = "peritumoral" if "peri" in density else "intratumoral"
    return decorate(ax, xlabel=f"{where} lymphatic vessel density (per mm^2)",
                    title=f"{where}: r = {r:.2f}", grid=False)


def plot_node_by_size(curve: pd.DataFrame, observed: pd.DataFrame, ax: Axes | None = None
                      ) -> Axes:
    """The model's node-positive fraction against primary diameter (``curve``: ``diameter_mm``,
    ``model``) and the published size classes (``observed``: ``low_mm``, ``high_mm``,
    ``fraction``, ``ci_low``, ``ci_high``, ``source``) as bars with their 95 % intervals."""
    ax = axes(ax)
    ax.plot(curve["diameter_mm"], curve["model"], "o-", ms=3, label="model")
    for src, grp in observed.groupby("source", sort=False):
        lo, hi = grp["low_mm"].to_numpy(float), grp["high_mm"].to_numpy(float)
        frac = grp["fraction"].to_numpy(float)
        ax.errorbar(0.5 * (lo + hi), frac, xerr=0.5 * (hi - lo),
                    yerr=np.vstack([frac - grp["ci_low"].to_numpy(float),
                                    grp["ci_high"].to_numpy(float) - frac]),
                    fmt="s", capsize=3, label=str(src))
    ax.set_ylim(0.0, 1.02)
    return decorate(ax, xlabel="primary diameter (mm)", ylabel="fraction node-positive",
                    title="node positivity by size", legend=True, grid=False)


def lymphatics_figure(cohort: pd.DataFrame, fig: Figure | None = None,
                      by_size: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> Figure:
    """Node status against intratumoral (``lvd_in``) and peritumoral (``lvd_peri``) density;
    with ``by_size`` (curve, observed) a third panel, :func:`plot_node_by_size`."""
    fig = figure(fig, WIDE if by_size is None else (15.0, 4.2))
    row = panels(fig, 1, 2 if by_size is None else 3)[0]
    left, right = row[0], row[1]
    right.sharey(left)
    plot_node_status(cohort, "lvd_in", left)
    plot_node_status(cohort, "lvd_peri", right)
    left.set_ylabel("fraction node-positive at diagnosis")
    if by_size is not None:
        plot_node_by_size(*by_size, row[2])
    return fig


# ---- S5, S6 ---------------------------------------------------------------------------------
def plot_knockouts(counts: pd.DataFrame, duration_days: float, ax: Axes | None = None) -> Axes:
    """Metastases seeded per organ (``counts``: index organ, one column per arm, the first the
    baseline) on a log axis; zero shows as an empty slot."""
    ax = axes(ax, (9.0, 4.2))
    x = np.arange(len(counts))
    width = 0.8 / len(counts.columns)
    for i, arm in enumerate(counts.columns):
        ax.bar(x + i * width, positive(counts[arm]), width, label=str(arm))
    ax.set_yscale("log")
    ax.set_ylim(1e-4, None)
    ax.set_xticks(x + 0.4 - width / 2, [str(o).replace("_", " ") for o in counts.index])
    return decorate(ax, ylabel=f"metastases seeded by day {duration_days:g}",
                    title="S5, S6: knocking out one step of the cascade", legend=True,
                    grid=False)


# ---- S7 -------------------------------------------------------------------------------------
def resection_figure(resected: Result, kept: Result, fig: Figure | None = None,
                     before: float = 10.0, after: float = 30.0) -> Figure:
    """Around the resection day of ``resected``: the multiplier of the metastatic growth rate and
    the metastatic burden, with and without resection (``kept``)."""
    fig = figure(fig, (10.0, 4.0))
    left, right = panels(fig, 1, 2)[0]
    tr = float(resected.summary["resection_day"])
    for res, label in ((resected, "with resection"), (kept, "primary left in place")):
        t = res.timeseries["time_days"].values
        win = (t > tr - before) & (t < tr + after)
        left.plot(t[win] - tr, res.timeseries["growth_multiplier"].values[win], label=label)
        right.semilogy(t[win] - tr, res.timeseries["metastatic_burden_cells"].values[win],
                       label=label)
    decorate(left, xlabel="days after resection", ylabel="multiplier of metastatic growth rate",
             legend=True, grid=False)
    decorate(right, xlabel="days after resection", ylabel="metastatic burden (cells)",
             legend=True, grid=False)
    return fig


# ---- S8 -------------------------------------------------------------------------------------
def plot_day15_volumes(volumes: Mapping[str, Sequence[np.ndarray]], ax: Axes | None = None
                       ) -> Axes:
    """Box plots of the day-15 volumes (mm^3) of controls, the larger and the smaller tumour of
    each pair, per model (``volumes``: model label -> (control, larger, smaller))."""
    ax = axes(ax)
    colours = ("tab:grey", "tab:blue", "tab:red")
    pos = [4 * i + j for i in range(len(volumes)) for j in range(3)]
    data = [arr for group in volumes.values() for arr in group]
    bp = ax.boxplot(data, positions=pos, widths=0.8, showfliers=False, patch_artist=True)
    for k, patch in enumerate(bp["boxes"]):
        patch.set_facecolor(colours[k % 3])
        patch.set_alpha(0.6)
    ax.set_xticks([4 * i + 1 for i in range(len(volumes))], list(volumes))
    ax.set_yscale("log")
    return decorate(ax, ylabel="day-15 volume (mm$^3$)",
                    title="control (grey), larger (blue), smaller (red) of each pair", grid=False)


def plot_two_tumour_growth(days: np.ndarray, trajectories: Mapping[str, np.ndarray],
                           ax: Axes | None = None,
                           models: Sequence[str] = ("proliferation", "competition")) -> Axes:
    """Mean volumes over time of the control, larger and smaller tumours (``trajectories``:
    ``"<model>_<group>"`` -> volumes), with the 61 % reduction of Benzekry 2017."""
    ax = axes(ax)
    for k, ls in zip(models, ("-", ":"), strict=False):
        for g, col in (("control", "tab:grey"), ("larger", "tab:blue"), ("smaller", "tab:red")):
            ax.plot(days, trajectories[f"{k}_{g}"], ls, color=col, label=f"{k} {g}")
    ax.axhline(0.39 * trajectories[f"{models[0]}_control"][-1], color="k", lw=0.5)
    ax.set_yscale("log")
    return decorate(ax, xlabel="days after implantation", ylabel="mean volume (mm$^3$)",
                    title="thin line: 61 % below control at day 15 (Benzekry 2017)",
                    legend={"fontsize": 7}, grid=False)


def two_tumour_figure(volumes: Mapping[str, Sequence[np.ndarray]], days: np.ndarray,
                      trajectories: Mapping[str, np.ndarray], fig: Figure | None = None
                      ) -> Figure:
    """The two-tumour experiment: day-15 volumes per model and mean growth curves."""
    fig = figure(fig, WIDE)
    left, right = panels(fig, 1, 2)[0]
    plot_day15_volumes(volumes, left)
    plot_two_tumour_growth(days, trajectories, right)
    return fig


# ---- S9 -------------------------------------------------------------------------------------
def plot_seeding(curves: pd.DataFrame, ax: Axes | None = None,
                 resection_day: float | None = None) -> Axes:
    """Expected metastases seeded over time (``curves``: index day, one column per arm; log
    axis from 1e-4: an arm with none seeded stays below it), with the resection day dotted."""
    ax = axes(ax)
    years = curves.index.to_numpy(float) / YEAR
    for arm in curves.columns:
        none = not np.any(curves[arm].to_numpy() > 0)
        ax.plot(years, positive(curves[arm]), label=f"{arm} (none: below the axis)" if none
                else str(arm))
    if resection_day is not None:
        ax.axvline(resection_day / YEAR, color="0.4", ls=":")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, None)
    return decorate(ax, xlabel="years", ylabel="metastases seeded (expected)", legend=True,
                    grid=False)


# ---- S12 ------------------------------------------------------------------------------------
def vicious_cycle_figure(days: np.ndarray, arms: Mapping[str, tuple[np.ndarray, np.ndarray]],
                         observed: pd.DataFrame, fig: Figure | None = None,
                         main: str = "vicious cycle") -> Figure:
    """Bone volume (% of day 0) and tumour burden of each arm (``arms``: label -> (bone,
    tumour)), with measurements (``observed``: panel ``bone``/``tumour``, label, day, value, se;
    the first label of a panel drawn as black dots, the others as open squares)."""
    fig = figure(fig, WIDE)
    bone_ax, tum_ax = panels(fig, 1, 2)[0]
    for k, (bone, tum) in arms.items():
        lw = 2 if k == main else 1.2
        bone_ax.plot(days, bone, lw=lw, label=k)
        tum_ax.plot(days, tum, lw=lw, label=k)
    for ax, panel in ((bone_ax, "bone"), (tum_ax, "tumour")):
        rows = observed[observed["panel"] == panel]
        for j, (label, g) in enumerate(rows.groupby("label", sort=False)):
            style: dict[str, Any] = ({"fmt": "ko"} if j == 0 else
                                     {"fmt": "s", "color": "C4", "mfc": "none"})
            ax.errorbar(g["day"], g["value"], g["se"], capsize=3, label=str(label), **style)
    tum_ax.set_yscale("log")
    plain_log_labels(tum_ax)
    decorate(bone_ax, xlabel="day", ylabel="bone volume (% of day 0)",
             title="S12: bone loss in the vicious cycle", legend={"fontsize": 7}, grid=False)
    decorate(tum_ax, xlabel="day", ylabel="tumour burden (relative to day 14, cycle on)",
             title="S12: tumour growth", legend={"fontsize": 7}, grid=False)
    return fig


# ---- S13, S15 -------------------------------------------------------------------------------
class SeedingCohort(Protocol):
    """What the S13/S15 figures read of a virtual cohort: per patient mu_1, detection day, days
    of N = 1 and P(any) = 0.5, weight P(metastatic); (patients, samples) lead times in years and
    primary sizes at first seeding."""

    @property
    def name(self) -> str: ...
    @property
    def mu1(self) -> np.ndarray: ...
    @property
    def detection_day(self) -> np.ndarray: ...
    @property
    def first_day(self) -> np.ndarray: ...
    @property
    def half_day(self) -> np.ndarray: ...
    @property
    def lead_years(self) -> np.ndarray: ...
    @property
    def seed_cells(self) -> np.ndarray: ...
    @property
    def weight(self) -> np.ndarray: ...


COHORT_COLOURS = ("tab:purple", "tab:orange")


def plot_lead_time(cohorts: Sequence[SeedingCohort], target_years: tuple[float, float],
                   ax: Axes | None = None) -> Axes:
    """Weighted distribution (ECDF) of the first seeding's lead before detection, per cohort."""
    ax = axes(ax)
    ax.axvspan(*target_years, color="tab:green", alpha=0.15,
               label=f"Hu et al. 2020: {target_years[0]:g}-{target_years[1]:g} years")
    for c, col in zip(cohorts, COHORT_COLOURS, strict=False):
        x = c.lead_years.ravel()
        w = np.broadcast_to(c.weight[:, None], c.lead_years.shape).ravel()
        o = np.argsort(x)
        ax.step(x[o], np.cumsum(w[o]) / w.sum(), where="post", color=col, label=c.name)
    return decorate(ax, xlabel="first seeding before detection (years)",
                    ylabel="fraction of metastatic virtual patients",
                    title="Lead time of the first metastasis (S13, S15)",
                    legend={"loc": "lower right"}, grid=False)


def plot_lead_against_mu(cohorts: Sequence[SeedingCohort], target_years: tuple[float, float],
                         ax: Axes | None = None) -> Axes:
    """Expected first metastasis (N = 1) and P(any) = 0.5 before detection against mu_1."""
    from matplotlib.ticker import NullFormatter

    ax = axes(ax)
    for c, col in zip(cohorts, COHORT_COLOURS, strict=False):
        for day, marker, alpha, what in ((c.first_day, "o", 0.7, "N = 1"),
                                         (c.half_day, "x", 0.4, "P(any) = 0.5")):
            ok = np.isfinite(day) & (day <= c.detection_day)
            ax.scatter(c.mu1[ok], (c.detection_day - day)[ok] / YEAR, s=8, color=col,
                       marker=marker, alpha=alpha, label=f"{c.name}: {what}")
    ax.axhspan(*target_years, color="tab:green", alpha=0.15)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    return decorate(ax, xlabel="mu$_1$ = d(V$_{det}$) / V$_{det}$ (cell$^{-1}$ day$^{-1}$)",
                    ylabel="years before detection",
                    title="Expected first metastasis vs dissemination rate",
                    legend={"fontsize": 7}, grid=False)


def lead_time_figure(cohorts: Sequence[SeedingCohort], target_years: tuple[float, float],
                     fig: Figure | None = None) -> Figure:
    """S13/S15: lead-time distribution and lead time against the dissemination rate."""
    fig = figure(fig, (10.0, 4.0))
    left, right = panels(fig, 1, 2)[0]
    plot_lead_time(cohorts, target_years, left)
    plot_lead_against_mu(cohorts, target_years, right)
    return fig


def plot_seeding_size(cohorts: Sequence[SeedingCohort], target_cells: float,
                      ax: Axes | None = None) -> Axes:
    """Weighted histogram of log10 primary size when the first metastasis is seeded."""
    ax = axes(ax, (6.0, 4.0))
    bins = [float(b) for b in np.linspace(0, 9, 37)]
    for c, col in zip(cohorts, COHORT_COLOURS, strict=False):
        w = np.broadcast_to(c.weight[:, None], c.seed_cells.shape).ravel()
        ax.hist(np.log10(c.seed_cells.ravel()), bins=bins, weights=w / w.sum(), histtype="step",
                color=col, label=c.name, linewidth=1.5)
    ax.axvline(np.log10(target_cells), color="tab:green", linestyle="--",
               label="Hu et al. 2019: < 0.01 cm$^3$")
    return decorate(ax, xlabel="log10 primary size at first seeding (cells)",
                    ylabel="fraction of metastatic virtual patients",
                    title="Primary size when the first metastasis is seeded", legend=True,
                    grid=False)


# ---- S14 ------------------------------------------------------------------------------------
def plot_relapse_hazards(hazards: Mapping[str, pd.DataFrame], ax: Axes | None = None,
                         months: float | None = None, title: str | None = None) -> Axes:
    """Smoothed relapse hazards per month after surgery of several arms (``hazards``: arm ->
    table with ``days`` and ``hazard_per_day``, from :func:`metacascade.analysis.cohort.relapse_hazard`);
    arms named ``... (sensitivity)`` dotted."""
    ax = axes(ax)
    for label, h in hazards.items():
        ax.plot(h["days"] / MONTH, h["hazard_per_day"] * MONTH, label=label,
                ls=":" if label.endswith("(sensitivity)") else "-")
    if months is not None:
        ax.set_xlim(0, months)
    return decorate(ax, xlabel="months after surgery", ylabel="relapse hazard (per month)",
                    title=title, legend=True, grid=False)


def dormancy_hazard_figure(hazards: Mapping[str, Mapping[str, pd.DataFrame]],
                           months: float | None = None, fig: Figure | None = None) -> Figure:
    """One :func:`plot_relapse_hazards` panel per scenario (``hazards``: scenario -> arms)."""
    fig = figure(fig, (11.0, 4.0))
    row = panels(fig, 1, max(len(hazards), 1))[0]
    for ax, (name, arms) in zip(row, hazards.items(), strict=False):
        plot_relapse_hazards(arms, ax, months, title=name)
    return fig
