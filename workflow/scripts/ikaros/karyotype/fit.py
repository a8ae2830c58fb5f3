"""Integer copy numbers per arm: a joint fit of tumour cell fraction, baseline and arm states.

A tumour with cell fraction f and, on an arm, c copies of which m are of the minor allele, mixed
with normal cells of n copies (2; 1 for chrX and chrY in males), gives (as in ASCAT, Van Loo et
al. PNAS 2010)

    log2 ratio = log2((f c + n (1 - f)) / ((n / 2) (f c0 + 2 (1 - f)))) + shift
    B-allele fraction of a heterozygous SNP = (f m + (1 - f)) / (f c + 2 (1 - f))   (or 1 - it)

where c0 is the tumour's copy number at the sample's log2 zero (2 in most tumours; 1 in a near
haploid one, whose median chromosome is monosomic) and `shift` absorbs a small centring error.
The SNP allele counts are a mixture of heterozygous SNPs (binomial at the fraction above or its
mirror) and homozygous ones (binomial at 1 - error); the mixing weight is free per arm. A
tumour-only caller's SNPs thus need no genotype filter (see ``ikaros.variants.snps``).

For every f on a grid (within `blast_tolerance` of the blast fraction when it is known), every
c0 and every shift, each arm takes its most likely (c, m); the score is the sum over arms of the
log-likelihoods (log2 level normal with sd `log2_sd`; SNP counts binomial) minus
`change_penalty` per allele copy gained or lost from the normal state (so (4, 1) costs three,
(3, 1) one), minus `baseline_penalty` for c0 other than 2. The penalties make the simplest
karyotype win ties: without them any profile fits at a low enough cell fraction, and at a low
one a (4, 1) arm gives the allele fraction of a (1, 0) arm. A clone and its doubling (masked
hypodiploidy) fit alike at different cell fractions; the undoubled one is simpler, unless the
blast fraction rules its cell fraction out or lies nearer the doubling's (`nearest_the_blasts`).
Without SNPs, m is unknown and left out.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
from scipy.special import gammaln

# Baselines: the copy number at log2 zero. 2: diploid-based karyotypes; 1: near haploid;
# 3 and 4: near-triploid and near-tetraploid clones whose median chromosome has 3 or 4 copies.
BASELINES = (1, 2, 3, 4)
HET_WEIGHTS = np.array([0.2, 0.45, 0.7, 0.95])


@dataclass(frozen=True)
class KaryotypeSettings:
    log2_sd: float = 0.06
    change_penalty: float = 3.0
    baseline_penalty: float = 2.0
    max_copies: int = 8
    purity_min: float = 0.1
    purity_step: float = 0.02
    blast_tolerance: float = 0.15
    max_shift: float = 0.08
    min_coverage: float = 0.5
    min_snps: int = 20
    max_snps_per_arm: int = 400
    hom_error: float = 0.01
    # a trisomy must move the median arm this many noise SDs in the tumour's cells (the blast
    # fraction, else the fitted one, else one half) for the count to be given
    min_separation: float = 3.0
    # a change is listed (and its genes taken as lost) only where its arm's own data fit it
    # this many log-likelihood units better than the arm's normal state (change_support)
    min_change_support: float = 6.0
    # another baseline's fit scoring this close, with another class: the class is undetermined
    ambiguity_margin: float = 3.0
    # a clone and its doubling: the blast fraction must lie this much nearer one reading's
    # cell fraction to choose it (nearest_the_blasts)
    doubling_margin: float = 0.05

    @classmethod
    def from_config(cls, settings: dict | None) -> KaryotypeSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (settings or {}).items() if k in known})


@dataclass(frozen=True)
class ArmData:
    """One assessable arm: its level, normal copies and SNP allele counts (may be empty)."""

    log2: float
    normal_copies: int
    se: float  # the level's own standard error (NaN: unknown, `log2_sd` alone)
    alt_reads: np.ndarray
    depth: np.ndarray


@dataclass(frozen=True)
class Fit:
    purity: float
    baseline: int
    shift: float
    copies: np.ndarray  # per arm
    minor: np.ndarray  # per arm; -1 where there are no SNPs
    score: float
    has_snps: np.ndarray  # per arm
    runner_up_baseline: int | None
    runner_up_margin: float  # score of the best fit of another baseline, below this one
    data_score: float = 0.0  # the log-likelihood of the data alone, without the penalties
    alternatives: tuple = ()  # the best Fit of each other baseline, best first

    def expected_log2(self, copies: np.ndarray, normal_copies: np.ndarray) -> np.ndarray:
        return expected_log2(self.purity, self.baseline, self.shift, copies, normal_copies)


def expected_log2(f, baseline, shift, copies, normal_copies):
    copies = np.asarray(copies, dtype=float)
    normal = np.asarray(normal_copies, dtype=float)
    ratio = (f * copies + normal * (1 - f)) / ((normal / 2) * (f * baseline + 2 * (1 - f)))
    return np.log2(np.maximum(ratio, 1e-6)) + shift


def states(max_copies: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(c, m) for c in range(max_copies + 1) for m in range(c // 2 + 1)]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def purity_grid(settings: KaryotypeSettings, blast_fraction: float | None) -> np.ndarray:
    grid = np.round(np.arange(settings.purity_min, 1.0 + 1e-9, settings.purity_step), 4)
    if blast_fraction is not None and np.isfinite(blast_fraction):
        near = np.abs(grid - blast_fraction) <= settings.blast_tolerance + 1e-9
        if near.any():
            grid = grid[near]
    return grid


def _snp_loglik(arm: ArmData, grid, copies, minor, settings) -> np.ndarray:
    """Log-likelihood of the arm's SNP counts (at most `max_snps_per_arm` of them, evenly
    spaced) for every (purity, state): shape (f, states)."""
    alt, depth = subsample(arm.alt_reads, arm.depth, settings.max_snps_per_arm)
    k, n = alt.astype(float), depth.astype(float)
    log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    f = grid[:, None]
    beta = (f * minor + (1 - f)) / np.maximum(f * copies + 2 * (1 - f), 1e-9)
    beta = np.clip(beta, 1e-4, 1 - 1e-4)[..., None]  # (f, s, 1)
    het = np.logaddexp(
        k * np.log(beta) + (n - k) * np.log1p(-beta), k * np.log1p(-beta) + (n - k) * np.log(beta)
    ) + np.log(0.5)
    hom = k * np.log1p(-settings.hom_error) + (n - k) * np.log(settings.hom_error)
    w = HET_WEIGHTS[:, None, None, None]
    mixture = np.logaddexp(np.log(w) + het[None], np.log1p(-w) + hom[None, None, None, :])
    per_weight = mixture.sum(axis=-1) + log_choose.sum()  # (w, f, s)
    return per_weight.max(axis=0)


def arm_sd(arms: list[ArmData], settings: KaryotypeSettings) -> np.ndarray:
    """Each arm's level noise: `log2_sd` combined with the level's own standard error."""
    se = np.array([a.se for a in arms], dtype=float)
    return np.sqrt(settings.log2_sd**2 + np.where(np.isfinite(se), se, 0.0) ** 2)


def smallest_visible_fraction(arms: list[ArmData], settings: KaryotypeSettings) -> float:
    """The smallest cell fraction whose trisomy moves the median arm `min_separation` SDs.

    By level: a trisomy in a fraction f of cells raises an arm by log2(1 + f / 2). By allele
    fraction (arms with SNPs): it moves a heterozygous SNP's mirrored fraction from 1/2 to
    (1 + f) / (2 + f), that is by f / (2 (2 + f)), against the SD of the mean over the arm's
    heterozygous-looking SNPs (0.1 < b < 0.9), sqrt(1 / (4 depth)) / sqrt(n). The smaller wins.
    """
    k = settings.min_separation
    by_level = 2.0 * (2.0 ** (k * float(np.median(arm_sd(arms, settings)))) - 1.0)
    sds = []
    for arm in arms:
        if arm.normal_copies != 2 or len(arm.alt_reads) < settings.min_snps:
            continue
        fraction = arm.alt_reads / np.maximum(arm.depth, 1)
        het = (fraction > 0.1) & (fraction < 0.9)
        if het.sum() >= settings.min_snps:
            sds.append(np.sqrt(0.25 / np.mean(arm.depth[het])) / np.sqrt(het.sum()))
    if len(sds) < 10:
        return by_level
    shift = k * float(np.median(sds))
    by_alleles = 4 * shift / (1 - 2 * shift) if shift < 0.5 else np.inf
    return min(by_level, by_alleles)


def _event_distance(copies, minor, normal, has_snps) -> np.ndarray:
    """Allele copies gained or lost from the normal state, per (arm, state).

    From (2, 1): (1, 0) is one loss, (3, 1) one gain, (2, 0) a loss and a gain (copy-neutral
    LOH), (4, 1) three events. Arms without SNPs count copies only; a normal single copy
    (male chrX) likewise.
    """
    allelic = np.abs(minor - 1) + np.abs(copies - minor - 1)
    by_copies = np.abs(copies[None, :] - normal[:, None])
    return np.where((has_snps & (normal == 2))[:, None], allelic[None, :], by_copies)


def subsample(alt: np.ndarray, depth: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `limit` SNPs, evenly spaced along the arm (deterministic)."""
    if len(alt) <= limit:
        return alt, depth
    keep = np.linspace(0, len(alt) - 1, limit).round().astype(int)
    return alt[keep], depth[keep]


def fit_karyotype(
    arms: list[ArmData], settings: KaryotypeSettings, blast_fraction: float | None = None
) -> Fit:
    copies, minor = states(settings.max_copies)
    grid = purity_grid(settings, blast_fraction)
    shifts = np.round(np.arange(-settings.max_shift, settings.max_shift + 1e-9, 0.02), 4)
    n_arms = len(arms)
    has_snps = np.array(
        [len(a.alt_reads) >= settings.min_snps and a.normal_copies == 2 for a in arms]
    )
    snp_ll = np.zeros((n_arms, len(grid), len(copies)))
    for i, arm in enumerate(arms):
        if has_snps[i]:
            snp_ll[i] = _snp_loglik(arm, grid, copies, minor, settings)
    # without SNPs the minor allele is unknown: score each copy number once (m = 0 stands in)
    no_snp_state = minor == 0
    levels = np.array([a.log2 for a in arms])
    sd = arm_sd(arms, settings)
    normal = np.array([a.normal_copies for a in arms])
    best: dict[int, tuple[float, tuple]] = {}
    penalty = settings.change_penalty * _event_distance(copies, minor, normal, has_snps)
    allowed = has_snps[:, None] | no_snp_state[None, :]
    rows = np.arange(n_arms)
    for baseline in BASELINES:
        for fi, f in enumerate(grid):
            expected = expected_log2(f, baseline, 0.0, copies[None, :], normal[:, None])
            # every shift at once: (shift, arm, state)
            resid = (levels[None, :, None] - expected[None] - shifts[:, None, None]) / sd[:, None]
            data = -0.5 * resid**2 + snp_ll[None, :, fi, :]
            ll = np.where(allowed[None], data - penalty[None], -np.inf)
            choice = ll.argmax(axis=2)  # (shift, arm)
            scores = np.take_along_axis(ll, choice[..., None], axis=2)[..., 0].sum(axis=1)
            k = int(scores.argmax())  # the first best shift, as a loop over shifts would keep
            score = float(scores[k]) - settings.baseline_penalty * (baseline != 2)
            if baseline not in best or score > best[baseline][0] + 1e-9:
                data_score = float(data[k, rows, choice[k]].sum())
                best[baseline] = (score, (f, float(shifts[k]), choice[k], data_score))
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0] != 2))

    def as_fit(baseline, score, f, shift, choice, data_score, alternatives=()):
        others = [b for b, _ in ranked if b != baseline]
        return Fit(
            purity=float(f),
            baseline=int(baseline),
            shift=float(shift),
            copies=copies[choice],
            minor=np.where(has_snps, minor[choice], -1),
            score=score,
            has_snps=has_snps,
            runner_up_baseline=others[0] if others else None,
            runner_up_margin=float(score - best[others[0]][0]) if others else float("inf"),
            data_score=data_score,
            alternatives=alternatives,
        )

    others = tuple(as_fit(b, sc, *rest) for b, (sc, rest) in ranked[1:])
    baseline, (score, rest) = ranked[0]
    return as_fit(baseline, score, *rest, alternatives=others)


def change_support(arms: list[ArmData], fit: Fit, settings: KaryotypeSettings) -> np.ndarray:
    """Per arm: how much better its own data (level and SNP allele counts) fit its state than
    its normal state (its normal copies, one of two of the minor allele), in log-likelihood
    units at the fit's cell fraction and shift; 0 for an arm at its normal state.

    The fit chooses the cell fraction and shift that explain all arms together, so in a tumour
    of few changes it may choose a low cell fraction at which an arm's noise passes for a
    change: an arm that its own data barely prefer changed is the coin toss of that choice."""
    support = np.zeros(len(arms))
    sd = arm_sd(arms, settings)
    grid = np.array([fit.purity])
    for i, arm in enumerate(arms):
        copies = np.array([fit.copies[i], arm.normal_copies])
        minor = np.array([fit.minor[i], 1])
        if copies[0] == copies[1] and (not fit.has_snps[i] or minor[0] == 1):
            continue
        expected = fit.expected_log2(copies, np.full(2, arm.normal_copies))
        loglik = -0.5 * ((arm.log2 - expected) / sd[i]) ** 2
        if fit.has_snps[i]:
            loglik = loglik + _snp_loglik(arm, grid, copies, minor, settings)[0]
        support[i] = float(loglik[0] - loglik[1])
    return support


def doubled(fit: Fit, factor: float) -> Fit | None:
    """The exact doubling (``factor`` 2) or halving (0.5) of a reading: every arm's copies and
    minor copies and the baseline times the factor, at the cell fraction that keeps every level
    and allele fraction: f / (2 - f) for a doubling, 2f / (1 + f) for a halving. None where
    the halving leaves half copies."""
    f = fit.purity
    if factor == 2:
        purity = f / (2 - f)
    elif (fit.copies % 2 == 0).all() and (fit.minor[fit.minor >= 0] % 2 == 0).all():
        purity = 2 * f / (1 + f)
    else:
        return None
    minor = np.where(fit.minor >= 0, (fit.minor * factor).astype(int), -1)
    return replace(
        fit, purity=float(purity), baseline=int(fit.baseline * factor),
        copies=(fit.copies * factor).astype(int), minor=minor,
    )  # fmt: skip


def nearest_the_blasts(
    fit: Fit, blast_fraction: float | None, settings: KaryotypeSettings
) -> tuple[Fit, str, bool]:
    """Between a clone and its doubling (or halving), the reading whose cell fraction is
    nearer the blast fraction, why, and whether the blasts decided it.

    A hypodiploid clone at cell fraction f and its doubling at f / (2 - f) give exactly the
    same depth and allele fractions at every chromosome (one copy against two, LOH, and two
    heterozygous copies against four): the data cannot choose (the fit's own scores differ only
    by where the purity grid falls), and the change penalty prefers the clone with fewer
    changes, the undoubled one. But the doubled clone has lost nothing, and the genes it seems
    to lose (IKZF1 with chromosome 7, CDKN2A and PAX5 with 9) matter downstream. The blast
    fraction is the one measure that tells them apart: the reading nearest it is taken when the
    other lies ``doubling_margin`` further away. The two cell fractions differ by
    f (1 - f) / (2 - f) (0.15 at f = 0.6, 0.08 at 0.9, 0.05 at 0.95), so near-pure clones
    stay undecided (the fit's reading is kept, its losses in doubt)."""
    readings = [r for r in (doubled(fit, 2), doubled(fit, 0.5)) if r is not None]
    if blast_fraction is None or not np.isfinite(blast_fraction):
        return fit, "a doubling fits alike and no blast fraction tells them apart", False
    ranked = sorted([fit, *readings], key=lambda r: abs(r.purity - blast_fraction))
    best, runner_up = ranked[0], ranked[1]
    decided = abs(runner_up.purity - blast_fraction) - abs(best.purity - blast_fraction) >= (
        settings.doubling_margin
    )
    chosen = best if decided else fit
    other = runner_up if best is fit else best
    kind = "doubling" if other.baseline > fit.baseline else "halving"
    note = (
        f"the clone at cell fraction {fit.purity:.2f} and its {kind} at {other.purity:.2f} fit "
        "the depth and allele fractions alike; "
        + (
            f"the one nearer the blasts ({blast_fraction:.2f}) is given"
            if decided
            else f"the blasts ({blast_fraction:.2f}) do not tell them apart (by less than "
            f"{settings.doubling_margin:.2f}): the copies are the fit's, its losses undecided"
        )
    )
    if chosen is fit:
        return fit, note, decided
    return replace(chosen, alternatives=(fit, *fit.alternatives)), note, decided


def one_copy_apart(
    fit: Fit, normal_copies: np.ndarray, levels: np.ndarray, step: int
) -> Fit | None:
    """The reading of the same depth profile with one copy more (`step` +1) or fewer (-1) of
    every chromosome, or None where it cannot be (a chromosome at no copies, a cell fraction
    above 1). With c -> c + 1, cell fraction f -> 2f / (2 - f) and the baseline one higher,
    every autosomal level stays exactly the same (c -> c - 1: f -> 2f / (2 + f)); arms of one
    normal copy (a male's chrX) take their nearest copy number under the new reading. Only
    allele fractions tell the two apart."""
    f = fit.purity
    purity = 2 * f / (2 - f) if step > 0 else 2 * f / (2 + f)
    baseline = fit.baseline + step
    copies = fit.copies + step
    if purity > 1 or baseline < 1 or (copies[normal_copies == 2] < 1).any():
        return None
    alternative = replace(fit, purity=float(purity), baseline=int(baseline), copies=copies)
    haploid = normal_copies == 1
    if haploid.any():
        candidates = np.arange(fit.copies.max() + 3)
        expected = alternative.expected_log2(candidates, np.ones(len(candidates)))
        nearest = np.abs(levels[haploid][:, None] - expected[None, :]).argmin(axis=1)
        copies = copies.copy()
        copies[haploid] = candidates[nearest]
        alternative = replace(alternative, copies=copies)
    return alternative


def segment_copies(
    fit: Fit, log2: np.ndarray, normal_copies: int, max_copies: int = 20
) -> np.ndarray:
    """The nearest integer copy number of segment levels under a fit (for amplicons)."""
    candidates = np.arange(max_copies + 1)
    expected = fit.expected_log2(candidates, np.full(candidates.shape, normal_copies))
    return candidates[np.abs(np.asarray(log2)[:, None] - expected[None, :]).argmin(axis=1)]
