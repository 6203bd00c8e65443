"""Many patients of the organism engine at once: chunks of patients, optionally on processes.

Each chunk of ``chunk`` patients is one vectorised :func:`~metacascade.engines.organism.solve`
call. The cohort width is shared by the whole batch; the FFT block is set per patient from its own
growth rates (rounded down to a power of two) and chunks only group patients with the same
block, so a patient's numbers do not depend on which chunk it falls in, nor on the number of
workers (bit for bit), and slow growers are not forced onto the short blocks of fast ones.

With ``workers`` > 1 the chunks run on a local pool of forked processes that write their time
series straight into arrays in shared anonymous memory (``mmap``), so the (patients x days) series,
gigabytes for 10,000 patients over 10 years at daily output, are never pickled; only the key-event
rows travel back. Where ``fork`` is unavailable (Windows, macOS default) the batch runs serially.
"""

from __future__ import annotations

import mmap
import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from metacascade._memory import keep_freed_memory
from metacascade.engines import _dormancy as dm
from metacascade.engines import sections
from metacascade.engines.base import Problem, Support, raise_problems
from metacascade.engines.organism import (
    SUPPORTS as ORGANISM_SUPPORTS,
)
from metacascade.engines.organism import (
    Patients,
    SystemicPath,
    apply_systemic,
    check_scenario,
    check_solve_memory,
    choose_step,
    fft_block,
    key_events,
    lethal_burden_rows,
    overflow_problems,
    patients_from_scenarios,
    solve,
    systemic_path,
)
from metacascade.errors import MetacascadeError, ScenarioError
from metacascade.limits import check_memory
from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]

#: Time series written by :func:`~metacascade.engines.organism.solve`, one (patients, times) array each.
SERIES = ("n_metastases", "n_visible", "metastatic_burden_cells", "visible_burden_cells",
          "primary_cells", "p_any_metastasis", "birth_rate_per_day")


@dataclass(frozen=True)
class _Plan:
    pat: Patients
    duration: float
    output_step: float
    secondary: bool
    h: float
    n_out: int
    systemic: tuple[SystemicPath | None, ...] = ()  # per patient: time-varying growth
    dormancy: dm.DormancyBatch | None = None


@dataclass(frozen=True)
class _Chunk:
    rows: npt.NDArray[np.intp]  # patients of the batch, in output order
    block: int


def block_sizes(pat: Patients, h: float) -> npt.NDArray[np.intp]:
    """FFT block of every patient: its own :func:`fft_block` rounded to the nearest power of two (the
    transforms then have a power-of-two length, and patients group into few chunk families)."""
    raw = np.array([fft_block(pat.take(np.array([p])), h) for p in range(pat.n)])
    return (2 ** np.round(np.log2(raw))).astype(np.intp)


def plan_chunks(pat: Patients, h: float, chunk: int) -> list[_Chunk]:
    """Chunks of at most ``chunk`` patients sharing one FFT block (largest blocks first)."""
    blocks = block_sizes(pat, h)
    out = []
    for b in np.unique(blocks)[::-1]:
        rows = np.nonzero(blocks == b)[0]
        out += [_Chunk(rows[a : a + chunk], int(b)) for a in range(0, rows.size, chunk)]
    return out


# Set in the parent before the pool forks; the children inherit it (never pickled).
_SHARED: dict[str, Any] = {}


def _mapped_array(shape: tuple[int, ...], flags: int | None = None) -> Array:
    """A float64 array on an anonymous memory map (``flags`` None: shared with forked children)."""
    n = int(np.prod(shape))
    size = max(8 * n, 8)
    buf = mmap.mmap(-1, size) if flags is None else mmap.mmap(-1, size, flags=flags)
    return np.frombuffer(buf, dtype=np.float64, count=n).reshape(shape)


def _shared_array(shape: tuple[int, ...]) -> Array:
    """A float64 array in anonymous shared memory (visible to forked children)."""
    return _mapped_array(shape)


def _prefaulted_array(shape: tuple[int, ...]) -> Array:
    """A float64 array whose pages the kernel maps in one go (``MAP_POPULATE``, Linux).

    The series of a large batch are gigabytes; touching fresh pages one fault at a time (and
    numpy's transparent-huge-page advice, which can stall on compaction) cost up to 5 s for
    10,000 patients on our 2-core VMs, against 0.7-0.9 s when populated at once."""
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if not populate:
        return np.empty(shape)
    return _mapped_array(shape, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)


def _run_chunk(plan: _Plan, out: dict[str, Array], chunk: _Chunk) -> list[dict[str, Any]]:
    pat = plan.pat.take(chunk.rows)
    dormancy = None if plan.dormancy is None else plan.dormancy.take(chunk.rows)
    sol = solve(pat, plan.duration, plan.output_step, plan.secondary,
                max_step=plan.h, block=chunk.block, dormancy=dormancy)
    events = key_events(sol)
    if plan.systemic:  # patients with time-varying growth, solved together path by path
        paths = [plan.systemic[i] for i in chunk.rows]
        for path in dict.fromkeys(p for p in paths if p is not None):
            rows = np.array([i for i, p in enumerate(paths) if p == path], dtype=np.intp)
            apply_systemic(path, pat, sol, events, rows)
    for name in SERIES:
        out[name][chunk.rows] = sol.series[name]
    return events


def _forked_chunk(chunk: _Chunk) -> list[dict[str, Any]]:
    return _run_chunk(_SHARED["plan"], _SHARED["out"], chunk)


def _check(scenarios: Sequence[Scenario], chunk: int, workers: int) -> None:
    if not scenarios:
        raise MetacascadeError("simulate_batch: no scenarios given")
    if chunk < 1:
        raise MetacascadeError(f"simulate_batch: chunk = {chunk}: must be at least 1")
    if workers < 1:
        raise MetacascadeError(f"simulate_batch: workers = {workers}: must be at least 1")
    first = scenarios[0]
    sim = first.simulation
    for i, s in enumerate(scenarios):
        raise_problems("batch", check_batch_scenario(s), f"{s.name} (patient {i})")
    if any(s.dissemination.model == "cascade" for s in scenarios):
        raise MetacascadeError("simulate_batch runs the power model; use "
                               "metacascade.engines.spread.solve_cascade for cascade scenarios")
    for s in scenarios[1:]:
        if (s.simulation.duration_days, s.simulation.output_step_days) != (
                sim.duration_days, sim.output_step_days):
            raise MetacascadeError(
                "simulate_batch: all scenarios must share simulation.duration_days and "
                "simulation.output_step_days")
        if s.dissemination.secondary != first.dissemination.secondary:
            raise MetacascadeError(
                "simulate_batch: all scenarios must share dissemination.secondary")


def simulate_batch(scenarios: Sequence[Scenario], chunk: int = 16,
                   workers: int = 1) -> tuple[xr.Dataset, pd.DataFrame]:
    """Simulate many patients (same growth laws and grid, any other parameters).

    Returns the time series with dimensions (patient, time_days) and a table of key events (one
    row per patient). ``workers`` > 1: chunks run on that many forked processes.
    """
    _check(scenarios, chunk, workers)
    first = scenarios[0]
    sim = first.simulation
    secondary = first.dissemination.secondary
    n_out = int(np.floor(sim.duration_days / sim.output_step_days + 1e-9)) + 1
    check_memory(len(scenarios) * (len(SERIES) * 8.0 * n_out + 2000.0),
                 f"simulate_batch of {len(scenarios)} patients x {n_out} output points",
                 "simulate fewer patients at once, or raise simulation.output_step_days")
    pat = patients_from_scenarios(scenarios)
    for p, why in enumerate(overflow_problems(pat, sim.duration_days, secondary)):
        if why is not None:
            raise ScenarioError(f"simulate_batch, patient {p}: {why}")
    try:
        dormancy = dm.dormancy_batch(scenarios)
    except ValueError as exc:
        raise MetacascadeError(f"simulate_batch: {exc}") from None
    h, _ = choose_step(pat, sim.output_step_days, sim.max_internal_step_days, secondary)
    check_solve_memory(pat.take(np.arange(min(chunk * workers, pat.n))), sim.duration_days,
                       sim.output_step_days, secondary, h, dormancy is not None)
    paths = tuple(systemic_path(s) for s in scenarios)
    plan = _Plan(pat=pat, duration=sim.duration_days, output_step=sim.output_step_days,
                 secondary=secondary, h=h, n_out=n_out,
                 systemic=paths if any(p is not None for p in paths) else (), dormancy=dormancy)
    chunks = plan_chunks(pat, h, chunk)
    parallel = workers > 1 and len(chunks) > 1 and "fork" in mp.get_all_start_methods()
    if parallel:
        out = {name: _shared_array((pat.n, n_out)) for name in SERIES}
        _SHARED.update(plan=plan, out=out)
        try:
            with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=mp.get_context("fork"),
                                     initializer=keep_freed_memory) as pool:
                parts = list(pool.map(_forked_chunk, chunks,
                                      chunksize=max(1, len(chunks) // (8 * workers))))
        finally:
            _SHARED.clear()
    else:
        out = {name: _prefaulted_array((pat.n, n_out)) for name in SERIES}
        parts = [_run_chunk(plan, out, c) for c in chunks]
    rows: list[dict[str, Any]] = [{} for _ in range(pat.n)]
    for c, part in zip(chunks, parts, strict=True):
        for i, row in zip(c.rows, part, strict=True):
            rows[i] = row
    times = np.arange(n_out, dtype=np.float64) * sim.output_step_days
    ds = xr.Dataset(
        {name: (("patient", "time_days"), out[name]) for name in SERIES},
        coords={"patient": np.arange(pat.n), "time_days": times},
    )
    days, sites = lethal_burden_rows(times, out["primary_cells"], out["metastatic_burden_cells"],
                                     scenarios)
    for row, day, site in zip(rows, days, sites, strict=True):
        row["lethal_burden_day"] = float(day) if np.isfinite(day) else None
        row["lethal_burden_site"] = site
    events = pd.DataFrame(rows)
    events.insert(0, "patient", np.arange(pat.n))
    return ds, events


# ------------------------------------------------------------------------------------------
# The contract (engines/base.py): the organism engine's, without the bone lesion

SUPPORTS: tuple[Support, ...] = tuple(
    Support("bone", "no", "refused (run)") if s.key == "bone" else s for s in ORGANISM_SUPPORTS)


def check_batch_scenario(sc: Scenario) -> list[Problem]:
    """What :func:`simulate_batch` cannot honour in one patient's scenario: the organism engine's
    problems, and the bone lesion (a batch returns the metastatic series only)."""
    return check_scenario(sc, "batch") + sections.no_bone(sc, "batch")


class BatchChecker:
    """The checks of :func:`simulate_batch` (a command, not a single-run engine)."""

    name = "batch"
    supports = SUPPORTS

    def check(self, scenario: Scenario) -> list[Problem]:
        return check_batch_scenario(scenario)


CHECKER = BatchChecker()
