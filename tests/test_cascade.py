"""The metastatic cascade: stochastic injection vs the exact Markov chain, published fates
(Luzzi 1998, Fidler 1970), the organism model with the cascade, and bad input."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import metacascade as mc
from metacascade.biology import cascade as cc
from metacascade.cli import app
from metacascade.engines.injection import FATE_COLUMNS, inject
from metacascade.engines.spread import effective_mu, solve_cascade

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _binomial_ok(observed, expected, n, z=5.0):
    sd = np.sqrt(np.maximum(expected * (1 - expected), 1.0 / n) / n)
    return np.abs(observed - expected) <= z * sd


@pytest.mark.parametrize("route", ["tail-vein", "portal-vein", "intracardiac"])
def test_stage_counts_match_the_exact_chain(route):
    """Every state at every time: binomial counts around the matrix-exponential expectation
    (fixed seed, 5 standard deviations)."""
    n = 200_000
    res = inject(n, route, 14.0, seed=11)
    exact = cc.expected_fates(cc.CascadeParameters(), route, res.fates["time_days"])
    for col in FATE_COLUMNS[1:]:
        ok = _binomial_ok(res.fates[col].to_numpy(), exact[col], n)
        assert ok.all(), (col, res.fates[col].to_numpy()[~ok], exact[col][~ok])


def test_fates_are_exclusive_and_sum_to_one():
    res = inject(50_000, "portal-vein", 14.0, seed=3)
    assert list(res.fates.columns) == FATE_COLUMNS
    np.testing.assert_allclose(res.fates[FATE_COLUMNS[1:]].sum(axis=1), 1.0, atol=1e-12)
    for t in (90 / 1440, 1.0, 3.0, 13.0):
        assert np.isclose(res.fates["time_days"], t).any()
    # same seed, same result; different seed, different result
    again = inject(50_000, "portal-vein", 14.0, seed=3)
    pd.testing.assert_frame_equal(res.fates, again.fates)
    assert not inject(50_000, "portal-vein", 14.0, seed=4).fates.equals(res.fates)


def test_arrest_distribution_is_a_probability():
    p = cc.CascadeParameters()
    for route in ("tail-vein", "portal-vein", "intracardiac", "lymph"):
        q = cc.arrest_distribution(p, route)
        assert q.min() >= 0 and math.isclose(q.sum(), 1.0, rel_tol=1e-12)
    names = list(p.organs)
    assert cc.arrest_distribution(p, "portal-vein").argmax() == names.index("liver")
    assert cc.arrest_distribution(p, "tail-vein").argmax() == names.index("lung")


def test_colonisation_probability_matches_the_chain_absorption():
    """Closed-form absorption probability vs the long-time limit of the matrix exponential."""
    p = cc.CascadeParameters(micrometastasis_death_rate_per_day=0.3, dormancy_escape_rate_per_day=0)
    q = cc.arrest_distribution(p, "portal-vein") * p.survival_probability
    pc = cc.colonisation_probability(cc.chain_rates(p), stem=True)
    closed = p.stem_fraction * float(np.sum(q * pc))
    chain = cc.expected_fates(p, "portal-vein", [5000.0])["macrometastasis"][0]
    assert chain == pytest.approx(closed, rel=1e-6)


# Published fates: targets and tolerances (the Luzzi values are [L] in science.md §4).
LUZZI = {  # name: (target, absolute tolerance)
    "liver_at_90min": (0.87, 0.03),
    "extravasated_day3": (0.83, 0.04),      # "> 80 %": also checked below
    "micrometastasis_day3": (0.0225, 0.0035),  # "2-2.5 %" plus sampling
    "dormant_day13": (0.36, 0.04),
}


def test_injection_reproduces_luzzi_1998():
    n = 1_000_000
    res = inject(n, "portal-vein", 14.0, seed=2024)
    f = res.fates.set_index("time_days")
    bo = res.by_organ
    t90 = 90 / 1440
    liver90 = bo[(bo.organ == "liver") & np.isclose(bo.time_days, t90)][list(cc.STAGES)].sum(1)
    out3 = f.loc[3.0, ["extravasated", "dormant_single", "micrometastasis", "macrometastasis"]]
    measured = {"liver_at_90min": float(liver90.iloc[0]),
                "extravasated_day3": float(out3.sum()),
                "micrometastasis_day3": float(f.loc[3.0, "micrometastasis"]),
                "dormant_day13": float(f.loc[13.0, "dormant_single"])}
    for k, (t, tol) in LUZZI.items():
        assert abs(measured[k] - t) <= tol, (k, measured[k], t)
    assert measured["extravasated_day3"] > 0.80
    # 0.02 % macroscopic tumours at day 13: within a factor 1.5 (about 200 tumours of 1e6 cells)
    macro13 = float(f.loc[13.0, "macrometastasis"])
    assert 0.0002 / 1.5 <= macro13 <= 0.0002 * 1.5
    assert res.summary["overall_efficiency"] < 1e-3  # S3


def test_injection_reproduces_fidler_1970():
    res = inject(500_000, "tail-vein", 14.0, seed=7)
    alive24 = 1.0 - float(res.fates.set_index("time_days").loc[1.0, "dead"])
    assert 0.01 / 1.5 <= alive24 <= 0.01 * 1.5
    assert res.summary["overall_efficiency"] < 1e-3


def test_stored_calibration_reproduces_its_targets():
    spec = importlib.util.spec_from_file_location("cal", ROOT / "scripts/calibrate_cascade.py")
    cal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cal)
    stored = json.loads((ROOT / "src/metacascade/biology/cascade_calibration.json").read_text())
    m = cal.measures(cal.parameters(stored["parameters"]))
    for k, (t, tol, scale) in cal.TARGETS.items():
        err = abs(m[k] - t) / tol if scale == "abs" else abs(math.log(m[k] / t)) / math.log1p(tol)
        assert err <= 1.0, (k, m[k], t)


# ---- the organism model with the cascade ---------------------------------------------------

def _cascade_scenario(extra=()):
    return mc.load_scenario("breast", ["dissemination.model=cascade",
                                       "simulation.duration_days=2500", *extra])


def test_cascade_equals_single_mu_when_the_product_is_mu():
    """No niche signal and no lymphatics: every factor is constant, so organ o is seeded at
    mu_o V^gamma and the total is the power model with mu = sum mu_o."""
    sc = _cascade_scenario(["niche.priming_rate_per_day=0", "lymphatics.entry_per_area=0"])
    mu = effective_mu(sc)
    cs = solve_cascade([sc])
    power = mc.load_scenario("breast", ["simulation.duration_days=2500",
                                        f"dissemination.mu={sum(mu.values())!r}"])
    ref = mc.simulate(power).timeseries
    for name in ("n_metastases", "metastatic_burden_cells", "n_visible"):
        total = cs.series[name][0].sum(axis=0)
        np.testing.assert_allclose(total, ref[name].values, rtol=1e-6,
                                   atol=1e-9 * float(ref[name].values.max()) + 1e-300)
    # per organ: proportional to mu_o
    n_end = cs.series["n_metastases"][0, :, -1]
    expect = np.array([mu[o] for o in cs.organs]) / sum(mu.values()) * n_end.sum()
    np.testing.assert_allclose(n_end, expect, rtol=1e-9, atol=1e-300)


def test_cascade_result_has_organs_and_lymph_nodes(tmp_path):
    r = mc.simulate(_cascade_scenario())
    ts = r.timeseries
    assert "lymph_node" in list(ts["organ"].values)
    np.testing.assert_allclose(ts["n_metastases_by_organ"].sum("organ"), ts["n_metastases"],
                               rtol=1e-12)
    assert r.summary["n_metastases_at_detection"] > 0
    r.save(tmp_path / "run")
    back = mc.Result.load(tmp_path / "run")
    np.testing.assert_array_equal(back.timeseries["n_metastases_by_organ"].values,
                                  ts["n_metastases_by_organ"].values)


def _n_by_organ(extra):
    cs = solve_cascade([_cascade_scenario(extra)])
    return dict(zip(cs.organs, cs.series["n_metastases"][0, :, -1], strict=True))


def test_knockouts_remove_the_routes_that_need_them():
    base = _n_by_organ([])
    assert all(v > 0 for v in base.values())
    for step in ("cascade.adhesion_efficiency=0", "cascade.protease_efficiency=0"):
        n = _n_by_organ([step])
        assert n["lymph_node"] == pytest.approx(base["lymph_node"], rel=1e-9)
        assert all(v == 0 for k, v in n.items() if k != "lymph_node"), n
    # without blood intravasation, distant organs are reached only through the lymph
    # (thoracic duct) and re-seeding nodes; without both intravasation routes, nothing
    n = _n_by_organ(["cascade.intravasation_blood_probability=0"])
    assert n["lymph_node"] == pytest.approx(base["lymph_node"], rel=1e-9)
    assert all(n[k] < base[k] for k in n if k != "lymph_node")
    n = _n_by_organ(["cascade.intravasation_blood_probability=0", "lymphatics.entry_per_area=0"])
    assert all(v == 0 for v in n.values())
    n = _n_by_organ(["lymphatics.entry_per_area=0"])
    assert n["lymph_node"] == 0 and n["lung"] > 0
    n = _n_by_organ(["cascade.chemotaxis_strength=0"])
    assert n["bone"] < 0.5 * base["bone"]


def test_no_stem_cells_no_metastases_and_niche_blockade_cuts_them():
    assert all(v == 0 for v in _n_by_organ(["stem_cells.fraction=0"]).values())
    base = sum(_n_by_organ([]).values())
    blocked = sum(_n_by_organ(["niche.priming_rate_per_day=0"]).values())
    assert blocked < 0.5 * base


# ---- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("override,fragment", [
    (["cascade.invasion_probability=1.2"], "cascade.invasion_probability = 1.2"),
    (["stem_cells.fraction=-0.1"], "stem_cells.fraction = -0.1"),
    (["dissemination.model=cascade", "organs.spleen.seeding_fraction=0"], "unknown organ"),
    (["organs.lung.blood_flow_fraction=0.5", "organs.bone.blood_flow_fraction=0.2",
      "organs.liver.blood_flow_fraction=0.2", "organs.brain.blood_flow_fraction=0.2"],
     "blood_flow_fraction must sum to 1, got 1.1"),
    (["organs.lung.blood_flow_fraction=0.5"], "not for bone"),
    (["cascade.intravasation_blood_probability=0.9", "lymphatics.entry_per_area=100"],
     "exceeds 1"),
])
def test_bad_scenarios_name_the_field(override, fragment):
    with pytest.raises(mc.ScenarioError, match=fragment):
        mc.load_scenario("breast", override)


def test_cli_inject_contract_and_bad_input(tmp_path):
    out = tmp_path / "inj"
    res = runner.invoke(app, ["cascade", "inject", "--cells", "20000", "--route", "portal-vein",
                              "--days", "14", "--seed", "5", "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "fates.csv")
    assert list(df.columns) == FATE_COLUMNS
    np.testing.assert_allclose(df[FATE_COLUMNS[1:]].sum(axis=1), 1.0, atol=1e-8)
    summary = json.loads((out / "summary.json").read_text())
    for key in ("overall_efficiency", "seed", "version", "parameters"):
        assert key in summary
    assert summary["seed"] == 5
    for args in (["--route", "armpit"], ["--cells", "0"], ["--days", "-1"],
                 ["--set", "cascade.protease_efficiency=2"]):
        bad = tmp_path / "bad"
        r = runner.invoke(app, ["cascade", "inject", "--out", str(bad), *args])
        assert r.exit_code != 0
        assert not bad.exists()


# ---- pieces against independent references --------------------------------------------------

def test_arrest_distribution_matches_a_simulation_of_passes():
    """Closed-form geometric series vs following cells pass by pass (second algorithm)."""
    p = cc.CascadeParameters()
    names = list(p.organs)
    a = cc.trapping(p)
    flow = p.organ_arrays()["blood_flow_fraction"]
    rng = np.random.default_rng(0)
    n = 400_000
    where = np.full(n, -1)
    lung = names.index("lung")
    alive = np.ones(n, bool)
    for _ in range(200):  # venous: lung first, then one arterial pass, back to the veins
        idx = np.nonzero(alive)[0]
        if idx.size == 0:
            break
        hit = rng.random(idx.size) < a[lung]
        where[idx[hit]] = lung
        idx = idx[~hit]
        organ = rng.choice(len(names), size=idx.size, p=flow / flow.sum())
        caught = rng.random(idx.size) < a[organ] * flow.sum()
        where[idx[caught]] = organ[caught]
        alive[:] = False
        alive[idx[~caught]] = True
    freq = np.bincount(where[where >= 0], minlength=len(names)) / n
    q = cc.arrest_distribution(p, "tail-vein")
    assert _binomial_ok(freq, q, n).all(), (freq, q)


def test_niche_readiness_matches_the_constant_signal_solution():
    from metacascade.biology.niche import NicheParameters, readiness
    p = NicheParameters(priming_rate_per_day=0.2, decay_rate_per_day=0.05)
    t = np.linspace(0.0, 60.0, 241)
    s = np.full(t.size, 2.0)  # constant signal S = 2
    n = readiness(t, s, np.array([1.0, 0.5]), p)
    for k, aff in enumerate((1.0, 0.5)):
        a = 0.2 * aff * 2.0
        exact = a / (a + 0.05) * (1 - np.exp(-(a + 0.05) * t))
        np.testing.assert_allclose(n[k], exact, rtol=1e-12, atol=1e-14)


def test_readiness_decays_after_resection():
    sc = _cascade_scenario(["treatment.resection_at_detection=true"])
    cs = solve_cascade([sc])
    r = cs.readiness[0, 0]
    k = int(np.argmax(r))
    assert r[k] > 0.5 and r[-1] < 0.01 * r[k]
    # after resection only lymph-node metastases re-seed: births from the primary stop
    t = cs.times
    ln = cs.organs.index("lymph_node")
    from metacascade.engines.organism import patients_from_scenarios
    t_res = float(patients_from_scenarios([sc]).resection_day[0])  # resection at detection
    after = t > t_res + 1
    assert np.all(cs.series["birth_rate_per_day"][0, ln, after] == 0.0)


def test_lymphatic_entry_follows_peritumoral_area():
    from metacascade.biology.lymphatics import LymphaticParameters, entry_probability
    lp = LymphaticParameters()
    a_in, a_peri = lp.area_fraction()
    assert lp.peritumoral_lvd_per_mm2 > lp.intratumoral_lvd_per_mm2  # S4 defaults
    assert lp.peritumoral_vessel_area_um2 > lp.intratumoral_vessel_area_um2
    assert lp.entry_probability() == pytest.approx(20.0 * (a_peri + 0.1 * a_in))
    p2 = entry_probability(5.0, 200.0, 24.0, 800.0, 20.0, 0.1)
    assert float(p2) == pytest.approx(20.0 * (2 * a_peri + 0.1 * a_in))


@pytest.mark.parametrize("kw", [dict(n_cells=0), dict(route="armpit"), dict(days=0.0)])
def test_inject_rejects_bad_arguments(kw):
    args = dict(n_cells=100, route="portal-vein", days=14.0) | kw
    with pytest.raises(ValueError):
        inject(args["n_cells"], args["route"], args["days"])


def test_breast_cascade_scenario_is_calibrated():
    """scripts/calibrate_breast_cascade.py targets: distant N at diagnosis 0.357 (P = 0.30),
    P(node-positive at diagnosis) 0.35."""
    from metacascade.engines.organism import patients_from_scenarios
    sc = mc.load_scenario("breast-cascade")
    cs = solve_cascade([sc])
    det = float(patients_from_scenarios([sc]).detection_day()[0])
    at = cs.sol.at(det)["n_metastases"]
    ln = cs.organs.index("lymph_node")
    assert at.sum() - at[ln] == pytest.approx(0.357, rel=0.01)
    assert -math.expm1(-at[ln]) == pytest.approx(0.35, rel=0.01)


def test_scenario_organs_map_to_cascade_sites():
    sc = mc.load_scenario("breast", ["dissemination.model=cascade"])
    p = sc.cascade_parameters()
    assert list(p.organs) == ["bone", "lung", "liver", "brain", "other", "lymph_node"]
    flows = p.organ_arrays()["blood_flow_fraction"]
    assert flows[:5].sum() == pytest.approx(1.0)  # 'other' holds the rest of the body
    sc = mc.load_scenario("breast", [
        "dissemination.model=cascade", "organs.bone.blood_flow_fraction=0.4",
        "organs.lung.blood_flow_fraction=0.1", "organs.liver.blood_flow_fraction=0.3",
        "organs.brain.blood_flow_fraction=0.2", "organs.bone.cxcl12=0.5"])
    p = sc.cascade_parameters()
    assert "other" not in p.organs
    assert p.organs["bone"].blood_flow_fraction == 0.4 and p.organs["bone"].cxcl12 == 0.5


def test_niche_affinity_redirects_the_organ_pattern():
    def liver_share(extra):
        cs = solve_cascade([_cascade_scenario(["lymphatics.reseeding_rate_per_cell_day=0",
                                               *extra])])
        n = dict(zip(cs.organs, cs.series["n_metastases"][0, :, -1], strict=True))
        return n["liver"] / sum(v for k, v in n.items() if k != "lymph_node")
    base = liver_share([])
    tropic = liver_share(["organs.liver.niche_affinity=5", "organs.lung.niche_affinity=0.2",
                          "organs.bone.niche_affinity=0.2", "organs.brain.niche_affinity=0.2"])
    assert tropic > base


@settings(max_examples=25, deadline=None)
@given(ext=st.floats(0.01, 50), death=st.floats(0.0, 5), init=st.floats(0.0, 10),
       stem=st.floats(0.0, 1.0), route=st.sampled_from(["tail-vein", "portal-vein",
                                                          "intracardiac"]))
def test_fates_always_partition_the_cells(ext, death, init, stem, route):
    p = cc.CascadeParameters(extravasation_rate_per_day=ext,
                             death_after_extravasation_rate_per_day=death,
                             initiation_rate_per_day=init, stem_fraction=stem)
    res = inject(2000, route, 5.0, seed=1, params=p)
    vals = res.fates[FATE_COLUMNS[1:]].to_numpy()
    assert (vals >= 0).all()
    np.testing.assert_allclose(vals.sum(axis=1), 1.0, atol=1e-12)
    # macroscopic tumours and deaths only accumulate
    assert (np.diff(res.fates["macrometastasis"]) >= 0).all()
    assert (np.diff(res.fates["dead"]) >= 0).all()
