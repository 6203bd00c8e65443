"""S2, S10, S11: the primary primes a pre-metastatic niche before cells colonise it.

``breast-cascade`` scenario with niche readiness dn/dt = k' S(Vp)(1 - n) - k_decay n
(metacascade.biology.niche). Targets from the literature, independent of the run: Kaplan et al.
2005 observed VEGFR1+ cell clusters before tumour cells arrived (day 12-14 vs 16-18 in LLC [L]),
i.e. priming precedes colonisation (S2); blocking VEGFR1 (the niche signal) abrogated metastasis
(S10, S11: the primary's signals prime the niche for implantation and growth), and conditioned
media of another tumour redirected the metastatic pattern (Kaplan 2005; Hoshino 2015: exosome
integrins set organotropism).

Status. S2 is tested as stated, "precedes the release of cells": the first organ's readiness must
reach one half before the primary has shed its first cell into the blood (cumulative shed cells
reach 1, Butler & Gullino shedding). The primary sheds from its first cells on, months before any
organ is primed, so S2 is ``not reproduced`` at every reference size of the niche signal tried
(1e6 to 1e9 cells; no sourced range). "Priming precedes colonisation" (Kaplan's ordering) is
reported with it: it holds with the chosen parameters, which were chosen so that it does. S10 and
S11 are ``illustrated``: the knock-out ratio blocked/primed ~ 1/(1 + gain n) follows from the
chosen gain 9; the verdict is rerun at gains 1 to 20 (no sourced range) and holds only where the
gain is large enough. Kaplan's day 12-14 vs 16-18 ordering in a mouse-scale run needs secretion
parameters fixed from independent data, which are not sourced (Kaplan 2005 gives no secretion rates): not modelled.
"""

from __future__ import annotations

import numpy as np

from metacascade import first_time, load_scenario, solve_cascade
from metacascade.claims._common import breast_cascade_calibration, cells_shed, niche_calibration
from metacascade.claims.base import (
    Check,
    Context,
    Sensitivity,
    Verdict,
    above,
    below,
    exactly,
    experiment,
)
from metacascade.plotting.claims import niche_figure

#: reference sizes of the niche signal (cells) and gains rerun (no sourced range of either)
REFERENCE_RANGE = (1e6, 1e9)
GAIN_RANGE = (1.0, 20.0)


def _run(extra: list[str], duration: float):  # type: ignore[no-untyped-def]
    return solve_cascade([load_scenario("breast-cascade",
                                        [f"simulation.duration_days={duration}", *extra])])


def first_release_day(duration: float) -> float:
    """The day the primary's cumulative cells shed into the blood reach 1."""
    sc = load_scenario("breast-cascade", [f"simulation.duration_days={duration}"])
    t = np.arange(0.0, duration + 0.25, 0.25)
    t1 = first_time(t, cells_shed(sc, t)[1], 1.0)
    return float("nan") if t1 is None else float(t1)


def earliest_half_ready(sol, organs: list[str]) -> float:  # type: ignore[no-untyped-def]
    """The first day any organ's readiness reaches 0.5 (nan: never)."""
    found = [first_time(sol.times, sol.readiness[0][i], 0.5) for i, o in enumerate(organs)
             if o != "other"]
    days = [float(d) for d in found if d is not None]
    return min(days) if days else float("nan")


@experiment("S2", "S10", "S11", title="Niche priming precedes and promotes colonisation")
def niche(ctx: Context) -> list[Verdict]:
    duration = 4000.0 if ctx.quick else 7300.0
    base = _run([], duration)
    t = base.times
    organs = base.organs
    n_met = base.series["n_metastases"][0]
    ready = base.readiness[0]
    # colonisation: the expected number of metastases in the organ reaches 0.05 (P(any) ~ 5 %);
    # the day it reaches 1 is reported too
    m: dict[str, float] = {}
    order_ok = []
    for i, o in enumerate(organs):
        if o == "other":
            continue
        t_half = first_time(t, ready[i], 0.5)
        t_first = first_time(t, n_met[i], 1.0)
        t_first_any = first_time(t, n_met[i], 0.05)
        m[f"niche_half_ready_day_{o}"] = np.nan if t_half is None else t_half
        m[f"first_colonisation_day_{o}"] = np.nan if t_first is None else t_first
        m[f"colonisation_p05_day_{o}"] = np.nan if t_first_any is None else t_first_any
        ref = t_first_any if t_first_any is not None else t_first
        if ref is not None:
            order_ok.append(t_half is not None and t_half < ref)
    t_release = first_release_day(duration)
    t_ready = earliest_half_ready(base, organs)
    m["first_release_day"] = t_release
    m["earliest_half_ready_day"] = t_ready
    release_rows = {}
    for ref in REFERENCE_RANGE:
        other = _run([f"niche.reference_cells={ref:g}"], duration)
        release_rows[ref] = earliest_half_ready(other, organs) - t_release
        m[f"earliest_half_ready_minus_release_days_reference_{ref:g}"] = release_rows[ref]
    blocked = _run(["niche.priming_rate_per_day=0"], duration)
    n_tot = float(n_met[:, -1].sum())
    n_blk = float(blocked.series["n_metastases"][0][:, -1].sum())
    m["metastases_with_niche"] = n_tot
    m["metastases_niche_blocked"] = n_blk
    m["blocked_over_primed"] = n_blk / n_tot
    gain_rows = {}
    for g in GAIN_RANGE:
        primed = float(_run([f"niche.gain={g:g}"], duration).series["n_metastases"][0][:, -1].sum())
        gain_rows[g] = n_blk / primed
        m[f"blocked_over_primed_gain_{g:g}"] = gain_rows[g]
    # redirect: liver-tropic signals (affinity 5 in liver, 0.2 elsewhere)
    aff = [f"organs.{o}.niche_affinity={5.0 if o == 'liver' else 0.2}"
           for o in ("bone", "lung", "liver", "brain")]
    # organ pattern of the primary's own seeding (node re-seeding off in both runs)
    no_reseed = ["lymphatics.reseeding_rate_per_cell_day=0"]
    default_pattern = _run(no_reseed, duration).series["n_metastases"][0]
    redirected = _run([*no_reseed, *aff], duration)
    li = organs.index("liver")
    distant = [i for i, o in enumerate(organs) if o != "lymph_node"]
    share = float(default_pattern[li, -1] / default_pattern[distant, -1].sum())
    n_red = redirected.series["n_metastases"][0]
    share_red = float(n_red[li, -1] / n_red[distant, -1].sum())
    m["liver_share_default"] = share
    m["liver_share_liver_tropic_signal"] = share_red
    m["organs_with_priming_before_colonisation"] = float(sum(order_ok))
    m["organs_colonised"] = float(len(order_ok))
    fig_name = ctx.save_figure(niche_figure(base, blocked), "s02_s10_s11_niche")
    src = ["Kaplan RN et al. Nature 2005;438:820", "Hoshino A et al. Nature 2015;527:329 [L]",
           "Kaplan et al. 2005"]
    cal = {**niche_calibration(), **breast_cascade_calibration()}
    cal11 = {**niche_calibration(gain_only=True), **breast_cascade_calibration()}
    n_colonised = m.pop("organs_colonised")
    default_ref = load_scenario("breast-cascade").niche.reference_cells
    before_release = Check(t_ready - t_release if np.isfinite(t_ready) else float("nan"), 0.0,
                           below("S2 as stated: an organ is half primed before the primary has "
                                 "released its first cell into the blood (days, negative: "
                                 "priming first)"))
    rel_ok = {ref: bool(np.isfinite(d) and d < 0) for ref, d in release_rows.items()}
    rel_ok[default_ref] = before_release.passed
    sens2 = {"niche_reference_cells": Sensitivity(
        REFERENCE_RANGE, "no sourced range: from a 1 mm^3 lesion (1e6 cells) to a detected "
                         "1 cm^3 primary (1e9 cells)",
        [r for r, ok in sorted(rel_ok.items()) if ok], len(set(rel_ok.values())) > 1)}
    default_gain = load_scenario("breast-cascade").niche.gain
    gain_ok = {g: r < 0.5 for g, r in gain_rows.items()}
    gain_ok[default_gain] = n_blk / n_tot < 0.5
    sens10 = {"niche_gain": Sensitivity(
        GAIN_RANGE, "no sourced range: a primed organ 2 to 21 times as receptive (the chosen 9 "
                    "within it)", [g for g, ok in sorted(gain_ok.items()) if ok],
        len(set(gain_ok.values())) > 1)}
    ordered = Check(m.pop("organs_with_priming_before_colonisation"), n_colonised, exactly(
        "every colonised organ: readiness reaches 0.5 before the expected number of metastases "
        "in the organ reaches 0.05 (a 5 % chance that any cell has colonised it)"),
        note=f"of {n_colonised:g} colonised organs")
    blocked_check = Check(m.pop("blocked_over_primed"), 0.5, below(
        "Kaplan 2005: blocking the niche signal abrogated metastasis (the threshold 0.5 is this "
        "package's reading of 'abrogated')"))
    redirect = Check(m.pop("liver_share_liver_tropic_signal"), share, above(
        "Kaplan 2005, Hoshino 2015: another tumour's signals redirect the pattern; the share "
        "must rise above the default share"))
    m["organs_colonised"] = n_colonised
    return [
        Verdict.assess("S2", checks={"earliest_half_ready_minus_first_release_days":
                                      before_release,
                                      "organs_with_priming_before_colonisation": ordered},
                       calibration=cal, measured=m, sources=src, figures=[fig_name],
                       sensitivity=sens2,
                       summary=f"Not reproduced as stated: the primary releases its first cell "
                               f"into the blood on day {t_release:.0f} and the first organ is "
                               f"half primed on day {t_ready:.0f}; release precedes priming, "
                               "not the reverse, at every reference size of the signal from "
                               "1e6 to 1e9 cells (the primary sheds from its first cells on). "
                               "Kaplan's weaker ordering, priming before colonisation, holds in "
                               f"{sum(order_ok)}/{len(order_ok)} colonised organs, with niche "
                               "parameters chosen so that it does."),
        Verdict.assess("S10", checks={"blocked_over_primed": blocked_check,
                                      "liver_share_liver_tropic_signal": redirect},
                       calibration=cal, measured=m, sources=src, figures=[fig_name],
                       sensitivity=sens10,
                       summary=f"Blocking the primary's signal leaves {n_blk / n_tot:.2f} of the "
                               f"metastases; liver-tropic signals raise the liver share from "
                               f"{share:.2f} to {share_red:.2f}. Illustrated: the ratio follows "
                               "from the chosen gain (about 1/(1 + gain n), gain 9): "
                               + ", ".join(f"{r:.2f} at gain {g:g}"
                                           for g, r in sorted(gain_rows.items())) + "."),
        Verdict.assess("S11", checks={"blocked_over_primed": blocked_check}, calibration=cal11,
                       sensitivity=sens10,
                       measured={k: v for k, v in m.items() if k.startswith("metastases_")},
                       sources=src, figures=[fig_name],
                       summary="Primary-derived signals raise the growth of arriving cells: "
                               f"{n_tot:.3g} metastases with priming vs {n_blk:.3g} without. "
                               "Illustrated: the size of the effect is the chosen gain 9."),
    ]
