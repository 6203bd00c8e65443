"""``simulate(scenario, engine="auto")``: the one dispatcher over the engine registry.

It picks the engine from the scenario (the organism engine; ``spread`` for
``dissemination.model = "cascade"``; bone lesions run with the organism engine on the same grid;
``stochastic`` only when asked), runs the engine's ``check`` and refuses, with one
:class:`~metacascade.errors.ScenarioError` naming the section, the value and which engine or
command does handle it, every scenario the engine would otherwise run partially (docs/design.md, the
Engine contract; :mod:`metacascade.engines.base`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metacascade.engines.base import AUTO, engine_names, get_engine, raise_problems
from metacascade.errors import ScenarioError, shown
from metacascade.options import check_seed
from metacascade.result import Result
from metacascade.scenario import Scenario, load_scenario


def engine_for(scenario: Scenario) -> str:
    """The engine ``auto`` picks: ``spread`` for the cascade model, else ``organism`` (which also
    runs a ``[bone]`` lesion); the stochastic cell-scale engine is never picked by itself."""
    return "spread" if scenario.dissemination.model == "cascade" else "organism"


def simulate(scenario: Scenario | str | Path, engine: str = AUTO, *, seed: int | None = None,
             size_times: Sequence[float] | None = None) -> Result:
    """Simulate one patient with the engine that honours every section of ``scenario``.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A :class:`~metacascade.scenario.Scenario`, a built-in name (``"breast"``) or the path of
        a TOML file (as :func:`metacascade.fit` accepts).
    engine : str
        ``"auto"`` (:func:`engine_for`) or an engine name (``organism``, ``spread``,
        ``stochastic``).
    seed : int, optional
        Seed of the random number generator of the run (stored as ``simulation.seed`` of the
        result's scenario; default ``simulation.seed``); only the stochastic engine draws random
        numbers.
    size_times : sequence of float, optional
        Days of the size distribution of metastases (organism engine; default the detection day
        and the end).

    Returns
    -------
    Result
        Time series, key events and provenance.

    Raises
    ------
    ScenarioError
        The engine cannot honour a section or value of the scenario (``err.problems`` lists them
        all; ``err.hint`` names the engine or command that does).

    Examples
    --------
    >>> import metacascade as mc
    >>> r = mc.simulate("breast")
    >>> round(r.summary["n_metastases_at_detection"], 3)
    0.357
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if seed is not None:
        sim = sc.simulation.model_copy(update={"seed": check_seed(seed, "seed")})
        sc = sc.model_copy(update={"simulation": sim})
    if not isinstance(engine, str) or (engine != AUTO and engine not in engine_names()):
        raise ScenarioError(f"engine {shown(engine)} is unknown; choose auto or one of "
                            f"{', '.join(engine_names())}")
    chosen = get_engine(engine_for(sc) if engine == AUTO else engine)
    raise_problems(chosen.name, chosen.check(sc), sc.name)
    rng = np.random.default_rng(sc.simulation.seed)
    if size_times is not None:
        if chosen.name != "organism":
            raise ScenarioError(f"size_times is an option of the organism engine, not of the "
                                f"{chosen.name} engine")
        from metacascade.engines.organism import ENGINE as ORGANISM

        return ORGANISM.run(sc, rng, size_times=size_times)
    return chosen.run(sc, rng)
