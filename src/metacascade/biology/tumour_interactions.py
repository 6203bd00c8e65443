"""Two (or more) tumours in one host: how a tumour restrains a distant one (Benzekry et al. 2017, S8).

Benzekry, Lamont, Barbolosi, Hlatky & Hahnfeldt 2017 (Cancer Res 77:5183, "Mathematical modeling
of tumor-tumor distant interactions supports a systemic control of tumor growth") implanted two
tumours at the same time in syngeneic mice and compared three families of interaction models:
competition, angiogenesis inhibition and proliferation inhibition. Only the abstract was retrieved
(Benzekry et al. 2017, [R: abstract]); the equations below are reconstructions on the single-tumour model
of Hahnfeldt, Panigrahy, Folkman & Hlatky 1999 (Cancer Res 59:4770), not the
paper's exact forms [L].

Single tumour (Hahnfeldt 1999), volume V and vascular carrying capacity K, both in mm^3, time in
days::

    dV/dt = lambda1 r V ln(K/V)
    dK/dt = b V - d K V^(2/3)

lambda1 (day^-1) growth rate, r (1) a per-tumour multiplier of it (biological variability; 1 by
default), b (day^-1) stimulation, d (mm^-2 day^-1) endogenous inhibition. With b = d = 0 the capacity
stays at K(0) and V follows Gompertz growth in closed form, V(t) = K exp(ln(V0/K) e^(-lambda1 r t))
(:func:`gompertz_volume`), which the tests use as an exact reference.

Two-tumour families (tumour i, the other tumour j):

- **Competition** (:class:`Competition`): the tumours share one carrying capacity (one nutrient/
  vascular pool). With S = V_1 + V_2::

      dV_i/dt = lambda1 r_i V_i ln(K/S),     dK/dt = b S - d K S^(2/3)

  Both tumours have the same specific growth rate ln(K/S) times their own rate, so with equal rates
  the ratio V_1/V_2 is an exact invariant: competition slows both tumours by the same factor and
  cannot suppress one of two identical tumours.
- **Angiogenesis inhibition** (:class:`AngiogenesisInhibition`): each tumour has its own capacity,
  stimulated locally (b V_i) and inhibited by an inhibitor that every tumour secretes through its
  surface and that circulates (Hahnfeldt's d K V^(2/3) with the surfaces of both tumours)::

      dV_i/dt = lambda1 r_i V_i ln(K_i/V_i),  dK_i/dt = b V_i - d K_i (V_i^(2/3) + w V_j^(2/3))

  w (1) weighs the distant tumour's inhibitor (1: fully systemic, the default; 0: independent
  tumours). No parameter beyond Hahnfeldt's is needed, so its two-tumour outcome is a prediction.
- **Proliferation inhibition** (:class:`ProliferationInhibition`): every tumour releases a
  circulating inhibitor of proliferation in proportion to its volume (angiostatin-like, O'Reilly et
  al. 1994, Cell 79:315; quasi-steady concentration); tumour i is sensitive to the other tumour's
  inhibitor and (with weight epsilon) to its own::

      dV_i/dt = lambda1 r_i V_i ln(K_i/V_i) / (1 + theta (epsilon V_i + V_j))
      dK_i/dt = b V_i - d K_i V_i^(2/3)

  theta (mm^-3) inhibition per mm^3 of producing tumour, epsilon (1) self-sensitivity (0: a tumour is
  protected from its own factor, as in concomitant resistance, so a single tumour grows exactly as a
  control; 1: every tumour feels the total burden).

Symmetric-state stability (proliferation inhibition, Gompertz core with fixed K, equal rates). With
V_1 = V e^(x/2), V_2 = V e^(-x/2), L = ln(K/V), u = theta V, the log-ratio x obeys to first order
dx/dt = sigma x with::

    sigma = lambda1 / D * (L u (1 - epsilon) / D - 1),     D = 1 + u (1 + epsilon)

(:func:`asymmetry_growth_rate`): identical tumours drift apart (the symmetric state is unstable) when
L u (1 - epsilon) > 1 + u (1 + epsilon), i.e. theta > theta_c = 1 / (V (L (1 - epsilon) - 1 - epsilon))
(:func:`instability_threshold`); never when epsilon = 1 or when L <= (1 + epsilon)/(1 - epsilon).

All models are integrated in log variables (ln V, ln K) with scipy's ``solve_ivp``, vectorised over a
cohort: state arrays have shape (tumours per host, hosts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.integrate import solve_ivp

from metacascade.biology.systemic import LEWIS_LUNG
from metacascade.errors import ScenarioError

Array = npt.NDArray[np.float64]

#: Hahnfeldt 1999 Lewis lung carcinoma: lambda1 (day^-1), b (day^-1),
#: d (mm^-2 day^-1); the values of :class:`metacascade.biology.systemic.HahnfeldtParameters`.
LLC = {k: LEWIS_LUNG[k] for k in ("lambda1", "b", "d")}


class TwoTumourModel(Protocol):
    """What every interaction model provides (arrays of shape (m tumours, n hosts))."""

    @property
    def lambda1(self) -> float:
        """Growth rate (day^-1)."""
        ...

    def initial_state(self, v0: Array, k0: Array) -> Array:
        """The flat log-state from volumes ``v0`` and capacities ``k0`` (mm^3)."""
        ...

    def rhs(self, y: Array, rate: Array) -> Array:
        """d(log-state)/dt for the flat log-state ``y``; ``rate`` (m, n) multiplies lambda1."""
        ...

    def volumes(self, y: Array, m: int) -> Array:
        """Volumes (mm^3), shape (m, n...), from the flat log-state(s) ``y``."""
        ...


def _other(v: Array) -> Array:
    """Sum over the other tumours of the same host (axis 0), for each tumour."""
    return np.sum(v, axis=0, keepdims=True) - v


@dataclass(frozen=True)
class _PerTumourCapacity:
    """Shared layout: state (ln V (m, n), ln K (m, n)) flattened."""

    lambda1: float = LLC["lambda1"]
    b: float = LLC["b"]
    d: float = LLC["d"]

    def initial_state(self, v0: Array, k0: Array) -> Array:
        return np.concatenate([np.log(v0).ravel(), np.log(k0).ravel()])

    def volumes(self, y: Array, m: int) -> Array:
        y = np.asarray(y, dtype=np.float64)
        half = y.shape[0] // 2
        return np.exp(y[:half].reshape((m, -1) + y.shape[1:]))

    def _split(self, y: Array, m: int) -> tuple[Array, Array]:
        half = y.size // 2
        return y[:half].reshape(m, -1), y[half:].reshape(m, -1)

    def _capacity_rate(self, u: Array, w: Array, surface: Array) -> Array:
        """d ln K/dt = b V/K - d S for the inhibiting surface term S (mm^2)."""
        return self.b * np.exp(u - w) - self.d * surface


@dataclass(frozen=True)
class ProliferationInhibition(_PerTumourCapacity):
    """Proliferation inhibition (module docstring): theta in mm^-3, self_weight epsilon in [0, 1]."""

    theta: float = 0.0
    self_weight: float = 0.0

    def rhs(self, y: Array, rate: Array) -> Array:
        m = rate.shape[0]
        u, w = self._split(y, m)
        v = np.exp(u)
        inhibitor = self.self_weight * v + _other(v)
        du = self.lambda1 * rate * (w - u) / (1.0 + self.theta * inhibitor)
        dw = self._capacity_rate(u, w, np.cbrt(v) ** 2)
        return np.concatenate([du.ravel(), dw.ravel()])


@dataclass(frozen=True)
class AngiogenesisInhibition(_PerTumourCapacity):
    """Angiogenesis inhibition (module docstring): distant_weight w in [0, 1] (1)."""

    distant_weight: float = 1.0

    def rhs(self, y: Array, rate: Array) -> Array:
        m = rate.shape[0]
        u, w = self._split(y, m)
        s = np.exp(2.0 * u / 3.0)  # V^(2/3)
        du = self.lambda1 * rate * (w - u)
        dw = self._capacity_rate(u, w, s + self.distant_weight * _other(s))
        return np.concatenate([du.ravel(), dw.ravel()])


@dataclass(frozen=True)
class Competition:
    """Competition for one shared carrying capacity (module docstring). State: ln V (m, n), then one
    ln K per host (n); the initial K of a host is the sum of its tumours' k0."""

    lambda1: float = LLC["lambda1"]
    b: float = LLC["b"]
    d: float = LLC["d"]

    def initial_state(self, v0: Array, k0: Array) -> Array:
        return np.concatenate([np.log(v0).ravel(), np.log(np.sum(k0, axis=0)).ravel()])

    def volumes(self, y: Array, m: int) -> Array:
        y = np.asarray(y, dtype=np.float64)
        n = y.shape[0] // (m + 1)
        return np.exp(y[: m * n].reshape((m, n) + y.shape[1:]))

    def rhs(self, y: Array, rate: Array) -> Array:
        m, n = rate.shape
        u = y[: m * n].reshape(m, n)
        w = y[m * n:]
        total = np.sum(np.exp(u), axis=0)
        lt = np.log(total)
        du = self.lambda1 * rate * (w - lt)[None, :]
        dw = self.b * np.exp(lt - w) - self.d * np.cbrt(total) ** 2
        return np.concatenate([du.ravel(), dw])


@dataclass
class CohortRun:
    """Volumes (mm^3) of every tumour at the requested days: ``volumes[i, host, k]`` at ``days[k]``."""

    days: Array
    volumes: Array = field(repr=False)


def simulate(model: TwoTumourModel, v0: Array, k0: Array, days: Array | list[float],
             rate: Array | None = None, rtol: float = 1e-8) -> CohortRun:
    """Integrate ``model`` for hosts carrying ``v0.shape[0]`` tumours each (``v0``, ``k0``: (m, n)
    initial volumes and capacities in mm^3; ``rate`` (m, n) multiplies lambda1, default 1) and
    return the volumes at ``days`` (days after implantation)."""
    v0 = np.atleast_2d(np.asarray(v0, dtype=np.float64))
    k0 = np.broadcast_to(np.asarray(k0, dtype=np.float64), v0.shape)
    r = np.ones_like(v0) if rate is None else np.broadcast_to(np.asarray(rate, float), v0.shape)
    t = np.atleast_1d(np.asarray(days, dtype=np.float64))
    y0 = model.initial_state(v0, k0)
    sol = solve_ivp(lambda _t, y: model.rhs(y, r), (0.0, float(t[-1])), y0, t_eval=t,
                    rtol=rtol, atol=1e-10, method="LSODA")
    if not sol.success:  # pragma: no cover - defensive
        raise RuntimeError(f"two-tumour integration failed: {sol.message}")
    vols = model.volumes(sol.y, v0.shape[0])
    return CohortRun(days=t, volumes=vols)


#: The interaction families of :func:`simulate_two_tumours`, by name.
INTERACTIONS: dict[str, type] = {"competition": Competition,
                                 "angiogenesis": AngiogenesisInhibition,
                                 "proliferation": ProliferationInhibition}


def simulate_two_tumours(interaction: str, v0: npt.ArrayLike, k0: npt.ArrayLike,
                         days: npt.ArrayLike, *, rate: npt.ArrayLike | None = None,
                         rtol: float = 1e-8, **parameters: float) -> CohortRun:
    """Tumours that restrain each other in one host (Benzekry et al. 2017; Hahnfeldt et al. 1999).

    Every host carries ``v0.shape[0]`` tumours that grow by the Hahnfeldt 1999 model (volume V,
    vascular capacity K) and interact through one of Benzekry 2017's three families (the module
    :mod:`metacascade.biology.tumour_interactions` gives the equations, reconstructed from the
    paper's abstract): a shared capacity, a circulating angiogenesis inhibitor, or a circulating
    inhibitor of proliferation.

    Parameters
    ----------
    interaction : {"competition", "angiogenesis", "proliferation"}
        The interaction family.
    v0 : array_like of float, shape (tumours, hosts)
        Initial volumes (mm^3; 1 mm^3 = 1e6 cells).
    k0 : array_like of float, broadcast to the shape of ``v0``
        Initial vascular carrying capacities (mm^3).
    days : array_like of float
        Output times (days after implantation, increasing).
    rate : array_like of float, optional
        Per-tumour multiplier (dimensionless) of the growth rate lambda1 (default 1 for all).
    rtol : float
        Relative tolerance (dimensionless) of scipy's LSODA integration.
    **parameters : float
        Parameters of the family: ``lambda1`` (per day), ``b`` (per day), ``d`` (per mm^2 per
        day; default: Hahnfeldt's Lewis lung carcinoma values), ``theta`` (per mm^3) and
        ``self_weight`` (dimensionless) for proliferation inhibition, ``distant_weight``
        (dimensionless) for angiogenesis inhibition.

    Returns
    -------
    CohortRun
        ``days`` and ``volumes`` (mm^3), shape (tumours, hosts, days).

    Examples
    --------
    >>> import numpy as np
    >>> import metacascade as mc
    >>> v0 = np.array([[1.0], [1.0]])  # two 1 mm^3 implants in one mouse
    >>> run = mc.simulate_two_tumours("proliferation", v0, 3.47 * v0, [15.0], theta=1e-3)
    >>> run.volumes.shape
    (2, 1, 1)
    """
    if interaction not in INTERACTIONS:
        raise ScenarioError(f"interaction = {interaction!r}: choose one of "
                            f"{', '.join(INTERACTIONS)}")
    model: TwoTumourModel = INTERACTIONS[interaction](**parameters)
    return simulate(model, np.asarray(v0, dtype=np.float64), np.asarray(k0, dtype=np.float64),
                    np.asarray(days, dtype=np.float64), rate=None if rate is None
                    else np.asarray(rate, dtype=np.float64), rtol=rtol)


def gompertz_volume(t: Array | float, v0: Array | float, capacity: float,
                    rate: Array | float) -> Array:
    """Closed-form Gompertz volume K exp(ln(V0/K) e^(-rate t)) (mm^3; rate in day^-1)."""
    return np.asarray(capacity * np.exp(np.log(np.asarray(v0) / capacity)
                                        * np.exp(-np.asarray(rate) * np.asarray(t))),
                      dtype=np.float64)


def asymmetry_growth_rate(theta: float, v: float, capacity: float, lambda1: float,
                          self_weight: float = 0.0) -> float:
    """Growth rate sigma (day^-1) of ln(V_1/V_2) near the symmetric state V_1 = V_2 = v (mm^3) of
    the proliferation-inhibition model with a Gompertz core of fixed capacity (module docstring)."""
    u = theta * v
    big_l = np.log(capacity / v)
    den = 1.0 + u * (1.0 + self_weight)
    return float(lambda1 / den * (big_l * u * (1.0 - self_weight) / den - 1.0))


def instability_threshold(v: float, capacity: float, self_weight: float = 0.0) -> float:
    """theta_c (mm^-3) above which two identical tumours of volume v drift apart (inf if never)."""
    big_l = np.log(capacity / v)
    margin = big_l * (1.0 - self_weight) - 1.0 - self_weight
    return float(1.0 / (v * margin)) if margin > 0 else float("inf")
