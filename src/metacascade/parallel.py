"""Executors for many independent simulations: serial, a local process pool, or a Dask cluster.

Work is cut into *batches* (one task = many patients) by the caller; an executor only maps a
picklable function over a list of task arguments and returns the results in task order, calling
``progress(k)`` as tasks finish. Random numbers never come from a worker's state: every patient gets
its own stream ``numpy.random.SeedSequence(seed, spawn_key=(i,))`` (the i-th child of
``SeedSequence(seed).spawn``), so the same seed gives the same cohort whatever the executor, the
number of workers and the batch size.

Dask (``metacascade[cluster]`` = ``dask[distributed]``) is imported only when used; a lost worker
is handled by the scheduler (its tasks are recomputed elsewhere, ``retries`` extra attempts).

Ctrl-C: worker processes ignore SIGINT (only the main process sees it, so the terminal gets one
message instead of a traceback per worker); when ``map`` is interrupted, or anything else goes
wrong in it, the pending tasks are cancelled and the workers are stopped at once
(:func:`shutdown_now`) instead of being waited for.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Literal, Protocol, TypeVar

import numpy as np

from metacascade._memory import keep_freed_memory
from metacascade.errors import MetacascadeError

T = TypeVar("T")
R = TypeVar("R")
ExecutorName = Literal["serial", "processes", "dask"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "dask")


def worker_init() -> None:
    """Initializer of our worker processes: leave Ctrl-C to the main process (which stops the
    workers) and keep freed memory for reuse (:func:`keep_freed_memory`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()


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

    def close(self) -> None:
        return None

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor:
    """A local pool of ``workers`` processes (default: the number of cores)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = int(workers) if workers else (os.cpu_count() or 1)
        if self.workers < 1:
            raise MetacascadeError(f"--workers = {workers}: must be at least 1")
        self._pool: ProcessPoolExecutor | None = None

    def _get(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=worker_init)
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

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
                  scheduler: str | None = None) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor named ``kind`` (``serial``, ``processes`` or ``dask``)."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise MetacascadeError(f"--executor {kind!r}: unknown; choose one of {', '.join(EXECUTORS)}")


def patient_stream(seed: int, index: int) -> np.random.Generator:
    """The random generator of patient ``index``: the ``index``-th child of ``SeedSequence(seed)``
    (identical to ``SeedSequence(seed).spawn(index + 1)[index]``)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def batches(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Half-open index ranges ``[start, stop)`` covering ``range(n)`` in chunks of ``batch_size``."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [(s, min(s + batch_size, n)) for s in range(0, n, batch_size)]
