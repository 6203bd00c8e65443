"""Executors for many independent simulations: serial, a local process pool, or a Dask cluster.

Work is cut into *batches* (one task = many patients) by the caller; an executor only maps a
picklable function over a list of task arguments and returns the results in task order, calling
``progress(k)`` as tasks finish. Random numbers never come from a worker's state: every patient gets
its own stream ``numpy.random.SeedSequence(seed, spawn_key=(i,))`` (the i-th child of
``SeedSequence(seed).spawn``), so the same seed gives the same cohort whatever the executor, the
number of workers and the batch size.

Dask (``metacascade[cluster]`` = ``dask[distributed]``) is imported only when used; a lost worker
is handled by the scheduler (its tasks are recomputed elsewhere, ``retries`` extra attempts).

Shared memory (:meth:`ProcessExecutor.map_shared`): for results too large to pickle (the
(patients x days) series of :func:`metacascade.simulate_batch`, gigabytes for 10,000 patients),
the output arrays are allocated in anonymous shared memory (``mmap``) before the workers are
forked; the workers write their rows straight into them and only small per-task values travel
back. The read-only ``context`` is inherited through ``fork`` too (never pickled). Where ``fork``
is unavailable (Windows, the macOS default) the map runs serially in the calling process.

Ctrl-C: worker processes ignore SIGINT (only the main process sees it, so the terminal gets one
message instead of a traceback per worker); when ``map`` is interrupted, or anything else goes
wrong in it, the pending tasks are cancelled and the workers are stopped at once
(:func:`shutdown_now`) instead of being waited for.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import mmap
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from metacascade._memory import keep_freed_memory
from metacascade.errors import MetacascadeError

T = TypeVar("T")
R = TypeVar("R")
Array = npt.NDArray[np.float64]
ExecutorName = Literal["serial", "processes", "dask"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")
#: ``fn(context, out, task)`` of :meth:`ProcessExecutor.map_shared`: writes into the arrays ``out``.
SharedFn = Callable[[Any, dict[str, Array], Any], R]


def worker_init(extra: Callable[[], object] | None = None) -> None:
    """Initializer of our worker processes: leave Ctrl-C to the main process (which stops the
    workers) and keep freed memory for reuse (:func:`keep_freed_memory`); then ``extra()`` (a
    caller's own set-up, e.g. the claims runner's Agg backend)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()
    if extra is not None:
        extra()


# ---- shared memory ------------------------------------------------------------------------


def _mapped_array(shape: tuple[int, ...], flags: int | None = None) -> Array:
    """A float64 array on an anonymous memory map (``flags`` None: shared with forked children)."""
    n = int(np.prod(shape))
    size = max(8 * n, 8)
    buf = mmap.mmap(-1, size) if flags is None else mmap.mmap(-1, size, flags=flags)
    return np.frombuffer(buf, dtype=np.float64, count=n).reshape(shape)


def shared_array(shape: tuple[int, ...]) -> Array:
    """A float64 array in anonymous shared memory: written by forked children, seen by the parent."""
    return _mapped_array(shape)


def prefaulted_array(shape: tuple[int, ...]) -> Array:
    """A float64 array of this process whose pages the kernel maps in one go (``MAP_POPULATE``,
    Linux; elsewhere ``numpy.empty``).

    The series of a large batch are gigabytes; touching fresh pages one fault at a time (and
    numpy's transparent-huge-page advice, which can stall on compaction) cost up to 5 s for
    10,000 patients on our 2-core VMs, against 0.7-0.9 s when populated at once."""
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if not populate:
        return np.empty(shape)
    return _mapped_array(shape, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)


# What a shared map's forked workers inherit (set in the parent just before they fork, never
# pickled); one shared map at a time per process.
_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


def _shared_task(task: Any) -> Any:
    return _SHARED["fn"](_SHARED["context"], _SHARED["out"], task)


def _serial_shared(fn: SharedFn[R], tasks: Sequence[Any], arrays: Mapping[str, tuple[int, ...]],
                   context: Any, progress: Callable[[int], None] | None
                   ) -> tuple[list[R], dict[str, Array]]:
    out = {name: prefaulted_array(tuple(shape)) for name, shape in arrays.items()}
    results: list[R] = []
    for t in tasks:
        results.append(fn(context, out, t))
        if progress is not None:
            progress(1)
    return results, out


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while child processes are started (they keep ignoring it)."""
    try:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def shutdown_now(pool: concurrent.futures.Executor, grace: float = 0.5) -> None:
    """Stop a pool without waiting for its tasks: cancel what has not started, then terminate the
    worker processes of a :class:`ProcessPoolExecutor` (killed when still alive after ``grace``
    seconds). Used when a run is interrupted; a normal end uses ``shutdown()``."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(grace)
        if p.is_alive():
            p.kill()
            p.join(grace)


class Executor(Protocol):
    """Maps ``fn`` over ``tasks``; results come back in task order."""

    name: str

    def map(self, fn: Callable[[Any], R], tasks: Sequence[Any],
            progress: Callable[[int], None] | None = None) -> list[R]: ...

    def map_shared(self, fn: SharedFn[R], tasks: Sequence[Any],
                   arrays: Mapping[str, tuple[int, ...]], context: Any = None,
                   progress: Callable[[int], None] | None = None
                   ) -> tuple[list[R], dict[str, Array]]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Run every task in this process, one after another (reference for the others)."""

    name = "serial"
    workers = 1

    def map(self, fn: Callable[[Any], R], tasks: Sequence[Any],
            progress: Callable[[int], None] | None = None) -> list[R]:
        out: list[R] = []
        for t in tasks:
            out.append(fn(t))
            if progress is not None:
                progress(1)
        return out

    def map_shared(self, fn: SharedFn[R], tasks: Sequence[Any],
                   arrays: Mapping[str, tuple[int, ...]], context: Any = None,
                   progress: Callable[[int], None] | None = None
                   ) -> tuple[list[R], dict[str, Array]]:
        """``[fn(context, out, t) for t in tasks]`` and ``out``: float64 arrays of the given shapes
        (uninitialised; ``fn`` fills them), see :meth:`ProcessExecutor.map_shared`."""
        return _serial_shared(fn, tasks, arrays, context, progress)

    def close(self) -> None:
        return None

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor:
    """A local pool of ``workers`` processes (default: the number of cores). Every worker runs
    :func:`worker_init` (Ctrl-C left to the main process, freed memory kept), then
    ``initializer()`` when given (a module-level function)."""

    name = "processes"

    def __init__(self, workers: int | None = None,
                 initializer: Callable[[], object] | None = None) -> None:
        self.workers = int(workers) if workers else (os.cpu_count() or 1)
        if self.workers < 1:
            raise MetacascadeError(f"--workers = {workers}: must be at least 1")
        self.initializer = initializer
        self._pool: ProcessPoolExecutor | None = None

    def _get(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=worker_init,
                                             initargs=(self.initializer,))
        return self._pool

    def map(self, fn: Callable[[Any], R], tasks: Sequence[Any],
            progress: Callable[[int], None] | None = None) -> list[R]:
        pool = self._get()
        try:
            futures = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
            out: list[Any] = [None] * len(tasks)
            for fut in as_completed(futures):
                out[futures[fut]] = fut.result()
                if progress is not None:
                    progress(1)
        except BaseException:  # Ctrl-C or a failed task: do not wait for the others
            self._pool = None
            shutdown_now(pool)
            raise
        return out

    def map_shared(self, fn: SharedFn[R], tasks: Sequence[Any],
                   arrays: Mapping[str, tuple[int, ...]], context: Any = None,
                   progress: Callable[[int], None] | None = None
                   ) -> tuple[list[R], dict[str, Array]]:
        """Run ``fn(context, out, task)`` for every task on forked workers writing into shared
        memory; returns the results in task order and ``out``.

        ``out`` maps each name of ``arrays`` to a float64 array of that shape, allocated in
        anonymous shared memory (:func:`shared_array`) before the workers fork; ``fn`` (a
        module-level function) writes its task's part into it. ``out`` and ``context`` reach the
        workers through ``fork`` and are never pickled; each task and each result is. The workers
        are started for this call (they must see ``out``) and stopped after it. With one worker or
        one task, or without ``fork``, the map runs in this process (the arrays are then private
        and pre-faulted, :func:`prefaulted_array`). The numbers do not depend on the path taken."""
        n = min(self.workers, len(tasks))
        if n < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return _serial_shared(fn, tasks, arrays, context, progress)
        out = {name: shared_array(tuple(shape)) for name, shape in arrays.items()}
        results: list[R] = []
        with _SHARED_LOCK:
            _SHARED.update(fn=fn, context=context, out=out)
            try:
                pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"),
                                           initializer=worker_init, initargs=(self.initializer,))
                try:
                    for r in pool.map(_shared_task, tasks, chunksize=max(1, len(tasks) // (8 * n))):
                        results.append(r)
                        if progress is not None:
                            progress(1)
                except BaseException:  # Ctrl-C or a failed task: do not wait for the others
                    shutdown_now(pool)
                    raise
                pool.shutdown()
            finally:
                _SHARED.clear()
        return results, out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The ``-W`` filter the resource tracker starts with (see :func:`_quiet_resource_tracker`).
_TRACKER_FILTER = "ignore::UserWarning:multiprocessing.resource_tracker"


def _quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (a separate process, launched with this
    interpreter's ``-W`` options) without its "leaked semaphore" warnings: after a Ctrl-C has
    terminated a LocalCluster's workers it reports their semaphores as leaked and then removes
    them, two lines of noise after the one line ``interrupted``. Nothing else is filtered."""
    if _TRACKER_FILTER not in sys.warnoptions:
        sys.warnoptions.append(_TRACKER_FILTER)


class DaskExecutor:
    """Tasks on a Dask distributed cluster: ``scheduler`` is an address (``tcp://host:8786``) or an
    existing ``distributed.Client``; without one a ``LocalCluster`` of ``workers`` processes is
    started (and stopped on :meth:`close`)."""

    name = "dask"

    def __init__(self, scheduler: Any = None, workers: int | None = None, retries: int = 3) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the installation
            raise MetacascadeError(
                "the dask executor needs the optional dependency: pip install 'metacascade[cluster]'"
            ) from None
        self.retries = retries
        self._interrupted = False
        self._before: set[Any] | None = None  # our child processes before a LocalCluster started
        self._own: list[Any] = []
        if scheduler is not None and not isinstance(scheduler, str):
            self.client = scheduler
        elif scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise MetacascadeError(f"--scheduler {scheduler!r}: cannot connect ({exc})") from None
            self._own.append(self.client)
        else:
            before = set(multiprocessing.active_children())
            _quiet_resource_tracker()
            with _sigint_ignored():  # the worker processes inherit it: Ctrl-C is ours to handle
                cluster = LocalCluster(n_workers=workers or (os.cpu_count() or 1),
                                       threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            self._before = before
            self.client = Client(cluster)
            self._own += [self.client, cluster]
        self.workers = len(self.client.scheduler_info().get("workers", {})) or (workers or 1)

    def map(self, fn: Callable[[Any], R], tasks: Sequence[Any],
            progress: Callable[[int], None] | None = None) -> list[R]:
        from distributed import as_completed as dask_completed

        futures = self.client.map(fn, list(tasks), pure=False, retries=self.retries)
        try:
            index = {f.key: i for i, f in enumerate(futures)}
            out: list[Any] = [None] * len(tasks)
            for fut in dask_completed(futures):
                out[index[fut.key]] = fut.result()
                if progress is not None:
                    progress(1)
        except BaseException:  # Ctrl-C or a failed task: cancel what is still queued
            self._interrupted = True
            if self._before is None:  # a cluster we do not own: leave it clean for others
                self._cancel(futures)
            raise
        return out

    def map_shared(self, fn: SharedFn[R], tasks: Sequence[Any],
                   arrays: Mapping[str, tuple[int, ...]], context: Any = None,
                   progress: Callable[[int], None] | None = None
                   ) -> tuple[list[R], dict[str, Array]]:
        """Not available: shared memory needs local processes (serial or processes executor)."""
        raise MetacascadeError("--executor dask: this computation writes into shared memory and "
                               "runs on the serial or processes executor only")

    def _cancel(self, futures: list[Any]) -> None:
        with contextlib.suppress(Exception):  # the cluster may already be gone
            self.client.cancel(futures, force=True)

    def close(self) -> None:
        """Close what this executor started; after an interruption within about a second (the
        processes of our own LocalCluster are then terminated instead of waited for)."""
        if not self._interrupted:
            for obj in self._own:
                obj.close()
            self._own = []
            return
        logging.getLogger("distributed").setLevel(logging.CRITICAL)  # no teardown noise
        self._terminate_local_workers()
        for obj in self._own:
            with contextlib.suppress(Exception):
                obj.close(timeout=0.5)
            if hasattr(obj, "shutdown_on_close"):  # do not wait again for it at exit
                obj.shutdown_on_close = False
        self._own = []
        self._terminate_local_workers()  # a nanny may have restarted one meanwhile

    def _terminate_local_workers(self) -> None:
        if self._before is None:
            return
        procs = [p for p in multiprocessing.active_children() if p not in self._before]
        for p in procs:
            p.terminate()
        for p in procs:
            p.join(0.5)
            if p.is_alive():
                p.kill()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(kind: str = "processes", workers: int | None = None,
                  scheduler: str | None = None, initializer: Callable[[], object] | None = None
                  ) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor named ``kind`` (``serial``, ``processes`` or ``dask``); ``initializer``: run
    once in every worker process of a ``processes`` executor (see :class:`ProcessExecutor`)."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers, initializer)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise MetacascadeError(f"--executor {kind!r}: unknown; choose one of {', '.join(EXECUTORS)}")


def batches(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Half-open index ranges ``[start, stop)`` covering ``range(n)`` in chunks of ``batch_size``."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
