"""The one axes and figure set-up of every metacascade figure.

Plot functions draw into an Axes (or a Figure for multi-panel figures) the caller gives them; when
none is given they ask :func:`axes` or :func:`figure` for a new pyplot one, so figures show up in a
notebook as usual. ``save_*_figures`` helpers draw into :func:`detached` figures instead: those are
never registered with pyplot, so writing files works under any backend (and leaks nothing). No
module of this package selects a matplotlib backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogFormatterSciNotation

#: Default size of a one-panel figure (inches) and the resolution of written PNG files.
SIZE = (7.0, 4.2)
DPI = 110
YEAR = 365.25  # days
MONTH = YEAR / 12
#: Floor that keeps zeros and negative rounding off a log axis.
LOG_FLOOR = 1e-12


def axes(ax: Axes | None = None, figsize: tuple[float, float] = SIZE) -> Axes:
    """``ax`` itself, or the Axes of a new pyplot figure (constrained layout)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained").add_subplot()


def figure(fig: Figure | None = None, figsize: tuple[float, float] = SIZE) -> Figure:
    """``fig`` itself (cleared), or a new pyplot figure (constrained layout)."""
    if fig is not None:
        fig.clear()
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained")


def detached(figsize: tuple[float, float] = SIZE) -> Figure:
    """A figure outside pyplot (no backend involved) for writing a file."""
    return Figure(figsize=figsize, layout="constrained")


def detached_axes(figsize: tuple[float, float] = SIZE) -> Axes:
    """The Axes of a :func:`detached` one-panel figure."""
    return detached(figsize).add_subplot()


def root(ax: Axes) -> Figure:
    """The figure an Axes belongs to."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    return fig


def panels(fig: Figure, nrows: int, ncols: int, **kw: Any) -> np.ndarray:
    """A 2-D array of Axes on ``fig`` (always 2-D, whatever the shape)."""
    return np.asarray(fig.subplots(nrows, ncols, squeeze=False, **kw))


def decorate(ax: Axes, *, xlabel: str | None = None, ylabel: str | None = None,
             title: str | None = None, legend: bool | dict[str, Any] = False,
             grid: bool = True) -> Axes:
    """Labels, title, legend (``True`` or legend keyword arguments) and a light grid."""
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(**({"fontsize": 8} | (legend if isinstance(legend, dict) else {})))
    if grid:
        ax.grid(alpha=0.3)
    superscript_log_labels(ax)
    return ax


def positive(values: Any, floor: float = LOG_FLOOR) -> np.ndarray:
    """Values lifted to ``floor`` so that a log axis can show them."""
    return np.maximum(np.asarray(values, dtype=float), floor)


class _PlainLog(LogFormatter):
    """Labels the ticks matplotlib's log formatter labels, as plain numbers (``0.1``, ``6``)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:g}" if super().__call__(x, pos) else ""


def plain_log_labels(ax: Axes, axis: str = "y") -> None:
    """Tick labels of a log axis as plain numbers (``6``, ``0.1``) instead of ``6 x 10^0``;
    minor ticks are labelled only on short ranges, as matplotlib does."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(_PlainLog())
    target.set_minor_formatter(_PlainLog(labelOnlyBase=False))


_SUPERSCRIPT = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")
_MATHTEXT = re.compile(r"\$\\mathdefault\{(.*)\}\$")


def _without_mathtext(label: str) -> str:
    """``$\\mathdefault{2\\times10^{-3}}$`` (matplotlib's log tick labels) as ``2×10⁻³``."""
    hit = _MATHTEXT.fullmatch(label)
    if hit is None:
        return label
    text = hit.group(1).replace(r"\times", "\u00d7")
    text = re.sub(r"\^\{(-?\d+)\}", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    return "\u2212" + text[1:] if text.startswith("-") else text


class SuperscriptLogFormatter(LogFormatterSciNotation):
    """matplotlib's default log-axis labels (``10⁶``, ``2×10⁻³``), written with Unicode
    superscripts instead of mathtext: the same look without the mathtext parser, which was about
    a fifth of the time of drawing the figures of a run (DejaVu Sans has the glyphs)."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _without_mathtext(str(super().__call__(x, pos)))


def superscript_log_labels(ax: Axes) -> None:
    """Replace the default formatters of log and symlog axes by
    :class:`SuperscriptLogFormatter` (other formatters, e.g. :func:`plain_log_labels`, stay)."""
    for axis in (ax.xaxis, ax.yaxis):
        if type(axis.get_major_formatter()) is not LogFormatterSciNotation:
            continue
        base = float(getattr(axis.get_transform(), "base", 10.0))
        axis.set_major_formatter(SuperscriptLogFormatter(base))
        minor = axis.get_minor_formatter()
        if type(minor) is LogFormatterSciNotation:
            axis.set_minor_formatter(SuperscriptLogFormatter(
                base, labelOnlyBase=minor.labelOnlyBase, minor_thresholds=minor.minor_thresholds))


def visible_on_log(values: Any) -> np.ndarray:
    """Values with zeros (and negatives) as NaN: a log axis draws nothing there."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)


def save(fig: Figure, path: Path, dpi: int = DPI) -> str:
    """Write ``fig`` as ``path`` and release it; returns the file name."""
    fig.savefig(path, dpi=dpi)
    if getattr(fig.canvas, "manager", None) is not None:  # a pyplot figure: forget it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path.name


def pages(items: Sequence[Any], per_page: int) -> list[Sequence[Any]]:
    """``items`` cut into pages of at most ``per_page`` (at least one page)."""
    return [items[i:i + per_page] for i in range(0, len(items), per_page)] or [items[:0]]


def page_name(stem: str, page: int) -> str:
    """``stem.png`` for the first page (the contract name), ``stem_2.png``... after it."""
    return f"{stem}.png" if page == 0 else f"{stem}_{page + 1}.png"


def page_title(what: str, shown: Sequence[str], total: int, page: int, n_pages: int) -> str:
    """Say which ids a page shows and how many there are: no figure drops ids silently."""
    listed = ", ".join(map(str, shown)) if len(shown) <= 10 else f"{shown[0]} to {shown[-1]}"
    head = f"{what}: ids {listed}" if shown else f"{what}: no ids"
    tail = f" ({len(shown)} of {total} ids"
    return head + tail + (f", page {page + 1} of {n_pages})" if n_pages > 1 else ")")


def save_pages(stem: str, folder: Path, items: Sequence[Any], per_page: int,
               draw: Callable[[Sequence[Any], int, int, Figure], Figure],
               figsize: Callable[[int], tuple[float, float]]) -> list[str]:
    """Draw ``items`` page by page (``draw(page_items, page, n_pages, fig)``) into
    ``stem.png``, ``stem_2.png``, ...; returns the file names."""
    chunks = pages(items, per_page)
    names = []
    for k, chunk in enumerate(chunks):
        fig = draw(chunk, k, len(chunks), detached(figsize(len(chunk))))
        names.append(save(fig, folder / page_name(stem, k)))
    return names
