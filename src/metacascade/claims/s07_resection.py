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
"""

from __future__ import annotations

import numpy as np

import metacascade as mc
from metacascade.claims._two_tumours import (
    TRAJ_DAYS,
    TwoTumourStudy,
    describe_parameters,
    run_study,
)
from metacascade.claims.base import Context, Verdict, experiment
from metacascade.plotting.claims import resection_figure, two_tumour_figure

S8_TOL = 0.15  # on the 61 % reduction (sampling error of a ~10-mouse experiment, module docstring)


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
                "relative_rise_of_metastatic_growth_rate_after_1_day": rise_1d,
                "burden_ratio_resected_vs_not_day_7": ratio_7,
                "burden_ratio_resected_vs_not_day_30": ratio_30}
    passed = rise_1d > 0.1 and ratio_7 > 1.1
    sources = ["Gunduz N, Fisher B, Saffer EA. Cancer Res 1979;39:3861",
               "Benzekry S et al. Cancer Res 2017;77:5183",
               "Hahnfeldt P et al. Cancer Res 1999;59:4770 (angiostatin clearance; LLC growth) [L]"]
    # Gunduz 1979: residual-tumour kinetics change within 24 h; size difference after ~1 week
    targets = {"relative_rise_of_metastatic_growth_rate_after_1_day": 0.1,
               "burden_ratio_resected_vs_not_day_7": 1.1}
    tol = {"relative_rise_of_metastatic_growth_rate_after_1_day":
           "> 0.1: growth rate of metastases up by more than 10 % within 24 h",
           "burden_ratio_resected_vs_not_day_7": "> 1.1: burden larger one week after resection"}

    st = run_study(ctx.seed, ctx.quick)
    m8 = st.measured
    fig8 = _two_tumour_figure(ctx, st)
    red = m8["two_tumour_size_reduction_day_15"]
    angio = m8["angiogenesis_reduction_smaller"]
    null = m8["no_interaction_reduction_smaller"]
    calibrated = abs(red - 0.61) <= 0.05  # by construction (theta is fitted to it)
    # independent checks (nothing fitted to them): the untuned circulating-inhibitor model
    # (angiogenesis inhibition, all parameters from Hahnfeldt 1999) predicts the reduction, with the
    # larger tumour not significantly suppressed; selection of the smaller tumour alone cannot
    independent = (abs(angio - 0.61) <= S8_TOL
                   and m8["angiogenesis_larger_over_control"] > 0.8
                   and m8["replicates_larger_significant_fraction"] < 0.2
                   and null < 0.61 - S8_TOL)
    targets8 = {**targets, "two_tumour_size_reduction_day_15": 0.61,
                "angiogenesis_reduction_smaller": 0.61,
                "no_interaction_reduction_smaller": 0.61 - S8_TOL,
                "replicates_larger_significant_fraction": 0.2}
    tol8 = {**tol,
            "two_tumour_size_reduction_day_15": "within 0.61 +- 0.05; CALIBRATED (theta fitted to "
            "it), not an independent check",
            "angiogenesis_reduction_smaller": f"within 0.61 +- {S8_TOL} (untuned prediction, "
            "Hahnfeldt 1999 parameters), with the larger tumour > 0.8 x control",
            "no_interaction_reduction_smaller": "< 0.46: picking the smaller of two variable "
            "tumours alone must not explain the 61 %",
            "replicates_larger_significant_fraction": "< 0.2: larger tumour significantly "
            "suppressed in under 20 % of 10-mouse experiments (proliferation inhibition)"}
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
    out = [
        Verdict.compare("S7", passed=passed, measured=measured, targets=targets, tolerances=tol,
                        sources=sources, figures=[figure],
                        summary=(f"After resection the metastatic growth rate rises by {rise_1d:.0%} "
                                 f"within 24 h and metastases are {ratio_7:.2f}x larger one week "
                                 "later than with the primary in place (Gunduz 1979 targets).")),
        Verdict.compare("S8", passed=passed and calibrated and independent,
                        measured={**measured, **m8}, targets=targets8, tolerances=tol8,
                        sources=sources, figures=[figure, fig8], summary=summary8),
    ]
    return out
