"""S12: the RANKL vicious cycle of bone metastasis (science.md §5, §8).

Experiment: the vicious-cycle model (Lemaire 2004 RANKL/RANK/OPG + tumour PTHrP + resorption-
released TGF-beta feeding the tumour; :mod:`metacascade.biology.bone`) fitted to the PBS + tumour
arm of Johnson 2011 (bone volume and tumour burden to day 28), then run in five arms over 28 days:

* cycle on (the fit),
* no PTHrP (the tumour no longer stimulates RANKL: the cycle is opened on the bone side),
* no TGF-beta feedback (the tumour sees healthy-bone TGF-beta: opened on the tumour side),
* denosumab (anti-RANKL, one dose on day 0, effect level 10),
* zoledronic acid (one dose on day 0, effect level 100: the model's bone gain without tumour
  saturates there).

Targets: the published bone volume with tumour (75.9 +/- 18.7 % at day 28, Johnson 2011) and the
held-back zoledronic-acid + tumour arm of the same study (bone 128.0 +/- 13.4 %, tumour 1.675 +/-
0.539 relative to the PBS arm at day 14), neither of which is computed by the model; plus the
orderings the statement asserts (cycle -> faster tumour growth and bone loss; blocking RANKL or
removing TGF-beta slows the tumour and preserves bone).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from metacascade.biology.bone import LemaireParameters
from metacascade.bone_fit import (
    JOHNSON2011_BONE,
    JOHNSON2011_BONE_DAYS,
    JOHNSON2011_BONE_SE,
    JOHNSON2011_TUMOUR,
    JOHNSON2011_TUMOUR_DAYS,
    JOHNSON2011_TUMOUR_SE,
    JOHNSON2011_ZA_TUMOUR_BONE_D28,
    JOHNSON2011_ZA_TUMOUR_TUMOUR_D28,
    fit_johnson2011,
    simulate_tibd,
    tibd_parameters,
)
from metacascade.claims.base import Context, Verdict, experiment
from metacascade.engines.bone import Dose
from metacascade.plotting.claims import vicious_cycle_figure

DENOSUMAB_LEVEL = 10.0
ZOLEDRONIC_LEVEL = 100.0
ZA_BONE_SE = 13.4
ZA_TUMOUR_SE = 0.539


@experiment("S12", title="Bone metastasis: the RANKL vicious cycle")
def bone_vicious_cycle(ctx: Context) -> list[Verdict]:
    if ctx.quick:  # the stored fit (LemaireParameters.johnson2011, the breast-bone values)
        fit = LemaireParameters.johnson2011()
        values = {"tumour_rate_per_day": float(fit.r_t), "pthrp_per_cell": float(fit.s_pthrp),
                  "bone_turnover_percent_per_day": float(fit.kappa)}
    else:
        values = fit_johnson2011().values
    p = tibd_parameters(values["tumour_rate_per_day"], values["pthrp_per_cell"],
                        values["bone_turnover_percent_per_day"])
    days = np.linspace(0.0, 28.0, 57)
    arms = {
        "vicious cycle": (p, []),
        "no PTHrP (no RANKL induction)": (replace(p, s_pthrp=0.0), []),
        "no TGF-beta feedback": (replace(p, tgf_feedback=0.0), []),
        "denosumab": (p, [Dose("denosumab", 0.0, DENOSUMAB_LEVEL)]),
        "zoledronic acid": (p, [Dose("zoledronic_acid", 0.0, ZOLEDRONIC_LEVEL)]),
    }
    runs = {k: simulate_tibd(prm, doses, days) for k, (prm, doses) in arms.items()}
    i14 = int(np.argmin(abs(days - 14.0)))
    cyc_bone, cyc_tum = runs["vicious cycle"]
    m = {
        "bone_day28_cycle_percent": float(cyc_bone[-1]),
        "bone_day28_no_pthrp_percent": float(runs["no PTHrP (no RANKL induction)"][0][-1]),
        "bone_day28_no_tgf_feedback_percent": float(runs["no TGF-beta feedback"][0][-1]),
        "bone_day28_denosumab_percent": float(runs["denosumab"][0][-1]),
        "bone_day28_zoledronic_percent": float(runs["zoledronic acid"][0][-1]),
    }
    for key, arm in (("no_pthrp", "no PTHrP (no RANKL induction)"),
                     ("no_tgf_feedback", "no TGF-beta feedback"), ("denosumab", "denosumab"),
                     ("zoledronic", "zoledronic acid")):
        m[f"tumour_day28_{key}_over_cycle"] = float(runs[arm][1][-1] / cyc_tum[-1])
    m["tumour_day28_zoledronic_rel_day14_cycle"] = float(runs["zoledronic acid"][1][-1]
                                                         / cyc_tum[i14])
    targets = {
        "bone_day28_cycle_percent": float(JOHNSON2011_BONE[-1]),
        "bone_day28_zoledronic_percent": JOHNSON2011_ZA_TUMOUR_BONE_D28,
        "tumour_day28_zoledronic_rel_day14_cycle": JOHNSON2011_ZA_TUMOUR_TUMOUR_D28,
    }
    tol = {
        "bone_day28_cycle_percent": f"within 2 standard errors ({2 * JOHNSON2011_BONE_SE[-1]:g} %)",
        "bone_day28_zoledronic_percent": f"within 2 standard errors ({2 * ZA_BONE_SE:g} %); "
                                          "held-back arm",
        "tumour_day28_zoledronic_rel_day14_cycle": f"within 2 standard errors "
                                                    f"({2 * ZA_TUMOUR_SE:g}); held-back arm",
        "orderings": "tumour(cycle) > tumour(every blocked arm) and bone(cycle) < bone(every "
                     "blocked arm); bone(cycle) < 100 %",
    }
    quantitative = (
        abs(m["bone_day28_cycle_percent"] - targets["bone_day28_cycle_percent"])
        <= 2 * JOHNSON2011_BONE_SE[-1]
        and abs(m["bone_day28_zoledronic_percent"] - JOHNSON2011_ZA_TUMOUR_BONE_D28)
        <= 2 * ZA_BONE_SE
        and abs(m["tumour_day28_zoledronic_rel_day14_cycle"] - JOHNSON2011_ZA_TUMOUR_TUMOUR_D28)
        <= 2 * ZA_TUMOUR_SE)
    blocked = [k for k in arms if k != "vicious cycle"]
    orderings = (m["bone_day28_cycle_percent"] < 100.0
                 and all(runs[k][1][-1] < cyc_tum[-1] for k in blocked)
                 and all(runs[k][0][-1] > cyc_bone[-1] for k in blocked))
    m["orderings_hold"] = float(orderings)

    observed = pd.DataFrame(
        [("bone", "Johnson 2011, PBS + tumour", d, v, e) for d, v, e in
         zip(JOHNSON2011_BONE_DAYS, JOHNSON2011_BONE, JOHNSON2011_BONE_SE, strict=True)]
        + [("bone", "Johnson 2011, ZA + tumour (held back)", 28.0, JOHNSON2011_ZA_TUMOUR_BONE_D28,
            ZA_BONE_SE)]
        + [("tumour", "Johnson 2011, PBS + tumour", d, v, e) for d, v, e in
           zip(JOHNSON2011_TUMOUR_DAYS, JOHNSON2011_TUMOUR, JOHNSON2011_TUMOUR_SE, strict=True)]
        + [("tumour", "ZA + tumour (held back)", 28.0, JOHNSON2011_ZA_TUMOUR_TUMOUR_D28,
            ZA_TUMOUR_SE)],
        columns=["panel", "label", "day", "value", "se"])
    fig = vicious_cycle_figure(days, {k: (bone, tum / cyc_tum[i14])
                                      for k, (bone, tum) in runs.items()}, observed)
    figures = [ctx.save_figure(fig, "s12_bone_vicious_cycle")]
    summary = (
        f"Cycle on: bone {m['bone_day28_cycle_percent']:.1f} % at day 28 (Johnson 2011: 75.9 %); "
        f"tumour at day 28 relative to the cycle: no PTHrP "
        f"{m['tumour_day28_no_pthrp_over_cycle']:.2f}, no TGF-beta feedback "
        f"{m['tumour_day28_no_tgf_feedback_over_cycle']:.2f}, denosumab "
        f"{m['tumour_day28_denosumab_over_cycle']:.2f}, zoledronic acid "
        f"{m['tumour_day28_zoledronic_over_cycle']:.2f}; bone preserved at "
        f"{m['bone_day28_no_tgf_feedback_percent']:.1f}/"
        f"{m['bone_day28_denosumab_percent']:.1f}/{m['bone_day28_zoledronic_percent']:.1f} % "
        "(no TGF / denosumab / ZA). Held-back ZA arm: bone "
        f"{m['bone_day28_zoledronic_percent']:.1f} vs 128.0 %, tumour "
        f"{m['tumour_day28_zoledronic_rel_day14_cycle']:.2f} vs 1.675. Fit: "
        + ", ".join(f"{k} = {v:.4g}" for k, v in values.items()))
    return [Verdict.compare(
        "S12", passed=bool(quantitative and orderings), measured=m, targets=targets,
        tolerances=tol, figures=figures, summary=summary,
        sources=["Johnson et al. 2011 TIBD data (science.md §8, V25)",
                 "Lemaire et al. 2004 J Theor Biol 229:293", "Pivonka et al. 2008 Bone 43:249",
                 "Mundy 2002 Nat Rev Cancer 2:584 (vicious cycle)"])]
