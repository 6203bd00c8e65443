"""The injection experiment: follow every injected cell through the cascade (Fidler 1970; Luzzi
et al. 1998).

Each cell is a realisation of the continuous-time Markov chain of
:mod:`metacascade.biology.cascade`: circulating -> arrested in an organ -> extravasated -> dead,
solitary dormant cell, micrometastasis -> macrometastasis. The simulation is vectorised over cells:
for every cell it draws the time of each jump (exponential sojourns) and the next state
(competing risks), one array operation per step of the chain, never a loop over cells. The
occupancy of each state at the output times is then counted from the sorted entry and exit times.
Expected values of the same chain are exact (:func:`metacascade.biology.cascade.expected_fates`),
which the tests use as the reference.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.biology import cascade as cc
from metacascade.engines.checks import PROBABILITY, check_physical
from metacascade.options import check_int, check_number, check_seed
from metacascade.result.injection import InjectionResult
from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]

ROUTES = ("tail-vein", "portal-vein", "intracardiac")
FATE_COLUMNS = ["time_days", "circulating", "arrested", "extravasated", "dead", "dormant_single",
                "micrometastasis", "macrometastasis"]
#: Cells simulated at once (memory: about 100 bytes per cell).
CHUNK = 2_000_000
#: Output times always included (days): 5, 30 and 90 min, 6 and 12 h, then whole days.
FIXED_TIMES = (5.0 / 1440, 30.0 / 1440, 90.0 / 1440, 0.25, 0.5)


def output_times(days: float) -> Array:
    whole = np.arange(1.0, np.floor(days) + 1.0)
    t = np.concatenate([[0.0], [x for x in FIXED_TIMES if x < days], whole, [days]])
    return np.unique(t)


def _exp(rng: np.random.Generator, rate: Array) -> Array:
    """Exponential waiting times with the given rates (inf where the rate is 0)."""
    with np.errstate(divide="ignore"):
        return rng.standard_exponential(rate.shape) / rate


def simulate_cells(p: cc.CascadeParameters, route: str, n_cells: int,
                   seed: int | np.random.SeedSequence,
                   niche_factor: npt.ArrayLike = 1.0) -> dict[str, Array]:
    """Entry times (days; inf = never) of every cell into each state, its organ and stem flag."""
    if route not in ROUTES:
        raise ValueError(f"route {route!r} is not one of {', '.join(ROUTES)}")
    rng = np.random.default_rng(seed)
    n = int(n_cells)
    q = cc.arrest_distribution(p, route)
    r = cc.chain_rates(p, niche_factor)
    inf = np.full(n, np.inf)
    stem = rng.random(n) < p.stem_fraction
    # circulation: arrest (organ by q) or death
    k_a, k_d = p.arrest_rate, p.circulation_death_rate
    t1 = rng.standard_exponential(n) / (k_a + k_d)
    arrests = rng.random(n) < k_a / (k_a + k_d)
    cum = np.cumsum(q / q.sum()) if q.sum() > 0 else np.ones(len(q))
    organ = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(q) - 1)
    organ = np.where(arrests, organ, -1)
    t_arr = np.where(arrests, t1, inf)
    t_dead = np.where(arrests, inf, t1)
    # arrested: extravasation or intravascular death
    org = np.maximum(organ, 0)
    ke = r.extravasation[org]
    kda = r.intravascular_death[org]
    t2 = t_arr + _exp(rng, ke + kda)
    ext = arrests & (rng.random(n) * (ke + kda) < ke)
    t_ext = np.where(ext, t2, inf)
    t_dead = np.where(arrests & ~ext, t2, t_dead)
    # extravasated: death, dormancy or initiation (stem-like cells only)
    km = np.where(stem, r.initiation, 0.0)
    kq, kde = r.dormancy_entry, r.death_after_extravasation
    tot = km + kq + kde
    t3 = t_ext + _exp(rng, tot)
    u = rng.random(n) * tot
    to_m = ext & (u < km)
    to_q = ext & (u >= km) & (u < km + kq)
    t_dead = np.where(ext & ~to_m & ~to_q, t3, t_dead)
    t_dorm = np.where(to_q, t3, inf)
    t_micro = np.where(to_m, t3, inf)
    # dormant: escape (stem-like only) or death
    kesc = np.where(stem, r.dormancy_escape, 0.0)
    tot_q = kesc + r.dormant_death
    t4 = t_dorm + _exp(rng, tot_q)
    esc = to_q & (rng.random(n) * tot_q < kesc)
    t_micro = np.where(esc, t4, t_micro)
    t_dead = np.where(to_q & ~esc, t4, t_dead)
    # micrometastasis: progression or regression
    has_m = to_m | esc
    kb = r.progression[org]
    tot_m = kb + r.micro_death
    t5 = t_micro + rng.standard_exponential(n) / tot_m
    big = has_m & (rng.random(n) * tot_m < kb)
    t_macro = np.where(big, t5, inf)
    t_dead = np.where(has_m & ~big, t5, t_dead)
    return {"arrested": t_arr, "extravasated": t_ext, "dormant_single": t_dorm,
            "micrometastasis": t_micro, "macrometastasis": t_macro, "dead": t_dead,
            "organ": organ.astype(np.float64), "stem": stem.astype(np.float64)}


def _entered(t_entry: Array, times: Array, group: npt.NDArray[np.intp], n_groups: int) -> Array:
    """Cells of each group that have entered a state by each time (entry <= t): (G, T).

    One binary search of every entry time among the few output times and one ``bincount``:
    O(n log T), no sort of the cells."""
    n_t = times.shape[0]
    b = np.searchsorted(times, t_entry, side="left")  # entry <= times[i]  <=>  b <= i
    counts = np.bincount(group * (n_t + 1) + b, minlength=n_groups * (n_t + 1))
    return np.cumsum(counts.reshape(n_groups, n_t + 1)[:, :n_t], axis=1).astype(np.float64)


def occupancy(cells: dict[str, Array], times: Array, by_organ: bool = False,
              n_organs: int | None = None) -> dict[str, Array]:
    """Cells in each state at ``times``: entered minus left (each state is visited at most once).

    Arrays of shape (T,), or (O + 1, T) with ``by_organ`` (row O: cells that never arrested;
    O = ``n_organs``, by default the largest organ index present + 1)."""
    t_arr, t_ext = cells["arrested"], cells["extravasated"]
    t_q, t_m = cells["dormant_single"], cells["micrometastasis"]
    t_big, t_dead = cells["macrometastasis"], cells["dead"]
    organ = cells["organ"].astype(np.intp)
    if by_organ:
        n_groups = (int(organ.max(initial=-1)) + 1 if n_organs is None else n_organs) + 1
        group = np.where(organ < 0, n_groups - 1, organ)
    else:
        n_groups, group = 1, np.zeros(organ.shape[0], dtype=np.intp)
    fin = np.isfinite
    exit_arr = np.where(fin(t_arr), np.minimum(t_ext, t_dead), np.inf)
    exit_ext = np.where(fin(t_ext), np.minimum.reduce([t_q, t_m, t_dead]), np.inf)
    exit_q = np.where(fin(t_q), np.minimum(t_m, t_dead), np.inf)
    exit_m = np.where(fin(t_m), np.minimum(t_big, t_dead), np.inf)
    left_circ = np.minimum(t_arr, t_dead)
    size = np.bincount(group, minlength=n_groups).astype(np.float64)[:, None]

    def ent(x: Array) -> Array:
        return _entered(x, times, group, n_groups)

    out = {
        "circulating": size - ent(left_circ),
        "arrested": ent(t_arr) - ent(exit_arr),
        "extravasated": ent(t_ext) - ent(exit_ext),
        "dead": ent(t_dead),
        "dormant_single": ent(t_q) - ent(exit_q),
        "micrometastasis": ent(t_m) - ent(exit_m),
        "macrometastasis": ent(t_big),
    }
    return out if by_organ else {k: v[0] for k, v in out.items()}


def inject(
    n_cells: int,
    route: str,
    days: float,
    seed: int = 0,
    params: cc.CascadeParameters | None = None,
    times: npt.ArrayLike | None = None,
    niche_factor: npt.ArrayLike = 1.0,
    scenario: Scenario | None = None,
) -> InjectionResult:
    """Inject ``n_cells`` cells by ``route`` and follow them for ``days`` days.

    Returns the fraction of the injected cells in each (mutually exclusive) state at the output
    times (``fates``, columns :data:`FATE_COLUMNS`), the alive cells per organ and stage
    (``by_organ``), and a summary with ``overall_efficiency`` (macroscopic tumours per injected
    cell at the end) and the exact expected values of the same chain for comparison.

    Parameters
    ----------
    n_cells : int
        Number of injected cells (1 to 1e8).
    route : str
        ``"tail-vein"``, ``"portal-vein"`` or ``"intracardiac"``.
    days : float
        Days to follow the cells (at most 3650).
    seed : int
        Seed of the random number generator (chunks of cells draw from its spawned children).
    params : CascadeParameters, optional
        Probabilities and rates (per day) of the cascade steps (default the cascade defaults;
        :meth:`Scenario.cascade_parameters` gives a scenario's).
    times : array of float, optional
        Output days (default a grid over ``days``).
    niche_factor : float or array of float
        Multiplier (dimensionless) of colonisation per organ by a prepared niche.
    scenario : Scenario, optional
        The scenario ``params`` were taken from, recorded in the result's provenance.

    Returns
    -------
    InjectionResult
        Fates over time, alive cells per organ and stage, and the summary.

    Raises
    ------
    ScenarioError
        A number of cells, days or seed out of range.
    ValueError
        An unknown ``route``.

    Examples
    --------
    >>> import metacascade as mc
    >>> r = mc.inject(1000, "tail-vein", 30.0, seed=1)
    >>> r.fates.columns[:3].tolist()
    ['time_days', 'circulating', 'arrested']
    """
    n_cells = check_int("cells", n_cells, 1, 100_000_000)
    days = check_number("days", days, gt=0, le=3650)
    seed = check_seed(seed)
    p = params if params is not None else cc.CascadeParameters()
    t = output_times(days) if times is None else np.unique(np.asarray(times, dtype=np.float64))
    # chunks of CHUNK cells bound the memory; chunk i draws from the i-th child of the seed
    n_org = len(p.organs)
    occ_o: dict[str, Array] = {}
    children = np.random.SeedSequence(seed).spawn(-(-int(n_cells) // CHUNK))
    for i, child in enumerate(children):
        size = min(CHUNK, int(n_cells) - i * CHUNK)
        cells = simulate_cells(p, route, size, child, niche_factor)
        part = occupancy(cells, t, by_organ=True, n_organs=n_org)
        occ_o = part if not occ_o else {k: occ_o[k] + v for k, v in part.items()}
    occ = {k: v.sum(axis=0) for k, v in occ_o.items()}
    fates = pd.DataFrame({"time_days": t, **{k: occ[k] / n_cells for k in FATE_COLUMNS[1:]}})
    rows = []
    for k, name in enumerate(p.organs):
        if k >= occ_o["arrested"].shape[0] - 1:
            break
        for i, ti in enumerate(t):
            rows.append({"time_days": ti, "organ": name,
                         **{s: occ_o[s][k, i] / n_cells for s in cc.STAGES}})
    by_organ = pd.DataFrame(rows, columns=["time_days", "organ", *cc.STAGES])
    exact = cc.expected_fates(p, route, t, niche_factor)
    final = fates.iloc[-1]
    summary: dict[str, Any] = {
        "route": route,
        "cells": int(n_cells),
        "days": float(days),
        "seed": int(seed),
        "overall_efficiency": float(final["macrometastasis"]),
        "overall_efficiency_expected": float(exact["macrometastasis"][-1]),
        "eventual_efficiency_expected": cc.efficiency(p, route, niche_factor),
        "final_fractions": {k: float(final[k]) for k in FATE_COLUMNS[1:]},
        "expected_final_fractions": {k: float(exact[k][-1]) for k in FATE_COLUMNS[1:]},
        "parameters": parameters_dict(p),
    }
    fractions = {c: PROBABILITY for c in (*FATE_COLUMNS[1:], *cc.STAGES)}
    check_physical(fates, f"injection engine ({route})", "cascade.* and organs.* parameters",
                   rules=fractions)
    check_physical(by_organ, f"injection engine ({route})", "cascade.* and organs.* parameters",
                   rules=fractions)
    return InjectionResult(fates=fates, by_organ=by_organ, summary=summary, scenario=scenario)


def parameters_dict(p: cc.CascadeParameters) -> dict[str, Any]:
    d = asdict(p)
    d["organs"] = {k: asdict(v) for k, v in p.organs.items()}
    return d
