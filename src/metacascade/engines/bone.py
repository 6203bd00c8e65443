"""The bone engine: a representative bone lesion (bone remodelling + tumour + drugs) over time.

Integrates the models of :mod:`metacascade.biology.bone` for a batch of parameter sets with one
``scipy.integrate.solve_ivp`` call per batch (a right-hand side vectorised over the batch;
benchmarks/README.md), piecewise between dose times (the drug levels jump at each dose, so dose times
are segment boundaries shared by the batch and the integrator never steps over a jump).

Drugs (``treatment.events``; ``dose`` is a dimensionless effect level ``c`` added at each dose,
which then decays with the drug's half-life, ``c(t) = sum_i dose_i 2^(-(t - t_i)/t_half)``):

=================  ====================================================  =====================
drug               effect (see biology.bone)                             effect half-life
=================  ====================================================  =====================
denosumab          free RANKL / (1 + c)                                  26 days (Prolia label,
                                                                         mean 25.4 d)
opg_fc             OPG + c x healthy OPG                                 5 days (assumption)
zoledronic_acid,   osteoclast removal x (1 + c)                          365 days (assumption:
bisphosphonate                                                           bone-bound drug)
proteasome_        Komarova/Ayati only: beta2 - v1 c, gammaT - v2 c      none: constant from the
inhibitor          (Ayati 2010, BIOMD0000000403)                         dose on (as the SBML)
=================  ====================================================  =====================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr
from scipy import sparse
from scipy.integrate import solve_ivp

from metacascade.biology import dosing
from metacascade.biology.bone import (
    DRUGS,
    LemaireParameters,
    PowerLawBoneParameters,
    ayati_rhs,
    lemaire_algebra,
    lemaire_healthy_state,
    lemaire_rhs,
)
from metacascade.biology.dosing import Dose
from metacascade.engines.checks import NON_NEGATIVE, check_physical
from metacascade.errors import ScenarioError, shown
from metacascade.scenario import resolve

Array = npt.NDArray[np.float64]
_solve_ivp: Any = solve_ivp  # the stubs' overloads do not cover a str method + **kwargs

#: Half-life (days) of each drug's effect level.
HALF_LIFE_DAYS: dict[str, float] = {
    "denosumab": 26.0,
    "opg_fc": 5.0,
    "zoledronic_acid": 365.0,
    "bisphosphonate": 365.0,
    "proteasome_inhibitor": float("inf"),  # BIOMD0000000403: constant from the start day
}


def expand_events(events: Sequence[Any], duration: float) -> list[Dose]:
    """Doses from treatment events (objects with drug, start_day, dose, interval_days, n_doses;
    :func:`metacascade.biology.dosing.doses`) up to ``duration``.

    Raises :class:`ScenarioError` naming the event for an unknown drug.
    """
    for i, ev in enumerate(events):
        if ev.drug not in DRUGS:
            raise ScenarioError(
                f"treatment.events[{i}].drug = {shown(ev.drug)}: unknown drug for the bone model; "
                f"allowed: {', '.join(sorted(DRUGS))}")
    return dosing.doses(events, duration)


def drug_levels(doses: Sequence[Dose], t: float) -> dict[str, float]:
    """Effect level of each drug at time ``t`` (doses given at or before ``t``)."""
    out: dict[str, float] = {}
    for d in doses:
        if d.day <= t:
            out[d.drug] = out.get(d.drug, 0.0) + d.level * 2.0 ** (
                -(t - d.day) / HALF_LIFE_DAYS[d.drug])
    return out


def _segments(t_eval: Array, doses: Sequence[Dose]) -> list[float]:
    t0, t1 = float(t_eval[0]), float(t_eval[-1])
    cuts = sorted({d.day for d in doses if t0 < d.day < t1})
    return [t0, *cuts, t1]


def block_sparsity(n_states: int, n: int) -> sparse.csr_matrix:
    """Jacobian sparsity of ``n`` independent systems stored as ``(n_states, n)`` rows."""
    rows = []
    cols = []
    for i in range(n_states):
        for k in range(n_states):
            rows.append(i * n + np.arange(n))
            cols.append(k * n + np.arange(n))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    return sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(n_states * n, n_states * n))


def _integrate(rhs: Any, y0: Array, t_eval: Array, doses: Sequence[Dose], args: tuple[Any, ...],
               rtol: float, atol: float | Array, method: str,
               sparsity: Any = None) -> Array:
    """Integrate ``rhs(t, y, *args, drugs)`` piecewise between dose times; returns (n_y, n_t)."""
    n_y = y0.size
    out = np.empty((n_y, t_eval.size))
    bounds = _segments(t_eval, doses)
    y = y0.astype(np.float64).copy()
    filled = 0
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        last = b == bounds[-1]
        mask = (t_eval >= a) & ((t_eval <= b) if last else (t_eval < b))
        if mask.sum() == 0 and a == b:
            continue

        def f(t: float, yy: Array) -> Array:
            return np.asarray(rhs(t, yy, *args, drug_levels(doses, t)))

        te = np.unique(np.append(t_eval[mask], b))
        extra: dict[str, Any] = {"jac_sparsity": sparsity} if sparsity is not None else {}
        sol = _solve_ivp(f, (a, b), y, method=method, t_eval=te, rtol=rtol, atol=atol, **extra)
        if not sol.success:
            raise RuntimeError(f"bone integration failed on [{a:g}, {b:g}] days: {sol.message}")
        keep = np.isin(te, t_eval[mask])
        out[:, mask] = sol.y[:, keep]
        filled += int(mask.sum())
        y = sol.y[:, -1]
    assert filled == t_eval.size
    return out


def _size(params: Any) -> int:
    return max(int(np.size(getattr(params, f.name))) for f in fields(params))


def _as_batch(params: Any, n: int) -> Any:
    return replace(params, **{f.name: np.broadcast_to(np.asarray(getattr(params, f.name),
                                                                 dtype=np.float64), (n,)).copy()
                              for f in fields(params)})


def _slice(params: Any, sl: slice) -> Any:
    return replace(params, **{f.name: np.asarray(getattr(params, f.name))[sl]
                              for f in fields(params)})


def _chunked(func: Any, params: Any, n: int, chunk_size: int, per_system: dict[str, Any],
             kw: dict[str, Any]) -> xr.Dataset:
    """Integrate ``n`` systems in chunks of ``chunk_size`` (systems in a batch share step-size
    control, so one hard system slows its whole chunk; benchmarks/README.md)."""
    p = _as_batch(params, n)
    arrays = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
              for k, v in per_system.items()}
    parts = []
    for start in range(0, n, chunk_size):
        sl = slice(start, min(start + chunk_size, n))
        parts.append(func(_slice(p, sl), **{k: v[sl] for k, v in arrays.items()}, **kw,
                          chunk_size=chunk_size))
    out = xr.concat(parts, dim="system")
    return out.assign_coords(system=np.arange(n))


def integrate_power_law(params: PowerLawBoneParameters, t_eval: Array, *,
                        osteoclasts0: float | Array, osteoblasts0: float | Array,
                        bone0: float | Array = 100.0, tumour0: float | Array = 0.0,
                        doses: Sequence[Dose] = (), switch_eps: float = 0.0,
                        rtol: float = 1e-8, atol: float = 1e-10,
                        method: str = "RK45", chunk_size: int = 2000) -> xr.Dataset:
    """Komarova 2003 / Ayati 2010 for a batch of parameter sets: Dataset (system, time_days).

    Cells are integrated as logarithms (positivity); ``switch_eps`` > 0 smooths the bone-mass
    switch (error at most (k1 + k2) eps / 2 % per day). Batches larger than ``chunk_size`` are
    integrated chunk by chunk (one vectorised solve_ivp call per chunk).
    """
    n = max(_size(params), *(np.size(v) for v in (osteoclasts0, osteoblasts0, bone0, tumour0)))
    if n > chunk_size:
        return _chunked(integrate_power_law, params, n, chunk_size,
                        dict(osteoclasts0=osteoclasts0, osteoblasts0=osteoblasts0, bone0=bone0,
                             tumour0=tumour0),
                        dict(t_eval=t_eval, doses=doses, switch_eps=switch_eps, rtol=rtol,
                             atol=atol, method=method))
    p = _as_batch(params, n)
    bars = tuple(np.asarray(b, dtype=np.float64) for b in p.steady_state())
    y0 = np.stack([np.log(np.broadcast_to(osteoclasts0, (n,))),
                   np.log(np.broadcast_to(osteoblasts0, (n,))),
                   np.broadcast_to(bone0, (n,)).astype(np.float64),
                   np.broadcast_to(tumour0, (n,)).astype(np.float64)]).reshape(-1)

    def rhs(t: float, yy: Array, pp: PowerLawBoneParameters, bb: tuple[Array, Array],
            dr: dict[str, float]) -> Array:
        return ayati_rhs(t, yy, pp, bb, dr, switch_eps)

    y = _integrate(rhs, y0, np.asarray(t_eval, dtype=np.float64), doses, (p, bars), rtol, atol,
                   method)
    y = y.reshape(4, n, -1)
    dims = ("system", "time_days")
    return xr.Dataset(
        {
            "osteoclasts": (dims, np.exp(y[0]), {"units": "cells", "long_name": "osteoclasts"}),
            "osteoblasts": (dims, np.exp(y[1]), {"units": "cells", "long_name": "osteoblasts"}),
            "bone_mass_percent": (dims, y[2], {"units": "%", "long_name": "bone mass"}),
            "bone_tumour_cells": (dims, y[3], {
                "units": "tumour units of Ayati 2010 (% of the capacity LT)",
                "long_name": "tumour in the bone lesion"}),
        },
        coords={"system": np.arange(n), "time_days": ("time_days", np.asarray(t_eval),
                                                      {"units": "day"})},
    )


def integrate_vicious_cycle(params: LemaireParameters, t_eval: Array, *,
                            tumour0: float | Array, bone0: float | Array = 100.0,
                            doses: Sequence[Dose] = (), rtol: float = 1e-7,
                            atol: float | None = None, method: str | None = None,
                            chunk_size: int = 2000) -> xr.Dataset:
    """The bone vicious cycle: Lemaire 2004 bone remodelling with a tumour (Lemaire et al. 2004).

    Starts from the healthy steady state of each parameter set with ``tumour0`` cells. The system
    is mildly stiff: by default one system uses LSODA and a batch uses BDF with the block-diagonal
    Jacobian sparsity of the batch (benchmarks/README.md, "the stiff path").

    Parameters
    ----------
    params : LemaireParameters
        The model (:func:`metacascade.tibd_parameters`); array fields make a batch of systems.
    t_eval : ndarray of float
        Output days (increasing, from day 0).
    tumour0 : float or ndarray of float
        Tumour cells on day 0 (per system).
    bone0 : float or ndarray of float
        Bone mass on day 0 (percent of healthy).
    doses : sequence of Dose
        Drug doses (:class:`metacascade.Dose`: drug, day, dimensionless effect level).
    rtol : float
        Relative tolerance (dimensionless) of scipy's ``solve_ivp``.
    atol : float, optional
        Absolute tolerance (pM, percent or cells, as each state; default scaled to the healthy
        state).
    method : str, optional
        The ``solve_ivp`` method (default LSODA for one system, BDF for a batch).
    chunk_size : int
        Number (count) of systems integrated together (larger batches run in chunks).

    Returns
    -------
    xarray.Dataset
        Dims (system, time_days): ``bone_mass_percent``, ``bone_tumour_cells``, ``osteoclasts``,
        ``osteoblasts`` (active cells, pM) and the other states.

    Examples
    --------
    >>> import numpy as np
    >>> import metacascade as mc
    >>> ds = mc.integrate_vicious_cycle(mc.tibd_parameters(), np.linspace(0, 28, 5),
    ...                                 tumour0=1e5)
    >>> float(ds["bone_mass_percent"].isel(system=0, time_days=0))
    100.0
    """
    n = max(_size(params), int(np.size(tumour0)), int(np.size(bone0)))
    if n > chunk_size:
        return _chunked(integrate_vicious_cycle, params, n, chunk_size,
                        dict(tumour0=tumour0, bone0=bone0),
                        dict(t_eval=t_eval, doses=doses, rtol=rtol, atol=atol, method=method))
    p = _as_batch(params, n)
    healthy = lemaire_healthy_state(p)
    t0 = np.broadcast_to(np.asarray(tumour0, dtype=np.float64), (n,))
    y0 = np.stack([healthy["R"], healthy["B"], healthy["C"],
                   np.broadcast_to(np.asarray(bone0, dtype=np.float64), (n,)), t0])
    if atol is None:
        scale = np.concatenate([healthy["R"], healthy["B"], healthy["C"], np.full(n, 100.0),
                                np.maximum(t0, 1.0)])
        atol_arr: float | Array = 1e-2 * rtol * scale
    else:
        atol_arr = atol
    t_eval = np.asarray(t_eval, dtype=np.float64)
    if method is None:
        method = "LSODA" if n == 1 else "BDF"
    y = _integrate(lemaire_rhs, y0.reshape(-1), t_eval, doses, (p, healthy), rtol, atol_arr,
                   method, block_sparsity(5, n) if method in ("BDF", "Radau") else None
                   ).reshape(5, n, -1)
    r, b, c, z, tum = y
    # molecular levels along the solution (drug levels per output time)
    rankl = np.empty_like(b)
    opg = np.empty_like(b)
    pcol = _as_batch(p, n)
    for j, t in enumerate(t_eval):
        alg = lemaire_algebra(pcol, r[:, j], b[:, j], c[:, j], np.maximum(tum[:, j], 0.0),
                              drug_levels(doses, float(t)), healthy["opg"])
        rankl[:, j] = alg["rankl"]
        opg[:, j] = alg["opg"]
    dims = ("system", "time_days")
    return xr.Dataset(
        {
            "osteoclasts": (dims, c, {"units": "pM", "long_name": "active osteoclasts"}),
            "osteoblasts": (dims, b, {"units": "pM", "long_name": "active osteoblasts"}),
            "responding_osteoblasts": (dims, r, {"units": "pM",
                                                 "long_name": "responding osteoblasts"}),
            "bone_mass_percent": (dims, z, {"units": "%", "long_name": "bone volume"}),
            "bone_tumour_cells": (dims, tum, {"units": "cells",
                                              "long_name": "tumour cells in the bone lesion"}),
            "rankl": (dims, rankl, {"units": "pM", "long_name": "free RANKL"}),
            "opg": (dims, opg, {"units": "pM", "long_name": "OPG"}),
            "tgf_beta": (dims, c / healthy["C"][:, None], {
                "units": "1 (relative to the healthy steady state)",
                "long_name": "released TGF-beta"}),
        },
        coords={"system": np.arange(n), "time_days": ("time_days", t_eval, {"units": "day"})},
    )


# ------------------------------------------------------------------------------------------
# Scenario -> Dataset


def simulate_bone(scenario: Any, times: Array | None = None) -> xr.Dataset:
    """The representative bone lesion of ``scenario`` (its ``bone`` section and drug events).

    Returns a Dataset over ``time_days`` (the simulation's output grid unless ``times`` is given)
    with osteoclasts, osteoblasts, bone_mass_percent and, for a tumour, bone_tumour_cells (plus
    rankl, opg, tgf_beta for the vicious-cycle model).

    Parameters
    ----------
    scenario : Scenario
        A scenario with a ``[bone]`` section (Komarova 2003, Ayati 2010 or the vicious cycle)
        and, optionally, drug events in ``treatment`` (days, doses).
    times : array of float, optional
        Output days (default the simulation's grid: 0 to ``duration_days`` every
        ``output_step_days``).

    Returns
    -------
    xarray.Dataset
        Cell counts (osteoclasts, osteoblasts, tumour cells in the lesion) and bone mass (percent
        of its initial value) over ``time_days``.

    Raises
    ------
    ScenarioError
        The scenario has no ``[bone]`` section.

    Examples
    --------
    >>> import metacascade as mc
    >>> ds = mc.simulate_bone(mc.load_scenario("komarova-cycle"))
    >>> sorted(ds.data_vars)
    ['bone_mass_percent', 'osteoblasts', 'osteoclasts']
    """
    bone = scenario.bone
    if bone is None:
        raise ScenarioError("the scenario has no [bone] section")
    sim = scenario.simulation
    if times is None:
        n = int(round(sim.duration_days / sim.output_step_days))
        times = np.linspace(0.0, n * sim.output_step_days, n + 1)
    times = np.asarray(times, dtype=np.float64)
    doses = expand_events(scenario.treatment.events, float(times[-1]))
    if bone.model in ("komarova", "ayati"):
        pl = bone.power_law
        ds = integrate_power_law(resolve.power_law_bone(pl), times,
                                 osteoclasts0=pl.osteoclasts_initial,
                                 osteoblasts0=pl.osteoblasts_initial,
                                 bone0=bone.bone_mass_initial_percent, tumour0=pl.tumour_initial,
                                 doses=doses, switch_eps=pl.switch_eps, rtol=bone.rtol,
                                 atol=bone.rtol * 1e-2)
        if pl.tumour_initial == 0:
            ds = ds.drop_vars("bone_tumour_cells")
        ds.attrs["bone_model"] = ("Komarova et al. 2003 (BIOMD0000000148)" if bone.model ==
                                  "komarova" else "Ayati et al. 2010 (BIOMD0000000402)")
    else:
        if any(d.drug == "proteasome_inhibitor" for d in doses):
            raise ScenarioError("treatment.events: drug 'proteasome_inhibitor' (Ayati 2010) acts "
                                "only in the bone models 'komarova' and 'ayati', not in "
                                "bone.model = 'vicious_cycle'")
        vc = bone.vicious_cycle
        ds = integrate_vicious_cycle(resolve.vicious_cycle_bone(vc), times,
                                     tumour0=vc.tumour_initial_cells,
                                     bone0=bone.bone_mass_initial_percent, doses=doses,
                                     rtol=max(bone.rtol, 1e-10))
        if vc.tumour_initial_cells == 0:
            ds = ds.drop_vars("bone_tumour_cells")
        ds.attrs["bone_model"] = "Lemaire et al. 2004 RANKL/OPG + tumour (vicious cycle)"
    out = ds.isel(system=0, drop=True)
    out.attrs["bone_doses"] = len(doses)
    # every state is a cell count, a bone-mass percentage or a concentration: non-negative
    check_physical(out, f"bone engine ({bone.model})", "the bone.* parameters and treatment.events",
                   rules={str(name): NON_NEGATIVE for name in out.data_vars})
    return out


def bone_summary(ds: xr.Dataset) -> dict[str, float]:
    """Key numbers of a bone time series: bone-mass minimum and final values."""
    z = ds["bone_mass_percent"].values
    t = ds["time_days"].values
    i = int(np.argmin(z))
    out = {"bone_mass_min_percent": float(z[i]), "bone_mass_min_day": float(t[i]),
           "bone_mass_final_percent": float(z[-1])}
    if "bone_tumour_cells" in ds:
        out["bone_tumour_cells_final"] = float(ds["bone_tumour_cells"].values[-1])
    return out
