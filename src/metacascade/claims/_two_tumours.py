"""The two-tumour experiment of Benzekry et al. 2017 (Cancer Res 77:5183) as a virtual mouse cohort
(used by the S8 verdict in ``s07_resection.py``).

Design (the paper's methods were not retrieved, only its abstract; Benzekry et al. 2017):

- Tumour: Lewis lung carcinoma, Hahnfeldt 1999 parameters (lambda1 = 0.192 day^-1, b = 5.85 day^-1,
  d = 0.00873 mm^-2 day^-1; Hahnfeldt et al. 1999). Implant: median V0 = 1 mm^3 (1e6 cells, the usual
  s.c. inoculum, 1 mm^3 = 1e6 cells as in the rest of the package; assumption), K0 = 3.47 V0 (the
  ratio 625/180 of Hahnfeldt's example initial state; assumption). Day-15 control volumes of
  about 750 mm^3 follow (an output, in the range of s.c. LLC at day 15).
- Biological variability, independent for every tumour (also the two of one mouse): log-normal
  take, sd(ln V0) = 0.5, and log-normal growth rate, sd(ln lambda1) = 0.1. Both are assumptions (no
  per-mouse LLC fits were retrieved); they give a day-15 control coefficient of variation of about
  0.6 (reported). The dependence of the result on this variability is reported.
- Groups: two tumours implanted on day 0 in each mouse vs single-tumour controls, same
  variability; in every two-tumour mouse the tumours are labelled "larger" and "smaller" by their
  day-15 volume (our reading of "growth of only one of the tumors was significantly suppressed").
- Statistics: reduction = 1 - mean(smaller) / mean(control) with a bootstrap percentile 95 % CI
  (hosts resampled within each arm), one-sided Mann-Whitney U (scipy.stats). "Not significantly
  suppressed" is judged on replicate experiments of 10 mice per arm drawn from the large cohort (10
  per group is an assumption about the paper's design [L]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.optimize import brentq

from metacascade import Scenario, simulate_two_tumours

Array = npt.NDArray[np.float64]
#: An interaction model of :func:`metacascade.simulate_two_tumours`: its family and parameters.
Model = tuple[str, dict[str, float]]
#: Hahnfeldt 1999 Lewis lung carcinoma (lambda1 and b per day, d per mm^2 per day): the defaults
#: of the scenario's ``systemic`` section, which are also the two-tumour models' defaults.
_SYSTEMIC = Scenario().systemic
LLC = {"lambda1": _SYSTEMIC.hahnfeldt_lambda1_per_day, "b": _SYSTEMIC.hahnfeldt_b_per_day,
       "d": _SYSTEMIC.hahnfeldt_d_per_mm2_day}

DAY = 15.0
TARGET_REDUCTION = 0.61  # Benzekry 2017 abstract
K0_OVER_V0 = 625.0 / 180.0  # Hahnfeldt 1999 example initial state
TAKE_SD = 0.5  # sd of ln V0 (assumption)
RATE_SD = 0.1  # sd of ln lambda1 (assumption)
REPLICATE_MICE = 10  # mice per arm of one replicate experiment (assumption [L])


@dataclass
class Arm:
    """Initial volumes, capacities (mm^3) and lambda1 multipliers, shape (tumours, mice)."""

    v0: Array
    k0: Array
    rate: Array

    def day(self, model: Model, days: Array | list[float] | None = None) -> Array:
        """Volumes (mm^3), shape (tumours, mice, len(days)); default: day 15 only."""
        return simulate_two_tumours(model[0], self.v0, self.k0,
                                       [DAY] if days is None else days, rate=self.rate,
                                       **model[1]).volumes


def make_arm(rng: np.random.Generator, tumours: int, mice: int, take_sd: float = TAKE_SD,
             rate_sd: float = RATE_SD) -> Arm:
    v0 = np.exp(rng.normal(0.0, take_sd, (tumours, mice)))
    rate = np.exp(rng.normal(0.0, rate_sd, (tumours, mice)))
    return Arm(v0, K0_OVER_V0 * v0, rate)


@dataclass
class Outcome:
    """Day-15 volumes of one model: controls, and the larger/smaller tumour of each pair."""

    control: Array
    larger: Array
    smaller: Array

    @property
    def reduction(self) -> float:
        return float(1.0 - self.smaller.mean() / self.control.mean())

    @property
    def larger_ratio(self) -> float:
        return float(self.larger.mean() / self.control.mean())


def outcome(model: Model, control: Arm, pairs: Arm) -> Outcome:
    c = control.day(model)[0, :, -1]
    two = pairs.day(model)[:, :, -1]
    return Outcome(c, two.max(axis=0), two.min(axis=0))


def bootstrap_ratio_ci(x: Array, ref: Array, rng: np.random.Generator,
                       n_boot: int) -> tuple[float, float]:
    """95 % percentile CI of mean(x)/mean(ref), each arm resampled with replacement."""
    ix = rng.integers(0, x.size, (n_boot, x.size))
    ir = rng.integers(0, ref.size, (n_boot, ref.size))
    r = x[ix].mean(axis=1) / ref[ir].mean(axis=1)
    lo, hi = np.quantile(r, [0.025, 0.975])
    return float(lo), float(hi)


def replicate_significance(o: Outcome, rng: np.random.Generator, reps: int,
                           n: int = REPLICATE_MICE) -> tuple[float, float, float]:
    """Fractions of replicate experiments (n mice per arm, drawn without replacement) where the
    smaller, the larger, and only the smaller tumour is significantly below control (one-sided
    Mann-Whitney U, p < 0.05): the last one is the published one-sided pattern."""
    sig_small = sig_large = one_sided = 0
    for _ in range(reps):
        ic = rng.choice(o.control.size, n, replace=False)
        it = rng.choice(o.smaller.size, n, replace=False)
        c = o.control[ic]
        s = bool(stats.mannwhitneyu(o.smaller[it], c, alternative="less").pvalue < 0.05)
        g = bool(stats.mannwhitneyu(o.larger[it], c, alternative="less").pvalue < 0.05)
        sig_small += int(s)
        sig_large += int(g)
        one_sided += int(s and not g)
    return sig_small / reps, sig_large / reps, one_sided / reps


def calibrate_theta(control: Arm, pairs: Arm, target: float = TARGET_REDUCTION) -> float:
    """theta (mm^-3) of proliferation inhibition giving the target reduction on this cohort."""
    def miss(log_theta: float) -> float:
        m = ("proliferation", {"theta": float(np.exp(log_theta))})
        return outcome(m, control, pairs).reduction - target

    return float(np.exp(brentq(miss, np.log(1e-6), np.log(1.0), xtol=1e-4)))


def symmetry_gain(model: Model, delta: float = 0.01) -> float:
    """ln(V1/V2) at day 15 over its day-0 value for two identical mean implants perturbed by
    +-delta: 1 keeps the asymmetry, < 1 damps it, > 1 amplifies it (spontaneous symmetry breaking)."""
    v0 = np.array([[1.0 + delta], [1.0 / (1.0 + delta)]])
    v = simulate_two_tumours(model[0], v0, K0_OVER_V0 * v0, [DAY], rtol=1e-10,
                            **model[1]).volumes[:, 0, -1]
    return float(np.log(v[0] / v[1]) / np.log(v0[0, 0] / v0[1, 0]))


@dataclass
class TwoTumourStudy:
    measured: dict[str, float]
    outcomes: dict[str, Outcome]
    trajectories: dict[str, Array]  # mean volumes per group over TRAJ_DAYS
    theta: float


TRAJ_DAYS = np.linspace(0.0, DAY, 31)


def run_study(seed: int, quick: bool) -> TwoTumourStudy:
    """The virtual experiment (module docstring); every number that the S8 verdict reports."""
    rng = np.random.default_rng(seed)
    mice = 300 if quick else 1000
    n_boot, reps = (400, 100) if quick else (2000, 400)
    control, pairs = make_arm(rng, 1, mice), make_arm(rng, 2, mice)
    theta = calibrate_theta(control, pairs)
    models: dict[str, Model] = {
        "no_interaction": ("proliferation", {"theta": 0.0}),
        "competition": ("competition", {}),
        "angiogenesis": ("angiogenesis", {}),
        "proliferation": ("proliferation", {"theta": theta}),
    }
    out = {k: outcome(m, control, pairs) for k, m in models.items()}
    pi = out["proliferation"]
    red_lo, red_hi = bootstrap_ratio_ci(pi.smaller, pi.control, rng, n_boot)
    lar_lo, lar_hi = bootstrap_ratio_ci(pi.larger, pi.control, rng, n_boot)
    sig_small, sig_large, _ = replicate_significance(pi, rng, reps)
    m: dict[str, float] = {
        "mice_per_arm": float(mice),
        "control_day15_mean_mm3": float(pi.control.mean()),
        "control_day15_cv": float(pi.control.std() / pi.control.mean()),
        "proliferation_theta_calibrated_per_mm3": theta,
        "two_tumour_size_reduction_day_15": pi.reduction,
        "reduction_ci95_low": 1.0 - red_hi,
        "reduction_ci95_high": 1.0 - red_lo,
        "smaller_vs_control_mannwhitney_p": float(stats.mannwhitneyu(
            pi.smaller, pi.control, alternative="less").pvalue),
        "larger_over_control": pi.larger_ratio,
        "larger_over_control_ci95_low": lar_lo,
        "larger_over_control_ci95_high": lar_hi,
        "larger_vs_control_mannwhitney_p_two_sided": float(stats.mannwhitneyu(
            pi.larger, pi.control, alternative="two-sided").pvalue),
        "replicates_smaller_significant_fraction": sig_small,
        "replicates_larger_significant_fraction": sig_large,
    }
    ang_lo, ang_hi = bootstrap_ratio_ci(out["angiogenesis"].smaller, out["angiogenesis"].control,
                                        rng, n_boot)
    m["angiogenesis_reduction_ci95_low"] = 1.0 - ang_hi
    m["angiogenesis_reduction_ci95_high"] = 1.0 - ang_lo
    for k in ("no_interaction", "competition", "angiogenesis"):
        m[f"{k}_reduction_smaller"] = out[k].reduction
        m[f"{k}_larger_over_control"] = out[k].larger_ratio
    for k, mod in models.items():
        m[f"{k}_one_sided_fraction"] = replicate_significance(out[k], rng, reps)[2]
        m[f"{k}_symmetry_gain"] = symmetry_gain(mod)
        m[f"{k}_smaller_over_larger"] = float(out[k].smaller.mean() / out[k].larger.mean())
    # which asymmetry feeds the suppression: take only, growth rate only (same calibrated theta)
    # (the untuned angiogenesis model's prediction under half and twice the assumed variability)
    for name, take_sd, rate_sd in (("take_only", TAKE_SD, 0.0), ("rate_only", 0.0, RATE_SD),
                                   ("half_variability", TAKE_SD / 2, RATE_SD / 2),
                                   ("double_variability", 2 * TAKE_SD, 2 * RATE_SD)):
        sub = np.random.default_rng(seed + 1)
        c, p = make_arm(sub, 1, mice, take_sd, rate_sd), make_arm(sub, 2, mice, take_sd, rate_sd)
        o_pi, o_null = outcome(models["proliferation"], c, p), outcome(models["no_interaction"], c, p)
        m[f"{name}_reduction_smaller"] = o_pi.reduction
        m[f"{name}_larger_over_control"] = o_pi.larger_ratio
        m[f"{name}_no_interaction_reduction_smaller"] = o_null.reduction
        m[f"{name}_angiogenesis_reduction_smaller"] = outcome(models["angiogenesis"], c, p).reduction
    traj: dict[str, Array] = {}
    for k in ("competition", "proliferation"):
        ctrl = control.day(models[k], TRAJ_DAYS)[0]
        two = pairs.day(models[k], TRAJ_DAYS)
        order = np.argsort(two[:, :, -1], axis=0)  # smaller first, by day-15 volume
        smaller = np.take_along_axis(two, order[:, :, None], axis=0)
        traj[f"{k}_control"] = ctrl.mean(axis=0)
        traj[f"{k}_smaller"] = smaller[0].mean(axis=0)
        traj[f"{k}_larger"] = smaller[1].mean(axis=0)
    return TwoTumourStudy(m, out, traj, theta)


def describe_parameters() -> str:
    return (f"LLC lambda1 = {LLC['lambda1']} day^-1, b = {LLC['b']} day^-1, d = {LLC['d']} "
            f"mm^-2 day^-1 (Hahnfeldt 1999); V0 = 1 mm^3 (sd ln {TAKE_SD}), sd ln lambda1 = "
            f"{RATE_SD} (assumptions)")
