"""The vectorised batch path against one-patient simulations (a second evaluation path)."""

import numpy as np
import pytest

import metacascade as mc
from metacascade.parallel import ProcessExecutor, SerialExecutor


def test_batch_equals_individual_runs():
    rng = np.random.default_rng(1)
    scenarios = [
        mc.load_scenario("breast", [f"dissemination.mu={mu}", f"primary.rate_per_day={a}",
                                    "simulation.duration_days=3000"])
        for mu, a in zip(10 ** rng.uniform(-12.5, -10.5, 7), rng.uniform(5e-4, 9e-4, 7),
                         strict=True)
    ]
    ds, events = mc.simulate_batch(scenarios, chunk=3)
    for p, s in enumerate(scenarios):
        r = mc.simulate(s, size_times=[])
        for name in ("n_metastases", "metastatic_burden_cells", "n_visible", "primary_cells"):
            a, b = ds[name].isel(patient=p).values, r.timeseries[name].values
            big = np.abs(b) > 1e-12 * np.abs(b).max()
            np.testing.assert_allclose(a[big], b[big], rtol=1e-6, err_msg=name)
        for key in ("detection_day", "first_metastasis_day", "n_metastases_at_detection",
                    "burden_at_detection_cells"):
            expected = r.summary[key]
            got = events.loc[p, key]
            if expected is None:
                assert got is None or np.isnan(got)
            else:
                assert got == pytest.approx(expected, rel=1e-6)


def _scenarios(n, seed=3, days=1500):
    rng = np.random.default_rng(seed)
    return [mc.load_scenario("breast", [f"dissemination.mu={mu}", f"primary.rate_per_day={a}",
                                        f"simulation.duration_days={days}"])
            for mu, a in zip(10 ** rng.uniform(-12, -10, n), rng.uniform(6e-4, 1.5e-3, n),
                             strict=True)]


def test_batch_same_numbers_whatever_the_chunks_and_workers():
    """A patient's series do not depend on its batch-mates, the chunk size or the number of
    processes (bit for bit): the cohort width and FFT block are fixed for the whole batch."""
    scenarios = _scenarios(9)
    ds1, ev1 = mc.simulate_batch(scenarios, chunk=9)
    for chunk, workers in ((2, 1), (4, 2), (1, 2)):
        ds, ev = mc.simulate_batch(scenarios, chunk=chunk, workers=workers)
        for name in ds1.data_vars:
            assert np.array_equal(ds[name].values, ds1[name].values), (name, chunk, workers)
        assert ev.equals(ev1)
    for ex in (SerialExecutor(), ProcessExecutor(3)):  # an executor given by the caller
        ds, ev = mc.simulate_batch(scenarios, chunk=2, executor=ex)
        for name in ds1.data_vars:
            assert np.array_equal(ds[name].values, ds1[name].values), (name, ex.name)
        assert ev.equals(ev1)


def test_batch_rejects_mixed_grids_and_bad_options():
    a, b = _scenarios(2)
    b = mc.load_scenario(b, ["simulation.output_step_days=2"])
    with pytest.raises(mc.MetacascadeError, match="output_step_days"):
        mc.simulate_batch([a, b])
    with pytest.raises(mc.MetacascadeError, match="workers = 0"):
        mc.simulate_batch([a], workers=0)
    with pytest.raises(mc.MetacascadeError, match="no scenarios"):
        mc.simulate_batch([])
