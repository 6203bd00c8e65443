"""The engine contract (issue 14 item 1): every scenario section acts or is refused, never dropped.

- every built-in scenario runs with ``simulate(engine="auto")`` (its engine's check is empty) or is
  refused with a message naming a scenario key;
- each formerly silent case of the issue now acts or is refused (exit code 2 on the CLI, one error
  line naming the section and one hint line naming who handles it);
- every engine declares what it does with every section of the scenario, and what it declares as
  refused is refused (probes below), what it declares as honoured is accepted;
- ``mc.simulate`` accepts a Scenario, a built-in name or a path, and ``run --engine``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import metacascade as mc
from metacascade.api import engine_for
from metacascade.engines.base import checkers, get_engine, support_table
from metacascade.scenario import Scenario

DOCETAXEL = 'treatment.events=[{drug = "docetaxel", start_day = 2200.0}]'


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "metacascade", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def _refused(fn, *args, **kw) -> mc.ScenarioError:
    with pytest.raises(mc.ScenarioError) as info:
        fn(*args, **kw)
    err = info.value
    assert "\n" not in str(err) and err.hint and err.problems
    return err


# ---- every built-in: runs whole or is refused ------------------------------------------------


@pytest.mark.parametrize("name", mc.builtin_names())
def test_every_builtin_runs_whole_or_is_refused(name):
    sc = mc.load_scenario(name)
    engine = get_engine(engine_for(sc))
    problems = engine.check(sc)
    if problems:
        err = _refused(mc.simulate, sc)
        assert problems[0].key in str(err)
        return
    r = mc.simulate(name)
    assert r.scenario == sc
    assert np.all(np.isfinite(r.timeseries["time_days"].values))
    if sc.bone is not None:
        assert "bone_mass_percent" in r.timeseries
    if sc.dormancy.single_cell_fraction > 0 or sc.dormancy.avascular_fraction > 0:
        assert "dormancy" in r.timeseries.attrs


def test_simulate_accepts_a_name_a_path_and_a_scenario(tmp_path):
    by_name = mc.simulate("breast")
    path = tmp_path / "b.toml"
    path.write_text(mc.load_scenario("breast").to_toml())
    by_path = mc.simulate(path)
    by_str = mc.simulate(str(path))
    by_obj = mc.simulate(mc.load_scenario("breast"))
    for r in (by_path, by_str, by_obj):
        np.testing.assert_array_equal(r.timeseries["n_metastases"].values,
                                      by_name.timeseries["n_metastases"].values)
    assert by_name.summary["n_metastases_at_detection"] == pytest.approx(0.357, abs=5e-4)
    with pytest.raises(mc.ScenarioError, match="engine 'nope' is unknown"):
        mc.simulate("breast", "nope")
    with pytest.raises(mc.ScenarioError, match="size_times"):
        mc.simulate("breast-cascade", size_times=[100.0])


def test_auto_picks_spread_for_the_cascade_and_stochastic_only_when_asked():
    assert engine_for(mc.load_scenario("breast-cascade")) == "spread"
    assert engine_for(mc.load_scenario("breast-bone")) == "organism"
    sc = mc.load_scenario("breast", ["dissemination.mu=1e-10", "simulation.duration_days=2500"])
    a = mc.simulate(sc, "stochastic", seed=5)
    b = mc.simulate(sc, "stochastic", seed=5)
    c = mc.simulate(sc, "stochastic", seed=6)
    assert a.seed == 5 and a.scenario.simulation.seed == 5
    np.testing.assert_array_equal(a.timeseries["metastatic_burden_cells"].values,
                                  b.timeseries["metastatic_burden_cells"].values)
    assert not np.array_equal(a.timeseries["cells_by_site"].values[:, 0],
                              c.timeseries["cells_by_site"].values[:, 0]) or \
        a.summary["n_metastases_final"] != c.summary["n_metastases_final"]
    # the stochastic patient's counts are those of its metastases table
    assert a.summary["n_metastases_final"] == a.timeseries["n_metastases"].values[-1]
    err = _refused(mc.simulate, "breast-dormancy", "stochastic")
    assert "dormancy.avascular_fraction" in str(err) and "metacascade cohort" in err.hint


# ---- the formerly silent cases ---------------------------------------------------------------


def test_unknown_drug_is_refused_by_every_engine_and_the_cli(tmp_path):
    for name, engine in (("breast", "auto"), ("breast-cascade", "auto"), ("breast", "stochastic")):
        err = _refused(mc.simulate, mc.load_scenario(name, [DOCETAXEL]), engine)
        assert 'treatment.events[0].drug = "docetaxel"' in str(err)
    with pytest.raises(mc.ScenarioError, match="docetaxel"):
        mc.simulate_cohort(mc.load_scenario("breast", [DOCETAXEL]), 10)
    with pytest.raises(mc.ScenarioError, match="docetaxel"):
        mc.simulate_batch([mc.load_scenario("breast", [DOCETAXEL])])
    out = _cli("run", "breast", "--set", DOCETAXEL, "--out", str(tmp_path / "r"), "-q")
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2 and "treatment.events[0].drug" in lines[0] and "docetaxel" in lines[0]
    assert lines[1].startswith("hint: ")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("over,key,hint", [
    (["treatment.events=[{drug = \"adjuvant_chemotherapy\", start_day = 30.0, dose = 2.0}]"],
     "treatment.events[0].drug", "metacascade cohort breast"),
    (["treatment.events=[{drug = \"denosumab\", start_day = 30.0}]"], "treatment.events[0].drug",
     "add a [bone] section"),
    (["detection.screening_interval_days=365"], "detection.screening_interval_days",
     "metacascade cohort breast"),
    (["niche.gain=3"], "niche.gain", "--engine spread"),
    (["organs.bone.retention=0.5", "organs.lung.retention=0.5", "organs.liver.retention=0.5",
      "organs.brain.retention=0.5"], "organs.bone.retention", "--engine spread"),
    (["mutation.driver_rate_per_division=1e-5"], "mutation.driver_rate_per_division",
     "--engine stochastic"),
    (["dormancy.single_cell_fraction=0.5", "dissemination.secondary=true"],
     "dissemination.secondary", "no engine"),
    (["dormancy.single_cell_fraction=0.5", "systemic.model=proliferation",
      "systemic.inhibition_per_cell=1e-9"], "systemic.model", "metacascade cohort breast"),
    (["dormancy.avascular_fraction=0.5", "dormancy.surgery_switch_probability=0.5",
      "dormancy.surgery_switch_before_plateau=true"], "dormancy.surgery_switch_before_plateau",
     "metacascade cohort breast"),
    (["systemic.model=angiogenesis", "dissemination.secondary=true"], "dissemination.secondary",
     "no engine"),
    (["dissemination.cluster_size=5"], "dissemination.cluster_size", "no engine"),
])
def test_run_refuses_what_the_organism_engine_cannot_honour(over, key, hint):
    err = _refused(mc.simulate, mc.load_scenario("breast", over))
    assert str(err).startswith(key + " = "), str(err)
    assert hint in err.hint


def test_cascade_engine_refuses_what_it_does_not_model():
    for over, key in ((["systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9"],
                       "systemic.model"),
                      (["dormancy.single_cell_fraction=0.5"], "dormancy.single_cell_fraction")):
        err = _refused(mc.simulate, mc.load_scenario("breast-cascade", over))
        assert str(err).startswith(key)
    # the bone lesion and death, formerly dropped by the cascade engine, now act
    r = mc.simulate(mc.load_scenario("breast-cascade", ["simulation.duration_days=400"]).model_copy(
        update={"bone": mc.load_scenario("breast-bone").bone}))
    assert "bone_mass_percent" in r.timeseries and "bone_mass_min_percent" in r.summary
    assert "lethal_burden_day" in r.summary


def test_resection_delay_acts_in_run():
    """With resection at diagnosis plus a delay the primary is removed later and seeds longer
    (formerly the organism engine ignored the delay)."""
    a = mc.simulate("breast")
    b = mc.simulate(mc.load_scenario("breast", ["treatment.resection_delay_days=60"]))
    assert b.summary["resection_day"] == pytest.approx(a.summary["detection_day"] + 60.0,
                                                       rel=1e-12)
    assert b.summary["n_metastases_final"] > 1.1 * a.summary["n_metastases_final"]
    ts = b.timeseries
    after = ts["time_days"].values > b.summary["resection_day"]
    assert np.all(ts["primary_cells"].values[after] == 0.0)
    # the birth rate is d(V_p) = mu V_p until the day of surgery, zero after
    sim = mc.load_scenario("breast", ["treatment.resection_delay_days=60",
                                      "treatment.resection_at_detection=false",
                                      f"treatment.resection_day={b.summary['resection_day']}"])
    np.testing.assert_array_equal(mc.simulate(sim).timeseries["n_metastases"].values,
                                  ts["n_metastases"].values)


def test_systemic_inhibition_in_a_batch_equals_simulate():
    """Breast with proliferation inhibition: the batch used to return 9.2e5 final burden (growth
    as without inhibition) against 4.0e5 from simulate; both now follow the time-varying path."""
    over = ["systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9",
            "simulation.duration_days=3000"]
    scs = [mc.load_scenario("breast", over),
           mc.load_scenario("breast", [*over, "dissemination.mu=3e-12"]),
           mc.load_scenario("breast", ["simulation.duration_days=3000"])]  # autonomous growth
    ds, events = mc.simulate_batch(scs, chunk=2)
    for p, sc in enumerate(scs):
        r = mc.simulate(sc, size_times=[])
        for name in ("n_metastases", "metastatic_burden_cells", "n_visible",
                     "visible_burden_cells", "primary_cells"):
            # the same solver on a batch of rows: agreement to rounding (summation order differs)
            np.testing.assert_allclose(ds[name].isel(patient=p).values, r.timeseries[name].values,
                                       rtol=1e-9, atol=0, err_msg=name)
        for key in ("metastatic_burden_cells_final", "burden_at_detection_cells",
                    "first_visible_metastasis_day", "lethal_burden_day"):
            a, b = events.loc[p, key], r.summary[key]
            assert (b is None and (a is None or np.isnan(a))) or a == pytest.approx(b, rel=1e-9)
    final = float(ds["metastatic_burden_cells"].isel(patient=0).values[-1])
    assert final == pytest.approx(4.0e5, rel=0.05)
    # the at-detection burden follows the inhibited growth too (it used the autonomous path)
    r = mc.simulate(scs[0])
    t = r.timeseries["time_days"].values
    assert r.summary["burden_at_detection_cells"] == pytest.approx(
        np.interp(r.summary["detection_day"], t, r.timeseries["metastatic_burden_cells"].values))


def test_dormancy_in_a_batch_equals_simulate():
    scs = [mc.load_scenario("breast-dormancy", [f"dissemination.mu={m}"])
           for m in (9.921e-5, 3e-4)]
    ds, events = mc.simulate_batch(scs)
    for p, sc in enumerate(scs):
        r = mc.simulate(sc, size_times=[])
        np.testing.assert_allclose(ds["n_visible"].isel(patient=p).values,
                                   r.timeseries["n_visible"].values, rtol=1e-12)
        assert events.loc[p, "n_visible_at_detection"] == pytest.approx(
            r.summary["n_visible_at_detection"], rel=1e-12)


def test_batch_refuses_the_bone_lesion():
    err = _refused(mc.simulate_batch, [mc.load_scenario("breast-bone")])
    assert str(err).startswith("bone.model") and "metacascade run" in err.hint


def test_cohorts_refuse_secondary_seeding_and_what_they_do_not_model(tmp_path):
    err = _refused(mc.simulate_cohort, mc.load_scenario("iwata-hcc"), 10)
    assert str(err).startswith("dissemination.secondary = true")
    for sc, key in ((mc.load_scenario("breast-cascade"), "dissemination.model"),
                    (mc.load_scenario("breast-bone"), "bone.model"),
                    (mc.load_scenario("breast", ["systemic.model=angiogenesis"]),
                     "systemic.model")):
        assert str(_refused(mc.simulate_cohort, sc, 10)).startswith(key)
    # a value at its default becomes active when it varies between patients
    err = _refused(mc.simulate_cohort, mc.load_scenario("breast"), 10,
                   variability={"niche.gain": 0.5})
    assert str(err).startswith("niche.gain") and "varied between patients" in str(err)
    out = _cli("cohort", "iwata-hcc", "-n", "5", "--executor", "serial", "--out",
               str(tmp_path / "c"))
    assert out.returncode == 2 and "dissemination.secondary" in out.stderr
    assert "hint: use `metacascade run iwata-hcc`" in out.stderr


# ---- declarations ------------------------------------------------------------------------------

#: Scenario fields that describe a scenario rather than the biology (every engine keeps them).
META = ("name", "description", "references")
#: key -> overrides that a checker declaring it "no" must refuse (on breast, or breast-cascade
#: for the cascade engine).
REFUSED_PROBES = {
    "dissemination.secondary": ["dissemination.secondary=true"],
    "cascade": ["cascade.invasion_probability=0.2"],
    "niche": ["niche.gain=3"],
    "lymphatics": ["lymphatics.entry_per_area=2"],
    "stem_cells": ["stem_cells.fraction=0.5"],
    "bone": None,  # the breast-bone section
    "systemic": ["systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9"],
    "dormancy": ["dormancy.single_cell_fraction=0.5"],
}
#: key -> overrides that a checker declaring it "yes" must accept.
ACCEPTED_PROBES = {
    "primary": ["primary.rate_per_day=7e-4"],
    "metastasis": ["metastasis.growth=gompertz", "metastasis.rate_per_day=1e-3",
                   "metastasis.carrying_capacity_cells=1e12"],
    "simulation": ["simulation.output_step_days=2"],
    "death": ["death.lethal_burden_cells=1e11"],
    "mutation": ["mutation.rate_per_division=1"],
    "bone": None,
    "dormancy": ["dormancy.single_cell_fraction=0.5", "dormancy.single_cell_latency=lognormal"],
    "systemic": ["systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9"],
    "detection": ["detection.screening_interval_days=365"],
    "dissemination.secondary": ["dissemination.secondary=true"],
}


def _probe(name: str, key: str, over: list[str] | None) -> Scenario:
    base = "breast-cascade" if name == "spread" else "breast"
    if over is None:  # the bone lesion of breast-bone on the base scenario
        return mc.load_scenario(base).model_copy(update={"bone": mc.load_scenario("breast-bone")
                                                         .bone})
    return mc.load_scenario(base, over)


def test_every_checker_declares_every_section():
    sections = [k for k in Scenario.model_fields if k not in META]
    for name, checker in checkers().items():
        declared = {s.key.split(".")[0] for s in checker.supports}
        assert declared >= set(sections), (name, set(sections) - declared)
        assert all(s.level in ("yes", "partly", "no", "n/a") for s in checker.supports)
    head, rows = support_table()
    assert head[0] == "section or key" and set(head[1:]) == set(checkers())
    assert [r[0] for r in rows][:2] == ["primary", "metastasis"]


def test_declared_levels_match_the_checks():
    tested = 0
    for name, checker in checkers().items():
        for s in checker.supports:
            if s.level == "no" and s.key in REFUSED_PROBES:
                problems = checker.check(_probe(name, s.key, REFUSED_PROBES[s.key]))
                assert problems, (name, s.key)
                assert problems[0].key.split(".")[0] == s.key.split(".")[0], (name, problems)
                tested += 1
            if s.level == "yes" and s.key in ACCEPTED_PROBES:
                sc = _probe(name, s.key, ACCEPTED_PROBES[s.key])
                assert [p for p in checker.check(sc)
                        if p.key.split(".")[0] == s.key.split(".")[0]] == [], (name, s.key)
                tested += 1
    assert tested >= 30


# ---- the CLI option -------------------------------------------------------------------------


def test_run_engine_option(tmp_path):
    out = _cli("run", "breast", "--engine", "stochastic", "--set", "dissemination.mu=1e-10",
               "--set", "simulation.duration_days=2500", "--out", str(tmp_path / "s"), "-q")
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["primary_status"] in ("resected", "end")
    out = _cli("run", "breast-cascade", "--engine", "organism", "--out", str(tmp_path / "o"))
    assert out.returncode == 2 and "dissemination.model" in out.stderr
    assert "--engine spread" in out.stderr
    out = _cli("run", "breast", "--engine", "warp", "--out", str(tmp_path / "w"))
    assert out.returncode == 2 and "auto, organism, spread, stochastic" in out.stderr
    out = _cli("run", "breast-dormancy", "--out", str(tmp_path / "d"), "-q")
    assert out.returncode == 0, out.stderr
    dormant = json.loads((tmp_path / "d" / "summary.json").read_text())
    out = _cli("run", "breast-dormancy", "--set", "dormancy.single_cell_fraction=0", "--set",
               "dormancy.avascular_fraction=0", "--out", str(tmp_path / "n"), "-q")
    plain = json.loads((tmp_path / "n" / "summary.json").read_text())
    assert dormant["n_visible_final"] < 0.8 * plain["n_visible_final"]
