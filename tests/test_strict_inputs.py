"""Strict, bounded scenario inputs (issue 13): no coercion, none only for optional values, and
one-line errors that echo at most ~200 characters of a bad value, whatever the value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import metacascade as mc
from metacascade.errors import ScenarioError, shown
from metacascade.scenario import parse_override

#: An error message is one line and short, even for a 10 MB value.
MAX_MESSAGE = 1300


def refused(source, overrides=()) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError) as err:
        mc.load_scenario(source, overrides)
    msg = str(err.value)
    assert "\n" not in msg and len(msg) <= MAX_MESSAGE, msg[:400]
    return msg


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ('dissemination.mu="2"', "dissemination.mu = '2': must be a number"),
        ("dissemination.mu=true", "dissemination.mu = True: must be a number"),
        ("dissemination.secondary=1", "dissemination.secondary = 1: must be true or false"),
        ('dissemination.secondary="yes"', "must be true or false"),
        ("dissemination.secondary=yes", "must be true or false"),  # a bare word is a string
        ('simulation.seed="7"', "simulation.seed = '7': must be an integer"),
        ("simulation.seed=7.5", "must be an integer"),
        ("simulation.seed=7.0", "must be an integer"),
        ("primary.growth=1", "primary.growth"),
    ],
)
def test_wrong_types_are_refused_not_coerced(override: str, fragment: str) -> None:
    assert fragment in refused("breast", [override])


def test_an_integer_is_an_exact_number() -> None:
    s = mc.load_scenario("breast", ["dissemination.mu=2", "simulation.duration_days=100"])
    assert s.dissemination.mu == 2.0 and isinstance(s.dissemination.mu, float)
    assert s.simulation.duration_days == 100.0


def test_mapping_overrides_are_strict_too() -> None:
    assert "must be true or false" in refused("breast", {"dissemination.secondary": 1})
    assert "must be an integer" in refused("breast", {"simulation.seed": "7"})
    assert "must be a number" in refused("breast", {"dissemination.mu": "1e-11"})
    # numpy integers are integers, numpy floats are floats
    s = mc.load_scenario("breast", {"simulation.seed": np.int64(3),
                                    "dissemination.mu": np.float64(2e-11)})
    assert s.simulation.seed == 3 and s.dissemination.mu == 2e-11


def test_toml_files_are_strict(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text('name = "x"\n[dissemination]\nsecondary = 1\n')
    assert "dissemination.secondary = 1: must be true or false" in refused(p)
    p.write_text('name = "x"\n[simulation]\nseed = "7"\n')
    assert "simulation.seed" in refused(p)


def test_none_only_unsets_optional_values() -> None:
    msg = refused("breast", ["dissemination.mu=none"])
    assert "dissemination.mu = none: this value is not optional" in msg
    assert "not optional" in refused("breast", {"death.lethal_burden_cells": None})
    s = mc.load_scenario("breast", ["treatment.resection_day=100"])
    assert s.treatment.resection_day == 100.0
    s = mc.load_scenario(s, ["treatment.resection_day=null"])
    assert s.treatment.resection_day is None
    # the schema says which fields are optional and what unset means
    props = mc.scenario_json_schema()["$defs"]["Treatment"]["properties"]
    assert "optional" in props["resection_day"]["description"]


def test_deeply_nested_values_are_one_line_errors(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert "nested too deeply" in refused("breast", [f"dissemination.mu={deep}"])
    p = tmp_path / "deep.toml"
    p.write_text(f"name = {deep}\n")
    assert "nested too deeply" in refused(p)
    # nesting that parses (below the recursion limit) is a type error with a cut value
    msg = refused("breast", ["references=" + "[" * 300 + '"a"' + "]" * 300])
    assert "references" in msg


def test_huge_integers_are_one_line_errors(tmp_path: Path) -> None:
    big = "9" * 5000
    assert "simulation.seed" in refused("breast", [f"simulation.seed={big}"])
    p = tmp_path / "big.toml"
    p.write_text(f"[simulation]\nseed = {big}\n")
    assert "not valid TOML" in refused(p)
    assert "too large for a number" in refused("breast", ["dissemination.mu=" + "9" * 400])


def test_non_finite_numbers_are_refused() -> None:
    for raw in ("1e400", "inf", "nan", "-inf"):
        assert "must be a finite number" in refused("breast", [f"primary.initial_cells={raw}"])


def test_name_is_bounded_and_may_hold_any_character() -> None:
    msg = refused("breast", ["name=" + '"' + "n" * 300 + '"'])
    assert "name" in msg and "at most 100 characters" in msg
    assert "at least 1 character" in refused("breast", ['name=""'])
    s = mc.load_scenario("breast", ['name="../our run/é: [1] /"'])
    assert s.name == "../our run/é: [1] /"


def test_messages_echo_at_most_200_characters_of_a_value() -> None:
    msg = refused("breast", ['description="' + "y" * 10_000_000 + '"'])
    assert "description" in msg and len(msg) < 500
    msg = refused("breast", ["primary.bogus=" + '"' + "z" * 5000 + '"'])
    assert "primary.bogus: unknown key" in msg and len(msg) < 400
    msg = refused("breast", ["dissemination.mu=[" + "1," * 100_000 + "]"])
    assert len(msg) < 500


def test_many_problems_are_counted_on_one_line() -> None:
    bad = {f"organs.o{i}.seeding_fraction": "x" for i in range(10)}
    msg = refused("breast", bad)
    assert "and 7 more problems" in msg


def test_overrides_that_are_not_strings_or_keys_are_refused() -> None:
    with pytest.raises(ScenarioError, match="dotted.key=value"):
        parse_override("no-equals-sign")
    assert "non-empty dotted.key" in refused("breast", {"": 1})
    with pytest.raises(ScenarioError):
        parse_override("a..b=1")


def test_scenario_file_name_problems_are_scenario_errors(tmp_path: Path) -> None:
    assert "File name too long" in refused(tmp_path / ("x" * 300 + ".toml"))
    assert "does not exist" in refused(tmp_path / "nope.toml")
    assert "unknown scenario" in refused("x" * 5000)


def test_lethal_burden_below_the_detection_size_is_refused() -> None:
    """death.lethal_burden_cells = 1.000001 used to give negative survival (issue 13)."""
    msg = refused("breast", ["death.lethal_burden_cells=1.000001"])
    assert "death.lethal_burden_cells = 1.000001 is below detection.primary_cells" in msg


def test_shown_cuts_long_and_unprintable_values() -> None:
    assert shown("abc") == "'abc'"
    long = shown("x" * 10_000)
    assert len(long) <= 200 and "chars>" in long
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    assert "too deep" in shown(nested)
    assert "\n" not in shown("a\nb")
