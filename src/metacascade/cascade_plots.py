"""Figures of the cascade experiments. Each function takes ``ax=None`` and returns the Axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

FATE_STYLES = {
    "circulating": "C7", "arrested": "C0", "extravasated": "C1", "dead": "k",
    "dormant_single": "C2", "micrometastasis": "C4", "macrometastasis": "C3",
}


def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.2)) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def plot_fates(fates: pd.DataFrame, ax: Axes | None = None,
               markers: dict[str, tuple[float, float]] | None = None) -> Axes:
    """Fraction of injected cells in each state over time (log fraction axis); ``markers``
    maps a state to a published (day, fraction) point drawn as a star."""
    ax = _axes(ax)
    t = fates["time_days"].to_numpy()
    for name, colour in FATE_STYLES.items():
        if name in fates:
            y = np.where(fates[name].to_numpy() > 0, fates[name].to_numpy(), np.nan)
            ax.plot(t, y, color=colour, label=name.replace("_", " "), lw=1.8)
    for name, (day, frac) in (markers or {}).items():
        ax.plot([day], [frac], marker="*", ms=13, color=FATE_STYLES.get(name, "C9"),
                mec="k", ls="none")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1.5)
    ax.set_xlabel("days after injection")
    ax.set_ylabel("fraction of injected cells")
    ax.legend(fontsize=8, ncol=2)
    return ax
