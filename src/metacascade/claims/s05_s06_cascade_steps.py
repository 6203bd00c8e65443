"""S5, S6: the cascade has every step, and knocking one out removes the metastases of the routes
that need it (organism model with the cascade, ``breast-cascade`` scenario).

Expected from the biology, independently of any run: cells that cannot attach to the basement
membrane (adhesion) or degrade it (proteases) cannot leave blood vessels, so blood-borne
metastases vanish while lymph-node metastases (reached through lymphatic sinuses) remain;
without CXCR4/CCR7 chemotaxis, organs reached only by homing (bone marrow, lymph nodes; Muller
et al. 2001) receive none; without intravasation (blood and lymph) nothing spreads.

Status: ``illustrated``. A knock-out sets one factor of a product of step probabilities to zero,
so "no metastases without the step" is an identity of the model: the results are checks, not
predictions. Not modelled: S5's "response to proangiogenic factors" (no step of the cascade
responds to them) and S6's order "attach, then degrade" (adhesion and protease efficiencies are
two factors of one product, not a sequence). Measured partial inhibitions (anti-CXCR4, Muller
2001; TIMP-1, Koop 1994) are the independent targets still to come.
"""

from __future__ import annotations

import pandas as pd

from metacascade import Scenario, load_scenario, solve_cascade
from metacascade.claims._common import breast_cascade_calibration
from metacascade.claims.base import Check, Context, Verdict, above, exactly, experiment
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


def _counts(extra: list[str], duration: float) -> dict[str, float]:
    # lymph-node re-seeding off: each route is then primary -> blood -> organ or
    # primary -> lymph -> node, so a knockout's effect on its own route is seen directly
    sc = load_scenario("breast-cascade", [f"simulation.duration_days={duration}",
                                          "lymphatics.reseeding_rate_per_cell_day=0", *extra])
    cs = solve_cascade([sc])
    return dict(zip(cs.organs, cs.series["n_metastases"][0, :, -1].tolist(), strict=True))


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
    counts = pd.DataFrame({"all steps": base, **{f"no {k}": n for k, n in results.items()}})
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
    src = ["Muller A et al. Nature 2001;410:50", "Chambers AF et al. Nat Rev Cancer 2002;2:563",
           "seed statements S5, S6"]
    cal = breast_cascade_calibration()
    s5_keys = [k for k in checks if k.startswith(("steps_present", "chemotaxis_", "intravasation_"))]
    s6_keys = [k for k in checks if k.startswith(("steps_present", "adhesion_", "protease_"))]
    return [
        Verdict.assess("S5", checks={k: checks[k] for k in s5_keys}, calibration=cal,
                       measured=measured, sources=src, figures=[fig_name],
                       summary="Detachment, invasion, intravasation (blood and lymph), survival "
                               "and chemotaxis are parameters; without chemotaxis bone and nodes "
                               "get no metastases, without intravasation nothing spreads. "
                               "Illustrated: a knock-out zeroes one factor of a product, so the "
                               "zeros are identities; 'response to proangiogenic factors' is "
                               "not modelled."),
        Verdict.assess("S6", checks={k: checks[k] for k in s6_keys}, calibration=cal,
                       measured=measured, sources=src, figures=[fig_name],
                       summary="Without adhesion or protease activity no cell leaves the blood: "
                               "blood-borne metastases vanish, lymph-node metastases remain. "
                               "Illustrated: identities of the product of step probabilities; "
                               "the sequence 'attach, then degrade' is not modelled."),
    ]
