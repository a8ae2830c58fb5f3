"""Chromosome table, modal chromosome number, ploidy class, masked hypodiploidy and iAMP21.

From a tumour's segments (any source) and, optionally, its SNP allele counts, the arm states of
``ikaros.karyotype.fit`` give:

- per chromosome: copies and minor copies (of the arm holding more of its placeable length),
  ``state`` (gain, loss, normal) and ``allele_state`` (heterozygous, imbalanced, loh, cn_loh;
  empty without SNPs);
- the chromosome count: autosomes + chrX (fitted when the sex is known) + chrY (one in males:
  chrY is not fitted, so its loss is not seen), and the class of PLOIDY_CLASSES;
- masked hypodiploidy: a doubled hypodiploid clone has a count in the near-diploid to
  hyperdiploid range but LOH on most chromosomes at even copy numbers (Carroll et al., Cancer
  Genet 2019; Safavi and Paulsson, Blood 2017). With SNPs: when at least MASKED_MIN_LOH autosomes
  show LOH at an even copy number, the class is that of half the count, with ``masked`` in the
  evidence. Without SNPs a hyperdiploid count is reported as is, with the note that masked
  hypodiploidy cannot be excluded (stronger when every gain is a tetrasomy, as doubling makes);
- iAMP21 (Harrison et al., Leukemia 2014: five or more RUNX1 copies, three or more on one
  abnormal chromosome 21, from a pattern of gains, amplification and losses along 21q): the
  segments over RUNX1 at IAMP21_MIN_COPIES copies or more and at least
  IAMP21_MIN_CHANGES copy-number changes between consecutive 21q segments. A whole-chromosome
  tetrasomy or pentasomy 21 has no such changes.

A class is ``undetermined``, with the reason, when an autosome has no assessable arm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ikaros.genome import PRIMARY_CHROMOSOMES
from ikaros.karyotype.arms import arm_levels, assign_snps
from ikaros.karyotype.fit import (
    ArmData,
    KaryotypeSettings,
    change_support,
    fit_karyotype,
    nearest_the_blasts,
    one_copy_apart,
    segment_copies,
    smallest_visible_fraction,
)

PLOIDY_CLASSES = (
    ("near_haploid", 24, 30),
    ("low_hypodiploid", 31, 39),
    ("high_hypodiploid", 40, 43),
    ("near_diploid", 44, 50),
    ("high_hyperdiploid", 51, 67),
    ("near_triploid", 68, 79),
    ("near_tetraploid", 80, 10_000),
)
HYPODIPLOID = ("near_haploid", "low_hypodiploid", "high_hypodiploid")
AUTOSOMES = PRIMARY_CHROMOSOMES[:22]
ARM_TABLE_COLUMNS = (
    "chrom", "arm", "log2", "covered_fraction", "snps", "mirrored_baf", "copies",
    "minor_copies", "state", "allele_state", "change_support",
)  # fmt: skip
CHROMOSOME_COLUMNS = ("chrom", "copies", "minor_copies", "state", "allele_state", "evidence")
SUMMARY_COLUMNS = (
    "chromosome_count", "ploidy_class", "ploidy_evidence", "karyotype_purity", "iamp21",
    "iamp21_evidence", "copy_number_changes", "copies_decided",
)  # fmt: skip
MASKED_MIN_LOH = 10
IAMP21_MIN_COPIES = 5
IAMP21_MIN_CHANGES = 2


@dataclass
class Karyotype:
    arms: pd.DataFrame
    chromosomes: pd.DataFrame
    summary: dict[str, str]


def ploidy_class(count: int) -> str:
    for name, low, high in PLOIDY_CLASSES:
        if low <= count <= high:
            return name
    return "undetermined"


def _normal_copies(chrom: str, sex: str) -> int | None:
    if chrom in AUTOSOMES:
        return 2
    if chrom == "chrX" and sex in ("female", "male"):
        return 2 if sex == "female" else 1
    return None  # chrY, or chrX of unknown sex: not fitted


def _allele_state(copies: int, minor: int, normal: int) -> str:
    if minor < 0 or normal != 2:
        return ""
    if minor == 0:
        return "cn_loh" if copies == normal else "loh"
    return "heterozygous" if 2 * minor == copies else "imbalanced"


def _state(copies: int, normal: int) -> str:
    return "gain" if copies > normal else "loss" if copies < normal else "normal"


def _mirrored_baf(snps: pd.DataFrame) -> float:
    if snps.empty:
        return np.nan
    b = snps["alt_reads"] / (snps["ref_reads"] + snps["alt_reads"])
    b = b[(b > 0.05) & (b < 0.95)]
    return float(np.maximum(b, 1 - b).median()) if len(b) else np.nan


def _change_label(chrom: str, arms: pd.DataFrame) -> list[str]:
    """`+4`, `+21,+21`, `-7`, `+1q`, `-9p` for one chromosome's assessed arms (all of them:
    a change of one arm alone is named by its arm)."""
    name = chrom[3:]
    deltas = {r.arm: int(r.copies) - r.normal for r in arms.itertuples(index=False)}
    values = set(deltas.values())
    if len(values) == 1:
        delta = values.pop()
        return [("+" if delta > 0 else "-") + name] * abs(delta)
    return [
        ("+" if d > 0 else "-") + f"{name}{arm}" for arm, d in deltas.items() for _ in range(abs(d))
    ]


def call_karyotype(
    segments: pd.DataFrame,
    build: str,
    snps: pd.DataFrame | None = None,
    sex: str = "",
    blast_fraction: float | None = None,
    runx1: tuple[str, int, int] | None = None,
    settings: KaryotypeSettings | None = None,
) -> Karyotype:
    """The karyotype of one tumour from its segments (chrom start end log2) and SNP counts."""
    settings = settings or KaryotypeSettings()
    levels = _arm_levels(segments, build)
    levels["normal"] = [_normal_copies(c, sex) for c in levels["chrom"]]
    assessable = (
        levels["normal"].notna()
        & np.isfinite(levels["log2"])
        & (levels["covered_fraction"] >= settings.min_coverage)
    )
    snps = (
        snps
        if snps is not None
        else pd.DataFrame(columns=["chrom", "pos", "ref_reads", "alt_reads"])
    )
    arm_snps = assign_snps(snps, levels, segments)
    fitted = levels[assessable].copy()
    fitted_snps = [s for s, ok in zip(arm_snps, assessable, strict=True) if ok]
    data = [
        ArmData(
            log2=float(r.log2),
            normal_copies=int(r.normal),
            se=float(r.se),
            alt_reads=s["alt_reads"].to_numpy(dtype=int),
            depth=(s["ref_reads"] + s["alt_reads"]).to_numpy(dtype=int),
        )
        for r, s in zip(fitted.itertuples(index=False), fitted_snps, strict=True)
    ]
    if not data:
        return _undetermined(levels, "no chromosome arm is covered by segments")
    fit = fit_karyotype(data, settings, blast_fraction)
    fitted["normal"] = fitted["normal"].astype(int)
    fitted["snps"] = [len(s) for s in fitted_snps]
    reading_note, decided = "", True
    if _hypodiploid_loh(fitted, fit):
        fit, reading_note, decided = nearest_the_blasts(fit, blast_fraction, settings)
    visible = smallest_visible_fraction(data, settings)
    fitted = _with_states(fitted, fit)
    fitted["change_support"] = change_support(data, fit, settings)
    levels["snps"] = [len(s) for s in arm_snps]
    levels["mirrored_baf"] = [_mirrored_baf(s) for s in arm_snps]
    arms = levels.merge(
        fitted[
            ["chrom", "arm", "copies", "minor_copies", "state", "allele_state", "change_support"]
        ],
        on=["chrom", "arm"],
        how="left",
    )
    chromosomes, _ = _chromosomes(fitted)
    changes, weak_note = _supported_changes(fitted, settings)
    summary = _summary(chromosomes, fit, sex, changes, settings)
    if weak_note:
        summary["ploidy_evidence"] += f"; {weak_note}"
    if reading_note:
        summary["ploidy_evidence"] += f"; {reading_note}"
    # Without allele data a clone and its doubling (or one copy more of every chromosome) read
    # alike outside the near-diploid range: the copies are a guess there.
    with_alleles = int(fit.has_snps.sum()) >= 10 or summary["ploidy_class"] == "near_diploid"
    summary["copies_decided"] = _flag(decided and with_alleles and summary["chromosome_count"])
    _refuse_ambiguous(summary, fit, fitted, sex, settings)
    _refuse_hypodiploid_without_alleles(summary, fit, fitted, sex, blast_fraction, settings)
    _refuse_unseen(summary, fit, fitted, blast_fraction, visible)
    summary.update(_iamp21(segments, fit, runx1, build))
    arm_table = arms.assign(
        copies=arms["copies"].astype("Int64"),
        minor_copies=arms["minor_copies"].where(arms["minor_copies"] >= 0).astype("Int64"),
        log2=arms["log2"].round(4),
        covered_fraction=arms["covered_fraction"].round(3),
        mirrored_baf=arms["mirrored_baf"].round(3),
        change_support=arms["change_support"].round(2),
    )[list(ARM_TABLE_COLUMNS)]
    return Karyotype(arm_table, chromosomes, summary)


def _flag(value) -> str:
    return "true" if value else "false"


def _hypodiploid_loh(fitted: pd.DataFrame, fit) -> bool:
    """Whether `fit` shows LOH on MASKED_MIN_LOH autosomes or more: a hypodiploid clone or its
    doubling, whose two readings only the blast fraction tells apart (fit.nearest_the_blasts).
    A diploid clone with a few trisomies also has a doubled reading (near tetraploid), but
    that one is not taken on the blast fraction alone."""
    chromosomes = _chromosomes(_with_states(fitted, fit))[0]
    autosomes = chromosomes[chromosomes["chrom"].isin(AUTOSOMES)]
    loh = (autosomes["minor_copies"] == 0) & (autosomes["copies"] >= 1)
    return int(loh.fillna(False).sum()) >= MASKED_MIN_LOH


def _with_states(fitted: pd.DataFrame, fit) -> pd.DataFrame:
    """The fitted arms with the copy numbers and states of `fit`."""
    out = fitted.assign(copies=fit.copies, minor_copies=fit.minor)
    out["state"] = [_state(c, n) for c, n in zip(out["copies"], out["normal"], strict=True)]
    out["allele_state"] = [
        _allele_state(c, m, n)
        for c, m, n in zip(out["copies"], out["minor_copies"], out["normal"], strict=True)
    ]
    return out


def _supported_changes(fitted: pd.DataFrame, settings) -> tuple[list[str], str]:
    """The copy-number changes of the arms whose own data support them by at least
    `min_change_support` log-likelihood units (fit.change_support), and a note naming the
    others. Those stay in the copies and the count, but the changes list, from which the
    patients table takes gene losses (-7, -9p), leaves them out: at the cell fraction the fit
    chose for a tumour of few changes, an arm's noise can pass for a change."""
    support = fitted["change_support"].to_numpy(dtype=float)
    changed = fitted["copies"].to_numpy() != fitted["normal"].to_numpy()
    weak = changed & (support < settings.min_change_support)
    listed = fitted.assign(copies=np.where(weak, fitted["normal"], fitted["copies"]))
    changes = _chromosomes(listed)[1]
    if not weak.any():
        return changes, ""
    named = ", ".join(
        f"{_signed(int(r.copies) - int(r.normal))}{r.chrom[3:]}{r.arm} ({r.change_support:.1f})"
        for r in fitted[weak].itertuples(index=False)
    )
    return changes, (
        f"not listed as changes, their arms' own data supporting them by less than "
        f"{settings.min_change_support:g} log-likelihood units: {named}"
    )


def _signed(delta: int) -> str:
    return ("+" if delta > 0 else "-") * abs(delta)


def _refuse_ambiguous(summary, fit, fitted, sex, settings) -> None:
    """Class `undetermined` when another baseline's fit is as good, with another class.

    As good: its score within `ambiguity_margin`; without allele data (SNPs on fewer than 10
    arms), its log-likelihood of the data alone within the margin, since the levels cannot
    tell which copy number sits at log2 zero (a high hyperdiploid tumour whose median
    chromosome is trisomic reads as well as a hypodiploid one). A reading that only scales
    every arm's copies (a doubling, a flat profile read as triploid) is no alternative: the
    convention of the diploid baseline and the masked rule decide those.
    """
    if not summary["chromosome_count"]:
        return
    with_snps = int(fit.has_snps.sum()) >= 10
    for other in fit.alternatives:
        ratio = other.copies / np.maximum(fit.copies, 1e-9)
        scaled = bool((fit.copies > 0).all()) and np.allclose(ratio, ratio[0])
        gap = fit.score - other.score if with_snps else fit.data_score - other.data_score
        if scaled or gap > settings.ambiguity_margin:
            continue
        chromosomes = _chromosomes(_with_states(fitted, other))[0]
        alt = _summary(chromosomes, other, sex, [], settings)
        if alt["ploidy_class"] != summary["ploidy_class"]:
            summary["ploidy_evidence"] += (
                f"; ambiguous: {alt['chromosome_count']} chromosomes ({alt['ploidy_class']}, "
                f"baseline {other.baseline}, cell fraction {other.purity:.2f}) fits within "
                f"{gap:.1f} log-likelihood units"
                + ("" if with_snps else "; the tumour's SNP allele fractions (vcf) would decide")
            )
            summary["ploidy_class"] = "undetermined"
            return


def _refuse_hypodiploid_without_alleles(
    summary, fit, fitted, sex, blast_fraction, settings
) -> None:
    """Without allele data, a hypodiploid class only where its depth-equivalent reading with
    one copy more of every chromosome (`one_copy_apart`: a hyperdiploid clone whose trisomies
    read at log2 zero) is ruled out by the blast fraction. High hyperdiploidy is some ten
    times as common as hypodiploidy in childhood B-ALL (Paulsson and Johansson 2009; Holmfeldt
    et al. 2013), so the hypodiploid reading is not given on depth alone."""
    if summary["ploidy_class"] not in HYPODIPLOID or int(fit.has_snps.sum()) >= 10:
        return
    normal = fitted["normal"].to_numpy(dtype=int)
    alternative = one_copy_apart(fit, normal, fitted["log2"].to_numpy(dtype=float), +1)
    if alternative is None:
        return
    if blast_fraction is not None and abs(alternative.purity - blast_fraction) > (
        settings.blast_tolerance
    ):
        return
    chromosomes = _chromosomes(_with_states(fitted, alternative))[0]
    alt = _summary(chromosomes, alternative, sex, [], settings)
    if alt["ploidy_class"] == summary["ploidy_class"]:
        return
    summary["ploidy_evidence"] += (
        f"; ambiguous: {alt['chromosome_count']} chromosomes ({alt['ploidy_class']}, cell "
        f"fraction {alternative.purity:.2f}) give the same depth profile; the tumour's SNP "
        "allele fractions (vcf) would decide"
    )
    summary["ploidy_class"] = "undetermined"


def _refuse_unseen(summary, fit, fitted, blast_fraction, visible) -> None:
    """Class `undetermined` when a trisomy in the tumour's cells (the blast fraction, else the
    fitted cell fraction when the fit found changes, else one half) would not be seen."""
    changed = bool((fitted["copies"] != fitted["normal"]).any())
    tumour_cells = (
        blast_fraction if blast_fraction is not None else (fit.purity if changed else 0.5)
    )
    summary["ploidy_evidence"] += f"; a trisomy in {visible:.0%} of cells or more is seen"
    if visible > tumour_cells and summary["ploidy_class"] != "undetermined":
        summary["ploidy_evidence"] += (
            f"; too noisy to count chromosomes in {tumour_cells:.0%} tumour cells"
        )
        summary["ploidy_class"] = "undetermined"


def _chromosomes(fitted: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    rows, changes = [], []
    for chrom in PRIMARY_CHROMOSOMES:
        mine = fitted[fitted["chrom"] == chrom]
        if mine.empty:
            rows.append((chrom, pd.NA, pd.NA, "", "", "not assessable"))
            continue
        main = mine.loc[mine["covered_bp"].idxmax()]
        minor = int(main["minor_copies"])
        evidence = "; ".join(
            f"{r.arm}: log2 {r.log2:.2f}, {int(r.copies)} copies"
            + (f" ({int(r.minor_copies)} minor, {r.snps} SNPs)" if r.minor_copies >= 0 else "")
            for r in mine.itertuples(index=False)
        )
        rows.append(
            (chrom, int(main["copies"]), minor if minor >= 0 else pd.NA, main["state"],
             main["allele_state"], evidence)
        )  # fmt: skip
        changes.extend(
            _change_label(chrom, mine) if (mine["copies"] != mine["normal"]).any() else []
        )
    table = pd.DataFrame(rows, columns=list(CHROMOSOME_COLUMNS))
    return table.astype({"copies": "Int64", "minor_copies": "Int64"}), changes


def _summary(chromosomes, fit, sex, changes, settings) -> dict[str, str]:
    autosomes = chromosomes[chromosomes["chrom"].isin(AUTOSOMES)]
    missing = list(autosomes.loc[autosomes["copies"].isna(), "chrom"])
    notes = []
    summary = {
        "karyotype_purity": f"{fit.purity:.2f}",
        "copy_number_changes": ",".join(changes),
    }
    if missing:
        summary.update(
            chromosome_count="",
            ploidy_class="undetermined",
            ploidy_evidence=(
                f"segments cover only {22 - len(missing)} of 22 autosomes "
                f"(not {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''})"
            ),
        )
        return summary
    count = int(autosomes["copies"].sum())
    x = chromosomes.loc[chromosomes["chrom"] == "chrX", "copies"].iloc[0]
    if pd.isna(x):
        count += 2
        notes.append("sex unknown: chrX and chrY counted as two")
    else:
        count += int(x) + (1 if sex == "male" else 0)
    klass = ploidy_class(count)
    with_snps = autosomes["minor_copies"].notna()
    loh = autosomes[with_snps & (autosomes["minor_copies"] == 0) & (autosomes["copies"] >= 1)]
    even_loh = loh[loh["copies"] % 2 == 0]
    notes.insert(
        0, f"{count} chromosomes (cell fraction {fit.purity:.2f}, baseline {fit.baseline} copies)"
    )
    if with_snps.sum() >= 10:
        notes.append(f"LOH on {len(loh)} of {int(with_snps.sum())} autosomes with SNPs")
        if count >= 44 and len(even_loh) >= MASKED_MIN_LOH:
            original = count // 2
            klass = ploidy_class(original) if ploidy_class(original) in HYPODIPLOID else klass
            notes.append(
                f"masked: LOH at even copy numbers on {len(even_loh)} autosomes, a doubled "
                f"hypodiploid clone of {original} chromosomes"
            )
        if len(loh) >= MASKED_MIN_LOH:
            # a clone and its doubling differ only in the cell fraction that explains them
            notes.append(
                "a hypodiploid clone and its doubling fit alike at different cell fractions; "
                "the class is the same"
            )
    elif count >= 51 or fit.baseline != 2:
        gained = autosomes[autosomes["copies"] > 2]
        doubled_like = len(gained) >= 2 and bool(((gained["copies"] - 2) % 2 == 0).all())
        if doubled_like:
            klass = "undetermined"
            notes.append(
                f"no allele data: all {len(gained)} gained autosomes are tetrasomic, as a "
                "doubled hypodiploid clone makes: hyperdiploid or masked hypodiploid needs "
                "the tumour's SNP allele fractions (samples sheet column vcf)"
            )
        else:
            notes.append("no allele data: masked hypodiploidy cannot be excluded")
    elif not with_snps.any():
        notes.append("no allele data")
    summary.update(
        chromosome_count=str(count), ploidy_class=klass, ploidy_evidence="; ".join(notes)
    )
    return summary


def _iamp21(segments: pd.DataFrame, fit, runx1, build: str) -> dict[str, str]:
    if runx1 is None:
        return {"iamp21": "", "iamp21_evidence": "RUNX1 position not given"}
    chrom, start, end = runx1
    q = segments[(segments["chrom"] == chrom) & np.isfinite(segments["log2"].astype(float))]
    q = q.sort_values("start")
    over = q[(q["end"] >= start) & (q["start"] <= end)]
    if over.empty:
        return {"iamp21": "", "iamp21_evidence": "no segment covers RUNX1"}
    copies = segment_copies(fit, q["log2"].to_numpy(dtype=float), 2)
    runx1_copies = int(segment_copies(fit, over["log2"].to_numpy(dtype=float), 2).max())
    changes = int((np.diff(copies) != 0).sum())
    called = runx1_copies >= IAMP21_MIN_COPIES and changes >= IAMP21_MIN_CHANGES
    return {
        "iamp21": "true" if called else "false",
        "iamp21_evidence": (
            f"RUNX1 at {runx1_copies} copies; {changes} copy-number changes along chr21"
        ),
    }


def _arm_levels(segments: pd.DataFrame, build: str) -> pd.DataFrame:
    """Arm levels with the share of each arm's placeable bases that segments cover."""
    levels = arm_levels(segments, build)
    fraction = levels["covered_bp"] / levels["placeable_bp"].where(levels["placeable_bp"] > 0)
    levels["covered_fraction"] = fraction.fillna(0.0)
    return levels


def withheld_karyotype(segments: pd.DataFrame, build: str, reason: str) -> Karyotype:
    """The tables of a tumour whose segments are not to be read (its BAM failed QC): every
    copy number empty, the class undetermined with `reason`."""
    return _undetermined(_arm_levels(segments, build), reason)


def _undetermined(levels: pd.DataFrame, reason: str) -> Karyotype:
    arms = levels.assign(
        snps=0,
        mirrored_baf=np.nan,
        change_support=np.nan,
        copies=pd.NA,
        minor_copies=pd.NA,
        state="",
        allele_state="",
    )
    chromosomes = pd.DataFrame(
        [(c, pd.NA, pd.NA, "", "", "not assessable") for c in PRIMARY_CHROMOSOMES],
        columns=list(CHROMOSOME_COLUMNS),
    )
    summary = dict.fromkeys(SUMMARY_COLUMNS, "")
    summary.update(ploidy_class="undetermined", ploidy_evidence=reason)
    return Karyotype(arms[list(ARM_TABLE_COLUMNS)], chromosomes, summary)
