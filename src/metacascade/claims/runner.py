"""Run the claims registry: one :class:`Verdict` per seed statement S1..S18, and ``claims.json``.

Every statement gets exactly one verdict. A statement without a registered experiment is
``not yet modelled``; an experiment that raises is reported as ``error`` with its message (never
dropped). Independent experiments run in parallel on an executor of :mod:`metacascade.parallel`
(a local process pool by default); each experiment receives the same seed whatever the executor
and its number of workers, and verdicts are returned in statement order, so a run is reproducible
and does not depend on scheduling.
"""

from __future__ import annotations

import contextlib
import importlib
import numbers
import os
import re
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from metacascade._version import __version__
from metacascade.claims.base import MODELLED, REGISTRY, STATUSES, Context, Experiment, Verdict
from metacascade.claims.statements import STATEMENTS
from metacascade.errors import MetacascadeError
from metacascade.parallel import Executor, ProcessExecutor
from metacascade.result import jsonio
from metacascade.result.claims import CLAIMS_HTML, ClaimsResult
from metacascade.result.writer import OutputFolder

#: The ``claims.json`` schema version (bump when the contract changes).
SCHEMA_VERSION = 2

NOT_MODELLED_REASON = ("No mechanism in metacascade covers this statement yet, so no experiment "
                       "is registered for it.")


def statement_ids() -> list[str]:
    """S1..S18 in numeric order."""
    return sorted(STATEMENTS, key=lambda s: int(s[1:]))


def parse_only(only: str | Iterable[str] | None) -> list[str]:
    """Validate a selection such as ``"S13,S15"`` (case-insensitive); all statements when empty.

    Raises :class:`MetacascadeError` naming the unknown ids and the allowed range.
    """
    if only is None:
        return statement_ids()
    items = only.split(",") if isinstance(only, str) else list(only)
    ids = [i.strip().upper() for i in items if i.strip()]
    if not ids:
        return statement_ids()
    bad = [i for i in ids if i not in STATEMENTS]
    if bad:
        raise MetacascadeError(
            f"--only: unknown statement id(s) {', '.join(repr(b) for b in bad)}; "
            f"allowed: S1..S{len(STATEMENTS)} (e.g. --only S13,S15)")
    return [i for i in statement_ids() if i in set(ids)]


def _error_verdicts(exp_ids: Sequence[str], message: str, name: str, seconds: float) -> list[Verdict]:
    return [Verdict(id=i, status="error", summary=message, experiment=name, seconds=seconds)
            for i in exp_ids]


def _call(exp: Experiment, ctx: Context) -> list[Verdict]:
    """Run one experiment and turn anything it does wrong into ``error`` verdicts."""
    t0 = time.perf_counter()
    try:
        verdicts = list(exp.func(ctx))
    except Exception as exc:  # an experiment's failure is a verdict, not a crash of the run
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
        msg = f"{type(exc).__name__}: {exc}{where}"
        return _error_verdicts(exp.ids, msg, exp.name, time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    out: list[Verdict] = []
    by_id = {}
    for v in verdicts:
        if not isinstance(v, Verdict) or v.id not in exp.ids or v.status not in STATUSES:
            return _error_verdicts(exp.ids, f"experiment returned an invalid verdict: {v!r}",
                                   exp.name, seconds)
        problem = _contract_problem(v)
        if problem:
            return _error_verdicts(exp.ids, f"experiment broke the verdict contract for {v.id}: "
                                   f"{problem}", exp.name, seconds)
        by_id[v.id] = v
    for i in exp.ids:
        if i in by_id:
            v = by_id[i]
            v.experiment = v.experiment or exp.name
            v.seconds = seconds
            out.append(v)
        else:
            out.extend(_error_verdicts([i], f"experiment {exp.name} returned no verdict for {i}",
                                       exp.name, seconds))
    return out


def _contract_problem(v: Verdict) -> str:
    """Why a verdict cannot count (empty when fine): measured numbers that are not numbers, a
    modelled status that is not the one derived from its validation targets and checks, a
    validation target without a source or found among the calibration data
    (:meth:`Verdict.problems`), or a compared number without a measured value or a tolerance."""
    for field_name in ("measured", "targets"):
        values = getattr(v, field_name)
        if not isinstance(values, dict):
            return f"{field_name} is not a mapping of names to numbers"
        bad = [k for k, x in values.items()
               if isinstance(x, bool) or not isinstance(x, numbers.Real)]
        if bad:
            return f"{field_name} values that are not numbers: {', '.join(map(str, bad))}"
    problems = v.problems()
    if problems:
        return "; ".join(problems)
    if v.status not in MODELLED:
        return ""
    missing = [k for k in v.targets if k not in v.measured]
    if missing:
        return f"targets without a measured value: {', '.join(missing)}"
    untold = [k for k in v.targets if not v.tolerances.get(k)]
    if untold:
        return f"targets without a tolerance: {', '.join(untold)}"
    return ""


def _run_by_name(module: str, qualname: str, ids: tuple[str, ...], title: str,
                 ctx: Context) -> list[Verdict]:
    """Worker entry point: import the experiment's module (registers it) and run it."""
    func = getattr(importlib.import_module(module), qualname)
    return _call(Experiment(ids, title, func), ctx)


def _run_task(task: tuple[str, str, tuple[str, ...], str, Context]) -> list[Verdict]:
    """One experiment on an executor: never raises (an experiment that cannot even be found is
    reported as ``error``, like one that fails), so one experiment cannot stop the others."""
    module, qualname, ids, title, ctx = task
    try:
        return _run_by_name(module, qualname, ids, title, ctx)
    except Exception as exc:
        name = f"{module.rsplit('.', 1)[-1]}.{qualname}"
        return _error_verdicts(ids, f"{type(exc).__name__}: {exc}", name, 0.0)


def _use_agg() -> None:
    """Extra initializer of the runner's worker processes (after
    :func:`metacascade.parallel.worker_init`): they only write figure files, so they draw with
    Agg (never a display)."""
    import matplotlib

    matplotlib.use("Agg")


def discover_tolerant() -> dict[str, str]:
    """Import every experiment module; a module that fails to import is recorded (module name ->
    error message) instead of aborting the run (its statements then show the error)."""
    import pkgutil

    import metacascade.claims as pkg

    errors: dict[str, str] = {}
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("_") or mod.name in ("base", "statements", "runner"):
            continue
        try:
            importlib.import_module(f"metacascade.claims.{mod.name}")
        except Exception as exc:
            errors[mod.name] = f"{type(exc).__name__}: {exc}"
    return errors


def _import_error_verdict(v: Verdict, errors: dict[str, str]) -> Verdict:
    """A statement without an experiment while some experiment module failed to import: the
    statement may belong to that module, so say so instead of claiming it is not modelled."""
    if v.status != "not yet modelled":
        return v
    mods = [m for m in errors
            if (hit := re.match(r"s(\d+)_", m.lower())) and int(hit.group(1)) == int(v.id[1:])]
    if not mods:
        return v
    msg = "; ".join(f"module claims/{m}.py failed to import: {errors[m]}" for m in mods)
    return Verdict(id=v.id, status="error", summary=msg, experiment=mods[0])


def _workers(parallel: int | None, n_jobs: int) -> int:
    if parallel is None:
        parallel = min(os.cpu_count() or 1, 4)
    return max(1, min(parallel, n_jobs))


def run_claims(
    only: str | Iterable[str] | None = None,
    out_dir: str | Path | OutputFolder | None = None,
    quick: bool = False,
    seed: int = 0,
    *,
    parallel: int | None = None,
    executor: Executor | None = None,
    html: bool = True,
    force: bool = False,
) -> list[Verdict]:
    """Run the experiments for the selected statements (all of S1..S18 by default).

    Parameters
    ----------
    only : str or iterable of str, optional
        Statement ids (``"S13,S15"`` or a list); default all.
    out_dir : str, Path or OutputFolder, optional
        The output folder for figures, ``claims.json`` and ``claims.html`` (nothing is kept
        when None). It is written by :class:`metacascade.result.writer.OutputFolder`: checked
        first, filled in a hidden temporary folder and swapped in only when every experiment has
        finished, so no half-written output is left; an existing folder is replaced only when it
        is a metacascade claims output (or ``force``).
    quick : bool
        Smaller samples (a check in seconds, used by the tests).
    seed : int
        Seed of the random number generator, passed to every experiment (same seed, same
        verdicts).
    parallel : int, optional
        Number of worker processes (default: CPU count, at most 4); 1 runs in-process.
    executor : Executor, optional
        An executor of :mod:`metacascade.parallel` (serial, processes or dask) to use instead of
        a new process pool; the verdicts do not depend on it.
    html : bool
        Also write ``claims.html`` (the self-contained report) into ``out_dir``.
    force : bool
        Replace an existing ``out_dir`` that is not a claims output.

    Returns
    -------
    list of Verdict
        One verdict per selected statement, in statement order. Ctrl-C stops the worker
        processes at once (pending experiments are cancelled) and leaves no output.

    Raises
    ------
    MetacascadeError
        An unknown statement id.

    Examples
    --------
    >>> import metacascade as mc
    >>> verdicts = mc.run_claims("S13", quick=True, parallel=1)     # doctest: +SKIP
    >>> [(v.id, v.status) for v in verdicts]                         # doctest: +SKIP
    """
    ids = parse_only(only)
    target = None
    if out_dir is not None:
        target = out_dir if isinstance(out_dir, OutputFolder) else \
            OutputFolder(out_dir, "claims", force=force)
    import_errors = discover_tolerant()
    exps: list[Experiment] = []
    for i in ids:
        exp = REGISTRY.get(i)
        if exp is not None and exp not in exps:
            exps.append(exp)

    started = datetime.now(UTC)
    saved: list[ClaimsResult] = []  # the result, made once the experiments have run
    with contextlib.ExitStack() as stack:
        if target is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metacascade-claims-")))
        else:  # figures, claims.json and claims.html: one atomic commit with the provenance
            tmp = stack.enter_context(target.writing(lambda: saved[0].provenance))
        ctx = Context(out_dir=tmp, quick=quick, seed=seed)
        verdicts = _run_experiments(exps, ids, ctx, parallel, executor)
        if import_errors:
            verdicts = [_import_error_verdict(v, import_errors) for v in verdicts]
        if target is not None:
            doc = claims_document(verdicts, seed=seed, quick=quick, created=started,
                                  seconds=(datetime.now(UTC) - started).total_seconds())
            saved.append(ClaimsResult(doc, ids=ids))
            saved[0].write_into(tmp)
            if html:
                from metacascade.report import write_claims_html

                write_claims_html(saved[0].document, tmp, tmp / CLAIMS_HTML)
    return verdicts


def _run_experiments(exps: list[Experiment], ids: list[str], ctx: Context,
                     parallel: int | None, executor: Executor | None) -> list[Verdict]:
    """One verdict per id, in order; experiments in-process or on an executor."""
    results: dict[str, Verdict] = {}
    n = _workers(parallel, len(exps))
    if executor is None and n <= 1:
        answers = [_call(exp, ctx) for exp in exps]
    else:
        tasks = [(exp.func.__module__, exp.func.__qualname__, exp.ids, exp.title, ctx)
                 for exp in exps]
        ex = executor if executor is not None else ProcessExecutor(n, initializer=_use_agg)
        try:
            answers = list(ex.map(_run_task, tasks))
        except Exception as exc:  # a worker process itself died (killed, out of memory)
            answers = [_error_verdicts(exp.ids, f"{type(exc).__name__}: {exc}", exp.name, 0.0)
                       for exp in exps]
        finally:  # Ctrl-C: the executor has already stopped its workers (nothing to wait for)
            if executor is None:
                ex.close()
    for exp, got in zip(exps, answers, strict=True):
        for v in got:
            if REGISTRY.get(v.id) is exp:  # a shared experiment answers for its own ids
                results[v.id] = v
    return [results.get(i) or Verdict.not_modelled(i, NOT_MODELLED_REASON) for i in ids]


def claims_document(verdicts: Sequence[Verdict], *, seed: int, quick: bool,
                    created: datetime | None = None, seconds: float | None = None
                    ) -> dict[str, Any]:
    """The ``claims.json`` content: ``{"version", "seed", "quick", "schema", "created",
    "claims": [...]}`` (and ``"seconds"``). Each claim has the keys of :meth:`Verdict.to_json`:
    ``measured`` and ``targets`` (name -> number, non-finite as null), ``tolerances`` (name ->
    text), and ``calibration``, ``validation``, ``checks``, ``sensitivity``, ``quick_undecided``."""
    claims = []
    for v in verdicts:
        d = v.to_json()
        d["measured"] = {k: float(x) for k, x in v.measured.items()}
        d["targets"] = {k: float(x) for k, x in v.targets.items()}
        claims.append(jsonio.plain(d))
    doc: dict[str, Any] = {
        "version": __version__,
        "seed": seed,
        "quick": quick,
        "schema": SCHEMA_VERSION,
        "created": (created or datetime.now(UTC)).isoformat(timespec="seconds"),
        "claims": claims,
    }
    if seconds is not None:
        doc["seconds"] = round(seconds, 3)
    return doc


def all_reproduced(verdicts: Iterable[Verdict]) -> bool:
    """True when every modelled claim is reproduced (``not yet modelled`` does not count; an
    ``illustrated`` claim is not reproduced: no independent number tests it)."""
    return all(v.status in ("reproduced", "not yet modelled") for v in verdicts)
