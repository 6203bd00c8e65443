"""S5, S6: the cascade has every step, and knocking one out removes the metastases of the routes
that need it (organism model with the cascade, ``breast-cascade`` scenario).

Expected from the biology, independently of any run: cells that cannot attach to the basement
membrane (adhesion) or degrade it (proteases) cannot leave blood vessels, so blood-borne
metastases vanish while lymph-node metastases (reached through lymphatic sinuses) remain;
without CXCR4/CCR7 chemotaxis, organs reached only by homing (bone marrow, lymph nodes; Muller
et al. 2001) receive none; without intravasation (blood and lymph) nothing spreads.

Knock-outs are checks, not predictions: a knock-out sets one factor of a product of step
probabilities to zero, so "no metastases without the step" is an identity of the model. Not
modelled: S5's "response to proangiogenic factors" (no step of the cascade responds to them) and
S6's order "attach, then degrade" (adhesion and protease efficiencies are two factors of one
product, not a sequence).

Validation, measured partial inhibitions (numbers nothing was fitted to):

* S5, Muller et al. 2001 (abstract, read): "neutralizing the interactions of CXCL12/CXCR4
  significantly impairs metastasis of breast cancer cells to regional lymph nodes and lung". The
  antibody is modelled as removing a share ``CXCR4_BLOCK`` (assumed 0.8; rerun over 0.5-1, no
  sourced range) of the chemotaxis term of the spontaneous ``breast-cascade`` model. The paper's
  effect size was not retrieved (a reduction of the order of 60-80 % is recalled, not used), so
  "significantly impairs" is read leniently as at most 0.8 of the control's metastases remaining.
* S6, Koop et al., Cancer Res 1994;54:4791 (abstract, read): B16F10 cells overexpressing the
  metalloproteinase inhibitor TIMP-1 extravasated with the same time course as the parental
  cells ("virtually all cells from both cell lines having extravasated by 36 h"), but formed
  fewer and smaller tumours at day 7. TIMP-1 is modelled as a protease efficiency of
  ``TIMP_PROTEASE`` (assumed 0.5 of the parental cells'; rerun over 0.1-0.9, no sourced range) on
  the portal-vein (liver) route, whose extravasation is fitted to intravital data of the same
  group (Luzzi 1998; Koop's chick chorioallantoic membrane is not modelled): the exact expected
  fates of the injected cells (Markov chain) at 36 h and day 7.

Status: ``not reproduced`` for both. In the model the lung traps 93 % of the circulating cells
mechanically, so blocking chemotaxis leaves its metastases unchanged; and proteases act only on
extravasation, so TIMP-1 delays extravasation and does not reduce the later tumours.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metacascade import Scenario, expected_fates, load_scenario, solve_cascade
from metacascade.claims._common import breast_cascade_calibration, cascade_calibration
from metacascade.claims.base import (
    CHOSEN,
    Calibration,
    Check,
    Context,
    Sensitivity,
    Target,
    Verdict,
    above,
    at_least,
    at_most,
    below,
    exactly,
    experiment,
)
from metacascade.plotting.claims import plot_knockouts

STEPS = {  # step of S5/S6 -> scenario keys that carry it
    "detachment": ["cascade.detachment_rate_per_cell_day"],
    "invasion": ["cascade.invasion_probability"],
    "intravasation (blood, lymph)": ["cascade.intravasation_blood_probability",
                                     "lymphatics.entry_per_area"],
    "survival in the circulation": ["cascade.ctc_half_life_hours"],
    "chemotaxis": ["cascade.chemotaxis_strength"],
    "attachment (adhesion molecules)": ["cascade.adhesion_efficiency"],
    "matrix degradation (proteases)": ["cascade.protease_efficiency"],
    "migration out of the vessel": ["cascade.extravasation_rate_per_day"],
}
KNOCKOUTS = {
    "adhesion": ["cascade.adhesion_efficiency=0"],
    "protease": ["cascade.protease_efficiency=0"],
    "chemotaxis": ["cascade.chemotaxis_strength=0"],
    "intravasation": ["cascade.intravasation_blood_probability=0", "lymphatics.entry_per_area=0"],
}
NEEDS = {  # organs whose metastases must vanish
    "adhesion": ["bone", "lung", "liver", "brain", "other"],
    "protease": ["bone", "lung", "liver", "brain", "other"],
    "chemotaxis": ["bone", "lymph_node"],
    "intravasation": ["bone", "lung", "liver", "brain", "other", "lymph_node"],
}
KEEPS = {"adhesion": ["lymph_node"], "protease": ["lymph_node"], "chemotaxis": ["lung", "liver"],
         "intravasation": []}

MULLER = ("Muller A et al. Nature 2001;410:50 (neutralising CXCL12/CXCR4 significantly impairs "
          "metastasis to regional lymph nodes and lung; abstract)")
KOOP = ("Koop S et al. Cancer Res 1994;54:4791 (TIMP-1 overexpression in B16F10: extravasation "
        "unchanged, fewer and smaller tumours at day 7; abstract)")
#: Share of the chemotaxis term removed by the anti-CXCR4 antibody (assumed) and its rerun range.
CXCR4_BLOCK = 0.8
CXCR4_BLOCK_RANGE = (0.5, 1.0)
#: Protease efficiency of TIMP-1-overexpressing cells, relative to parental (assumed), and range.
TIMP_PROTEASE = 0.5
TIMP_PROTEASE_RANGE = (0.1, 0.9)
MULLER_IMPAIRED = 0.8  # "significantly impairs", read leniently: at most 0.8 of control remains
KOOP_UNCHANGED = 0.9  # "no effect on the time course": at least 0.9 of control by 36 h
OUT_OF_VESSEL = ("extravasated", "dormant_single", "micrometastasis", "macrometastasis")


def _counts(extra: list[str], duration: float) -> dict[str, float]:
    # lymph-node re-seeding off: each route is then primary -> blood -> organ or
    # primary -> lymph -> node, so a knockout's effect on its own route is seen directly
    sc = load_scenario("breast-cascade", [f"simulation.duration_days={duration}",
                                          "lymphatics.reseeding_rate_per_cell_day=0", *extra])
    cs = solve_cascade([sc])
    return dict(zip(cs.organs, cs.series["n_metastases"][0, :, -1].tolist(), strict=True))


def anti_cxcr4(block: float, duration: float) -> dict[str, float]:
    """Metastases per organ with a share ``block`` of the chemotaxis term removed, relative to
    the untreated ``breast-cascade`` run (``remaining_<organ>``)."""
    strength = load_scenario("breast-cascade").cascade.chemotaxis_strength
    base = _counts([], duration)
    treated = _counts([f"cascade.chemotaxis_strength={strength * (1.0 - block)}"], duration)
    return {o: treated[o] / base[o] for o in base if base[o] > 0}


def timp1(protease: float, route: str = "portal-vein") -> dict[str, float]:
    """Koop 1994 in the model: injected cells with protease efficiency ``protease`` against
    parental cells (exact expected fates): the share alive out of the vessels at 36 h and the
    micro- plus macrometastases at day 7, each relative to the parental cells."""
    parental = Scenario().cascade_parameters(all_organs=True)  # the cascade defaults
    out = {}
    for name, p in (("parental", parental), ("timp1", replace(parental,
                                                               protease_efficiency=protease))):
        f = expected_fates(p, route, [1.5, 7.0])
        out[f"{name}_out_of_vessel_36h"] = float(sum(f[c][0] for c in OUT_OF_VESSEL))
        out[f"{name}_tumours_day7"] = float(f["micrometastasis"][1] + f["macrometastasis"][1])
    out["extravasated_36h_ratio"] = out["timp1_out_of_vessel_36h"] / out[
        "parental_out_of_vessel_36h"]
    out["tumours_day7_ratio"] = out["timp1_tumours_day7"] / out["parental_tumours_day7"]
    return out


def muller_targets(remaining: dict[str, float]) -> dict[str, Target]:
    why = ("'significantly impairs', read leniently as at most 0.8 of the untreated metastases "
           "(the abstract gives no size)")
    return {f"muller_{o}_metastases_remaining": Target(
        remaining[o], MULLER_IMPAIRED, at_most(why), MULLER,
        note=f"{o.replace('_', ' ')} metastases with anti-CXCR4 / untreated (breast-cascade, "
             "spontaneous)") for o in ("lymph_node", "lung")}


def koop_targets(k: dict[str, float]) -> dict[str, Target]:
    return {
        "koop_extravasated_36h_timp1_over_parental": Target(
            k["extravasated_36h_ratio"], KOOP_UNCHANGED, at_least(
                "'no effect on the time course of extravasation': at least 0.9 of the parental "
                "cells out of the vessels by 36 h"), KOOP,
            note="alive and out of the vessels at 36 h, TIMP-1 / parental (portal-vein route)"),
        "koop_tumours_day7_timp1_over_parental": Target(
            k["tumours_day7_ratio"], 1.0, below("'reduction in size and number of tumors at "
                                                "day 7': any reduction"), KOOP,
            note="micro- plus macrometastases at day 7, TIMP-1 / parental (portal-vein route)"),
    }


@experiment("S5", "S6", title="Every cascade step is modelled; knockouts remove their routes")
def cascade_steps(ctx: Context) -> list[Verdict]:
    duration = 3000.0 if ctx.quick else 7300.0
    default = Scenario()
    present = {step: all(default.get(k) is not None for k in keys)
               for step, keys in STEPS.items()}
    base = _counts([], duration)
    results = {name: _counts(ov, duration) for name, ov in KNOCKOUTS.items()}
    measured: dict[str, float] = {f"steps_present_{i}": float(v)
                                  for i, v in enumerate(present.values())}
    measured.update({f"baseline_{o}": v for o, v in base.items()})
    for name, n in results.items():
        gone = [n[o] / base[o] if base[o] > 0 else 0.0 for o in NEEDS[name]]
        kept = [n[o] / base[o] for o in KEEPS[name]]
        for o, g in zip(NEEDS[name], gone, strict=True):
            measured[f"{name}_ko_remaining_{o}"] = g
        for o, k in zip(KEEPS[name], kept, strict=True):
            measured[f"{name}_ko_remaining_{o}"] = k
    # measured partial inhibitions: anti-CXCR4 (Muller 2001) and TIMP-1 (Koop 1994)
    strength = load_scenario("breast-cascade").cascade.chemotaxis_strength
    treated = _counts([f"cascade.chemotaxis_strength={strength * (1.0 - CXCR4_BLOCK)}"],
                      duration)
    remaining = {o: treated[o] / base[o] for o in base if base[o] > 0}
    measured.update({f"anti_cxcr4_remaining_{o}": v for o, v in remaining.items()
                     if o not in ("lymph_node", "lung")})
    val5 = muller_targets(remaining)
    block_ok = {CXCR4_BLOCK: all(t.passed for t in val5.values())}
    for b in CXCR4_BLOCK_RANGE:
        alt = anti_cxcr4(b, duration)
        measured.update({f"anti_cxcr4_{b:g}_remaining_{o}": alt[o] for o in ("lymph_node", "lung")})
        block_ok[b] = all(t.passed for t in muller_targets(alt).values())
    koop = timp1(TIMP_PROTEASE)
    val6 = koop_targets(koop)
    measured.update({f"timp1_{k}": v for k, v in koop.items() if not k.endswith("_ratio")})
    timp_ok = {TIMP_PROTEASE: all(t.passed for t in val6.values())}
    for x in (TIMP_PROTEASE_RANGE[0], 0.3, 0.7, TIMP_PROTEASE_RANGE[1]):
        alt6 = timp1(x)
        measured[f"timp1_{x:g}_extravasated_36h_ratio"] = alt6["extravasated_36h_ratio"]
        measured[f"timp1_{x:g}_tumours_day7_ratio"] = alt6["tumours_day7_ratio"]
        timp_ok[x] = all(t.passed for t in koop_targets(alt6).values())
    counts = pd.DataFrame({"all steps": base, **{f"no {k}": n for k, n in results.items()},
                           f"anti-CXCR4 ({CXCR4_BLOCK:.0%} of chemotaxis)": treated})
    fig_name = ctx.save_figure(plot_knockouts(counts, duration).get_figure(root=True),
                               "s05_s06_knockouts")
    checks: dict[str, Check] = {}
    for i, step in enumerate(present):
        checks[f"steps_present_{i}"] = Check(measured.pop(f"steps_present_{i}"), 1.0,
                                             exactly("the step is a model parameter"), note=step)
    for name in NEEDS:
        for o in NEEDS[name]:
            checks[f"{name}_ko_remaining_{o}"] = Check(
                measured.pop(f"{name}_ko_remaining_{o}"), 0.0,
                exactly("the route needs the step: an identity of the product of steps"))
        for o in KEEPS[name]:
            checks[f"{name}_ko_remaining_{o}"] = Check(
                measured.pop(f"{name}_ko_remaining_{o}"), 0.5,
                above("share of the baseline kept: the route does not need the step"))
    src = ["Chambers AF et al. Nat Rev Cancer 2002;2:563", "seed statements S5, S6"]
    cal = breast_cascade_calibration()
    cal5 = {**cal, "anti_cxcr4_block": Calibration(
        CXCR4_BLOCK, "claims/s05_s06_cascade_steps.py (assumption of this package)", CHOSEN,
        sets="share of cascade.chemotaxis_strength removed by the antibody",
        note="the antibody's effect on CXCR4 signalling in vivo is not measured")}
    cal6 = {**cascade_calibration(), "timp1_protease_efficiency": Calibration(
        TIMP_PROTEASE, "claims/s05_s06_cascade_steps.py (assumption of this package)", CHOSEN,
        sets="cascade.protease_efficiency of TIMP-1-overexpressing cells",
        note="Koop's clones' remaining metalloproteinase activity is not measured")}
    sens5 = {"anti_cxcr4_block": Sensitivity(
        CXCR4_BLOCK_RANGE, "no sourced range: half to all of the chemotaxis term blocked",
        [b for b, ok in sorted(block_ok.items()) if ok], len(set(block_ok.values())) > 1)}
    sens6 = {"timp1_protease_efficiency": Sensitivity(
        TIMP_PROTEASE_RANGE, "no sourced range: a tenth to nine tenths of the parental protease "
                             "activity", [x for x, ok in sorted(timp_ok.items()) if ok],
        len(set(timp_ok.values())) > 1)}
    s5_keys = [k for k in checks if k.startswith(("steps_present", "chemotaxis_", "intravasation_"))]
    s6_keys = [k for k in checks if k.startswith(("steps_present", "adhesion_", "protease_"))]
    lung5 = val5["muller_lung_metastases_remaining"].measured or float("nan")
    node5 = val5["muller_lymph_node_metastases_remaining"].measured or float("nan")
    ext6, day7 = koop["extravasated_36h_ratio"], koop["tumours_day7_ratio"]
    return [
        Verdict.assess("S5", checks={k: checks[k] for k in s5_keys}, validation=val5,
                       calibration=cal5, measured=measured, sensitivity=sens5,
                       sources=src, figures=[fig_name],
                       summary="Detachment, invasion, intravasation (blood and lymph), survival "
                               "and chemotaxis are parameters; without chemotaxis bone and nodes "
                               "get no metastases, without intravasation nothing spreads "
                               "(identities of a product of steps). Anti-CXCR4 (Muller 2001, "
                               f"{CXCR4_BLOCK:.0%} of the chemotaxis term blocked) leaves "
                               f"{node5:.0%} of the lymph-node metastases, as reported (nodes hold "
                               "cells by chemotaxis only), but "
                               f"{lung5:.0%} of the lung metastases, where Muller found them "
                               "significantly impaired: the lung traps 93 % of the passing "
                               "cells by size alone, so chemotaxis adds almost nothing there, "
                               "at every block from 50 to 100 %. 'Response to proangiogenic "
                               "factors' is not modelled."),
        Verdict.assess("S6", checks={k: checks[k] for k in s6_keys}, validation=val6,
                       calibration=cal6, measured=measured, sensitivity=sens6,
                       sources=src, figures=[fig_name],
                       summary="Without adhesion or protease activity no cell leaves the blood: "
                               "blood-borne metastases vanish, lymph-node metastases remain "
                               "(identities). TIMP-1 (Koop 1994) as half the protease activity: "
                               f"{ext6:.0%} of the parental cells' extravasation by 36 h "
                               f"(Koop: unchanged) and {day7:.2f} times their tumours at day 7 "
                               "(Koop: fewer and smaller). At no protease level from 0.1 to 0.9 "
                               "are both seen: in the model proteases act only on the vessel "
                               "wall, while in the mice they mattered for growth after "
                               "extravasation. The sequence 'attach, then degrade' is not "
                               "modelled."),
    ]
