"""The exact exponential fast path against the organism engine and the published numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from metacascade.inference.data import from_frame
from metacascade.inference.model import EnginePredictor, ExponentialPredictor, make_predictor
from metacascade.scenario import load_scenario

OBS = ["primary_cells", "metastatic_burden_cells", "visible_burden_cells", "n_metastases",
       "n_visible", "burden_marker", "total_cells"]


def one_subject(times: list[str], primary_cells: float | None = None,
                resection: str | None = None) -> pd.DataFrame:
    rows = [{"id": "p", "time": t, "observable": o, "value": 1.0} for t in times for o in OBS
            if not (t == "diagnosis" and o == "primary_cells")]
    if primary_cells is not None:
        rows.append({"id": "p", "time": "diagnosis", "observable": "primary_cells",
                     "value": primary_cells})
    if resection is not None:
        rows.append({"id": "p", "time": resection, "observable": "resection", "value": ""})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("overrides", "keys", "theta", "times", "resection"),
    [
        # the neuroblastoma model (gamma = 1, same rate), at diagnosis and after resection
        ([], ("dissemination.mu", "detection.visible_diameter_mm"), [3e-4, 3.4],
         ["diagnosis", "30", "95"], None),
        # gamma = 2/3, a different metastatic rate, resection at a given day
        (["metastasis.growth=exponential", "metastasis.rate_per_day=0.2",
          "metastasis.initial_cells=1"],
         ("dissemination.mu", "dissemination.gamma", "primary.rate_per_day"),
         [2e-3, 0.66, 0.3], ["10", "40.3", "70", "diagnosis"], "50"),
        # fitted metastatic rate and phi
        (["metastasis.growth=exponential", "metastasis.rate_per_day=0.4"],
         ("metastasis.rate_per_day", "marker.phi", "detection.visible_diameter_mm"),
         [0.25, 2e-9, 6.0], ["20", "60", "diagnosis"], "diagnosis"),
    ],
)
def test_fast_path_equals_engine(overrides: list[str], keys: tuple[str, ...],
                                 theta: list[float], times: list[str],
                                 resection: str | None) -> None:
    sc = load_scenario("neuroblastoma", overrides)
    data = from_frame(one_subject(times, 1e11, resection))
    fast = make_predictor(sc, data["p"], keys)
    eng = make_predictor(sc, data["p"], keys, engine="organism")
    assert isinstance(fast, ExponentialPredictor) and isinstance(eng, EnginePredictor)
    th = np.array([theta, [t * 1.3 for t in theta]])
    a, b = fast.predict(th), eng.predict(th)
    assert np.all(np.isfinite(a))
    # engine: Legendre cohort moments, relative error ~1e-8 here (see engines/_birth_cohorts)
    np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-9)
    np.testing.assert_allclose(fast.diagnosis_day(th), eng.diagnosis_day(th), rtol=1e-12)
    ts = np.array([0.0, 15.0, 33.3, 80.0])
    np.testing.assert_allclose(fast.curves(th, ts, ["n_visible", "burden_marker"]),
                               eng.curves(th, ts, ["n_visible", "burden_marker"]),
                               rtol=2e-6, atol=1e-9)


def test_closed_forms_against_quadrature() -> None:
    """N and M at day t by direct numerical integration (scipy.integrate.quad)."""
    from scipy.integrate import quad

    sc = load_scenario("neuroblastoma", ["metastasis.growth=exponential",
                                         "metastasis.rate_per_day=0.2"])
    data = from_frame(one_subject(["40"]))
    pred = make_predictor(sc, data["p"], ("dissemination.mu", "dissemination.gamma"))
    mu, g, a, b, t = 1e-3, 0.7, float(sc.primary.rate_per_day or 0), 0.2, 40.0
    out = dict(zip(OBS, pred.predict(np.array([[mu, g]]))[0], strict=True))
    n = quad(lambda s: mu * np.exp(g * a * s), 0, t)[0]
    m = quad(lambda s: mu * np.exp(g * a * s) * np.exp(b * (t - s)), 0, t)[0]
    assert out["n_metastases"] == pytest.approx(n, rel=1e-10)
    assert out["metastatic_burden_cells"] == pytest.approx(m, rel=1e-10)


@pytest.mark.parametrize(
    ("vp_cm3", "mu", "diam", "t_diag", "siopen", "ldh"),
    [  # science.md §1.4 table: T_diag, N_vis computed, exact LDH
        (1142.8590474984067, 3.0321405e-4, 3.3564731, 80.1, 50.50, 1170.6),
        (824.6680715673207, 3.6405262e-2, 15.472636, 79.2, 44.56, 3201.5),
    ],
)
def test_published_table(vp_cm3: float, mu: float, diam: float, t_diag: float, siopen: float,
                         ldh: float) -> None:
    df = pd.DataFrame([
        {"id": "p", "time": "diagnosis", "observable": "primary_volume_cm3", "value": vp_cm3},
        {"id": "p", "time": "diagnosis", "observable": "n_visible", "value": 1},
        {"id": "p", "time": "diagnosis", "observable": "burden_marker", "value": 1}])
    pred = make_predictor(load_scenario("neuroblastoma"), from_frame(df)["p"],
                          ("dissemination.mu", "detection.visible_diameter_mm"))
    th = np.array([[mu, diam]])
    assert pred.diagnosis_day(th)[0] == pytest.approx(t_diag, abs=0.05)
    n, l_ = pred.predict(th)[0]
    assert n == pytest.approx(siopen, abs=0.005)
    assert l_ == pytest.approx(ldh, abs=0.05)


def test_published_discretisation_bias() -> None:
    """The published burden (fftconvolve, element num) equals the exact one times e^(a T/1000);
    science.md §1.4 lists 1171.4 / 3267.7 / 821.9 for the csv values."""
    from metacascade.inference.reference import RATE, predict_published

    for vp, mu, d, ldh_csv in ((1142.8590474984067e9, 3.0321405e-4, 3.3564731, 1171.4),
                               (824.6680715673207e9, 3.6405262e-2, 15.472636, 3267.7)):
        _, ldh = predict_published(mu, d, vp)
        assert ldh == pytest.approx(ldh_csv, abs=0.05)
        t = np.log(vp) / RATE
        exact_m = mu * t * vp
        assert (ldh / 1e-9 - vp) / exact_m == pytest.approx(np.exp(RATE * t / 1000), rel=1e-6)
