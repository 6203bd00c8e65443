"""Birth-cohort numerics shared by the organism engine.

Time is cut into cells of width ``h`` (the birth cohorts). Within each cell the birth rate ``B`` is
represented by its first three Legendre moments ``b_m = int_cell B(s) P_m(x(s)) ds`` (x in [-1, 1]),
computed exactly by Gauss-Legendre quadrature, even where emission switches on or off inside a cell.
Any observable that is a linear functional of the births,

    Q(t) = int_0^t B(s) K(t - s) ds          (K: a kernel of the age, e.g. the size X(a)),

is approximated by sum_j sum_m b_jm / ||P_m||^2 int_cell_j P_m K(t - s) ds, i.e. the exact integral
of K against the cell-wise L2 projection of B onto quadratics. Its error is
int (B - Pi B)(K - Pi K), of order h^6 per cell where both are smooth (superconvergence of
Legendre projections), so cells can be wide. For output times on the grid the sum is a Toeplitz
convolution (one FFT per moment); kinks of the kernel (latency, visibility thresholds) are handled
by splitting the affected cells at the kink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, cast

import numba
import numpy as np
import numpy.typing as npt
import scipy.fft

Array = npt.NDArray[np.float64]

N_MOMENTS = 3
_NQ = 4
_XI, _W = np.polynomial.legendre.leggauss(_NQ)


def legendre(x: Array) -> Array:
    """P0, P1, P2 at ``x`` (stacked on a new last axis)."""
    x = np.asarray(x, dtype=np.float64)
    return cast(Array, np.stack([np.ones_like(x), x, 0.5 * (3.0 * x * x - 1.0)], axis=-1))


#: P0, P1, P2 at the Gauss nodes (q, 3).
_LEG = legendre(_XI)


def norm2(h: float) -> Array:
    """||P_m||^2 over a cell of width h: h / (2m + 1)."""
    return np.asarray(h / (2.0 * np.arange(N_MOMENTS) + 1.0), dtype=np.float64)


def gauss_nodes(lo: Array, hi: Array) -> tuple[Array, Array]:
    """Gauss-Legendre nodes and weights on [lo, hi] (arrays broadcast; a trailing node axis)."""
    lo = np.asarray(lo)[..., None]
    hi = np.asarray(hi)[..., None]
    half = 0.5 * (hi - lo)
    return 0.5 * (hi + lo) + half * _XI, half * _W


def source_moments(
    rate: Callable[[Array], Array], h: float, n_cells: int, t_on: Array, t_off: Array
) -> Array:
    """Legendre moments of a birth rate that is ``rate(s)`` on [t_on, t_off) and 0 elsewhere.

    ``rate`` maps times of shape (P, J, q) to rates of the same shape; ``t_on``, ``t_off`` have
    shape (P,). Returns shape (P, J, 3).
    """
    n_pat = t_on.shape[0]
    starts = np.arange(n_cells) * h
    # cells inside the emission window: the same nodes for every patient (one matrix product)
    nodes = (starts[:, None] + 0.5 * h) + (0.5 * h) * _XI  # (J, q)
    vals = rate(np.broadcast_to(nodes, (n_pat, n_cells, _NQ)))
    out = (vals * (0.5 * h * _W)) @ _LEG
    inside = (starts[None, :] >= t_on[:, None]) & (starts[None, :] + h <= t_off[:, None])
    out *= inside[..., None]
    # the (at most two) cells cut by t_on or t_off: Gauss rule on the part inside the window
    with np.errstate(invalid="ignore"):
        cut = np.stack([np.floor(t_on / h), np.floor(t_off / h)], axis=1)  # (P, 2)
    ok = np.isfinite(cut) & (cut >= 0) & (cut < n_cells)
    j = np.where(ok, cut, 0).astype(np.intp)
    lo = np.clip(j * h, t_on[:, None], t_off[:, None])
    hi = np.clip((j + 1) * h, t_on[:, None], t_off[:, None])
    s, w = gauss_nodes(lo, hi)  # (P, 2, q)
    x = (s - ((j + 0.5) * h)[..., None]) * (2.0 / h)
    part = np.einsum("pcq,pcqm->pcm", rate(s) * w, legendre(x))
    rows = np.nonzero(ok)
    out[rows[0], j[rows]] = part[rows]
    return np.asarray(out, dtype=np.float64)


def kernel_weights(
    kernel: Callable[[Array, npt.NDArray[np.intp] | None], Array],
    h: float,
    n_lags: int,
    breaks: Array,
    offset: Array | None = None,
    values: Array | None = None,
) -> Array:
    """int_cell P_m(x(s)) K(t - s) ds for the cell lying ``i`` cells before t, i = 1..n_lags.

    The cell at lag i covers ages [(i - 1) h + offset, i h + offset]. ``kernel(age, idx)`` evaluates
    K for the patients ``idx`` (all when None) at ages of shape (P', ...). ``breaks`` (P, nb) are ages
    where K has a kink or jump; the cells containing them are integrated piecewise. Returns
    (P, n_lags + 1, 3) with row 0 zero (so that a causal convolution can use it directly).
    ``values``: K already evaluated at :func:`node_ages` (to share work between kernels).
    """
    n_pat = breaks.shape[0]
    off = np.zeros(n_pat) if offset is None else np.asarray(offset, dtype=np.float64)
    if values is None:
        values = kernel(node_ages(h, n_lags, off), None)
    out = np.empty((n_pat, n_lags + 1, N_MOMENTS))
    out[:, 0] = 0.0
    np.matmul(np.broadcast_to(values, (n_pat, n_lags, _NQ)), _LEG * (0.5 * h * _W)[:, None],
              out=out[:, 1:, :])
    if breaks.size == 0:
        return out
    for col in range(breaks.shape[1]):
        b = breaks[:, col] - off
        with np.errstate(invalid="ignore"):
            lag = np.ceil(b / h)
            inside = np.isfinite(b) & (b > 0) & (lag <= n_lags) & (lag * h - b > 1e-12 * h)
            inside &= b - (lag - 1) * h > 1e-12 * h
        idx = np.nonzero(inside)[0]
        if idx.size == 0:
            continue
        lag_i = lag[idx].astype(np.intp)
        out[idx, lag_i, :] = _split_cell(kernel, h, idx, lag_i, breaks[idx], off[idx])
    return out


def node_ages(h: float, n_lags: int, offset: Array | None) -> Array:
    """Ages at the Gauss nodes of the cells at lags 1..n_lags: shape (P, n_lags, q), or
    (1, n_lags, q) shared by all patients when ``offset`` is None (zero offset)."""
    lags = np.arange(1, n_lags + 1)
    sigma = 0.5 * h * _XI
    ages = (lags[None, :, None] - 0.5) * h - sigma[None, None, :]
    return ages if offset is None else ages + offset[:, None, None]


def _split_cell(
    kernel: Callable[[Array, npt.NDArray[np.intp] | None], Array],
    h: float,
    idx: npt.NDArray[np.intp],
    lag: npt.NDArray[np.intp],
    breaks: Array,
    off: Array,
) -> Array:
    """Cell integrals split at every break point falling inside the cell (one cell per patient)."""
    a_lo = (lag - 1) * h + off
    a_hi = lag * h + off
    pts = np.sort(np.clip(breaks, a_lo[:, None], a_hi[:, None]), axis=1)
    pts = np.concatenate([a_lo[:, None], pts, a_hi[:, None]], axis=1)  # (n, nb + 2)
    age, w = gauss_nodes(pts[:, :-1], pts[:, 1:])  # (n, nb + 1, q)
    sigma = (lag[:, None, None] - 0.5) * h + off[:, None, None] - age
    vals = kernel(age, idx) * w
    return np.einsum("nsq,nsqm->nm", vals, legendre(sigma * (2.0 / h)))


def causal_convolution(
    moments: Array, weights: Array, block: int | None = None, rel_tol: float = 1e-9
) -> Array:
    """Q_k = sum_j sum_m moments[j, m] * weights[k - j, m], for k = 0..J (one kernel; see
    :func:`causal_convolutions`)."""
    return causal_convolutions(moments, [weights], block, rel_tol)[0]


def causal_convolutions(
    moments: Array, kernels: Sequence[Array], block: int | None = None, rel_tol: float = 1e-9
) -> list[Array]:
    """Q_k = sum_j sum_m moments[j, m] * weights[k - j, m], for k = 0..J, for several kernels.

    ``moments`` (P, J, 3) already divided by the norms; each of ``kernels`` is a weight array
    (P, J + 1, 3) from :func:`kernel_weights`. The
    transforms of the moments are shared by all kernels.

    FFT rounding is relative to the largest terms of a transform, while these series span many
    decades (a growing burden). The convolution is therefore cut into blocks of ``block`` cells:
    the product of the transforms of a source block s and a lag window d is one short circular
    convolution (length >= 2 block - 1, enough for the block of outputs it feeds), whose rounding
    is relative to that pair's own terms. The spectra of all pairs feeding the same output block
    are summed before one inverse transform per output block (the transform is linear, and the
    rounding bound below is the sum over the pairs anyway). Outputs still below ``1 / rel_tol``
    times the rounding bound are recomputed by direct summation.
    """
    n_pat, n_cells, nm = moments.shape
    L = n_cells if block is None else max(1, min(block, n_cells))
    n_blk = -(-n_cells // L)
    pad = n_blk * L
    n_fft = scipy.fft.next_fast_len(2 * L - 1, real=True)
    moments = np.ascontiguousarray(moments)
    # source block s: cells s L .. s L + L - 1; blocks without births (before emission starts,
    # after resection) are skipped
    src = _Windows(step=L, offset=0, width=L, lo=0, hi=n_cells)
    nb = _window_norms(moments, n_blk, *src)  # (P, S, m)
    live_b = np.asarray(nb.any(axis=2), dtype=np.bool_)  # (P, S)
    fb, at_b = _rfft_rows(moments, live_b, src, n_fft)  # (live blocks, m, F), (P, S) row or -1
    eps_fft = 4.0 * np.finfo(np.float64).eps * np.sqrt(np.log2(n_fft))
    outs = []
    first: tuple[Array, _Windows, npt.NDArray[np.complex128], npt.NDArray[np.intp]] | None = None
    for weights in kernels:
        weights = np.ascontiguousarray(weights)
        # lag window d: lags (d-1)L+1 .. (d+1)L-1 (zero below lag 1)
        lag = _Windows(step=L, offset=1 - L, width=2 * L - 1, lo=1,
                       hi=min(weights.shape[1], pad + L))
        nw = _window_norms(weights, n_blk, *lag)  # (P, D, m)
        live_w = np.asarray(nw.any(axis=2), dtype=np.bool_)  # (P, D): kernel windows not zero
        if first is None:
            fw, at_w = _rfft_rows(weights, live_w, lag, n_fft)
            first = (weights, lag, fw, at_w)
            spec = _block_spectra(fb, fw, fw, at_b, at_w, np.ones_like(live_w))
        else:
            # windows equal to the first kernel's (e.g. the visible burden at ages past the
            # visibility age is the burden) reuse its spectra
            same = live_w & (first[3] >= 0) & _windows_equal(weights, first[0], n_blk, lag,
                                                               first[1])
            fw, at_w = _rfft_rows(weights, live_w & ~same, lag, n_fft)
            at_w = np.where(same, first[3], at_w)
            spec = _block_spectra(fb, first[2], fw, at_b, at_w, ~same)
        blk_bound = np.zeros((n_pat, n_blk))
        for d in range(n_blk):
            blk_bound[:, d:] += np.einsum("psm,pm->ps", nb[:, : n_blk - d], nw[:, d])
        out = np.zeros((n_pat, pad + 1))
        # circular index L - 1 + k' of the pair product is output k' of the block; output
        # blocks fed by no live pair stay zero
        live_o = blk_bound > 0
        out_blocks = out[:, :pad].reshape(n_pat, n_blk, L)
        out_blocks[live_o] = scipy.fft.irfft(spec[live_o], n=n_fft, axis=1)[:, L - 1 : 2 * L - 1]
        if n_cells == pad:  # output k = pad lies one past the last block
            out[:, pad] = lagged_dot(moments, weights, np.full(n_pat, pad))
        out = out[:, : n_cells + 1]
        # measured FFT convolution errors are ~ eps ||b|| ||w||; the bound keeps a margin of ~15
        bound = eps_fft * np.repeat(blk_bound, L, axis=1)
        bound = np.concatenate([bound, bound[:, -1:]], axis=1)[:, : n_cells + 1]
        redo = (np.abs(out) < bound / rel_tol) & (bound > 0)
        if redo.any():
            _direct_fill(moments, weights, redo, out)
        outs.append(out)
    return outs


class _Windows(NamedTuple):
    """Window b of a (P, K, m) array covers indices b step + offset + i, i = 0..width-1; indices
    outside [lo, hi) read as zero."""

    step: int
    offset: int
    width: int
    lo: int
    hi: int


@numba.njit(cache=True, nogil=True)
def _window_range(b: int, step: int, offset: int, width: int, lo: int,
                  hi: int) -> tuple[int, int]:  # pragma: no cover
    """Indices [start, stop) of window b that lie inside [lo, hi) (see :class:`_Windows`)."""
    return max(b * step + offset, lo), min(b * step + offset + width, hi)


@numba.njit(cache=True, nogil=True)
def _window_norms(arr: Array, n_b: int, step: int, offset: int, width: int, lo: int,
                  hi: int) -> Array:  # pragma: no cover
    """L2 norm of every window of every moment: (P, n_b, m)."""
    n_pat, _, nm = arr.shape
    out = np.zeros((n_pat, n_b, nm))
    for p in range(n_pat):
        for b in range(n_b):
            start, stop = _window_range(b, step, offset, width, lo, hi)
            for k in range(start, stop):
                for m in range(nm):
                    out[p, b, m] += arr[p, k, m] * arr[p, k, m]
    return np.sqrt(out)


def _windows_equal(a: Array, b: Array, n_b: int, wa: _Windows,
                   wb: _Windows) -> npt.NDArray[np.bool_]:
    """(P, n_b): whether window d of ``a`` equals window d of ``b`` (same layout and range)."""
    if wa != wb:
        return np.zeros((a.shape[0], n_b), dtype=np.bool_)
    return np.asarray(_windows_equal_loop(a, b, n_b, *wa))


@numba.njit(cache=True, nogil=True)
def _windows_equal_loop(a: Array, b: Array, n_b: int, step: int, offset: int, width: int,
                        lo: int, hi: int) -> npt.NDArray[np.bool_]:  # pragma: no cover
    n_pat, _, nm = a.shape
    out = np.ones((n_pat, n_b), dtype=np.bool_)
    for p in range(n_pat):
        for d in range(n_b):
            start, stop = _window_range(d, step, offset, width, lo, hi)
            for k in range(start, stop):
                for m in range(nm):
                    if a[p, k, m] != b[p, k, m]:
                        out[p, d] = False
                        break
                if not out[p, d]:
                    break
    return out


def _rfft_rows(arr: Array, live: npt.NDArray[np.bool_], win: _Windows,
               n_fft: int) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.intp]]:
    """Real FFTs (length ``n_fft``, zero-padded) of the ``live`` windows (P, B) of a (P, K, m)
    array, moment by moment, packed: returns the spectra (n_live, m, F) and, for every (P, B)
    entry, its row in them (-1 where not live: spectrum zero, never computed)."""
    at = np.full(live.shape, -1, dtype=np.intp)
    at[live] = np.arange(int(live.sum()))
    padded = _gather_windows(arr, live, *win, n_fft)
    return scipy.fft.rfft(padded, axis=2, overwrite_x=True), at


@numba.njit(cache=True, nogil=True)
def _gather_windows(arr: Array, live: npt.NDArray[np.bool_], step: int, offset: int,
                    width: int, lo: int, hi: int, n_fft: int) -> Array:  # pragma: no cover
    n_pat, n_b = live.shape
    nm = arr.shape[2]
    out = np.zeros((live.sum(), nm, n_fft))
    r = 0
    for p in range(n_pat):
        for b in range(n_b):
            if live[p, b]:
                start, stop = _window_range(b, step, offset, width, lo, hi)
                for k in range(start, stop):
                    i = k - (b * step + offset)
                    for m in range(nm):
                        out[r, m, i] = arr[p, k, m]
                r += 1
    return out


@numba.njit(cache=True, nogil=True)
def _block_spectra(fb: npt.NDArray[np.complex128], fw_first: npt.NDArray[np.complex128],
                   fw_own: npt.NDArray[np.complex128], at_b: npt.NDArray[np.intp],
                   at_w: npt.NDArray[np.intp],
                   own: npt.NDArray[np.bool_]) -> npt.NDArray[np.complex128]:  # pragma: no cover
    """spec[p, o] = sum_{s <= o} sum_m fb[p, s, m] fw[p, o - s, m]: every (source block, lag
    window) pair summed into the spectrum of the output block it feeds (zero blocks skipped;
    ``at_b``/``at_w`` give the packed row of each block or window, -1 for zero ones; a window's
    spectrum is in ``fw_own`` where ``own``, else in ``fw_first``)."""
    n_pat, n_blk = at_b.shape
    nm, nf = fb.shape[1], fb.shape[2]
    spec = np.zeros((n_pat, n_blk, nf), dtype=np.complex128)
    for p in range(n_pat):
        for o in range(n_blk):
            for s in range(o + 1):
                ib = at_b[p, s]
                iw = at_w[p, o - s]
                if ib < 0 or iw < 0:
                    continue
                fw = fw_own if own[p, o - s] else fw_first
                for m in range(nm):
                    for f in range(nf):
                        spec[p, o, f] += fb[ib, m, f] * fw[iw, m, f]
    return spec


def projected_number(n_grid: Array, moments: Array, h: float, t: Array) -> Array:
    """N(t) for times t (P, T) from cumulated cell masses ``n_grid`` (P, J + 1) and the Legendre
    moments (P, J, 3) integrated exactly over the part of the cell cut by t."""
    return np.asarray(_projected_number(np.ascontiguousarray(n_grid),
                                        np.ascontiguousarray(moments), float(h),
                                        np.ascontiguousarray(t, dtype=np.float64)))


@numba.njit(cache=True, nogil=True)
def _projected_number(n_grid: Array, moments: Array, h: float,
                      t: Array) -> Array:  # pragma: no cover
    n_pat, n_cells, _ = moments.shape
    out = np.empty(t.shape)
    for p in range(n_pat):
        for k in range(t.shape[1]):
            tk = min(max(t[p, k], 0.0), n_cells * h)
            j = min(int(np.floor(tk / h + 1e-12)), n_cells - 1)
            x = min(max((tk - (j + 0.5) * h) * (2.0 / h), -1.0), 1.0)
            part = moments[p, j, 0] * (x + 1.0) + 3.0 * moments[p, j, 1] * 0.5 * (x * x - 1.0) \
                + 5.0 * moments[p, j, 2] * 0.5 * (x * x * x - x)
            out[p, k] = n_grid[p, j] + 0.5 * part
    return out


def lagged_dot(moments: Array, weights: Array, last: npt.NDArray[np.intp]) -> Array:
    """sum_{i=1}^{last_p} sum_m moments[p, last_p - i, m] weights[p, i, m] for every patient p:
    one output of the causal convolution at a time of its own per patient."""
    return np.asarray(_lagged_dot(np.ascontiguousarray(moments), np.ascontiguousarray(weights),
                                  np.ascontiguousarray(last, dtype=np.intp)))


@numba.njit(cache=True, nogil=True)
def _lagged_dot(moments: Array, weights: Array,
                last: npt.NDArray[np.intp]) -> Array:  # pragma: no cover
    n_pat, n_cells, nm = moments.shape
    out = np.zeros(n_pat)
    for p in range(n_pat):
        acc = 0.0
        for i in range(1, min(last[p], weights.shape[1] - 1) + 1):
            j = last[p] - i
            if j < 0 or j >= n_cells:
                continue
            for m in range(nm):
                acc += moments[p, j, m] * weights[p, i, m]
        out[p] = acc
    return out


@numba.njit(cache=True, nogil=True)
def _direct_fill(moments: Array, weights: Array, redo: npt.NDArray[np.bool_],
                 out: Array) -> None:  # pragma: no cover
    n_pat, n_cells, nm = moments.shape
    for p in range(n_pat):
        first = 0  # kernels are often zero below some age (visibility): skip those lags
        while first <= n_cells and weights[p, first, 0] == 0.0 and weights[p, first, 1] == 0.0 \
                and weights[p, first, 2] == 0.0:
            first += 1
        for k in range(n_cells + 1):
            if not redo[p, k]:
                continue
            acc = 0.0
            for j in range(k - first + 1):
                for m in range(nm):
                    acc += moments[p, j, m] * weights[p, k - j, m]
            out[p, k] = acc


def renewal_weights(
    kernel: Callable[[Array, npt.NDArray[np.intp] | None], Array],
    h: float,
    n_lags: int,
    breaks: Array,
) -> Array:
    """Lambda[i, n, m] = int_tau int_sigma P_n(tau) P_m(sigma) D(i h + tau - sigma), ages >= 0.

    The secondary birth rate in cell k is sum_j sum_m b_jm / ||P_m||^2 Lambda[k - j, :, m]; lag 0
    is the triangle where the parent was born earlier in the same cell. Break points of D (P, nb)
    are integrated piecewise. Returns (P, n_lags + 1, 3, 3).
    """
    n_pat = breaks.shape[0]
    half = 0.5 * h * _XI
    lags = np.arange(n_lags + 1, dtype=np.float64)
    # Plain tensor Gauss rule on the square (tau, sigma) for every lag.
    age = lags[:, None, None] * h + half[None, :, None] - half[None, None, :]  # (I, q_tau, q_sig)
    vals = kernel(np.broadcast_to(age, (n_pat, *age.shape)).copy(), None)
    wl = 0.5 * h * _W[:, None] * legendre(_XI)  # (q, 3): weight x P at the nodes
    out = np.einsum("piab,an,bm->pinm", vals, wl, wl)
    # Lag 0 (triangle) and the cells that contain a break point: piecewise in the age.
    fix = [np.zeros(n_pat, dtype=np.intp)]
    for col in range(breaks.shape[1]):
        b = breaks[:, col]
        with np.errstate(invalid="ignore"):
            centre = np.where(np.isfinite(b), np.round(b / h), -1)
        for d in (-1, 0, 1):
            fix.append((centre + d).astype(np.intp))
    lag_fix = np.unique(np.concatenate(fix))
    lag_fix = lag_fix[(lag_fix >= 0) & (lag_fix <= n_lags)]
    if lag_fix.size:
        out[:, lag_fix] = _renewal_piecewise(kernel, h, lag_fix, breaks)
    return out


def _renewal_piecewise(
    kernel: Callable[[Array, npt.NDArray[np.intp] | None], Array],
    h: float,
    lags_i: npt.NDArray[np.intp],
    breaks: Array,
) -> Array:
    """Lambda at selected lags, integrating over the age split at the break points."""
    n_pat = breaks.shape[0]
    sig = 0.5 * h * _XI  # outer nodes (sigma)
    lags = lags_i.astype(np.float64)
    a_lo = np.maximum(lags[:, None] * h - 0.5 * h - sig[None, :], 0.0)  # (I, q)
    a_hi = np.maximum(lags[:, None] * h + 0.5 * h - sig[None, :], 0.0)
    brk = np.where(np.isfinite(breaks), breaks, -1.0)  # (P, nb)
    pts = np.clip(brk[:, None, None, :], a_lo[None, :, :, None], a_hi[None, :, :, None])
    pts = np.sort(pts, axis=-1)
    lo_b = np.broadcast_to(a_lo[None, :, :, None], (n_pat, *a_lo.shape, 1))
    hi_b = np.broadcast_to(a_hi[None, :, :, None], (n_pat, *a_hi.shape, 1))
    pts = np.concatenate([lo_b, pts, hi_b], axis=-1)  # (P, I, q, nb + 2)
    age, w = gauss_nodes(pts[..., :-1], pts[..., 1:])  # (P, I, q, s, q)
    tau = age - lags[None, :, None, None, None] * h + sig[None, None, :, None, None]
    shape = age.shape
    vals = kernel(age.reshape(n_pat, -1), None).reshape(shape) * w
    p_tau = legendre(tau * (2.0 / h))  # (..., 3)
    p_sig = legendre(sig * (2.0 / h))  # (q, 3)
    inner = np.einsum("piasr,piasrn->pian", vals, p_tau)  # integrate over age
    return np.einsum("pian,a,am->pinm", inner, 0.5 * h * _W, p_sig)


@numba.njit(cache=True, nogil=True)
def _renewal_loop(primary: Array, lam: Array, inv_norm: Array) -> Array:  # pragma: no cover
    n_pat, n_cells, nm = primary.shape
    out = np.zeros_like(primary)
    for p in range(n_pat):
        # lt[n] holds Lambda[r, n, m] / ||P_m||^2 flattened over (r, m); brev holds the births
        # in reverse cell order, so that the history sum is one contiguous dot product per n.
        lt = np.empty((nm, (n_cells + 1) * nm))
        for r in range(n_cells + 1):
            for n in range(nm):
                for m in range(nm):
                    lt[n, r * nm + m] = lam[p, r, n, m] * inv_norm[m]
        a = np.eye(nm)
        for n in range(nm):
            for m in range(nm):
                a[n, m] -= lt[n, m]
        a_inv = np.linalg.inv(a)
        brev = np.zeros(n_cells * nm)
        rhs = np.empty(nm)
        for k in range(n_cells):
            start = (n_cells - k) * nm
            for n in range(nm):
                rhs[n] = primary[p, k, n]
                if k > 0:
                    rhs[n] += np.dot(lt[n, nm : nm * (k + 1)], brev[start : start + nm * k])
            pos = (n_cells - 1 - k) * nm
            for n in range(nm):
                acc = 0.0
                for m in range(nm):
                    acc += a_inv[n, m] * rhs[m]
                out[p, k, n] = acc
                brev[pos + n] = acc
    return out


def solve_renewal(primary: Array, lam: Array, h: float) -> Array:
    """Total birth moments B = B_primary + int B(s) D(t - s) ds, cell by cell (implicit in the
    current cell). ``primary`` (P, J, 3), ``lam`` (P, J + 1, 3, 3)."""
    inv_norm = 1.0 / norm2(h)
    return np.asarray(_renewal_loop(np.ascontiguousarray(primary), np.ascontiguousarray(lam),
                                    inv_norm))
