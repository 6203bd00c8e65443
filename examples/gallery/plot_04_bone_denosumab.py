"""
A bone lesion: the vicious cycle and denosumab
===============================================

``mc.simulate_bone`` integrates the representative bone lesion of a scenario's ``[bone]``
section: osteoclasts, osteoblasts and bone mass coupled to the tumour through RANKL, OPG and
TGF-beta (the vicious cycle), over the 28 days of the ``breast-bone`` scenario. A drug is a
treatment event; denosumab binds RANKL (Prolia label: half-life 26 days; a dose of level 10 on
day 0 here). The lesion loses a fifth of its bone without the drug and keeps it with it.
"""

# %%
import matplotlib.pyplot as plt

import metacascade as mc

untreated = mc.load_scenario("breast-bone")
treated = mc.load_scenario(untreated, [
    'treatment.events=[{drug = "denosumab", start_day = 0.0, dose = 10.0, interval_days = 28.0}]'])
runs = {"untreated": mc.simulate_bone(untreated), "denosumab": mc.simulate_bone(treated)}
list(runs["untreated"].data_vars)

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), layout="constrained")
for label, ds in runs.items():
    days = ds["time_days"]
    axes[0].plot(days, ds["bone_mass_percent"], label=label)
    axes[1].plot(days, ds["osteoclasts"], label=label)
    axes[2].plot(days, ds["bone_tumour_cells"], label=label)
axes[0].set(ylabel="bone mass (% of initial)")
axes[1].set(ylabel="osteoclasts (cells)")
axes[2].set(ylabel="tumour cells in the lesion", yscale="log")
for ax in axes:
    ax.set(xlabel="days")
axes[0].legend(fontsize="small")
plt.show()

# %%
for label, ds in runs.items():
    print(f"{label}: bone mass {float(ds['bone_mass_percent'][-1]):.1f} % at day "
          f"{float(ds['time_days'][-1]):.0f}")
