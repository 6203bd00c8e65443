"""Virtual multi-region bulk sequencing and the summary statistics of seeding inference.

Virtual sequencing (:func:`virtual_sequencing`), following SCIMET's sampling (Hu et al., Nat Genet
2019; Hu et al. 2019, SCIMET): each site gets ``regions[site]`` bulk samples; a region holds
``cells_per_region`` cells drawn at random from the site (its CCF of a mutation is
Binomial(cells, CCF)/cells; ``inf`` = the site's CCF exactly), its depth at each mutation is
negative binomial (size 2, mean 100: SCIMET's ``NegBin(2, 100)``), and the alternative reads are
Binomial(depth, VAF) with, for a heterozygous mutation on one copy (multiplicity 1) of a locus of
total copy number ``major_cn + minor_cn`` in a sample of purity p,

    VAF = CCF p / (p (major + minor) + normal_cn (1 - p))        (= CCF p / 2 for diploid loci).

``depth = inf`` gives the expected VAF exactly (alt = VAF x 1e12 reads). The output is the read
table PyClone-VI users know: ``mutation_id, sample_id, site, ref_counts, alt_counts, major_cn,
minor_cn, normal_cn, tumour_content, true_ccf`` (Gillis & Roth 2020).

Calling and CCF (:func:`site_calls`): the regions of a site are pooled (summed reads, as SCIMET
pools its four bulks); a mutation is called in a site when the pooled depth >= 20, alt reads >= 3
and VAF > 0.05 (SCIMET's thresholds); its CCF from reads inverts the VAF formula above with
multiplicity 1: CCF = VAF (p (major + minor) + normal_cn (1 - p)) / p.

Summary statistics (:func:`summary_statistics`; SCIMET ``set_compare``, Hu et al. 2019, SCIMET; docs/seeding.md):
S1-S4 primary-private mutations (called in the primary, not in the metastasis) with VAF >= 0.05,
0.1, 0.2, 0.3; S5-S8 the same for metastasis-private ones; S9 mutations with VAF >= 0.3 in the
metastasis called in the primary at VAF < 0.3; Lp, Lm: private mutations with CCF > 0.6 in their
site; H = Lm / (Lp + 1); shared, private and clonal counts. The neutral tail
(:func:`neutral_tail`): the cumulative number M(f) of mutations with VAF >= f, regressed on 1/f
over f in [0.12, 0.24] (Williams et al., Nat Genet 2016;48:238): slope = mu/beta for a neutral
tumour (docs/seeding.md; in VAF units, diploid, purity 1). The same functions read real
read tables (``true_ccf`` optional) and are vectorised (groupby / bincount, no loop over
mutations).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from metacascade.errors import DataError

Array = npt.NDArray[np.float64]

READ_COLUMNS = ["mutation_id", "sample_id", "site", "ref_counts", "alt_counts", "major_cn",
                "minor_cn", "normal_cn", "tumour_content", "true_ccf"]
#: SCIMET's depth law and calling thresholds (Hu et al. 2019, SCIMET).
DEPTH_MEAN, DEPTH_SIZE = 100.0, 2.0
MIN_DEPTH, MIN_ALT, MIN_VAF = 20, 3, 0.05
CUTOFFS = (0.05, 0.1, 0.2, 0.3)
CLONAL_CCF = 0.6
#: Williams et al. 2016 fit range of the neutral tail (VAF).
TAIL_RANGE = (0.12, 0.24)
#: Reads standing for infinite depth.
INFINITE_DEPTH_READS = 10**12


def _check_design(regions: Mapping[str, int], sites: Sequence[str], depth: float,
                  depth_size: float, purity: float | Mapping[str, float],
                  cells_per_region: float) -> dict[str, float]:
    for site, n in regions.items():
        if site not in sites:
            raise DataError(f"--regions: site {site!r} does not exist; sites: {', '.join(sites)}")
        if not isinstance(n, int | np.integer) or n < 1:
            raise DataError(f"--regions {site}:{n}: the number of regions must be an integer >= 1")
    if not regions:
        raise DataError("--regions: at least one site is needed")
    if not (depth > 0) or math.isnan(depth):
        raise DataError(f"--depth = {depth!r}: the mean depth must be > 0 (inf = exact)")
    if not (depth_size > 0 and math.isfinite(depth_size)):
        raise DataError(f"depth size = {depth_size!r}: must be > 0")
    if not (cells_per_region >= 1):
        raise DataError(f"cells per region = {cells_per_region!r}: must be >= 1 (inf = exact)")
    pur = {s: float(purity[s] if isinstance(purity, Mapping) else purity) for s in regions}
    for s, p in pur.items():
        if not (0 < p <= 1):
            raise DataError(f"--purity = {p!r} (site {s}): must be in (0, 1]")
    return pur


def check_design(regions: Mapping[str, int], sites: Sequence[str], *, depth: float = DEPTH_MEAN,
                 depth_size: float = DEPTH_SIZE, purity: float | Mapping[str, float] = 1.0,
                 cells_per_region: float = 1e4) -> dict[str, float]:
    """Refuse a sequencing design that cannot be honoured (a site that does not exist, fewer than
    one region, depth <= 0, purity outside (0, 1], ...) with a one-line
    :class:`~metacascade.errors.DataError`; returns the purity of every sequenced site."""
    return _check_design(regions, sites, depth, depth_size, purity, cells_per_region)


def vaf_from_ccf(ccf: npt.ArrayLike, purity: npt.ArrayLike, major_cn: npt.ArrayLike = 1,
                 minor_cn: npt.ArrayLike = 1, normal_cn: npt.ArrayLike = 2) -> Array:
    """Expected VAF of a multiplicity-1 mutation (see the module docstring)."""
    p = np.asarray(purity, dtype=np.float64)
    total = np.asarray(major_cn, dtype=np.float64) + np.asarray(minor_cn, dtype=np.float64)
    return np.asarray(np.asarray(ccf, dtype=np.float64) * p
                      / (p * total + np.asarray(normal_cn, dtype=np.float64) * (1 - p)),
                      dtype=np.float64)


def ccf_from_vaf(vaf: npt.ArrayLike, purity: npt.ArrayLike, major_cn: npt.ArrayLike = 1,
                 minor_cn: npt.ArrayLike = 1, normal_cn: npt.ArrayLike = 2) -> Array:
    """CCF = VAF (p (major + minor) + normal_cn (1 - p)) / p (multiplicity 1)."""
    p = np.asarray(purity, dtype=np.float64)
    total = np.asarray(major_cn, dtype=np.float64) + np.asarray(minor_cn, dtype=np.float64)
    return np.asarray(np.asarray(vaf, dtype=np.float64)
                      * (p * total + np.asarray(normal_cn, dtype=np.float64) * (1 - p)) / p,
                      dtype=np.float64)


def draw_depth(rng: np.random.Generator, size: int | tuple[int, ...], mean: float = DEPTH_MEAN,
               dispersion: float = DEPTH_SIZE) -> npt.NDArray[np.int64]:
    """Negative-binomial depths with the given mean and size (numpy's NB(n, p) with
    n = size, p = size / (size + mean)); ``mean = inf`` gives :data:`INFINITE_DEPTH_READS`."""
    if math.isinf(mean):
        return np.full(size, INFINITE_DEPTH_READS, dtype=np.int64)
    return np.asarray(rng.negative_binomial(dispersion, dispersion / (dispersion + mean), size),
                      dtype=np.int64)


def virtual_sequencing(mutations: pd.DataFrame, regions: Mapping[str, int],
                       rng: np.random.Generator, *, depth: float = DEPTH_MEAN,
                       depth_size: float = DEPTH_SIZE, purity: float | Mapping[str, float] = 1.0,
                       cells_per_region: float = 1e4, min_true_ccf: float = 0.01) -> pd.DataFrame:
    """Read counts of every mutation in every region, as bulk sequencing sees them (Hu et al. 2019).

    Each region is a sample of ``cells_per_region`` cells of its site; depth is negative
    binomial (mean ``depth``, size ``depth_size``), alt reads binomial in the expected VAF of
    the sample at its purity (the module docstring). Mutations whose true CCF is below
    ``min_true_ccf`` in every sequenced site are left out (SCIMET keeps true VAF > 0.005).

    Parameters
    ----------
    mutations : pandas.DataFrame
        A ``mutation_id`` column and one column of true CCFs (fractions) per site, as
        ``CellScalePatient.mutations()`` returns.
    regions : mapping of str to int
        Sites to sequence and the number of regions (samples) of each.
    rng : numpy.random.Generator
        The random stream.
    depth : float
        Mean read depth (reads per mutation).
    depth_size : float
        Size (dispersion) of the negative binomial depth (dimensionless).
    purity : float or mapping of str to float
        Tumour fraction of each sample (dimensionless, in (0, 1]), one value or per site.
    cells_per_region : float
        Number of cells in one region's sample.
    min_true_ccf : float
        Mutations below this true CCF (fraction) in every sequenced site are left out.

    Returns
    -------
    pandas.DataFrame
        One row per mutation and sample: ``mutation_id``, ``sample_id``, ``site``,
        ``ref_counts``, ``alt_counts``, copy numbers, ``purity`` and ``true_ccf``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import metacascade as mc
    >>> muts = pd.DataFrame({"mutation_id": ["m0", "m1"], "primary": [1.0, 0.3]})
    >>> reads = mc.virtual_sequencing(muts, {"primary": 1}, np.random.default_rng(1))
    """
    sites = [c for c in mutations.columns if c not in ("mutation_id", "clone_id")]
    pur = _check_design(regions, sites, depth, depth_size, purity, cells_per_region)
    seq_sites = list(regions)
    ccf_all = mutations[seq_sites].to_numpy(np.float64)
    keep = (ccf_all >= min_true_ccf).any(axis=1) if ccf_all.size else np.zeros(0, bool)
    ids = mutations["mutation_id"].to_numpy()[keep]
    ccf = ccf_all[keep]
    n = ids.size
    site_of_region = np.repeat(np.arange(len(seq_sites)), [regions[s] for s in seq_sites])
    n_reg = site_of_region.size
    true = ccf[:, site_of_region]  # (n, R)
    if math.isinf(cells_per_region):
        region_ccf = true
    else:
        cells = int(cells_per_region)
        region_ccf = rng.binomial(cells, np.clip(true, 0.0, 1.0)) / cells
    p = np.array([pur[seq_sites[i]] for i in site_of_region])
    vaf = vaf_from_ccf(region_ccf, p[None, :])
    dp = draw_depth(rng, (n, n_reg), depth, depth_size)
    alt = rng.binomial(dp, np.clip(vaf, 0.0, 1.0))
    reg_names = [f"{seq_sites[i]}_R{j + 1}" for i in range(len(seq_sites))
                 for j in range(regions[seq_sites[i]])]
    return pd.DataFrame({
        "mutation_id": np.repeat(ids, n_reg),
        "sample_id": np.tile(np.asarray(reg_names, dtype=object), n),
        "site": np.tile(np.asarray([seq_sites[i] for i in site_of_region], dtype=object), n),
        "ref_counts": (dp - alt).reshape(-1),
        "alt_counts": alt.reshape(-1),
        "major_cn": np.ones(n * n_reg, dtype=np.int64),
        "minor_cn": np.ones(n * n_reg, dtype=np.int64),
        "normal_cn": np.full(n * n_reg, 2, dtype=np.int64),
        "tumour_content": np.tile(p, n),
        "true_ccf": true.reshape(-1),
    })[READ_COLUMNS]


def check_reads(reads: pd.DataFrame) -> pd.DataFrame:
    """Validate a read table (simulated or a user's file): required columns, non-negative whole
    counts, purity in (0, 1]. ``true_ccf`` is optional. Returns the table (copy, typed)."""
    need = [c for c in READ_COLUMNS if c != "true_ccf"]
    missing = [c for c in need if c not in reads.columns]
    if missing:
        raise DataError(f"read table: missing column(s) {', '.join(missing)}; required: "
                        f"{', '.join(need)}")
    out = reads.copy()
    for c in ("ref_counts", "alt_counts", "major_cn", "minor_cn", "normal_cn"):
        v = pd.to_numeric(out[c], errors="coerce")
        bad = v.isna() | (v < 0) | (v != np.floor(v))
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise DataError(f"read table: column {c} row {row} = {out[c].iloc[row]!r}: must be a "
                            "whole number >= 0")
        out[c] = v.astype(np.int64)
    pur = pd.to_numeric(out["tumour_content"], errors="coerce")
    bad = ~((pur > 0) & (pur <= 1))
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(f"read table: tumour_content row {row} = {out['tumour_content'].iloc[row]!r}"
                        ": must be in (0, 1]")
    out["tumour_content"] = pur.astype(np.float64)
    return out


def site_calls(reads: pd.DataFrame, *, min_depth: int = MIN_DEPTH, min_alt: int = MIN_ALT,
               min_vaf: float = MIN_VAF) -> pd.DataFrame:
    """Per mutation and site (regions pooled): ``depth, alt, vaf, ccf, called`` and ``true_ccf``
    (mean over regions, if given). Index (mutation_id, site)."""
    r = check_reads(reads)
    r["depth"] = r["ref_counts"] + r["alt_counts"]
    r["total_cn"] = r["major_cn"] + r["minor_cn"]
    agg: dict[str, Any] = {"depth": ("depth", "sum"), "alt": ("alt_counts", "sum"),
                           "purity": ("tumour_content", "mean"), "total_cn": ("total_cn", "mean"),
                           "normal_cn": ("normal_cn", "mean")}
    if "true_ccf" in r.columns:
        agg["true_ccf"] = ("true_ccf", "mean")
    g = r.groupby(["mutation_id", "site"], sort=False).agg(**agg)
    with np.errstate(invalid="ignore", divide="ignore"):
        vaf = np.where(g["depth"] > 0, g["alt"] / g["depth"].where(g["depth"] > 0, 1), 0.0)
    g["vaf"] = vaf
    g["ccf"] = ccf_from_vaf(vaf, g["purity"], g["total_cn"], 0, g["normal_cn"])
    g["called"] = (g["depth"] >= min_depth) & (g["alt"] >= min_alt) & (g["vaf"] > min_vaf)
    return g


def _stats_from_arrays(vaf_p: Array, vaf_m: Array, ccf_p: Array, ccf_m: Array,
                       called_p: npt.NDArray[np.bool_], called_m: npt.NDArray[np.bool_],
                       group: npt.NDArray[np.int64], n_groups: int,
                       cutoffs: Sequence[float], clonal_ccf: float) -> dict[str, Array]:
    """The statistics for many pairs at once (``group`` = pair of each mutation; bincount)."""
    def count(mask: npt.NDArray[np.bool_]) -> Array:
        return np.bincount(group[mask], minlength=n_groups).astype(np.float64)

    priv_p = called_p & ~called_m
    priv_m = called_m & ~called_p
    out: dict[str, Array] = {}
    for i, c in enumerate(cutoffs):
        out[f"S{i + 1}"] = count(priv_p & (vaf_p >= c))
    for i, c in enumerate(cutoffs):
        out[f"S{len(cutoffs) + i + 1}"] = count(priv_m & (vaf_m >= c))
    out[f"S{2 * len(cutoffs) + 1}"] = count(called_m & (vaf_m >= 0.3) & called_p & (vaf_p < 0.3))
    out["Lp"] = count(priv_p & (ccf_p > clonal_ccf))
    out["Lm"] = count(priv_m & (ccf_m > clonal_ccf))
    out["H"] = out["Lm"] / (out["Lp"] + 1.0)
    out["shared"] = count(called_p & called_m)
    out["private_primary"] = count(priv_p)
    out["private_metastasis"] = count(priv_m)
    out["clonal_primary"] = count(called_p & (ccf_p > clonal_ccf))
    out["clonal_metastasis"] = count(called_m & (ccf_m > clonal_ccf))
    out["shared_clonal"] = count(called_p & called_m & (ccf_p > clonal_ccf)
                                 & (ccf_m > clonal_ccf))
    return out


def summary_statistics(reads: pd.DataFrame, primary: str = "primary",
                       metastasis: str | None = None, *, cutoffs: Sequence[float] = CUTOFFS,
                       clonal_ccf: float = CLONAL_CCF, min_depth: int = MIN_DEPTH,
                       min_alt: int = MIN_ALT, min_vaf: float = MIN_VAF) -> pd.Series:
    """SCIMET's summary statistics of one primary and one metastasis from reads (Hu et al. 2019).

    S1..S9, Lp, Lm (private clonal mutations), H = Lm / (Lp + 1) and the shared, private and
    clonal counts (the module docstring), from a read table of real or virtual sequencing.

    Parameters
    ----------
    reads : pandas.DataFrame
        A read table (:func:`metacascade.virtual_sequencing` or a file of the same columns).
    primary : str
        The primary's site.
    metastasis : str, optional
        The metastasis' site (default: the first other site of the table).
    cutoffs : sequence of float
        VAF cut-offs (each a fraction) of S1-S4 and S5-S8.
    clonal_ccf : float
        CCF (fraction) above which a mutation is clonal in its site.
    min_depth : int
        Fewest reads (count) for a mutation to be called in a sample.
    min_alt : int
        Fewest alt reads (count) for a call.
    min_vaf : float
        Lowest VAF (fraction) for a call.

    Returns
    -------
    pandas.Series
        The statistics by name (counts).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import metacascade as mc
    >>> muts = pd.DataFrame({"mutation_id": ["m0", "m1", "m2"], "primary": [1.0, 1.0, 0.0],
    ...                      "met": [1.0, 0.0, 1.0]})
    >>> reads = mc.virtual_sequencing(muts, {"primary": 1, "met": 1}, np.random.default_rng(1))
    >>> stats = mc.sequencing_statistics(reads, "primary", "met")
    """
    calls = site_calls(reads, min_depth=min_depth, min_alt=min_alt, min_vaf=min_vaf)
    sites = list(dict.fromkeys(calls.index.get_level_values("site")))
    if primary not in sites:
        raise DataError(f"summary statistics: site {primary!r} is not in the read table "
                        f"(sites: {', '.join(sites)})")
    if metastasis is None:
        others = [s for s in sites if s != primary]
        if not others:
            raise DataError("summary statistics: the read table has no metastasis site")
        metastasis = others[0]
    if metastasis not in sites:
        raise DataError(f"summary statistics: site {metastasis!r} is not in the read table "
                        f"(sites: {', '.join(sites)})")
    wide = calls[["vaf", "ccf", "called"]].unstack("site")
    def col(name: str, site: str, fill: Any) -> npt.NDArray[Any]:
        return np.asarray(wide[(name, site)].fillna(fill).to_numpy())

    vp, vm = col("vaf", primary, 0.0).astype(float), col("vaf", metastasis, 0.0).astype(float)
    cp, cm = col("ccf", primary, 0.0).astype(float), col("ccf", metastasis, 0.0).astype(float)
    kp = col("called", primary, False).astype(bool)
    km = col("called", metastasis, False).astype(bool)
    stats = _stats_from_arrays(vp, vm, cp, cm, kp, km, np.zeros(vp.size, dtype=np.int64), 1,
                               cutoffs, clonal_ccf)
    return pd.Series({k: float(v[0]) for k, v in stats.items()}, name=f"{primary}|{metastasis}")


def neutral_tail(reads: pd.DataFrame, site: str, *, f_range: tuple[float, float] = TAIL_RANGE,
                 n_points: int = 25, min_depth: int = MIN_DEPTH, min_alt: int = MIN_ALT,
                 min_vaf: float = MIN_VAF) -> dict[str, Any]:
    """The neutral tail of one site: M(f) = called mutations with VAF >= f at ``n_points`` values
    of f in ``f_range``, and the least-squares line M = slope / f + intercept with its R^2
    (Williams et al. 2016). Returns ``f, M, slope, intercept, r2``."""
    calls = site_calls(reads, min_depth=min_depth, min_alt=min_alt, min_vaf=min_vaf)
    try:
        here = calls.xs(site, level="site")
    except KeyError:
        raise DataError(f"neutral tail: site {site!r} is not in the read table") from None
    vaf = np.sort(here.loc[here["called"], "vaf"].to_numpy(np.float64))
    f = np.linspace(f_range[0], f_range[1], n_points)
    m = (vaf.size - np.searchsorted(vaf, f, side="left")).astype(np.float64)
    x = 1.0 / f
    slope, intercept = np.polyfit(x, m, 1)
    fit = slope * x + intercept
    ss_res = float(np.sum((m - fit) ** 2))
    ss_tot = float(np.sum((m - m.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return {"f": f, "M": m, "slope": float(slope), "intercept": float(intercept), "r2": r2}


def pair_summary_statistics(pair: npt.ArrayLike, ccf_primary: npt.ArrayLike,
                            ccf_metastasis: npt.ArrayLike, n_pairs: int,
                            rng: np.random.Generator, *, depth: float = DEPTH_MEAN,
                            depth_size: float = DEPTH_SIZE, purity: float = 1.0,
                            cells_per_region: float = 1e4, min_true_ccf: float = 0.01,
                            cutoffs: Sequence[float] = CUTOFFS,
                            clonal_ccf: float = CLONAL_CCF) -> pd.DataFrame:
    """The statistics of many simulated pairs at once (one pooled sample per site, as SCIMET's
    pooled bulks): a DataFrame with one row per pair. Inputs are the flat arrays of
    :class:`metacascade.engines.evolution.PairBatch`."""
    _check_design({"primary": 1}, ["primary"], depth, depth_size, purity, cells_per_region)
    g = np.asarray(pair, dtype=np.int64)
    cp_true = np.asarray(ccf_primary, dtype=np.float64)
    cm_true = np.asarray(ccf_metastasis, dtype=np.float64)
    keep = (cp_true >= min_true_ccf) | (cm_true >= min_true_ccf)
    g, cp_true, cm_true = g[keep], cp_true[keep], cm_true[keep]
    n = g.size
    both = np.stack([cp_true, cm_true], axis=1)
    if math.isinf(cells_per_region):
        reg = both
    else:
        cells = int(cells_per_region)
        reg = rng.binomial(cells, np.clip(both, 0, 1)) / cells
    vaf_true = vaf_from_ccf(reg, purity)
    dp = draw_depth(rng, (n, 2), depth, depth_size)
    alt = rng.binomial(dp, np.clip(vaf_true, 0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        vaf = np.where(dp > 0, alt / np.maximum(dp, 1), 0.0)
    called = (dp >= MIN_DEPTH) & (alt >= MIN_ALT) & (vaf > MIN_VAF)
    ccf = ccf_from_vaf(vaf, purity)
    stats = _stats_from_arrays(vaf[:, 0], vaf[:, 1], ccf[:, 0], ccf[:, 1], called[:, 0],
                               called[:, 1], g, n_pairs, cutoffs, clonal_ccf)
    return pd.DataFrame(stats)


def pair_exact_cut(beta: float, detection_ccf: float = 2 * MIN_VAF) -> float:
    """Tumour size (cells) below which the pair simulator records every clone: 9 / (beta x),
    x = the smallest callable CCF (0.1 = 2 x SCIMET's VAF 0.05), i.e. 300 cells at beta = 0.3.

    A mutation born at n cells that survives has a final CCF ~ Exp(mean 1 / (beta n)) (Durrett's
    W-limit; docs/seeding.md), so one born past the cut reaches x with probability at most
    exp(-beta x n) = e^-9 = 1.2e-4, and a founder-lineage one (size-biased, Gamma(2)) with
    (1 + 9) e^-9 = 1.2e-3: about 0.01 mu calls of either kind per pair, against tens of mutations
    in S1..S9. Mutations past the cut are dropped (the founder lineage's are drawn in number,
    clonal in the metastasis, at CCF 0 in the primary)."""
    if not (0 < beta <= 1 and 0 < detection_ccf <= 1):
        raise DataError(f"pair_exact_cut: beta = {beta!r} and detection_ccf = {detection_ccf!r} "
                        "must be in (0, 1]")
    return 9.0 / (beta * detection_ccf)


#: SCIMET's nine statistics (the default output of :class:`PairSimulator`).
SCIMET_STATISTICS = tuple(f"S{i}" for i in range(1, 10))


@dataclass(frozen=True)
class PairSimulator:
    """The seeding inference's simulator for one growth/selection ``model`` (NN, NS, SN, SS):
    ``simulator(theta, rng)`` with ``theta`` columns (seeding_cells (cells), mutation_rate
    (mutations per daughter cell)) returns one row of ``statistics`` per row of theta (pairs from
    :func:`metacascade.engines.evolution.simulate_pairs`, sequenced as one pooled sample per site
    at depth NegBin(2, ``depth``) and ``purity``). Clones are exact and their mutations recorded
    below ``exact_below_cells`` (default :func:`pair_exact_cut`: 9 / (beta x 0.1) = 300 cells at
    beta = 0.3; the statistics match those of a 3e3 cut, tests/test_pair_selection.py); mutations
    below ``min_true_ccf`` in both tumours are never called and are dropped before sequencing (as
    :func:`pair_summary_statistics` does). Picklable, so it runs on any executor."""

    model: str = "NN"
    statistics: tuple[str, ...] = SCIMET_STATISTICS
    depth: float = DEPTH_MEAN
    purity: float = 1.0
    beta: float = 0.3
    final_cells: float = 1e9
    exact_below_cells: float | None = None
    min_true_ccf: float = 0.01

    def __call__(self, theta: npt.ArrayLike, rng: np.random.Generator) -> Array:
        from metacascade.engines.evolution import simulate_pairs

        th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        if th.shape[1] != 2:
            raise DataError(f"theta must have 2 columns (seeding_cells, mutation_rate), got "
                            f"shape {th.shape}")
        n = th.shape[0]
        cut = self.exact_below_cells if self.exact_below_cells is not None \
            else pair_exact_cut(self.beta)
        batch = simulate_pairs(th[:, 1], th[:, 0], self.model, n, rng, beta=self.beta,
                               final_cells=self.final_cells, exact_below_cells=cut,
                               track_mutations_below_cells=cut,
                               min_ccf=self.min_true_ccf)
        stats = pair_summary_statistics(batch.pair, batch.ccf_primary, batch.ccf_metastasis, n,
                                        rng, depth=self.depth, purity=self.purity,
                                        min_true_ccf=self.min_true_ccf)
        missing = [s for s in self.statistics if s not in stats.columns]
        if missing:
            raise DataError(f"unknown statistic(s) {', '.join(missing)}; available: "
                            f"{', '.join(stats.columns)}")
        return np.asarray(stats[list(self.statistics)].to_numpy(np.float64))


def parse_regions(text: str) -> dict[str, int]:
    """``"primary:4,met1:4"`` -> ``{"primary": 4, "met1": 4}`` (``--regions``)."""
    out: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        site, sep, n = part.partition(":")
        if not part or not sep or not site.strip():
            raise DataError(f"--regions {text!r}: give SITE:N pairs separated by commas, e.g. "
                            "primary:4,met1:4")
        try:
            k = int(n)
        except ValueError:
            raise DataError(f"--regions {part!r}: the number of regions must be an integer "
                            ">= 1") from None
        if site.strip() in out:
            raise DataError(f"--regions: site {site.strip()!r} is given twice")
        out[site.strip()] = k
    return out


def sequence_run(result: Any, regions: Mapping[str, int], rng: np.random.Generator, *,
                 depth: float = DEPTH_MEAN, depth_size: float = DEPTH_SIZE,
                 purity: float = 1.0, cells_per_region: float = 1e4,
                 min_true_ccf: float = 0.01, source: str = "", seed: int = 0) -> Any:
    """Sequence a stochastic patient (:class:`~metacascade.result.cellscale.CellScaleResult`):
    true CCFs from its clone table, :func:`virtual_sequencing` of ``regions``, the summary
    statistics of every sequenced metastasis against the primary (when both are sequenced) and
    the neutral tail of every site. Returns a
    :class:`~metacascade.result.sequencing.SequencingResult`. The design is checked before
    anything is drawn (a :class:`~metacascade.errors.DataError` naming the value)."""
    from metacascade.engines.stochastic import PRIMARY, mutation_ccfs
    from metacascade.result.sequencing import SequencingResult

    sites = list(result.sites)
    _check_design(regions, sites, depth, depth_size, purity, cells_per_region)
    mets_table = getattr(result, "metastases", None)
    if mets_table is not None and len(mets_table):
        cells = dict(zip(mets_table["met_id"].astype(str), mets_table["cells_final"], strict=True))
        gone = [s for s in regions if s in cells and not cells[s] > 0]
        if gone:  # a metastasis that died out has no cells to biopsy
            alive = [m for m, c in cells.items() if c > 0]
            raise DataError(f"--regions: metastasis {gone[0]!r} died out (0 cells at the end of "
                            f"the run); metastases with cells: {', '.join(alive[:10]) or 'none'}"
                            + (" ..." if len(alive) > 10 else ""))
    mutations = mutation_ccfs(result.clones, list(regions))  # only the sequenced sites
    reads = virtual_sequencing(mutations, regions, rng, depth=depth, depth_size=depth_size,
                               purity=purity, cells_per_region=cells_per_region,
                               min_true_ccf=min_true_ccf)
    mets = [s for s in regions if s != PRIMARY]
    rows = []
    if PRIMARY in regions and len(reads):
        for m in mets:
            st = summary_statistics(reads, PRIMARY, m)
            rows.append({"primary": PRIMARY, "metastasis": m, **st.to_dict()})
    stats = pd.DataFrame(rows) if rows else pd.DataFrame(
        {"primary": pd.Series([], dtype=object), "metastasis": pd.Series([], dtype=object)})
    tails: dict[str, Any] = {}
    for s in regions:
        if len(reads):
            t = neutral_tail(reads, s)
            tails[s] = {"slope": t["slope"], "intercept": t["intercept"], "r2": t["r2"]}
    design = {"regions": dict(regions), "depth": depth, "depth_size": depth_size,
              "purity": purity, "cells_per_region": cells_per_region,
              "min_true_ccf": min_true_ccf, "source": source}
    return SequencingResult(reads=reads, statistics=stats, design=design, tails=tails,
                            scenario=result.scenario, seed=seed)
