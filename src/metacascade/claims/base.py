"""The claims registry: each seed statement as a named, rerunnable experiment with a verdict.

An experiment is a function decorated with :func:`experiment`; it receives a :class:`Context`
(output folder, quick mode, seed) and returns one :class:`Verdict` per statement it covers. It
runs real simulations through the public API and sorts every number it reports into one of three
kinds, because a model can only be tested on numbers it was not fitted to:

* **calibration** (:class:`Calibration`): a number used to set a parameter: a published value a
  script or function fitted to, or a value *chosen* by this package (``how="chosen"``). Listed so
  that a reader sees what the model was given; never evidence for the claim;
* **validation** (:class:`Target`): a published number that no parameter was set from, with a
  machine-checkable :class:`Tolerance` and its source. Only these can make a claim
  ``reproduced``;
* **checks** (:class:`Check`): the model behaves as the statement says (an identity, an ordering,
  a threshold read from qualitative text). They can make a claim fail, never make it
  ``reproduced``.

The status is derived from those, never set by hand (:func:`derive_status`):

* ``reproduced``: at least one validation target, every validation target and every check passed;
* ``not reproduced``: a validation target or a check failed;
* ``illustrated``: no validation target (the mechanism is modelled and every check passes, but no
  independent number tests it yet: true by construction or by calibration only);
* ``not yet modelled`` and ``error`` are set by the runner.

Adding an experiment is one small module in ``metacascade/claims/`` (imported automatically)::

    from metacascade.claims.base import Calibration, Context, Target, Verdict, experiment, factor

    @experiment("S3", title="Circulating tumour cells are inefficient")
    def inefficiency(ctx: Context) -> list[Verdict]:
        ...
        return [Verdict.assess(
            "S3",
            calibration={"luzzi_dormant_day13": Calibration(0.36, LUZZI, how="scripts/...")},
            validation={"fidler_metastases_per_surviving_cell": Target(
                measured=m, target=0.195, tolerance=factor(3), source=FIDLER)},
            figures=[ctx.save_figure(fig, "s3")], summary="...")]
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from metacascade.claims.statements import STATEMENTS

Status = Literal["reproduced", "not reproduced", "illustrated", "not yet modelled", "error"]
STATUSES: tuple[Status, ...] = ("reproduced", "not reproduced", "illustrated", "not yet modelled",
                                "error")
#: Statuses of a modelled claim: always derived from its validation targets and checks.
MODELLED: tuple[Status, ...] = ("reproduced", "not reproduced", "illustrated")
#: The summary phrase a verdict carries when it flips inside a sourced parameter range.
HOLDS_ONLY_FOR = "holds only for"

ToleranceKind = Literal["relative", "absolute", "factor", "interval", "below", "above",
                        "at_most", "at_least", "exactly"]
_SIZED = ("relative", "absolute", "factor")
_BOUND = {"below": "<", "above": ">", "at_most": "<=", "at_least": ">="}


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Tolerance:
    """A stated, machine-checkable rule comparing a measured number ``m`` with a target ``t``.

    ``relative`` |m - t| <= size |t|; ``absolute`` |m - t| <= size; ``factor`` t/size <= m <=
    t size; ``interval`` low <= m <= high (``t`` is the reported central value); ``below``,
    ``above``, ``at_most``, ``at_least``: m <, >, <=, >= t; ``exactly``: m == t. A measured value
    that is missing or not finite never passes. ``why`` says where the tolerance comes from.
    """

    kind: ToleranceKind
    size: float | None = None
    low: float | None = None
    high: float | None = None
    why: str = ""

    def __post_init__(self) -> None:
        if self.kind in _SIZED:
            if not _finite(self.size) or self.size is None or self.size < 0:
                raise ValueError(f"a {self.kind} tolerance needs a finite size >= 0, "
                                 f"got {self.size!r}")
            if self.kind == "factor" and self.size <= 1:
                raise ValueError(f"a factor tolerance needs a factor > 1, got {self.size!r}")
        elif self.kind == "interval":
            if not (_finite(self.low) and _finite(self.high)) or self.low > self.high:  # type: ignore[operator]
                raise ValueError(f"an interval tolerance needs finite low <= high, got "
                                 f"[{self.low!r}, {self.high!r}]")
        elif self.kind not in _BOUND and self.kind != "exactly":
            raise ValueError(f"unknown tolerance kind {self.kind!r}")

    def passed(self, measured: float | None, target: float) -> bool:
        """Whether ``measured`` meets the rule for ``target`` (never for a missing value)."""
        if measured is None or not _finite(measured):
            return False
        m, t = float(measured), float(target)
        if self.kind == "relative":
            return abs(m - t) <= float(self.size) * abs(t)  # type: ignore[arg-type]
        if self.kind == "absolute":
            return abs(m - t) <= float(self.size)  # type: ignore[arg-type]
        if self.kind == "factor":
            f = float(self.size)  # type: ignore[arg-type]
            return t > 0 and m > 0 and t / f <= m <= t * f
        if self.kind == "interval":
            return float(self.low) <= m <= float(self.high)  # type: ignore[arg-type]
        if self.kind == "below":
            return m < t
        if self.kind == "above":
            return m > t
        if self.kind == "at_most":
            return m <= t
        if self.kind == "at_least":
            return m >= t
        return m == t

    def describe(self, target: float) -> str:
        """The rule in words and where it comes from, e.g. ``within a factor 3 of 0.195
        (0.065-0.585): ...``."""
        text = self.rule(target)
        return f"{text}: {self.why}" if self.why else text

    def rule(self, target: float) -> str:
        """The rule in words, e.g. ``within a factor 3 of 0.195 (0.065-0.585)``."""
        t = _num(target)
        if self.kind == "relative":
            text = f"within {100 * float(self.size):g} % of {t}"  # type: ignore[arg-type]
        elif self.kind == "absolute":
            text = f"{t} +/- {_num(float(self.size))}"  # type: ignore[arg-type]
        elif self.kind == "factor":
            f = float(self.size)  # type: ignore[arg-type]
            text = (f"within a factor {f:g} of {t} ({_num(float(target) / f)}-"
                    f"{_num(float(target) * f)})")
        elif self.kind == "interval":
            text = f"in [{_num(float(self.low))}, {_num(float(self.high))}]"  # type: ignore[arg-type]
        elif self.kind == "exactly":
            text = f"exactly {t}"
        else:
            text = f"{_BOUND[self.kind]} {t}"
        return text

    def to_json(self, target: float) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in _SIZED:
            out["size"] = self.size
        if self.kind == "interval":
            out["low"], out["high"] = self.low, self.high
        out["rule"] = self.rule(target)
        if self.why:
            out["why"] = self.why
        out["text"] = self.describe(target)
        return out


def _num(x: float) -> str:
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.3g}"
    return f"{x:.4g}"


def relative(size: float, why: str = "") -> Tolerance:
    return Tolerance("relative", size=size, why=why)


def absolute(size: float, why: str = "") -> Tolerance:
    return Tolerance("absolute", size=size, why=why)


def factor(size: float, why: str = "") -> Tolerance:
    return Tolerance("factor", size=size, why=why)


def interval(low: float, high: float, why: str = "") -> Tolerance:
    return Tolerance("interval", low=low, high=high, why=why)


def below(why: str = "") -> Tolerance:
    return Tolerance("below", why=why)


def above(why: str = "") -> Tolerance:
    return Tolerance("above", why=why)


def at_most(why: str = "") -> Tolerance:
    return Tolerance("at_most", why=why)


def at_least(why: str = "") -> Tolerance:
    return Tolerance("at_least", why=why)


def exactly(why: str = "") -> Tolerance:
    return Tolerance("exactly", why=why)


@dataclass(frozen=True)
class Target:
    """A validation target: a published number that no parameter of the model was set from.

    ``model`` names the sub-model that makes the prediction when a claim runs several (a
    calibration with another ``scope`` then does not touch it; see :func:`contamination`).
    """

    measured: float | None
    target: float
    tolerance: Tolerance
    source: str
    note: str = ""
    model: str = ""

    @property
    def passed(self) -> bool:
        return self.tolerance.passed(self.measured, self.target)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"measured": _jnum(self.measured), "target": float(self.target),
               "tolerance": self.tolerance.to_json(self.target), "source": self.source,
               "passed": self.passed}
        if self.note:
            out["note"] = self.note
        if self.model:
            out["model"] = self.model
        return out


@dataclass(frozen=True)
class Check:
    """The model behaves as the statement says (an identity of the model, an ordering, a threshold
    read from qualitative text). A failed check fails the claim; a passed one is no evidence."""

    measured: float | None
    expected: float
    tolerance: Tolerance
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.tolerance.passed(self.measured, self.expected)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"measured": _jnum(self.measured), "expected": float(self.expected),
               "tolerance": self.tolerance.to_json(self.expected), "passed": self.passed}
        if self.note:
            out["note"] = self.note
        return out


CHOSEN = "chosen"


@dataclass(frozen=True)
class Calibration:
    """A number used to set a parameter: the published ``value`` a fit used (``how``: the script
    or rule that set the parameter ``sets`` from it), or a value chosen by this package
    (``how="chosen"``, ``value`` the chosen parameter value, ``note`` why). ``model`` is the
    calibrated model's value of the same quantity when it is measured (how good the fit is);
    ``scope`` the sub-model it sets when the claim runs several (empty: all of them)."""

    value: float
    source: str
    how: str
    sets: str = ""
    note: str = ""
    model: float | None = None
    scope: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": float(self.value), "source": self.source, "how": self.how}
        for k in ("sets", "note", "scope"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.model is not None:
            out["model"] = _jnum(self.model)
        return out


@dataclass(frozen=True)
class Sensitivity:
    """A verdict rerun over the sourced ``range`` of an assumed parameter: ``holds_for`` lists the
    values or [low, high] sub-ranges where it holds; ``verdict_flips`` whether it changes inside
    the range (then the claim is ``not reproduced`` or its summary says ``holds only for ...``)."""

    range: tuple[float, float]
    source: str
    holds_for: list[Any]
    verdict_flips: bool

    def to_json(self) -> dict[str, Any]:
        return {"range": [float(x) for x in self.range], "source": self.source,
                "holds_for": list(self.holds_for), "verdict_flips": bool(self.verdict_flips)}


def _jnum(x: float | None) -> float | None:
    return None if x is None or not _finite(x) else float(x)


def derive_status(validation: Mapping[str, Target], checks: Mapping[str, Check]) -> Status:
    """The status of a modelled claim (module docstring); raises when nothing is compared."""
    if not validation and not checks:
        raise ValueError("a modelled claim compares at least one number (a validation target "
                         "or a check)")
    if not all(t.passed for t in validation.values()) or not all(
            c.passed for c in checks.values()):
        return "not reproduced"
    return "reproduced" if validation else "illustrated"


# ---- "the same quantity from the same source" --------------------------------------------------

def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def source_key(source: str) -> str:
    """The first author's surname and the first year of a citation, e.g. ``"Luzzi KJ et al. Am J
    Pathol 1998;153:865"`` -> ``"luzzi1998"`` (accents dropped, lower case)."""
    text = _ascii(source)
    word = re.search(r"[a-z][a-z'-]*", text)
    year = re.search(r"(?<!\d)(19|20)\d\d(?!\d)", text)
    return (word.group(0).replace("'", "") if word else "") + (year.group(0) if year else "")


def quantity_key(name: str, source: str) -> str:
    """A quantity name normalised for matching: lower case, words joined by ``_``, and a leading
    first-author word dropped (``fidler_alive_24h`` from Fidler 1970 -> ``alive_24h``)."""
    q = "_".join(re.findall(r"[a-z0-9]+", _ascii(name)))
    author = re.sub(r"\d+$", "", source_key(source))
    if author and q.startswith(author + "_"):
        q = q[len(author) + 1:]
    return q


def target_key(name: str, source: str) -> str:
    """The normalised key ``source|quantity`` that identifies a published number."""
    return f"{source_key(source)}|{quantity_key(name, source)}"


def _same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15)


def contamination(validation: Mapping[str, Target],
                  calibration: Mapping[str, Calibration | Mapping[str, Any]]) -> list[str]:
    """Validation targets that are also calibration data: the same normalised key (source +
    quantity, :func:`target_key`), or the same source with the same number. A calibration with
    a ``scope`` contaminates only a target predicted by the same sub-model (``Target.model``);
    ``how="chosen"`` values are assumptions, not data, and are skipped. Returns messages."""
    cal = []
    for name, c in calibration.items():
        d = c.to_json() if isinstance(c, Calibration) else dict(c)
        if d.get("how") == CHOSEN:
            continue
        cal.append((name, d))
    bad = []
    for name, t in validation.items():
        key = target_key(name, t.source)
        for cname, d in cal:
            scope = d.get("scope", "")
            if scope and t.model and scope != t.model:
                continue
            same_key = target_key(cname, str(d.get("source", ""))) == key
            same_value = (source_key(str(d.get("source", ""))) == source_key(t.source)
                          and _finite(d.get("value")) and _same_number(float(d["value"]),
                                                                       float(t.target)))
            if same_key or same_value:
                bad.append(f"validation target {name!r} ({key}) is calibration data {cname!r}")
    return bad


# ---- the verdict ----------------------------------------------------------------------------

@dataclass
class Verdict:
    """The outcome of one statement's experiment (the ``claims.json`` entry).

    Build a modelled verdict with :meth:`assess` (the status is derived); ``measured``,
    ``targets`` and ``tolerances`` are then filled from the validation targets and checks.
    """

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
    calibration: dict[str, Calibration] = field(default_factory=dict)
    validation: dict[str, Target] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    sensitivity: dict[str, Sensitivity] = field(default_factory=dict)
    quick_undecided: bool = False
    quick_reason: str = ""

    @property
    def statement(self) -> str:
        return STATEMENTS[self.id]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "status": self.status, "measured": dict(self.measured),
            "targets": dict(self.targets), "tolerances": dict(self.tolerances),
            "sources": list(self.sources), "figures": list(self.figures),
            "summary": self.summary, "experiment": self.experiment, "seconds": self.seconds,
            "statement": self.statement,
            "calibration": {k: c.to_json() for k, c in self.calibration.items()},
            "validation": {k: t.to_json() for k, t in self.validation.items()},
            "checks": {k: c.to_json() for k, c in self.checks.items()},
            "sensitivity": {k: s.to_json() for k, s in self.sensitivity.items()},
            "quick_undecided": self.quick_undecided, "quick_reason": self.quick_reason,
        }

    @classmethod
    def assess(cls, id: str, *, validation: Mapping[str, Target] | None = None,
               checks: Mapping[str, Check] | None = None,
               calibration: Mapping[str, Calibration] | None = None,
               measured: Mapping[str, float | None] | None = None,
               sensitivity: Mapping[str, Sensitivity] | None = None,
               sources: list[str] | None = None, figures: list[str] | None = None,
               summary: str = "", quick_undecided: str = "") -> Verdict:
        """A modelled claim's verdict with its status derived (:func:`derive_status`).

        ``measured`` holds every other reported number; the measured value of each validation
        target and check is added under its name. ``sources`` gets every source of the
        validation and calibration data. ``quick_undecided``: why the quick sample is too small
        to decide (set it only in quick mode). A verdict that flips inside a sourced range gets
        ``holds only for ...`` appended to its summary.
        """
        val = dict(validation or {})
        chk = dict(checks or {})
        cal = dict(calibration or {})
        sens = dict(sensitivity or {})
        status = derive_status(val, chk)
        both = set(val) & set(chk)
        if both:
            raise ValueError(f"{id}: names both a validation target and a check: {sorted(both)}")
        m: dict[str, float] = {}
        for k, x in (measured or {}).items():
            m[k] = float("nan") if x is None else x
        compared: list[tuple[str, Target | Check]] = [*val.items(), *chk.items()]
        for k, item in compared:
            x = float("nan") if item.measured is None else float(item.measured)
            if k in m and not (m[k] == x or (math.isnan(m[k]) and math.isnan(x))):
                raise ValueError(f"{id}: measured {k!r} = {m[k]!r} differs from its "
                                 f"validation/check value {x!r}")
            m[k] = x
        targets = {k: float(t.target) for k, t in val.items()}
        targets.update({k: float(c.expected) for k, c in chk.items()})
        tolerances = {k: t.tolerance.describe(t.target) for k, t in val.items()}
        tolerances.update({k: c.tolerance.describe(c.expected) for k, c in chk.items()})
        srcs: list[str] = []
        for s in [*(sources or []), *(t.source for t in val.values()),
                  *(c.source for c in cal.values() if c.how != CHOSEN)]:
            if s and s not in srcs:
                srcs.append(s)
        flips = [k for k, s in sens.items() if s.verdict_flips]
        if flips and status != "not reproduced" and HOLDS_ONLY_FOR not in summary.lower():
            summary = (summary + " " if summary else "") + "Holds only for " + "; ".join(
                f"{k} in {sens[k].holds_for}" for k in flips) + "."
        return cls(id=id, status=status, measured=m, targets=targets, tolerances=tolerances,
                   sources=srcs, figures=list(figures or []), summary=summary, calibration=cal,
                   validation=val, checks=chk, sensitivity=sens,
                   quick_undecided=bool(quick_undecided), quick_reason=quick_undecided)

    @classmethod
    def not_modelled(cls, id: str, why: str) -> Verdict:
        return cls(id=id, status="not yet modelled", summary=why)

    def problems(self) -> list[str]:
        """Why this verdict breaks the contract (empty when it is fine): a modelled status that is
        not the derived one, a validation target without a source or with calibration data,
        calibration without a source or a ``how``, a flip inside a sourced range not said."""
        if self.status not in MODELLED:
            if self.validation or self.checks:
                return [f"status {self.status!r} with validation targets or checks"]
            return []
        out = []
        if not self.validation and not self.checks:
            return ["no validation target and no check (a modelled claim compares numbers)"]
        derived = derive_status(self.validation, self.checks)
        if self.status != derived:
            out.append(f"status {self.status!r} is not the derived {derived!r} (a status is "
                       "never set by hand)")
        for k, t in self.validation.items():
            if not isinstance(t, Target) or not isinstance(t.tolerance, Tolerance):
                out.append(f"validation {k!r} is not a Target with a Tolerance")
            elif not t.source.strip():
                out.append(f"validation {k!r} has no source")
        for k, c in self.checks.items():
            if not isinstance(c, Check) or not isinstance(c.tolerance, Tolerance):
                out.append(f"check {k!r} is not a Check with a Tolerance")
        for k, cal in self.calibration.items():
            if not isinstance(cal, Calibration) or not cal.source.strip() or not cal.how.strip():
                out.append(f"calibration {k!r} needs a value, a source and a how")
        out.extend(contamination(self.validation, self.calibration))
        flips = [k for k, s in self.sensitivity.items() if s.verdict_flips]
        if flips and self.status != "not reproduced" and HOLDS_ONLY_FOR not in self.summary.lower():
            out.append(f"the verdict flips inside the sourced range of {flips} but is "
                       f"{self.status!r} without saying '{HOLDS_ONLY_FOR} ...'")
        return out


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
        if not mod.name.startswith("_") and mod.name not in ("base", "statements", "runner",
                                                              "display"):
            importlib.import_module(f"metacascade.claims.{mod.name}")
    return REGISTRY
