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

Status. S7 is ``illustrated``: its thresholds (growth rate up by > 10 % within 24 h, burden > 1.1x
after a week) are this package's reading of Gunduz 1979's qualitative text, and the inhibitor
strength (growth halved at resection size) is chosen; the labelling-index time course (up within
24 h, peak about day 3, back by about day 10) is the independent target still to come. S8's
proliferation-inhibition strength theta is fitted to the 61 % (calibration); the validation target
is the untuned angiogenesis-inhibition model (Hahnfeldt 1999 parameters, nothing fitted to the
two-tumour data) predicting the same 61 %, within 0.15.
"""

from __future__ import annotations

import numpy as np

import metacascade as mc
from metacascade.biology.tumour_interactions import LLC
from metacascade.claims._two_tumours import (
    K0_OVER_V0,
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
    Target,
    Verdict,
    above,
    absolute,
    below,
    experiment,
)
from metacascade.plotting.claims import resection_figure, two_tumour_figure

S8_TOL = 0.15  # on the 61 % reduction (sampling error of a ~10-mouse experiment, module docstring)
BENZEKRY = ("Benzekry S et al. Cancer Res 2017;77:5183 (two tumours: one 61 % smaller at day 15, "
            "only one suppressed; abstract)")
HAHNFELDT = "Hahnfeldt P et al. Cancer Res 1999;59:4770 (Lewis lung carcinoma fit)"
GUNDUZ = "Gunduz N, Fisher B, Saffer EA. Cancer Res 1979;39:3861 (qualitative timing)"


def _two_tumour_figure(ctx: Context, st: TwoTumourStudy) -> str:
    names = {"no_interaction": "no interaction", "competition": "competition",
             "angiogenesis": "angiogenesis inh.", "proliferation": "proliferation inh.\n(calibrated)"}
    volumes = {label: (st.outcomes[k].control, st.outcomes[k].larger, st.outcomes[k].smaller)
               for k, label in names.items()}
    return ctx.save_figure(two_tumour_figure(volumes, TRAJ_DAYS, st.trajectories),
                           "s8_two_tumours")


@experiment("S7", "S8", title="Resection of the primary accelerates distant lesions")
def resection(ctx: Context) -> list[Verdict]:
    # a mouse-like tumour (the targets are mouse experiments): Gompertz a = 0.05 day^-1,
    # K = 1e10 cells, doubling time ~6 days at the 1e9-cell (1 cm^3) resection size (assumption)
    base = ["primary.rate_per_day=0.05", "primary.carrying_capacity_cells=1e10",
            "systemic.model=proliferation", "systemic.inhibition_per_cell=1e-9",
            "dissemination.mu=1e-8", "simulation.duration_days=100",
            "simulation.output_step_days=0.05"]
    with_res = mc.simulate(mc.load_scenario("breast", base))
    no_res = mc.simulate(mc.load_scenario("breast", base + ["treatment.resection_at_detection=false"]))
    tr = with_res.summary["resection_day"]
    t = with_res.timeseries["time_days"].values
    f = with_res.timeseries["growth_multiplier"].values
    k0 = int(np.searchsorted(t, tr))
    f_before = float(f[k0 - 1])
    rise_1d = float(np.interp(tr + 1, t, f)) / f_before - 1
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
            rise_1d, 0.1, above(f"growth rate of metastases up by more than 10 % within 24 h "
                                f"(threshold read from {GUNDUZ})")),
        "burden_ratio_resected_vs_not_day_7": Check(
            ratio_7, 1.1, above(f"burden larger one week after resection (threshold read from "
                                f"{GUNDUZ})")),
    }
    cal7 = {
        "inhibition_per_cell": Calibration(
            1e-9, "claims/s07_resection.py (assumption)", CHOSEN,
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
    return [
        Verdict.assess("S7", checks=checks7, calibration=cal7, measured=measured,
                       sources=[GUNDUZ, *sources], figures=[figure],
                       summary=(f"After resection the metastatic growth rate rises by "
                                f"{rise_1d:.0%} within 24 h and metastases are {ratio_7:.2f}x "
                                "larger one week later than with the primary in place. "
                                "Illustrated: the thresholds are read from Gunduz 1979's "
                                "qualitative text and the inhibitor strength is chosen; the "
                                "inhibition is a permanent step, so the model cannot make the "
                                "labelling-index transient (peak about day 3, back by day 10) "
                                "that is the independent target still to come.")),
        Verdict.assess("S8", validation=validation8, checks=checks8, calibration=cal8,
                       measured={**measured, **m8}, sources=[GUNDUZ, *sources],
                       figures=[figure, fig8], summary=summary8),
    ]
