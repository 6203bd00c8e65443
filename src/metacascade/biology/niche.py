"""The pre-metastatic niche: organ readiness primed by primary-derived signals (S2, S10, S11).

Primary tumours secrete exosomes, microRNAs and growth factors (VEGF-A, PlGF, TGF-beta) that
recruit VEGFR1+ bone-marrow-derived cells to future metastatic sites *before* tumour cells arrive
(Kaplan et al., Nature 2005;438:820); exosome integrins set which organs are primed
(alpha6beta4/alpha6beta1 -> lung, alphavbeta5 -> liver; Hoshino et al., Nature 2015;527:329).
No fitted dose-response model exists (Kaplan et al. 2005); following the form suggested there,
the readiness n_o in [0, 1] of organ o obeys

    dn_o/dt = k' x affinity_o x S(Vp) x (1 - n_o) - k_decay x n_o,    S(Vp) = (Vp / V_ref)^power

with k' (``priming_rate_per_day``, day^-1), k_decay (``decay_rate_per_day``, day^-1), V_ref
(``reference_cells``, cells) and ``power`` (1: secretion by every cell; 2/3: by the surface).
After resection Vp = 0 and readiness decays at k_decay. Readiness multiplies the rate at which a
micrometastasis switches to progressive growth by ``1 + gain x n_o`` (``gain`` dimensionless; the
niche supports "implantation and growth", S11), so a fully primed organ is up to (1 + gain) times
more receptive than a naive one (the naive value is the one
the injection experiments of Luzzi 1998 measure). Defaults are assumptions of this package, chosen
so that priming precedes the first colonisation as Kaplan observed (clusters of VEGFR1+ cells at
day 12-14, tumour cells at day 16-18 in the LLC model [L]).

The equation is linear in n with a time-varying coefficient; it is integrated exactly on a fine
grid with the coefficient frozen in each step (exponential integrator, vectorised over organs and
patients).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class NicheParameters:
    """See the module docstring for the equation and units."""

    priming_rate_per_day: float = field(default=0.1, metadata={"source": (
        "Kaplan et al., Nature 2005;438:820 (value assumed).")})
    decay_rate_per_day: float = field(default=0.05, metadata={"source": "Assumption."})
    secretion_power: float = field(default=1.0, metadata={"source": "Kaplan et al. 2005."})
    reference_cells: float = field(default=1e8, metadata={"source": "Assumption."})
    gain: float = field(default=9.0, metadata={"source": (
        "Kaplan 2005: blocking VEGFR1+ cells abrogates metastasis (value assumed).")})

    def secretion(self, vp: npt.ArrayLike) -> Array:
        """Dimensionless signal flux S(Vp) = (Vp / V_ref)^power (0 for Vp <= 0)."""
        v = np.maximum(np.asarray(vp, dtype=np.float64), 0.0)
        return np.asarray((v / self.reference_cells) ** self.secretion_power, dtype=np.float64)


def readiness(times: Array, secretion: Array, affinity: Array, p: NicheParameters,
              n0: float = 0.0) -> Array:
    """Readiness on ``times`` (T,) for signal values ``secretion`` (..., T) at those times and
    organ affinities ``affinity`` (..., O): returns (..., O, T).

    Exact for a secretion that is piecewise constant between grid points (its value at the left
    end of each step is used; midpoint values give second order when ``secretion`` is sampled at
    the midpoints by the caller).
    """
    t = np.asarray(times, dtype=np.float64)
    s = np.asarray(secretion, dtype=np.float64)
    aff = np.asarray(affinity, dtype=np.float64)
    a = p.priming_rate_per_day * aff[..., :, None] * s[..., None, :-1]  # (..., O, T-1)
    k = a + p.decay_rate_per_day
    dt = np.diff(t)
    decay = np.exp(-k * dt)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eq = np.where(k > 0, a / k, 0.0)
    out = np.empty((*a.shape[:-1], t.shape[0]))
    out[..., 0] = n0
    # n_{i+1} = n_eq + (n_i - n_eq) e^{-k dt}: a first-order linear recursion, x_{i+1} = c x_i + d
    c = decay
    d = n_eq * (1.0 - decay)
    n = np.full(a.shape[:-1], float(n0))
    for i in range(a.shape[-1]):  # a loop over time steps, vectorised over patients and organs
        n = c[..., i] * n + d[..., i]
        out[..., i + 1] = n
    return out


def readiness_function(times: Array, values: Array) -> Callable[[Array], Array]:
    """Linear interpolation of readiness ``values`` (O, T) on ``times``: f(s) -> (O, *s.shape)."""
    def f(s: Array) -> Array:
        flat = np.asarray(s, dtype=np.float64).ravel()
        return np.stack([np.interp(flat, times, v) for v in values]).reshape(
            (values.shape[0], *np.shape(s)))
    return f


def colonisation_factor(n: npt.ArrayLike, p: NicheParameters) -> Array:
    """Multiplier 1 + gain x n of the progression rate of a micrometastasis."""
    return np.asarray(1.0 + p.gain * np.asarray(n, dtype=np.float64), dtype=np.float64)
