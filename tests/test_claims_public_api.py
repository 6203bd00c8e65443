"""The claims reach the model through ``metacascade``'s public API (tests/test_layering.py); each
public route they now take gives exactly what the internal call it replaced gave, so the claims'
numbers do not move (a second computation of the same quantity, compared bit for bit)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import metacascade as mc


def test_the_cell_scale_scenario_gives_the_scimet_parameters_of_s17_s18() -> None:
    """The S17/S18 patient as a scenario plus engine settings equals SCIMET's design written out
    field by field (Hu et al. 2019: exponential growth, b = 1, d = 0.7 per day, drivers at
    1e-5 per daughter with SCIMET's selection)."""
    from metacascade.biology.growth import Exponential
    from metacascade.claims import _cell_patients as cp
    from metacascade.engines.evolution import SCIMET_DRIVER_RATE, scimet_driver_fitness
    from metacascade.engines.stochastic import (
        CellScaleParameters,
        cell_scale_parameters,
        check_scenario,
    )

    assert cp.SCIMET_DRIVER_RATE == SCIMET_DRIVER_RATE
    assert scimet_driver_fitness(cp.BETA) == cp.SCIMET_DRIVER_FITNESS
    for hypothesis in ("early", "late"):
        law = Exponential(cp.BETA)
        expected = CellScaleParameters(
            primary_law=law, metastasis_law=law, beta=cp.BETA, mutation_rate=cp.MU,
            driver_rate=SCIMET_DRIVER_RATE, driver_fitness=scimet_driver_fitness(cp.BETA),
            trait=hypothesis, trait_factor=cp.TRAIT_FACTOR, trait_rate=cp.TRAIT_RATE,
            seeding_rate=cp.SEEDING_RATE[hypothesis], stop_primary_at_cells=1e9,
            stop_metastases_at_cells=1e9, duration_days=160.0, step_days=1.0,
            detection_cells=math.inf, history_records=0, exact_below_cells=1e3,
            track_mutations_below_cells=1e3)
        sc = cp.scenario(hypothesis)
        assert check_scenario(sc) == []
        assert cell_scale_parameters(sc, **cp.NUMERICS) == expected


def test_simulate_cell_scale_is_the_engine_run_of_the_scenario() -> None:
    from metacascade.engines.stochastic import cell_scale_parameters, simulate_patient

    sc = mc.load_scenario("breast", ["simulation.duration_days=300"])
    kw = dict(history_records=0, exact_below_cells=1e3, track_mutations_below_cells=1e3)
    a = mc.simulate_cell_scale(sc, np.random.default_rng(3), **kw)
    b = simulate_patient(cell_scale_parameters(sc, **kw), np.random.default_rng(3))
    assert a.clones.equals(b.clones) and a.metastases.equals(b.metastases)
    sites = a.sites[:1]
    assert list(a.mutations(sites).columns) == ["mutation_id", "clone_id", *sites]


def test_scenario_growth_laws_match_the_batch_engine_laws() -> None:
    """``Scenario.primary_law`` / ``metastasis_law`` give the sizes and ages the organism
    engine's per-patient laws give (cells_shed of S2/S3, the growth months of S14)."""
    from metacascade.engines.organism import patients_from_scenarios

    for name in ("breast-cascade", "breast-dormancy"):
        sc = mc.load_scenario(name)
        pat = patients_from_scenarios([sc])
        t = np.linspace(0.0, 3000.0, 301)
        assert np.array_equal(np.asarray(pat.primary(1).size(t, pat.vp0)).ravel(),
                              np.asarray(sc.primary_law().size(t, sc.primary.initial_cells)))
        visible = mc.cells_from_diameter_mm(sc.detection.visible_diameter_mm)
        assert float(np.asarray(pat.metastasis(1).age_at_size(pat.visible_cells, pat.v0))[0]) \
            == float(sc.metastasis_law().age_at_size(visible,
                                                      sc.metastasis_growth().initial_cells))


def test_scenario_get_reads_dotted_keys() -> None:
    sc = mc.Scenario()
    assert sc.get("cascade.adhesion_efficiency") == sc.cascade.adhesion_efficiency
    assert sc.get("cascade.no_such_value") is None
    assert sc.get("cascade.no_such_value", 7) == 7


def test_an_organs_override_replaces_the_organ_table() -> None:
    from metacascade.scenario import Organ

    organs = mc.load_scenario("breast-cascade", ["organs={lung={seeding_fraction=1.0}}"]).organs
    assert organs == {"lung": Organ(seeding_fraction=1.0)}


def test_two_tumour_models_by_name_match_the_model_objects() -> None:
    from metacascade.biology import tumour_interactions as ti
    from metacascade.claims._two_tumours import LLC

    assert LLC == ti.LLC  # the scenario's Hahnfeldt defaults are the models' defaults
    v0 = np.exp(np.random.default_rng(1).normal(0.0, 0.5, (2, 5)))
    for name, model in (("competition", ti.Competition()),
                        ("angiogenesis", ti.AngiogenesisInhibition()),
                        ("proliferation", ti.ProliferationInhibition(theta=1e-3))):
        params = {"theta": 1e-3} if name == "proliferation" else {}
        a = mc.simulate_two_tumours(name, v0, 3.47 * v0, [5.0, 15.0], **params).volumes
        assert np.array_equal(a, ti.simulate(model, v0, 3.47 * v0, [5.0, 15.0]).volumes)
    with pytest.raises(mc.ScenarioError, match="interaction"):
        mc.simulate_two_tumours("symbiosis", v0, v0, [1.0])


def test_tibd_route_matches_the_fit_module() -> None:
    from metacascade.biology.bone import LemaireParameters
    from metacascade.inference import bone_fit

    assert mc.tibd_parameters() == LemaireParameters.johnson2011()
    data = mc.johnson2011_data()
    assert np.array_equal(data["bone"], bone_fit.JOHNSON2011_BONE)
    assert data["inoculum_cells"] == bone_fit.INOCULUM_CELLS
    data["bone"][0] = -1.0  # a copy: the module's data do not change
    assert bone_fit.JOHNSON2011_BONE[0] == 100.0
    p = mc.tibd_parameters(0.1, 2e-3, 0.5)
    days = np.linspace(0.0, 28.0, 8)
    bone, tumour = bone_fit.simulate_tibd(p, [mc.Dose("zoledronic_acid", 0.0, 100.0)], days)
    ds = mc.integrate_vicious_cycle(p, days, tumour0=data["inoculum_cells"],
                                    doses=[mc.Dose("zoledronic_acid", 0.0, 100.0)])
    assert np.array_equal(ds["bone_mass_percent"].isel(system=0).values, bone)
    assert np.array_equal(ds["bone_tumour_cells"].isel(system=0).values, tumour)


def test_cascade_calibration_is_a_copy_of_the_stored_fit() -> None:
    from metacascade.biology.cascade import CALIBRATION

    cal = mc.cascade_calibration()
    assert cal == CALIBRATION
    cal["targets"].clear()
    assert CALIBRATION["targets"]


def test_seeding_helpers_on_the_published_tables() -> None:
    import metacascade.datasets as datasets
    from metacascade.inference.seeding import HU2020_DOUBLING_TIME_DAYS, canonical_cancer_type

    table = datasets.load("hu2020_doubling_times")
    assert mc.hu2020_doubling_time_days(table, "colorectal", "interpolated") == \
        HU2020_DOUBLING_TIME_DAYS["interpolated"]["colorectal"]
    timing = mc.hu2020_met_timing(datasets.load("hu2020_paired_primary_met"))
    types = set(timing["cancer_type"])
    assert {str(t).lower() for t in types} == {canonical_cancer_type(str(t)) for t in types}
    pts = mc.early_patients(["V1_LU", "V1_LI", "V2_LI"], [False, True, False])
    assert pts["patient"].tolist() == ["V1", "V2"] and pts["early"].tolist() == [True, False]
