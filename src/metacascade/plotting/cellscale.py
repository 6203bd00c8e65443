"""Figures of the cell scale: a stochastic patient's clones over time (Muller plot), the genealogy
of its sampled cells coloured by site, and primary against metastasis CCFs (true, or called from
virtual sequencing), and the sizes and organs of one patient's metastases (drawn by the run's
``size_distribution.png`` and ``metastases.png``). Each ``plot_*`` takes the result and
``ax=None`` and returns the Axes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from metacascade.plotting.run import is_stochastic
from metacascade.plotting.style import YEAR, axes, decorate, detached_axes, root, save

#: Colour of the primary's cells in a genealogy.
PRIMARY_COLOUR = "k"
#: Distinct colours of the metastases a genealogy shows (matplotlib's ten without its grey): the
#: primary and at most ``len(SITE_COLOURS)`` metastases get a colour of their own, the rest
#: :data:`OTHER_COLOUR` (said in the legend). No colour is reused.
SITE_COLOURS = ("C0", "C3", "C2", "C1", "C4", "C5", "C6", "C8", "C9")
#: The one muted colour of the sites beyond the cap.
OTHER_COLOUR = "0.72"
#: Size of the genealogy figure (inches): wider than one panel, for the legend beside the tree.
GENEALOGY_SIZE = (8.6, 4.4)


def _final_cells(result: Any) -> dict[str, float]:
    mets = getattr(result, "metastases", None)
    if mets is None or mets.empty:
        return {}
    return dict(zip(mets["met_id"].astype(str), mets["cells_final"].astype(float), strict=True))


def site_colours(result: Any, sites: list[str] | None = None,
                 highlight: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """Site -> colour of the ``sites`` a genealogy shows (default: every site with a sampled
    cell): the primary :data:`PRIMARY_COLOUR`, then the ``highlight`` metastases (e.g. the
    sequenced ones) and the largest others (``cells_final``) one distinct colour each of
    :data:`SITE_COLOURS`, the rest :data:`OTHER_COLOUR`."""
    if sites is None:
        ts = result.genealogy
        names = [str(s) for s in result.sites]
        pop = (np.unique(ts.tables.nodes.population[ts.samples()]).tolist()
               if ts is not None else [])
        sites = [names[int(i)] for i in pop if 0 <= int(i) < len(names)]
    final = _final_cells(result)
    mets = [s for s in sites if s != "primary"]
    first = [s for s in highlight if s in mets]
    rest = sorted((s for s in mets if s not in first), key=lambda s: -final.get(s, 0.0))
    out = {"primary": PRIMARY_COLOUR} if "primary" in sites else {}
    for k, s in enumerate([*first, *rest]):
        out[s] = SITE_COLOURS[k] if k < len(SITE_COLOURS) else OTHER_COLOUR
    return out


def _muller_order(clones: np.ndarray, parent: np.ndarray) -> list[tuple[int, int]]:
    """Bands bottom to top: (clone, half) with each clone's own cells split in two halves around
    its children (the nesting of a Muller plot)."""
    kids: dict[int, list[int]] = {int(c): [] for c in clones}
    roots: list[int] = []
    for c, p in zip(clones, parent, strict=True):  # the kept clones (tens)
        kids.get(int(p), roots).append(int(c))
    order: list[tuple[int, int]] = []
    stack: list[tuple[int, int]] = [(r, 0) for r in reversed(roots)]
    while stack:
        c, state = stack.pop()
        if state == 0:
            order.append((c, 0))
            stack.append((c, 1))
            stack.extend((k, 0) for k in reversed(kids[c]))
        else:
            order.append((c, 1))
    return order



def plot_muller(result: Any, ax: Axes | None = None, *, relative: bool = True) -> Axes:
    """Clone sizes of the primary over time (Muller plot): each recorded clone of
    ``clone_history`` (a subtree reaching 1 % of the tumour) is a band nested inside its
    parent's; ``relative`` shows shares of the tumour, else cells."""
    ax = axes(ax)
    h: pd.DataFrame = result.clone_history
    if h is None or h.empty:
        ax.text(0.5, 0.5, "no clone history recorded", ha="center", va="center",
                transform=ax.transAxes)
        return decorate(ax, title="clones of the primary")
    wide = h.pivot_table(index="day", columns="clone_id", values="cells", aggfunc="sum")
    wide = wide.fillna(0.0).sort_index()
    par = h.drop_duplicates("clone_id").set_index("clone_id")["parent"]
    ids = wide.columns.to_numpy()
    order = _muller_order(ids, par.loc[ids].to_numpy())
    values = wide.to_numpy()
    if relative:
        tot = values.sum(axis=1, keepdims=True)
        values = np.divide(values, tot, out=np.zeros_like(values), where=tot > 0)
    col = {int(c): i for i, c in enumerate(ids)}
    bands = np.stack([values[:, col[c]] / 2.0 for c, _ in order])
    colours = [f"C{col[c] % 10}" for c, _ in order]
    ax.stackplot(wide.index.to_numpy() / YEAR, bands, colors=colours, linewidth=0)
    if relative:
        ax.set_ylim(0, 1)
    return decorate(ax, xlabel="time since the first cancer cell (years)",
                    ylabel="share of the primary" if relative else "cells",
                    title=f"clones of the primary ({len(ids)} clones with a subtree >= 1 %)")


def plot_genealogy(result: Any, ax: Axes | None = None, *,
                   highlight: tuple[str, ...] | list[str] = ()) -> Axes:
    """The genealogy of the sampled cells (``genealogy.trees``): time before sampling (days)
    upward, leaves coloured by their site (:func:`site_colours`: the primary, then the
    ``highlight`` sites, e.g. the sequenced ones, and the largest metastases one distinct colour
    each, any others one muted colour), the legend beside the tree. A ``highlight`` site without
    sampled cells is said in the legend."""
    ax = axes(ax, GENEALOGY_SIZE)
    ts = result.genealogy
    if ts is None or ts.num_samples == 0:
        ax.text(0.5, 0.5, "no genealogy", ha="center", va="center", transform=ax.transAxes)
        return decorate(ax, title="genealogy of sampled cells")
    tree = ts.first()
    time = ts.tables.nodes.time
    x = np.full(ts.num_nodes, np.nan)
    leaves = [u for u in tree.nodes(order="minlex_postorder") if tree.is_leaf(u)]
    x[leaves] = np.arange(len(leaves))
    for u in tree.nodes(order="postorder"):  # internal nodes at their children's mean
        if not tree.is_leaf(u):
            x[u] = np.mean([x[c] for c in tree.children(u)])
    segs = []
    for u in tree.nodes():
        p = tree.parent(u)
        if p >= 0:
            segs += [[(x[u], time[u]), (x[u], time[p])], [(x[u], time[p]), (x[p], time[p])]]
    ax.add_collection(LineCollection(segs, colors="0.4", linewidths=0.7))
    names = [str(s) for s in result.sites]
    pop = ts.tables.nodes.population
    leaf_sites = [names[pop[u]] for u in leaves]
    shown = list(dict.fromkeys(s for s in names if s in set(leaf_sites)))
    highlight = [str(h) for h in highlight]
    colour = site_colours(result, shown, highlight)
    organ = (dict(zip(result.metastases["met_id"].astype(str), result.metastases["organ"],
                      strict=True)) if getattr(result, "metastases", None) is not None else {})
    others = [s for s in shown if colour[s] == OTHER_COLOUR]
    leaf_arr = np.asarray(leaves)
    site_arr = np.asarray(leaf_sites, dtype=object)
    for s in sorted((s for s in shown if colour[s] != OTHER_COLOUR),
                    key=lambda s: list(colour).index(s)):
        here = leaf_arr[site_arr == s]
        tags = [t for t in (organ.get(s), "sequenced" if s in highlight else None) if t]
        ax.scatter(x[here], time[here], s=16, color=colour[s], zorder=3, linewidths=0,
                   label=f"{s} ({', '.join(tags)})" if tags else s)
    if others:
        here = leaf_arr[np.isin(site_arr, others)]
        ax.scatter(x[here], time[here], s=12, color=OTHER_COLOUR, zorder=2, linewidths=0,
                   label=f"other ({len(others)} sites)")
    for s in highlight:
        if s not in shown:  # sequenced, but genealogy.trees sampled no cell of it
            ax.plot([], [], ls="none", marker="x", color="k",
                    label=f"{s} (sequenced):\nno cell in the genealogy")
    ax.set_xlim(-1, len(leaves))
    ax.set_ylim(0, float(time.max()) * 1.03 + 1e-9)
    ax.set_xticks([])
    title = (f"genealogy of {ts.num_samples} sampled cells of {len(shown)} sites, "
             f"{ts.num_sites} mutations")
    return decorate(ax, ylabel="days before sampling", title=title,
                    legend={"fontsize": 7, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0),
                            "borderaxespad": 0.0, "title": "site", "title_fontsize": 8})


def _largest_metastasis(result: Any) -> str | None:
    mets = result.metastases
    if mets is None or mets.empty or float(mets["cells_final"].max()) <= 0:
        return None
    return str(mets.loc[mets["cells_final"].idxmax(), "met_id"])


def ccf_pairs(result: Any, metastasis: str | None = None) -> tuple[pd.DataFrame, str, str]:
    """(primary CCF, metastasis CCF) of every mutation: true CCFs of a stochastic run (the
    largest metastasis by default) or called CCFs of a sequencing result (the first sequenced
    metastasis). Returns the table (``primary``, ``metastasis`` columns), the metastasis and
    what the CCFs are."""
    if hasattr(result, "reads"):
        from metacascade.analysis.sequencing import site_calls

        sites = [s for s in result.sites if s != "primary"]
        met = metastasis or (sites[0] if sites else None)
        if met is None or "primary" not in result.sites:
            return pd.DataFrame({"primary": [], "metastasis": []}), "", "called"
        calls = site_calls(result.reads)
        ccf = calls["ccf"].where(calls["called"], 0.0).unstack("site").fillna(0.0)
        return (pd.DataFrame({"primary": ccf["primary"], "metastasis": ccf[met]}), met,
                "called from reads")
    from metacascade.engines.stochastic import mutation_ccfs

    met = metastasis or _largest_metastasis(result)
    if met is None:
        return pd.DataFrame({"primary": [], "metastasis": []}), "", "true"
    m = mutation_ccfs(result.clones, ["primary", met])
    keep = (m["primary"] >= 0.01) | (m[met] >= 0.01)
    return (pd.DataFrame({"primary": m.loc[keep, "primary"], "metastasis": m.loc[keep, met]}),
            met, "true")


def plot_ccf_scatter(result: Any, ax: Axes | None = None, *,
                     metastasis: str | None = None) -> Axes:
    """Primary against metastasis CCF of every mutation (jittered slightly so that stacks of
    clonal mutations show): shared clonal mutations top right, metastasis-private clonal ones
    top left, primary-private ones along the bottom."""
    ax = axes(ax)
    df, met, what = ccf_pairs(result, metastasis)
    if df.empty:
        ax.text(0.5, 0.5, "no metastasis with cells", ha="center", va="center",
                transform=ax.transAxes)
        return decorate(ax, title="CCF, primary vs metastasis")
    jitter = np.random.default_rng(0).normal(0.0, 0.005, (len(df), 2))  # display only
    ax.scatter(df["primary"] + jitter[:, 0], df["metastasis"] + jitter[:, 1], s=6, alpha=0.5,
               color="C0", linewidths=0)
    ax.set_xlim(-0.03, 1.1)
    ax.set_ylim(-0.03, 1.1)
    return decorate(ax, xlabel="CCF in the primary", ylabel=f"CCF in {met}",
                    title=f"{len(df):,} mutations ({what} CCFs)")


def _visible_cells(result: Any) -> float:
    from metacascade.biology.growth import cells_from_diameter_mm

    return float(cells_from_diameter_mm(result.scenario.detection.visible_diameter_mm))


def plot_metastasis_sizes(result: Any, ax: Axes | None = None) -> Axes:
    """Sizes of one stochastic patient's metastases (cells, log axis): how many of them fall in
    each size bin at diagnosis (``cells_by_site``) and at the end of the run
    (``metastases.csv``'s ``cells_final``), with the visibility size; those without cells are counted in the
    title. One patient's metastases, not an expectation."""
    ax = axes(ax)
    name = result.scenario.name
    mets = result.metastases
    n = 0 if mets is None else len(mets)
    final = np.zeros(0) if mets is None else mets["cells_final"].to_numpy(np.float64)
    alive = final[final >= 1]
    if alive.size == 0:
        ax.text(0.5, 0.5, f"none of this patient's {n} metastases has cells at the end",
                ha="center", va="center", transform=ax.transAxes)
        return decorate(ax, title=f"{name}: sizes of this patient's metastases")
    series: list[tuple[str, np.ndarray, str]] = []
    detection = result.summary.get("detection_day")
    if detection is not None and "cells_by_site" in result.timeseries:
        by_site = result.timeseries["cells_by_site"].sel(time_days=detection, method="nearest")
        by_site = by_site.sel(site=[s for s in result.sites if s != "primary"])
        at = np.nan_to_num(np.asarray(by_site.values, dtype=float), nan=0.0)
        at = at[at >= 1]
        if at.size:
            series.append((f"diagnosis (day {detection:,.0f}): {at.size} with cells", at, "C1"))
    series.append((f"end of the run (day {float(result.timeseries['time_days'][-1]):,.0f}): "
                   f"{alive.size} with cells", alive, "C0"))
    top = max(float(v.max()) for _, v, _ in series)
    edges = np.logspace(0.0, np.log10(top) + 1e-9, max(int(np.ceil(np.log10(top) * 3)), 1) + 1)
    for label, values, colour in series:
        ax.hist(values, bins=edges.tolist(), histtype="step", lw=1.6, color=colour, label=label)
    ax.axvline(_visible_cells(result), color="0.3", ls=":", label="visibility size")
    ax.set_xscale("log")
    return decorate(ax, xlabel="metastasis size (cells)",
                    ylabel="number of metastases (this patient)",
                    title=f"{name}: sizes of this patient's {n} metastases "
                          f"({n - alive.size} without cells at the end)",
                    legend={"loc": "upper left"})


def plot_metastases_by_organ(result: Any, ax: Axes | None = None) -> Axes:
    """Metastases founded in each organ over time, of one stochastic patient
    (``n_metastases_by_organ``)."""
    ax = axes(ax)
    ts = result.timeseries
    if "n_metastases_by_organ" not in ts:
        ax.text(0.5, 0.5, "no counts by organ stored", ha="center", va="center",
                transform=ax.transAxes)
        return decorate(ax, title="metastases by organ (this patient)")
    t = np.asarray(ts["time_days"].values) / YEAR
    counts = ts["n_metastases_by_organ"]
    for i, organ in enumerate(str(o) for o in ts["organ"].values):
        v = np.asarray(counts.sel(organ=organ).values, dtype=float)
        if v.max() > 0:
            ax.plot(t, v, color=f"C{i % 10}", lw=1.5, label=f"{organ} ({v[-1]:,.0f})")
    ax.set_ylim(0.0, max(float(counts.max()), 1.0) * 1.05)
    return decorate(ax, xlabel="time since the first cancer cell (years)",
                    ylabel="by organ (this patient)",
                    title=f"{result.scenario.name}: metastases founded, by organ",
                    legend={"loc": "upper left", "ncol": 2})


def save_cellscale_figures(result: Any, folder: str | Path) -> list[str]:
    """``clones.png`` (Muller plot), ``genealogy.png`` and ``ccf.png`` of a stochastic run."""
    folder = Path(folder)
    return [save(root(plot_muller(result, detached_axes())), folder / "clones.png"),
            save(root(plot_genealogy(result, detached_axes(GENEALOGY_SIZE))),
                 folder / "genealogy.png"),
            save(root(plot_ccf_scatter(result, detached_axes())), folder / "ccf.png")]


def save_sequencing_figures(result: Any, folder: str | Path, run: Any = None) -> list[str]:
    """``ccf.png`` (called CCFs) of a sequencing result, and ``genealogy.png`` when the
    sequenced run is given (its sequenced sites first in the legend, marked "sequenced")."""
    folder = Path(folder)
    names = [save(root(plot_ccf_scatter(result, detached_axes())), folder / "ccf.png")]
    if run is not None:
        names.append(save(root(plot_genealogy(run, detached_axes(GENEALOGY_SIZE),
                                              highlight=list(result.sites))),
                          folder / "genealogy.png"))
    return names


__all__ = ["ccf_pairs", "is_stochastic", "plot_ccf_scatter", "plot_genealogy", "plot_lm_lp",
           "plot_metastases_by_organ", "plot_metastasis_sizes", "plot_muller",
           "plot_risk_by_size", "plot_shared_share", "save_cellscale_figures",
           "save_sequencing_figures", "site_colours"]


def plot_risk_by_size(diameters_cm: np.ndarray, risk: np.ndarray, median_cm: float | None = None,
                      ax: Axes | None = None) -> Axes:
    """Share of simulated patients with a surviving distant metastasis against the primary's
    diameter at treatment (S9), with an observed median threshold size dotted."""
    ax = axes(ax)
    ax.plot(diameters_cm, risk, marker="o", ms=3, color="C0", label="stochastic patients")
    if median_cm is not None:
        ax.axvline(median_cm, color="0.4", ls=":", label=f"observed median ({median_cm:g} cm)")
    ax.axhline(0.5, color="0.7", lw=0.8)
    ax.set_ylim(0, 1)
    return decorate(ax, xlabel="primary diameter at treatment (cm)",
                    ylabel="risk of distant metastasis", legend=True)


def plot_lm_lp(simulated: dict[str, np.ndarray], observed: np.ndarray,
               ax: Axes | None = None) -> Axes:
    """Distributions (empirical CDFs) of log10((Lm + 1)/(Lp + 1)) of simulated metastases (one
    curve per hypothesis) and of observed ones (S17)."""
    ax = axes(ax)
    for i, (name, v) in enumerate([*simulated.items(), ("observed", observed)]):
        x = np.sort(np.asarray(v, dtype=float))
        if x.size:
            ax.step(x, np.arange(1, x.size + 1) / x.size, where="post",
                    color="k" if name == "observed" else f"C{i}",
                    label=f"{name} ({x.size} metastases)")
    return decorate(ax, xlabel="log10((Lm + 1) / (Lp + 1))", ylabel="cumulative share",
                    legend=True)


def plot_shared_share(types: list[str], observed: list[float], model: list[float],
                      ax: Axes | None = None) -> Axes:
    """Share of a metastasis' clonal mutations present in the primary, observed and simulated,
    by cancer type (S18)."""
    ax = axes(ax)
    x = np.arange(len(types))
    ax.bar(x - 0.2, observed, 0.4, color="0.5", label="observed (median)")
    ax.bar(x + 0.2, model, 0.4, color="C0", label="model (median)")
    ax.set_xticks(x, types)
    ax.set_ylim(0, 1)
    return decorate(ax, ylabel="metastasis clonal mutations in the primary", legend=True)
