"""Figures of a fit (:class:`metacascade.FitResult`) and of a prediction: data with fitted curves
and prediction bands, residuals, profile likelihoods, predicted trajectories.

Figures over ids show a page of ids and say so in their title; :func:`save_fit_figures` writes
every page (``fit_curves.png``, ``fit_curves_2.png``, ...), so no id is dropped silently.

Values of 0 have no place on a log axis: observed zeros are drawn as open triangles on the edge of
the axes (labelled so in the legend), and zeros of a predicted trajectory are left out of its line
with a note saying on how many days (a band whose lower end is 0 reaches down to the axis floor).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from metacascade.inference.fit import Objective, SubjectFit
from metacascade.inference.likelihood import standardized_residuals
from metacascade.inference.model import ExponentialPredictor
from metacascade.inference.result import FitResult
from metacascade.plotting.style import (
    axes,
    decorate,
    detached,
    figure,
    page_title,
    panels,
    positive,
    save,
    save_pages,
)

#: ids per page of ``fit_curves.png`` (rows) and of ``profiles.png`` (distinct colours).
CURVES_PER_PAGE = 6
PROFILES_PER_PAGE = 10
RESIDUALS_SIZE = (9.0, 3.8)


def _curves_size(n_observables: int, n_ids: int) -> tuple[float, float]:
    return 3.6 * n_observables, 2.6 * n_ids + 0.6


def _profiles_size(n_keys: int) -> tuple[float, float]:
    return 4.2 * n_keys, 3.8


def _prediction_size(n_observables: int) -> tuple[float, float]:
    return 4.2 * n_observables, 5.6


#: Points per inch of text, and the width of an average character in font sizes (for wrapping).
_PT_PER_INCH = 72.0
_CHAR_WIDTH = 0.6


def _wrapped_title(text: str, width_in: float, fontsize: float) -> str:
    """``text`` wrapped (at spaces, after commas) to lines that fit ``width_in`` inches at
    ``fontsize`` points, so that a long title is never cut at the figure's edges."""
    chars = max(20, int(0.95 * width_in * _PT_PER_INCH / (fontsize * _CHAR_WIDTH)))
    return textwrap.fill(text, chars, break_on_hyphens=False)


def _zeros_on_edge(ax: Axes, along: np.ndarray, axis: str, label: str | None,
                   color: str) -> None:
    """Points whose value on ``axis`` ("x" or "y") is 0, drawn as open triangles on that edge of
    the axes (a log axis cannot show 0); ``along`` holds their other coordinate (data units)."""
    if along.size == 0:
        return
    if axis == "y":  # x in data units, y on the bottom edge
        ax.plot(along, np.zeros(along.size), "v", ms=5, mfc="none", color=color,
                transform=ax.get_xaxis_transform(), clip_on=False, label=label)
    else:  # y in data units, x on the left edge
        ax.plot(np.zeros(along.size), along, "<", ms=5, mfc="none", color=color,
                transform=ax.get_yaxis_transform(), clip_on=False, label=label)


@dataclass
class _Curves:
    """Fitted curve and 95 % prediction band of one id on a time grid, with its data."""

    times: np.ndarray
    best: np.ndarray  # (observables, times)
    lower: np.ndarray
    upper: np.ndarray
    obs_times: np.ndarray  # data times (diagnosis rows at the fitted diagnosis day)
    obs_values: np.ndarray
    obs_names: np.ndarray


def _curves(res: FitResult, f: SubjectFit, observables: Sequence[str],
            rng: np.random.Generator, n_draws: int) -> _Curves:
    """Parameter draws from the Wald covariance plus residual error give the band."""
    assert res.data is not None, "the fit holds no data (loaded without its data file)"
    obj = Objective(res.scenario, res.data[f.id], res.settings)
    s = obj.subject
    theta = f.estimate[None, :]
    tdet = float(obj.predictor.diagnosis_day(theta)[0]) if s.at_diagnosis.any() else 0.0
    t_obs = np.where(s.at_diagnosis, tdet, s.time)
    tmax = max(float(np.max(t_obs)) * 1.05, 1.0)
    times = np.linspace(0.0, tmax, 80 if obj.compiled else 25)
    cov = f.cov_log if np.all(np.isfinite(f.cov_log)) else np.zeros_like(f.cov_log)
    nd = n_draws if isinstance(obj.predictor, ExponentialPredictor) else 10
    best = obj.predictor.curves(theta, times, observables)[0]
    lo, hi = np.empty_like(best), np.empty_like(best)
    # an unidentified id has a huge covariance: its draws overflow and its band is (rightly)
    # unbounded, which is no reason to warn
    with np.errstate(over="ignore", invalid="ignore"):
        draws = np.exp(rng.multivariate_normal(np.log(f.estimate), cov, size=nd, method="eigh"))
        cur = obj.predictor.curves(draws, times, observables)
        for c, o in enumerate(observables):
            err = res.settings.error_for(o)
            noisy = cur[:, c] + np.sqrt(err.a ** 2 + (err.b * cur[:, c]) ** 2) * \
                rng.standard_normal(cur[:, c].shape)
            lo[c], hi[c] = np.nanquantile(noisy, [0.025, 0.975], axis=0)
    return _Curves(times, best, lo, hi, t_obs, s.value, np.asarray(s.observable))


def _draw_curve(ax: Axes, cv: _Curves, c: int, observable: str) -> Axes:
    ax.fill_between(cv.times, positive(cv.lower[c]), positive(cv.upper[c]), alpha=0.25,
                    color="C0", lw=0, label="95 % prediction band")
    ax.plot(cv.times, positive(cv.best[c]), color="C0", label="fit")
    m = cv.obs_names == observable
    nz = m & (cv.obs_values > 0)
    ax.plot(cv.obs_times[nz], cv.obs_values[nz], "o", color="C3", label="data")
    zero = m & (cv.obs_values <= 0)
    _zeros_on_edge(ax, cv.obs_times[zero], "y", f"data = 0 ({int(zero.sum())}, on the axis "
                   "floor)", "C3")
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())  # many decades: minor ticks add only drawing time
    pos = cv.obs_values[nz]
    if pos.size:
        ax.set_ylim(bottom=max(1e-12, float(pos.min()) * 1e-4))
    return ax


def _observables(res: FitResult, ids: Sequence[str]) -> list[str]:
    assert res.data is not None, "the fit holds no data (loaded without its data file)"
    return sorted({str(o) for i in ids for o in res.data[i].observable})


def plot_fit_curve(res: FitResult, sid: str, observable: str, ax: Axes | None = None,
                   n_draws: int = 100, seed: int = 0) -> Axes:
    """Data of one id and one observable with the fitted curve and its 95 % prediction band."""
    ax = axes(ax)
    cv = _curves(res, res.subject_fit(sid), [observable], np.random.default_rng(seed), n_draws)
    _draw_curve(ax, cv, 0, observable)
    return decorate(ax, xlabel="day", ylabel=observable, title=f"id {sid}", legend=True,
                    grid=False)


def fit_curves_figure(res: FitResult, ids: Sequence[str] | None = None,
                      fig: Figure | None = None, n_draws: int = 100, seed: int = 0,
                      page: int = 0, n_pages: int = 1) -> Figure:
    """One row per id (default: the first :data:`CURVES_PER_PAGE`), one column per observable;
    the title says which ids of how many are shown."""
    all_ids = [f.id for f in res.reported]
    ids = list(all_ids[:CURVES_PER_PAGE] if ids is None else ids)
    obs_names = _observables(res, ids)
    fig = figure(fig, _curves_size(len(obs_names), len(ids)))
    w, h = fig.get_size_inches()
    # fixed margins (inches) instead of a layout engine: the panels have a fixed size, and
    # constrained layout cost most of the drawing time of a page
    fig.set_layout_engine("none")
    grid = panels(fig, len(ids), len(obs_names), gridspec_kw={
        "left": 0.85 / w, "right": 1 - 0.15 / w, "bottom": 0.5 / h, "top": 1 - 0.65 / h,
        "wspace": 0.35, "hspace": 0.3})
    rng = np.random.default_rng(seed)
    for r, sid in enumerate(ids):
        cv = _curves(res, res.subject_fit(sid), obs_names, rng, n_draws)
        for c, o in enumerate(obs_names):
            ax = _draw_curve(grid[r, c], cv, c, o)
            decorate(ax, title=o if r == 0 else None, ylabel=f"id {sid}" if c == 0 else None,
                     xlabel="day" if r == len(ids) - 1 else None, grid=False)
    grid[0, 0].legend(fontsize=7)
    fig.suptitle(page_title("fitted curves", ids, len(all_ids), page, n_pages), fontsize=10)
    return fig


def plot_residuals(res: FitResult, ax: Axes | None = None) -> Axes:
    """Standardised residuals (y - f)/sd(f) against the prediction, per observable, all ids."""
    ax = axes(ax)
    for k, (o, fitted, _, r) in enumerate(_residual_groups(res)):
        ok = fitted > 0
        ax.plot(fitted[ok], r[ok], "o", ms=3, color=f"C{k % 10}")
        _zeros_on_edge(ax, r[~ok], "x", f"{o}: prediction 0 ({int((~ok).sum())}, on the left "
                       "edge)", f"C{k % 10}")
    ax.axhline(0, color="k", lw=0.5)
    for y in (-1.96, 1.96):
        ax.axhline(y, color="k", lw=0.5, ls=":")
    ax.set_xscale("log")
    return decorate(ax, xlabel="prediction", ylabel="standardised residual", grid=False,
                    legend=bool(ax.get_legend_handles_labels()[1]) and {"fontsize": 7})


def plot_observed_vs_predicted(res: FitResult, ax: Axes | None = None) -> Axes:
    """Predicted against observed values (log-log), per observable, all ids."""
    ax = axes(ax)
    shown: list[np.ndarray] = []
    for k, (o, fitted, observed, _) in enumerate(_residual_groups(res)):
        ok = (observed > 0) & (fitted > 0)
        shown += [observed[ok], fitted[ok]]
        ax.plot(observed[ok], fitted[ok], "o", ms=3, color=f"C{k % 10}", label=o)
        zero_obs = (observed <= 0) & (fitted > 0)
        _zeros_on_edge(ax, fitted[zero_obs], "x", f"{o} observed 0 ({int(zero_obs.sum())}, "
                       "on the left edge)", f"C{k % 10}")
        zero_fit = (fitted <= 0) & (observed > 0)
        _zeros_on_edge(ax, observed[zero_fit], "y", f"{o} predicted 0 "
                       f"({int(zero_fit.sum())}, on the bottom edge)", f"C{k % 10}")
    both = np.concatenate(shown) if shown else np.zeros(0)
    if both.size:  # the identity line over the positive values (a log axis shows no others)
        lims = [float(both.min()), float(both.max())]
        ax.plot(lims, lims, "k-", lw=0.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    return decorate(ax, xlabel="observed", ylabel="predicted", legend={"fontsize": 7},
                    grid=False)


def _residual_groups(res: FitResult) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Per observable: (name, predictions, observations, standardised residuals), all ids."""
    assert res.data is not None, "the fit holds no data (loaded without its data file)"
    rows: dict[str, list[np.ndarray]] = {}
    for f in res.reported:
        s = res.data[f.id]
        errs = [res.settings.error_for(o) for o in s.observable]
        r = standardized_residuals(s.value, f.fitted, np.array([e.a for e in errs]),
                                   np.array([e.b for e in errs]))
        names = np.asarray(s.observable)
        for o in np.unique(names):
            m = names == o
            rows.setdefault(str(o), []).append(np.stack([f.fitted[m], s.value[m], r[m]]))
    return [(o, *np.concatenate(v, axis=1)) for o, v in sorted(rows.items())]


def residuals_figure(res: FitResult, fig: Figure | None = None) -> Figure:
    """``residuals.png``: standardised residuals and observed against predicted."""
    fig = figure(fig, RESIDUALS_SIZE)
    left, right = panels(fig, 1, 2)[0]
    plot_residuals(res, left)
    plot_observed_vs_predicted(res, right)
    fig.suptitle(f"residuals of all {len(res.reported)} ids", fontsize=10)
    return fig


def plot_profile(res: FitResult, key: str, ids: Sequence[str] | None = None,
                 ax: Axes | None = None) -> Axes:
    """Profile log-likelihood of ``key`` (relative to the maximum) of each id (default: the first
    :data:`PROFILES_PER_PAGE` with a profile); dotted: the interval threshold."""
    from scipy.stats import chi2

    ax = axes(ax)
    fits = {f.id: f for f in res.fits}
    ids = list(_profiled_ids(res)[:PROFILES_PER_PAGE] if ids is None else ids)
    thr = -float(chi2.ppf(res.settings.level, 1)) / 2.0
    for n, sid in enumerate(ids):
        f = fits[sid]
        if key in f.profiles:
            v, ll = f.profiles[key]
            ax.plot(v, np.array(ll) - f.loglik, "-", lw=1, color=f"C{n % 10}", label=f"id {sid}")
    ax.axhline(thr, color="k", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_ylim(thr * 3, 0.3)
    return decorate(ax, xlabel=key, ylabel="profile log-likelihood - max", grid=False)


def _profiled_ids(res: FitResult) -> list[str]:
    return [f.id for f in res.fits if f.profiles]


def profiles_figure(res: FitResult, ids: Sequence[str] | None = None, fig: Figure | None = None,
                    page: int = 0, n_pages: int = 1) -> Figure:
    """One panel per fitted key; the title says which ids of how many are shown."""
    every = _profiled_ids(res)
    ids = list(every[:PROFILES_PER_PAGE] if ids is None else ids)
    fig = figure(fig, _profiles_size(len(res.keys)))
    row = panels(fig, 1, len(res.keys))[0]
    for ax, k in zip(row, res.keys, strict=True):
        plot_profile(res, k, ids, ax)
    row[0].legend(fontsize=6, ncol=2)
    fig.suptitle(page_title("profile likelihoods", ids, len(every), page, n_pages), fontsize=10)
    return fig


def save_fit_figures(res: FitResult, folder: str | Path, n_draws: int = 100, seed: int = 0
                     ) -> list[str]:
    """Write ``fit_curves.png`` (then ``fit_curves_2.png``, ... until every id is shown),
    ``residuals.png`` and, when intervals were profiled, ``profiles.png`` (``profiles_2.png``,
    ...); returns the names. Needs the data (``res.data``)."""
    folder = Path(folder)
    if res.data is None:
        return []
    names = save_pages(
        "fit_curves", folder, [f.id for f in res.reported], CURVES_PER_PAGE,
        lambda ids, p, n, fig: fit_curves_figure(res, ids, fig, n_draws, seed, p, n),
        lambda k: _curves_size(len(_observables(res, [f.id for f in res.reported])), k))
    names.append(save(residuals_figure(res, detached(RESIDUALS_SIZE)), folder / "residuals.png"))
    if _profiled_ids(res):
        names += save_pages("profiles", folder, _profiled_ids(res), PROFILES_PER_PAGE,
                            lambda ids, p, n, fig: profiles_figure(res, ids, fig, p, n),
                            lambda k: _profiles_size(len(res.keys)))
    return names


def plot_prediction(ds: xr.Dataset, observable: str, ax: Axes | None = None,
                    legend: bool = True) -> Axes:
    """Median, band and point-estimate trajectory of one observable of a
    :func:`metacascade.predict` Dataset (log axis)."""
    ax = axes(ax)
    sel = ds.sel(observable=observable)
    t = ds["time_days"].values
    lower, upper = sel["lower"].values, sel["upper"].values
    med, est = sel["median"].values, sel["estimate"].values
    every = np.concatenate([lower, upper, med, est])
    pos = every[every > 0]
    label = f"{int(ds.attrs.get('level', 0.95) * 100)} % band"
    if pos.size == 0:  # nothing above 0: a log axis would show nothing at all
        ax.fill_between(t, lower, upper, alpha=0.25, lw=0, label=label)
        ax.plot(t, med, label="median")
        ax.plot(t, est, "--", label="point estimate")
    else:
        # 0 has no place on a log axis: lines leave out their zeros (a note counts the days),
        # a band whose lower end is 0 reaches down to the axis floor
        floor = float(pos.min()) / 10.0
        ax.fill_between(t, np.where(lower > 0, lower, floor), upper, where=upper > 0,
                        alpha=0.25, lw=0, label=label)
        ax.plot(t, np.where(med > 0, med, np.nan), label="median")
        ax.plot(t, np.where(est > 0, est, np.nan), "--", label="point estimate")
        ax.set_yscale("log")
        ax.set_ylim(bottom=floor)
        zero_days = int(np.sum((med <= 0) | (est <= 0)))
        notes = []
        if zero_days:
            notes.append(f"0 on {zero_days} day(s): not drawn (log axis)")
        if np.any((lower <= 0) & (upper > 0)):
            notes.append("band down to 0: drawn to the floor")
        if notes:
            ax.text(0.02, 0.02, "\n".join(notes), transform=ax.transAxes, fontsize=6,
                    va="bottom", ha="left", color="0.3")
    first_dead = ds.attrs.get("first_day_past_lethal_burden")
    if first_dead is not None:  # beyond the lethal burden the curves are not physical
        ax.axvspan(float(first_dead), float(t[-1]), color="0.85", zorder=0,
                   label="past the lethal burden")
    return decorate(ax, xlabel="day", title=observable, legend=legend and {"fontsize": 7},
                    grid=False)


def plot_prediction_band(ds: xr.Dataset, observable: str, ax: Axes | None = None) -> Axes:
    """The prediction band relative to the median (invisible on many decades otherwise)."""
    ax = axes(ax)
    sel = ds.sel(observable=observable)
    t = ds["time_days"].values
    med = sel["median"].values
    ok = med > 0
    ax.fill_between(t[ok], sel["lower"].values[ok] / med[ok], sel["upper"].values[ok] / med[ok],
                    alpha=0.25, lw=0)
    ax.axhline(1.0, color="C0", lw=1)
    return decorate(ax, xlabel="day", ylabel="band / median", grid=False)


def prediction_figure(ds: xr.Dataset, fig: Figure | None = None) -> Figure:
    """``prediction.png``: per observable the trajectories above, the relative band below."""
    obs = [str(o) for o in ds["observable"].values]
    fig = figure(fig, _prediction_size(len(obs)))
    grid = panels(fig, 2, len(obs), sharex=True, height_ratios=[2, 1])
    for j, o in enumerate(obs):
        plot_prediction(ds, o, grid[0, j], legend=j == 0).set_xlabel("")
        plot_prediction_band(ds, o, grid[1, j])
    fig.suptitle(_wrapped_title(_prediction_title(ds), fig.get_size_inches()[0], 9), fontsize=9)
    return fig


def _prediction_title(ds: xr.Dataset) -> str:
    """The title of ``prediction.png``: the id, whether its fit converged and the changes."""
    head = f"id {ds.attrs.get('id')}"
    if ds.attrs.get("fit_converged") is False:
        head += " (fit not converged: not an estimate)"
    changes = ", ".join(ds.attrs.get("overrides", []))
    return f"{head}: {changes}" if changes else head


def save_prediction_figures(ds: xr.Dataset, folder: str | Path) -> list[str]:
    """Write ``prediction.png``; returns its name."""
    folder = Path(folder)
    fig = detached(_prediction_size(int(ds.sizes.get("observable", 1))))
    return [save(prediction_figure(ds, fig), folder / "prediction.png")]
