"""The vectorised batch path against one-patient simulations (a second evaluation path)."""

import numpy as np
import pytest

import metacascade as mc


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
