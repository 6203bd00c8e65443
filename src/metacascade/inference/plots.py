"""Figures of a fit: data with fitted curves and prediction bands, residuals, profiles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import chi2  # noqa: E402

from metacascade.inference.fit import Objective  # noqa: E402
from metacascade.inference.likelihood import standardized_residuals  # noqa: E402

if TYPE_CHECKING:
    from metacascade.inference.api import FitResult

MAX_IDS = 6


def _objective(res: FitResult, sid: str) -> Objective:
    assert res.data is not None
    return Objective(res.scenario, res.data[sid], res.settings)


def plot_curves(res: FitResult, path: Path, n_draws: int = 100, seed: int = 0) -> None:
    """Per id (first ``MAX_IDS``), each observable over time: fitted curve, 95 % prediction band
    (parameter draws from the Wald covariance + residual error), and the data."""
    fits = res.reported[:MAX_IDS]
    obs_names = sorted({o for f in fits for o in _objective(res, f.id).subject.observable})
    fig, axes = plt.subplots(len(fits), len(obs_names), squeeze=False,
                             figsize=(3.6 * len(obs_names), 2.6 * len(fits)))
    rng = np.random.default_rng(seed)
    for r, f in enumerate(fits):
        obj = _objective(res, f.id)
        s = obj.subject
        theta = f.estimate[None, :]
        tdet = float(obj.predictor.diagnosis_day(theta)[0]) if s.at_diagnosis.any() else 0.0
        t_obs = np.where(s.at_diagnosis, tdet, s.time)
        tmax = max(float(np.max(t_obs)) * 1.05, 1.0)
        times = np.linspace(0.0, tmax, 80 if obj.compiled else 25)
        cov = f.cov_log if np.all(np.isfinite(f.cov_log)) else np.zeros_like(f.cov_log)
        nd = n_draws if type(obj.predictor).__name__ == "ExponentialPredictor" else 10
        draws = np.exp(rng.multivariate_normal(np.log(f.estimate), cov, size=nd, method="eigh"))
        best = obj.predictor.curves(theta, times, obs_names)[0]
        cur = obj.predictor.curves(draws, times, obs_names)
        for c, o in enumerate(obs_names):
            ax = axes[r, c]
            err = res.settings.error_for(o)
            noisy = cur[:, c] + np.sqrt(err.a ** 2 + (err.b * cur[:, c]) ** 2) * \
                rng.standard_normal(cur[:, c].shape)
            lo, hi = np.quantile(noisy, [0.025, 0.975], axis=0)
            ax.fill_between(times, np.maximum(lo, 1e-12), np.maximum(hi, 1e-12), alpha=0.25,
                            color="C0", lw=0, label="95 % prediction band")
            ax.plot(times, np.maximum(best[c], 1e-12), color="C0", label="fit")
            m = np.array([x == o for x in s.observable])
            ax.plot(t_obs[m], np.maximum(s.value[m], 1e-12), "o", color="C3", label="data")
            ax.set_yscale("log")
            pos = s.value[m][s.value[m] > 0]
            if pos.size:
                ax.set_ylim(bottom=max(1e-12, float(pos.min()) * 1e-4))
            if r == 0:
                ax.set_title(o, fontsize=9)
            if c == 0:
                ax.set_ylabel(f"id {f.id}")
            if r == len(fits) - 1:
                ax.set_xlabel("day")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_residuals(res: FitResult, path: Path) -> None:
    """Standardised residuals (y - f)/sd(f) against the prediction, per observable, all ids."""
    assert res.data is not None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for f in res.reported:
        s = res.data[f.id]
        errs = [res.settings.error_for(o) for o in s.observable]
        r = standardized_residuals(s.value, f.fitted, np.array([e.a for e in errs]),
                                   np.array([e.b for e in errs]))
        for j, o in enumerate(s.observable):
            k = sorted(set(s.observable)).index(o)
            axes[0].plot(max(f.fitted[j], 1e-12), r[j], "o", ms=3, color=f"C{k % 10}")
            axes[1].plot(max(s.value[j], 1e-12), max(f.fitted[j], 1e-12), "o", ms=3,
                         color=f"C{k % 10}")
    names = sorted({o for f in res.reported for o in res.data[f.id].observable})
    for k, o in enumerate(names):
        axes[1].plot([], [], "o", color=f"C{k % 10}", label=o)
    axes[0].axhline(0, color="k", lw=0.5)
    for y in (-1.96, 1.96):
        axes[0].axhline(y, color="k", lw=0.5, ls=":")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("prediction")
    axes[0].set_ylabel("standardised residual")
    lims = axes[1].get_xlim()
    axes[1].plot(lims, lims, "k-", lw=0.5)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("observed")
    axes[1].set_ylabel("predicted")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_profiles(res: FitResult, path: Path) -> None:
    """Profile log-likelihood (relative to the maximum) of each key, first ids."""
    keys = res.keys
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.4), squeeze=False)
    thr = -float(chi2.ppf(res.settings.level, 1)) / 2.0
    for j, k in enumerate(keys):
        ax = axes[0, j]
        for n, f in enumerate(res.fits[:12]):
            if k in f.profiles:
                v, ll = f.profiles[k]
                ax.plot(v, np.array(ll) - f.loglik, "-", lw=1, color=f"C{n % 10}",
                        label=f"id {f.id}")
        ax.axhline(thr, color="k", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set_ylim(thr * 3, 0.3)
        ax.set_xlabel(k)
        ax.set_ylabel("profile log-likelihood - max")
    axes[0, 0].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_fit_figures(res: FitResult, folder: Path) -> list[str]:
    names = ["fit_curves.png", "residuals.png"]
    plot_curves(res, folder / names[0])
    plot_residuals(res, folder / names[1])
    if any(f.profiles for f in res.fits):
        names.append("profiles.png")
        plot_profiles(res, folder / names[2])
    return names


def plot_prediction(ds: object, path: Path) -> None:
    """Median, band and point-estimate trajectories of a :func:`predict` Dataset."""
    import xarray as xr

    assert isinstance(ds, xr.Dataset)
    obs = [str(o) for o in ds["observable"].values]
    fig, axes = plt.subplots(2, len(obs), figsize=(4.2 * len(obs), 5.6), squeeze=False,
                             sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    t = ds["time_days"].values
    for j, o in enumerate(obs):
        ax = axes[0, j]
        sel = ds.sel(observable=o)
        med = sel["median"].values
        ax.fill_between(t, np.maximum(sel["lower"].values, 1e-12),
                        np.maximum(sel["upper"].values, 1e-12), alpha=0.25, lw=0,
                        label=f"{int(ds.attrs.get('level', 0.95) * 100)} % band")
        ax.plot(t, np.maximum(med, 1e-12), label="median")
        ax.plot(t, np.maximum(sel["estimate"].values, 1e-12), "--", label="point estimate")
        ax.set_yscale("log")
        ax.set_title(o, fontsize=9)
        first_dead = ds.attrs.get("first_day_past_lethal_burden")
        if first_dead is not None:  # beyond the lethal burden the curves are not physical
            ax.axvspan(float(first_dead), float(t[-1]), color="0.85", zorder=0,
                       label="past the lethal burden")
        # the band relative to the median (invisible on many decades otherwise)
        ok = med > 0
        rel = axes[1, j]
        rel.fill_between(t[ok], sel["lower"].values[ok] / med[ok],
                         sel["upper"].values[ok] / med[ok], alpha=0.25, lw=0)
        rel.axhline(1.0, color="C0", lw=1)
        rel.set_ylabel("band / median")
        rel.set_xlabel("day")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"id {ds.attrs.get('id')}: {', '.join(ds.attrs.get('overrides', [])) or ''}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
