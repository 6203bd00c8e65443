"""Mutations, genealogies and the fast primary-metastasis pair simulator of the cell scale.

Mutations (docs/cellscale.md). Neutral infinite-sites mutations: each daughter cell gets
Poisson(mu) new mutations (``mutation.rate_per_division``); a daughter with at least one starts a
new clone, so every clone is a node of the clone tree carrying its own new mutations, and a
mutation's cancer-cell fraction (CCF) in a site is the share of the site's cells in its clone's
subtree (:meth:`CellScalePatient.ccf`). Clones are recorded while the tumour is below
``track_mutations_below_cells`` (N_cut); a mutation born at size n has expected CCF 1/n (2/(beta n)
along a sampled lineage, docs/cellscale.md), so later mutations stay below any detection threshold.
Along a metastasis founder's lineage the mutations after N_cut are drawn analytically: the lineage
of a random cell divides at rate 2b (so int 2b dt divisions, = (2/beta) ln(N_s/N_cut) for
exponential growth; docs/cellscale.md), each giving Poisson(mu) mutations; they are clonal in the
metastasis and at CCF ~ 0 in the primary.

Genealogies (:func:`genealogy`). The sampled cells' genealogy is a structured coalescent on the
recorded clone tree, conditioned on the simulated trajectories: within clone c, lineages coalesce in
pairs at rate 2 b(t) f_c / n_c(t) (the birth-death coalescent; Kingman 1982, with the
time change of a growing population, e.g. Griffiths & Tavare 1994), with n_c(t) = max(1, F_c N(t))
(F_c: the clone's subtree fraction at sampling; N(t): its site's simulated size; exact for frozen
fractions, an approximation while clones are small); at the clone's birth every lineage left in it
merges into the founding cell, which joins the parent clone. The topology above clones is therefore
exact and each clone's mutations sit on the branch above its founding cell. The result is a
``tskit.TreeSequence`` (Kelleher et al. 2016, 2018; one locus, sites = mutations).
msprime is GPL and is not used.

Pairs (:func:`simulate_pairs`) grow a primary from one cell to ``final_cells`` with constant rates
b = 1, d = 1 - beta, seed one metastasis by a random cell (or cluster) when the primary reaches
``seeding_cells``, and grow the metastasis to ``final_cells``: the design of SCIMET's simulations
(Hu et al. 2019) without space, for ABC over (mu, N_s). Each tumour is exact
(Gillespie, every mutation recorded) below the tracking cut, then leaps at the exact
birth-death transition law of every clone (Kendall 1948). SCIMET's selection models ('S' for the
primary and/or the metastasis) add drivers at 1e-5 per daughter whose birth rate is multiplied by
:func:`scimet_driver_fitness` (SCIMET's s = 0.1 in its discrete generations gives the
advantageous lineage the growth exponent 2 against the tumour; here 1.3 at beta = 0.3); above the
cut, driver clones are born by fitness class from the clones' expected sizes and carry their
founding cell's passengers (:func:`_leap_selected`). Checked against the fully exact process in
``tests/test_pair_selection.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import tskit

from metacascade.engines import _branching as br
from metacascade.engines.stochastic import CellScalePatient
from metacascade.errors import ScenarioError

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Selection settings of SCIMET's 'S' models (Hu et al. 2019, SCIMET): advantageous mutations at
#: 1e-5 per daughter cell raise the division probability p = 0.55 of a generation by (1 + s),
#: s = 0.1 (``adv_prob``, ``scoef``, ``p_prob`` in ``TumorMetTiming_abc_*.py``).
SCIMET_DRIVER_RATE = 1e-5
SCIMET_SELECTION_COEFFICIENT = 0.1
SCIMET_DIVISION_PROBABILITY = 0.55
#: Drivers arising once a tumour holds this many cells are not simulated. With SCIMET's
#: selection (fitness 1.3 at beta = 0.3, :func:`scimet_driver_fitness`) a driver clone born at
#: n cells holds about W N / n^2 of the tumour when it has N cells (W ~ Exp(mean 1/beta') if it
#: survives, beta' = 0.46): at most ~1e-5 W of a 1e9-cell tumour for n = 1e7, far below
#: detection. Such clones arise in every clone in proportion to its size, so together (about
#: 2 p N / (beta n) = 0.7 % of the cells) they leave the clones' shares, hence the CCFs, as they
#: are.
DRIVERS_BELOW_CELLS = 1e7


def scimet_driver_fitness(beta: float, s: float = SCIMET_SELECTION_COEFFICIENT,
                          p: float = SCIMET_DIVISION_PROBABILITY) -> float:
    """Birth-rate multiplier of a driver that reproduces SCIMET's selection in this model.

    In SCIMET's generations (Hu et al. 2019) a neutral cell divides with probability p and an
    advantageous one with p (1 + s), so the advantageous lineage grows as the tumour to the power
    ln(2p(1+s)) / ln(2p) (= 2 for p = 0.55, s = 0.1, since 1.21 = 1.1^2). Here a clone of birth
    rate f b against the tumour's b - d grows as the tumour to the power (f b - d)/(b - d); equal
    powers give f = 1 + beta (ln(2p(1+s))/ln(2p) - 1) (b = 1; = 1.3 for beta = 0.3)."""
    if not (0 < beta <= 1 and s >= 0 and 0.5 < p < 1 and p * (1 + s) <= 1):
        raise ScenarioError(f"scimet_driver_fitness: beta = {beta!r} in (0, 1], s = {s!r} >= 0 "
                            f"and p = {p!r} in (0.5, 1) with p (1 + s) <= 1 are needed")
    return 1.0 + beta * (math.log(2 * p * (1 + s)) / math.log(2 * p) - 1.0)
MODELS = ("NN", "NS", "SN", "SS")


# ---------------------------------------------------------------------------------------------
# Genealogy


@numba.njit(cache=True, nogil=True)
def _coalesce(rng, parent, t_birth, frac, fit, site, n_samp, sample_time, times, log_n, birth,
              t_ref):  # pragma: no cover - compiled
    """Structured coalescent on the clone tree (clones in index order, children after parents).

    Returns node times (time ago from ``t_ref``), the sample flag and the clone of each node, and
    edges (parent node, child node), plus the top node of every clone (-1 if none)."""
    n_cl = parent.size
    cap = 2 * int(np.sum(n_samp)) + n_cl + 4
    node_time = np.zeros(cap)
    node_sample = np.zeros(cap, np.bool_)
    node_clone = np.full(cap, -1, np.int64)
    e_parent = np.zeros(cap, np.int64)
    e_child = np.zeros(cap, np.int64)
    n_nodes = 0
    n_edges = 0
    top = np.full(n_cl, -1, np.int64)
    # lineages waiting in each clone: a linked list of (node, entry time)
    incoming_node = np.full(cap, -1, np.int64)
    incoming_time = np.zeros(cap)
    incoming_next = np.full(cap, -1, np.int64)
    head = np.full(n_cl, -1, np.int64)
    n_in = 0
    # sample nodes first
    for c in range(n_cl):
        for _ in range(n_samp[c]):
            node_time[n_nodes] = t_ref - sample_time[c]
            node_sample[n_nodes] = True
            node_clone[n_nodes] = c
            incoming_node[n_in] = n_nodes
            incoming_time[n_in] = sample_time[c]
            incoming_next[n_in] = head[c]
            head[c] = n_in
            n_in += 1
            n_nodes += 1
    lin = np.zeros(cap, np.int64)
    ent = np.zeros(cap)
    n_k = times.size - 1
    for c in range(n_cl - 1, -1, -1):
        if head[c] < 0:
            continue
        # gather lineages sorted by entry time (latest first)
        m = 0
        j = head[c]
        while j >= 0:
            lin[m] = incoming_node[j]
            ent[m] = incoming_time[j]
            m += 1
            j = incoming_next[j]
        order = np.argsort(-ent[:m])
        lins = lin[:m][order].copy()
        ents = ent[:m][order].copy()
        active = np.zeros(m, np.int64)
        n_act = 0
        nxt = 0
        s = site[c]
        t = ents[0]
        e = -np.log(1.0 - rng.random())
        while True:
            while nxt < m and ents[nxt] >= t:
                active[n_act] = lins[nxt]
                n_act += 1
                nxt += 1
            t_floor = t_birth[c]
            if nxt < m:
                t_floor = max(t_floor, ents[nxt])
            if n_act >= 2:
                pairs = 0.5 * n_act * (n_act - 1)
                need = e / pairs  # hazard per pair to accumulate
                # walk back cell by cell from t to t_floor
                kk = min(max(int(np.searchsorted(times, t) - 1), 0), n_k - 1)
                hit = False
                while t > t_floor:
                    t_lo = max(times[kk], t_floor)
                    g = (log_n[s, kk + 1] - log_n[s, kk]) / (times[kk + 1] - times[kk])
                    n_cur = max(frac[c] * np.exp(log_n[s, kk] + g * (t - times[kk])), 1.0)
                    rate0 = 2.0 * birth[s, kk] * fit[c] / n_cur
                    u_max = t - t_lo
                    if rate0 <= 0.0:
                        h_max = 0.0
                    elif abs(g * u_max) > 1e-12:
                        h_max = rate0 * np.expm1(g * u_max) / g
                    else:
                        h_max = rate0 * u_max
                    if h_max >= need and rate0 > 0.0:
                        if abs(g * u_max) > 1e-12:
                            u = np.log1p(need * g / rate0) / g
                        else:
                            u = need / rate0
                        t = t - min(u, u_max)
                        hit = True
                        break
                    need -= h_max
                    t = t_lo
                    if kk == 0 or t <= t_floor:
                        break
                    kk -= 1
                if hit:
                    a = int(rng.random() * n_act)
                    b = int(rng.random() * (n_act - 1))
                    if b >= a:
                        b += 1
                    node_time[n_nodes] = t_ref - t
                    node_clone[n_nodes] = c
                    e_parent[n_edges] = n_nodes
                    e_child[n_edges] = active[a]
                    e_parent[n_edges + 1] = n_nodes
                    e_child[n_edges + 1] = active[b]
                    n_edges += 2
                    lo, hi = min(a, b), max(a, b)
                    active[lo] = n_nodes
                    active[hi] = active[n_act - 1]
                    n_act -= 1
                    n_nodes += 1
                    e = -np.log(1.0 - rng.random())
                    continue
                e = pairs * need  # what is left of the exponential, carried to the next stretch
            t = t_floor
            if nxt < m and ents[nxt] >= t:
                continue
            break
        # the clone's founding cell: every lineage left merges into it
        t_top = t_ref - t_birth[c]
        if n_act == 1:
            top[c] = active[0]
        else:
            tmax = 0.0
            for q in range(n_act):
                if node_time[active[q]] > tmax:
                    tmax = node_time[active[q]]
            node_time[n_nodes] = max(t_top, tmax * (1.0 + 1e-12) + 1e-9)
            node_clone[n_nodes] = c
            for q in range(n_act):
                e_parent[n_edges] = n_nodes
                e_child[n_edges] = active[q]
                n_edges += 1
            top[c] = n_nodes
            n_nodes += 1
        p = parent[c]
        if p >= 0:
            incoming_node[n_in] = top[c]
            incoming_time[n_in] = t_birth[c]
            incoming_next[n_in] = head[p]
            head[p] = n_in
            n_in += 1
    return (node_time[:n_nodes], node_sample[:n_nodes], node_clone[:n_nodes],
            e_parent[:n_edges], e_child[:n_edges], top)


def _site_arrays(patient: CellScalePatient) -> tuple[Array, Array]:
    """log N (S, T) and birth rate (S, T-1) per site on the grid (nan -> size 1, rate 0)."""
    log_n = np.stack([np.log(np.maximum(np.nan_to_num(patient.cells[s], nan=1.0), 1.0))
                      for s in patient.sites])
    birth = np.stack([np.nan_to_num(patient.birth_rate[s]) for s in patient.sites])
    return log_n, birth


def sample_cells(patient: CellScalePatient, samples: dict[str, int],
                 rng: np.random.Generator) -> IntArray:
    """Number of sampled cells per clone: ``samples[site]`` cells drawn at random from the site's
    final cells (multinomial over its clones)."""
    cl = patient.clones
    out = np.zeros(len(cl), dtype=np.int64)
    for site, n in samples.items():  # one vectorised draw per site
        if site not in patient.sites:
            raise ScenarioError(f"samples: site {site!r} does not exist; sites: "
                                f"{', '.join(patient.sites)}")
        if n < 0:
            raise ScenarioError(f"samples: {site} = {n}: must be >= 0")
        here = (cl["site"] == site).to_numpy()
        cells = np.where(here, cl["cells"].to_numpy(np.float64), 0.0)
        if n > 0 and cells.sum() <= 0:
            raise ScenarioError(f"samples: site {site!r} has no cells to sample")
        if n > 0:
            out += rng.multinomial(n, cells / cells.sum())
    return out


def genealogy(patient: CellScalePatient, samples: dict[str, int],
              rng: np.random.Generator) -> tskit.TreeSequence:
    """The genealogy of ``samples[site]`` random cells per site as a tskit tree sequence.

    Times are days before the latest sampling day; node metadata-free; one site per mutation of
    every clone ancestral to a sample (position = index, ancestral state 0, derived 1); the
    population of a node is its site (populations named in the table). See the module docstring."""
    cl = patient.clones
    n_samp = sample_cells(patient, samples, rng)
    parent = cl["parent"].to_numpy(np.int64)
    site_idx = cl["site"].map({s: i for i, s in enumerate(patient.sites)}).to_numpy(np.int64)
    frac = patient.own_site_ccf()
    sample_time = np.array([patient.sample_day[s] for s in patient.sites])[site_idx]
    t_ref = float(max(patient.sample_day.values()))
    log_n, birth = _site_arrays(patient)
    node_time, node_sample, node_clone, ep, ec, top = _coalesce(
        rng, parent, cl["birth_day"].to_numpy(np.float64), frac,
        cl["fitness"].to_numpy(np.float64), site_idx, n_samp, sample_time, patient.times, log_n,
        birth, t_ref)
    tables = tskit.TableCollection(sequence_length=1.0)
    for s in patient.sites:
        tables.populations.add_row(metadata=None)
        del s
    nm = cl["n_mutations"].to_numpy(np.int64)
    has = (top >= 0) & (nm > 0)
    n_mut = int(nm[has].sum())
    tables.sequence_length = float(max(n_mut, 1))
    flags = np.where(node_sample, tskit.NODE_IS_SAMPLE, 0).astype(np.uint32)
    pop = site_idx[np.maximum(node_clone, 0)].astype(np.int32)
    tables.nodes.set_columns(flags=flags, time=node_time, population=pop)
    tables.edges.set_columns(left=np.zeros(ep.size), right=np.full(ep.size, tables.sequence_length),
                             parent=ep.astype(np.int32), child=ec.astype(np.int32))
    clone_of_mut = np.repeat(np.nonzero(has)[0], nm[has])
    pos = np.arange(n_mut, dtype=np.float64)
    tables.sites.set_columns(position=pos, ancestral_state=np.full(n_mut, ord("0"), np.int8),
                             ancestral_state_offset=np.arange(n_mut + 1, dtype=np.uint64))
    tables.mutations.set_columns(site=np.arange(n_mut, dtype=np.int32),
                                 node=top[clone_of_mut].astype(np.int32),
                                 derived_state=np.full(n_mut, ord("1"), np.int8),
                                 derived_state_offset=np.arange(n_mut + 1, dtype=np.uint64),
                                 time=np.full(n_mut, tskit.UNKNOWN_TIME))
    tables.sort()
    return tables.tree_sequence()


@numba.njit(cache=True, nogil=True)
def _forward_cells(rng, n_stop, b, d, mu):  # pragma: no cover - compiled
    """Exact Gillespie of one birth-death population from one cell to ``n_stop`` cells, recording
    every cell as a node (a division ends the mother's node and starts two daughters'). Returns
    status (1 = reached), node birth times, edges (parent, child), the node of each mutation,
    the nodes of the living cells and the end time."""
    cap = 1024
    node_t = np.zeros(cap)
    e_par = np.zeros(cap, np.int64)
    e_chi = np.zeros(cap, np.int64)
    mut_node = np.zeros(cap, np.int64)
    cells = np.zeros(int(n_stop) + 2, np.int64)
    n_nodes = 1
    n_edges = 0
    n_mut = 0
    n = 1
    t = 0.0
    while 0 < n < n_stop:
        if n_nodes + 2 > node_t.size:
            node_t = _grown_f(node_t)
        if n_edges + 2 > e_par.size:
            e_par = _grown_i(e_par)
            e_chi = _grown_i(e_chi)
        t += -np.log(1.0 - rng.random()) / (n * (b + d))
        i = int(rng.random() * n)
        if rng.random() < b / (b + d):
            mother = cells[i]
            for dgt in range(2):
                node = n_nodes
                node_t[node] = t
                e_par[n_edges] = mother
                e_chi[n_edges] = node
                n_edges += 1
                n_nodes += 1
                k = rng.poisson(mu) if mu > 0 else 0
                for _ in range(k):
                    if n_mut >= mut_node.size:
                        mut_node = _grown_i(mut_node)
                    mut_node[n_mut] = node
                    n_mut += 1
                if dgt == 0:
                    cells[i] = node
                else:
                    cells[n] = node
            n += 1
        else:
            cells[i] = cells[n - 1]
            n -= 1
    return (1 if n >= n_stop else 0, node_t[:n_nodes], e_par[:n_edges], e_chi[:n_edges],
            mut_node[:n_mut], cells[:n].copy(), t)


@numba.njit(cache=True, nogil=True)
def _grown_f(a):  # pragma: no cover - compiled
    out = np.zeros(2 * a.size)
    out[: a.size] = a
    return out


@numba.njit(cache=True, nogil=True)
def _grown_i(a):  # pragma: no cover - compiled
    out = np.zeros(2 * a.size, np.int64)
    out[: a.size] = a
    return out


def forward_genealogy(n_cells: int, n_samples: int, rng: np.random.Generator, *,
                      birth: float = 1.0, death: float = 0.7,
                      mu: float = 0.3) -> tskit.TreeSequence:
    """The exact genealogy of ``n_samples`` random cells of one birth-death population grown from
    one cell to ``n_cells`` (constant rates, day^-1; conditioned on reaching it), recorded forward
    cell by cell into tskit tables and simplified to the samples (Kelleher et al. 2018). Each
    daughter gets Poisson(mu) mutations on the branch above it. Sample nodes are at time 0 (the
    end); the reference for :func:`genealogy` at sizes where recording every cell is affordable."""
    if not (1 <= n_samples <= n_cells) or not (birth > 0 and death >= 0 and mu >= 0):
        raise ScenarioError("forward_genealogy: need 1 <= n_samples <= n_cells, birth > 0, "
                            "death >= 0 and mu >= 0")
    while True:
        ok, node_t, ep, ec, mut_node, alive, t_end = _forward_cells(rng, float(n_cells), birth,
                                                                    death, mu)
        if ok:
            break
    picked = rng.choice(alive.size, size=n_samples, replace=False)
    tables = tskit.TableCollection(sequence_length=float(max(mut_node.size, 1)))
    n_nodes = node_t.size
    times = np.concatenate([t_end - node_t, np.zeros(n_samples)])
    flags = np.concatenate([np.zeros(n_nodes, np.uint32),
                            np.full(n_samples, tskit.NODE_IS_SAMPLE, np.uint32)])
    tables.nodes.set_columns(flags=flags, time=times)
    cell_node = alive[picked]
    born_at_end = times[cell_node] <= 0.0  # born by the last event: its own node is the sample
    leaf = np.where(born_at_end, cell_node, n_nodes + np.arange(n_samples))
    flags[cell_node[born_at_end]] = tskit.NODE_IS_SAMPLE
    flags[n_nodes + np.nonzero(born_at_end)[0]] = 0
    tables.nodes.set_columns(flags=flags, time=times)
    parent = np.concatenate([ep, cell_node[~born_at_end]]).astype(np.int32)
    child = np.concatenate([ec, leaf[~born_at_end]]).astype(np.int32)
    tables.edges.set_columns(left=np.zeros(parent.size),
                             right=np.full(parent.size, tables.sequence_length),
                             parent=parent, child=child)
    m = mut_node.size
    tables.sites.set_columns(position=np.arange(m, dtype=np.float64),
                             ancestral_state=np.full(m, ord("0"), np.int8),
                             ancestral_state_offset=np.arange(m + 1, dtype=np.uint64))
    tables.mutations.set_columns(site=np.arange(m, dtype=np.int32),
                                 node=mut_node.astype(np.int32),
                                 derived_state=np.full(m, ord("1"), np.int8),
                                 derived_state_offset=np.arange(m + 1, dtype=np.uint64))
    tables.sort()
    tables.simplify(samples=leaf.astype(np.int32))
    return tables.tree_sequence()


def write_genealogy(ts: tskit.TreeSequence, path: str | Path) -> Path:
    """Write ``genealogy.trees`` (tskit's own format; read back with ``tskit.load``)."""
    path = Path(path)
    ts.dump(str(path))
    return path


# ---------------------------------------------------------------------------------------------
# Fast pairs for ABC


@dataclass(frozen=True)
class PairBatch:
    """True CCFs of the mutations of many primary-metastasis pairs, flattened.

    ``pair`` (n_mut,) which pair a mutation belongs to; ``ccf_primary`` and ``ccf_metastasis``
    its true CCF in each; per pair (n,): ``seeding_cells`` (primary cells when the metastasis was
    founded), ``mu``, ``model``."""

    pair: IntArray
    ccf_primary: Array
    ccf_metastasis: Array
    seeding_cells: Array
    mu: Array
    model: tuple[str, ...]

    @property
    def n_pairs(self) -> int:
        return int(self.seeding_cells.size)


def _grow_const(rng: np.random.Generator, times: Array, beta: float, init_count: Array,
                init_fit: Array, init_trait: npt.NDArray[np.bool_], mu: float, p_driver: float,
                fit_driver: float, track: float, exact: float, stop: float) -> tuple[Any, ...]:
    n = times.size - 1
    return br.grow(rng, times, np.ones(n), np.full(n, 1.0 - beta), 0, 0.0, init_count, init_fit,
                   init_trait, mu, p_driver, fit_driver, 0.0, 1.0, track, exact, 100.0, stop,
                   np.zeros(n), 1.0, math.inf, math.inf, 1, math.inf, math.inf, math.inf, 0,
                   np.zeros(0, np.int64))[:14]


def exact_leap(n: npt.ArrayLike, b: float, d: float, dt: float,
               rng: np.random.Generator) -> IntArray:
    """Cells after ``dt`` days of independent clones of ``n`` cells of a linear birth-death
    process with constant rates b, d (day^-1), drawn from the exact transition law (Kendall 1948,
    Ann Math Stat 19:1): each cell's lineage survives with probability 1 - alpha and then holds a
    geometric number of cells, so n(dt) = s + NegBin(s, 1 - g) with s ~ Binomial(n, 1 - alpha),
    alpha = d (e - 1)/(b e - d), g = b (e - 1)/(b e - d), e = exp((b - d) dt)."""
    n = np.asarray(n, dtype=np.int64)
    if dt <= 0:
        return n.copy()
    lam = b - d
    e = math.exp(lam * dt) if lam != 0 else 1.0
    if lam == 0:  # critical: alpha = g = b t / (1 + b t)
        alpha = g = b * dt / (1.0 + b * dt)
    else:
        alpha = d * (e - 1.0) / (b * e - d)
        g = b * (e - 1.0) / (b * e - d)
    out = np.zeros(n.shape, dtype=np.int64)
    live = np.flatnonzero(n > 0)  # extinct clones stay at 0: draw only for the others
    s = rng.binomial(n.ravel()[live], 1.0 - alpha)
    grew = s > 0
    s[grew] += rng.negative_binomial(s[grew], 1.0 - g)
    out.ravel()[live] = s
    return out


def _stage(rng: np.random.Generator, times: Array, beta: float, counts: Array, fit: Array,
           mu: float, p_driver: float, fit_driver: float, track: float, exact: float,
           stop: float) -> tuple[int, IntArray, IntArray, Array, Array, float, float]:
    """Grow from initial clones ``counts``; returns (status, parent (local; -1 - i for the i-th
    initial clone), n_mut, fitness, counts, t_cut, t_end)."""
    o = _grow_const(rng, times, beta, counts, fit, np.zeros(counts.size, dtype=np.bool_), mu,
                    p_driver, fit_driver, track, exact, stop)
    return int(o[0]), o[1], o[3], o[4], o[6], float(o[8]), float(o[10])


class _Tree:
    """A clone tree being assembled from successive stages (parents before children)."""

    def __init__(self, parent: IntArray, n_mut: IntArray, fit: Array, cells: Array) -> None:
        self.parent = np.where(parent < 0, -1, parent)
        self.n_mut = n_mut
        self.fit = fit
        self.cells = cells

    def extend(self, init_ids: IntArray, parent: IntArray, n_mut: IntArray, fit: Array,
               cells: Array) -> None:
        """Append a stage that started from the clones ``init_ids`` (its first clones)."""
        k = init_ids.size
        local = np.empty(parent.size, dtype=np.int64)
        local[:k] = init_ids
        local[k:] = self.parent.size + np.arange(parent.size - k)
        new = np.arange(k, parent.size)
        self.parent = np.concatenate([self.parent, local[parent[new]]])
        self.n_mut = np.concatenate([self.n_mut, n_mut[new]])
        self.fit = np.concatenate([self.fit, fit[new]])
        cells_all = np.zeros(self.parent.size)
        cells_all[local] = cells
        self.cells = cells_all


def exact_leap_rates(n: npt.ArrayLike, b: npt.ArrayLike, d: float, dt: npt.ArrayLike,
                     rng: np.random.Generator) -> IntArray:
    """:func:`exact_leap` with one birth rate ``b`` and one duration ``dt`` per clone (arrays,
    broadcast with ``n``; b > d >= 0 day^-1): the same exact transition law (Kendall 1948)."""
    n_a, b_a, dt_a = np.broadcast_arrays(np.asarray(n, dtype=np.int64),
                                         np.asarray(b, dtype=np.float64),
                                         np.maximum(np.asarray(dt, dtype=np.float64), 0.0))
    out = np.zeros(n_a.shape, dtype=np.int64)
    live = np.flatnonzero(n_a.ravel() > 0)  # extinct clones stay at 0: draw only for the others
    b_l, dt_l = b_a.ravel()[live], dt_a.ravel()[live]
    e = np.exp((b_l - d) * dt_l)
    den = b_l * e - d
    alpha = d * (e - 1.0) / den
    g = b_l * (e - 1.0) / den
    s = rng.binomial(n_a.ravel()[live], np.clip(1.0 - alpha, 0.0, 1.0))
    grew = np.flatnonzero(s > 0)
    s[grew] += rng.negative_binomial(s[grew], np.clip(1.0 - g[grew], 1e-300, 1.0))
    out.ravel()[live] = s
    return out


@dataclass
class _Selected:
    """Clones of a tumour with drivers above the tracking cut: the clone tree's arrays plus the
    birth day of each clone (days after the cut; -inf for clones born below it)."""

    tree: _Tree
    born: Array


@numba.njit(cache=True, nogil=True)
def _class_total(fits, mass, n_cls, d, s):  # pragma: no cover - compiled
    out = 0.0
    for j in range(n_cls):
        out += mass[j] * np.exp((fits[j] - d) * s)
    return out


@numba.njit(cache=True, nogil=True)
def _solve_total(fits, mass, n_cls, d, lo, hi, target):  # pragma: no cover - compiled
    """The day in [lo, hi] where the expected size reaches ``target`` (bisection)."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _class_total(fits, mass, n_cls, d, mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-10 * max(1.0, hi):
            break
    return hi


@numba.njit(cache=True, nogil=True)
def _driver_steps(rng, fits0, mass0, d, p, fit_driver, target,
                  stop):  # pragma: no cover - compiled
    """Driver births of :func:`_leap_selected` by fitness class (see there). Returns per birth
    its day, the step's first day, the parent's and the child's class, then the classes'
    fitness and the day the expected size reaches ``stop``."""
    cap = 64 + fits0.size
    fits = np.zeros(cap)
    mass = np.zeros(cap)
    n_cls = fits0.size
    fits[:n_cls] = fits0
    mass[:n_cls] = mass0
    m_cap = 256
    b_t = np.zeros(m_cap)
    b_s = np.zeros(m_cap)
    b_par = np.zeros(m_cap, np.int64)
    b_cls = np.zeros(m_cap, np.int64)
    nb = 0
    t = 0.0
    while p > 0.0 and _class_total(fits, mass, n_cls, d, t) < target:
        lam_max = 0.0
        for j in range(n_cls):
            lam_max = max(lam_max, fits[j] - d)
        h = 0.5 / lam_max
        last = _class_total(fits, mass, n_cls, d, t + h) >= target
        if last:
            h = _solve_total(fits, mass, n_cls, d, t, t + h, target) - t
        n_now = n_cls
        for j in range(n_now):
            lam = fits[j] - d
            mean = 2.0 * fits[j] * p * mass[j] * np.exp(lam * t) * np.expm1(lam * h) / lam
            k = rng.poisson(mean) if mean > 0.0 else 0
            if k == 0:
                continue
            f_new = fits[j] * fit_driver
            jj = -1
            for q in range(n_cls):
                if fits[q] == f_new:
                    jj = q
            if jj < 0:
                if n_cls >= cap:
                    cap *= 2
                    fits = _grown_f_to(fits, cap)
                    mass = _grown_f_to(mass, cap)
                jj = n_cls
                fits[jj] = f_new
                n_cls += 1
            for _ in range(k):
                born = t + np.log1p(rng.random() * np.expm1(lam * h)) / lam
                if nb >= b_t.size:
                    b_t = _grown_f(b_t)
                    b_s = _grown_f(b_s)
                    b_par = _grown_i(b_par)
                    b_cls = _grown_i(b_cls)
                b_t[nb] = born
                b_s[nb] = t
                b_par[nb] = j
                b_cls[nb] = jj
                nb += 1
                mass[jj] += np.exp(-(f_new - d) * born)
        t += h
        if last:
            break
    t_end = t
    total = _class_total(fits, mass, n_cls, d, t)
    if total < stop:
        lam_min = np.inf
        for j in range(n_cls):
            if mass[j] > 0.0:
                lam_min = min(lam_min, fits[j] - d)
        t_end = _solve_total(fits, mass, n_cls, d, t, t + np.log(stop / total) / lam_min + 1e-9,
                             stop)
    return b_t[:nb], b_s[:nb], b_par[:nb], b_cls[:nb], fits[:n_cls].copy(), t_end


@numba.njit(cache=True, nogil=True)
def _grown_f_to(a, n):  # pragma: no cover - compiled
    out = np.zeros(n)
    out[: a.size] = a
    return out


def _leap_selected(rng: np.random.Generator, state: _Selected, t0: float, beta: float, mu: float,
                   p_driver: float, fit_driver: float, driver_below: float,
                   stop: float) -> float:
    """Grow the clones from day ``t0`` (after the cut) until the expected size reaches ``stop``;
    returns that day (days after the cut).

    Every clone ends at the exact birth-death law of its own rates (b = fitness, d = 1 - beta;
    :func:`exact_leap_rates`) from its cells at ``t0`` (or one cell at its birth). While the
    tumour's expected size is below ``driver_below`` cells, new drivers arise in steps of
    0.5 / lambda_max days: the clones of one fitness class (rate lambda) hold
    A e^(lambda t) cells in expectation, so the class founds Poisson(2 b p int A e^(lambda t) dt)
    driver clones per step, born at times drawn from that density, each in a clone of the class
    drawn in proportion to its expected size (among the clones born before the step). A driver
    clone carries the driver, the daughter's own Poisson(mu) passengers and the passengers its
    lineage gathered since its parent clone was born or the cut (Poisson(mu x Poisson(2 b
    days))): clonal in it, they ride with its expansion."""
    tr = state.tree
    d = 1.0 - beta
    n0 = tr.parent.size
    cells0 = tr.cells.astype(np.float64)
    live = cells0 > 0
    fits0 = np.unique(tr.fit[live])
    mass0 = np.array([cells0[live & (tr.fit == f)].sum() for f in fits0])
    target = min(stop, driver_below) if p_driver > 0 else 0.0
    b_t, b_s, b_par, b_cls, fits, t_end = _driver_steps(rng, fits0, mass0, d, p_driver,
                                                        fit_driver, target, stop)
    k = b_t.size
    if k:
        # parents: within the parent's class, by expected size, among clones born before the step
        ids = n0 + np.arange(k)
        parent = np.empty(k, dtype=np.int64)
        for j in np.unique(b_par):  # a few fitness classes
            f = float(fits[j])
            orig = np.flatnonzero(live & (tr.fit == f))
            new = ids[b_cls == j]  # in birth order: steps are in time order
            idx = np.concatenate([orig, new])
            w = np.concatenate([cells0[orig], np.exp(-(f - d) * b_t[b_cls == j])])
            cum = np.cumsum(w)
            kids = np.flatnonzero(b_par == j)
            n_ok = orig.size + np.searchsorted(b_t[b_cls == j], b_s[kids], side="left")
            u = rng.random(kids.size) * cum[n_ok - 1]
            parent[kids] = idx[np.minimum(np.searchsorted(cum, u, side="right"), n_ok - 1)]
        born_par = np.concatenate([state.born, t0 + b_t])[parent]
        since = np.maximum(t0 + b_t - np.maximum(born_par, 0.0), 0.0)
        f_par = fits[b_par]
        n_new = 1 + rng.poisson(mu * (1 + rng.poisson(2.0 * f_par * since)))
        tr.parent = np.concatenate([tr.parent, parent])
        tr.n_mut = np.concatenate([tr.n_mut, n_new.astype(np.int64)])
        tr.fit = np.concatenate([tr.fit, fits[b_cls]])
        state.born = np.concatenate([state.born, t0 + b_t])
    start = np.concatenate([np.zeros(n0), b_t])
    n_start = np.concatenate([cells0, np.ones(k)]).astype(np.int64)
    cells = exact_leap_rates(n_start, tr.fit, d, t_end - start, rng)
    # a driver daughter is a cell its parent clone does not hold
    lost = np.bincount(tr.parent[n0:], minlength=tr.parent.size)[: tr.parent.size]
    tr.cells = np.maximum(cells - lost, 0).astype(np.float64)
    return t0 + t_end


def _grow_tumour(rng: np.random.Generator, beta: float, init: int, mu: float, selection: bool,
                 final: float, track: float, exact: float, horizon: float,
                 seed_at: float = math.inf, driver_rate: float = SCIMET_DRIVER_RATE,
                 driver_fitness: float = 1.3,
                 driver_below: float = math.inf) -> tuple[_Tree, IntArray, float]:
    """One tumour from ``init`` cells to ``final`` cells (conditioned on survival); optionally one
    draw of a cell at size ``seed_at`` (its clone returned, and the founder lineage's expected
    divisions per 2 b since the tracking cut: days x fitness). Exact Gillespie to the cut (with
    drivers under selection), then exact leaps: one per clone when neutral, per clone at its own
    rates with new driver clones under selection (:func:`_leap_selected`)."""
    lam = beta
    b, d = 1.0, 1.0 - beta
    p_drv = driver_rate if selection else 0.0
    times = np.linspace(0.0, horizon, 2)
    cut = min(track, exact)
    while True:  # condition on survival to the first milestone
        first = min(seed_at, final, cut)
        st, par, nm, fi, cnt, t_cut, _ = _stage(rng, times, beta, np.full(init, 1.0),
                                               np.ones(init), mu, p_drv, driver_fitness, track,
                                               exact, first)
        if st == br.STOPPED_AT_SIZE:
            break
    tree = _Tree(par, nm, fi, cnt)
    founder = np.full(0, 0, dtype=np.int64)
    above_cut_days = 0.0
    size = float(cnt.sum())
    if seed_at <= size * (1 + 1e-12):
        founder = rng.choice(cnt.size, size=1, p=cnt / cnt.sum())
    if size < min(cut, final):  # exact (and tracked) up to the cut
        alive = np.nonzero(tree.cells > 0)[0]
        st, par, nm, fi, cnt, _, _ = _stage(rng, times, beta, tree.cells[alive], tree.fit[alive],
                                            mu, p_drv, driver_fitness, track, exact,
                                            min(cut, final))
        tree.extend(alive, par, nm, fi, cnt)
        size = float(tree.cells.sum())
    if selection:
        tree.cells = np.rint(tree.cells)
        state = _Selected(tree, np.full(tree.parent.size, -math.inf))
        t = 0.0
        if founder.size == 0 and seed_at < math.inf and size < final:
            t = _leap_selected(rng, state, 0.0, beta, mu, p_drv, driver_fitness, driver_below,
                               seed_at)
            founder = rng.choice(tree.cells.size, size=1, p=tree.cells / tree.cells.sum())
            f = int(founder[0])
            above_cut_days = (t - max(float(state.born[f]), 0.0)) * float(tree.fit[f])
        elif founder.size == 0 and seed_at < math.inf:
            founder = rng.choice(tree.cells.size, size=1, p=tree.cells / tree.cells.sum())
        if float(tree.cells.sum()) < final:
            _leap_selected(rng, state, t, beta, mu, p_drv, driver_fitness, driver_below, final)
        return tree, founder, above_cut_days
    counts = np.rint(tree.cells).astype(np.int64)
    if founder.size == 0 and seed_at < math.inf:  # seeding between the cut and the end
        dt1 = max(math.log(seed_at / size), 0.0) / lam
        counts = exact_leap(counts, b, d, dt1, rng)
        founder = rng.choice(counts.size, size=1, p=counts / counts.sum())
        above_cut_days = dt1
        size = float(counts.sum())
    counts = exact_leap(counts, b, d, max(math.log(final / size), 0.0) / lam, rng)
    tree.cells = counts.astype(np.float64)
    return tree, founder, above_cut_days


def simulate_pair(mu: float, seeding_cells: float, rng: np.random.Generator, *,
                  model: str = "NN", beta: float = 0.3, final_cells: float = 1e9,
                  met_final_cells: float | None = None, exact_below_cells: float = 3e3,
                  track_mutations_below_cells: float = 3e3,
                  driver_rate: float = SCIMET_DRIVER_RATE,
                  driver_fitness: float | None = None,
                  drivers_below_cells: float = DRIVERS_BELOW_CELLS,
                  min_ccf: float = 0.0) -> tuple[Array, Array]:
    """One pair: (primary CCF, metastasis CCF) of every recorded mutation (see the module doc)
    whose CCF reaches ``min_ccf`` in one of the two tumours.

    Rates b = 1 day^-1, d = 1 - beta; 'S' in ``model`` (primary, metastasis) adds drivers at
    ``driver_rate`` per daughter (SCIMET's 1e-5) multiplying the birth rate by
    ``driver_fitness`` (default :func:`scimet_driver_fitness` of beta: SCIMET's s = 0.1), arising
    while the tumour is below ``drivers_below_cells``. The metastasis is founded by one cell
    (with fitness 1: its own model decides its selection)."""
    _check_pair(mu, seeding_cells, model, beta, final_cells)
    if driver_fitness is None:
        driver_fitness = scimet_driver_fitness(beta)
    if not (0 <= driver_rate < 1 and driver_fitness >= 1 and drivers_below_cells > 0):
        raise ScenarioError(f"drivers: rate {driver_rate!r} must be in [0, 1), fitness "
                            f"{driver_fitness!r} >= 1 and drivers_below_cells "
                            f"{drivers_below_cells!r} > 0")
    met_final = final_cells if met_final_cells is None else met_final_cells
    horizon = math.log(max(final_cells, met_final, 10.0)) / beta * 3.0 + 60.0 / beta
    track = min(track_mutations_below_cells, exact_below_cells)
    drivers = dict(driver_rate=driver_rate, driver_fitness=driver_fitness,
                   driver_below=drivers_below_cells)
    prim, founder, above = _grow_tumour(rng, beta, 1, mu, model[0] == "S", final_cells, track,
                                        exact_below_cells, horizon, seed_at=seeding_cells,
                                        **drivers)
    sub_p = br.subtree_counts(prim.parent, prim.cells)
    ccf_p = sub_p / sub_p[prim.parent < 0].sum()
    on_path = np.zeros(prim.parent.size)
    on_path[_ancestors(prim.parent, int(founder[0]))] = 1.0
    # the founder's lineage mutations after the tracking cut: 2b per day of divisions
    lineage = int(rng.poisson(mu * rng.poisson(2.0 * above))) if above > 0 else 0
    met, _, _ = _grow_tumour(rng, beta, 1, mu, model[1] == "S", met_final, track,
                             exact_below_cells, horizon, **drivers)
    sub_m = br.subtree_counts(met.parent, met.cells)
    ccf_m = sub_m / sub_m[met.parent < 0].sum()
    keep_p = (ccf_p >= min_ccf) | (on_path >= min_ccf)
    keep_m = ccf_m >= min_ccf
    n_p, n_m = prim.n_mut[keep_p], met.n_mut[keep_m]
    pri = np.concatenate([np.repeat(ccf_p[keep_p], n_p), np.zeros(lineage + int(n_m.sum()))])
    mcf = np.concatenate([np.repeat(on_path[keep_p], n_p), np.ones(lineage),
                          np.repeat(ccf_m[keep_m], n_m)])
    return pri, mcf


def _ancestors(parent: IntArray, c: int) -> IntArray:
    """Clone ``c`` and its ancestors (the path to the root; depth = a few tens)."""
    out = [c]
    while parent[out[-1]] >= 0:
        out.append(int(parent[out[-1]]))
    return np.asarray(out, dtype=np.int64)


def _check_pair(mu: float, seeding_cells: float, model: str, beta: float,
                final_cells: float) -> None:
    if not (math.isfinite(mu) and mu >= 0):
        raise ScenarioError(f"mu = {mu!r}: must be finite and >= 0 (mutations per daughter cell)")
    if not (1 <= seeding_cells <= final_cells):
        raise ScenarioError(f"seeding_cells = {seeding_cells!r}: must be in [1, final_cells = "
                            f"{final_cells:g}]")
    if model not in MODELS:
        raise ScenarioError(f"model = {model!r}: allowed {', '.join(MODELS)}")
    if not (0 < beta <= 1):
        raise ScenarioError(f"beta = {beta!r}: must be in (0, 1]")


def simulate_pairs(mu: npt.ArrayLike, seeding_cells: npt.ArrayLike, model: str, n: int,
                   rng: np.random.Generator, **kwargs: float) -> PairBatch:
    """``n`` independent pairs (``mu`` and ``seeding_cells`` scalars or one value per pair), for
    ABC: the flattened true CCFs of all mutations (:class:`PairBatch`). ``kwargs`` go to
    :func:`simulate_pair` (``beta``, ``final_cells``, ...)."""
    mus = np.broadcast_to(np.asarray(mu, dtype=np.float64), (n,))
    ns = np.broadcast_to(np.asarray(seeding_cells, dtype=np.float64), (n,))
    pri: list[Array] = []
    met: list[Array] = []
    for i in range(n):  # one task per pair; each pair is one compiled run per tumour
        p, m = simulate_pair(float(mus[i]), float(ns[i]), rng, model=model, **kwargs)
        pri.append(p)
        met.append(m)
    sizes = np.array([p.size for p in pri], dtype=np.int64)
    return PairBatch(pair=np.repeat(np.arange(n), sizes),
                     ccf_primary=np.concatenate(pri) if pri else np.zeros(0),
                     ccf_metastasis=np.concatenate(met) if met else np.zeros(0),
                     seeding_cells=np.array(ns), mu=np.array(mus), model=(model,) * n)
