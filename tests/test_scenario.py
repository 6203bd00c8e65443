"""Scenario validation, TOML round trip, overrides and schema."""

import pytest

import metacascade as mc
from metacascade.errors import ScenarioError
from metacascade.scenario import parse_override, scenario_from_toml


@pytest.mark.parametrize("name", mc.builtin_names())
def test_builtin_scenarios_load_and_round_trip(name):
    s = mc.load_scenario(name)
    assert s.name == name
    assert scenario_from_toml(s.to_toml()) == s


def test_required_builtins_exist():
    assert {"iwata-hcc", "neuroblastoma", "breast", "colorectal"} <= set(mc.builtin_names())


def test_overrides_are_typed():
    s = mc.load_scenario("breast", ["dissemination.mu=2e-11", "dissemination.secondary=true",
                                    "primary.growth=logistic"])
    assert s.dissemination.mu == 2e-11 and s.dissemination.secondary is True
    assert s.primary.growth == "logistic"
    assert parse_override("a.b=none") == (["a", "b"], None)


@pytest.mark.parametrize(
    "override,fragment",
    [
        ("dissemination.gamma=1.5", "dissemination.gamma = 1.5"),
        ("dissemination.mu=-1", "dissemination.mu = -1"),
        ("primary.rate_per_day=0", "primary.rate_per_day = 0"),
        ("primary.bogus=3", "primary.bogus: unknown key"),
        ("dissemination.gamma=abc", "dissemination.gamma = 'abc'"),
        ("organs.bone.seeding_fraction=0.9", "must sum to 1"),
        ("primary.initial_cells=1e13", "must be below primary.carrying_capacity_cells"),
        ("simulation.output_step_days=1e4", "exceeds simulation.duration_days"),
    ],
)
def test_bad_values_name_field_value_and_range(override, fragment):
    with pytest.raises(ScenarioError) as err:
        mc.load_scenario("breast", [override])
    assert fragment in str(err.value)


def test_range_is_stated():
    with pytest.raises(ScenarioError) as err:
        mc.load_scenario("breast", ["dissemination.gamma=2"])
    assert ">= 0 and <= 1" in str(err.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        mc.load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[primary\nrate = ")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        mc.load_scenario(bad)
    with pytest.raises(ScenarioError, match="unknown scenario"):
        mc.load_scenario("no-such-scenario")


def test_schema_has_units_and_sources():
    schema = mc.scenario_json_schema()
    diss = schema["$defs"]["Dissemination"]["properties"]
    assert diss["mu"]["unit"] == "cell^-gamma day^-1"
    assert "source" in diss["gamma"]
    assert diss["gamma"]["maximum"] == 1


def test_every_field_is_documented():
    def walk(model):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name} has no description"
            ann = f.annotation
            for cand in (ann, *getattr(ann, "__args__", ())):
                if isinstance(cand, type) and issubclass(cand, mc.scenario.BaseModel):
                    walk(cand)

    walk(mc.Scenario)


def test_builtin_name_wins_over_a_folder_of_the_same_name(tmp_path, monkeypatch):
    (tmp_path / "breast").mkdir()  # e.g. an output folder left by an earlier run
    monkeypatch.chdir(tmp_path)
    assert mc.load_scenario("breast").name == "breast"
