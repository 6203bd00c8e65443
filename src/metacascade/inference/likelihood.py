"""Residual error models and the log-likelihood of observations given predictions.

Error models (Monolix/saemix conventions; Lavielle 2014, "Mixed effects models for the population
approach"): an observation y of a prediction f is y = f + sd(f) eps, eps ~ N(0, 1), with

    proportional  sd = b f
    additive      sd = a
    combined      sd = sqrt(a^2 + b^2 f^2)

Benzekry et al. 2021 use proportional errors with b = 0.1 for SIOPEN and LDH. Left-censored
observations (true value <= y, e.g. below a detection limit) contribute log Phi((y - f)/sd).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from metacascade.errors import ScenarioError, shown

Array = npt.NDArray[np.float64]
LOG_2PI = float(np.log(2.0 * np.pi))
#: log-likelihood given to impossible predictions (sd = 0 or non-finite f): finite, so that
#: optimisers can move away.
FLOOR = -1e12
#: Largest accepted error-model parameter (an sd of 1e12 observed units or a relative sd of 1e12
#: is already no information at all; beyond it the likelihood loses its meaning).
MAX_SD = 1e12


@dataclass(frozen=True)
class ErrorModel:
    """Residual error: ``kind`` in {proportional, additive, combined}; ``a`` additive sd (observed
    units), ``b`` proportional sd (dimensionless)."""

    kind: str = "proportional"
    a: float = 0.0
    b: float = 0.1

    def __post_init__(self) -> None:
        if self.kind not in ("proportional", "additive", "combined"):
            raise ScenarioError(f"error model {shown(self.kind)}: allowed proportional, additive, "
                                "combined")
        for name, v in (("a", self.a), ("b", self.b)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                    or v < 0 or v > MAX_SD:
                raise ScenarioError(f"error model {self.kind}: {name} = {shown(v)} must be a "
                                    f"finite number from 0 to {MAX_SD:g}")
        if self.kind in ("additive", "combined") and not self.a > 0:
            raise ScenarioError(f"error model {self.kind}: a = {self.a} must be > 0")
        if self.kind in ("proportional", "combined") and not self.b > 0:
            raise ScenarioError(f"error model {self.kind}: b = {self.b} must be > 0")

    @classmethod
    def parse(cls, text: str) -> ErrorModel:
        """``proportional:0.1``, ``additive:2``, ``combined:2,0.1`` (finite positive numbers)."""
        if not isinstance(text, str):
            raise ScenarioError(f"error model {shown(text)}: give a string such as "
                                "proportional:0.1")
        kind, _, rest = text.partition(":")
        try:
            nums = [float(x) for x in rest.split(",")] if rest.strip() else []
        except ValueError:
            raise ScenarioError(f"error model {shown(text)}: the parameters must be numbers, "
                                "e.g. proportional:0.1, additive:2, combined:2,0.1") from None
        kind = kind.strip()
        want = {"proportional": 1, "additive": 1, "combined": 2}.get(kind)
        if want is None:
            raise ScenarioError(f"error model {shown(text)}: allowed proportional:b, additive:a, "
                                "combined:a,b")
        if nums and len(nums) != want or (kind == "combined" and not nums):
            raise ScenarioError(f"error model {shown(text)}: {kind} takes {want} number(s) "
                                f"(e.g. {'combined:2,0.1' if want == 2 else kind + ':0.1'})")
        if kind == "proportional":
            return cls(kind, 0.0, nums[0] if nums else 0.1)
        if kind == "additive":
            return cls(kind, nums[0] if nums else 1.0, 0.0)
        return cls(kind, nums[0], nums[1])

    def to_dict(self) -> dict[str, float | str]:
        return {"kind": self.kind, "a": self.a, "b": self.b}


def sd_of(f: Array, a: Array, b: Array) -> Array:
    return np.sqrt(a * a + (b * f) ** 2)


def loglik_terms(y: Array, f: Array, a: Array, b: Array, censored: npt.NDArray[np.bool_],
                 ) -> Array:
    """Per-observation log-likelihood, shape of ``f`` (S, n)."""
    sd = sd_of(f, a, b)
    ok = np.isfinite(f) & (sd > 0)
    sd_s = np.where(ok, sd, 1.0)
    z = (y - np.where(ok, f, 0.0)) / sd_s
    ll = np.where(censored, log_ndtr(z), -0.5 * z * z - np.log(sd_s) - 0.5 * LOG_2PI)
    # sd = 0 (f = 0 under a proportional error): a censored y >= f is certain (log 1 = 0)
    exact = censored & np.isfinite(f) & (sd == 0) & (f <= y)
    return np.where(ok, np.maximum(ll, FLOOR), np.where(exact, 0.0, FLOOR))


def standardized_residuals(y: Array, f: Array, a: Array, b: Array) -> Array:
    sd = sd_of(f, a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (y - f) / sd


@numba.njit(cache=True)
def loglik_rows(y: Array, f: Array, a: Array, b: Array, censored: npt.NDArray[np.bool_],
                ) -> Array:
    """Compiled sum over observations of :func:`loglik_terms`: (S,) from f (S, n)."""
    out = np.zeros(f.shape[0])
    for s in range(f.shape[0]):
        tot = 0.0
        for i in range(f.shape[1]):
            fi = f[s, i]
            sd = math.sqrt(a[i] * a[i] + (b[i] * fi) ** 2)
            if not (math.isfinite(fi) and sd > 0.0):
                # f = 0 under a proportional error: a censored y >= f is certain
                tot += 0.0 if (censored[i] and math.isfinite(fi) and fi <= y[i]) else FLOOR
                continue
            z = (y[i] - fi) / sd
            if censored[i]:
                c = 0.5 * math.erfc(-z / math.sqrt(2.0))
                ll = math.log(c) if c > 0.0 else FLOOR
            else:
                ll = -0.5 * z * z - math.log(sd) - 0.5 * LOG_2PI
            tot += max(ll, FLOOR)
        out[s] = tot
    return out
