"""Dormancy in the expected-value (organism) engine: latency kernels on the birth cohorts.

The cohort engine (:mod:`metacascade.engines.patients`) samples, for every new metastasis, a kind and
its waiting times (Demicheli, Retsky et al. 1997; :mod:`metacascade.biology.dormancy`): with
probability f1 a dormant single cell that starts growing after L' = tau0 + L (tau0 =
``dissemination.latency_days``, L the single-cell latency: exponential, lognormal or fixed); with
probability f2 an avascular lesion that grows from birth + tau0 to the plateau ``avascular_cells``
(growth age a_A), stalls there for W ~ Exp (median ``avascular_switch_median_days``) and then resumes
(only if a_A is below the growth age a_v of visibility; otherwise it is an ordinary lesion); the
rest grow after tau0. With two-stage dormancy a single cell that starts growing stalls at the
plateau like an avascular lesion. At resection (day T_R) every still-dormant single cell starts
growing with probability p (``surgery_escape_probability``) and every stalled lesion resumes with
probability q (``surgery_switch_probability``). A lesion is visible once its size X(g) (g the
growth age, X the metastatic law) reaches the visible size; dormant cells count one birth size.

Because the waiting times do not depend on the birth time, every expected observable is a sum of
convolutions of *event rates* with kernels of the time since the event (the birth-cohort machinery
of ``_birth_cohorts`` applies to each):

* births B(s) (the primary's seeding; no secondary seeding with dormancy);
* single-cell starts G = B * f_L' (the density of L'), which is B delayed by L'; surgery makes it
  G(r) (1 - p 1[r > T_R]) plus a point mass p D(T_R) at T_R, D(t) = int B(s) (1 - F_L'(t - s)) ds
  the single cells still dormant (every birth precedes T_R, since resection ends seeding, so for
  a birth s < T_R: P(started by u) = p + (1 - p) F_L'(u - s) for u >= T_R);
* resumptions H: of avascular lesions H = B * f_(tau0 + a_A + W), of two-stage single cells
  H = G * f_(a_A + W) (+ the surgery-started cells p D(T_R) f_(a_A + W)(r - T_R)); the lesions
  stalled at T_R (plateau reached before T_R) resume at T_R with probability q: H loses
  q (B_<= * f)(r) for r > T_R, B_<= the births (or starts) reaching the plateau before T_R, and
  gains the point mass q S(T_R), S the stalled lesions at T_R.

Kernels (v = time since the event): growing X(v - c) (v0 before the start c) and visible
1[v >= c + a_v]; dormant v0 (1 - F_L'(v)), times (1 - p 1[t >= T_R]); stalling X(min(v - c,
a_A)); after resumption X(a_A + v) - X(a_A) (the size above the plateau, so that a resumed lesion
is counted once) and visible 1[a_A + v >= a_v]. Delaying an event rate by a density is the
convolution of its Legendre moments with Lambda (``_birth_cohorts.renewal_weights``), by a fixed time an
exact shift of the cell-wise quadratic projection; truncation at T_R splits one cell. The rest of
the organism engine is unchanged: with no dormant fraction nothing here runs.

Not followed (refused by the engine's check): secondary seeding and systemic signals together with
dormancy, and ``surgery_switch_before_plateau`` (see ``metacascade cohort``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from metacascade.biology.dormancy import latency_cdf, latency_pdf
from metacascade.engines import _birth_cohorts as co

if TYPE_CHECKING:
    from metacascade.engines.organism import Patients, Solution
    from metacascade.scenario import Scenario

Array = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]
Kernel = Callable[[Array, Index | None], Array]
KernelAndBreaks = tuple[Kernel, Array]

#: Series (and ``Solution.at`` keys) that dormancy changes; the numbers of metastases do not
#: change (dormant lesions are metastases).
OBSERVABLES = ("metastatic_burden_cells", "n_visible", "visible_burden_cells")
ABOVE = "above"


def _per(x: Array, idx: Index | None, nd: int) -> Array:
    """A (P,) parameter for the patients ``idx``, shaped to broadcast against ``nd`` dims."""
    v = np.asarray(x if idx is None else x[idx], dtype=np.float64)
    return v.reshape((-1,) + (1,) * (nd - 1))


@dataclass(frozen=True)
class DormancyBatch:
    """Per-patient dormancy parameters of a batch (P,), units as in the ``dormancy`` section;
    the latency law and two-stage switch are shared by the batch."""

    law: str
    two_stage: bool
    single: Array
    avascular: Array
    median: Array
    sigma: Array
    plateau: Array
    switch_median: Array
    escape: Array
    switch: Array

    @property
    def n(self) -> int:
        return int(self.single.shape[0])

    def take(self, idx: Index) -> DormancyBatch:
        kw: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                kw[f.name] = v[idx]
        return replace(self, **kw)


def dormancy_batch(scenarios: Sequence[Scenario]) -> DormancyBatch | None:
    """The dormancy of a batch of scenarios (None when no patient has a dormant fraction)."""
    ds = [s.dormancy for s in scenarios]
    if not any(d.single_cell_fraction > 0 or d.avascular_fraction > 0 for d in ds):
        return None
    laws = {d.single_cell_latency for d in ds if d.single_cell_fraction > 0} or {"exponential"}
    two = {d.single_cells_become_micrometastases for d in ds if d.single_cell_fraction > 0} \
        or {False}
    if len(laws) > 1 or len(two) > 1:
        raise ValueError("a batch must share dormancy.single_cell_latency and "
                         "dormancy.single_cells_become_micrometastases")

    def arr(name: str) -> Array:
        return np.array([float(getattr(d, name)) for d in ds], dtype=np.float64)

    return DormancyBatch(
        law=laws.pop(), two_stage=two.pop(), single=arr("single_cell_fraction"),
        avascular=arr("avascular_fraction"), median=arr("single_cell_median_days"),
        sigma=arr("single_cell_sigma"), plateau=arr("avascular_cells"),
        switch_median=arr("avascular_switch_median_days"),
        escape=arr("surgery_escape_probability"), switch=arr("surgery_switch_probability"))


# ---- lesion histories: kernels of the time since their event --------------------------------


class _Growth:
    """Sizes of the metastatic law for the patients of a batch."""

    def __init__(self, pat: Patients):
        self.pat = pat
        law = pat.metastasis(1)
        self.v0 = pat.v0
        self.a_vis = np.asarray(law.age_at_size(pat.visible_cells, pat.v0), dtype=np.float64)

    def size(self, g: Array, idx: Index | None) -> Array:
        p = self.pat.take(idx)
        nd = g.ndim
        return np.asarray(p.metastasis(nd).size(np.maximum(g, 0.0), _per(p.v0, None, nd)),
                          dtype=np.float64)

    def age_at(self, cells: float | Array) -> Array:
        """Growth age at which a lesion holds ``cells`` (0 at or below the birth size)."""
        c = np.broadcast_to(np.asarray(cells, dtype=np.float64), self.v0.shape)
        a = np.asarray(self.pat.metastasis(1).age_at_size(c, self.v0), dtype=np.float64)
        return np.where(c <= self.v0, 0.0, a)


def _col2(*cols: Array) -> Array:
    return np.stack(cols, axis=1)


@dataclass(frozen=True)
class _History:
    """One kind of lesion history after its event (module docstring): ``grow`` from age
    ``start``; ``dormant`` with survival ``survival``; ``capped`` growth from ``start`` that stalls
    at growth age ``plateau``; ``resumed`` growth from the plateau."""

    kind: str
    g: _Growth
    start: Array | None = None
    plateau: Array | None = None
    survival: KernelAndBreaks | None = None

    def kernel(self, obs: str, level: float | None = None) -> KernelAndBreaks | None:
        """K(v) of an observable (None: identically zero); ``level`` for ``above``."""
        g, a_v = self.g, self.g.a_vis
        n = a_v.shape[0]
        if self.kind == "dormant":
            assert self.survival is not None
            surv, brk = self.survival
            v0 = g.v0
            if obs == "metastatic_burden_cells":
                return (lambda age, idx: _per(v0, idx, age.ndim) * surv(age, idx)), brk
            if obs == ABOVE:
                hold = (v0 >= float(level or 0.0)).astype(np.float64)
                return (lambda age, idx: _per(hold, idx, age.ndim) * surv(age, idx)), brk
            return None
        gv = g.age_at(float(level)) if obs == ABOVE and level is not None else a_v
        if self.kind == "grow":
            c = self.start if self.start is not None else np.zeros(n)
            # a level at or below the birth size counts the lesion from its birth
            thr = np.where((gv == 0) & (obs == ABOVE), 0.0, c + gv)

            def grown(age: Array, idx: Index | None) -> Array:
                return g.size(age - _per(c, idx, age.ndim), idx)

            def seen(age: Array, idx: Index | None) -> Array:
                return (age >= _per(thr, idx, age.ndim)).astype(np.float64)

            if obs == "metastatic_burden_cells":
                return grown, c[:, None]
            if obs in ("n_visible", ABOVE):
                return seen, thr[:, None]
            return (lambda age, idx: grown(age, idx) * seen(age, idx)), _col2(c, thr)
        assert self.plateau is not None
        a_a = self.plateau
        if self.kind == "capped":
            c = self.start if self.start is not None else np.zeros(n)

            def held(age: Array, idx: Index | None) -> Array:
                return np.clip(age - _per(c, idx, age.ndim), 0.0, _per(a_a, idx, age.ndim))

            def cap_seen(age: Array, idx: Index | None) -> Array:
                return (held(age, idx) >= _per(gv, idx, age.ndim)).astype(np.float64)

            if obs == "metastatic_burden_cells":
                return (lambda age, idx: g.size(held(age, idx), idx)), _col2(c, c + a_a)
            if obs in ("n_visible", ABOVE):
                return cap_seen, (c + gv)[:, None]
            return (lambda age, idx: g.size(held(age, idx), idx) * cap_seen(age, idx)), \
                _col2(c, c + a_a, c + gv)
        # resumed: v = time since resumption, growth age a_A + v
        x_a = g.size(a_a, None)

        def after(age: Array, idx: Index | None) -> Array:
            return g.size(_per(a_a, idx, age.ndim) + age, idx)

        def res_seen(age: Array, idx: Index | None) -> Array:
            return (_per(a_a, idx, age.ndim) + age >= _per(gv, idx, age.ndim)).astype(np.float64)

        if obs == "metastatic_burden_cells":
            return (lambda age, idx: after(age, idx) - _per(x_a, idx, age.ndim)), np.zeros((n, 0))
        if obs == "n_visible":
            return res_seen, (gv - a_a)[:, None]
        if obs == ABOVE:  # above the level after resumption and not already at the plateau
            below = (a_a < gv).astype(np.float64)
            return (lambda age, idx: res_seen(age, idx) * _per(below, idx, age.ndim)), \
                (gv - a_a)[:, None]
        return (lambda age, idx: after(age, idx) * res_seen(age, idx)), (gv - a_a)[:, None]


# ---- event rates as Legendre moments on the cohort grid --------------------------------------


def _products(lo: Array, hi: Array, shift: Array, h: float) -> Array:
    """(P, 3, 3): (h/2) int_lo^hi P_n(x) P_m(x + shift) dx (Gauss, exact for these degrees)."""
    x, w = co.gauss_nodes(lo, hi)
    return np.asarray(0.5 * h * np.einsum("pq,pqn,pqm->pnm", w, co.legendre(x),
                                          co.legendre(x + shift[:, None])), dtype=np.float64)


def truncated(moments: Array, t_cut: Array, h: float) -> Array:
    """Moments of the rate restricted to times <= ``t_cut`` (P,): the cell containing the cut
    keeps the integral of its quadratic projection up to the cut."""
    n_pat, n_cells, _ = moments.shape
    starts = np.arange(n_cells) * h
    t = np.asarray(t_cut, dtype=np.float64)
    out = np.where((starts[None, :] + h <= t[:, None])[..., None], moments, 0.0)
    with np.errstate(invalid="ignore"):
        j = np.floor(t / h)
    cut = np.isfinite(j) & (j >= 0) & (j < n_cells)
    if cut.any():
        rows = np.nonzero(cut)[0]
        jj = j[rows].astype(np.intp)
        x_t = np.clip(2.0 * (t[rows] - jj * h) / h - 1.0, -1.0, 1.0)
        mat = _products(np.full(rows.size, -1.0), x_t, np.zeros(rows.size), h)
        scaled = moments[rows, jj] / co.norm2(h)
        out[rows, jj] = np.einsum("pnm,pm->pn", mat, scaled)
    return np.asarray(out, dtype=np.float64)


def shifted(moments: Array, delay: Array, h: float) -> Array:
    """Moments of the rate delayed by ``delay`` days (P,): the exact moments of its shifted
    cell-wise quadratic projection."""
    n_pat, n_cells, _ = moments.shape
    d = np.asarray(delay, dtype=np.float64)
    whole = np.floor(d / h + 1e-12)
    theta = np.clip(d / h - whole, 0.0, 1.0)
    upper = _products(2.0 * theta - 1.0, np.ones(n_pat), -2.0 * theta, h)  # source cell k - i
    lower = _products(-np.ones(n_pat), 2.0 * theta - 1.0, 2.0 - 2.0 * theta, h)  # k - i - 1
    scaled = moments / co.norm2(h)
    out = np.zeros_like(moments)
    for p in range(n_pat):  # one shift per patient (vectorised over the cells)
        i = int(whole[p])
        if i < n_cells:
            out[p, i:] += np.einsum("nm,jm->jn", upper[p], scaled[p, : n_cells - i])
        if i + 1 < n_cells:
            out[p, i + 1:] += np.einsum("nm,jm->jn", lower[p], scaled[p, : n_cells - i - 1])
    return out


def delayed(moments: Array, density: Kernel, breaks: Array, h: float,
            block: int | None) -> Array:
    """Moments of the rate convolved with a delay density (``density(age, idx)``, day^-1, with
    kinks or jumps at ``breaks``): sum_j sum_m b_jm / ||P_m||^2 Lambda[k - j, n, m]."""
    n_pat, n_cells, nm = moments.shape
    lam = co.renewal_weights(density, h, n_cells - 1, breaks)  # (P, J, 3, 3): lags 0 .. J-1
    zero = np.zeros((n_pat, 1, nm))
    # causal_convolutions skips lag 0: shift the lags by one and read output k + 1 for cell k
    ws = [np.concatenate([zero, lam[:, :, n, :]], axis=1) for n in range(nm)]
    outs = co.causal_convolutions(moments / co.norm2(h), ws, block)
    return np.stack([o[:, 1:] for o in outs], axis=-1)


def exponential_moments(mass: Array, start: Array, rate: Array, h: float,
                        n_cells: int) -> Array:
    """Moments of mass x rate x exp(-rate (r - start)) for r >= start (P,)."""
    def source(s: Array) -> Array:
        nd = s.ndim
        st = _per(np.where(np.isfinite(start), start, 0.0), None, nd)
        lam = _per(rate, None, nd)
        return np.asarray(_per(mass, None, nd) * lam * np.exp(-lam * np.maximum(s - st, 0.0)),
                          dtype=np.float64)

    on = np.where(np.isfinite(start), start, np.inf)
    return co.source_moments(source, h, n_cells, on, np.full(start.shape, np.inf))


# ---- the terms of one batch --------------------------------------------------------------------


@dataclass
class _Term:
    """Weight x (rate * history kernel), optionally times (1 - p 1[t >= day])."""

    stream: Solution
    history: _History
    weight: Array
    drop: tuple[Array, Array] | None = None  # (p, day)


@dataclass
class _Point:
    """Weight x mass x kernel(t - day) for t >= day (events at one known day)."""

    mass: Array
    day: Array
    history: _History
    weight: Array


@dataclass
class DormancyTerms:
    """The dormant part of the observables of a batch (module docstring): the ordinary growers
    are the base solution times ``growing_weight``; everything else is here."""

    params: DormancyBatch
    base: Solution
    growing_weight: Array
    terms: list[_Term]
    points: list[_Point]
    block: int | None

    # ---- grid series ---------------------------------------------------------------------
    def series(self, m: int, n_out: int, times: Array) -> dict[str, Array]:
        """Dormant contributions (P, n_out) to :data:`OBSERVABLES` on the output grid."""
        h, n_cells = self.base.h, self.base.n_cells
        out = {name: np.zeros((self.base.pat.n, n_out)) for name in OBSERVABLES}
        for stream, drop, group in _groups(self.terms):
            names, weights = [], []
            for name in OBSERVABLES:
                kern = _mix([(t.weight, t.history.kernel(name)) for t in group])
                if kern is not None:
                    names.append(name)
                    weights.append(co.kernel_weights(kern[0], h, n_cells, kern[1]))
            if not names:
                continue
            convs = co.causal_convolutions(stream.scaled_moments, weights, self.block)
            for name, conv in zip(names, convs, strict=True):
                vals = conv[:, ::m][:, :n_out]
                if drop is not None:
                    vals = vals * (1.0 - drop[0][:, None] * (times[None, :] >= drop[1][:, None]))
                out[name] += vals
        for pt in self.points:
            age = times[None, :] - pt.day[:, None]
            for name in OBSERVABLES:
                kern = pt.history.kernel(name)
                if kern is not None:
                    out[name] += _point_values(pt, kern[0], age)
        return out

    # ---- at arbitrary times --------------------------------------------------------------
    def at(self, t: Array, names: Sequence[str] = OBSERVABLES,
           level: float | None = None) -> dict[str, Array]:
        """Dormant contributions at one time per patient (P,) (``above`` with ``level``)."""
        t = np.asarray(t, dtype=np.float64)
        out = {name: np.zeros(self.base.pat.n) for name in names}
        for stream, drop, group in _groups(self.terms):
            for name in names:
                kern = _mix([(x.weight, x.history.kernel(name, level)) for x in group])
                if kern is None:
                    continue
                val = stream.evaluate(t, kern[0], kern[1])
                if drop is not None:
                    val = val * (1.0 - drop[0] * (t >= drop[1]))
                out[name] += val
        for pt in self.points:
            age = (t - pt.day)[:, None]
            for name in names:
                kern = pt.history.kernel(name, level)
                if kern is not None:
                    out[name] += _point_values(pt, kern[0], age)[:, 0]
        return out


def _point_values(pt: _Point, kernel: Kernel, age: Array) -> Array:
    after = age >= 0
    vals = kernel(np.where(after, age, 0.0), None)
    return np.asarray(np.where(after, vals, 0.0) * (pt.weight * pt.mass)[:, None],
                      dtype=np.float64)


def _groups(terms: list[_Term]) -> list[tuple[Solution, tuple[Array, Array] | None,
                                              list[_Term]]]:
    """Terms sharing a stream and a drop factor (their kernels are summed before convolving)."""
    out: list[tuple[Solution, tuple[Array, Array] | None, list[_Term]]] = []
    for t in terms:
        for stream, drop, group in out:
            if stream is t.stream and drop is t.drop:
                group.append(t)
                break
        else:
            out.append((t.stream, t.drop, [t]))
    return out


def _mix(parts: list[tuple[Array, KernelAndBreaks | None]]) -> KernelAndBreaks | None:
    """sum_i w_i K_i with the union of their breaks (None if every K_i is zero)."""
    live = [(w, k) for w, k in parts if k is not None and np.any(w != 0)]
    if not live:
        return None
    if len(live) == 1 and np.all(live[0][0] == 1.0):
        return live[0][1]

    def mixed(age: Array, idx: Index | None) -> Array:
        total = np.zeros(age.shape)
        for w, (fn, _) in live:
            total = total + _per(w, idx, age.ndim) * fn(age, idx)
        return total

    return mixed, np.concatenate([k[1] for _, k in live], axis=1)


def _virtual(sol: Solution, moments: Array) -> Solution:
    """A solution whose births are the given event rate (evaluated from its moments alone)."""
    zero = np.zeros(sol.pat.n)
    return replace(sol, t_on=zero, t_off=zero, primary_moments=np.zeros_like(moments),
                   moments=moments, secondary=True, series={}, dormancy=None)


def build(sol: Solution, dm: DormancyBatch, block: int | None) -> DormancyTerms:
    """The dormancy terms of a solution without secondary seeding (module docstring)."""
    pat = sol.pat
    h, n_cells = sol.h, sol.n_cells
    end = n_cells * h
    g = _Growth(pat)
    tau0 = pat.latency
    f1, f2 = dm.single, dm.avascular
    a_a_raw = np.asarray(pat.metastasis(1).age_at_size(dm.plateau, pat.v0), dtype=np.float64)
    stall = a_a_raw < g.a_vis
    a_a = np.where(stall, a_a_raw, 0.0)  # finite everywhere (weights are zero where no stall)
    t_r = pat.resection_day
    surgery = np.isfinite(t_r) & (t_r <= end)
    day = np.where(surgery, t_r, end)
    p = np.where(surgery, dm.escape, 0.0)
    q = np.where(surgery, dm.switch, 0.0)
    rate_w = np.log(2.0) / dm.switch_median
    growing = 1.0 - f1 - f2 + f2 * ~stall
    terms: list[_Term] = []
    points: list[_Point] = []
    zeros = np.zeros(pat.n)

    def wait_after(c: Array) -> KernelAndBreaks:
        """Density of c + W (day^-1) and its jump."""
        def dens(age: Array, idx: Index | None) -> Array:
            lam, cc = _per(rate_w, idx, age.ndim), _per(c, idx, age.ndim)
            return np.where(age >= cc, lam * np.exp(-lam * np.maximum(age - cc, 0.0)), 0.0)
        return dens, c[:, None]

    def stalled_at(c: Array) -> KernelAndBreaks:
        """P(on the plateau at age v): reached it at c and not yet resumed."""
        def held(age: Array, idx: Index | None) -> Array:
            lam, cc = _per(rate_w, idx, age.ndim), _per(c, idx, age.ndim)
            return np.where(age >= cc, np.exp(-lam * np.maximum(age - cc, 0.0)), 0.0)
        return held, c[:, None]

    def resumptions(starts: Array, c: Array) -> Array:
        """Resumption rate of lesions started at rate ``starts`` reaching the plateau c later,
        with the surgery switch of those stalled at T_R."""
        dens, brk = wait_after(c)
        out = delayed(starts, dens, brk, h, block)
        if np.any(q > 0):
            early = delayed(truncated(starts, day - c, h), dens, brk, h, block)
            out = out - q[:, None, None] * (early - truncated(early, day, h))
        return out

    def switched(stream: Solution, c: Array) -> Array:
        fn, brk = stalled_at(c)
        return np.where(q > 0, stream.evaluate(day, fn, brk), 0.0)

    if np.any(f1 > 0):
        if dm.law == "fixed":
            lag = tau0 + dm.median

            def surv(age: Array, idx: Index | None) -> Array:
                return (age < _per(lag, idx, age.ndim)).astype(np.float64)

            starts0 = shifted(sol.moments, lag, h)
            surv_brk = lag[:, None]
        else:
            def dens(age: Array, idx: Index | None) -> Array:
                nd = age.ndim
                return latency_pdf(age - _per(tau0, idx, nd), dm.law, _per(dm.median, idx, nd),
                                   _per(dm.sigma, idx, nd))

            def surv(age: Array, idx: Index | None) -> Array:
                nd = age.ndim
                return 1.0 - latency_cdf(age - _per(tau0, idx, nd), dm.law,
                                         _per(dm.median, idx, nd), _per(dm.sigma, idx, nd))

            starts0 = delayed(sol.moments, dens, tau0[:, None], h, block)
            surv_brk = tau0[:, None]
        dormant = np.where(p > 0, sol.evaluate(day, surv, surv_brk), 0.0)
        woken = p * dormant  # single cells started at surgery (at T_R)
        starts = starts0 - p[:, None, None] * (starts0 - truncated(starts0, day, h))
        g_stream = _virtual(sol, starts)
        terms.append(_Term(sol, _History("dormant", g, survival=(surv, surv_brk)), f1, (p, day)))
        plain = f1 * ~stall if dm.two_stage else f1
        grow0 = _History("grow", g, start=zeros)
        terms.append(_Term(g_stream, grow0, plain))
        points.append(_Point(woken, day, grow0, plain))
        if dm.two_stage and np.any(f1 * stall > 0):
            two = f1 * stall
            capped = _History("capped", g, start=zeros, plateau=a_a)
            terms.append(_Term(g_stream, capped, two))
            points.append(_Point(woken, day, capped, two))
            res = resumptions(starts, a_a)
            res = res + exponential_moments(woken, day + a_a, rate_w, h, n_cells)
            resumed = _History("resumed", g, plateau=a_a)
            terms.append(_Term(_virtual(sol, res), resumed, two))
            points.append(_Point(q * switched(g_stream, a_a), day, resumed, two))
    if np.any(f2 * stall > 0):
        av = f2 * stall
        c = tau0 + a_a
        terms.append(_Term(sol, _History("capped", g, start=tau0, plateau=a_a), av))
        dens_c, brk_c = wait_after(c)
        res = delayed(sol.moments, dens_c, brk_c, h, block)
        if np.any(q > 0):
            t_off = np.maximum(np.minimum(sol.t_off, day - c), sol.t_on)
            early_births = co.source_moments(sol._primary_rate(None), h, n_cells, sol.t_on, t_off)
            early = delayed(early_births, dens_c, brk_c, h, block)
            res = res - q[:, None, None] * (early - truncated(early, day, h))
        resumed = _History("resumed", g, plateau=a_a)
        terms.append(_Term(_virtual(sol, res), resumed, av))
        points.append(_Point(q * switched(sol, c), day, resumed, av))
    return DormancyTerms(params=dm, base=sol, growing_weight=growing, terms=terms, points=points,
                         block=block)


def describe(dm: Any) -> str:
    """Short text of the dormancy of a batch (for the time-series attributes)."""
    return (f"dormancy: single cells {dm.law} latency"
            + (", two-stage" if dm.two_stage else "") + ", avascular plateau and switch, "
            "surgery pulse (expected values; engines/_dormancy.py)")
