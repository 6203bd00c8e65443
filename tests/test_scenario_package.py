"""The scenario package (issue 14 item 5): the one dotted-key helper, ``resolve`` (one step from a
Scenario to the biology parameter objects), each default and source written once, one dose
expansion, and the package's place in the layers."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import metacascade as mc
from metacascade.biology import cascade as cc
from metacascade.biology import dosing
from metacascade.biology.bone import LemaireParameters, PowerLawBoneParameters
from metacascade.biology.dormancy import DormancyParameters
from metacascade.biology.growth import make_growth_law
from metacascade.biology.lymphatics import LymphaticParameters
from metacascade.biology.niche import NicheParameters
from metacascade.biology.stemcells import StemCellReservoir
from metacascade.biology.systemic import LEWIS_LUNG, HahnfeldtParameters, SystemicSignals
from metacascade.biology.tumour_interactions import LLC
from metacascade.errors import ScenarioError
from metacascade.scenario import (
    BonePowerLaw,
    BoneViciousCycle,
    Scenario,
    TreatmentEvent,
    UnknownKeyError,
    apply_overrides,
    get_dotted,
    load_scenario,
    parse_override,
    resolve,
    set_dotted,
    split_key,
)
from metacascade.scenario.fields import Cited, Strict

SRC = Path(__file__).resolve().parents[1] / "src" / "metacascade"
EVENTS = ['treatment.events=[{drug = "denosumab", start_day = 3.0, interval_days = 7.0, '
          'n_doses = 4, dose = 2.0}, {drug = "opg_fc", start_day = 10.0}]']


def asdict(obj):  # type: ignore[no-untyped-def]
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


# ---------------------------------------------------------------------------------------------
# The one dotted-key helper


def test_get_dotted_walks_sections_tables_and_lists():
    s = load_scenario("breast", EVENTS)
    assert get_dotted(s, "dissemination.mu") == s.dissemination.mu
    assert get_dotted(s, "organs.lung.seeding_fraction") == 0.25
    assert get_dotted(s, "treatment.events.0.n_doses") == 4
    assert get_dotted(s, ["treatment", "events", "1", "drug"]) == "opg_fc"
    data = s.model_dump(exclude_none=True)  # the same keys in a raw dictionary
    assert get_dotted(data, "treatment.events.1.start_day") == 10.0
    assert get_dotted(data, "organs.bone.seeding_fraction") == 0.4
    assert get_dotted(s, "treatment.resection_day") is None  # an unset optional value
    assert get_dotted(data, "treatment.resection_day", default="unset") == "unset"


@pytest.mark.parametrize("key", ["primary.nonexistent", "organs.kidney.seeding_fraction",
                                 "treatment.events.2.dose", "treatment.events.x.dose",
                                 "dissemination.mu.extra", "a..b", "primary.model_fields"])
def test_get_dotted_errors_name_the_key(key):
    s = load_scenario("breast", EVENTS)
    with pytest.raises(UnknownKeyError) as err:
        get_dotted(s, key, label="variability key")
    assert str(err.value) == f"variability key {key!r}: no such scenario value"
    assert err.value.key == key and isinstance(err.value, ScenarioError)
    assert get_dotted(s, key, default=None) is None


def test_set_dotted_creates_tables_and_sets_list_items():
    data: dict = {"treatment": {"events": [{"drug": "opg_fc", "start_day": 1.0}]}}
    set_dotted(data, "organs.liver.seeding_fraction", 0.5)
    set_dotted(data, "treatment.events.0.dose", 3.0)
    set_dotted(data, ["treatment", "events", "0", "drug"], "denosumab")
    assert data["organs"] == {"liver": {"seeding_fraction": 0.5}}
    assert data["treatment"]["events"] == [{"drug": "denosumab", "start_day": 1.0, "dose": 3.0}]
    with pytest.raises(ScenarioError, match=r"override 'treatment\.events\.0\.dose\.x': 'dose' "
                                            r"is not a table"):
        set_dotted(data, "treatment.events.0.dose.x", 1.0)
    with pytest.raises(ScenarioError, match=r"'events' is a list; '5' is not a position in it "
                                            r"\(0 to 0\)"):
        set_dotted(data, "treatment.events.5.dose", 1.0)
    with pytest.raises(ScenarioError, match=r"'events' is a list; '0' is not a position in it "
                                            r"\(it is empty\)"):
        set_dotted({"events": []}, "events.0", 1.0)
    # a list the scenario does not set: an error naming it, not a table {'0': ...} that the
    # schema then calls "must be an array" (a new user's --set treatment.events.0.dose=2)
    with pytest.raises(ScenarioError, match=r"'treatment\.events' has no item 0 \(the scenario "
                                            r"sets no list there\); give the whole list"):
        set_dotted({"treatment": {}}, "treatment.events.0.dose", 2.0)


def test_overrides_reach_list_items_through_the_one_helper():
    s = load_scenario("breast", [*EVENTS, "treatment.events.1.dose=0.5"])
    assert s.treatment.events[1].dose == 0.5 and s.treatment.events[0].dose == 2.0
    s = load_scenario("breast", {"treatment.events": [{"drug": "x", "start_day": 1.0}],
                                 "treatment.events.0.start_day": 4.0})
    assert s.treatment.events[0].start_day == 4.0
    # validation still applies to what the helper set
    with pytest.raises(ScenarioError, match="treatment.events.0.dose = -1"):
        load_scenario("breast", [*EVENTS, "treatment.events.0.dose=-1"])


def test_parse_override_and_split_key():
    assert parse_override(" organs.lung.retention = 0.5 ") == (["organs", "lung", "retention"],
                                                              0.5)
    key, value = parse_override(EVENTS[0])
    assert key == ["treatment", "events"] and value[0]["n_doses"] == 4
    assert parse_override("primary.growth=gompertz")[1] == "gompertz"
    assert parse_override("treatment.resection_day=NULL")[1] is None
    assert split_key("a.b.c") == ["a", "b", "c"]
    for bad in ("", "a..b", ".a", 3):
        with pytest.raises(ScenarioError, match="must be a non-empty dotted.key"):
            split_key(bad, "override key")
    data: dict = {}
    apply_overrides(data, ["a.b=1", "a.c=[1, 2]"])
    assert data == {"a": {"b": 1, "c": [1, 2]}}


def test_every_caller_uses_the_helper():
    """Cohort variability, fit keys and the engines' driver values read dotted keys through
    ``get_dotted`` (list items included), with their own wording for an unknown key."""
    from metacascade.engines.checks import scenario_values
    from metacascade.engines.patients import check_variability
    from metacascade.inference.model import get_value

    s = load_scenario("breast", EVENTS)
    with pytest.raises(ScenarioError, match="variability key 'primary.nope': no such scenario"):
        check_variability(s, {"primary.nope": 0.1})
    check_variability(s, {"treatment.events.0.dose": 0.1})  # a list item is a scenario value
    assert get_value(s, "treatment.events.0.dose") == 2.0
    with pytest.raises(ScenarioError, match="is not a scenario key"):
        get_value(s, "primary.nope")
    assert scenario_values(s, ["primary.rate_per_day", "treatment.resection_day", "x.y"]) == {
        "primary.rate_per_day": s.primary.rate_per_day}
    forbidden = ('split(".")', "split('.')")
    for path in (SRC / "engines").glob("*.py"):
        text = path.read_text()
        assert not any(f in text for f in forbidden), f"{path.name} splits dotted keys itself"
    assert not any(f in (SRC / "inference" / "model.py").read_text() for f in forbidden)


# ---------------------------------------------------------------------------------------------
# resolve: the parameter objects the engines used before, for every built-in scenario


def variants(name: str) -> list[Scenario]:
    base = load_scenario(name)
    return [base,
            load_scenario(base, ["systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9",
                                 "systemic.clearance_per_day=0.5", "dormancy.avascular_fraction=0.3",
                                 "dormancy.single_cell_latency=lognormal"]),
            load_scenario(base, ["systemic.model=angiogenesis", "systemic.inhibition_per_cell=1e-9",
                                 "systemic.hahnfeldt_b_per_day=4.0"])]


@pytest.mark.parametrize("name", mc.builtin_names())
def test_resolve_gives_the_translations_the_engines_used(name):
    """Field by field against the translations written out by hand (the mappings of the former
    translators in scenario.py, engines/bone.py and engines/_timevarying.py)."""
    for s in variants(name):
        sy, dm = s.systemic, s.dormancy
        theta = sy.inhibition_per_cell if sy.model == "proliferation" else 0.0
        assert asdict(resolve.systemic(s)) == {
            "inhibition_per_cell": theta, "clearance_per_day": sy.clearance_per_day,
            "stimulation_per_cell": sy.stimulation_per_cell,
            "stimulator_clearance_per_day": sy.stimulator_clearance_per_day,
            "surge_amplitude": sy.surge_amplitude, "surge_decay_days": sy.surge_decay_days}
        assert asdict(resolve.hahnfeldt(s)) == {
            "lambda1": sy.hahnfeldt_lambda1_per_day, "lambda2": 0.0, "b": sy.hahnfeldt_b_per_day,
            "d": sy.hahnfeldt_d_per_mm2_day}
        assert asdict(resolve.niche(s)) == s.niche.model_dump()
        assert asdict(resolve.lymphatics(s)) == s.lymphatics.model_dump()
        assert asdict(resolve.dormancy(s)) == dm.model_dump()
        cp = resolve.cascade(s, all_organs=True)
        expected = {**s.cascade.model_dump(), "stem_fraction": s.stem_cells.fraction}
        expected.pop("venous_drainage")
        assert {k: v for k, v in asdict(cp).items() if k != "organs"} == expected
        assert list(cp.organs) == list(cc.ORGAN_TABLE)
        for organ, site in cp.organs.items():
            o = s.organs.get(organ)
            for f, table_value in asdict(cc.ORGAN_TABLE[organ]).items():
                given = None if o is None else getattr(o, f)
                assert getattr(site, f) == (table_value if given is None else given)
        t = np.linspace(0.0, s.simulation.duration_days, 7)
        p = s.primary
        law = make_growth_law(p.growth, p.rate_per_day, p.carrying_capacity_cells,
                              p.power_law_exponent)
        assert np.array_equal(resolve.primary_growth(s).size(t, p.initial_cells),
                              law.size(t, p.initial_cells))
        m = p if s.metastasis.growth == "same_as_primary" else s.metastasis
        mlaw = make_growth_law(p.growth if s.metastasis.growth == "same_as_primary"
                               else s.metastasis.growth, m.rate_per_day,
                               m.carrying_capacity_cells, m.power_law_exponent)
        v0 = s.metastasis.initial_cells
        assert np.array_equal(resolve.metastasis_growth(s).size(t, v0), mlaw.size(t, v0))
        bone = resolve.bone(s)
        if s.bone is None:
            assert bone is None
        elif s.bone.model in ("komarova", "ayati"):
            pl = s.bone.power_law
            assert asdict(bone) == {
                "alpha1": pl.alpha1, "alpha2": pl.alpha2, "beta1": pl.beta1, "beta2": pl.beta2,
                "g11": pl.g11, "g12": pl.g12, "g21": pl.g21, "g22": pl.g22, "k1": pl.k1,
                "k2": pl.k2, "gamma_t": pl.tumour_rate_per_day, "lt": pl.tumour_capacity,
                "r11": pl.r11, "r21": pl.r21, "r12": pl.r12, "r22": pl.r22,
                "v1": pl.treatment_v1, "v2": pl.treatment_v2}
        else:
            vc = s.bone.vicious_cycle
            assert bone == LemaireParameters(
                r_t=vc.tumour_rate_per_day, k_t=vc.tumour_capacity_cells,
                s_pthrp=vc.pthrp_per_cell, eps_tgf=vc.tgf_growth_gain,
                tgf_feedback=1.0 if vc.tgf_feedback else 0.0,
                kappa=vc.bone_turnover_percent_per_day, d_a=vc.osteoclast_apoptosis_per_day,
                k_b=vc.osteoblast_apoptosis_per_day, kop=vc.opg_production,
                klp=vc.rankl_per_cell)
        bio = resolve.biology(s)
        assert bio.bone == bone and bio.dormancy == resolve.dormancy(s)
        assert (bio.cascade is None) == (s.dissemination.model != "cascade")
        assert (bio.hahnfeldt is None) == (sy.model != "angiogenesis")


def test_resolve_cascade_completes_the_body_with_other():
    s = load_scenario("breast-cascade")
    cp = resolve.cascade(s)
    assert list(cp.organs) == [*s.organs, "other", cc.LYMPH_NODE]  # the node is always there
    named = sum(cp.organs[k].blood_flow_fraction for k in cp.organs if k != "other")
    assert cp.organs["other"].blood_flow_fraction == pytest.approx(max(1.0 - named, 0.0),
                                                                   abs=1e-15)
    assert s.cascade_parameters() == cp


# ---------------------------------------------------------------------------------------------
# Each default and source written once


def strict_models() -> list[type]:
    seen: list[type] = []

    def walk(model: type) -> None:
        if model in seen:
            return
        seen.append(model)
        for f in model.model_fields.values():
            for cand in (f.annotation, *getattr(f.annotation, "__args__", ())):
                for c in (cand, *getattr(cand, "__args__", ())):
                    if isinstance(c, type) and issubclass(c, Strict):
                        walk(c)

    walk(Scenario)
    return seen


def test_cited_fields_take_default_and_source_from_biology():
    cited = 0
    for model in strict_models():
        for name, f in model.model_fields.items():
            extra = f.json_schema_extra
            if not isinstance(extra, Cited):
                continue
            cited += 1
            bio = next(x for x in dataclasses.fields(extra.dataclass) if x.name == extra.name)
            value = (getattr(extra.owner, extra.name) if not isinstance(extra.owner, type)
                     else bio.default)
            assert f.default == value, f"{model.__name__}.{name}"
            assert extra.get("source") == bio.metadata.get("source"), f"{model.__name__}.{name}"
    assert cited >= 70


#: Fields of the mirrored sections that no biology dataclass has (initial conditions, numerics,
#: model switches); everything else in these sections must be cited, never a literal copy.
SCENARIO_ONLY = {
    "Cascade": {"venous_drainage"},
    "Systemic": {"model", "initial_vascular_ratio", "inhibitor_source"},
    "BonePowerLaw": {"osteoclasts_initial", "osteoblasts_initial", "tumour_initial", "switch_eps"},
    "BoneViciousCycle": {"tumour_initial_cells", "tgf_feedback"},
}
MIRRORED = ("Cascade", "Niche", "Lymphatics", "StemCells", "Systemic", "Dormancy", "BonePowerLaw",
            "BoneViciousCycle")


def test_mirrored_sections_copy_no_biology_default():
    models = {m.__name__: m for m in strict_models()}
    for name in MIRRORED:
        for field_name, f in models[name].model_fields.items():
            if field_name in SCENARIO_ONLY.get(name, ()):
                continue
            assert isinstance(f.json_schema_extra, Cited), f"{name}.{field_name} is not cited"
    # and the model source writes no number where it cites (the cited() calls take no default)
    tree = ast.parse((SRC / "scenario" / "model.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "cited":
            assert len(node.args) == 2 and isinstance(node.args[1], ast.Constant)


def test_default_sections_resolve_to_the_biology_defaults():
    s = Scenario()
    assert resolve.niche(s) == NicheParameters()
    assert resolve.lymphatics(s) == LymphaticParameters()
    assert resolve.dormancy(s) == DormancyParameters()
    assert resolve.systemic(s) == SystemicSignals()
    assert resolve.hahnfeldt(s) == HahnfeldtParameters()
    assert resolve.power_law_bone(BonePowerLaw()) == PowerLawBoneParameters(
        gamma_t=PowerLawBoneParameters.ayati2010().gamma_t)
    assert resolve.vicious_cycle_bone(BoneViciousCycle()) == LemaireParameters.johnson2011()
    cascade = load_scenario({"organs": {"lung": {"seeding_fraction": 1.0}}})
    got = asdict(resolve.cascade(cascade, all_organs=True))
    assert {k: v for k, v in got.items() if k != "organs"} == {
        k: v for k, v in asdict(cc.CascadeParameters()).items() if k != "organs"}


def test_biology_writes_each_default_once():
    ll = HahnfeldtParameters()
    assert {"lambda1": ll.lambda1, "lambda2": 0.0, "b": ll.b, "d": ll.d} == LEWIS_LUNG
    assert {"lambda1": ll.lambda1, "b": ll.b, "d": ll.d} == LLC
    stem = next(f for f in dataclasses.fields(StemCellReservoir) if f.name == "fraction")
    casc = next(f for f in dataclasses.fields(cc.CascadeParameters) if f.name == "stem_fraction")
    assert (casc.default, casc.metadata) == (stem.default, stem.metadata)
    from metacascade.inference import bone_fit

    assert BoneViciousCycle().tumour_initial_cells == bone_fit.INOCULUM_CELLS
    assert bone_fit.tibd_parameters(0.1, 2e-3, 0.5) == LemaireParameters(
        r_t=0.1, k_t=1e9, s_pthrp=2e-3, eps_tgf=1.0, kappa=0.5)


def test_ayati_preset_is_biomd0000000402():
    """The published parameter list (Ayati et al. 2010; BIOMD0000000402, science.md §5.2)."""
    published = dict(alpha1=3.0, beta1=0.2, alpha2=4.0, beta2=0.02, g11=1.1, g21=-0.5, g12=1.0,
                     g22=0.0, k1=0.0748, k2=0.0006395, gamma_t=0.005, lt=100.0, r11=0.005,
                     r21=0.0, r12=0.0, r22=0.2, v1=0.001, v2=0.008)
    assert asdict(PowerLawBoneParameters.ayati2010()) == published


# ---------------------------------------------------------------------------------------------
# One dose expansion


def ev(**kw):  # type: ignore[no-untyped-def]
    return TreatmentEvent(drug=kw.pop("drug", "denosumab"), **kw)


@pytest.mark.parametrize(("event", "days"), [
    (dict(start_day=3.0, interval_days=7.5, n_doses=4), [3.0, 10.5, 18.0, 25.5]),
    (dict(start_day=0.0, interval_days=10.0), [0.0, 10.0, 20.0, 30.0]),
    (dict(start_day=5.0), [5.0]),
    (dict(start_day=5.0, n_doses=3), [5.0, 5.0, 5.0]),  # no interval: all at the start
    (dict(start_day=20.0, interval_days=4.0, n_doses=10), [20.0, 24.0, 28.0]),  # horizon
    (dict(start_day=40.0, interval_days=1.0), []),
])
def test_dose_days(event, days):
    got = dosing.dose_days(ev(**event), 30.0)
    assert got.tolist() == days


def test_both_engines_expand_doses_with_the_one_function():
    from metacascade.engines import bone, patients

    events = [ev(start_day=3.0, interval_days=7.0, dose=2.0), ev(drug="opg_fc", start_day=1.0)]
    assert bone.expand_events(events, 30.0) == dosing.doses(events, 30.0)
    assert [d.day for d in dosing.doses(events, 30.0)] == [1.0, 3.0, 10.0, 17.0, 24.0]
    assert patients.dose_days is dosing.dose_days
    assert "def dose_days" not in (SRC / "engines" / "patients.py").read_text()
    with pytest.raises(ScenarioError, match="unknown drug for the bone model"):
        bone.expand_events([ev(drug="aspirin", start_day=0.0)], 10.0)


# ---------------------------------------------------------------------------------------------
# The package's place: above biology, below result and engines


def test_scenario_imports_only_biology_errors_and_itself():
    allowed = ("metacascade.biology", "metacascade.errors", "metacascade.scenario")
    bad = []
    for path in sorted((SRC / "scenario").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module
                     else [])
            bad += [f"{path.name}: {n}" for n in names
                    if n.startswith("metacascade") and not n.startswith(allowed)]
    assert not bad, bad


def test_names_imported_from_scenario_still_import():
    import metacascade.scenario as sc

    for name in ("Scenario", "TreatmentEvent", "Organ", "Cascade", "apply_overrides",
                 "scenario_from_dict", "scenario_from_toml", "dump_toml", "load_scenario",
                 "builtin_names", "builtin_text", "scenario_json_schema", "parse_override",
                 "cascade_parameters", "niche_parameters", "lymphatic_parameters", "BaseModel"):
        assert hasattr(sc, name), name
    assert sc.cascade_parameters is resolve.cascade


def test_cascade_parameters_refuse_an_organ_the_cascade_does_not_know():
    """The default scenario's lumped 'distant' site has no cascade organ: a clear ScenarioError
    naming it and the organs there are (was a KeyError)."""
    from metacascade import Scenario, ScenarioError

    with pytest.raises(ScenarioError, match=r"organs\.distant: .*organs: lung, liver"):
        Scenario().cascade_parameters()
    assert "distant" not in Scenario().cascade_parameters(all_organs=True).organs
