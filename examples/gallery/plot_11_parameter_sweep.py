"""
A parameter sweep over mu and gamma
===================================

``mc.simulate_batch`` simulates many variants of a scenario together (the same growth laws and
output grid, any other values). Here a grid of the dissemination rate ``mu`` (per cell per day)
and the fractal exponent ``gamma`` (dimensionless; seeding rate ``mu V^gamma``, Iwata et al.
2000) of the ``breast`` scenario: how many metastases a patient carries when the primary is
detected.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import metacascade as mc

base = mc.load_scenario("breast")
mus = np.geomspace(1e-13, 1e-10, 7)
gammas = np.linspace(0.6, 1.0, 5)
grid = [(mu, gamma) for gamma in gammas for mu in mus]
variants = [mc.load_scenario(base, {"dissemination.mu": float(mu), "dissemination.gamma": float(g)})
            for mu, g in grid]
series, events = mc.simulate_batch(variants)
events.head()

# %%
at_detection = events["n_metastases_at_detection"].to_numpy().reshape(len(gammas), len(mus))
fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
mesh = ax.pcolormesh(mus, gammas, at_detection, norm="log", shading="nearest")
ax.set(xscale="log", xlabel="mu (per cell per day)", ylabel="gamma")
fig.colorbar(mesh, label="expected metastases at detection")
plt.show()
