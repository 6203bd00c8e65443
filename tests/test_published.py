"""Published numbers: Iwata 2000 (science.md §1.1) and Benzekry 2021 neuroblastoma (§1.4)."""

import numpy as np
import pytest

import metacascade as mc
from metacascade.engines.organism import patients_from_scenarios, solve


@pytest.fixture(scope="module", params=[False, True], ids=["primary-only", "secondary"])
def iwata(request):
    s = mc.load_scenario("iwata-hcc", [f"dissemination.secondary={str(request.param).lower()}"])
    pat = patients_from_scenarios([s])
    return request.param, pat, solve(pat, 2200, 1.0, request.param)


def test_iwata_diagnosis_time(iwata):
    _, pat, _ = iwata
    assert pat.detection_day()[0] == pytest.approx(654.1, abs=0.05)


def test_iwata_number_at_diagnosis_and_639_days_later(iwata):
    # N(654 d) = 6.85 / 6.87; N(654 + 639 d) = 202.2 / 359.3 (primary-only / with secondary)
    secondary, pat, sol = iwata
    t_d = pat.detection_day()[0]
    n_d = sol.at(t_d)["n_metastases"][0]
    n_later = sol.at(t_d + 639)["n_metastases"][0]
    if secondary:
        assert n_d == pytest.approx(6.87, abs=0.005)
        assert n_later == pytest.approx(359.3, abs=0.05)
    else:
        assert n_d == pytest.approx(6.85, abs=0.005)
        assert n_later == pytest.approx(202.2, abs=0.05)


def test_iwata_malthusian_rate_with_secondary_dissemination():
    # The colony birth rate grows at lambda ~ 0.00572/day over days 1654-2154 (simulated, §1.1)
    s = mc.load_scenario("iwata-hcc")
    r = mc.simulate(s)
    ts = r.timeseries
    b = ts["birth_rate_per_day"].sel(time_days=[1654.0, 2154.0]).values
    rate = np.log(b[1] / b[0]) / 500.0
    assert rate == pytest.approx(0.00572, abs=0.00005)


# Published fitted parameters of three patients (df_fit_indiv.csv) and the numbers of §1.4.
PATIENTS = [
    # id, primary volume cm3, mu, visible threshold mm, T_diag, N_vis, LDH from exact M
    (1, 1142.8590474984067, 3.0321405e-4, 3.3564731, 80.1, 50.50, 1170.6),
    (2, 824.6680715673207, 3.6405262e-2, 15.472636, 79.2, 44.56, 3201.5),
    (8, 10.263583199277853, 1.1617631, 12.573282, 66.5, 29.71, 803.4),
]


@pytest.mark.parametrize("pid,vol,mu,vis,t_diag,n_vis,ldh", PATIENTS, ids=lambda x: str(x))
def test_neuroblastoma_patients(pid, vol, mu, vis, t_diag, n_vis, ldh):
    over = [f"dissemination.mu={mu}", f"detection.visible_diameter_mm={vis}",
            f"detection.primary_cells={vol * 1e9}"]
    r = mc.simulate(mc.load_scenario("neuroblastoma", over))
    s = r.summary
    assert s["detection_day"] == pytest.approx(t_diag, abs=0.06)
    assert s["n_visible_at_detection"] == pytest.approx(n_vis, abs=0.006)
    phi = 1e-9  # UI/L per cell
    total = s["burden_at_detection_cells"] + s["primary_cells_at_detection"]
    assert phi * total == pytest.approx(ldh, abs=0.06)


def test_burden_is_not_read_one_step_late():
    """The public model.py reads fftconvolve(f, g)[num], one grid step past T (+2-3 %).
    Here M(T) must equal the closed form mu T e^(alpha T) (gamma = 1, equal rates)."""
    rate, mu = np.log(2) / 2.0, 3.0321405e-4
    r = mc.simulate(mc.load_scenario("neuroblastoma"))
    t = r.summary["detection_day"]
    exact = mu * t * np.exp(rate * t)
    assert r.summary["burden_at_detection_cells"] == pytest.approx(exact, rel=1e-9)
    one_step_late = mu * (t + 0.01) * np.exp(rate * (t + 0.01))
    assert abs(r.summary["burden_at_detection_cells"] / one_step_late - 1) > 3e-3
