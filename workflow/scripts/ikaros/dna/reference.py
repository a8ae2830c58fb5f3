"""Expected depth per bin, per-bin noise, and a sample's log2 copy ratios against it.

A *reference* says, for every panel bin, how many fragments a diploid sample of a given
library size should have there (capture efficiency, GC and mappability all fold into one
per-bin bias), how much that count scatters between samples beyond counting noise, and
which bins are too poor to use. It is built from, in order of preference:

- ``matched_normal``: the patient's own normal: its bias cancels the tumour's exactly, the
  noise model is borrowed from a panel-of-normals or cohort reference when one is given;
- ``panel_of_normals``: the cohort's normals without a patient;
- ``cohort``: the cohort's own tumours. Deletions at any one bin are a minority, so the
  per-bin *median* across tumours is a diploid estimate and the MAD a robust spread.

Model. With ``c`` the fragments in a bin, a sample's normalised log2 depth is
``l = log2(c + 0.5) - s`` where ``s`` (library size) is the copy-neutral level of
``log2(c + 0.5) - bias`` (``ikaros.dna.baseline``: the median of the control bins, or on
a panel with few of them a vote of its loci). The bias of a bin is the median of ``l``
across reference samples (iterated twice, starting from the per-bin median). The log2 ratio
of a sample is ``l - bias`` and its variance is

    var = excess + 1 / (ln2^2 * mu) + ref_var

where ``1 / (ln2^2 mu)`` is the Poisson (delta method) variance at the sample's expected
count ``mu = 2^(bias + s)``, ``excess`` the between-sample extra-Poisson variance of the bin
(robust variance across reference samples minus their Poisson part, shrunk towards the
panel-wide median so that a bin seen in few samples gets a sensible value), and ``ref_var``
the uncertainty of the bias itself (pi/2 var/n for a median of n, the full variance for a
single matched normal). A sample's variances are finally scaled up by its own noise factor
(the robust SD of successive z-score differences), so a noisy library does not make calls
it cannot support.

Sex. Non-PAR chrX bins of males carry half the copies; they are shifted by +1 (log2) in
males before pooling and when computing ratios, so every ratio is relative to the sample's
expected copy number. chrY bins are masked. Sex is taken from the samples sheet or
inferred from the non-PAR chrX depth.

Shared biases. Beyond a fixed per-bin bias, libraries differ in their response to bin
properties such as GC content (a per-sample slope on a per-bin covariate, which makes waves
along the chromosome). The leading principal components of the reference residuals capture
these directions (``bias_components``); each sample's projection on them is subtracted
(``remove_components``), as in panel-of-normals denoising.

Masking (reason in ``mask_reason``): median reference count below ``min_count`` (low), a
robust SD above ``max_sd`` log2 (noisy), chrY (sex chromosome).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.dna.baseline import copy_neutral_level, with_spread
from ikaros.dna.panel import PANEL_COLUMNS, validate_panel

REFERENCE_KINDS = ("matched_normal", "panel_of_normals", "cohort")
COVERAGE_COLUMNS = (*PANEL_COLUMNS, "fragments", "mean_depth")
REFERENCE_COLUMNS = (
    *PANEL_COLUMNS,
    "log2_expected",
    "excess_var",
    "ref_var",
    "masked",
    "mask_reason",
)
LN2_SQ = np.log(2.0) ** 2
PSEUDOCOUNT = 0.5
# Pseudo-autosomal region 1 on chrX, union of both builds (GRCh37 60,001-2,699,520;
# GRCh38 10,001-2,781,479): diploid in both sexes, so never sex-adjusted.
PAR1_X = (10_001, 2_781_479)
SHRINK_PRIOR_DF = 10.0
MAD_EFFICIENCY = 0.37


class CoverageError(ValueError):
    """A coverage or reference table breaks its format; the message says where and what."""


@dataclass
class Reference:
    """Per-bin expected log2 depth (library size 0), noise and mask, in panel order."""

    panel: pd.DataFrame
    log2_expected: np.ndarray
    excess_var: np.ndarray
    ref_var: np.ndarray
    masked: np.ndarray
    mask_reason: np.ndarray
    kind: str
    samples: tuple[str, ...]
    components: np.ndarray | None = None  # k x bins, log2 units; see remove_components

    def table(self) -> pd.DataFrame:
        out = self.panel.copy()
        out["log2_expected"] = np.round(self.log2_expected, 6)
        out["excess_var"] = np.round(self.excess_var, 8)
        out["ref_var"] = np.round(self.ref_var, 8)
        out["masked"] = np.where(self.masked, "true", "false")
        out["mask_reason"] = self.mask_reason
        for k, row in enumerate(self.component_matrix()):
            out[f"pc{k + 1}"] = np.round(row, 6)
        return out

    def component_matrix(self) -> np.ndarray:
        if self.components is None:
            return np.zeros((0, len(self.panel)))
        return np.atleast_2d(self.components)


# ---------------------------------------------------------------- reading coverage tables


def stack_coverage(
    tables: Mapping[str, pd.DataFrame], column: str = "fragments"
) -> tuple[pd.DataFrame, np.ndarray]:
    """Panel and a samples x bins count matrix; every table must have the same bins."""
    if not tables:
        raise CoverageError("no coverage tables given")
    names = list(tables)
    first = tables[names[0]]
    panel = first.loc[:, list(PANEL_COLUMNS)].reset_index(drop=True)
    rows = []
    for name in names:
        table = tables[name]
        if len(table) != len(panel) or not np.array_equal(
            table["bin_id"].to_numpy(), panel["bin_id"].to_numpy()
        ):
            raise CoverageError(
                f"coverage of sample {name}: bins differ from those of sample {names[0]} "
                "(all samples must be counted on the same panel)"
            )
        rows.append(table[column].to_numpy(dtype=float))
    return panel, np.vstack(rows)


# ---------------------------------------------------------------- bin classes and sex


def par1_bins(panel: pd.DataFrame) -> np.ndarray:
    start, end = PAR1_X
    return (
        (panel["chrom"].to_numpy() == "chrX")
        & (panel["end"].to_numpy() >= start)
        & (panel["start"].to_numpy() <= end)
    )


def sex_specific_x_bins(panel: pd.DataFrame) -> np.ndarray:
    return (panel["chrom"].to_numpy() == "chrX") & ~par1_bins(panel)


def autosomal_bins(panel: pd.DataFrame) -> np.ndarray:
    return ~np.isin(panel["chrom"].to_numpy(), ["chrX", "chrY"])


def sex_adjustment(panel: pd.DataFrame, male: bool) -> np.ndarray:
    """log2 shift that makes a bin diploid-equivalent: +1 on non-PAR chrX of males."""
    return np.where(sex_specific_x_bins(panel) & male, 1.0, 0.0)


def infer_male(counts: np.ndarray, panel: pd.DataFrame, log2_expected: np.ndarray | None = None):
    """Infer sex from depth: True for male, per sample (or a bool for a 1-D ``counts``).

    With chrY bins in the panel: male when their median count exceeds a tenth of the
    autosomal median (females have next to no chrY fragments). Otherwise from non-PAR
    chrX: male when its log2 depth relative to the autosomes is below -0.5, measured
    against ``log2_expected`` when given, else against the per-bin median across samples
    (which needs both sexes present to be informative). None when neither is possible.
    """
    single = np.ndim(counts) == 1
    counts = np.atleast_2d(counts)
    auto = autosomal_bins(panel)
    chr_y = panel["chrom"].to_numpy() == "chrY"
    if chr_y.any() and auto.any():
        male = np.median(counts[:, chr_y], axis=1) > 0.1 * np.median(counts[:, auto], axis=1)
    else:
        x_bins = sex_specific_x_bins(panel)
        if not x_bins.any() or not auto.any():
            return None
        logc = np.log2(counts + PSEUDOCOUNT)
        if log2_expected is not None:
            rel = logc - log2_expected
        elif len(logc) > 1:
            rel = logc - np.median(logc, axis=0)
        else:
            return None
        centre = np.median(rel[:, auto], axis=1, keepdims=True)
        x_level = np.median(rel[:, x_bins] - centre, axis=1)
        if log2_expected is None:
            # Relative to a cohort median of unknown sex mix: split at a wide gap.
            order = np.sort(x_level)
            gaps = np.diff(order)
            if not len(gaps) or gaps.max() < 0.5:
                return None
            male = x_level <= order[int(np.argmax(gaps))]
        else:
            male = x_level < -0.5
    return bool(male[0]) if single else male


# ---------------------------------------------------------------- building a reference


def _robust_sd(values: np.ndarray, axis: int = 0) -> np.ndarray:
    centre = np.nanmedian(values, axis=axis, keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(values - centre), axis=axis)


def _runs_below(resid: np.ndarray, panel: pd.DataFrame, loss_log2: float) -> np.ndarray:
    """Samples x bins: True where the running median of 5 neighbouring bins (same chromosome)
    is below ``loss_log2``: a loss in that sample, not noise of one bin."""
    frame = pd.DataFrame(resid.T)
    smooth = frame.groupby(panel["chrom"].to_numpy(), sort=False).transform(
        lambda column: column.rolling(5, center=True, min_periods=3).median()
    )
    return (smooth.to_numpy().T < loss_log2) & np.isfinite(resid)


def _library_sizes(
    logc: np.ndarray, bias: np.ndarray, panel: pd.DataFrame, usable: np.ndarray
) -> np.ndarray:
    """Each sample's copy-neutral log2 depth against ``bias`` (see ikaros.dna.baseline)."""
    return np.array([copy_neutral_level(row - bias, panel, usable).level for row in logc])


def build_reference(
    counts: np.ndarray,
    panel: pd.DataFrame,
    sample_ids: Sequence[str],
    kind: str,
    males: Sequence[bool | None] | None = None,
    min_count: float = 10.0,
    max_sd: float = 1.0,
    noise_from: Reference | None = None,
    loss_log2: float = -0.4,
    max_components: int = 3,
) -> Reference:
    """Reference from a samples x bins fragment-count matrix.

    ``kind`` is one of REFERENCE_KINDS; ``matched_normal`` takes exactly one sample and, as
    one sample cannot show between-sample scatter, borrows ``excess_var`` (and the noisy-bin
    mask) from ``noise_from`` when given, else assumes Poisson noise only. ``males`` gives
    each sample's sex (None: inferred). In a ``cohort`` reference (tumours), runs of bins whose
    running median lies below ``loss_log2`` in a sample (its losses) are left out of that bin's
    median and spread.
    """
    if kind not in REFERENCE_KINDS:
        raise ValueError(f"reference kind {kind!r}: expected one of {', '.join(REFERENCE_KINDS)}")
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    n, n_bins = counts.shape
    if n != len(sample_ids):
        raise ValueError(f"{n} count rows but {len(sample_ids)} sample ids")
    if n_bins != len(panel):
        raise ValueError(f"{n_bins} count columns but {len(panel)} panel bins")
    if kind == "matched_normal" and n != 1:
        raise ValueError(f"a matched-normal reference takes one sample, got {n}")
    if kind != "matched_normal" and n < 3:
        raise ValueError(
            f"a {kind} reference needs at least 3 samples, got {n} ({', '.join(sample_ids)}); "
            "use more samples or another reference kind"
        )
    inferred = infer_male(counts, panel)
    sexes = []
    for i in range(n):
        given = None if males is None else males[i]
        if given is None and inferred is not None:
            given = bool(np.atleast_1d(inferred)[i])
        sexes.append(bool(given))
    adjust = np.vstack([sex_adjustment(panel, m) for m in sexes])
    logc = np.log2(counts + PSEUDOCOUNT) + adjust

    chr_y = panel["chrom"].to_numpy() == "chrY"
    median_count = np.median(counts, axis=0)
    low = median_count < min_count
    usable = ~low & ~chr_y

    bias = np.median(logc, axis=0)
    if not (usable & autosomal_bins(panel)).any():
        raise CoverageError(
            f"reference from {', '.join(sample_ids)}: no autosomal bin has a median of "
            f"{min_count} fragments or more; the samples are too shallow for this panel"
        )
    for _ in range(2):
        sizes = _library_sizes(logc, bias, panel, usable)
        bias = np.median(logc - sizes[:, None], axis=0)
    sizes = _library_sizes(logc, bias, panel, usable)
    if kind == "cohort":
        # Losses in a minority of tumours still pull a median down (CDKN2A is lost in a
        # third of B-ALL): drop runs of bins lying clearly below the first estimate in a
        # sample, then take the median of what is left. Not for normals: they carry no
        # somatic loss, and dropping those lying low at a locus (a library's local bias,
        # which tumours share) would lift the median there and make tumours look deleted.
        lost = _runs_below(logc - sizes[:, None] - bias, panel, loss_log2)
        kept = np.where(lost, np.nan, logc - sizes[:, None])
        enough = np.sum(~lost, axis=0) >= max(3, n // 2)
        bias = np.where(enough, np.nanmedian(np.where(enough, kept, 0.0), axis=0), bias)
        sizes = _library_sizes(logc, bias, panel, usable)
        logc = np.where(lost & enough, np.nan, logc)
    resid = logc - sizes[:, None] - bias
    poisson = np.mean(1.0 / (LN2_SQ * (counts + PSEUDOCOUNT)), axis=0)
    n_used = np.sum(np.isfinite(resid), axis=0)

    if kind == "matched_normal":
        components = None if noise_from is None else noise_from.component_matrix()
    else:
        components = bias_components(resid, usable, max_components)
        k = len(components)
        if k:
            # Each sample's share of the shared biases is not noise, but components fitted
            # on a sample absorb some of its noise too: remove from each sample the
            # components fitted without it (leave one out), as a new sample will see them.
            base_var = np.nanvar(resid, axis=0) + 1e-6
            cleaned = np.empty_like(resid)
            for i in range(n):
                others = np.arange(n) != i
                own = bias_components(resid[others], usable, k, exactly=True)
                cleaned[i] = remove_components(resid[i], base_var, own, usable)
            resid = cleaned
    if kind == "matched_normal":
        if noise_from is not None:
            excess = noise_from.excess_var.copy()
            inherited_noisy = noise_from.mask_reason == "noisy"
        else:
            excess = np.zeros(n_bins)
            inherited_noisy = np.zeros(n_bins, dtype=bool)
        ref_var = poisson + excess
        noisy = inherited_noisy
    else:
        sd = _robust_sd(resid, axis=0) * np.sqrt(n / (n - 1.0))
        sd = np.where(np.isfinite(sd), sd, 0.0)
        raw_excess = np.maximum(sd**2 - poisson, 0.0)
        prior = float(np.median(raw_excess[usable])) if usable.any() else 0.0
        # A MAD-based variance carries about 37% of the information of the sample variance.
        df = MAD_EFFICIENCY * (n_used - 1.0)
        excess = (SHRINK_PRIOR_DF * prior + df * raw_excess) / (SHRINK_PRIOR_DF + df)
        ref_var = (np.pi / 2.0) * (excess + poisson) / np.maximum(n_used, 1)
        noisy = sd > max_sd

    reason = np.full(n_bins, "", dtype=object)
    reason[noisy] = "noisy"
    reason[low] = "low"
    reason[chr_y] = "sex_chromosome"
    masked = reason != ""
    return Reference(
        panel=panel.loc[:, list(PANEL_COLUMNS)].reset_index(drop=True),
        log2_expected=bias,
        excess_var=excess,
        ref_var=ref_var,
        masked=masked,
        mask_reason=reason.astype(str),
        kind=kind,
        samples=tuple(sample_ids),
        components=components,
    )


def bias_components(
    resid: np.ndarray, usable: np.ndarray, max_components: int, exactly: bool = False
) -> np.ndarray:
    """Shared bias directions of the reference residuals (k x bins, log2 units).

    Library preparation and capture leave sample-specific biases along fixed bin properties
    (GC content, fragment length): sample s gets slope_s x covariate_b, a low-rank pattern
    the per-bin median cannot remove. As in panel-of-normals denoising (the tangent/PCA
    normalisation of GATK and CNVkit), the leading right-singular vectors of the residual
    matrix (bins scaled to unit robust SD) are those directions. A component is kept only if
    its squared singular value exceeds 1.5 times the Marchenko-Pastur edge of pure noise,
    (sqrt(n) + sqrt(p))^2, and at most ``max_components`` (and n - 2) are kept
    (``exactly``: keep ``max_components`` whatever their size).
    """
    n = resid.shape[0]
    out = np.zeros((0, resid.shape[1]))
    if n < 4 or max_components < 1 or usable.sum() < 20:
        return out
    block = np.nan_to_num(resid[:, usable])
    scale = _robust_sd(block, axis=0)
    scale = np.where(scale > 0, scale, np.median(scale[scale > 0]) if (scale > 0).any() else 1)
    z = block / scale
    z = z - z.mean(axis=0)
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    edge = (np.sqrt(n) + np.sqrt(z.shape[1])) ** 2
    k = int(min(max_components, n - 2, np.sum(singular**2 > 1.5 * edge)))
    if exactly:
        k = int(min(max_components, len(singular)))
    if k == 0:
        return out
    comps = np.zeros((k, resid.shape[1]))
    comps[:, usable] = vt[:k] * scale
    # Fix the sign so that tables are reproducible byte for byte.
    signs = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    return comps * signs[:, None]


def remove_components(
    ratio: np.ndarray, var: np.ndarray, components: np.ndarray | None, usable: np.ndarray
) -> np.ndarray:
    """Subtract a sample's projection on the bias components (weighted least squares on the
    usable bins, refitted once without bins more than 3 SD off so that the sample's own
    copy-number changes do not steer the fit)."""
    if components is None or len(components) == 0:
        return ratio
    use = usable & np.isfinite(ratio)
    a = components[:, use].T
    w = np.sqrt(1.0 / var[use])
    y = ratio[use]
    keep = np.ones(len(y), dtype=bool)
    for _ in range(2):
        coef, *_ = np.linalg.lstsq(a[keep] * w[keep, None], y[keep] * w[keep], rcond=None)
        fitted = a @ coef
        keep = np.abs((y - fitted) * w) < 3.0
        if keep.sum() < a.shape[1] + 10:
            break
    return ratio - components.T @ coef


def write_reference(reference: Reference, path: str | Path) -> None:
    table = reference.table()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        handle.write(f"# reference_kind={reference.kind}\n")
        handle.write(f"# samples={','.join(reference.samples)}\n")
        table.to_csv(handle, sep="\t", index=False)


def read_reference(path: str | Path) -> Reference:
    path = Path(path)
    if not path.is_file():
        raise CoverageError(f"{path}: reference table not found")
    kind, samples = "", ()
    with open(path) as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition("=")
            if key == "reference_kind":
                kind = value
            elif key == "samples":
                samples = tuple(s for s in value.split(",") if s)
    if kind not in REFERENCE_KINDS:
        raise CoverageError(
            f"{path}: header line '# reference_kind=' must be one of {', '.join(REFERENCE_KINDS)}"
        )
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment="#")
    missing = [c for c in REFERENCE_COLUMNS if c not in table.columns]
    if missing:
        raise CoverageError(f"{path}: missing column(s) {', '.join(missing)}")
    panel = validate_panel(table, source=str(path))
    numbers = {}
    for column in ("log2_expected", "excess_var", "ref_var"):
        values = pd.to_numeric(table[column], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().nonzero()[0][0])
            raise CoverageError(
                f"{path}: row {row + 2}, column {column}: expected a number, "
                f"got {table[column].iloc[row]!r}"
            )
        numbers[column] = values.to_numpy(dtype=float)
    bad = ~table["masked"].isin(["true", "false"])
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise CoverageError(f"{path}: row {row + 2}, column masked: expected true or false")
    pcs = [c for c in table.columns if c.startswith("pc") and c[2:].isdigit()]
    pcs.sort(key=lambda c: int(c[2:]))
    components = np.vstack(
        [pd.to_numeric(table[c], errors="raise").to_numpy(dtype=float) for c in pcs]
    ) if pcs else None  # fmt: skip
    return Reference(
        components=components,
        panel=panel,
        log2_expected=numbers["log2_expected"],
        excess_var=numbers["excess_var"],
        ref_var=numbers["ref_var"],
        masked=(table["masked"] == "true").to_numpy(),
        mask_reason=table["mask_reason"].to_numpy(dtype=str),
        kind=kind,
        samples=samples,
    )


# ---------------------------------------------------------------- a sample's log2 ratios


def log2_ratios(
    counts: np.ndarray,
    reference: Reference,
    male: bool | None = None,
    extra_mask: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-bin log2 copy ratio of one sample with its variance, z-score and mask.

    Returns the panel columns plus: fragments, expected (fragments a diploid sample of this
    library size would have), log2 (ratio), var, z (log2 / sqrt(var)), masked (bool),
    mask_reason. The frame's ``attrs`` carry ``library_log2`` (with its SE ``library_se``),
    ``noise_scale`` and ``male``.
    """
    counts = np.asarray(counts, dtype=float)
    panel = reference.panel
    if counts.shape != (len(panel),):
        raise ValueError(f"{counts.shape[0]} counts for a reference of {len(panel)} bins")
    if male is None:
        inferred = infer_male(counts, panel, reference.log2_expected)
        male = bool(inferred) if inferred is not None else False
    logc = np.log2(counts + PSEUDOCOUNT) + sex_adjustment(panel, male)
    masked = reference.masked.copy()
    reason = reference.mask_reason.astype(object).copy()
    if extra_mask is not None:
        newly = extra_mask & ~masked
        reason[newly] = "low"
        masked |= extra_mask
    if not (~masked & autosomal_bins(panel)).any():
        raise CoverageError("every autosomal bin is masked; cannot estimate library size")
    baseline = copy_neutral_level(logc - reference.log2_expected, panel, ~masked)
    size, norm = baseline.level, baseline.bins
    expected_log2 = reference.log2_expected + size - sex_adjustment(panel, male)
    mu = np.power(2.0, expected_log2)
    ratio = logc - size - reference.log2_expected
    var = reference.excess_var + 1.0 / (LN2_SQ * (mu + PSEUDOCOUNT)) + reference.ref_var
    baseline = with_spread(baseline, logc - reference.log2_expected, panel, ~masked, var)
    ratio = remove_components(ratio, var, reference.component_matrix(), ~masked)
    z = ratio / np.sqrt(var)
    scale = noise_scale(z, panel, masked)
    var = var * scale**2
    out = panel.copy()
    out["fragments"] = counts
    out["expected"] = np.round(mu, 3)
    out["log2"] = ratio
    out["var"] = var
    out["z"] = ratio / np.sqrt(var)
    out["masked"] = masked
    out["mask_reason"] = reason.astype(str)
    # The library size is itself an estimate (a median over the normalisation bins); its
    # error shifts every bin of the sample alike, so it adds to a segment's SE, not a bin's.
    library_se = float(np.sqrt(np.pi / 2.0 * np.median(var[norm]) / norm.sum()))
    out.attrs.update(
        library_log2=size,
        library_se=library_se,
        noise_scale=scale,
        male=bool(male),
        baseline=baseline.basis,
        baseline_ambiguous=baseline.ambiguous,
        baseline_spread=baseline.spread,
    )
    return out


def noise_scale(z: np.ndarray, panel: pd.DataFrame, masked: np.ndarray) -> float:
    """How much noisier this sample is than the reference predicts (>= 1).

    Robust SD of differences of successive z-scores on the same chromosome, over sqrt(2):
    copy-number steps are rare between neighbours, so this measures noise, not lesions.
    """
    keep = ~masked
    zz = z[keep]
    chrom = panel["chrom"].to_numpy()[keep]
    same = chrom[1:] == chrom[:-1]
    diffs = np.diff(zz)[same]
    if len(diffs) < 10:
        return 1.0
    sd = 1.4826 * np.median(np.abs(diffs - np.median(diffs))) / np.sqrt(2.0)
    return float(max(1.0, sd))
