"""S14: dormant disseminated cells in breast and prostate cancer cause late relapses.

Cohorts of the ``breast-dormancy`` and ``prostate-dormancy`` scenarios (dormancy parameters are
stated assumptions, not fitted to the targets) and of the same scenarios without dormancy.
Targets: a bimodal relapse hazard after surgery with peaks near 18-24 and ~60 months (Demicheli
et al. 1996 [L], 2004, 2008; science.md §3); recurrences at a steady rate from year 5 to year 20
(Pan et al., NEJM 2017;377:1836); without dormancy the late relapses (second peak) vanish.
Measured: local maxima of the smoothed hazard (Nelson-Aalen, Epanechnikov kernel, lifelines), the
ratio of the mean hazard in years 10-20 to years 5-10, and the share of relapses after 5 years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from metacascade.claims.base import Context, Verdict, experiment
from metacascade.cohort import relapse_hazard, simulate_cohort
from metacascade.scenario import load_scenario

MONTH = 365.25 / 12
BANDWIDTH = 180.0  # days, Epanechnikov kernel
NO_DORMANCY = ["dormancy.single_cell_fraction=0", "dormancy.avascular_fraction=0"]


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
    peaks = hazard_peaks(hz, m)
    y = m / 12
    early = hz[(y >= 5) & (y < 10)]
    late = hz[(y >= 10) & (y < 20)]
    rel = table["relapse_after_surgery_days"].dropna().to_numpy()
    return {
        "n_peaks": float(len(peaks)),
        "first_peak_months": peaks[0] if peaks else float("nan"),
        "second_peak_months": peaks[1] if len(peaks) > 1 else float("nan"),
        "hazard_ratio_y10_20_vs_y5_10": float(late.mean() / early.mean())
        if early.size and late.size and early.mean() > 0 else float("nan"),
        "share_of_relapses_after_5y": float(np.mean(rel > 5 * 365.25)) if rel.size else 0.0,
        "mean_hazard_y10_20_per_year": float(late.mean() * 365.25) if late.size else float("nan"),
    }


@experiment("S14", title="Dormant cells cause late relapses in breast and prostate cancer")
def dormancy(ctx: Context) -> list[Verdict]:
    import matplotlib.pyplot as plt

    n = 1500 if ctx.quick else 20000
    measured: dict[str, float] = {}
    bimodal_ok = steady_ok = vanish_ok = True
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for ax, name in zip(axes, ("breast-dormancy", "prostate-dormancy"), strict=True):
        for label, over in (("dormancy", []), ("no dormancy", NO_DORMANCY)):
            sc = load_scenario(name, over)
            if label == "dormancy":
                # growth time from one cell to the visible size: the earliest relapse after
                # surgery of a metastasis seeded (or woken) at surgery
                from metacascade.engines.organism import patients_from_scenarios

                a_vis = float(patients_from_scenarios([sc]).visible_age()[0])
                measured[f"{name.split('-')[0]}_months_one_cell_to_visible"] = a_vis / MONTH
            res = simulate_cohort(sc, n, seed=ctx.seed)
            st = _stats(res.patients, sc.simulation.duration_days)
            tag = name.split("-")[0] + ("" if label == "dormancy" else "_no_dormancy")
            measured.update({f"{tag}_{k}": v for k, v in st.items()})
            h = relapse_hazard(res.patients, sc.simulation.duration_days, BANDWIDTH)
            ax.plot(h["days"] / MONTH, h["hazard_per_day"] * MONTH, label=label)
            if label == "dormancy":
                p1, p2 = st["first_peak_months"], st["second_peak_months"]
                bimodal_ok = bimodal_ok and (12 <= p1 <= 30) and (48 <= p2 <= 72)
                r = st["hazard_ratio_y10_20_vs_y5_10"]
                steady_ok = steady_ok and bool(0.5 <= r <= 2.0)
                late_with = st["mean_hazard_y10_20_per_year"]
            else:
                vanish_ok = vanish_ok and bool(st["mean_hazard_y10_20_per_year"] < 0.25 * late_with)
        ax.set_xlim(0, 240)
        ax.set_xlabel("months after surgery")
        ax.set_ylabel("relapse hazard (per month)")
        ax.set_title(name)
        ax.legend()
    figure = ctx.save_figure(fig, "s14_dormancy_hazard")
    passed = bimodal_ok and steady_ok and vanish_ok
    return [Verdict.compare(
        "S14", passed=passed, measured=measured,
        targets={f"{t}_{k}": v for t in ("breast", "prostate") for k, v in (
            ("first_peak_months", 21.0), ("second_peak_months", 60.0),
            ("hazard_ratio_y10_20_vs_y5_10", 1.0))},
        tolerances={f"{t}_{k}": v for t in ("breast", "prostate") for k, v in (
            ("first_peak_months", "within 12-30 months (Demicheli 1996, 2004, 2008)"),
            ("second_peak_months", "within 48-72 months (Demicheli 1996, 2008)"),
            ("hazard_ratio_y10_20_vs_y5_10", "0.5-2: a steady rate from year 5 to 20 (Pan 2017); "
             "and without dormancy the mean hazard in years 10-20 falls below 1/4"))},
        sources=["Demicheli R et al. Ann Oncol 1996 [L]; Breast Cancer Res 2004;6:R689; "
                 "Breast Cancer Res 2008;10:R83",
                 "Pan H et al. N Engl J Med 2017;377:1836"],
        figures=[figure],
        summary=(f"bimodal hazard with peaks in the target windows: {bimodal_ok}; steady hazard in "
                 f"years 5-20: {steady_ok}; late relapses vanish without dormancy: {vanish_ok}. "
                 "Peaks (months): breast "
                 f"{measured['breast_first_peak_months']:.0f}/"
                 f"{measured['breast_second_peak_months']:.0f}, prostate "
                 f"{measured['prostate_first_peak_months']:.0f}/"
                 f"{measured['prostate_second_peak_months']:.0f} (nan: no such peak)."),
    )]
