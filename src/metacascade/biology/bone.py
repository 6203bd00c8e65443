"""Bone remodelling and the tumour-bone vicious cycle (Komarova et al. 2003; Ayati et al. 2010).

Three model families, all written as right-hand sides vectorised over a batch of parameter sets
(state arrays of shape ``(n_states, n_batch)``; every parameter may be a scalar or an array of
shape ``(n_batch,)``), so that one ``scipy.integrate.solve_ivp`` call integrates thousands of
lesions (benchmarks/README.md):

1. **Komarova et al. 2003** (Bone 33:206; BioModels BIOMD0000000148): osteoclasts ``x1`` (cells),
   osteoblasts ``x2`` (cells) with power-law autocrine/paracrine regulation and bone mass ``z`` (%)::

       dx1/dt = alpha1 x1^g11 x2^g21 - beta1 x1
       dx2/dt = alpha2 x1^g12 x2^g22 - beta2 x2
       dz/dt  = -k1 max(x1 - x1_bar, 0) + k2 max(x2 - x2_bar, 0)

   alpha (cells^(1-g) day^-1), beta (day^-1), g (1), k1, k2 (% cell^-1 day^-1).

2. **Ayati, Edwards, Webb & Wikswo 2010** (Biol Direct 5:28; BIOMD0000000402/403): the same with
   a Gompertz tumour ``T`` (% of its capacity ``LT``) that modifies the exponents::

       g11 -> g11 (1 + r11 T/LT),  g21 -> g21 (1 + r21 T/LT),
       g12 -> g12 / (1 + r12 T/LT), g22 -> g22 - r22 T/LT,   dT/dt = gammaT T ln(LT/T)

   and the treatment of BIOMD0000000403 (drug ``proteasome_inhibitor``, level c; c = 1 gives the
   SBML values v1 = 0.001, v2 = 0.008 day^-1): beta2 -> beta2 - v1 c, gammaT -> gammaT - v2 c.

   The reference values x1_bar, x2_bar of the bone-mass switch are the constants of the SBML
   (computed once with the r's, i.e. at T = LT), exactly as in BIOMD0000000402.

3. **Lemaire et al. 2004** (J Theor Biol 229:293; BIOMD0000000278), the RANK/RANKL/OPG model with
   responding osteoblasts ``R``, active osteoblasts ``B`` and active osteoclasts ``C`` (pM)::

       dR/dt = D_R pi_C - (D_B / pi_C) R
       dB/dt = (D_B / pi_C) R - k_B B
       dC/dt = D_C pi_L - D_A pi_C C
       pi_C = (C + f0 C_s) / (C + C_s)                        TGF-beta released by resorption
       pi_P = (P + P_0) / (P + k6/k5),  P = I_P / k_P, P_0 = S_P / k_P   PTH activation
       OPG  = (K_O^P R / pi_P + I_O) / k_O
       RANKL = K_L^P pi_P B / (1 + k3 K/k4 + k1 OPG/k2)        free RANKL (quasi-steady binding)
       pi_L = (k3/k4) RANKL                                   RANK occupancy

   extended with the tumour (the vicious cycle of Mundy 2002 / Guise 2006, in the form of the TIBD
   models of Pivonka 2008 and SysBioCollab-UArk/TIBD_microenvironment):

   * tumour PTHrP adds to the PTH input: ``P = (I_P + s_pthrp T) / k_P``, which raises RANKL
     on osteoblasts and lowers their OPG;
   * resorption releases TGF-beta: ``tgf_beta = C / C_ss`` (released TGF-beta is proportional to
     the resorbing osteoclasts, Pivonka 2008; reported relative to the healthy steady state);
   * TGF-beta raises the tumour growth rate (the cycle is closed)::

         dT/dt = r_T (1 + eps_tgf (phi(tgf) - phi(1))) T (1 - T/K_T),  phi(x) = x / (1 + x)

     so that a tumour in healthy bone grows at ``r_T``; ``tgf_feedback = False`` pins ``tgf`` to 1;
   * bone volume (% of the initial) is formed by B and resorbed by C, balanced at the healthy
     steady state: ``dz/dt = kappa (B/B_ss - (C/C_ss) z/100)`` (kappa in % day^-1); the
     resorption term is proportional to z, so z stays positive.

Drugs (dimensionless effect levels ``c(t)``, see :mod:`metacascade.engines.bone` for the
pharmacokinetics) act as: denosumab (anti-RANKL antibody) divides the free RANKL by
``1 + c_dmab`` (the antibody is an additional decoy receptor); OPG-Fc adds ``c_opgfc`` times the
healthy OPG level to OPG; a bisphosphonate (zoledronic acid) multiplies osteoclast removal by
``1 + c_bp``. In the Komarova/Ayati models denosumab and OPG-Fc divide the osteoclast production
term ``alpha1`` by ``1 + c`` and the bisphosphonate multiplies ``beta1`` by ``1 + c``.

Numerical care: the Komarova/Ayati cell numbers are integrated as logarithms (``u = ln x``), so
fractional powers are always of positive numbers and the cells stay positive; the ``max(., 0)``
switch of the bone-mass equation is either exact (``switch_eps = 0``) or the smooth
``smax(u) = (u + sqrt(u^2 + eps^2)) / 2`` with ``0 <= smax(u) - max(u, 0) <= eps/2``, so the
bone-mass error is at most ``(k1 + k2) eps/2`` per day of simulated time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Num = float | Array

__all__ = [
    "DRUGS",
    "JOHNSON2011_INOCULUM_CELLS",
    "LemaireParameters",
    "PowerLawBoneParameters",
    "ayati_rhs",
    "lemaire_algebra",
    "lemaire_healthy_state",
    "lemaire_rhs",
    "smooth_max",
]

#: Drugs understood by the bone models, with what they do.
DRUGS: dict[str, str] = {
    "denosumab": "anti-RANKL antibody: free RANKL divided by 1 + c",
    "opg_fc": "recombinant OPG-Fc: OPG raised by c times its healthy level",
    "zoledronic_acid": "bisphosphonate: osteoclast removal multiplied by 1 + c",
    "bisphosphonate": "bisphosphonate: osteoclast removal multiplied by 1 + c",
    "proteasome_inhibitor": "Ayati 2010 / BIOMD0000000403 treatment (Komarova/Ayati models only): "
                            "osteoblast removal beta2 - v1 c, tumour rate gammaT - v2 c",
}


def smooth_max(u: Array, eps: float) -> Array:
    """``max(u, 0)`` (``eps = 0``) or its smooth version ``(u + sqrt(u^2 + eps^2)) / 2``."""
    if eps <= 0:
        return np.maximum(u, 0.0)
    return 0.5 * (u + np.sqrt(u * u + eps * eps))


def _batch(params: Any, n: int) -> Any:
    """Broadcast every field of a parameter dataclass to an array of length ``n``."""
    return replace(params, **{f.name: np.broadcast_to(np.asarray(getattr(params, f.name),
                                                                 dtype=np.float64), (n,))
                              for f in fields(params)})


# ------------------------------------------------------------------------------------------
# Komarova 2003 / Ayati 2010

_KOMAROVA = {"source": "Komarova 2003"}
_AYATI = {"source": "Ayati 2010"}


@dataclass(frozen=True)
class PowerLawBoneParameters:
    """Komarova 2003 (tumour-free, ``r* = 0``) and Ayati 2010 (tumour) parameters.

    Units: alpha1, alpha2 in cells^(1-g) day^-1; beta1, beta2 in day^-1; g* and r* dimensionless;
    k1, k2 in % cell^-1 day^-1; gamma_t in day^-1; lt (tumour capacity) in % (Ayati: 100);
    v1, v2 (day^-1): effects of the BIOMD0000000403 treatment per unit level (0.001, 0.008).
    """

    alpha1: Num = field(default=3.0, metadata=_KOMAROVA)
    alpha2: Num = field(default=4.0, metadata=_KOMAROVA)
    beta1: Num = field(default=0.2, metadata=_KOMAROVA)
    beta2: Num = field(default=0.02, metadata=_KOMAROVA)
    g11: Num = field(default=0.5, metadata=_KOMAROVA)
    g12: Num = field(default=1.0, metadata=_KOMAROVA)
    g21: Num = field(default=-0.5, metadata=_KOMAROVA)
    g22: Num = field(default=0.0, metadata=_KOMAROVA)
    k1: Num = field(default=0.24, metadata=_KOMAROVA)
    k2: Num = field(default=0.0017, metadata=_KOMAROVA)
    gamma_t: Num = field(default=0.0, metadata=_AYATI)
    lt: Num = field(default=100.0, metadata=_AYATI)
    r11: Num = field(default=0.0, metadata=_AYATI)
    r21: Num = field(default=0.0, metadata=_AYATI)
    r12: Num = field(default=0.0, metadata=_AYATI)
    r22: Num = field(default=0.0, metadata=_AYATI)
    v1: Num = field(default=0.001, metadata={"source": "Ayati 2010, BIOMD0000000403 (v1)"})
    v2: Num = field(default=0.008, metadata={"source": "Ayati 2010, BIOMD0000000403 (v2)"})

    @classmethod
    def komarova2003(cls, **kw: Any) -> PowerLawBoneParameters:
        """BIOMD0000000148 values (Komarova et al. 2003)."""
        return cls(**kw)

    @classmethod
    def ayati2010(cls, **kw: Any) -> PowerLawBoneParameters:
        """BIOMD0000000402 values (Ayati et al. 2010): Komarova 2003's, except these."""
        base: dict[str, Any] = dict(g11=1.1, k1=0.0748, k2=0.0006395, gamma_t=0.005, r11=0.005,
                                    r22=0.2)
        base.update(kw)
        return cls(**base)

    def gamma(self) -> Num:
        """``G = g12/(1+r12) g21 (1+r21) - (1 - g11 (1+r11)) (1 - g22 + r22)`` (SBML rule)."""
        return (self.g12 / (1 + self.r12) * self.g21 * (1 + self.r21)
                - (1 - self.g11 * (1 + self.r11)) * (1 - self.g22 + self.r22))

    def steady_state(self) -> tuple[Num, Num]:
        """Non-trivial steady state (x1_bar, x2_bar) used by the bone-mass switch.

        Komarova 2003 eq. (4); with tumour exponents the SBML of BIOMD0000000402 evaluates it once
        with the r's (i.e. at T = LT); for r* = 0 it is the tumour-free steady state.
        """
        g = self.gamma()
        b1 = self.beta1 / self.alpha1
        b2 = self.beta2 / self.alpha2
        x1 = b1 ** ((1 - self.g22 + self.r22) / g) * b2 ** (self.g21 * (1 + self.r21) / g)
        x2 = b1 ** (self.g12 / (1 + self.r12) / g) * b2 ** ((1 - self.g11 * (1 + self.r11)) / g)
        return x1, x2


def ayati_rhs(t: float, y: Array, p: PowerLawBoneParameters, bars: tuple[Array, Array],
              drugs: dict[str, float], switch_eps: float = 0.0) -> Array:
    """Right-hand side in the variables ``(ln x1, ln x2, z, T)``, each row a batch.

    ``y`` has shape ``(4, n)`` (or is flat of length 4 n); ``bars`` the switch references;
    ``drugs`` the drug effect levels at time ``t`` (constant over the integration segment).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # rejected trial steps may overflow; the step-size control discards them
        y = y.reshape(4, -1)
        u1, u2, _z, tum = y
        x1 = np.exp(u1)
        x2 = np.exp(u2)
        f = np.where(tum > 0, tum, 0.0) / p.lt
        e11 = p.g11 * (1 + p.r11 * f)
        e21 = p.g21 * (1 + p.r21 * f)
        e12 = p.g12 / (1 + p.r12 * f)
        e22 = p.g22 - p.r22 * f
        anti = 1.0 + drugs.get("denosumab", 0.0) + drugs.get("opg_fc", 0.0)
        bp = 1.0 + drugs.get("zoledronic_acid", 0.0) + drugs.get("bisphosphonate", 0.0)
        out = np.empty_like(y)
        out[0] = p.alpha1 / anti * np.exp((e11 - 1) * u1 + e21 * u2) - p.beta1 * bp
        pi = drugs.get("proteasome_inhibitor", 0.0)
        out[1] = p.alpha2 * np.exp(e12 * u1 + (e22 - 1) * u2) - (p.beta2 - p.v1 * pi)
        out[2] = -p.k1 * smooth_max(x1 - bars[0], switch_eps) + p.k2 * smooth_max(x2 - bars[1],
                                                                                  switch_eps)
        safe = np.where(tum > 0, tum, 1.0)
        out[3] = np.where(tum > 0, (p.gamma_t - p.v2 * pi) * tum * np.log(p.lt / safe), 0.0)
    return out.reshape(-1)


# ------------------------------------------------------------------------------------------
# Lemaire 2004 with the tumour (vicious cycle)

_LEMAIRE = {"source": "Lemaire 2004"}
#: Tumour cells of the intratibial inoculum of the Johnson 2011 fit (assumption: a typical
#: inoculum of 1e5 cells).
JOHNSON2011_INOCULUM_CELLS = 1e5


@dataclass(frozen=True)
class LemaireParameters:
    """Lemaire 2004 Table 1 (pM, day) plus the tumour coupling.

    d_r (pM day^-1), d_b (day^-1; D_B = f0 d_b), k_b (day^-1), d_c (pM day^-1), d_a (day^-1),
    f0 (1), c_s (pM), k_rank (RANK, pM), k1 (pM^-1 day^-1), k2 (day^-1), k3 (pM^-1 day^-1),
    k4 (day^-1), k5 (pM^-1 day^-1), k6 (day^-1), kop (OPG production, pmol per pmol cells per
    day), k_o (day^-1), klp (RANKL per cell, pmol/pmol), s_p (pM day^-1), k_p (day^-1), i_p, i_o
    (pM day^-1). Tumour: r_t (day^-1), k_t (capacity, cells), s_pthrp (pM day^-1 cell^-1),
    eps_tgf (1), kappa (bone turnover, % day^-1), tgf_feedback (1 = on, 0 = pinned at healthy).

    Source: Lemaire, Tobin, Greller, Cho & Suva 2004 (J Theor Biol 229:293, Table 1;
    BioModels BIOMD0000000278) for the bone cells and the RANK/RANKL/OPG and PTH terms (field
    metadata ``source``); the tumour coupling (PTHrP, TGF-beta, bone volume) follows the TIBD
    models of Pivonka et al. 2008 and SysBioCollab-UArk/TIBD_microenvironment (see the module
    docstring for the equations). Defaults: Lemaire 2004, and no tumour effect (``r_t = 0``,
    ``s_pthrp = 0``, ``eps_tgf = 0``); :meth:`johnson2011` gives the coupling fitted to Johnson
    et al. 2011. Every field may be a scalar or an array of shape ``(n_batch,)``. State units:
    cells R, B and C in pM, tumour T in cells, bone volume z in % of the initial.

    Parameters
    ----------
    d_r : float or numpy.ndarray
        D_R, differentiation rate of osteoblast progenitors into responding osteoblasts (pM per
        day).
    d_b : float or numpy.ndarray
        d_B, differentiation rate of responding into active osteoblasts (per day); the model
        uses D_B = f0 d_b.
    k_b : float or numpy.ndarray
        k_B, elimination rate of active osteoblasts (per day).
    d_c : float or numpy.ndarray
        D_C, differentiation rate of osteoclast precursors into active osteoclasts (pM per day).
    d_a : float or numpy.ndarray
        D_A, rate of osteoclast apoptosis caused by TGF-beta (per day).
    f0 : float or numpy.ndarray
        f_0, a fixed proportion (dimensionless): the value of the TGF-beta activation pi_C
        without osteoclasts (C = 0), and the factor of D_B = f0 d_b.
    c_s : float or numpy.ndarray
        C_s, the active-osteoclast level at which pi_C is half-way between f0 and 1 (pM).
    k_rank : float or numpy.ndarray
        K, the fixed concentration of RANK (pM).
    k1 : float or numpy.ndarray
        Rate of OPG-RANKL binding (pM^-1 per day).
    k2 : float or numpy.ndarray
        Rate of OPG-RANKL unbinding (per day).
    k3 : float or numpy.ndarray
        Rate of RANK-RANKL binding (pM^-1 per day).
    k4 : float or numpy.ndarray
        Rate of RANK-RANKL unbinding (per day).
    k5 : float or numpy.ndarray
        Rate of PTH binding to its receptor (pM^-1 per day).
    k6 : float or numpy.ndarray
        Rate of PTH unbinding (per day).
    kop : float or numpy.ndarray
        K_O^P, minimal rate of OPG production per responding osteoblast (pmol OPG per pmol cells
        per day); divided by the PTH activation pi_P.
    k_o : float or numpy.ndarray
        k_O, elimination rate of OPG (per day).
    klp : float or numpy.ndarray
        K_L^P, maximal number of RANKL on the surface of an active osteoblast (pmol RANKL per
        pmol cells); multiplied by pi_P.
    s_p : float or numpy.ndarray
        S_P, rate of synthesis of systemic PTH (pM per day).
    k_p : float or numpy.ndarray
        k_P, elimination rate of PTH (per day).
    i_p : float or numpy.ndarray
        I_P, external PTH input, an injection (pM per day).
    i_o : float or numpy.ndarray
        I_O, external OPG input, an injection (pM per day).
    r_t : float or numpy.ndarray
        Logistic growth rate of the tumour in healthy bone (per day; 0: no tumour growth).
    k_t : float or numpy.ndarray
        Carrying capacity of the tumour (cells).
    s_pthrp : float or numpy.ndarray
        PTHrP production per tumour cell, added to the PTH input I_P (pM per day per cell).
    eps_tgf : float or numpy.ndarray
        Gain of the TGF-beta boost of the tumour growth rate, ``r_t (1 + eps_tgf (phi(tgf) -
        phi(1)))`` (dimensionless; 0: no feedback on the tumour).
    kappa : float or numpy.ndarray
        Bone turnover rate of the bone-volume equation (% per day).
    tgf_feedback : float or numpy.ndarray
        1 = the tumour sees the TGF-beta released by resorption, 0 = pinned at the healthy level
        (dimensionless; values in between mix the two linearly).

    Examples
    --------
    >>> import metacascade as mc
    >>> from metacascade.biology.bone import lemaire_healthy_state
    >>> healthy = lemaire_healthy_state(mc.LemaireParameters())  # Lemaire 2004, no tumour
    >>> [round(float(healthy[cell][0]) * 1e3, 3) for cell in ("R", "B", "C")]  # 1e-3 pM
    [0.773, 0.728, 0.913]
    >>> mc.LemaireParameters.johnson2011().r_t  # the fitted tumour growth rate, per day
    0.0648
    """

    d_r: Num = field(default=7e-4, metadata=_LEMAIRE)
    d_b: Num = field(default=0.7, metadata=_LEMAIRE)
    k_b: Num = field(default=0.189, metadata=_LEMAIRE)
    d_c: Num = field(default=2.1e-3, metadata=_LEMAIRE)
    d_a: Num = field(default=0.7, metadata=_LEMAIRE)
    f0: Num = field(default=0.05, metadata=_LEMAIRE)
    c_s: Num = field(default=5e-3, metadata=_LEMAIRE)
    k_rank: Num = field(default=10.0, metadata=_LEMAIRE)
    k1: Num = field(default=1e-2, metadata=_LEMAIRE)
    k2: Num = field(default=10.0, metadata=_LEMAIRE)
    k3: Num = field(default=5.8e-4, metadata=_LEMAIRE)
    k4: Num = field(default=1.7e-2, metadata=_LEMAIRE)
    k5: Num = field(default=0.02, metadata=_LEMAIRE)
    k6: Num = field(default=3.0, metadata=_LEMAIRE)
    kop: Num = field(default=2e5, metadata=_LEMAIRE)
    k_o: Num = field(default=0.35, metadata=_LEMAIRE)
    klp: Num = field(default=3e6, metadata=_LEMAIRE)
    s_p: Num = field(default=250.0, metadata=_LEMAIRE)
    k_p: Num = field(default=86.0, metadata=_LEMAIRE)
    i_p: Num = field(default=0.0, metadata=_LEMAIRE)
    i_o: Num = field(default=0.0, metadata=_LEMAIRE)
    r_t: Num = 0.0
    k_t: Num = 1e9
    s_pthrp: Num = 0.0
    eps_tgf: Num = 0.0
    kappa: Num = 1.0
    tgf_feedback: Num = 1.0

    @classmethod
    def johnson2011(cls, **kw: Any) -> LemaireParameters:
        """The tumour-bone coupling fitted to the PBS + tumour arm of Johnson 2011 (r_t, s_pthrp,
        kappa, rounded; ``metacascade.inference.bone_fit.fit_johnson2011``, docs/bone.md) with that fit's
        assumptions eps_tgf = 1 and k_t = 1e9 cells; the other values are Lemaire 2004's.

        Parameters
        ----------
        **kw : float or numpy.ndarray
            Any field to override, in that field's unit (per day, pM, cells, ...; see the
            class's Parameters), e.g. ``s_pthrp=0.0`` for a tumour without PTHrP.

        Returns
        -------
        LemaireParameters
            The parameters with the Johnson 2011 coupling (r_t = 0.0648 per day, s_pthrp =
            1.42e-3 pM per day per cell, kappa = 0.895 % per day) and ``kw`` applied.
        """
        base: dict[str, Any] = dict(r_t=0.0648, k_t=1e9, s_pthrp=1.42e-3, eps_tgf=1.0,
                                    kappa=0.895)
        base.update(kw)
        return cls(**base)


def _pi_c(p: LemaireParameters, c: Num) -> Num:
    return (c + p.f0 * p.c_s) / (c + p.c_s)


def lemaire_algebra(p: LemaireParameters, r: Num, b: Num, c: Num, tumour: Num,
                    drugs: dict[str, float], opg_ss: Num = 0.0) -> dict[str, Num]:
    """Quasi-steady molecular levels: pi_P, OPG, free RANKL, pi_L, pi_C (Lemaire 2004 eqs. 5-9)."""
    p_ext = (p.i_p + p.s_pthrp * tumour) / p.k_p
    p_0 = p.s_p / p.k_p
    pi_p = (p_ext + p_0) / (p_ext + p.k6 / p.k5)
    opg = (p.kop * r / pi_p + p.i_o) / p.k_o + drugs.get("opg_fc", 0.0) * opg_ss
    denom = 1 + p.k3 * p.k_rank / p.k4 + p.k1 * opg / p.k2
    rankl = p.klp * pi_p * b / denom / (1.0 + drugs.get("denosumab", 0.0))
    pi_l = p.k3 / p.k4 * rankl
    return {"pi_p": pi_p, "opg": opg, "rankl": rankl, "pi_l": pi_l, "pi_c": _pi_c(p, c)}


def lemaire_healthy_state(p: LemaireParameters, iterations: int = 200) -> dict[str, Array]:
    """Tumour-free, drug-free steady state (R, B, C, OPG, RANKL), vectorised over the batch.

    From dR/dt = dB/dt = 0: R = D_R pi_C^2 / D_B and B = D_R pi_C / k_B (D_B = f0 d_b); C then
    solves D_C pi_L(R, B) = D_A pi_C C, a scalar equation per system solved by bisection in ln C.
    """
    n = max(int(np.size(getattr(p, f.name))) for f in fields(p))
    q: LemaireParameters = _batch(p, n)
    lo = np.full(n, np.log(1e-9))
    hi = np.full(n, np.log(1.0))

    def resid(lc: Array) -> Array:
        c = np.exp(lc)
        pc = _pi_c(q, c)
        r = q.d_r * pc ** 2 / (q.f0 * q.d_b)
        b = q.d_r * pc / q.k_b
        alg = lemaire_algebra(q, r, b, c, 0.0, {})
        return np.asarray(q.d_c * alg["pi_l"] - q.d_a * pc * c)

    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        pos = resid(mid) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    c = np.exp(0.5 * (lo + hi))
    pc = _pi_c(q, c)
    r = q.d_r * pc ** 2 / (q.f0 * q.d_b)
    b = q.d_r * pc / q.k_b
    alg = lemaire_algebra(q, r, b, c, 0.0, {})
    return {"R": np.asarray(r), "B": np.asarray(b), "C": c, "opg": np.asarray(alg["opg"]),
            "rankl": np.asarray(alg["rankl"])}


def _phi(x: Num) -> Num:
    return x / (1.0 + x)


def lemaire_rhs(t: float, y: Array, p: LemaireParameters, healthy: dict[str, Array],
                drugs: dict[str, float]) -> Array:
    """Right-hand side of (R, B, C, z, T); ``y`` of shape ``(5, n)`` or flat.

    ``healthy`` is :func:`lemaire_healthy_state` of the same parameters (normalises TGF-beta,
    bone balance and the OPG-Fc dose).
    """
    y = y.reshape(5, -1)
    r, b, c, z, tum = y
    tum_pos = np.maximum(tum, 0.0)
    alg = lemaire_algebra(p, r, b, c, tum_pos, drugs, healthy["opg"])
    pi_c = alg["pi_c"]
    d_b = p.f0 * p.d_b
    bp = 1.0 + drugs.get("zoledronic_acid", 0.0) + drugs.get("bisphosphonate", 0.0)
    tgf = c / healthy["C"]
    tgf_seen = p.tgf_feedback * tgf + (1.0 - p.tgf_feedback) * 1.0
    growth = p.r_t * (1.0 + p.eps_tgf * (_phi(tgf_seen) - 0.5))
    out = np.empty_like(y)
    out[0] = p.d_r * pi_c - d_b / pi_c * r
    out[1] = d_b / pi_c * r - p.k_b * b
    out[2] = p.d_c * alg["pi_l"] - p.d_a * pi_c * c * bp
    out[3] = p.kappa * (b / healthy["B"] - tgf * z / 100.0)
    out[4] = growth * tum_pos * (1.0 - tum_pos / p.k_t)
    return out.reshape(-1)
