"""The claims registry: each seed statement as a named, rerunnable experiment with a verdict.

An experiment is a function decorated with :func:`experiment`; it receives a :class:`Context`
(output folder, quick mode, seed) and returns one :class:`Verdict` per statement it covers. It must
run real simulations through the public API and compare measured numbers with targets from the
literature or from an independent computation (never a number derived from the same run).

Adding an experiment is one small module in ``metacascade/claims/`` (imported automatically)::

    from metacascade.claims.base import Context, Verdict, experiment

    @experiment("S3", title="Circulating tumour cells are inefficient")
    def inefficiency(ctx: Context) -> list[Verdict]:
        ...
        return [Verdict.compare("S3", measured={...}, targets={...}, tolerances={...},
                                passed=..., sources=[...], figures=[ctx.save_figure(fig, "s3")])]
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from metacascade.claims.statements import STATEMENTS

Status = Literal["reproduced", "not reproduced", "not yet modelled", "error"]
STATUSES: tuple[Status, ...] = ("reproduced", "not reproduced", "not yet modelled", "error")


@dataclass
class Verdict:
    """The outcome of one statement's experiment (the ``claims.json`` entry)."""

    id: str
    status: Status
    measured: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    tolerances: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    summary: str = ""
    experiment: str = ""
    seconds: float = 0.0

    @property
    def statement(self) -> str:
        return STATEMENTS[self.id]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["statement"] = self.statement
        return out

    @classmethod
    def compare(cls, id: str, *, passed: bool, **kw: Any) -> Verdict:
        """A verdict of a modelled claim: reproduced when ``passed``, else not reproduced."""
        return cls(id=id, status="reproduced" if passed else "not reproduced", **kw)

    @classmethod
    def not_modelled(cls, id: str, why: str) -> Verdict:
        return cls(id=id, status="not yet modelled", summary=why)


@dataclass
class Context:
    """What an experiment may use: where to put figures, how thorough to be, and the seed."""

    out_dir: Path
    quick: bool = False
    seed: int = 0

    def save_figure(self, fig: Any, stem: str) -> str:
        """Save a matplotlib figure (from :mod:`metacascade.plotting.claims`) as ``<stem>.png``
        in the output folder; return its name."""
        from metacascade.plotting.style import save

        self.out_dir.mkdir(parents=True, exist_ok=True)
        return save(fig, self.out_dir / f"{stem}.png", dpi=100)


@dataclass(frozen=True)
class Experiment:
    ids: tuple[str, ...]
    title: str
    func: Callable[[Context], list[Verdict]]

    @property
    def name(self) -> str:
        return f"{self.func.__module__.rsplit('.', 1)[-1]}.{self.func.__name__}"


REGISTRY: dict[str, Experiment] = {}


def experiment(*ids: str, title: str) -> Callable[[Callable[[Context], list[Verdict]]],
                                                   Callable[[Context], list[Verdict]]]:
    """Register ``func`` as the experiment for the statements ``ids`` (e.g. "S13", "S15")."""
    for i in ids:
        if i not in STATEMENTS:
            raise ValueError(f"unknown statement id {i!r}")

    def wrap(func: Callable[[Context], list[Verdict]]) -> Callable[[Context], list[Verdict]]:
        exp = Experiment(tuple(ids), title, func)
        key = (func.__module__, func.__qualname__)
        for i in ids:  # check every id before registering any (no half registration)
            old = REGISTRY.get(i)
            if old is not None and (old.func.__module__, old.func.__qualname__) != key:
                raise ValueError(f"statement {i} already has an experiment: {old.name}")
        for i in ids:  # the same function imported again (a re-import) replaces itself
            REGISTRY[i] = exp
        return func

    return wrap


def discover() -> dict[str, Experiment]:
    """Import every module of ``metacascade.claims`` so that their experiments register."""
    import metacascade.claims as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_") and mod.name not in ("base", "statements"):
            importlib.import_module(f"metacascade.claims.{mod.name}")
    return REGISTRY
