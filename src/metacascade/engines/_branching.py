"""numba kernels of the hybrid multi-type birth-death process (see :mod:`.stochastic`).

One call of :func:`grow` grows one tumour (the primary, or one metastasis) on a time grid with
piecewise-constant per-cell rates: birth ``b_k * fitness`` and death ``d_k`` on step ``k``. Clones
(types) are created at divisions: each daughter gets Poisson(mu) new neutral mutations (only while
the tumour is below ``track_below`` cells), a driver with probability ``p_driver`` (birth rate x
``fit_driver``) and, if its clone lacks it, the metastatic trait with probability ``p_trait``.

Regimes
-------
1. **Exact** while the tumour holds fewer than ``exact_below`` cells: Gillespie's direct method
   (Gillespie 1977, J Phys Chem 81:2340) over all cells, one event at a time. A cell is picked
   uniformly from an array of clone labels (O(1) per event); the fitness and seeding differences
   between clones are handled by thinning (Lewis & Shedler 1979): the total rate uses the largest
   per-cell rate and the event is accepted with the ratio.
2. **Frozen fractions** once the tumour reaches ``exact_below`` cells: every clone grows
   deterministically at its own rate, n_c(t) = n_c(t_f) exp(f_c (B(t) - B(t_f)) - (D(t) - D(t_f)))
   with B, D the integrated birth and death rates: the law of large numbers of a linear
   birth-death process (each clone's expected growth; the relative error of a clone of n cells is
   of order sqrt((1 + d/b) / (beta n)), Kendall 1948). Clones carrying a driver or a trait that
   differs from the founding clone's and smaller than ``clone_exact_below`` stay exact (one clone
   at a time: the process is linear, clones are independent), as do new driver/trait clones born
   in this regime (Poisson numbers per clone and step), until they reach that size.

Metastases are seeded by the primary at rate kappa_k N^(gamma - 1) w_c per cell (w_c = 1 for trait
carriers, ``w_off`` for the others): exact events in regime 1, a Poisson number per clone and step
in regime 2. Every kernel draws its random numbers from the numpy ``Generator`` it is given. The
event loops never reallocate: they return when an array is full and :func:`grow` enlarges it and
resumes (reallocating inside a numba loop costs reference counting on every event).
"""

from __future__ import annotations

import numba
import numpy as np

#: Outcome codes of :func:`grow`.
GROWING, EXTINCT, STOPPED_AT_SIZE, RESECTED = 0, 1, 2, 3
#: Slots of the state vector shared by the phase functions.
T, K, N, NCL, NSEED, TCUT, TDET, TSTOP, STATUS, TEND, BIGB, BIGD, NPREV, EXACT = range(14)
#: Return codes of the phase functions.
DONE, FULL = 0, 1


@numba.njit(cache=True, nogil=True)
def _grown(a, n):  # pragma: no cover - compiled
    out = np.zeros(max(n, 2 * a.size), a.dtype)
    out[: a.size] = a
    return out


@numba.njit(cache=True, nogil=True)
def ztp(rng, mu):  # pragma: no cover - compiled
    """A Poisson(mu) draw conditioned on being at least 1 (inversion)."""
    p0 = np.exp(-mu)
    u = p0 + rng.random() * (1.0 - p0)
    k = 0
    pk = p0
    cdf = p0
    while cdf < u and k < 1000000:
        k += 1
        pk *= mu / k
        cdf += pk
    return max(k, 1)


@numba.njit(cache=True, nogil=True)
def _new_clone(j, c, t, n_new, drv, trt, fit_driver, parent, t_birth, n_mut, fit,
               trait):  # pragma: no cover - compiled
    parent[j] = c
    t_birth[j] = t
    n_mut[j] = n_new
    fit[j] = fit[c] * (fit_driver if drv else 1.0)
    trait[j] = trait[c] or trt


@numba.njit(cache=True, nogil=True)
def _exact_phase(rng, st, times, birth, death, labels, parent, t_birth, n_mut, fit, trait,
                 count, seed_t, seed_clone, seed_n, mu, p_driver, fit_driver, p_trait, w_off,
                 track_below, exact_below, stop_cells, kappa, gamma, seed_from_cells,
                 seed_from_day, seed_cluster, detect_cells, resect_delay,
                 max_seeds, total):  # pragma: no cover - compiled
    """Regime 1 until the tumour is large, extinct, stopped or the grid ends (or an array is full:
    returns FULL with the state saved in ``st``)."""
    n_steps = birth.size
    t = st[T]
    k = int(st[K])
    n_tot = st[N]
    n_cl = int(st[NCL])
    n_seed = int(st[NSEED])
    t_cut = st[TCUT]
    t_detect = st[TDET]
    t_stop = st[TSTOP]
    status = int(st[STATUS])
    cap = parent.size
    code = DONE
    # thinning bounds: the largest fitness and seeding weight present (raised as clones appear;
    # a bound kept after its clone died out stays valid)
    fmax = 0.0
    wmax = 0.0
    for c in range(n_cl):
        if count[c] > 0:
            if fit[c] > fmax:
                fmax = fit[c]
            wc = 1.0 if trait[c] else w_off
            if wc > wmax:
                wmax = wc
    while k < n_steps:
        t_next = times[k + 1]
        b = birth[k]
        d = death[k]
        seeding = (t >= seed_from_day) and (n_tot >= seed_from_cells) and kappa[k] > 0
        ks = kappa[k] * (n_tot ** (gamma - 1.0)) if seeding else 0.0
        r_cell = b * fmax + d + ks * wmax
        step_done = True
        while r_cell > 0.0:
            if n_cl + 2 > cap or n_seed + 1 > seed_t.size:
                code = FULL
                step_done = False
                break
            dt = -np.log(1.0 - rng.random()) / (r_cell * n_tot)
            if t + dt >= t_next or t + dt >= t_stop:
                break
            t += dt
            i = int(rng.random() * n_tot)
            c = labels[i]
            u = rng.random() * r_cell
            if u < b * fit[c]:  # division
                mu_eff = mu if n_tot < track_below else 0.0
                p_keep = np.exp(-mu_eff) * (1.0 - p_driver) * (1.0 - (0.0 if trait[c] else p_trait))
                for dgt in range(2):
                    lab = c
                    if p_keep < 1.0 and rng.random() >= p_keep:
                        if p_driver == 0.0 and (trait[c] or p_trait == 0.0):
                            km = ztp(rng, mu_eff)  # neutral: at least one new mutation
                            drv = False
                            trt = False
                        else:
                            while True:  # the first non-empty draw (exact conditional law)
                                km = rng.poisson(mu_eff) if mu_eff > 0 else 0
                                drv = rng.random() < p_driver
                                trt = (not trait[c]) and (rng.random() < p_trait)
                                if km > 0 or drv or trt:
                                    break
                        _new_clone(n_cl, c, t, km + int(drv) + int(trt), drv, trt, fit_driver, parent,
                                   t_birth, n_mut, fit, trait)
                        count[n_cl] = 0.0
                        lab = n_cl
                        if fit[n_cl] > fmax:  # keep the thinning bound valid
                            fmax = fit[n_cl]
                        if trait[n_cl] and wmax < 1.0:
                            wmax = 1.0
                        r_cell = b * fmax + d + ks * wmax
                        n_cl += 1
                    if dgt == 0:
                        labels[i] = lab
                    else:
                        labels[int(n_tot)] = lab
                    count[lab] += 1.0
                count[c] -= 1.0
                n_tot += 1.0
                if n_tot >= track_below and t_cut == np.inf:
                    t_cut = t
                if n_tot >= detect_cells and t_detect == np.inf:
                    t_detect = t
                    t_stop = min(t_stop, t + resect_delay)
                if n_tot >= stop_cells:
                    status = STOPPED_AT_SIZE
                    st[TEND] = t
                    break
                if n_tot >= exact_below:
                    step_done = False
                    st[EXACT] = 0.0
                    break
            elif u >= b * fmax and u < b * fmax + d:  # death
                labels[i] = labels[int(n_tot) - 1]
                count[c] -= 1.0
                n_tot -= 1.0
                if n_tot <= 0.0:
                    status = EXTINCT
                    st[TEND] = t
                    break
            elif u >= b * fmax + d and n_seed < max_seeds:  # seeding, thinned by the weight
                wc = 1.0 if trait[c] else w_off
                if u < b * fmax + d + ks * wc:
                    seed_t[n_seed] = t
                    seed_n[n_seed] = n_tot
                    seed_clone[n_seed * seed_cluster] = c
                    for extra in range(1, seed_cluster):  # more cells, by the same thinning
                        while True:
                            c2 = labels[int(rng.random() * n_tot)]
                            w2 = 1.0 if trait[c2] else w_off
                            if rng.random() * wmax < w2:
                                break
                        seed_clone[n_seed * seed_cluster + extra] = c2
                    n_seed += 1
        if code == FULL or status != GROWING or not step_done:
            break
        if t_stop < t_next:  # resected inside the step
            status = RESECTED
            st[TEND] = t_stop
            t = t_stop
            break
        t = t_next
        k += 1
        total[k] = n_tot
        if t >= t_stop:
            status = RESECTED
            st[TEND] = t_stop
            break
    st[T] = t
    st[K] = k
    st[N] = n_tot
    st[NCL] = n_cl
    st[NSEED] = n_seed
    st[TCUT] = t_cut
    st[TDET] = t_detect
    st[TSTOP] = t_stop
    st[STATUS] = status
    return code


@numba.njit(cache=True, nogil=True)
def _class_of(f, tr, cls_fit, cls_trait, n_cls):  # pragma: no cover - compiled
    for j in range(n_cls):
        if cls_fit[j] == f and cls_trait[j] == tr:
            return j
    return -1


@numba.njit(cache=True, nogil=True)
def _pick_in_class(rng, j, cls_of, log_a, log_s, n_cl):  # pragma: no cover - compiled
    """A clone of class ``j`` drawn in proportion to its size (scan; only at rare events)."""
    u = rng.random()
    acc = 0.0
    last = -1
    for c in range(n_cl):
        if cls_of[c] == j:
            acc += np.exp(log_a[c] - log_s)
            last = c
            if acc >= u:
                return c
    return last


@numba.njit(cache=True, nogil=True)
def _frozen_phase(rng, st, times, birth, death, parent, t_birth, n_mut, fit, trait, count, log_a,
                  cls_of, cls_fit, cls_trait, cls_logs, n_cls_arr, act, n_act_arr, seed_t,
                  seed_clone, seed_n, p_driver, fit_driver, p_trait, w_off, track_below,
                  clone_exact_below, stop_cells, kappa, gamma, seed_from_cells, seed_from_day,
                  seed_cluster, detect_cells, resect_delay, max_seeds,
                  total):  # pragma: no cover - compiled
    """Regime 2, step by step. Frozen clones are summed by class (fitness, trait): a class of
    log-summed size ``cls_logs`` holds exp(cls_logs + f B - D) cells; ``act[:n_act]`` lists the
    clones still exact. Returns FULL at the start of a step when arrays may overflow."""
    n_steps = birth.size
    t = st[T]
    k = int(st[K])
    n_tot = st[N]
    n_cl = int(st[NCL])
    n_seed = int(st[NSEED])
    t_cut = st[TCUT]
    t_detect = st[TDET]
    t_stop = st[TSTOP]
    status = int(st[STATUS])
    big_b = st[BIGB]
    big_d = st[BIGD]
    n_prev = st[NPREV]
    n_cls = n_cls_arr[0]
    n_act = n_act_arr[0]
    cap = parent.size
    code = DONE
    while k < n_steps and status == GROWING:
        t_next = min(times[k + 1], t_stop)
        h = t_next - t
        if h <= 0.0:
            status = RESECTED
            st[TEND] = t_stop
            break
        if n_cl + 1024 + 8 * n_act > cap or n_seed + 64 > seed_t.size \
                or n_cls + 64 > cls_fit.size:
            code = FULL
            break
        b = birth[k]
        d = death[k]
        seeding = (t >= seed_from_day) and (n_tot >= seed_from_cells) and kappa[k] > 0
        ks = kappa[k] * (n_tot ** (gamma - 1.0)) if seeding else 0.0
        n_new_tot = 0.0
        for j in range(n_cls):
            f = cls_fit[j]
            lam = b * f - d
            n0 = np.exp(cls_logs[j] + f * big_b - big_d)
            integral = n0 * np.expm1(lam * h) / lam if abs(lam * h) > 1e-12 else n0 * h
            n_new_tot += n0 * np.exp(lam * h)
            p_tr = 0.0 if cls_trait[j] else p_trait
            for kind in range(2):  # new driver / trait clones (Poisson numbers)
                p = p_driver if kind == 0 else p_tr
                if p <= 0.0:
                    continue
                n_born = rng.poisson(2.0 * b * f * integral * p)
                for _ in range(n_born):
                    if n_cl >= cap - 1:
                        break
                    c = _pick_in_class(rng, j, cls_of, log_a, cls_logs[j], n_cl)
                    _new_clone(n_cl, c, t + rng.random() * h, 1, kind == 0, kind == 1,
                               fit_driver, parent, t_birth, n_mut, fit, trait)
                    count[n_cl] = 1.0
                    log_a[n_cl] = -np.inf
                    cls_of[n_cl] = -1
                    act[n_act] = n_cl
                    n_act += 1
                    n_cl += 1
            if ks > 0.0:
                wc = 1.0 if cls_trait[j] else w_off
                n_s = rng.poisson(ks * wc * integral)
                for _ in range(n_s):
                    if n_seed >= max_seeds or n_seed >= seed_t.size:
                        break
                    c = _pick_in_class(rng, j, cls_of, log_a, cls_logs[j], n_cl)
                    seed_t[n_seed] = t + rng.random() * h
                    seed_n[n_seed] = n_tot
                    for extra in range(seed_cluster):
                        seed_clone[n_seed * seed_cluster + extra] = c
                    n_seed += 1
        # active clones: exact, one clone at a time (independent linear processes)
        q = 0
        while q < n_act:
            c = act[q]
            tc = max(t, t_birth[c])
            nc = count[c]
            bc = b * fit[c]
            wc = 1.0 if trait[c] else w_off
            rc = bc + d + ks * wc
            p_tr = 0.0 if trait[c] else p_trait
            while nc > 0.0 and rc > 0.0 and n_cl + 2 <= cap and n_act + 2 <= act.size:
                dt = -np.log(1.0 - rng.random()) / (rc * nc)
                if tc + dt >= t_next:
                    break
                tc += dt
                u = rng.random() * rc
                if u < bc:
                    nc += 1.0
                    for _dgt in range(2):
                        drv = rng.random() < p_driver
                        trt = rng.random() < p_tr
                        if drv or trt:
                            _new_clone(n_cl, c, tc, int(drv) + int(trt), drv, trt, fit_driver,
                                       parent, t_birth, n_mut, fit, trait)
                            count[n_cl] = 1.0
                            log_a[n_cl] = -np.inf
                            cls_of[n_cl] = -1
                            act[n_act] = n_cl
                            n_act += 1
                            n_cl += 1
                            nc -= 1.0
                elif u < bc + d:
                    nc -= 1.0
                elif n_seed < max_seeds and n_seed < seed_t.size:
                    seed_t[n_seed] = tc
                    seed_n[n_seed] = n_tot
                    for extra in range(seed_cluster):
                        seed_clone[n_seed * seed_cluster + extra] = c
                    n_seed += 1
            count[c] = nc
            q += 1
        # retire the extinct and freeze the large (their size at t_next expressed from B, D)
        q_out = 0
        for q in range(n_act):
            c = act[q]
            if count[c] <= 0.0:
                continue
            if count[c] >= clone_exact_below:
                la = np.log(count[c]) - fit[c] * (big_b + b * h) + (big_d + d * h)
                log_a[c] = la
                j = _class_of(fit[c], trait[c], cls_fit, cls_trait, n_cls)
                if j < 0:
                    j = n_cls
                    cls_fit[j] = fit[c]
                    cls_trait[j] = trait[c]
                    cls_logs[j] = la
                    n_cls += 1
                else:
                    cls_logs[j] = np.logaddexp(cls_logs[j], la)
                cls_of[c] = j
                n_new_tot += count[c]
                continue
            act[q_out] = c
            q_out += 1
            n_new_tot += count[c]
        n_act = q_out
        big_b += b * h
        big_d += d * h
        n_tot = n_new_tot
        if n_tot <= 0.0:
            status = EXTINCT
            st[TEND] = t_next
            break
        if n_tot >= detect_cells and t_detect == np.inf:  # log-linear inside the step
            t_detect = t + h * np.log(detect_cells / n_prev) / np.log(n_tot / n_prev) \
                if n_tot > n_prev else t_next
            t_stop = min(t_stop, t_detect + resect_delay)
        if n_tot >= track_below and t_cut == np.inf:
            t_cut = t_next
        if t_stop < t_next:  # resected inside this step (at detection): frozen clones back to it
            frac = (t_stop - t) / h
            big_b -= b * h * (1.0 - frac)
            big_d -= d * h * (1.0 - frac)
            status = RESECTED
            st[TEND] = t_stop
            t = t_stop
            break
        if n_tot >= stop_cells:
            status = STOPPED_AT_SIZE
            frac = np.log(stop_cells / n_prev) / np.log(n_tot / n_prev) if n_tot > n_prev else 1.0
            st[TEND] = t + h * frac
            big_b -= b * h * (1.0 - frac)  # the frozen clones at the crossing time
            big_d -= d * h * (1.0 - frac)
            break
        t = t_next
        n_prev = n_tot
        if t_next == times[k + 1]:
            k += 1
            total[k] = n_tot
        if t >= t_stop:
            status = RESECTED
            st[TEND] = t_stop
            break
    st[T] = t
    st[K] = k
    st[N] = n_tot
    st[NCL] = n_cl
    st[NSEED] = n_seed
    st[TCUT] = t_cut
    st[TDET] = t_detect
    st[TSTOP] = t_stop
    st[STATUS] = status
    st[BIGB] = big_b
    st[BIGD] = big_d
    st[NPREV] = n_prev
    n_cls_arr[0] = n_cls
    n_act_arr[0] = n_act
    return code


@numba.njit(cache=True, nogil=True)
def grow(rng, times, birth, death, k_start, t_start, init_count, init_fit, init_trait,
         mu, p_driver, fit_driver, p_trait, w_off, track_below, exact_below,
         clone_exact_below, stop_cells, kappa, gamma, seed_from_cells, seed_from_day,
         seed_cluster, detect_cells, resect_delay, resect_day, max_seeds,
         record_k):  # pragma: no cover
    """Grow one tumour from its initial clones from day ``max(times[k_start], t_start)``
    (``t_start`` inside step ``k_start``).

    ``record_k`` (sorted grid indices, may be empty): the cells of every clone are recorded when
    the tumour reaches each of these grid times (the phases run up to it and resume: the same
    process, step boundaries are renewal points of the per-step rates). The history is returned
    after the usual tuple as ``hist_k`` (the indices reached), ``hist_offsets`` and
    ``hist_cells`` (the clones existing then, in clone order, flattened).

    Returns ``(status, parent, t_birth, n_mut, fitness, trait, count, total, t_cut, t_detect,
    t_end, seed_t, seed_clone, seed_n)``: clone arrays (initial clones first, ``parent = -1 - i``
    for the i-th initial clone), cells on the grid ``total`` (nan before ``k_start``), the time the
    tumour reached ``track_below`` cells, detection and end times, and the seeds (time, founder clone
    of each of the ``seed_cluster`` cells (flattened), tumour cells at seeding).
    """
    n0 = init_count.size
    cap = 1024 + 4 * n0
    parent = np.zeros(cap, np.int64)
    t_birth = np.zeros(cap, np.float64)
    n_mut = np.zeros(cap, np.int64)
    fit = np.zeros(cap, np.float64)
    trait = np.zeros(cap, np.bool_)
    count = np.zeros(cap, np.float64)
    t0 = max(times[k_start], t_start)
    n_tot = 0.0
    for i in range(n0):
        parent[i] = -1 - i
        t_birth[i] = t0
        fit[i] = init_fit[i]
        trait[i] = init_trait[i]
        count[i] = init_count[i]
        n_tot += init_count[i]
    s_cap = 16
    seed_t = np.zeros(s_cap, np.float64)
    seed_clone = np.zeros(s_cap * seed_cluster, np.int64)
    seed_n = np.zeros(s_cap, np.float64)
    total = np.full(times.size, np.nan)
    total[k_start] = n_tot
    st = np.zeros(14)
    st[T] = t0
    st[K] = k_start
    st[N] = n_tot
    st[NCL] = n0
    st[TCUT] = t0 if n_tot >= track_below else np.inf
    st[TDET] = t0 if n_tot >= detect_cells else np.inf
    st[TSTOP] = resect_day if st[TDET] == np.inf else min(resect_day, t0 + resect_delay)
    st[STATUS] = GROWING
    st[TEND] = times[times.size - 1]
    st[NPREV] = n_tot
    st[EXACT] = 1.0 if n_tot < exact_below else 0.0
    n_steps = birth.size
    h_cap = 16
    hist_k = np.zeros(record_k.size, np.int64)
    hist_off = np.zeros(record_k.size + 1, np.int64)
    hist_cells = np.zeros(h_cap, np.float64)
    n_rec = 0
    r_i = 0
    while r_i < record_k.size and record_k[r_i] <= k_start:
        r_i += 1
    if st[EXACT] == 1.0:
        labels = np.zeros(int(min(exact_below, stop_cells, 4e8)) + 4, np.int32)
        m = 0
        for i in range(n0):
            for _ in range(int(init_count[i])):
                labels[m] = i
                m += 1
        while True:
            kk = record_k[r_i] if r_i < record_k.size else n_steps
            code = _exact_phase(rng, st, times, birth[:kk], death[:kk], labels, parent, t_birth,
                                n_mut, fit, trait, count, seed_t, seed_clone, seed_n, mu,
                                p_driver, fit_driver, p_trait, w_off, track_below, exact_below,
                                stop_cells, kappa[:kk], gamma, seed_from_cells, seed_from_day,
                                seed_cluster, detect_cells, resect_delay, max_seeds, total)
            if code == DONE and int(st[STATUS]) == GROWING and st[EXACT] == 1.0 \
                    and int(st[K]) == kk and kk < n_steps:
                n_cl_now = int(st[NCL])
                if hist_off[n_rec] + n_cl_now > hist_cells.size:
                    hist_cells = _grown(hist_cells, hist_off[n_rec] + n_cl_now)
                hist_cells[hist_off[n_rec]:hist_off[n_rec] + n_cl_now] = count[:n_cl_now]
                hist_k[n_rec] = kk
                hist_off[n_rec + 1] = hist_off[n_rec] + n_cl_now
                n_rec += 1
                r_i += 1
                continue
            if code == FULL:
                if int(st[NCL]) + 2 > parent.size:
                    parent = _grown(parent, 0)
                    t_birth = _grown(t_birth, 0)
                    n_mut = _grown(n_mut, 0)
                    fit = _grown(fit, 0)
                    trait = _grown(trait, 0)
                    count = _grown(count, 0)
                if int(st[NSEED]) + 1 > seed_t.size:
                    seed_t = _grown(seed_t, 0)
                    seed_n = _grown(seed_n, 0)
                    seed_clone = _grown(seed_clone, 2 * seed_t.size * seed_cluster)
                continue
            break
    status = int(st[STATUS])
    n_cl = int(st[NCL])
    if status == GROWING and int(st[K]) < birth.size:
        size = parent.size
        log_a = np.full(size, -np.inf)
        cls_of = np.full(size, -1, np.int64)
        act = np.zeros(size, np.int64)
        cls_fit = np.zeros(64, np.float64)
        cls_trait = np.zeros(64, np.bool_)
        cls_logs = np.full(64, -np.inf)
        n_cls = 0
        n_act = 0
        fit_root = init_fit[0]
        trait_root = init_trait[0]
        for c in range(n_cl):
            if count[c] > 0:
                if count[c] < clone_exact_below and (fit[c] != fit_root
                                                     or trait[c] != trait_root):
                    act[n_act] = c
                    n_act += 1
                else:
                    log_a[c] = np.log(count[c])
                    j = _class_of(fit[c], trait[c], cls_fit, cls_trait, n_cls)
                    if j < 0:
                        if n_cls >= cls_fit.size:
                            cls_fit = _grown(cls_fit, 0)
                            cls_trait = _grown(cls_trait, 0)
                            grown = np.full(cls_fit.size, -np.inf)
                            grown[:n_cls] = cls_logs[:n_cls]
                            cls_logs = grown
                        j = n_cls
                        cls_fit[j] = fit[c]
                        cls_trait[j] = trait[c]
                        cls_logs[j] = log_a[c]
                        n_cls += 1
                    else:
                        cls_logs[j] = np.logaddexp(cls_logs[j], log_a[c])
                    cls_of[c] = j
        st[BIGB] = 0.0
        st[BIGD] = 0.0
        st[NPREV] = st[N]
        n_cls_arr = np.array([n_cls])
        n_act_arr = np.array([n_act])
        while r_i < record_k.size and record_k[r_i] <= int(st[K]):
            r_i += 1
        while True:
            kk = record_k[r_i] if r_i < record_k.size else n_steps
            code = _frozen_phase(rng, st, times, birth[:kk], death[:kk], parent, t_birth, n_mut,
                                 fit, trait, count, log_a, cls_of, cls_fit, cls_trait, cls_logs,
                                 n_cls_arr, act, n_act_arr, seed_t, seed_clone, seed_n, p_driver,
                                 fit_driver, p_trait, w_off, track_below, clone_exact_below,
                                 stop_cells, kappa[:kk], gamma, seed_from_cells, seed_from_day,
                                 seed_cluster, detect_cells, resect_delay, max_seeds, total)
            if code == DONE and int(st[STATUS]) == GROWING and int(st[K]) == kk \
                    and kk < n_steps:
                n_cl_now = int(st[NCL])
                if hist_off[n_rec] + n_cl_now > hist_cells.size:
                    hist_cells = _grown(hist_cells, hist_off[n_rec] + n_cl_now)
                lo = hist_off[n_rec]
                for c in range(n_cl_now):  # frozen clones from their class clock
                    if log_a[c] != -np.inf:
                        hist_cells[lo + c] = np.exp(log_a[c] + fit[c] * st[BIGB] - st[BIGD])
                    else:
                        hist_cells[lo + c] = count[c]
                hist_k[n_rec] = kk
                hist_off[n_rec + 1] = lo + n_cl_now
                n_rec += 1
                r_i += 1
                continue
            if code == FULL:
                need = int(st[NCL]) + 1024 + 8 * int(n_act_arr[0]) + 1
                if need > parent.size:
                    parent = _grown(parent, need)
                    t_birth = _grown(t_birth, need)
                    n_mut = _grown(n_mut, need)
                    fit = _grown(fit, need)
                    trait = _grown(trait, need)
                    count = _grown(count, need)
                    la2 = np.full(parent.size, -np.inf)
                    la2[: log_a.size] = log_a
                    log_a = la2
                    co2 = np.full(parent.size, -1, np.int64)
                    co2[: cls_of.size] = cls_of
                    cls_of = co2
                    act = _grown(act, need)
                if int(st[NSEED]) + 64 > seed_t.size:
                    seed_t = _grown(seed_t, int(st[NSEED]) + 64)
                    seed_n = _grown(seed_n, seed_t.size)
                    seed_clone = _grown(seed_clone, seed_t.size * seed_cluster)
                if n_cls_arr[0] + 64 > cls_fit.size:
                    m = n_cls_arr[0] + 64
                    cls_fit = _grown(cls_fit, m)
                    cls_trait = _grown(cls_trait, m)
                    grown = np.full(cls_fit.size, -np.inf)
                    grown[: cls_logs.size] = cls_logs
                    cls_logs = grown
                continue
            break
        n_cl = int(st[NCL])
        for c in range(n_cl):
            if log_a[c] != -np.inf:
                count[c] = np.exp(log_a[c] + fit[c] * st[BIGB] - st[BIGD])
    n_seed = int(st[NSEED])
    return (int(st[STATUS]), parent[:n_cl], t_birth[:n_cl], n_mut[:n_cl], fit[:n_cl],
            trait[:n_cl], count[:n_cl], total, st[TCUT], st[TDET], st[TEND], seed_t[:n_seed],
            seed_clone[:n_seed * seed_cluster], seed_n[:n_seed], hist_k[:n_rec],
            hist_off[:n_rec + 1], hist_cells[:hist_off[n_rec]])


@numba.njit(cache=True, nogil=True)
def subtree_counts(parent, count):  # pragma: no cover - compiled
    """Cells in each clone and its descendants (children are stored after their parents)."""
    out = count.copy()
    for c in range(parent.size - 1, -1, -1):
        p = parent[c]
        if p >= 0:
            out[p] += out[c]
    return out


@numba.njit(cache=True, nogil=True)
def grow_many(rng, times, birth, death, k_start, t_start, init_fit, init_trait, mu, p_driver,
              fit_driver, p_trait, w_off, track_below, exact_below, clone_exact_below,
              stop_cells):  # pragma: no cover - compiled
    """Grow metastases one after another (row m of ``birth``/``death``; ``init_*`` (M, C): one
    founding cell per column). No seeding from metastases. Returns the clones of all metastases
    concatenated, with ``offsets`` (M + 1), their status (M,) and cells on the grid (M, T)."""
    n_met = birth.shape[0]
    n_c = init_fit.shape[1]
    offsets = np.zeros(n_met + 1, np.int64)
    status = np.zeros(n_met, np.int64)
    totals = np.full((n_met, times.size), np.nan)
    parent = np.zeros(64, np.int64)
    t_birth = np.zeros(64, np.float64)
    n_mut = np.zeros(64, np.int64)
    fit = np.zeros(64, np.float64)
    trait = np.zeros(64, np.bool_)
    count = np.zeros(64, np.float64)
    no_kappa = np.zeros(birth.shape[1])
    no_record = np.zeros(0, np.int64)
    ones = np.ones(n_c)
    for m in range(n_met):
        out = grow(rng, times, birth[m], death[m], k_start[m], t_start[m], ones, init_fit[m],
                   init_trait[m],
                   mu, p_driver, fit_driver, p_trait, w_off, track_below, exact_below,
                   clone_exact_below, stop_cells, no_kappa, 1.0, np.inf, np.inf, 1, np.inf,
                   np.inf, np.inf, 0, no_record)
        status[m] = out[0]
        n = out[1].size
        lo = offsets[m]
        if lo + n > parent.size:
            parent = _grown(parent, lo + n)
            t_birth = _grown(t_birth, lo + n)
            n_mut = _grown(n_mut, lo + n)
            fit = _grown(fit, lo + n)
            trait = _grown(trait, lo + n)
            count = _grown(count, lo + n)
        parent[lo:lo + n] = out[1]
        t_birth[lo:lo + n] = out[2]
        n_mut[lo:lo + n] = out[3]
        fit[lo:lo + n] = out[4]
        trait[lo:lo + n] = out[5]
        count[lo:lo + n] = out[6]
        totals[m] = out[7]
        offsets[m + 1] = lo + n
    end = offsets[n_met]
    return (status, offsets, parent[:end], t_birth[:end], n_mut[:end], fit[:end], trait[:end],
            count[:end], totals)
