"""Regenerate the figures of docs/bone.md: python docs/make_bone_figures.py"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from metacascade.biology.bone import PowerLawBoneParameters  # noqa: E402
from metacascade.engines.bone import integrate_power_law  # noqa: E402
from metacascade.inference.bone_fit import (  # noqa: E402
    JOHNSON2011_BONE,
    JOHNSON2011_BONE_DAYS,
    JOHNSON2011_BONE_SE,
    JOHNSON2011_TUMOUR,
    JOHNSON2011_TUMOUR_DAYS,
    JOHNSON2011_TUMOUR_SE,
    fit_johnson2011,
    simulate_tibd,
    tibd_parameters,
)

OUT = Path(__file__).parent / "img"
OUT.mkdir(exist_ok=True)

# 1. Johnson 2011 fit with residuals
fit = fit_johnson2011()
v = fit.values
p = tibd_parameters(v["tumour_rate_per_day"], v["pthrp_per_cell"],
                    v["bone_turnover_percent_per_day"])
days = np.linspace(0, 28, 113)
bone, tum = simulate_tibd(p, days=days)
i14 = int(np.argmin(abs(days - 14)))
fig, ax = plt.subplots(2, 2, figsize=(10, 6), layout="constrained",
                       gridspec_kw={"height_ratios": [3, 1.3]})
ax[0, 0].plot(days, bone, "C0", lw=2, label="model (fit)")
ax[0, 0].errorbar(JOHNSON2011_BONE_DAYS, JOHNSON2011_BONE, JOHNSON2011_BONE_SE, fmt="ko",
                  capsize=3, label="Johnson 2011 PBS + tumour (mean +/- SE)")
ax[0, 0].set_ylabel("bone volume (% of day 0)")
ax[0, 0].legend(fontsize=8)
ax[0, 1].plot(days, tum / tum[i14], "C3", lw=2, label="model (fit)")
ax[0, 1].errorbar(JOHNSON2011_TUMOUR_DAYS, JOHNSON2011_TUMOUR, JOHNSON2011_TUMOUR_SE, fmt="ko",
                  capsize=3, label="Johnson 2011 (relative to day 14)")
ax[0, 1].set_ylabel("tumour burden (relative to day 14)")
ax[0, 1].legend(fontsize=8)
ax[1, 0].bar(JOHNSON2011_BONE_DAYS[1:], fit.bone_residuals_se, width=2.5, color="C0")
ax[1, 1].bar(JOHNSON2011_TUMOUR_DAYS[1:], fit.tumour_residuals_se, width=2.5, color="C3")
for a in ax[1]:
    a.axhline(0, color="k", lw=0.8)
    for s in (-2, 2):
        a.axhline(s, color="0.5", ls=":", lw=0.8)
    a.set_ylabel("residual (SE units)")
    a.set_xlabel("day")
    a.set_ylim(-2.5, 2.5)
fig.suptitle("Vicious-cycle model fitted to Johnson 2011 (weighted least squares, 3 parameters)")
fig.savefig(OUT / "bone_johnson2011_fit.png", dpi=100)
plt.close(fig)

# 2. Komarova single cycle
k = PowerLawBoneParameters.komarova2003()
t = np.linspace(0, 60, 6001)
ds = integrate_power_law(k, t, osteoclasts0=11.0, osteoblasts0=212.0, rtol=1e-9,
                         atol=1e-12).isel(system=0)
fig, a = plt.subplots(figsize=(7, 4), layout="constrained")
a.plot(t, ds.bone_mass_percent, "k", lw=2, label="bone mass (%)")
a2 = a.twinx()
a2.plot(t, ds.osteoclasts, "C3", label="osteoclasts")
a2.plot(t, ds.osteoblasts / 100, "C0", label="osteoblasts / 100")
a.set_xlabel("day")
a.set_ylabel("bone mass (%)")
a2.set_ylabel("cells")
a.legend(loc="lower right", fontsize=8)
a2.legend(loc="upper right", fontsize=8)
a.set_title("Komarova 2003: one remodelling cycle (minimum 89.84 % at day 12.3)")
fig.savefig(OUT / "bone_komarova_cycle.png", dpi=100)
plt.close(fig)

# 3. Ayati with and without tumour
a_p = PowerLawBoneParameters.ayati2010()
t = np.linspace(0, 1200, 2401)
ds = integrate_power_law(a_p, t, osteoclasts0=15.0, osteoblasts0=316.0,
                         tumour0=np.array([0.0, 1.0]), rtol=1e-9, atol=1e-10)
fig, (b1, b2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for i, lab in ((0, "no tumour"), (1, "tumour")):
    b1.plot(t, ds.osteoclasts[i], label=lab)
    b2.plot(t, ds.bone_mass_percent[i], label=lab)
b1.set_ylabel("osteoclasts")
b2.set_ylabel("bone mass (%)")
for b in (b1, b2):
    b.set_xlabel("day")
    b.legend(fontsize=8)
fig.suptitle("Ayati 2010 (BIOMD0000000402): period 356 d without tumour, ~222 d with; bone lost")
fig.savefig(OUT / "bone_ayati.png", dpi=100)
plt.close(fig)
print("written", sorted(x.name for x in OUT.glob("bone_*.png")))
