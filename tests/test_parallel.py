"""Same seed, same cohort: serial, 1 and 2 processes, a Dask LocalCluster, and a lost worker."""

from __future__ import annotations

import os
import signal

import numpy as np
import pandas as pd
import pytest

from metacascade.cohort import simulate_cohort
from metacascade.parallel import (
    ProcessExecutor,
    SerialExecutor,
    batches,
    make_executor,
    patient_stream,
)
from metacascade.scenario import load_scenario

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
