"""The blocked FFT convolution of the cohort engine against direct summation (a second algorithm)."""

import numpy as np

from metacascade.engines import _birth_cohorts as co


def _direct(m: np.ndarray, w: np.ndarray) -> np.ndarray:
    n = m.shape[0]
    out = np.zeros(n + 1)
    for k in range(1, n + 1):
        j = np.arange(k)
        out[k] = np.sum(m[j] * w[k - j])
    return out


def test_blocked_fft_matches_direct_sums_over_many_decades():
    """Series growing over 1e20 (births and kernel), a kernel that is zero below some age, and births
    that stop (resection): every output within 1e-9 relative of the direct sum, zeros exact."""
    rng = np.random.default_rng(7)
    n, rate = 1300, 0.035
    t = np.arange(n)
    mom = np.exp(rate * t)[None, :, None] * rng.uniform(0.5, 1.5, (2, n, 3)) * [1, 0.01, 0.001]
    mom[1, 900:] = 0.0  # births stop
    w = np.zeros((2, n + 1, 3))
    w[:, 1:] = np.exp(rate * t)[None, :, None] * rng.uniform(0.5, 1.5, (2, n, 3))
    w_vis = w.copy()
    w_vis[:, :400] = 0.0  # not visible below age 400
    got, got_vis = co.causal_convolutions(mom, [w, w_vis], block=int(6 / rate))
    for p in range(2):
        for out, ww in ((got, w), (got_vis, w_vis)):
            ref = _direct(mom[p], ww[p])
            pos = ref > 0
            np.testing.assert_allclose(out[p][pos], ref[pos], rtol=1e-9)
            assert np.all(out[p][~pos] == 0.0)


def test_reused_spectra_give_the_same_numbers_as_a_separate_transform():
    """Lag windows of a second kernel equal to the first kernel's reuse its spectra: the outputs
    are bit-identical to convolving that kernel on its own."""
    rng = np.random.default_rng(3)
    n, rate = 900, 0.03
    t = np.arange(n)
    mom = np.exp(rate * t)[None, :, None] * rng.uniform(0.5, 1.5, (3, n, 3))
    w = np.zeros((3, n + 1, 3))
    w[:, 1:] = np.exp(rate * t)[None, :, None] * rng.uniform(0.5, 1.5, (3, n, 3))
    w_vis = w.copy()
    w_vis[:, :250] = 0.0
    w_vis[1, 600] *= 1.5  # one window of one patient differs beyond the zero part
    block = int(6 / rate)
    _, shared = co.causal_convolutions(mom, [w, w_vis], block=block)
    alone = co.causal_convolution(mom, w_vis, block=block)
    np.testing.assert_array_equal(shared, alone)
