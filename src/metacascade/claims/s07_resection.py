"""S7/S8: a primary-derived inhibitor restrains distant lesions; resection releases them.

S7 model: proliferation inhibition (Benzekry et al. 2017 Cancer Res 77:5183; angiostatin, O'Reilly
et al. 1994): the inhibitor I (clearance 0.38 day^-1, angiostatin in Hahnfeldt 1999 [L]) follows the
primary and divides the specific growth rate of metastases by (1 + theta I); theta = 1 / (detection
size), i.e. metastatic growth is halved at resection (an assumption), in a mouse-like tumour. Targets
(Gunduz, Fisher & Saffer 1979 Cancer Res 39:3861): residual-tumour kinetics change within 24 h of
removal, and a size difference is measurable about one week after removal.

S8 adds the two-tumour experiment of Benzekry 2017 (two tumours implanted together; only one, 61 %
smaller at day 15, is suppressed) as a virtual mouse cohort with Lewis-lung growth (Hahnfeldt 1999)
and the three model families of the paper (``biology/tumour_interactions.py``;
``claims/_two_tumours.py`` has the design, the assumptions and the statistics).

Status. S7 is tested on the time course of the residual tumour's proliferation after removal
(Gunduz 1979; Fisher, Gunduz & Saffer 1983 Cancer Res 43:1488): the labelling index rises within
24 h, peaks about day 3 and stays up about 10 days (V18). The model's proxy for the labelling index
is the metastatic growth-rate multiplier. Validation: the day of its largest rise within 30 days of
resection (target 3, in [1, 5]: daily sampling of the paper) and the rise left at day 20 relative
to that peak (at most 0.5: twice the 10 days "elevated" of Gunduz 1979). The inhibitor clears
exponentially after resection, so the multiplier climbs monotonically to a permanent new level: it
has no peak and never comes back, and S7 is ``not reproduced`` whatever the inhibitor strength (a
sensitivity over two decades of it is reported). Checks (the direction only, no invented
thresholds): a rise within 24 h and a larger burden one week after resection. S8's
proliferation-inhibition strength theta is fitted to the 61 % (calibration); the validation target
is the untuned angiogenesis-inhibition model (Hahnfeldt 1999 parameters, nothing fitted to the
two-tumour data) predicting the same 61 %, within 0.15; its dependence on the assumed implant
variability (no sourced range: half to twice the assumed values) is the sensitivity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import metacascade as mc
from metacascade.claims._two_tumours import (
    K0_OVER_V0,
    LLC,
    RATE_SD,
    REPLICATE_MICE,
    TAKE_SD,
    TARGET_REDUCTION,
    TRAJ_DAYS,
    TwoTumourStudy,
    describe_parameters,
    run_study,
)
from metacascade.claims.base import (
    CHOSEN,
    Calibration,
    Check,
    Context,
    Sensitivity,
    Target,
    Verdict,
    above,
    absolute,
    at_most,
    below,
    experiment,
    interval,
)
from metacascade.plotting.claims import resection_figure, two_tumour_figure

S8_TOL = 0.15  # on the 61 % reduction (sampling error of a ~10-mouse experiment, module docstring)
BENZEKRY = ("Benzekry S et al. Cancer Res 2017;77:5183 (two tumours: one 61 % smaller at day 15, "
            "only one suppressed; abstract)")
HAHNFELDT = "Hahnfeldt P et al. Cancer Res 1999;59:4770 (Lewis lung carcinoma fit)"
GUNDUZ = "Gunduz N, Fisher B, Saffer EA. Cancer Res 1979;39:3861 (qualitative timing)"
FISHER83 = ("Fisher B, Gunduz N, Saffer EA. Cancer Res 1983;43:1488 (labelling index of the residual "
            "tumour peaks about 3 days after removal)")
GUNDUZ_LI = ("Gunduz N, Fisher B, Saffer EA. Cancer Res 1979;39:3861 (labelling index elevated for "
             "about 10 days after removal; abstract)")
PEAK_WINDOW_DAYS = 30.0
#: the assumed inhibitor strength (1 / detection size) and the two decades around it rerun
INHIBITION = 1e-9
INHIBITION_RANGE = (1e-10, 1e-8)


def _base(inhibition: float) -> list[str]:
    # a mouse-like tumour (the targets are mouse experiments): Gompertz a = 0.05 day^-1,
    # K = 1e10 cells, doubling time ~6 days at the 1e9-cell (1 cm^3) resection size (assumption)
    return ["primary.rate_per_day=0.05", "primary.carrying_capacity_cells=1e10",
            "systemic.model=proliferation", f"systemic.inhibition_per_cell={inhibition:g}",
            "dissemination.mu=1e-8", "simulation.duration_days=100",
            "simulation.output_step_days=0.05"]


def transient(res: Any) -> dict[str, float]:
    """The growth-rate multiplier after resection: rise within 24 h, day of its largest rise
    within :data:`PEAK_WINDOW_DAYS` (the window's end when it only climbs), and the rise left at
    day 20 relative to that largest rise."""
    tr = res.summary["resection_day"]
    t = res.timeseries["time_days"].values
    f = res.timeseries["growth_multiplier"].values
    f0 = float(f[int(np.searchsorted(t, tr)) - 1])
    after = (t > tr) & (t <= tr + PEAK_WINDOW_DAYS + 1e-9)
    rise = f[after] / f0 - 1.0
    k = int(np.argmax(rise))
    return {"growth_multiplier_before_resection": f0,
            "relative_rise_after_1_day": float(np.interp(tr + 1, t, f)) / f0 - 1,
            "days_to_peak_growth_rate_after_resection": float(t[after][k] - tr),
            "rise_day_20_over_peak_rise": (float(np.interp(tr + 20, t, f)) / f0 - 1)
            / float(rise[k]) if rise[k] > 0 else float("nan")}


def _two_tumour_figure(ctx: Context, st: TwoTumourStudy) -> str:
    names = {"no_interaction": "no interaction", "competition": "competition",
             "angiogenesis": "angiogenesis inh.", "proliferation": "proliferation inh.\n(calibrated)"}
    volumes = {label: (st.outcomes[k].control, st.outcomes[k].larger, st.outcomes[k].smaller)
               for k, label in names.items()}
    return ctx.save_figure(two_tumour_figure(volumes, TRAJ_DAYS, st.trajectories),
                           "s8_two_tumours")


@experiment("S7", "S8", title="Resection of the primary accelerates distant lesions")
def resection(ctx: Context) -> list[Verdict]:
    base = _base(INHIBITION)
    with_res = mc.simulate(mc.load_scenario("breast", base))
    no_res = mc.simulate(mc.load_scenario("breast", base + ["treatment.resection_at_detection=false"]))
    tr = with_res.summary["resection_day"]
    t = with_res.timeseries["time_days"].values
    f = with_res.timeseries["growth_multiplier"].values
    tc = transient(with_res)
    f_before, rise_1d = tc["growth_multiplier_before_resection"], tc["relative_rise_after_1_day"]
    assert np.isclose(f_before, float(f[int(np.searchsorted(t, tr)) - 1]))
    m1 = with_res.timeseries["metastatic_burden_cells"].values
    m0 = no_res.timeseries["metastatic_burden_cells"].values
    ratio_7 = float(np.interp(tr + 7, t, m1) / np.interp(tr + 7, t, m0))
    ratio_30 = float(np.interp(tr + 30, t, m1) / np.interp(tr + 30, t, m0))
    figure = ctx.save_figure(resection_figure(with_res, no_res), "s7_resection")

    measured = {"growth_multiplier_before_resection": f_before,
                "burden_ratio_resected_vs_not_day_30": ratio_30}
    sources = ["Benzekry S et al. Cancer Res 2017;77:5183",
               "Hahnfeldt P et al. Cancer Res 1999;59:4770 (angiostatin clearance; LLC growth) [L]"]
    # Gunduz 1979: residual-tumour kinetics change within 24 h; size difference after ~1 week
    checks7 = {
        "relative_rise_of_metastatic_growth_rate_after_1_day": Check(
            rise_1d, 0.0, above(f"growth rate of metastases up within 24 h ({GUNDUZ}); the "
                                "direction only")),
        "burden_ratio_resected_vs_not_day_7": Check(
            ratio_7, 1.0, above(f"burden larger one week after resection ({GUNDUZ}); the "
                                "direction only")),
    }
    validation7 = {
        "days_to_peak_growth_rate_after_resection": Target(
            tc["days_to_peak_growth_rate_after_resection"], 3.0, interval(
                1.0, 5.0, "Fisher 1983: peak about day 3; +/- 2 days for daily sampling"),
            FISHER83, note=f"largest rise within {PEAK_WINDOW_DAYS:g} days; the window's end "
                           "when the multiplier only climbs (no peak)"),
        "rise_day_20_over_peak_rise": Target(
            tc["rise_day_20_over_peak_rise"], 0.0, at_most(
                "Gunduz 1979: elevated for about 10 days; at day 20 (twice that) at most half "
                "of the peak rise may remain"), GUNDUZ_LI),
    }
    # the verdict over two decades of the assumed inhibitor strength (no sourced range)
    holds = []
    for strength in INHIBITION_RANGE:
        o = transient(mc.simulate(mc.load_scenario("breast", _base(strength))))
        measured[f"days_to_peak_at_inhibition_{strength:g}"] = o[
            "days_to_peak_growth_rate_after_resection"]
        measured[f"rise_day_20_over_peak_at_inhibition_{strength:g}"] = o[
            "rise_day_20_over_peak_rise"]
        ok = (validation7["days_to_peak_growth_rate_after_resection"].tolerance.passed(
            o["days_to_peak_growth_rate_after_resection"], 3.0)
            and validation7["rise_day_20_over_peak_rise"].tolerance.passed(
                o["rise_day_20_over_peak_rise"], 0.0))
        holds.append((strength, ok))
    here = all(v.passed for v in validation7.values())
    sens7 = {"inhibition_per_cell": Sensitivity(
        INHIBITION_RANGE, "no sourced range: a decade either side of the assumed 1e-9 per cell",
        [s_ for s_, ok in holds if ok] + ([INHIBITION] if here else []),
        verdict_flips=any(ok != here for _, ok in holds))}
    cal7 = {
        "inhibition_per_cell": Calibration(
            INHIBITION, "claims/s07_resection.py (assumption)", CHOSEN,
            sets="systemic.inhibition_per_cell",
            note="1 / detection size: metastatic growth halved at resection"),
        "mouse_tumour_rate_per_day": Calibration(
            0.05, "claims/s07_resection.py (assumption)", CHOSEN, sets="primary.rate_per_day",
            note="Gompertz a of a mouse-like tumour, K = 1e10 cells"),
        "inhibitor_clearance_per_day": Calibration(
            0.38, "Hahnfeldt P et al. Cancer Res 1999;59:4770 (angiostatin clearance) [L]",
            "taken from the paper: systemic.clearance_per_day default",
            sets="systemic.clearance_per_day"),
    }

    st = run_study(ctx.seed, ctx.quick)
    m8 = dict(st.measured)
    fig8 = _two_tumour_figure(ctx, st)
    red = m8.pop("two_tumour_size_reduction_day_15")
    angio = m8["angiogenesis_reduction_smaller"]
    null = m8["no_interaction_reduction_smaller"]
    cal8 = {
        **cal7,
        "two_tumour_size_reduction_day_15": Calibration(
            TARGET_REDUCTION, BENZEKRY, "claims/_two_tumours.calibrate_theta (brentq on log theta "
            "over the virtual cohort)", sets="theta of the proliferation-inhibition model",
            model=red, scope="proliferation inhibition"),
        "llc_lambda1_per_day": Calibration(LLC["lambda1"], HAHNFELDT, "taken from the paper",
                                           sets="lambda1 of every two-tumour model"),
        "llc_b_per_day": Calibration(LLC["b"], HAHNFELDT, "taken from the paper",
                                     sets="b (angiogenic stimulation)"),
        "llc_d_per_mm2_day": Calibration(LLC["d"], HAHNFELDT, "taken from the paper",
                                         sets="d (angiogenic inhibition)"),
        "implant_k0_over_v0": Calibration(K0_OVER_V0, HAHNFELDT + ", example initial state",
                                          CHOSEN, sets="initial carrying capacity"),
        "implant_v0_mm3": Calibration(1.0, "claims/_two_tumours.py (assumption)", CHOSEN,
                                      sets="median implant volume"),
        "implant_take_log_sd": Calibration(TAKE_SD, "claims/_two_tumours.py (assumption)", CHOSEN,
                                           sets="sd of ln V0 of every tumour"),
        "growth_rate_log_sd": Calibration(RATE_SD, "claims/_two_tumours.py (assumption)", CHOSEN,
                                          sets="sd of ln lambda1 of every tumour"),
        "replicate_mice_per_arm": Calibration(float(REPLICATE_MICE),
                                              "claims/_two_tumours.py (assumption [L])", CHOSEN,
                                              sets="mice per arm of a replicate experiment"),
    }
    validation8 = {"angiogenesis_reduction_smaller": Target(
        m8["angiogenesis_reduction_smaller"], TARGET_REDUCTION,
        absolute(S8_TOL, "sampling error of a ~10-mouse experiment with day-15 CV ~0.6 "
                         "(claims/_two_tumours.py)"), BENZEKRY,
        note="untuned: the angiogenesis-inhibition model with Hahnfeldt 1999 parameters, "
             "nothing fitted to the two-tumour data", model="angiogenesis inhibition")}
    checks8 = {
        **checks7,
        "angiogenesis_larger_over_control": Check(
            m8["angiogenesis_larger_over_control"], 0.8, above(
                "the larger tumour is not suppressed (Benzekry 2017: only one tumour was); the "
                "threshold 0.8 is this package's reading")),
        "no_interaction_reduction_smaller": Check(
            m8["no_interaction_reduction_smaller"], TARGET_REDUCTION - S8_TOL, below(
                "picking the smaller of two variable tumours alone must not explain the 61 %")),
        "replicates_larger_significant_fraction": Check(
            m8["replicates_larger_significant_fraction"], 0.2, below(
                "larger tumour significantly suppressed in under 20 % of 10-mouse experiments "
                "(proliferation inhibition)")),
    }
    summary8 = (
        "A primary-derived inhibitor restrains metastatic growth (growth rate "
        f"x{f_before:.2f} before resection) and resection releases it (S7). Two-tumour experiment "
        f"(Benzekry 2017), virtual cohort of {int(m8['mice_per_arm'])} mice per arm, seed "
        f"{ctx.seed}, {describe_parameters()}; control day-15 volume "
        f"{m8['control_day15_mean_mm3']:.0f} mm^3 (CV {m8['control_day15_cv']:.2f}). "
        f"Proliferation inhibition with theta = {st.theta:.2g} mm^-3 CALIBRATED to the 61 %: "
        f"smaller tumour {red:.0%} below control (95 % CI {m8['reduction_ci95_low']:.0%}-"
        f"{m8['reduction_ci95_high']:.0%}, Mann-Whitney p = "
        f"{m8['smaller_vs_control_mannwhitney_p']:.1e}), larger tumour "
        f"{m8['larger_over_control']:.2f} x control (CI {m8['larger_over_control_ci95_low']:.2f}-"
        f"{m8['larger_over_control_ci95_high']:.2f}; significantly suppressed in "
        f"{m8['replicates_larger_significant_fraction']:.0%} of 10-mouse experiments). Independent, "
        f"untuned: angiogenesis inhibition (Hahnfeldt 1999 parameters, circulating inhibitor) "
        f"predicts {angio:.0%} (CI {m8['angiogenesis_reduction_ci95_low']:.0%}-"
        f"{m8['angiogenesis_reduction_ci95_high']:.0%}) with the larger at {m8['angiogenesis_larger_over_control']:.2f} x "
        f"control. Caveats: selecting the smaller of two variable tumours alone gives {null:.0%}; "
        f"competition for a shared capacity, which cannot split two identical implants (their "
        f"volume ratio is invariant), still gives {m8['competition_reduction_smaller']:.0%} with "
        f"growth-rate variability and shows the one-sided pattern in "
        f"{m8['competition_one_sided_fraction']:.0%} of 10-mouse experiments, so day-15 sizes do "
        f"not reject competition here (the paper rejected it on growth curves). Spontaneous "
        f"symmetry breaking is weak (a 1 % difference between identical implants grows "
        f"{m8['proliferation_symmetry_gain']:.2f}-fold by day 15): the suppression comes from "
        "amplifying the random take/growth-rate head start, not from instability.")
    summary8 += (" Verdict: the 61 % is calibration data of the proliferation model (theta); "
                 f"the untuned angiogenesis-inhibition model predicts {angio:.0%} (validation, "
                 f"within +/- {S8_TOL:g}), under the assumed implant variability (sd ln V0 = "
                 f"{TAKE_SD:g}, sd ln lambda1 = {RATE_SD:g}), which is unsourced: with half of it "
                 "the angiogenesis model predicts "
                 f"{m8['half_variability_angiogenesis_reduction_smaller']:.0%}, with twice "
                 f"{m8['double_variability_angiogenesis_reduction_smaller']:.0%}; no sourced range "
                 "of that variability exists yet to rerun the verdict over.")
    held = [(1.0, angio)] + [(k, m8[f"{name}_variability_angiogenesis_reduction_smaller"])
                             for k, name in ((0.5, "half"), (2.0, "double"))]
    ok8 = {k: abs(x - TARGET_REDUCTION) <= S8_TOL for k, x in held}
    sens8 = {"implant_variability_multiplier": Sensitivity(
        (0.5, 2.0), "no sourced range (no per-mouse LLC fits retrieved): half to twice the "
                    "assumed sd ln V0 and sd ln lambda1 together",
        [k for k, ok in sorted(ok8.items()) if ok],
        verdict_flips=len(set(ok8.values())) > 1)}
    return [
        Verdict.assess("S7", validation=validation7, checks=checks7, calibration=cal7,
                       measured=measured, sensitivity=sens7,
                       sources=[GUNDUZ, *sources], figures=[figure],
                       summary=(f"After resection the metastatic growth rate rises by "
                                f"{rise_1d:.0%} within 24 h and metastases are {ratio_7:.2f}x "
                                "larger one week later than with the primary in place (the "
                                "direction Gunduz 1979 saw). Not reproduced: the labelling "
                                "index of a residual tumour peaks about day 3 and is back after "
                                "about 10 days (Fisher 1983, Gunduz 1979), but in the model the "
                                "inhibitor only clears, so the growth rate climbs to a "
                                "permanent new level: largest rise at day "
                                f"{tc['days_to_peak_growth_rate_after_resection']:.0f} of "
                                f"{PEAK_WINDOW_DAYS:g} (no peak), "
                                f"{tc['rise_day_20_over_peak_rise']:.0%} of it still there at "
                                "day 20. "
                                + ("The same at a tenth and ten times the inhibitor strength. "
                                   if not sens7["inhibition_per_cell"].verdict_flips else
                                   "Other inhibitor strengths differ (sensitivity). ")
                                + "A transient needs a mechanism the engines do not "
                                "have (e.g. a post-surgical growth stimulus that itself decays, "
                                "Fisher 1989's serum factor).")),
        Verdict.assess("S8", validation=validation8, checks=checks8, calibration=cal8,
                       sensitivity=sens8,
                       measured={**measured, **m8}, sources=[GUNDUZ, *sources],
                       figures=[figure, fig8], summary=summary8),
    ]
