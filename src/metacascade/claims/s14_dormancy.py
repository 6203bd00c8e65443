"""S14: dormant disseminated cells in breast and prostate cancer cause late relapses.

Cohorts of the ``breast-dormancy`` and ``prostate-dormancy`` scenarios (two-stage dormancy of
Demicheli et al. 1997 / Retsky et al. 1997: single cell -> avascular micrometastasis -> vascular
growth, surgery-triggered escape and switch, spontaneous switch half-life 12 years from Willis et
al. 2010; every dormancy value is a stated assumption set before comparing with the targets) and of
the same scenarios without dormancy.

Dissemination (calibrated to an independent target, never to the relapse hazard): the dormancy
scenarios shed with d(V) = mu V^gamma, gamma chosen so that the median lead of the first seeding of
metastatic (typical) patients is 2.7 years before diagnosis, the Hu et al. 2020 breast median
(per-metastasis seeding times 2.69 y; "2-4 years" in the abstract; Hu et al. 2020), and mu so
that the risk of metastasis stays that of the base scenario (breast N(t_det) = 0.357, 30 %; prostate
N(t_det) = -ln 0.82). The measure is S13's (:func:`metacascade.claims.s13_early_seeding.first_seeding_times`:
Poisson births, P(T1 <= t | metastatic) = (1 - exp(-N(t))) / (1 - exp(-N(t_det)))); with the
breast Gompertz primary the median lead is 0.41 y for gamma = 1, 0.73 y for 0.5, 2.03 y for 0.1,
3.23 y for 0 (constant rate) and 2.70 y for gamma = 0.038 (mu = 9.921e-5 cell^-0.038 day^-1).
Prostate has no Hu value; assumption: the same 2.7 years (gamma = 0.82, mu = 5.949e-12; the slow
prostate primary already gives 2.28 y with gamma = 1). The no-dormancy arm keeps the same
dissemination, so the comparison isolates dormancy. Also reported: the share of patients with a
visible metastasis at diagnosis (synchronous stage IV; not a target, de novo stage IV breast cancer
is about 5-6 %) and the cohort's median lead of first seeding (with inter-patient variability).

Validation targets (observations, breast cancer only): a bimodal relapse hazard after surgery
with peaks near 18-24 and ~60 months (Demicheli et al. 1996, 2004, 2008); recurrences at a
steady rate from year 5 to year 20 (Pan et al., NEJM 2017;377:1836).
The statement itself, "dormant for many years", is tested on the size of the late risk too
(issue 17): Pan 2017, distant recurrence in years 5-20 among women free of it at 5 years (T1N0
13 %, T1N1-3 20 %, T1N4-9 34 %; the unstratified cohort must fall in that span, Kaplan-Meier with
censoring at the end of follow-up), and Pound et al. 1999 for prostate (a median 8 years from the
PSA rise to metastasis after prostatectomy: the model's median time from surgery to metastasis,
among men who relapse within 20 years, must be at least 8 years, since the PSA rise follows
surgery). The peak positions are rerun over the peak finder's settings (kernel 90-365 days,
prominence 0.1-0.3 of the maximum; no sourced range: the usual choices), reported as the
sensitivity of the bimodality verdict.
Check: without dormancy the late relapses (years 10-20) vanish, in breast and prostate. The
prostate hazard's peaks and late/early ratio are reported, not compared: Demicheli's and Pan's
series are breast cancer (Pound 1999 is the prostate target still to come).

Measured (time origin: surgery, months): local maxima of the smoothed hazard within 20 years of
surgery (Nelson-Aalen, Epanechnikov kernel of 180 days, lifelines), the ratio of the mean hazard in
years 10-20 to years 5-10, the share of relapses after 5 years; and, to explain the shape, the
route of each first relapse (column ``relapse_route`` of the cohort table: no dormancy, single cell,
micrometastasis, spontaneous or at surgery), the share of patients holding a lesion of at least
``dormancy.avascular_cells`` at surgery (only these can give the surgery-triggered early peak), and
the growth times one cell -> visible and plateau -> visible.

Sensitivity arm (reported, not part of the verdict): breast metastases growing twice as fast as the
primary (Gompertz rate 2a; Tubiana & Koscielny 1988 report metastases growing faster than their
primary, the factor 2 is an assumption), which shows where the first peak goes when lesions are
larger at surgery.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metacascade import (
    Scenario,
    cells_from_diameter_mm,
    load_scenario,
    relapse_hazard,
    simulate_cohort,
)
from metacascade.claims.base import (
    CHOSEN,
    Calibration,
    Check,
    Context,
    Sensitivity,
    Target,
    Verdict,
    at_least,
    below,
    experiment,
    interval,
)
from metacascade.plotting.claims import dormancy_hazard_figure

YEAR = 365.25
MONTH = YEAR / 12
BANDWIDTH = 180.0  # days, Epanechnikov kernel
PEAK_WINDOW_MONTHS = 240.0  # peaks are sought within 20 years of surgery (the targets' follow-up)
NO_DORMANCY = ["dormancy.single_cell_fraction=0", "dormancy.avascular_fraction=0"]
#: sensitivity arm: metastases with twice the primary's Gompertz rate (breast a = 6.39e-4 day^-1)
FAST_METASTASES = ["metastasis.growth=gompertz", "metastasis.rate_per_day=1.278e-3",
                   "metastasis.carrying_capacity_cells=1e12"]
DEMICHELI = ("Demicheli R et al. Breast Cancer Res Treat 1996;41:177; Breast Cancer Res "
             "2004;6:R689; Breast Cancer Res 2008;10:R83")
PAN = "Pan H et al. N Engl J Med 2017;377:1836 (distant recurrence years 5-20 at a steady rate)"
PAN_RISK = ("Pan H et al. N Engl J Med 2017;377:1836 (distant recurrence in years 5-20: T1N0 13 %, "
            "T1N1-3 20 %, T1N4-9 34 %; abstract)")
POUND = ("Pound CR et al. JAMA 1999;281:1591 (median 8 years from PSA recurrence to metastasis "
         "after radical prostatectomy; abstract)")
BANDWIDTH_RANGE = (90.0, 365.0)
PROMINENCE_RANGE = (0.1, 0.3)


def late_risk(table: pd.DataFrame, duration: float, start_y: float = 5.0,
              end_y: float = 20.0) -> float:
    """Kaplan-Meier probability of a first relapse between ``start_y`` and ``end_y`` years after
    surgery among patients relapse-free at ``start_y`` (censored at the end of follow-up)."""
    from lifelines import KaplanMeierFitter

    d = table[table["resection_day"].notna()]
    rel = d["relapse_after_surgery_days"].to_numpy(dtype=float)
    event = np.isfinite(rel)
    follow = duration - d["resection_day"].to_numpy(dtype=float)
    death = d["death_day"].to_numpy(dtype=float) - d["resection_day"].to_numpy(dtype=float)
    time = np.where(event, rel, np.fmin(follow, np.where(np.isfinite(death), death, np.inf)))
    km = KaplanMeierFitter().fit(np.maximum(time, 0.0), event)
    s0, s1 = (float(km.survival_function_at_times(y * YEAR).iloc[0]) for y in (start_y, end_y))
    return 1.0 - s1 / s0 if s0 > 0 else float("nan")


def median_relapse_years(table: pd.DataFrame, within_y: float = 20.0) -> float:
    """Median time (years) from surgery to the first relapse among those within ``within_y``."""
    rel = table["relapse_after_surgery_days"].dropna().to_numpy() / YEAR
    rel = rel[rel <= within_y]
    return float(np.median(rel)) if rel.size else float("nan")


def peak_sensitivity(table: pd.DataFrame, duration: float) -> dict[tuple[float, float], bool]:
    """Whether both breast peaks fall in their target windows, per (bandwidth, prominence)."""
    out = {}
    for bw in (*BANDWIDTH_RANGE, BANDWIDTH):
        h = relapse_hazard(table, duration, bandwidth_days=bw)
        m = h["days"].to_numpy() / MONTH
        w = m <= PEAK_WINDOW_MONTHS
        for pr in (*PROMINENCE_RANGE, 0.2):
            pk = hazard_peaks(h["hazard_per_day"].to_numpy()[w], m[w], pr)
            out[(bw, pr)] = (len(pk) > 1 and 12.0 <= pk[0] <= 30.0 and 48.0 <= pk[1] <= 72.0)
    return out
HU2020 = "Hu Z et al. Nat Genet 2020;52:701-708 (breast seeding a median 2.69 y before diagnosis)"
SURGERY_ROUTES = ("single_cell_at_surgery", "micrometastasis_at_surgery",
                  "switched_before_plateau_at_surgery")


def hazard_peaks(h: np.ndarray, months: np.ndarray, prominence: float = 0.2) -> list[float]:
    """Months of the peaks of a smoothed hazard whose prominence exceeds ``prominence`` times its
    maximum (scipy.signal.find_peaks)."""
    from scipy.signal import find_peaks

    h = np.nan_to_num(h)
    if h.size < 3 or not np.any(h > 0):
        return []
    idx, _ = find_peaks(h, prominence=prominence * h.max())
    return [float(m) for m in months[idx]]


def _stats(table: pd.DataFrame, duration: float) -> dict[str, float]:
    h = relapse_hazard(table, duration, bandwidth_days=BANDWIDTH)
    m = h["days"].to_numpy() / MONTH
    hz = h["hazard_per_day"].to_numpy()
    window = m <= PEAK_WINDOW_MONTHS
    peaks = hazard_peaks(hz[window], m[window])
    y = m / 12
    early = hz[(y >= 5) & (y < 10)]
    late = hz[(y >= 10) & (y < 20)]
    rel = table["relapse_after_surgery_days"].dropna().to_numpy()
    routes = table.loc[table["relapse_after_surgery_days"].notna(), "relapse_route"]
    d = table[table["diagnosis_day"].notna()]
    seeded = d["first_metastasis_day"].to_numpy() <= d["diagnosis_day"].to_numpy()
    lead = (d["diagnosis_day"].to_numpy() - d["first_metastasis_day"].to_numpy())[seeded] / YEAR
    return {
        "n_peaks": float(len(peaks)),
        "first_peak_months": peaks[0] if peaks else float("nan"),
        "second_peak_months": peaks[1] if len(peaks) > 1 else float("nan"),
        "hazard_ratio_y10_20_vs_y5_10": float(late.mean() / early.mean())
        if early.size and late.size and early.mean() > 0 else float("nan"),
        "share_of_relapses_after_5y": float(np.mean(rel > 5 * 365.25)) if rel.size else 0.0,
        "share_of_relapses_within_3y": float(np.mean(rel <= 3 * 365.25)) if rel.size else 0.0,
        "mean_hazard_y10_20_per_year": float(late.mean() * 365.25) if late.size else float("nan"),
        "share_of_relapses_surgery_triggered": float(routes.isin(SURGERY_ROUTES).mean())
        if rel.size else 0.0,
        "share_of_relapses_micrometastasis_switched_at_surgery": float(
            (routes == "micrometastasis_at_surgery").mean()) if rel.size else 0.0,
        "share_of_relapses_within_6_months_of_first_peak_surgery_triggered": float(
            routes[np.abs(rel / MONTH - peaks[0]) <= 6].isin(SURGERY_ROUTES).mean())
        if peaks and np.any(np.abs(rel / MONTH - peaks[0]) <= 6) else float("nan"),
        "share_of_patients_with_visible_metastasis_at_diagnosis": float(
            d["metastatic_at_diagnosis"].astype(bool).mean()) if len(d) else float("nan"),
        "share_of_patients_seeded_before_diagnosis": float(np.mean(seeded)) if len(d) else 0.0,
        "cohort_median_first_seeding_lead_years": float(np.median(lead)) if lead.size
        else float("nan"),
    } | _route_rates(rel, routes, len(table))


#: periods (months after surgery) and route groups of the relapse-rate table that explains the
#: shape of the hazard (which kind of lesion relapses when)
ROUTE_PERIODS = ((0, 12), (12, 24), (24, 48), (48, 72), (72, 120), (120, 240))
ROUTE_GROUPS = {"surgery_triggered": SURGERY_ROUTES,
                "spontaneous_escape": ("single_cell", "micrometastasis"),
                "never_dormant": ("no_dormancy",)}


def _route_rates(rel: np.ndarray, routes: pd.Series, n: int) -> dict[str, float]:
    """First relapses per month per 1,000 patients, by route group and period after surgery."""
    months = rel / MONTH
    out: dict[str, float] = {}
    for group, names in ROUTE_GROUPS.items():
        member = routes.isin(names).to_numpy()
        for lo, hi in ROUTE_PERIODS:
            k = np.sum(member & (months > lo) & (months <= hi))
            out[f"relapses_per_month_per_1000_{group}_months_{lo}_{hi}"] = (
                float(1000.0 * k / (n * (hi - lo))) if n else float("nan"))
    return out


def _growth_months(sc: Scenario) -> dict[str, float]:
    """Growth times (months) of a metastasis: one cell -> visible, avascular plateau -> visible."""
    law, v0 = sc.metastasis_law(), sc.metastasis_growth().initial_cells
    visible = cells_from_diameter_mm(sc.detection.visible_diameter_mm)
    a_vis = float(np.asarray(law.age_at_size(visible, v0)))
    a_av = float(np.asarray(law.age_at_size(sc.dormancy.avascular_cells, v0)))
    return {"months_one_cell_to_visible": a_vis / MONTH,
            "months_plateau_to_visible": (a_vis - a_av) / MONTH}


def _at_plateau(table: pd.DataFrame, cells: float) -> float:
    """Share of diagnosed patients holding a metastasis of at least ``cells`` at surgery."""
    d = table[table["diagnosis_day"].notna()]
    return float(np.mean(d["largest_metastasis_at_diagnosis_cells"].to_numpy() >= cells)) \
        if len(d) else float("nan")


@experiment("S14", title="Dormant cells cause late relapses in breast and prostate cancer")
def dormancy(ctx: Context) -> list[Verdict]:
    n = 1500 if ctx.quick else 20000
    measured: dict[str, float] = {"n_patients_per_arm": float(n)}
    late_ratio: dict[str, float] = {}
    hazards: dict[str, dict[str, pd.DataFrame]] = {}
    tables: dict[str, tuple[pd.DataFrame, float]] = {}
    arms: tuple[tuple[str, list[str]], ...] = (
        ("dormancy", []), ("no dormancy", NO_DORMANCY),
        ("dormancy, metastases 2x faster (sensitivity)", FAST_METASTASES))
    for name in ("breast-dormancy", "prostate-dormancy"):
        organ = name.split("-")[0]
        late_with = float("nan")
        for label, over in arms:
            if label.endswith("(sensitivity)") and organ != "breast":
                continue
            sc = load_scenario(name, over)
            res = simulate_cohort(sc, n, seed=ctx.seed)
            st = _stats(res.patients, sc.simulation.duration_days)
            tag = organ + {"dormancy": "", "no dormancy": "_no_dormancy"}.get(
                label, "_fast_metastases")
            # the route table explains the dormancy arm's hazard; other arms report the rest
            measured.update({f"{tag}_{k}": v for k, v in st.items()
                             if label == "dormancy" or not k.startswith("relapses_per_month")})
            if label != "no dormancy":
                measured.update({f"{tag}_{k}": v for k, v in _growth_months(sc).items()})
                measured[f"{tag}_share_with_lesion_at_plateau_at_surgery"] = _at_plateau(
                    res.patients, sc.dormancy.avascular_cells)
            hazards.setdefault(name, {})[label] = relapse_hazard(
                res.patients, sc.simulation.duration_days, BANDWIDTH)
            if label == "dormancy":
                late_with = st["mean_hazard_y10_20_per_year"]
                tables[organ] = (res.patients, sc.simulation.duration_days)
            elif label == "no dormancy":
                late_ratio[organ] = (st["mean_hazard_y10_20_per_year"] / late_with
                                     if late_with > 0 else float("nan"))
    figure = ctx.save_figure(dormancy_hazard_figure(hazards, PEAK_WINDOW_MONTHS),
                             "s14_dormancy_hazard")
    validation = {
        "breast_first_peak_months": Target(
            measured.pop("breast_first_peak_months"), 21.0,
            interval(12.0, 30.0, "Demicheli 1996 (18 months), 2004 (8-10 premenopausal N+, "
                                 "18-20 postmenopausal N+), 2008 (24 months)"), DEMICHELI),
        "breast_second_peak_months": Target(
            measured.pop("breast_second_peak_months"), 60.0,
            interval(48.0, 72.0, "Demicheli 1996 and 2008: second peak at about 60 months"),
            DEMICHELI, note="nan: the smoothed hazard has no second peak"),
        "breast_hazard_ratio_y10_20_vs_y5_10": Target(
            measured.pop("breast_hazard_ratio_y10_20_vs_y5_10"), 1.0,
            interval(0.5, 2.0, "a steady annual rate from year 5 to 20 (Pan 2017), read as a "
                               "mean hazard in years 10-20 within a factor 2 of years 5-10"),
            PAN),
    }
    validation["pan_distant_recurrence_years_5_20"] = Target(
        late_risk(*tables["breast"]), 0.20, interval(
            0.13, 0.34, "the span of Pan's T1 strata (N0 13 %, N1-3 20 %, N4-9 34 %): the cohort "
                        "is not stratified by size or nodes; Pan's women had 5 years of endocrine "
                        "therapy, the model none"), PAN_RISK,
        note="Kaplan-Meier, among patients relapse-free 5 years after surgery")
    validation["pound_median_years_surgery_to_metastasis"] = Target(
        median_relapse_years(tables["prostate"][0]), 8.0, at_least(
            "Pound 1999: a median 8 years from the PSA rise to metastasis; the PSA rise follows "
            "surgery, so surgery to metastasis takes at least that long at the median"), POUND,
        note="prostate-dormancy, men with a first relapse within 20 years of surgery")
    grid = peak_sensitivity(*tables["breast"])
    here = grid[(BANDWIDTH, 0.2)]
    sens = {
        "hazard_bandwidth_days": Sensitivity(
            BANDWIDTH_RANGE, "no sourced range: the usual kernels, 3 to 12 months",
            [bw for bw in sorted({k[0] for k in grid}) if grid[(bw, 0.2)]],
            any(grid[(bw, 0.2)] != here for bw in BANDWIDTH_RANGE)),
        "peak_prominence": Sensitivity(
            PROMINENCE_RANGE, "no sourced range: 0.1 to 0.3 of the maximum",
            [pr for pr in sorted({k[1] for k in grid}) if grid[(BANDWIDTH, pr)]],
            any(grid[(BANDWIDTH, pr)] != here for pr in PROMINENCE_RANGE)),
    }
    measured["peak_finder_settings_with_both_peaks_in_window"] = float(sum(grid.values()))
    measured["peak_finder_settings_tried"] = float(len(grid))
    checks = {f"{o}_no_dormancy_late_hazard_over_dormancy": Check(
        r, 0.25, below("without dormancy the mean hazard in years 10-20 falls below 1/4 of its "
                       "value with dormancy: dormancy causes the late relapses"))
        for o, r in late_ratio.items()}
    figure = ctx.save_figure(dormancy_hazard_figure(hazards, PEAK_WINDOW_MONTHS),
                             "s14_dormancy_hazard")
    v = Verdict.assess(
        "S14", validation=validation, checks=checks, calibration=_calibration(),
        measured=measured, sensitivity=sens,
        sources=["Willis L et al. Cancer Res 2010;70:4310 (escape half-life >= 12 years)",
                 "Tubiana M, Koscielny S 1988 (metastases grow faster than the primary; "
                 "sensitivity arm only)"],
        figures=[figure], summary="")
    v.summary = _summary(v.measured, validation, checks)
    return [v]


def _calibration() -> dict[str, Calibration]:
    """What set the dormancy scenarios' parameters (their TOML files say the same)."""
    out: dict[str, Calibration] = {
        "breast_median_first_seeding_lead_years": Calibration(
            2.69, HU2020, "scenarios/breast-dormancy.toml: gamma = 0.038 gives a median lead of "
                          "2.70 y (S13's measure, by quadrature)", sets="dissemination.gamma"),
        "breast_p_metastasis_at_diagnosis": Calibration(
            0.30, "Early Breast Cancer Trialists' Collaborative Group. Lancet 2005;365:1687",
            "scenarios/breast-dormancy.toml: mu keeps N(t_det) = 0.357",
            sets="dissemination.mu"),
        "prostate_median_first_seeding_lead_years": Calibration(
            2.7, "Hu Z et al. Nat Genet 2020;52:701-708 (the breast median, assumed for prostate)",
            CHOSEN, sets="dissemination.gamma of prostate-dormancy (0.82)",
            note="no prostate seeding times published"),
        "prostate_p_metastasis_at_diagnosis": Calibration(
            0.18, "Pound CR et al. JAMA 1999;281:1591 (15-year metastasis-free survival 82 %)",
            "scenarios/prostate-dormancy.toml: mu keeps N(t_det) = -ln 0.82",
            sets="dissemination.mu"),
        "avascular_switch_median_days": Calibration(
            4383.0, "Willis L et al. Cancer Res 2010;70:4310 (escape half-life >= 12 years)",
            "taken from the paper (its lower bound)", sets="dormancy.avascular_switch_median_days"),
    }
    d = load_scenario("breast-dormancy").dormancy
    assumed = "scenarios/breast-dormancy.toml (assumptions set before comparing with the hazard)"
    for k in ("single_cell_fraction", "single_cell_median_days", "single_cell_sigma",
              "avascular_fraction", "avascular_cells", "surgery_escape_probability",
              "surgery_switch_probability"):
        out[f"dormancy_{k}"] = Calibration(float(getattr(d, k)), assumed, CHOSEN,
                                           sets=f"dormancy.{k}")
    out["hazard_bandwidth_days"] = Calibration(BANDWIDTH, "claims/s14_dormancy.py", CHOSEN,
                                               sets="Epanechnikov kernel of the hazard")
    out["peak_prominence"] = Calibration(0.2, "claims/s14_dormancy.py", CHOSEN,
                                         sets="peak finder: prominence / maximum")
    return out


def _summary(m: dict[str, float], validation: dict[str, Target], checks: dict[str, Check]) -> str:
    bimodal_ok = (validation["breast_first_peak_months"].passed
                  and validation["breast_second_peak_months"].passed)
    steady_ok = validation["breast_hazard_ratio_y10_20_vs_y5_10"].passed
    vanish_ok = all(c.passed for c in checks.values())

    def peaks(t: str) -> str:
        return f"{m[f'{t}_first_peak_months']:.0f}/{m[f'{t}_second_peak_months']:.0f}"

    def pct(key: str) -> str:
        return f"{100 * m[key]:.1f} %"

    pan, pound = (validation["pan_distant_recurrence_years_5_20"],
                  validation["pound_median_years_surgery_to_metastasis"])
    text = (f"Dormant for many years: distant recurrence in years 5-20 among breast patients free "
            f"of it at 5 years {100 * (pan.measured or float('nan')):.0f} % (Pan 2017, T1: 13-34 "
            f"%; {'within' if pan.passed else 'outside'}); median surgery-to-metastasis time in "
            f"prostate {pound.measured or float('nan'):.1f} years (Pound 1999: at least 8; "
            f"{'met' if pound.passed else 'missed'}). Peak finder: both breast peaks in their "
            f"windows for {m['peak_finder_settings_with_both_peaks_in_window']:.0f} of "
            f"{m['peak_finder_settings_tried']:.0f} kernel/prominence settings. "
            f"Breast: bimodal hazard with peaks in the target windows: {bimodal_ok}; steady "
            f"hazard in years 5-20: {steady_ok}; late relapses vanish without dormancy (breast "
            f"and prostate): {vanish_ok}. Peaks "
            f"(months after surgery, nan: no such peak): breast {peaks('breast')} (without "
            f"dormancy {peaks('breast_no_dormancy')}), prostate {peaks('prostate')} (without "
            f"{peaks('prostate_no_dormancy')}); hazard ratio years 10-20 / 5-10: breast "
            f"{m['breast_hazard_ratio_y10_20_vs_y5_10']:.2f}, prostate "
            f"{m['prostate_hazard_ratio_y10_20_vs_y5_10']:.2f}; relapses after 5 years: breast "
            f"{pct('breast_share_of_relapses_after_5y')}, prostate "
            f"{pct('prostate_share_of_relapses_after_5y')}. Dissemination calibrated to the "
            "genomic seeding times of Hu et al. 2020 (typical patient: first seeding a median "
            "2.7 years before diagnosis); in the cohorts (inter-patient variability of mu and of "
            "the growth rate) the median lead of first seeding is "
            f"{m['breast_cohort_median_first_seeding_lead_years']:.2f} y (breast) and "
            f"{m['prostate_cohort_median_first_seeding_lead_years']:.2f} y (prostate). Visible "
            f"metastasis at diagnosis: breast {pct('breast_share_of_patients_with_visible_metastasis_at_diagnosis')} "
            f"with dormancy, {pct('breast_no_dormancy_share_of_patients_with_visible_metastasis_at_diagnosis')} "
            f"without; prostate {pct('prostate_share_of_patients_with_visible_metastasis_at_diagnosis')} "
            f"/ {pct('prostate_no_dormancy_share_of_patients_with_visible_metastasis_at_diagnosis')}. "
            f"Patients holding a lesion at the 1e6-cell plateau at surgery: breast "
            f"{pct('breast_share_with_lesion_at_plateau_at_surgery')}, prostate "
            f"{pct('prostate_share_with_lesion_at_plateau_at_surgery')}; relapses from "
            "micrometastases switched at surgery: breast "
            f"{pct('breast_share_of_relapses_micrometastasis_switched_at_surgery')}, prostate "
            f"{pct('prostate_share_of_relapses_micrometastasis_switched_at_surgery')}; they relapse "
            f"after the growth time plateau -> 5 mm, {m['breast_months_plateau_to_visible']:.0f} "
            f"months (breast) and {m['prostate_months_plateau_to_visible']:.0f} months (prostate) "
            f"(one cell -> 5 mm: {m['breast_months_one_cell_to_visible']:.0f} / "
            f"{m['prostate_months_one_cell_to_visible']:.0f} months); of the relapses within 6 "
            "months of the first peak, "
            f"{pct('breast_share_of_relapses_within_6_months_of_first_peak_surgery_triggered')} "
            "(breast) and "
            f"{pct('prostate_share_of_relapses_within_6_months_of_first_peak_surgery_triggered')} "
            "(prostate) were triggered by surgery.")
    if not bimodal_ok:
        text += (
            " Why not bimodal: the second peak would need late relapses concentrated near 60 "
            "months, but the lesions that do not relapse through the surgery pulse wait for a "
            "spontaneous angiogenic switch with a constant hazard (exponential, half-life 12 "
            "years, Willis 2010) once at the plateau, and single cells that escape (at surgery or "
            "later) grow to the plateau and stall again (serial two-stage dormancy), so late "
            "relapses form a broad plateau of hazard over years 5-20 instead of a peak; lesions "
            "that never slept relapse mostly within 6 years of surgery. In prostate the "
            "surgery-pulse peak sits at the plateau -> visible time of the slower prostate "
            "metastases and the second maximum is the end of growth from seeding (one cell -> "
            "visible), both outside the breast windows (reported only: no prostate hazard "
            "series is a target yet).")
    if not np.isnan(m.get("breast_fast_metastases_first_peak_months", np.nan)):
        text += (" Sensitivity (not in the verdict): with breast metastases growing twice as fast "
                 f"the first peak moves to {m['breast_fast_metastases_first_peak_months']:.0f} "
                 "months (second peak: "
                 f"{m['breast_fast_metastases_second_peak_months']:.0f} months).")
    return text
