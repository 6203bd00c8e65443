"""Fit the vicious-cycle bone model to mouse tumour-induced bone disease data (Johnson 2011).

The data are the group means and standard errors of Johnson et al. 2011 (as listed in its figures)
(and curated in ``SysBioCollab-UArk/TIBD_microenvironment``, ``DATA/TIBD_Johnson2011.csv``); the
raw per-mouse values are not available offline, so the fit uses these means. Three parameters are
fitted by weighted least squares (``scipy.optimize.least_squares``, residuals divided by the
standard errors) to the PBS + tumour arm: the tumour growth rate ``r_T``, the tumour PTHrP
production per cell and the bone turnover rate ``kappa``; the other parameters keep their
Lemaire 2004 values, the inoculum is 1e5 cells and eps_tgf = 1 (assumptions). The zoledronic-acid
arms are kept back as an independent check of treatment predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from metacascade.biology.bone import JOHNSON2011_INOCULUM_CELLS, LemaireParameters
from metacascade.engines.bone import Dose, integrate_vicious_cycle

Array = npt.NDArray[np.float64]

#: Johnson 2011, PBS + tumour arm: bone volume (% of day 0), mean and standard error.
JOHNSON2011_BONE_DAYS = np.array([0.0, 7.0, 14.0, 21.0, 28.0])
JOHNSON2011_BONE = np.array([100.0, 103.3, 96.0, 86.6, 75.9])
JOHNSON2011_BONE_SE = np.array([14.2, 17.7, 13.6, 13.6, 18.7])
#: Tumour burden relative to day 14 (days 14, 21, 28), mean and standard error.
JOHNSON2011_TUMOUR_DAYS = np.array([14.0, 21.0, 28.0])
JOHNSON2011_TUMOUR = np.array([1.0, 1.287, 3.965])
JOHNSON2011_TUMOUR_SE = np.array([0.329, 0.266, 0.756])
#: Zoledronic acid arms (held back): bone at day 28 with and without tumour, tumour at day 28.
JOHNSON2011_ZA_TUMOUR_BONE_D28 = 128.0
JOHNSON2011_ZA_NO_TUMOUR_BONE_D28 = 126.5
JOHNSON2011_ZA_TUMOUR_TUMOUR_D28 = 1.675

INOCULUM_CELLS = JOHNSON2011_INOCULUM_CELLS
FIT_NAMES = ("tumour_rate_per_day", "pthrp_per_cell", "bone_turnover_percent_per_day")


@dataclass
class TIBDFit:
    """Result of :func:`fit_johnson2011`."""

    values: dict[str, float]
    bone_model: Array
    tumour_model: Array
    bone_residuals_se: Array
    tumour_residuals_se: Array
    cost: float
    n_evaluations: int


def johnson2011_data() -> dict[str, Any]:
    """The tumour-induced bone disease measurements of Johnson et al. 2011 that S12 and the fit use.

    Group means and standard errors read from the paper's figures (mouse intratibial breast
    cancer; curated in SysBioCollab-UArk/TIBD_microenvironment).

    Returns
    -------
    dict
        ``bone_days`` (days), ``bone`` and ``bone_se`` (bone volume, percent of day 0) of the
        PBS + tumour arm; ``tumour_days`` (days), ``tumour`` and ``tumour_se`` (tumour burden
        relative to day 14, dimensionless); the held-back zoledronic-acid arms at day 28
        (``za_tumour_bone_d28``, ``za_no_tumour_bone_d28`` in percent, ``za_tumour_tumour_d28``
        relative to day 14); ``inoculum_cells`` (cells injected on day 0, an assumption).

    Examples
    --------
    >>> import metacascade as mc
    >>> float(mc.johnson2011_data()["bone"][-1])  # PBS + tumour, day 28
    75.9
    """
    return {"bone_days": JOHNSON2011_BONE_DAYS.copy(), "bone": JOHNSON2011_BONE.copy(),
            "bone_se": JOHNSON2011_BONE_SE.copy(), "tumour_days": JOHNSON2011_TUMOUR_DAYS.copy(),
            "tumour": JOHNSON2011_TUMOUR.copy(), "tumour_se": JOHNSON2011_TUMOUR_SE.copy(),
            "za_tumour_bone_d28": JOHNSON2011_ZA_TUMOUR_BONE_D28,
            "za_no_tumour_bone_d28": JOHNSON2011_ZA_NO_TUMOUR_BONE_D28,
            "za_tumour_tumour_d28": JOHNSON2011_ZA_TUMOUR_TUMOUR_D28,
            "inoculum_cells": INOCULUM_CELLS}


def tibd_parameters(r_t: float | None = None, s_pthrp: float | None = None,
                    kappa: float | None = None, **kw: Any) -> LemaireParameters:
    """The vicious-cycle parameters of tumour-induced bone disease (Lemaire et al. 2004; Johnson et al. 2011).

    Those of :meth:`~metacascade.biology.bone.LemaireParameters.johnson2011` (the stored fit,
    with eps_tgf = 1 and k_t = 1e9 cells; other values Lemaire 2004's), with the fitted values
    given here replacing the stored ones.

    Parameters
    ----------
    r_t : float, optional
        Tumour growth rate in bone (per day).
    s_pthrp : float, optional
        PTHrP production per tumour cell (pM per day per cell).
    kappa : float, optional
        Bone turnover rate (percent per day).
    **kw : float
        Any other field of the parameters (per day, pM or cells, as in ``LemaireParameters``).

    Returns
    -------
    LemaireParameters
        A frozen dataclass; ``dataclasses.replace`` changes one value (e.g. ``s_pthrp=0.0``).

    Examples
    --------
    >>> import metacascade as mc
    >>> p = mc.tibd_parameters()  # the stored Johnson 2011 fit
    >>> p.r_t
    0.0648
    """
    fitted = {"r_t": r_t, "s_pthrp": s_pthrp, "kappa": kappa}
    return LemaireParameters.johnson2011(**{k: v for k, v in fitted.items() if v is not None},
                                         **kw)


def simulate_tibd(params: LemaireParameters, doses: list[Dose] | None = None,
                  days: Array | None = None) -> tuple[Array, Array]:
    """Johnson 2011's experiment in the model: bone and tumour after an intratibial inoculum (Johnson et al. 2011).

    The vicious cycle (:func:`metacascade.integrate_vicious_cycle`) from the healthy state with
    the inoculum of 1e5 tumour cells on day 0.

    Parameters
    ----------
    params : LemaireParameters
        The model (:func:`metacascade.tibd_parameters`).
    doses : list of Dose, optional
        Drug doses (:class:`metacascade.Dose`; default none: the PBS arm).
    days : ndarray of float, optional
        Output days (default 0, 7, 14, 21, 28: the measurement days).

    Returns
    -------
    tuple of ndarray
        Bone (percent of day 0) and tumour (cells) at ``days``.

    Examples
    --------
    >>> import metacascade as mc
    >>> bone, tumour = mc.simulate_tibd(mc.tibd_parameters())
    >>> len(bone)
    5
    """
    t = JOHNSON2011_BONE_DAYS if days is None else days
    ds = integrate_vicious_cycle(params, t, tumour0=INOCULUM_CELLS, doses=doses or [])
    d = ds.isel(system=0)
    return d["bone_mass_percent"].values, d["bone_tumour_cells"].values


def _residuals(theta: Array) -> Array:
    r_t, s_p, kappa = np.exp(theta)
    bone, tum = simulate_tibd(tibd_parameters(r_t, s_p, kappa))
    rel = tum[2:] / tum[2]  # days 14, 21, 28 relative to day 14
    return np.concatenate([(bone[1:] - JOHNSON2011_BONE[1:]) / JOHNSON2011_BONE_SE[1:],
                           (rel[1:] - JOHNSON2011_TUMOUR[1:]) / JOHNSON2011_TUMOUR_SE[1:]])


def fit_johnson2011(start: tuple[float, float, float] = (0.1, 1e-3, 1.0)) -> TIBDFit:
    """Fit the vicious-cycle bone model to Johnson 2011's PBS + tumour arm (Johnson et al. 2011).

    Weighted least squares (scipy's ``least_squares``, residuals in standard errors, log
    parameters) of the tumour growth rate, the PTHrP production per cell and the bone turnover
    rate to the bone volume (days 7-28) and the tumour burden (days 21, 28 relative to day 14);
    the zoledronic-acid arms are held back.

    Parameters
    ----------
    start : tuple of float
        Starting values: r_T (per day), PTHrP per cell (pM per day per cell), kappa (percent
        per day).

    Returns
    -------
    TIBDFit
        ``values`` (``tumour_rate_per_day``, ``pthrp_per_cell``,
        ``bone_turnover_percent_per_day``), the model at the data days, the residuals in
        standard errors, the cost and the number of model evaluations.

    Examples
    --------
    >>> import metacascade as mc
    >>> fit = mc.fit_johnson2011()  # a few seconds
    >>> sorted(fit.values)
    ['bone_turnover_percent_per_day', 'pthrp_per_cell', 'tumour_rate_per_day']
    """
    sol = least_squares(_residuals, np.log(np.asarray(start, dtype=np.float64)),
                        x_scale=1.0, xtol=1e-8)
    r_t, s_p, kappa = np.exp(sol.x)
    bone, tum = simulate_tibd(tibd_parameters(r_t, s_p, kappa))
    res = _residuals(sol.x)
    return TIBDFit(values=dict(zip(FIT_NAMES, (float(r_t), float(s_p), float(kappa)),
                                   strict=True)),
                   bone_model=bone, tumour_model=tum[2:] / tum[2],
                   bone_residuals_se=res[:4], tumour_residuals_se=res[4:],
                   cost=float(sol.cost), n_evaluations=int(sol.nfev))
