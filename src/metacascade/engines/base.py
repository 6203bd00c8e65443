"""The engine contract: every scenario section is honoured by the engine that runs it, or refused.

An :class:`Engine` has a ``name``, a ``check(scenario)`` that lists every section or value of the
scenario it cannot honour (as :class:`Problem` records: the dotted key, the value, why, and which
engine or command does handle it) and a ``run(scenario, rng)`` that returns a
:class:`~metacascade.result.Result`. :func:`metacascade.api.simulate` runs ``check`` first and
refuses with :func:`refusal` (a one-line :class:`~metacascade.errors.ScenarioError` with one hint
line) instead of running a scenario partially.

Each engine (and the two commands that are not single-run engines: cohorts and batches) also
declares, section by section, what it does with the scenario (:class:`Support`): the table of
``docs/models.md`` is generated from these declarations, and the tests check that every section of
:class:`~metacascade.scenario.Scenario` is declared and that what is declared as refused is refused.

The registry maps engine names to the modules that define them; a module is imported only when its
engine is asked for (``metacascade --help`` does not pay for numba kernels it does not run).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from metacascade.errors import ScenarioError, shown

#: ``engine`` values: ``auto`` (the engine chosen from the scenario) and the registered engines.
AUTO = "auto"

if TYPE_CHECKING:
    import numpy as np

    from metacascade.result import Result
    from metacascade.scenario import Scenario

Level = Literal["yes", "partly", "no", "n/a"]


@dataclass(frozen=True)
class Problem:
    """One scenario value an engine cannot honour.

    ``key``: dotted scenario key (``dormancy.surgery_escape_probability``; a section name for a
    whole section); ``value``: the value found; ``why``: what the engine does not follow, as a
    clause (``"the organism engine cannot follow ..."``); ``handler``: the engine or command that
    does handle it, as the user types it (``{scenario}`` is replaced by the scenario's name), or
    None when no engine does; ``advice``: a hint of its own when the fix is a change to the
    scenario rather than another engine (``"add a [bone] section"``).
    """

    key: str
    value: Any
    why: str
    handler: str | None = None
    advice: str | None = None

    def line(self) -> str:
        """``key = value: why`` (the value as in a scenario file, echoed within bounds)."""
        return f"{self.key} = {toml_value(self.value)}: {self.why}"

    def hint(self, scenario_name: str = "SCENARIO") -> str:
        """The hint line: which engine or command handles it."""
        if self.advice is not None:
            return self.advice
        if self.handler is None:
            return "no engine of metacascade follows this; change the value"
        return "use `" + self.handler.replace("{scenario}", scenario_name) + "`"


def toml_value(value: Any) -> str:
    """A value as written in a scenario file (``true``, ``"cascade"``, ``0.3``), bounded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if len(value) > 80:
            return shown(value, 80)
        import tomli_w  # a TOML basic string, quoted and escaped as in the file

        return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()
    return shown(value)


@dataclass(frozen=True)
class Support:
    """What an engine does with one scenario section or key: ``yes`` (honoured), ``partly``
    (honoured for some values, the others refused: ``note`` says which), ``no`` (refused unless
    the value is the default or inactive) or ``n/a`` (the section does not concern this engine's
    outputs; ``note`` says why)."""

    key: str
    level: Level
    note: str = ""


class Checker(Protocol):
    """What lists the problems of a scenario: every engine, and the cohort and batch commands."""

    name: str
    supports: tuple[Support, ...]

    def check(self, scenario: Scenario) -> list[Problem]: ...


class Engine(Checker, Protocol):
    """A simulation engine: ``check`` lists every section or value it cannot honour; ``run``
    simulates a scenario whose ``check`` is empty, drawing random numbers (if any) from ``rng``."""

    def run(self, scenario: Scenario, rng: np.random.Generator) -> Result: ...


def refusal(engine: str, problems: Sequence[Problem], scenario_name: str) -> ScenarioError:
    """The error refusing a scenario: one line naming the first problem (and how many more, by
    key), one hint line naming who handles it. ``err.problems`` keeps them all."""
    if not problems:
        raise ValueError("refusal needs at least one problem")
    first = problems[0]
    message = first.line()
    rest = [p.key for p in problems[1:]]
    if rest:
        more = ", ".join(rest[:4]) + (", ..." if len(rest) > 4 else "")
        message += f"; and {len(rest)} more: {more}"
    err = ScenarioError(message)
    err.hint = first.hint(scenario_name)
    err.problems = list(problems)
    return err


def raise_problems(engine: str, problems: Sequence[Problem], scenario_name: str) -> None:
    """Raise :func:`refusal` when there are problems."""
    if problems:
        raise refusal(engine, problems, scenario_name)


# ---- registry ---------------------------------------------------------------------------------

#: Engine name -> module defining ``ENGINE`` (imported when first asked for).
ENGINE_MODULES: dict[str, str] = {
    "organism": "metacascade.engines.organism",
    "spread": "metacascade.engines.spread",
    "stochastic": "metacascade.engines.stochastic",
}
#: Checkers that are commands rather than single-run engines (for the support table).
COMMAND_MODULES: dict[str, str] = {
    "cohort": "metacascade.engines.patients",
    "batch": "metacascade.engines.batch",
}


def register(name: str, module: str) -> None:
    """Register the engine ``ENGINE`` of ``module`` under ``name``."""
    ENGINE_MODULES[name] = module


def engine_names() -> tuple[str, ...]:
    """Names of the registered engines."""
    return tuple(ENGINE_MODULES)


def get_engine(name: str) -> Engine:
    """The engine registered as ``name`` (ScenarioError naming the known ones otherwise)."""
    if name not in ENGINE_MODULES:
        raise ScenarioError(f"engine {shown(name)} is unknown; known engines: "
                            f"{', '.join(ENGINE_MODULES)} (or auto)")
    engine: Engine = importlib.import_module(ENGINE_MODULES[name]).ENGINE
    return engine


def checkers() -> dict[str, Checker]:
    """Every engine and command checker by name (engines first), for the support table."""
    out: dict[str, Checker] = {name: get_engine(name) for name in ENGINE_MODULES}
    for name, module in COMMAND_MODULES.items():
        out[name] = importlib.import_module(module).CHECKER
    return out


def support_table() -> tuple[list[str], list[list[str]]]:
    """The header and rows (one per declared key, in scenario order) of the support table:
    a cell is the level, with its note in brackets."""
    from metacascade.scenario.io import split_key
    from metacascade.scenario.model import Scenario

    found = checkers()
    keys: list[str] = []
    for checker in found.values():
        for s in checker.supports:
            if s.key not in keys:
                keys.append(s.key)
    order = list(Scenario.model_fields)
    first_seen = {k: i for i, k in enumerate(keys)}  # list.sort hides the list while it sorts
    section = {k: split_key(k)[0] for k in keys}
    keys.sort(key=lambda k: (order.index(section[k]) if section[k] in order else len(order),
                             first_seen[k]))
    rows = []
    for key in keys:
        row = [key]
        for checker in found.values():
            got = next((x for x in checker.supports if x.key == key), None)
            row.append("" if got is None else got.level + (f" ({got.note})" if got.note else ""))
        rows.append(row)
    return ["section or key", *found], rows
