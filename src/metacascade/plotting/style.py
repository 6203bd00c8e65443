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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import Locator, LogFormatter, LogFormatterSciNotation, LogLocator

#: Default size of a one-panel figure (inches) and the resolution of written PNG files.
SIZE = (7.0, 4.2)
DPI = 110
YEAR = 365.25  # days
MONTH = YEAR / 12
#: Floor that keeps zeros and negative rounding off a log axis.
LOG_FLOOR = 1e-12
#: A log axis spanning more decades than this has no minor ticks (matplotlib stops at 10): on a
#: long axis they are an unreadable comb, and each one is four artists to lay out and draw.
MINOR_TICK_DECADES = 6.0


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
    """A figure outside pyplot for writing a file: on its own Agg canvas at the resolution of the
    files (no backend is selected, nothing is registered with pyplot)."""
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


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
    short_minor_log_ticks(ax)
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


class ShortMinorLogLocator(Locator):
    """The minor ticks of a log axis (matplotlib's own locator, ``inner``), none where the axis
    spans more than :data:`MINOR_TICK_DECADES` decades (decided when the axis is drawn, for its
    final limits)."""

    def __init__(self, inner: Locator) -> None:
        self.inner = inner

    def set_axis(self, axis: Any) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def __call__(self) -> Sequence[float]:
        vmin, vmax = self.axis.get_view_interval() if self.axis is not None else (1.0, 1.0)
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        lo, hi = sorted((float(vmin), float(vmax)))
        if lo > 0 and np.log10(hi / lo) > MINOR_TICK_DECADES:
            return []
        return self.inner.tick_values(vmin, vmax)

    def nonsingular(self, v0: float, v1: float) -> tuple[float, float]:
        return self.inner.nonsingular(v0, v1)

    def view_limits(self, vmin: float, vmax: float) -> tuple[float, float]:
        return self.inner.view_limits(vmin, vmax)


def short_minor_log_ticks(ax: Axes) -> None:
    """Minor ticks of log axes by :class:`ShortMinorLogLocator` (other locators stay)."""
    for axis in (ax.xaxis, ax.yaxis):
        minor = axis.get_minor_locator()
        if type(minor) is LogLocator:
            axis.set_minor_locator(ShortMinorLogLocator(minor))


def visible_on_log(values: Any) -> np.ndarray:
    """Values with zeros (and negatives) as NaN: a log axis draws nothing there."""
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)


def save(fig: Figure, path: Path, dpi: int = DPI) -> str:
    """Write ``fig`` as ``path`` and release it; returns the file name.

    A :func:`detached` figure is laid out once and then drawn once: ``savefig`` on a figure with a
    layout engine draws it twice (the first time only to run the layout), which was a fifth of the
    time of the figures of a run. The file is the same, pixel for pixel."""
    engine = fig.get_layout_engine()
    if (isinstance(fig.canvas, FigureCanvasAgg) and getattr(fig.canvas, "manager", None) is None
            and isinstance(engine, ConstrainedLayoutEngine) and fig.axes):
        fig.set_dpi(dpi)
        engine.execute(fig)
        fig.set_layout_engine(None)
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
