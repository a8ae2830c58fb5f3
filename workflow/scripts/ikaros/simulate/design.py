"""Cohort design: who is in the simulated cohort, their clinical data, lesions and the truth.

The design is pure and deterministic (a function of the settings, the cohort name, the build and
the BAM directory) and fast, because the workflow computes it at parse time to know its samples.
Each patient draws from an own random stream (seed, patient number), so a patient's lesions do
not change when the cohort grows.

Lesion frequencies follow pediatric B-ALL (CDKN2A/B ~30%, PAX5 ~30%, IKZF1 ~15-25%, ERG ~5%,
PAR1 ~5%, ETV6 ~15%), with the IKZF1plus genes enriched in IKZF1-deleted patients.

Lesion labels (truth_lesions.label): IKZF1_del4-7, IKZF1_del2-7, IKZF1_del2-8, IKZF1_del4-8,
IKZF1_del1-8_focal, IKZF1_del1-8_7p, IKZF1_del1-8_chr7, other intragenic IKZF1_del<a>-<b>
(2-3, 4-5, 5-6, 4-6, 1-3, 2-6), IKZF1_intronic (no exon lost), CDKN2A_CDKN2B, CDKN2A (sparing
CDKN2B), CDKN2A_nested (inner loss of a biallelic pair), 9p_loss, PAX5_whole, PAX5_intragenic,
PAR1, ERG_intragenic, and <gene>_whole / <gene>_intragenic for ETV6, RB1, BTG1, EBF1.

Sheets: sex is left empty for a fixed share of samples (`unknown_sex_fraction`) so that the
pipeline must infer it; a patient whose tumour sample has no sex has none in the clinical sheet
either. The truth tables always carry the real sex.

Outcomes: `ikaros.outcome_simulation.draw_outcomes` draws follow-up and event for the whole
cohort from a Fine-Gray model whose true subdistribution hazard ratios are the settings'
`outcomes` (IKZF1 alteration, IKZF1plus, subtype risk group, MRD, age, WBC), with death in
remission and second malignancy competing and uniform administrative censoring. Outcomes come
from their own random stream (seed, 3), after all patients are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ikaros.genome import check_build
from ikaros.outcome_simulation import draw_outcomes
from ikaros.simulate import lesions as catalogue
from ikaros.simulate.karyotypes import (
    KARYOTYPE_TRUTH_COLUMNS,
    PIECE_COLUMNS,
    par1_copies,
    tumour_karyotype,
)
from ikaros.simulate.lesions import GeneCoordinates, Lesion
from ikaros.simulate.settings import SimulationSettings

SAMPLE_COLUMNS = (
    "sample_id", "patient_id", "role", "dna_bam", "rna_bam", "vcf", "blast_percent", "sex",
)  # fmt: skip
CLINICAL_COLUMNS = (
    "patient_id", "sex", "age_years", "wbc", "mrd_eoi", "protocol", "subtype",
    "followup_years", "event",
)  # fmt: skip
LESION_COLUMNS = (
    "patient_id", "sample_id", "lesion_id", "gene", "label", "chrom", "start", "end",
    "allelic", "cell_fraction",
)  # fmt: skip
PATIENT_TRUTH_COLUMNS = (
    "patient_id", "blast_percent", "sex", "ikzf1_status", "ikzf1_class", "ikzf1_exons_deleted",
    "ikzf1_focal", "ikzf1_fraction", "cdkn2a", "cdkn2b", "pax5", "par1", "erg", "ikzf1plus",
    "ikzf1plus_focal",
)  # fmt: skip

# Per-patient probability of a lesion: (without, with an IKZF1 exon deletion).
CODELETION_RATES = {
    "CDKN2A": (0.27, 0.45),
    "PAX5": (0.26, 0.42),
    "PAR1": (0.04, 0.12),
    "ERG": (0.05, 0.07),
    "9p": (0.03, 0.04),
    "ETV6": (0.15, 0.12),
    "RB1": (0.05, 0.08),
    "BTG1": (0.06, 0.1),
    "EBF1": (0.03, 0.06),
}
BIALLELIC_RATES = {"IKZF1": 0.1, "CDKN2A": 0.5, "PAX5": 0.08, "ERG": 0.05, "PAR1": 0.0}

# Pediatric B-ALL subtype frequencies (St. Jude Total XV/XVI; Gu et al., Nat Genet 2019):
# hypodiploid 2-3%, iAMP21 about 2%.
SUBTYPES = (
    "hyperdiploid", "ETV6::RUNX1", "TCF3::PBX1", "KMT2A", "BCR::ABL1", "Ph-like", "DUX4", "other",
    "near haploid", "low hypodiploid", "iAMP21",
)  # fmt: skip
SUBTYPE_WEIGHTS = (0.30, 0.22, 0.05, 0.04, 0.03, 0.11, 0.05, 0.155, 0.01, 0.015, 0.02)


@dataclass
class CohortDesign:
    """A simulated cohort: the sheets a user would give, the lesions, and the truth."""

    cohort: str
    build: str
    samples: pd.DataFrame
    clinical: pd.DataFrame
    lesions: pd.DataFrame
    patient_truth: pd.DataFrame
    # Every sample's real sex, including those the samples sheet leaves empty.
    true_sex: dict[str, str] = field(default_factory=dict)
    # Tumours' copy pieces (sample_id + ikaros.simulate.karyotypes.PIECE_COLUMNS) and the
    # karyotype truth per tumour (KARYOTYPE_TRUTH_COLUMNS); diploid tumours are in both.
    karyotypes: pd.DataFrame = field(default_factory=pd.DataFrame)
    karyotype_truth: pd.DataFrame = field(default_factory=pd.DataFrame)


def _patient_rng(seed: int, stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream, index]))


def _draw_lesions(
    rng: np.random.Generator, coords: GeneCoordinates, settings: SimulationSettings
) -> list[Lesion]:
    lesions: list[Lesion] = []
    has_exon_loss = False
    if rng.random() < settings.ikzf1_rate:
        kinds = list(catalogue.IKZF1_LESION_WEIGHTS)
        weights = np.array(list(catalogue.IKZF1_LESION_WEIGHTS.values()))
        kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
        allelic = "bi" if rng.random() < BIALLELIC_RATES["IKZF1"] else "mono"
        lesions.append(catalogue.ikzf1_lesion(rng, coords, kind, allelic))
        has_exon_loss = kind != "intronic"
    draws = {gene: rng.random() < rates[has_exon_loss] for gene, rates in CODELETION_RATES.items()}
    allelic = {
        gene: "bi" if rng.random() < rate else "mono" for gene, rate in BIALLELIC_RATES.items()
    }
    if draws["CDKN2A"]:
        lesions.extend(catalogue.cdkn2a_lesions(rng, coords, allelic["CDKN2A"]))
    if draws["9p"]:
        lesions.append(catalogue.arm_9p_lesion(rng, coords))
    if draws["PAX5"]:
        lesions.append(catalogue.pax5_lesion(rng, coords, allelic["PAX5"]))
    if draws["PAR1"]:
        lesions.append(catalogue.par1_lesion(rng, coords, allelic["PAR1"]))
    if draws["ERG"]:
        lesions.append(catalogue.erg_lesion(rng, coords, allelic["ERG"]))
    for gene in ("ETV6", "RB1", "BTG1", "EBF1"):
        if draws[gene]:
            lesions.append(catalogue.other_gene_lesion(rng, coords, gene, "mono"))
    return lesions


def _gene_status(losses: dict[str, list[tuple[int, int, int]]], span) -> str:
    chrom, start, end = span[0], span[1], span[2]
    lost = catalogue.alleles_lost(losses.get(chrom, []), start, end)
    return ("none", "mono", "bi")[min(lost, 2)]


def codeletion_spans(coords: GeneCoordinates) -> dict[str, tuple[str, int, int]]:
    """The span each IKZF1plus co-deletion's truth is scored over (chrom, start, end): the
    gene's, and for the PAR1 deletion the genes it removes (CSF2RA .. ASMTL)."""
    spans = {gene: coords.span(gene.upper())[:3] for gene in ("cdkn2a", "cdkn2b", "pax5")}
    spans["par1"] = ("chrX", coords.span("CSF2RA")[1], coords.span("ASMTL")[2])
    spans["erg"] = coords.span("ERG")[:3]
    return spans


def patient_truth(
    patient_id: str,
    blast_percent: float,
    sex: str,
    lesions: list[dict],
    coords: GeneCoordinates,
    focal_max_bp: int,
) -> dict:
    """The answer a caller should give for one patient, derived from the lesion coordinates.

    `lesions` are the patient's truth_lesions rows (dicts with chrom, start, end, allelic,
    label, cell_fraction).
    """
    rows = [SimpleNamespace(**lesion) for lesion in lesions]
    losses: dict[str, list[tuple[int, int, int]]] = {}
    for row in rows:
        alleles = 2 if row.allelic == "bi" else 1
        losses.setdefault(row.chrom, []).append((int(row.start), int(row.end), alleles))
    ikzf1_chrom = coords.span("IKZF1")[0]
    exons: set[int] = set()
    focal = True
    fraction = np.nan
    for row in rows:
        if row.chrom != ikzf1_chrom:
            continue
        hit = coords.exons_hit("IKZF1", int(row.start), int(row.end))
        if not hit:
            continue
        exons.update(hit)
        length = int(row.end) - int(row.start) + 1
        arm_level = row.label.endswith(("_7p", "_chr7"))
        focal = focal and length < focal_max_bp and not arm_level
        fraction = np.nanmax([fraction, float(row.cell_fraction)])
    deleted = bool(exons)
    status = {gene: _gene_status(losses, span) for gene, span in codeletion_spans(coords).items()}
    return _with_ikzf1plus({
        "patient_id": patient_id,
        "blast_percent": blast_percent,
        "sex": sex,
        "ikzf1_status": "deleted" if deleted else "wildtype",
        "ikzf1_class": catalogue.ikzf1_class(tuple(sorted(exons))),
        "ikzf1_exons_deleted": ",".join(str(e) for e in sorted(exons)),
        "ikzf1_focal": ("true" if focal else "false") if deleted else "",
        "ikzf1_fraction": fraction if deleted else np.nan,
        **status,
    })  # fmt: skip


def _with_ikzf1plus(truth: dict) -> dict:
    """The truth row with ikzf1plus and ikzf1plus_focal set from its IKZF1 and co-deletion
    states (an IKZF1 deletion with a CDKN2A, CDKN2B, PAX5 or PAR1 loss, and no ERG loss)."""
    deleted = truth["ikzf1_status"] == "deleted"
    partner = any(truth[g] != "none" for g in ("cdkn2a", "cdkn2b", "pax5", "par1"))
    plus = deleted and partner and truth["erg"] == "none"
    truth["ikzf1plus"] = "true" if plus else "false"
    truth["ikzf1plus_focal"] = "true" if plus and truth["ikzf1_focal"] == "true" else "false"
    return truth


# Genes whose copies the truth table scores against the karyotype, with their span
SCORED_GENES = {"cdkn2a": "CDKN2A", "cdkn2b": "CDKN2B", "pax5": "PAX5", "erg": "ERG"}
ALLELES = {"none": 0, "mono": 1, "bi": 2}


def with_karyotype_losses(truth: dict, pieces: pd.DataFrame, coords) -> dict:
    """The patient truth with the tumour's karyotype under its lesions, read as copies below
    normal (as MLPA, which defined IKZF1plus, reads them; ikaros.simulate.reads.CopyRatio
    draws the reads so). A co-deletion gene on a chromosome piece held in fewer copies than
    normal (a monosomy in a hypodiploid or near-haploid clone, never a doubled one's
    copy-neutral loss of heterozygosity) loses that many alleles more than its lesions take;
    on a gained piece its lesions take only what falls below normal (a monoallelic loss on a
    trisomy leaves the two normal copies: none; a biallelic one leaves one: mono). A male's
    PAR1 holds his chrX copies and his chrY's one, of two normal.

    For IKZF1 a loss by the karyotype is a whole-gene, non-focal deletion (del1-8) in the blast
    fraction, as a caller reading copy number should report it; IKZF1plus follows. IKZF1
    lesions on a gained chromosome 7 keep their truth (no simulated clone gains chromosome 7)."""
    truth = dict(truth)

    def below_normal(chrom: str, start: int, end: int, lesion_alleles: int, par: bool = False):
        over = pieces[(pieces["chrom"] == chrom) & (pieces["start"] <= end)
                      & (pieces["end"] >= start)]  # fmt: skip
        if over.empty:
            return lesion_alleles
        copies = over["copies"].to_numpy(dtype=int)
        normal = over["normal"].to_numpy(dtype=int)
        if par:
            copies, normal = par1_copies(copies, normal)
        left = copies - np.minimum(lesion_alleles, copies)
        return int(min(2, max(0, (normal - left).max())))

    for column, gene in SCORED_GENES.items():
        chrom, start, end, _ = coords.span(gene)
        alleles = below_normal(chrom, start, end, ALLELES[truth[column]])
        truth[column] = ("none", "mono", "bi")[alleles]
    chrom, start, end = codeletion_spans(coords)["par1"]
    truth["par1"] = ("none", "mono", "bi")[
        below_normal(chrom, start, end, ALLELES[truth["par1"]], par=True)
    ]
    chrom, start, end, _ = coords.span("IKZF1")
    if below_normal(chrom, start, end, 0):
        truth.update(
            ikzf1_status="deleted",
            ikzf1_class=catalogue.ikzf1_class(tuple(range(1, 9))),
            ikzf1_exons_deleted=",".join(str(e) for e in range(1, 9)),
            ikzf1_focal="false",
            ikzf1_fraction=np.nanmax([truth["ikzf1_fraction"], truth["blast_percent"] / 100]),
        )
    return _with_ikzf1plus(truth)


def _subtype(rng: np.random.Generator, labels: set[str], ikzf1_deleted: bool) -> str:
    if "ERG_intragenic" in labels and rng.random() < 0.9:
        return "DUX4"
    if "PAR1" in labels and rng.random() < 0.7:
        return "Ph-like"
    if ikzf1_deleted:
        roll = rng.random()
        if roll < 0.25:
            return "BCR::ABL1"
        if roll < 0.55:
            return "Ph-like"
    return SUBTYPES[int(rng.choice(len(SUBTYPES), p=SUBTYPE_WEIGHTS))]


def _clinical(rng: np.random.Generator, truth: dict, subtype: str) -> dict:
    age = rng.uniform(1, 10) if rng.random() < 0.7 else rng.uniform(10, 18.9)
    wbc = float(min(np.exp(rng.normal(np.log(12), 1.2)), 900))
    ikzf1_deleted = truth["ikzf1_status"] == "deleted"
    mrd_positive = rng.random() < (0.45 if ikzf1_deleted else 0.22)
    if mrd_positive:
        mrd = 10 ** rng.uniform(-4, -1)
    else:
        mrd = 0.0 if rng.random() < 0.6 else 10 ** rng.uniform(-6, -4.05)
    protocol = "Total XV" if rng.random() < 0.45 else "Total XVI"
    return {
        "patient_id": truth["patient_id"],
        "sex": truth["sex"],
        "age_years": round(float(age), 1),
        "wbc": round(wbc, 1),
        "mrd_eoi": float(f"{mrd:.3g}"),
        "protocol": protocol,
        "subtype": subtype,
    }


def design_cohort(
    settings: SimulationSettings,
    cohort: str,
    build: str,
    bam_dir: str | Path,
    gene_models: pd.DataFrame | None = None,
) -> CohortDesign:
    """Design a cohort: sample sheet, clinical sheet, lesions and per-patient truth."""
    check_build(build)
    settings.check()
    coords = GeneCoordinates(build, gene_models)
    bam_dir = str(bam_dir).rstrip("/")
    seed = settings.seed
    cohort_rng = _patient_rng(seed, 1, 0)

    patient_ids = [f"P{i + 1:04d}" for i in range(settings.patients)]
    matched = set(
        cohort_rng.choice(settings.patients, settings.matched_normals, replace=False).tolist()
    )
    lesion_rows: list[dict] = []
    truth_rows: list[dict] = []
    lesion_truth_rows: list[dict] = []  # the lesions' answer alone: it drives the outcomes
    clinical_rows: list[dict] = []
    sample_rows: list[dict] = []
    piece_frames: list[pd.DataFrame] = []
    karyotype_rows: list[dict] = []
    true_sex: dict[str, str] = {}
    for index, patient_id in enumerate(patient_ids):
        rng = _patient_rng(seed, 2, index)
        sex = "male" if rng.random() < 0.55 else "female"
        blast = round(float(rng.uniform(20, 95)), 1)
        tumour_id = f"{patient_id}_T"
        rows = []
        lesions = _draw_lesions(rng, coords, settings)
        # Nested CDKN2A losses share their clone with the loss they sit in.
        clonal = 1.0
        for number, lesion in enumerate(lesions, start=1):
            if lesion.label != "CDKN2A_nested":
                clonal = (
                    round(float(rng.uniform(0.3, 0.8)), 2)
                    if rng.random() < settings.subclonal_rate
                    else 1.0
                )
            rows.append(
                {
                    "patient_id": patient_id,
                    "sample_id": tumour_id,
                    "lesion_id": f"{patient_id}_L{number:02d}",
                    "gene": lesion.gene,
                    "label": lesion.label,
                    "chrom": lesion.chrom,
                    "start": lesion.start,
                    "end": lesion.end,
                    "allelic": lesion.allelic,
                    "cell_fraction": round(blast / 100 * clonal, 4),
                }
            )
        lesion_rows.extend(rows)
        truth = patient_truth(
            patient_id,
            blast,
            sex,
            rows,
            coords,
            settings.focal_max_bp,
        )
        lesion_truth_rows.append(truth)
        subtype = _subtype(rng, {r["label"] for r in rows}, truth["ikzf1_status"] == "deleted")
        clinical_rows.append(_clinical(rng, truth, subtype))
        # the karyotype from a stream of its own, so that the other draws stay as they were
        kind, pieces, karyotype = tumour_karyotype(
            subtype, sex, build, _patient_rng(seed, 6, index)
        )
        truth_rows.append(with_karyotype_losses(truth, pieces, coords))
        piece_frames.append(pieces.assign(sample_id=tumour_id))
        karyotype_rows.append({"patient_id": patient_id, "sample_id": tumour_id, **karyotype})
        sample_rows.append(
            {"sample_id": tumour_id, "patient_id": patient_id, "role": "tumor",
             "blast_percent": blast, "sex": sex}
        )  # fmt: skip
        true_sex[tumour_id] = sex
        if index in matched:
            sample_rows.append(
                {"sample_id": f"{patient_id}_N", "patient_id": patient_id, "role": "normal",
                 "blast_percent": np.nan, "sex": sex}
            )  # fmt: skip
            true_sex[f"{patient_id}_N"] = sex
    for number in range(1, settings.panel_normals + 1):
        sample_id = f"PON{number:02d}"
        sex = "male" if cohort_rng.random() < 0.5 else "female"
        sample_rows.append(
            {"sample_id": sample_id, "patient_id": None, "role": "normal",
             "blast_percent": np.nan, "sex": sex}
        )  # fmt: skip
        true_sex[sample_id] = sex

    samples = pd.DataFrame(sample_rows)
    samples["dna_bam"] = [f"{bam_dir}/{s}.bam" for s in samples["sample_id"]]
    samples["rna_bam"] = None
    rna_patients, rna_only = _rna_patients(settings, patient_ids, matched)
    tumours = samples["role"] == "tumor"
    with_rna = tumours & samples["patient_id"].isin(rna_patients)
    samples.loc[with_rna, "rna_bam"] = [
        f"{bam_dir}/{s}.rna.bam" for s in samples.loc[with_rna, "sample_id"]
    ]
    samples.loc[tumours & samples["patient_id"].isin(rna_only), "dna_bam"] = None
    samples["vcf"] = None
    with_vcf = _vcf_tumours(settings, samples)
    samples.loc[with_vcf, "vcf"] = [
        f"{Path(bam_dir).parent}/vcf/{s}.vcf.gz" for s in samples.loc[with_vcf, "sample_id"]
    ]
    # Leave sex empty for a fixed share of samples so that the pipeline must infer it.
    n_blank = int(round(settings.unknown_sex_fraction * len(samples)))
    blank = cohort_rng.permutation(len(samples))[:n_blank]
    samples["sex"] = samples["sex"].astype(object)
    samples.loc[samples.index[blank], "sex"] = None
    columns = list(SAMPLE_COLUMNS)
    if settings.rna_counts:
        samples["rna_counts"] = None
        samples.loc[with_rna, "rna_counts"] = [
            f"{Path(bam_dir).parent}/counts/{s}.counts.tsv"
            for s in samples.loc[with_rna, "sample_id"]
        ]
        columns.insert(columns.index("rna_bam") + 1, "rna_counts")
    samples = samples.loc[:, columns]

    truth_table = pd.DataFrame(truth_rows, columns=list(PATIENT_TRUTH_COLUMNS))
    lesion_truth = pd.DataFrame(lesion_truth_rows, columns=list(PATIENT_TRUTH_COLUMNS))
    covariates = pd.DataFrame(clinical_rows).merge(
        lesion_truth[["patient_id", "ikzf1_status", "ikzf1plus"]], on="patient_id"
    )
    outcomes = draw_outcomes(covariates, settings.outcomes, seed=[seed, 3])
    clinical = pd.DataFrame(clinical_rows).merge(
        outcomes[["patient_id", "followup_years", "event"]], on="patient_id"
    )
    clinical["followup_years"] = clinical["followup_years"].round(2).clip(lower=0.01)
    clinical = clinical.loc[:, list(CLINICAL_COLUMNS)]
    blank_patients = set(samples.loc[samples["sex"].isna() & (samples["role"] == "tumor"),
                                     "patient_id"])  # fmt: skip
    clinical["sex"] = clinical["sex"].astype(object)
    clinical.loc[clinical["patient_id"].isin(blank_patients), "sex"] = None

    return CohortDesign(
        cohort=cohort,
        build=build,
        samples=samples.reset_index(drop=True),
        clinical=clinical,
        lesions=pd.DataFrame(lesion_rows, columns=list(LESION_COLUMNS)),
        patient_truth=truth_table,
        true_sex=true_sex,
        karyotypes=pd.concat(piece_frames, ignore_index=True).loc[:, ["sample_id", *PIECE_COLUMNS]],
        karyotype_truth=pd.DataFrame(karyotype_rows, columns=list(KARYOTYPE_TRUTH_COLUMNS)),
    )


def _rna_patients(
    settings: SimulationSettings, patient_ids: list[str], matched: set[int]
) -> tuple[set[str], set[str]]:
    """(patients with RNA-seq, those of them without genome data), from a stream of their own
    so that cohorts without RNA are drawn exactly as before. Patients with a matched normal
    keep their genome data."""
    rng = _patient_rng(settings.seed, 4, 0)
    n_rna = int(round(settings.rna_fraction * len(patient_ids)))
    chosen = sorted(rng.choice(len(patient_ids), n_rna, replace=False).tolist())
    eligible = [index for index in chosen if index not in matched]
    n_only = min(len(eligible), int(round(settings.rna_only_fraction * n_rna)))
    only = rng.choice(eligible, n_only, replace=False).tolist() if n_only else []
    return {patient_ids[i] for i in chosen}, {patient_ids[i] for i in only}


def _vcf_tumours(settings: SimulationSettings, samples: pd.DataFrame) -> pd.Series:
    """The DNA tumours that get a VCF, from a stream of their own (cohorts without VCFs are
    drawn exactly as before)."""
    rng = _patient_rng(settings.seed, 5, 0)
    dna_tumours = (samples["role"] == "tumor") & samples["dna_bam"].notna()
    chosen = rng.random(len(samples)) < settings.vcf_fraction
    return dna_tumours & chosen


def _write_tsv(table: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    table.to_csv(tmp, sep="\t", index=False, na_rep="", float_format="%.10g")
    tmp.replace(path)


def write_design(
    design: CohortDesign,
    samples_path: str | Path,
    clinical_path: str | Path,
    lesions_path: str | Path,
    truth_path: str | Path,
) -> None:
    """Write the samples and clinical sheets and the two truth tables (TSV, empty = missing)."""
    _write_tsv(design.samples, samples_path)
    _write_tsv(design.clinical, clinical_path)
    _write_tsv(design.lesions, lesions_path)
    _write_tsv(design.patient_truth, truth_path)
