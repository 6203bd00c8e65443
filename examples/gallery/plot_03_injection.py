"""
An injection experiment: what becomes of cells injected into a vein
====================================================================

``mc.inject`` follows injected cells one by one through the steps of the cascade (arrest in
the first capillary bed, extravasation, death, dormancy, micro- and macrometastasis), as in the
videomicroscopy experiments of Luzzi et al. (1998) and Cameron et al. (2000). The result
(:class:`metacascade.InjectionResult`) holds the fraction of the cells in each state over time;
its summary compares the simulated efficiency with the exact expectation of the same chain.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd

import metacascade as mc

result = mc.inject(20_000, "portal-vein", 90.0, seed=1)
fates = result.to_dataframe()
fates.tail()

# %%
# Fractions of the injected cells in each state (they are mutually exclusive and sum to one).
fig, ax = plt.subplots(figsize=(7.5, 4), layout="constrained")
for state in fates.columns[1:]:
    ax.plot(fates["time_days"], fates[state], label=state.replace("_", " "))
ax.set(xscale="symlog", yscale="log", ylim=(1e-5, 1.1), xlabel="days after injection",
       ylabel="fraction of injected cells")
ax.legend(ncols=2, fontsize="small")
plt.show()

# %%
# Simulated against expected: macroscopic tumours per injected cell at the end.
s = result.summary
print(f"simulated {s['overall_efficiency']:.2e}, expected {s['overall_efficiency_expected']:.2e}, "
      f"eventually {s['eventual_efficiency_expected']:.2e}")

# %%
# The three routes side by side: tail vein (lungs first), portal vein (liver first) and
# intracardiac (the arterial circulation).
routes = ("tail-vein", "portal-vein", "intracardiac")
alive = {}
for route in routes:
    by_organ = mc.inject(20_000, route, 90.0, seed=2).by_organ
    last = by_organ[by_organ["time_days"] == by_organ["time_days"].max()].set_index("organ")
    alive[route] = last.drop(columns="time_days").sum(axis=1)
alive = pd.DataFrame(alive)
alive = alive[(alive > 0).any(axis=1)]
ax = alive.plot.bar(figsize=(7, 3.6), rot=0, logy=True)
ax.set(xlabel="", ylabel="alive cells per injected cell\nat day 90")
plt.show()
