"""Same seed, same cohort: serial, 1 and 2 processes, a Dask LocalCluster, and a lost worker;
the shared-memory map of the process executor and its worker set-up."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest

from metacascade.cohort import simulate_cohort
from metacascade.errors import MetacascadeError
from metacascade.parallel import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    batches,
    make_executor,
)
from metacascade.scenario import load_scenario
from metacascade.streams import patient_stream

N = 240


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("breast", ["simulation.duration_days=5000", "dissemination.mu=1e-11"])


@pytest.fixture(scope="module")
def reference(scenario):
    return simulate_cohort(scenario, N, seed=7, executor=SerialExecutor(), batch_size=N).patients


def test_patient_stream_is_spawn_child():
    child = np.random.SeedSequence(7).spawn(5)[3]
    a = np.random.Generator(np.random.PCG64(child)).random(4)
    assert np.array_equal(a, patient_stream(7, 3).random(4))


def test_batches_cover_range():
    assert batches(10, 4) == [(0, 4), (4, 8), (8, 10)]


def test_batch_size_does_not_change_the_cohort(scenario, reference):
    other = simulate_cohort(scenario, N, seed=7, executor=SerialExecutor(), batch_size=37)
    pd.testing.assert_frame_equal(other.patients, reference, check_exact=True)
    assert reference["relapse_day"].notna().sum() > 10  # the comparison covers relapses


@pytest.mark.parametrize("workers", [1, 2])
def test_processes_identical(scenario, reference, workers):
    with ProcessExecutor(workers) as ex:
        got = simulate_cohort(scenario, N, seed=7, executor=ex, batch_size=50).patients
    pd.testing.assert_frame_equal(got, reference, check_exact=True)


def test_other_seed_differs(scenario, reference):
    other = simulate_cohort(scenario, N, seed=8, executor=SerialExecutor(), batch_size=N).patients
    assert not other["diagnosis_day"].equals(reference["diagnosis_day"])


@pytest.mark.slow
def test_dask_local_cluster_and_lost_worker(scenario, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ex = make_executor("dask", scheduler=client)
        got = simulate_cohort(scenario, N, seed=7, executor=ex, batch_size=40).patients
        pd.testing.assert_frame_equal(got, reference, check_exact=True)

        pids = client.run(os.getpid)
        killed: list[int] = []

        def kill_one(_: int) -> None:
            if not killed:  # after the first finished task, kill a worker process
                pid = next(iter(pids.values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        big = simulate_cohort(scenario, 4 * N, seed=7, executor=ex, batch_size=20,
                              progress=kill_one).patients
        assert killed
        pd.testing.assert_frame_equal(big.iloc[:N].reset_index(drop=True), reference,
                                      check_exact=True)
        assert len(big) == 4 * N and big["patient"].tolist() == list(range(4 * N))


def test_many_metastases_batch_independent():
    """Untreated, high dissemination: >48 metastases per patient (deterministic remainder) and
    batch-dependent widths must still give identical tables."""
    sc = load_scenario("breast", ["simulation.duration_days=5000", "dissemination.mu=1e-9",
                                  "treatment.resection_at_detection=false"])
    a = simulate_cohort(sc, 60, seed=3, batch_size=60).patients
    b = simulate_cohort(sc, 60, seed=3, batch_size=7).patients
    assert (a["n_metastases"] == 48).any()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# ---- the shared-memory map and the workers' set-up ----------------------------------------

def _fill(context: dict, out: dict, task: tuple[int, int]) -> tuple[int, int, int]:
    """Writes task rows [a, b) of ``out`` from the context's generator seed (and reports where it
    ran); ``context`` holds a lock, which cannot be pickled: it must arrive through fork."""
    a, b = task
    assert isinstance(context["lock"], type(threading.Lock()))
    for i in range(a, b):
        out["x"][i] = patient_stream(context["seed"], i).random(out["x"].shape[1])
        out["y"][i] = i
    return a, os.getpid(), int(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)


def _mark() -> None:
    os.environ["METACASCADE_TEST_INIT"] = "done"


def _env(_: int) -> tuple[str | None, bool]:
    return os.environ.get("METACASCADE_TEST_INIT"), signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_map_shared_same_bits_serial_and_forked_workers():
    context = {"seed": 11, "lock": threading.Lock()}
    tasks = batches(23, 4)
    arrays = {"x": (23, 5), "y": (23,)}
    ref, ref_out = SerialExecutor().map_shared(_fill, tasks, arrays, context)
    assert [r[1] for r in ref] == [os.getpid()] * len(tasks)  # in this process
    for workers in (1, 2, 3):
        got, out = ProcessExecutor(workers).map_shared(_fill, tasks, arrays, context)
        assert [r[0] for r in got] == [a for a, _ in tasks]  # task order
        for name in arrays:
            assert out[name].shape == arrays[name]
            assert np.array_equal(out[name], ref_out[name]), (name, workers)
        pids = {r[1] for r in got}
        if workers > 1:  # forked workers that leave Ctrl-C to this process
            assert os.getpid() not in pids and all(r[2] for r in got)
        else:
            assert pids == {os.getpid()}
    assert np.array_equal(ref_out["y"], np.arange(23.0))


def test_map_shared_refused_on_dask_and_failures_propagate():
    ex = DaskExecutor.__new__(DaskExecutor)  # no cluster needed to be refused
    with pytest.raises(MetacascadeError, match="dask"):
        ex.map_shared(_fill, [(0, 1)], {"x": (1, 1)})
    with pytest.raises(AssertionError):  # the lock is missing: the task fails in the worker
        ProcessExecutor(2).map_shared(_fill, batches(4, 1), {"x": (4, 2), "y": (4,)},
                                      {"seed": 1, "lock": None})


def test_extra_initializer_runs_after_worker_init():
    with make_executor("processes", workers=2, initializer=_mark) as ex:
        got = ex.map(_env, range(4))
    assert got == [("done", True)] * 4
    assert "METACASCADE_TEST_INIT" not in os.environ  # only in the workers
