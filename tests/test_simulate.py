"""The cohort simulator: deterministic design and BAMs, truth that matches the coordinates,
and reads whose depth follows the copy-number model.

Known answers come from outside the simulator: IKZF1 exon and gene coordinates are written out
here (Ensembl/GENCODE, as in the project's reference notes), deletion classes are re-derived from
them, and expected copy ratios are the textbook 1 - f/2 (monoallelic) and 1 - f (biallelic).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from ikaros.alignment_files import AlignmentFileError, inspect_alignment_file
from ikaros.annotation import read_gene_models
from ikaros.dna.panel import read_panel, validate_panel
from ikaros.genome import contig_lengths
from ikaros.sheets import check_clinical, check_samples
from ikaros.simulate import SimulationSettings, design_cohort, simulate_sample_bam, write_design
from ikaros.simulate.reads import bin_profile

REPO = Path(__file__).resolve().parents[1]

# IKZF1 canonical exons (NM_006060), 1-based inclusive, chr7.
IKZF1_EXONS = {
    "GRCh37": [
        (50344378, 50344518), (50358644, 50358697), (50367234, 50367353), (50444231, 50444491),
        (50450238, 50450405), (50455043, 50455168), (50459427, 50459561), (50467616, 50472799),
    ],
    "GRCh38": [
        (50304716, 50304922), (50319048, 50319101), (50327638, 50327757), (50376533, 50376793),
        (50382540, 50382707), (50387345, 50387470), (50391729, 50391863), (50399918, 50405101),
    ],
}  # fmt: skip
GENES = {
    "GRCh37": {
        "CDKN2A": ("chr9", 21967751, 21995300), "CDKN2B": ("chr9", 22002902, 22009362),
        "PAX5": ("chr9", 36833272, 37034103), "ERG": ("chr21", 39751949, 40033704),
        "CRLF2": ("chrX", 1314890, 1331616), "CSF2RA": ("chrX", 1387693, 1429274),
        "ASMTL": ("chrX", 1522032, 1572655),
    },
    "GRCh38": {
        "CDKN2A": ("chr9", 21967752, 21995301), "CDKN2B": ("chr9", 22002903, 22009305),
        "PAX5": ("chr9", 36833269, 37034268), "ERG": ("chr21", 38380027, 38661780),
        "CRLF2": ("chrX", 1187549, 1212723), "CSF2RA": ("chrX", 1268800, 1310381),
        "ASMTL": ("chrX", 1403139, 1453762),
    },
}  # fmt: skip
CLASS_OF = {
    (4, 5, 6, 7): "del4-7", (2, 3, 4, 5, 6, 7): "del2-7", (2, 3, 4, 5, 6, 7, 8): "del2-8",
    (4, 5, 6, 7, 8): "del4-8", (1, 2, 3, 4, 5, 6, 7, 8): "del1-8",
}  # fmt: skip
TRUTH_PATIENT_COLUMNS = [
    "patient_id", "blast_percent", "sex", "ikzf1_status", "ikzf1_class", "ikzf1_exons_deleted",
    "ikzf1_focal", "ikzf1_fraction", "cdkn2a", "cdkn2b", "pax5", "par1", "erg", "ikzf1plus",
    "ikzf1plus_focal",
]  # fmt: skip
TRUTH_LESION_COLUMNS = [
    "patient_id", "sample_id", "lesion_id", "gene", "label", "chrom", "start", "end", "allelic",
    "cell_fraction",
]  # fmt: skip
# A test region of on-target bins on chr2 (1 kb bins every 3 kb), in three blocks of 20 bins.
REGION_START, BIN_STEP, BIN_WIDTH, BLOCK = 100_000_001, 3_000, 1_000, 20


def region_block(block: int) -> tuple[int, int]:
    """Genomic span of block 0, 1 or 2 of the chr2 test region, breakpoints mid-gap."""
    first = REGION_START + block * BLOCK * BIN_STEP
    return first - 1_000, first + (BLOCK - 1) * BIN_STEP + BIN_WIDTH + 999


def make_panel(build: str) -> pd.DataFrame:
    """A small panel: IKZF1 exons and intron tiles, the chr2 test region, chrX (PAR1 and
    non-PAR), chrY and autosomal control bins."""
    rows = []
    for number, (start, end) in enumerate(IKZF1_EXONS[build], start=1):
        rows.append(("chr7", start, end, "exon", "IKZF1", str(number), ""))
        if number < 8:
            next_start = IKZF1_EXONS[build][number][0]
            for tile in range(end + 201, next_start - 700, 1_000):
                rows.append(("chr7", tile, tile + 499, "intron", "IKZF1", "", str(number)))
    for i in range(3 * BLOCK):
        start = REGION_START + i * BIN_STEP
        rows.append(("chr2", start, start + BIN_WIDTH - 1, "exon", "TEST", str(i + 1), ""))
    for i in range(30):
        rows.append(("chrX", 20_000_001 + i * 2_000_000, 20_001_000 + i * 2_000_000, "control"))
        rows.append(("chrY", 3_000_001 + i * 500_000, 3_001_000 + i * 500_000, "control"))
    for i in range(10):  # inside PAR1 in both builds
        rows.append(("chrX", 300_001 + i * 200_000, 301_000 + i * 200_000, "control"))
    for chrom, length in contig_lengths(build).items():
        if chrom in ("chrX", "chrY"):
            continue
        for start in range(5_000_001, length - 1_000_000, 25_000_000):
            rows.append((chrom, start, start + 1_999, "control"))
    table = pd.DataFrame(
        [row + ("", "", "")[: 7 - len(row)] for row in rows],
        columns=["chrom", "start", "end", "kind", "gene", "exon", "intron"],
    )
    order = {name: i for i, name in enumerate(contig_lengths(build))}
    table = table.sort_values(["chrom", "start"], key=lambda c: c.map(order) if c.name == "chrom"
                              else c).reset_index(drop=True)  # fmt: skip
    table.insert(0, "bin_id", table["chrom"] + "_" + table["start"].astype(str))
    table["arm"] = ""
    return validate_panel(table.astype(str))


def md5(path) -> str:
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def fragment_midpoints(path) -> pd.DataFrame:
    """Midpoints (1-based) of counted fragments: primary, not duplicate/QC-fail, MAPQ >= 20."""
    chroms, mids = [], []
    with pysam.AlignmentFile(str(path)) as bam:
        for read in bam.fetch(until_eof=True):
            if read.flag & 0xF00 or read.mapping_quality < 20 or read.template_length <= 0:
                continue
            chroms.append(read.reference_name)
            mids.append(read.reference_start + 1 + read.template_length // 2)
    return pd.DataFrame({"chrom": chroms, "mid": np.array(mids, dtype=np.int64)})


def bin_counts(panel: pd.DataFrame, fragments: pd.DataFrame) -> np.ndarray:
    counts = np.zeros(len(panel), dtype=np.int64)
    for chrom, rows in panel.groupby("chrom", sort=False):
        mids = np.sort(fragments.loc[fragments["chrom"] == chrom, "mid"].to_numpy())
        lo = np.searchsorted(mids, rows["start"].to_numpy(), side="left")
        hi = np.searchsorted(mids, rows["end"].to_numpy(), side="right")
        counts[rows.index.to_numpy()] = hi - lo
    return counts


@pytest.fixture(scope="module")
def panel38():
    return make_panel("GRCh38")


def small_settings(**changes) -> SimulationSettings:
    base = dict(patients=12, panel_normals=4, matched_normals=3, seed=7)
    return SimulationSettings.from_config(base | changes)


# --- settings ---------------------------------------------------------------------------------


def test_settings_from_config_accepts_the_demo_block_and_rejects_unknown_keys():
    settings = SimulationSettings.from_config(
        {"seed": 20261124, "patients": 120, "panel_normals": 10, "matched_normals": 10, "depth": 30}
    )
    assert settings.patients == 120 and settings.depth == 30.0
    assert settings.offtarget_fraction == 0.15 and settings.focal_max_bp == 5_000_000
    with pytest.raises(ValueError, match=r"unknown key\(s\) 'deepth'.*known keys are seed"):
        SimulationSettings.from_config({"deepth": 30})
    with pytest.raises(ValueError, match="'patients' must be an integer"):
        SimulationSettings.from_config({"patients": 12.5})
    with pytest.raises(ValueError, match="'depth' must be a number"):
        SimulationSettings.from_config({"depth": "30x"})
    with pytest.raises(ValueError, match="matched_normals cannot exceed patients"):
        SimulationSettings.from_config({"patients": 5, "matched_normals": 6})


# --- design -----------------------------------------------------------------------------------


def test_design_is_deterministic_and_written_byte_identically(tmp_path):
    settings = SimulationSettings(patients=150)
    first = design_cohort(settings, "demo", "GRCh38", "results/demo/simulated/bam")
    second = design_cohort(settings, "demo", "GRCh38", "results/demo/simulated/bam")
    other_seed = design_cohort(
        dataclasses.replace(settings, seed=1), "demo", "GRCh38", "results/demo/simulated/bam"
    )
    paths = []
    for run, design in enumerate((first, second)):
        names = [tmp_path / f"{run}_{n}.tsv" for n in ("samples", "clinical", "lesions", "truth")]
        write_design(design, *names)
        paths.append(names)
    for a, b in zip(*paths, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert not first.lesions.equals(other_seed.lesions)
    # A patient's lesions do not depend on cohort size.
    smaller = design_cohort(dataclasses.replace(settings, patients=40), "demo", "GRCh38", "x")
    pd.testing.assert_frame_equal(
        smaller.lesions,
        first.lesions.loc[first.lesions["patient_id"] <= "P0040"].reset_index(drop=True),
    )
    text = paths[0][0].read_text() + paths[0][3].read_text()
    assert "NA" not in re.split(r"\s", text) and "nan" not in text and "None" not in text


def test_design_sheets_follow_the_formats(tmp_path):
    settings = SimulationSettings()
    design = design_cohort(settings, "demo", "GRCh37", "results/demo/simulated/bam")
    samples, clinical = design.samples, design.clinical
    assert list(samples.columns) == [
        "sample_id", "patient_id", "role", "dna_bam", "rna_bam", "vcf", "blast_percent", "sex"
    ]  # fmt: skip
    assert samples["rna_bam"].isna().all()  # RNA-seq is off by default
    assert samples["vcf"].isna().all()  # and so are VCFs
    assert list(design.patient_truth.columns) == TRUTH_PATIENT_COLUMNS
    assert list(design.lesions.columns) == TRUTH_LESION_COLUMNS
    tumours = samples[samples["role"] == "tumor"]
    assert list(tumours["sample_id"]) == [f"P{i:04d}_T" for i in range(1, 121)]
    matched = samples[(samples["role"] == "normal") & samples["patient_id"].notna()]
    assert len(matched) == 10 and all(matched["sample_id"] == matched["patient_id"] + "_N")
    pon = samples[samples["patient_id"].isna()]
    assert list(pon["sample_id"]) == [f"PON{i:02d}" for i in range(1, 11)]
    assert (pon["role"] == "normal").all() and pon["blast_percent"].isna().all()
    assert samples["dna_bam"].iloc[0] == "results/demo/simulated/bam/P0001_T.bam"
    assert tumours["blast_percent"].between(20, 95).all()
    assert abs(samples["sex"].isna().mean() - 0.3) < 0.01
    known = samples["sex"].notna()
    assert all(samples.loc[known, "sex"] == samples.loc[known, "sample_id"].map(design.true_sex))
    # The project's own sheet checks accept the simulated sheets.
    check_samples(samples, "simulated samples")
    check_clinical(clinical, samples, "simulated clinical")
    assert set(clinical["protocol"]) == {"Total XV", "Total XVI"}
    assert set(clinical["event"]) <= {
        "relapse", "death_in_remission", "second_malignancy", "censored"
    }  # fmt: skip
    assert (clinical["followup_years"] > 0).all() and clinical["mrd_eoi"].between(0, 1).all()
    assert clinical["age_years"].between(1, 19).all()
    # Written sheets read back with empty cells for missing values.
    write_design(design, *(tmp_path / f"{n}.tsv" for n in ("s", "c", "l", "t")))
    back = pd.read_csv(tmp_path / "s.tsv", sep="\t", keep_default_na=False, dtype=str)
    assert (back.loc[samples["sex"].isna().to_numpy(), "sex"] == "").all()
    assert (back.loc[samples["patient_id"].isna().to_numpy(), "patient_id"] == "").all()


def test_rna_patients_keep_the_design_and_rna_only_ones_lose_their_dna():
    """RNA-seq is drawn from its own stream: the rest of the design is unchanged."""
    plain = design_cohort(small_settings(), "x", "GRCh38", "bam")
    with_rna = design_cohort(
        small_settings(rna_fraction=0.5, rna_only_fraction=0.25), "x", "GRCh38", "bam"
    )
    pd.testing.assert_frame_equal(plain.lesions, with_rna.lesions)
    pd.testing.assert_frame_equal(plain.clinical, with_rna.clinical)
    columns = ["sample_id", "patient_id", "role", "blast_percent", "sex"]
    pd.testing.assert_frame_equal(plain.samples[columns], with_rna.samples[columns])
    samples = with_rna.samples
    tumours = samples[samples["role"] == "tumor"]
    n_patients = len(tumours)
    rna = tumours[tumours["rna_bam"].notna()]
    assert len(rna) == round(0.5 * n_patients)
    assert all(rna["rna_bam"] == "bam/" + rna["sample_id"] + ".rna.bam")
    rna_only = tumours[tumours["dna_bam"].isna()]
    assert len(rna_only) == round(0.25 * len(rna)) and rna_only["rna_bam"].notna().all()
    matched = set(samples.loc[(samples["role"] == "normal") & samples["patient_id"].notna(),
                              "patient_id"])  # fmt: skip
    assert not matched & set(rna_only["patient_id"])  # a matched normal keeps its tumour's DNA
    assert samples.loc[samples["role"] == "normal", "dna_bam"].notna().all()
    check_samples(samples, "simulated samples")


def _alleles_at_most(lesions: list[tuple], chrom: str, start: int, end: int) -> int:
    """Independent recount: the most alleles lost at any base of [start, end]."""
    hits = [
        (max(s, start), e, 2 if a == "bi" else 1)
        for c, s, e, a in lesions
        if c == chrom and s <= end and e >= start
    ]
    points = {s for s, _, _ in hits}
    return max((sum(n for s, e, n in hits if s <= p <= e) for p in points), default=0)


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_truth_matches_the_lesion_coordinates(build):
    settings = SimulationSettings(patients=500, seed=11)
    design = design_cohort(settings, "big", build, "bam")
    lesions, truth = design.lesions, design.patient_truth.set_index("patient_id")
    exons = IKZF1_EXONS[build]
    genes = GENES[build]
    pieces = design.karyotypes

    def karyotype_lost(patient_id: str, gene: str) -> int:
        chrom, start, end = ("chr7", exons[0][0], exons[-1][1]) if gene == "IKZF1" else genes[gene]
        over = pieces[(pieces["sample_id"] == f"{patient_id}_T") & (pieces["chrom"] == chrom)
                      & (pieces["start"] <= end) & (pieces["end"] >= start)]  # fmt: skip
        return int(min(2, max(0, (over["normal"] - over["copies"]).max()))) if len(over) else 0

    STATES = ("none", "mono", "bi")

    def below_normal(patient_id: str, span: tuple, lesion_alleles: int) -> int:
        """Alleles under the normal copies once the lesions take theirs from the blasts'
        copies (a male's PAR1: his chrX copies plus his chrY's, of two)."""
        chrom, start, end = span
        over = pieces[(pieces["sample_id"] == f"{patient_id}_T") & (pieces["chrom"] == chrom)
                      & (pieces["start"] <= end) & (pieces["end"] >= start)]  # fmt: skip
        if not len(over):
            return min(lesion_alleles, 2)
        worst = 0
        for piece in over.itertuples(index=False):
            copies, normal = piece.copies, piece.normal
            if chrom == "chrX" and start < 2_800_000 and normal == 1:
                copies, normal = copies + 1, 2
            worst = max(worst, normal - (copies - min(lesion_alleles, copies)))
        return min(worst, 2)

    ikzf1 = lesions[lesions["gene"] == "IKZF1"]
    assert set(ikzf1["label"].str.replace(r"_(focal|7p|chr7)$", "", regex=True)) >= {
        "IKZF1_del4-7", "IKZF1_del2-7", "IKZF1_del2-8", "IKZF1_del4-8", "IKZF1_del1-8",
        "IKZF1_intronic",
    }  # fmt: skip
    for row in ikzf1.itertuples(index=False):
        hit = tuple(i for i, (s, e) in enumerate(exons, 1) if s <= row.end and e >= row.start)
        label = row.label.removeprefix("IKZF1_")
        if label == "intronic":
            assert hit == ()
        else:
            first, last = map(int, re.match(r"del(\d)-(\d)", label).groups())
            assert hit == tuple(range(first, last + 1)), row
        # Breakpoints never cut an exon: each exon is either lost whole or kept.
        for s, e in exons:
            assert not (s < row.start <= e) and not (s <= row.end < e), row
        patient = truth.loc[row.patient_id]
        if karyotype_lost(row.patient_id, "IKZF1"):
            continue  # a monosomy 7 takes the whole gene (below)
        assert patient["ikzf1_exons_deleted"] == ",".join(map(str, hit))
        assert patient["ikzf1_class"] == (CLASS_OF.get(hit, "other") if hit else "")
        assert patient["ikzf1_status"] == ("deleted" if hit else "wildtype")
        if hit:
            arm = row.label.endswith(("_7p", "_chr7"))
            assert patient["ikzf1_focal"] == ("false" if arm else "true")
            assert arm == (row.end - row.start + 1 >= settings.focal_max_bp)
            assert patient["ikzf1_fraction"] == row.cell_fraction
    # A karyotype that holds IKZF1 in fewer copies than normal (monosomy 7 of hypodiploid and
    # near-haploid clones) is a whole-gene, non-focal deletion in the blasts.
    monosomy7 = [p for p in truth.index if karyotype_lost(p, "IKZF1")]
    assert monosomy7, "the cohort should hold hypodiploid tumours without chromosome 7"
    for patient_id in monosomy7:
        patient = truth.loc[patient_id]
        assert patient["ikzf1_class"] == "del1-8" and patient["ikzf1_focal"] == "false"
        assert patient["ikzf1_fraction"] >= patient["blast_percent"] / 100
    others = ~truth.index.isin(ikzf1["patient_id"]) & ~truth.index.isin(monosomy7)
    assert (truth.loc[others, "ikzf1_status"] == "wildtype").all()

    par1_span = ("chrX", genes["CSF2RA"][1], genes["ASMTL"][2])
    by_patient: dict[str, list[tuple]] = {}
    for lesion in lesions.itertuples(index=False):
        by_patient.setdefault(lesion.patient_id, []).append(
            (lesion.chrom, lesion.start, lesion.end, lesion.allelic)
        )
    for patient_id, row in truth.iterrows():
        own = by_patient.get(patient_id, [])
        status = {
            name: STATES[below_normal(patient_id, span, _alleles_at_most(own, *span))]
            for name, span in [
                ("cdkn2a", genes["CDKN2A"]), ("cdkn2b", genes["CDKN2B"]),
                ("pax5", genes["PAX5"]), ("erg", genes["ERG"]), ("par1", par1_span),
            ]
        }  # fmt: skip
        for name, value in status.items():
            assert row[name] == value, (patient_id, name)
        deleted = row["ikzf1_status"] == "deleted"
        partner = any(status[g] != "none" for g in ("cdkn2a", "cdkn2b", "pax5", "par1"))
        plus = deleted and partner and status["erg"] == "none"
        assert row["ikzf1plus"] == str(plus).lower()
        assert row["ikzf1plus_focal"] == str(plus and row["ikzf1_focal"] == "true").lower()
    # PAR1 losses keep CRLF2 and remove CSF2RA..ASMTL.
    par1 = lesions[lesions["label"] == "PAR1"]
    assert len(par1) and (par1["start"] > genes["CRLF2"][2]).all()
    assert (par1["start"] < genes["CSF2RA"][1]).all() and (par1["end"] > genes["ASMTL"][2]).all()
    # Cell fractions are bounded by the blast fraction; about a fifth of lesions are subclonal.
    blast = lesions["patient_id"].map(truth["blast_percent"]) / 100
    clonal = lesions["cell_fraction"] / blast
    assert (clonal <= 1 + 1e-3).all() and (clonal >= 0.3 - 1e-3).all()
    assert 0.1 < (clonal < 0.99).mean() < 0.3
    # Frequencies roughly as in pediatric B-ALL, with IKZF1plus genes enriched in IKZF1 losses.
    rate = {g: (truth[g] != "none").mean() for g in ("cdkn2a", "pax5", "erg", "par1")}
    assert 0.2 < rate["cdkn2a"] < 0.45 and 0.2 < rate["pax5"] < 0.45
    assert 0.02 < rate["erg"] < 0.1 and 0.02 < rate["par1"] < 0.12
    assert 0.15 < (truth["ikzf1_status"] == "deleted").mean() < 0.3
    by_ikzf1 = truth.groupby(truth["ikzf1_status"] == "deleted")["cdkn2a"].apply(
        lambda s: (s != "none").mean()
    )
    assert by_ikzf1[True] > by_ikzf1[False]
    assert (truth["cdkn2a"] == "bi").any() and (truth["ikzf1plus"] == "true").sum() > 20


# --- BAMs -------------------------------------------------------------------------------------


def test_bams_are_deterministic_per_sample_and_carry_the_build_header(tmp_path, panel38):
    settings = small_settings(depth=20)
    samples = ["P0002_T", "PON01", "P0005_T"]
    for run, order in (("a", samples), ("b", samples[::-1])):
        design = design_cohort(settings, "t", "GRCh38", tmp_path / run)
        for sample_id in order:
            simulate_sample_bam(
                design, sample_id, panel38, "GRCh38", tmp_path / run / f"{sample_id}.bam", settings
            )
    for sample_id in samples:
        assert md5(tmp_path / "a" / f"{sample_id}.bam") == md5(tmp_path / "b" / f"{sample_id}.bam")
    assert md5(tmp_path / "a" / "P0002_T.bam") != md5(tmp_path / "a" / "P0005_T.bam")
    other = small_settings(depth=20, seed=8)
    design = design_cohort(other, "t", "GRCh38", tmp_path / "c")
    simulate_sample_bam(design, "PON01", panel38, "GRCh38", tmp_path / "c.bam", other)
    assert md5(tmp_path / "c.bam") != md5(tmp_path / "a" / "PON01.bam")

    path = tmp_path / "a" / "P0002_T.bam"
    info = inspect_alignment_file(path, "GRCh38")  # indexed, build checked, has reads
    assert info.chr_prefix
    with pytest.raises(AlignmentFileError, match="GRCh37"):
        inspect_alignment_file(path, "GRCh37")
    with pysam.AlignmentFile(str(path)) as bam:
        assert dict(zip(bam.references, bam.lengths, strict=True)) == contig_lengths("GRCh38")
        header = bam.header.to_dict()
        parsed_header = pysam.AlignmentHeader.from_dict(header)
        assert header["HD"]["SO"] == "coordinate" and "PG" not in header
        reads = list(bam.fetch(until_eof=True))
    keys = [(r.reference_id, r.reference_start) for r in reads]
    assert keys == sorted(keys)
    # background soft clips of 10-40 bases at either end, in about 1% of the primary reads
    primary = [r for r in reads if not r.flag & 0x900]
    cigars = [r.cigartuples for r in primary]
    clipped = [c for c in cigars if c != [(0, 150)]]
    assert 0.006 < len(clipped) / len(primary) < 0.014
    for cigar in clipped:
        ops = sorted(cigar)
        assert [op for op, _ in ops] == [0, 4] and 10 <= ops[1][1] <= 40
        assert sum(length for _, length in cigar) == 150
    # The BAM `bin` field equals the one htslib computes when it parses the same record.
    for read in reads[:: max(len(reads) // 500, 1)]:
        reparsed = pysam.AlignedSegment.fromstring(read.to_string(), parsed_header)
        assert read.bin == reparsed.bin
    flags = np.array([r.flag for r in reads])
    for bit in (0x100, 0x200, 0x400, 0x800):
        assert 0 < np.mean(flags & bit > 0) < 0.06, hex(bit)
    mapq = np.array([r.mapping_quality for r in reads])
    assert 0.005 < np.mean(mapq < 20) < 0.05
    # chimeric pairs (about 0.2%): the reverse read moved to another chromosome, never to chrY
    # (a female has none); the rest proper
    chimeric = [r for r in primary if r.next_reference_id != r.reference_id]
    assert 0.001 < len(chimeric) / len(primary) < 0.004
    assert all(not r.is_proper_pair and r.template_length == 0 for r in chimeric)
    assert "chrY" not in {r.reference_name for r in chimeric if r.is_reverse}
    assert all(r.is_paired and r.is_proper_pair for r in primary if r not in chimeric)
    lengths = np.array([abs(r.template_length) for r in primary if r.is_proper_pair])
    assert 280 < lengths.mean() < 320 and lengths.min() >= 150
    # Sparse background on every contig the sample carries (female: no chrY outside PAR).
    contigs = {r.reference_name for r in reads}
    assert len(contigs) >= 22


def _design_with(settings, build, lesions, sexes, tmp_path):
    design = design_cohort(settings, "t", build, tmp_path)
    table = pd.DataFrame(lesions, columns=TRUTH_LESION_COLUMNS)
    return dataclasses.replace(design, lesions=table, true_sex=design.true_sex | sexes)


def _ratio_and_se(t_del, t_ref, n_del, n_ref):
    ratio = (t_del / t_ref) / (n_del / n_ref)
    return ratio, ratio * np.sqrt(1 / t_del + 1 / t_ref + 1 / n_del + 1 / n_ref)


def test_read_depth_follows_monoallelic_and_biallelic_losses(tmp_path, panel38):
    # Exact copy-number test: no overdispersion or sample bias, so counts are Poisson.
    settings = small_settings(
        depth=150, dispersion=0, bias_sd=0, library_spread=0, background_fragments=0
    )
    fraction = 0.8
    lesions = []
    for number, (block, allelic) in enumerate(((0, "mono"), (1, "bi")), start=1):
        start, end = region_block(block)
        lesions.append(("P0001", "P0001_T", f"P0001_L{number:02d}", "TEST", f"TEST_{allelic}",
                        "chr2", start, end, allelic, fraction))  # fmt: skip
    design = _design_with(settings, "GRCh38", lesions, {}, tmp_path)
    counts = {}
    for sample_id in ("P0001_T", "PON01"):
        path = tmp_path / f"{sample_id}.bam"
        simulate_sample_bam(design, sample_id, panel38, "GRCh38", path, settings)
        per_bin = bin_counts(panel38, fragment_midpoints(path))
        region = panel38["gene"] == "TEST"
        blocks = per_bin[region.to_numpy()].reshape(3, BLOCK).sum(axis=1)
        counts[sample_id] = blocks
    tumour, normal = counts["P0001_T"], counts["PON01"]
    # `depth` is the mean read-base depth over on-target bins, scaled by each bin's capture.
    region = panel38.loc[panel38["gene"] == "TEST"]
    bed = tmp_path / "region.bed"
    region[["chrom", "start", "end"]].assign(start=region["start"] - 1).to_csv(
        bed, sep="\t", header=False, index=False
    )
    covered = pysam.bedcov(str(bed), str(tmp_path / "PON01.bam"))  # primary, not dup/QC-fail
    bases = sum(int(line.split("\t")[3]) for line in covered.strip().splitlines())
    capture = bin_profile(panel38, settings.seed, settings.capture_sd)["capture"]
    width = region["end"] - region["start"] + 1
    expected = settings.depth * float((capture[region.index] * width).sum() / width.sum())
    assert abs(bases / width.sum() / expected - 1) < 0.05, (bases / width.sum(), expected)
    assert normal.min() > 3_000
    for block, expected in ((0, 1 - fraction / 2), (1, 1 - fraction)):
        ratio, se = _ratio_and_se(tumour[block], tumour[2], normal[block], normal[2])
        assert abs(ratio - expected) < 4 * se, (block, ratio, expected, se)


def test_sex_sets_chrx_and_chry_dose(tmp_path, panel38):
    settings = small_settings(depth=60, offtarget_fraction=1.0, dispersion=0, bias_sd=0)
    design = _design_with(settings, "GRCh38", [], {"PON01": "male", "PON02": "female"}, tmp_path)
    control = panel38["kind"] == "control"
    par1 = control & (panel38["chrom"] == "chrX") & (panel38["end"] < 2_700_000)
    x_only = control & (panel38["chrom"] == "chrX") & ~par1
    y_only = control & (panel38["chrom"] == "chrY")
    autosome = control & ~panel38["chrom"].isin(["chrX", "chrY"])
    sums = {}
    for sample_id in ("PON01", "PON02"):
        path = tmp_path / f"{sample_id}.bam"
        simulate_sample_bam(design, sample_id, panel38, "GRCh38", path, settings)
        per_bin = bin_counts(panel38, fragment_midpoints(path))
        sums[sample_id] = {
            name: per_bin[mask.to_numpy()].sum()
            for name, mask in (("x", x_only), ("par1", par1), ("y", y_only), ("auto", autosome))
        }
        with pysam.AlignmentFile(str(path)) as bam:
            sums[sample_id]["y_reads"] = bam.count("chrY")
    male, female = sums["PON01"], sums["PON02"]
    assert female["y_reads"] == 0 and male["y_reads"] > 500
    for region, expected in (("x", 0.5), ("par1", 1.0)):
        ratio, se = _ratio_and_se(male[region], male["auto"], female[region], female["auto"])
        assert abs(ratio - expected) < 4 * se, (region, ratio, se)


def test_capture_profile_is_shared_and_noise_is_independent(tmp_path, panel38):
    settings = small_settings(depth=100, offtarget_fraction=1.0, bias_sd=0, dispersion=0.05)
    design = _design_with(settings, "GRCh38", [], {"PON01": "female", "PON02": "female",
                                                   "PON03": "female"}, tmp_path)  # fmt: skip
    autosomal = ~panel38["chrom"].isin(["chrX", "chrY"]).to_numpy()
    width = (panel38["end"] - panel38["start"] + 1).to_numpy()[autosomal]
    logs = []
    for sample_id in ("PON01", "PON02", "PON03"):
        path = tmp_path / f"{sample_id}.bam"
        simulate_sample_bam(design, sample_id, panel38, "GRCh38", path, settings)
        counts = bin_counts(panel38, fragment_midpoints(path))[autosomal]
        logs.append(np.log((counts + 0.5) / width))
    capture = np.log(bin_profile(panel38, settings.seed, settings.capture_sd)["capture"])
    capture = capture.to_numpy()[autosomal]
    # Same capture in every sample: per-bin profiles follow it and agree with each other (the
    # expected correlation is var(capture) / (var(capture) + dispersion) = 0.12 / 0.17 = 0.7) ...
    for log_density in logs:
        assert np.corrcoef(log_density, capture)[0, 1] > 0.75
    assert np.corrcoef(logs[0], logs[1])[0, 1] > 0.55
    # ... while what is left after removing it is independent between samples.
    residuals = [lg - capture - np.mean(lg - capture) for lg in logs]
    assert abs(np.corrcoef(residuals[0], residuals[1])[0, 1]) < 0.25
    # The capture of a bin does not depend on which other bins the panel holds.
    half = panel38.iloc[::2].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        bin_profile(half, 3, 0.35), bin_profile(panel38, 3, 0.35).iloc[::2].reset_index(drop=True)
    )


def test_unknown_sample_is_refused(tmp_path, panel38):
    settings = small_settings()
    design = design_cohort(settings, "t", "GRCh38", tmp_path)
    with pytest.raises(ValueError, match="'P9999_T' is not in the design"):
        simulate_sample_bam(design, "P9999_T", panel38, "GRCh38", tmp_path / "x.bam", settings)


def test_gene_models_put_intragenic_breakpoints_in_introns():
    exons = pd.DataFrame(
        [("ERG", "chr21", "-", n, 38_700_000 - n * 20_000, 38_700_000 - n * 20_000 + 150)
         for n in range(1, 12)]
        + [("PAX5", "chr9", "-", n, 37_030_000 - n * 18_000, 37_030_000 - n * 18_000 + 120)
           for n in range(1, 11)]
        + [("P2RY8", "chrX", "-", 1, 1_536_921, 1_537_185),
           ("P2RY8", "chrX", "-", 2, 1_462_581, 1_466_582)],
        columns=["gene", "chrom", "strand", "exon", "start", "end"],
    )  # fmt: skip
    design = design_cohort(SimulationSettings(patients=300), "g", "GRCh38", "b", exons)
    checked = 0
    for row in design.lesions.itertuples(index=False):
        gene = {"PAR1": "P2RY8"}.get(row.gene, row.gene)
        if gene not in ("ERG", "PAX5", "P2RY8"):
            continue
        model = exons[exons["gene"] == gene]
        for exon in model.itertuples(index=False):
            assert not (exon.start < row.start <= exon.end), (row, exon)
            assert not (exon.start <= row.end < exon.end), (row, exon)
        lost = sorted(model.loc[(model["start"] <= row.end) & (model["end"] >= row.start), "exon"])
        assert lost == list(range(lost[0], lost[-1] + 1))  # a contiguous run of exons
        if row.label == "PAR1":
            assert lost == [2]  # breakpoint in P2RY8 intron 1
        if row.label == "ERG_intragenic":
            assert 1 not in lost and 11 not in lost
        checked += 1
    assert checked > 30


@pytest.mark.workflow
def test_rule_scripts_write_the_parse_time_design_and_identical_bams(tmp_path, snakemake_runner):
    simulate = {"seed": 5, "patients": 4, "panel_normals": 1, "matched_normals": 1}
    config = {"cohorts": {"tiny": {"build": "GRCh37", "simulate": simulate}}}
    bam_dir = "results/tiny/simulated/bam"
    targets = [
        "results/tiny/simulated/truth_patients.tsv",
        f"{bam_dir}/P0002_T.bam",
        f"{bam_dir}/PON01.bam",
    ]
    result = snakemake_runner(tmp_path / "wf", config, "--cores", "2", *targets)
    assert result.returncode == 0, result.stdout + result.stderr
    settings = SimulationSettings.from_config(simulate)
    gene_models = read_gene_models(REPO / "resources" / "gene_models_GRCh37.tsv")
    design = design_cohort(settings, "tiny", "GRCh37", bam_dir, gene_models=gene_models)
    names = [
        tmp_path / f"{n}.tsv" for n in ("samples", "clinical", "truth_lesions", "truth_patients")
    ]
    write_design(design, *names)
    for name in names:
        assert (
            tmp_path / "wf/results/tiny/simulated" / name.name
        ).read_bytes() == name.read_bytes()
    panel = read_panel(REPO / "resources" / "panel_GRCh37.tsv")
    for sample_id in ("P0002_T", "PON01"):
        here = tmp_path / f"{sample_id}.bam"
        simulate_sample_bam(design, sample_id, panel, "GRCh37", here, settings)
        assert md5(here) == md5(tmp_path / "wf" / bam_dir / f"{sample_id}.bam")
        assert (tmp_path / "wf" / bam_dir / f"{sample_id}.bam.bai").is_file()


def test_outcomes_follow_the_configured_fine_gray_model():
    """Four-year relapse incidence (no censoring before 4 years) matches the model's true CIF
    per IKZF1 status, and a larger true sHR raises it; unknown outcome keys are refused."""
    from ikaros.outcome_simulation import OutcomeModel, linear_predictor

    config = {"seed": 11, "patients": 3000, "panel_normals": 0, "matched_normals": 0}
    for shr in (1.6, 4.0):
        settings = SimulationSettings.from_config(
            {**config, "outcomes": {"shr": {"ikzf1_altered": shr}}}
        )
        design = design_cohort(settings, "big", "GRCh38", "bam")
        cohort = design.clinical.merge(design.patient_truth, on="patient_id", suffixes=("", "_t"))
        truth_cif = settings.outcomes.cif(linear_predictor(cohort, settings.outcomes), 4.0)
        relapsed = (cohort["event"] == "relapse") & (cohort["followup_years"] <= 4.0)
        for deleted in (True, False):
            group = (cohort["ikzf1_status"] == "deleted") == deleted
            expected = truth_cif[group].mean()
            standard_error = np.sqrt(expected * (1 - expected) / group.sum())
            assert abs(relapsed[group].mean() - expected) < 4 * standard_error, (shr, deleted)
    assert OutcomeModel.from_config({"shr": {"ikzf1_altered": 4.0}}).shr["ikzf1_altered"] == 4.0
    with pytest.raises(ValueError, match="unknown keys"):
        SimulationSettings.from_config({**config, "outcomes": {"hazard": 1}})


# --- junction fragments of deletions ------------------------------------------------------

# A del2-7-like loss whose edges lie inside tiled bins (IKZF1 intron 1 tile 50,317,023-50,317,522
# and intron 7 tile 50,392,964-50,393,463, GRCh38), so both flanks are captured.
JUNCTION_LOSS = ("chr7", 50317300, 50393200)


def _junction_bam(
    tmp_path: Path, allelic: str, fraction: float, depth: float, **aligner: bool
) -> Path:
    """A tumour BAM with JUNCTION_LOSS and no background clips or chimeras, so that every
    clipped read and improper pair comes from the loss; `aligner`: split_reads,
    improper_pairs."""
    chrom, start, end = JUNCTION_LOSS
    lesions = pd.DataFrame(
        [
            {
                "patient_id": "P1", "sample_id": "P1_T", "lesion_id": "P1_L01",
                "gene": "IKZF1", "label": "IKZF1_del2-7", "chrom": chrom, "start": start,
                "end": end, "allelic": allelic, "cell_fraction": fraction,
            }
        ]
    )  # fmt: skip
    from ikaros.simulate.reads import write_sample_bam

    panel = read_panel(REPO / "resources/panel_GRCh38.tsv")
    settings = SimulationSettings(
        seed=77, depth=depth, soft_clip_fraction=0.0, chimeric_fraction=0.0, **aligner
    )
    bam = tmp_path / f"{allelic}_{fraction}_{'_'.join(map(str, aligner.values()))}.bam"
    write_sample_bam(panel, "GRCh38", "P1_T", "female", lesions, bam, settings)
    return bam


def _near_edges(bam: Path) -> list[pysam.AlignedSegment]:
    chrom, start, end = JUNCTION_LOSS
    with pysam.AlignmentFile(str(bam)) as handle:
        reads = [
            read
            for region in ((start - 1000, start + 1000), (end - 1000, end + 1000))
            for read in handle.fetch(chrom, *region)
            if not (read.is_secondary or read.is_supplementary)
        ]
    return reads


def test_deleted_alleles_give_clipped_reads_at_the_exact_junction_and_discordant_pairs(tmp_path):
    chrom, start, end = JUNCTION_LOSS
    reads = _near_edges(_junction_bam(tmp_path, "mono", 0.8, 60))
    clipped = [r for r in reads if len(r.cigartuples) > 1]
    assert len(clipped) >= 5
    for read in clipped:
        (first_op, first_len), (last_op, last_len) = read.cigartuples
        assert first_len + last_len == 150
        if last_op == 4:  # right clip: the aligned part ends at the last base before the loss
            assert read.reference_end == start - 1
        else:  # left clip: the aligned part starts at the first base after it
            assert first_op == 4 and read.reference_start + 1 == end + 1
    discordant = [r for r in reads if not r.is_proper_pair and not r.is_reverse]
    assert discordant
    for read in discordant:
        assert read.reference_end <= start - 1 and read.next_reference_start + 1 >= end + 1
        assert read.template_length > end - start


def test_an_end_to_end_aligner_clips_nothing_and_a_proper_pair_filter_keeps_no_discordant_pair(
    tmp_path,
):
    chrom, start, end = JUNCTION_LOSS
    reads = _near_edges(_junction_bam(tmp_path, "mono", 0.8, 60, split_reads=False))
    assert all(r.cigarstring == "150M" for r in reads)
    # the reads across the junction are still there, aligned whole into the deleted bases
    crossing = [r for r in reads if r.reference_start < start - 1 < r.reference_end - 1]
    assert crossing
    assert [r for r in reads if not r.is_proper_pair]  # the discordant pairs stay
    reads = _near_edges(_junction_bam(tmp_path, "mono", 0.8, 60, improper_pairs=False))
    assert all(r.is_proper_pair for r in reads)
    clipped = [r for r in reads if len(r.cigartuples) > 1]
    assert clipped  # the split reads whose mates lie on their own side stay
    for read in clipped:
        if read.cigartuples[-1][0] == 4:
            assert read.reference_end == start - 1
        else:
            assert read.reference_start + 1 == end + 1


def test_split_reads_carry_supplementary_alignments_that_name_the_other_breakpoint(tmp_path):
    """As BWA-MEM writes them: a split read whose clip is 20 bases or more has a hard-clipped
    supplementary record across the junction, and the two name each other in SA tags; the
    primary's SA names the first base after the loss (right clip) or the alignment ending at
    the last base before it (left clip). Without supplementary_alignments there are none."""
    chrom, start, end = JUNCTION_LOSS
    bam = _junction_bam(tmp_path, "mono", 0.8, 60)
    with pysam.AlignmentFile(str(bam)) as handle:
        records = [
            read
            for region in ((start - 1000, start + 1000), (end - 1000, end + 1000))
            for read in handle.fetch(chrom, *region)
            if read.has_tag("SA")
        ]
    primaries = {r.query_name + str(r.is_read1): r for r in records if not r.is_supplementary}
    supplementary = {r.query_name + str(r.is_read1): r for r in records if r.is_supplementary}
    assert len(primaries) >= 5
    for read in primaries.values():
        contig, position, strand, cigar, mapq, _ = read.get_tag("SA").rstrip(";").split(",")
        assert (contig, strand, mapq) == (chrom, "-" if read.is_reverse else "+", "60")
        (first_op, first_len), (last_op, last_len) = read.cigartuples
        assert (first_len if first_op == 4 else last_len) >= 20  # BWA-MEM's seed and more
        if last_op == 4:  # aligned up to the loss; the rest aligns from its first base after
            assert read.reference_end == start - 1
            assert (int(position), cigar) == (end + 1, f"{first_len}S{last_len}M")
        else:  # aligned from the first base after; the first bases end before the loss
            assert (int(position) + first_len - 1, cigar) == (start - 1, f"{first_len}M{last_len}S")
        other = supplementary[read.query_name + str(read.is_read1)]
        assert other.reference_start + 1 == int(position)
        assert {op for op, _ in other.cigartuples} == {0, 5}  # hard-clipped
        assert other.get_tag("SA").split(",")[1] == str(read.reference_start + 1)
        assert other.flag & 0xFFF & ~0x800 == read.flag & 0xFFF
    for read in _near_edges(bam):  # shorter clips hold no seed: no supplementary alignment
        if len(read.cigartuples) > 1 and not read.has_tag("SA"):
            assert min(length for _, length in read.cigartuples) < 20
    plain = _junction_bam(tmp_path, "mono", 0.8, 60, supplementary_alignments=False)
    with pysam.AlignmentFile(str(plain)) as handle:
        assert not [r for r in handle.fetch(chrom, start - 1000, end + 1000) if r.has_tag("SA")]


def test_a_clonal_biallelic_loss_leaves_only_junction_fragments_across_its_edges(tmp_path):
    chrom, start, end = JUNCTION_LOSS
    bam = _junction_bam(tmp_path, "bi", 1.0, 60)
    with pysam.AlignmentFile(str(bam)) as handle:
        inside = [
            r for r in handle.fetch(chrom, start + 200, end - 200)
            if not (r.is_secondary or r.is_supplementary) and r.reference_start > start
            and r.reference_end < end
        ]  # fmt: skip
    assert inside == []  # no copy is left in any cell
    reads = _near_edges(bam)
    spanning = [
        r for r in reads
        if not r.is_reverse and r.is_proper_pair and r.reference_start < start - 1
        and r.reference_start + r.template_length > start
    ]  # fmt: skip
    assert spanning == []  # nothing reads through an edge on the reference
    assert sum(len(r.cigartuples) > 1 for r in reads) >= 10


def test_junction_fragment_share_is_the_derived_chromosomes_share_of_copies(tmp_path):
    """Of the fragments from the left flank that reach past the loss's first base, a share
    f x 1/2 (monoallelic, f = 0.6) comes from the derived chromosome."""
    chrom, start, end = JUNCTION_LOSS
    reads = _near_edges(_junction_bam(tmp_path, "mono", 0.6, 400))
    # fragments named once each: the leftmost read of a pair whose first base is left of
    # `start` and whose fragment midpoint lies left of it
    junction, intact = set(), set()
    for read in reads:
        if read.is_reverse or read.reference_start + 1 >= start:
            continue
        if read.is_proper_pair and len(read.cigartuples) == 1:
            outer_end = read.reference_start + read.template_length  # 0-based exclusive
            midpoint = read.reference_start + 1 + read.template_length // 2
            if outer_end >= start and midpoint < start:
                intact.add(read.query_name)
        elif read.reference_end == start - 1 or not read.is_proper_pair:
            junction.add(read.query_name)
    n = len(junction) + len(intact)
    share = len(junction) / n
    # junction fragments from the left flank: pairs whose left read ends at the junction or
    # lies before it with its mate past the loss; their midpoints lie left of `start`
    assert n > 150
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)


def test_samples_without_losses_show_only_scattered_clips_and_chimeras(tmp_path):
    """A normal's clipped reads (about 1%) clip at scattered bases, and its improper pairs have
    their mates on other chromosomes: nothing that looks like a deletion's junction."""
    panel = read_panel(REPO / "resources/panel_GRCh38.tsv")
    from ikaros.simulate.reads import write_sample_bam

    empty = pd.DataFrame(columns=["chrom", "start", "end", "allelic", "cell_fraction"])
    bam = tmp_path / "normal.bam"
    write_sample_bam(panel, "GRCh38", "N1", "male", empty, bam, SimulationSettings(seed=77))
    with pysam.AlignmentFile(str(bam)) as handle:
        reads = [r for r in handle.fetch("chr7", 50_000_000, 51_000_000)
                 if not (r.is_secondary or r.is_supplementary)]  # fmt: skip
    clipped = [r for r in reads if len(r.cigartuples) > 1]
    assert 0.006 < len(clipped) / len(reads) < 0.014
    ends = Counter(r.reference_end for r in clipped if r.cigartuples[-1][0] == 4)
    starts = Counter(r.reference_start for r in clipped if r.cigartuples[0][0] == 4)
    assert sum(n > 1 for n in (ends + starts).values()) <= 3  # chance coincidences only
    improper = [r for r in reads if not r.is_proper_pair]
    assert 0 < len(improper) / len(reads) < 0.005
    assert all(r.next_reference_id != r.reference_id for r in improper)


def test_vcfs_go_to_dna_tumours_only_and_hold_the_drawn_drivers(tmp_path):
    from ikaros.annotation import read_gene_spans
    from ikaros.simulate.variants import simulate_cohort_vcfs
    from ikaros.variants.drivers import driver_variants, read_driver_genes
    from ikaros.variants.vcf import inspect_vcf

    settings = SimulationSettings(patients=30, rna_fraction=0.3, rna_only_fraction=0.5,
                                  vcf_fraction=1.0)  # fmt: skip
    design = design_cohort(settings, "sim", "GRCh38", tmp_path / "bam")
    samples = design.samples
    with_vcf = samples["vcf"].notna()
    dna_tumours = (samples["role"] == "tumor") & samples["dna_bam"].notna()
    assert (with_vcf == dna_tumours).all() and with_vcf.sum() < 30  # RNA-only ones have none
    resources = Path(__file__).resolve().parents[1] / "resources"
    spans = read_gene_spans(resources / "gene_spans_GRCh38.tsv")
    truth = simulate_cohort_vcfs(samples.head(12), spans, "GRCh38", settings.seed)
    drivers = read_driver_genes(resources / "driver_genes.tsv")
    for row in samples.head(12)[with_vcf.head(12)].itertuples(index=False):
        found = driver_variants(inspect_vcf(row.vcf, "GRCh38", row.sample_id), row.sample_id,
                                drivers, spans)  # fmt: skip
        expected = truth[truth["sample_id"] == row.sample_id]
        assert sorted(found["protein_change"]) == sorted(expected["protein_change"])
    assert len(truth) >= 1


def _pieces(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "copies", "minor", "normal"])


def test_copy_ratio_counts_the_copies_a_lesion_leaves_on_the_blasts_karyotype():
    """Copies per cell over two, by hand: blasts (80% of cells) with a trisomy 9, a monosomy
    7 and, in a male, a gained chrX; lesions in 60% of cells."""
    from ikaros.simulate.reads import CopyRatio, KaryotypeRatio

    pieces = _pieces([
        ("chr9", 1, 138_000_000, 3, 1, 2), ("chr7", 1, 159_000_000, 1, 0, 2),
        ("chrX", 1, 156_000_000, 2, 0, 1),
    ])  # fmt: skip
    karyotype = KaryotypeRatio(pieces, 0.8)
    lesions = pd.DataFrame(
        [("chr9", 1_000, 2_000, "mono", 0.6), ("chr9", 5_000, 6_000, "bi", 0.6),
         ("chr7", 1_000, 2_000, "mono", 0.6), ("chrX", 1_000_000, 1_100_000, "mono", 0.6),
         ("chr2", 1_000, 2_000, "mono", 0.6)],
        columns=["chrom", "start", "end", "allelic", "cell_fraction"],
    )  # fmt: skip
    ratio = CopyRatio("GRCh38", "male", lesions)
    at = np.array([1_500, 5_500, 50_000])
    # trisomy 9: 0.8 x 3 + 0.2 x 2 = 2.8 copies; a monoallelic loss takes one from 60%
    np.testing.assert_allclose(
        ratio("chr9", at, karyotype), [(2.8 - 0.6) / 2, (2.8 - 1.2) / 2, 1.4]
    )
    # monosomy 7: 0.8 + 0.4 = 1.2 copies; the loss takes the last copy of 60% of the cells
    np.testing.assert_allclose(ratio("chr7", at[[0, 2]], karyotype), [0.3, 0.6])
    # his PAR1: chrX's 2 (blasts) or 1 copies plus chrY's one: 0.8 x 3 + 0.2 x 2 = 2.8, and
    # the PAR1 loss leaves 2.2; outside PAR1, 0.8 x 2 + 0.2 x 1 = 1.8
    np.testing.assert_allclose(
        ratio("chrX", np.array([1_050_000, 1_500_000, 5_000_000]), karyotype),
        [1.1, 1.4, 0.9],
    )
    # a diploid chromosome and no karyotype at all: 1 - f/2 under the loss, as before
    np.testing.assert_allclose(ratio("chr2", at[[0, 2]], karyotype), [0.7, 1.0])
    np.testing.assert_allclose(ratio("chr9", at[[0, 2]]), [0.7, 1.0])
    # fragments are drawn at the highest ratio: the male's PAR1 at 1.4
    assert karyotype.highest == pytest.approx(1.4)


def test_the_truth_reads_the_karyotype_under_the_lesions_as_copies_below_normal():
    from ikaros.simulate.design import with_karyotype_losses
    from ikaros.simulate.lesions import GeneCoordinates

    coords = GeneCoordinates("GRCh38")
    base = {
        "patient_id": "P1", "blast_percent": 80.0, "sex": "male", "ikzf1_status": "deleted",
        "ikzf1_class": "del4-7", "ikzf1_exons_deleted": "4,5,6,7", "ikzf1_focal": "true",
        "ikzf1_fraction": 0.8, "cdkn2a": "mono", "cdkn2b": "bi", "pax5": "mono",
        "par1": "mono", "erg": "none",
    }  # fmt: skip

    def states(truth, genes=("cdkn2a", "cdkn2b", "pax5", "par1")):
        return [truth[g] for g in genes]

    # trisomy 9 and a gained X in a male: the monoallelic losses leave normal copies (none),
    # the biallelic one leaves one copy (mono); with only the PAX5 loss gone IKZF1plus stays
    gained = _pieces([("chr9", 1, 138_000_000, 3, 1, 2), ("chrX", 1, 156_000_000, 2, 0, 1)])
    truth = with_karyotype_losses(base, gained, coords)
    assert states(truth) == ["none", "mono", "none", "none"]
    assert truth["ikzf1plus"] == "true"
    # disomic 9 and a single X: as the lesions say
    normal = _pieces([("chr9", 1, 138_000_000, 2, 1, 2), ("chrX", 1, 156_000_000, 1, 0, 1)])
    truth = with_karyotype_losses(base, normal, coords)
    assert states(truth) == ["mono", "bi", "mono", "mono"]
    # monosomy 9 and 7: one allele more lost everywhere, IKZF1 whole
    lost = _pieces([("chr9", 1, 138_000_000, 1, 0, 2), ("chr7", 1, 159_000_000, 1, 0, 2)])
    truth = with_karyotype_losses({**base, "cdkn2b": "none"}, lost, coords)
    assert states(truth, ("cdkn2a", "cdkn2b", "pax5")) == ["bi", "mono", "bi"]
    assert truth["ikzf1_class"] == "del1-8" and truth["ikzf1_focal"] == "false"
    # a gained chromosome without a lesion loses nothing
    truth = with_karyotype_losses({**base, "cdkn2a": "none", "cdkn2b": "none"}, gained, coords)
    assert states(truth, ("cdkn2a", "cdkn2b")) == ["none", "none"]


def test_snps_under_a_lesion_lose_the_alleles_it_takes():
    """The minor allele's share of a heterozygous SNP's reads, by hand, at 80% blasts: a
    disomic region reads 1/2; a monoallelic loss in 60% of cells leaves (1 - 0.6) / (2 - 0.6)
    of the reads to the lost allele; a nested second loss in the same cells leaves it to the
    normal cells and the blasts outside the 60% (1/2 again, of fewer reads); a trisomy (3
    copies, 1 minor) reads (0.8 + 0.2) / (2.4 + 0.4) and with the loss (its minor copy)
    0.4 / 2.2; a loss in a subclone leaves both alleles to the blasts outside it."""
    from ikaros.simulate.karyotypes import minor_allele_share

    lesions = pd.DataFrame(
        [("chr9", 1_000, 9_000, "mono", 0.6), ("chr9", 4_000, 5_000, "mono", 0.6),
         ("chr7", 1_000, 9_000, "mono", 0.6)],
        columns=["chrom", "start", "end", "allelic", "cell_fraction"],
    )  # fmt: skip
    at = np.array([500, 2_000, 4_500])
    np.testing.assert_allclose(
        minor_allele_share("chr9", at, 2, 1, 0.8, lesions), [0.5, 0.4 / 1.4, 0.5]
    )
    np.testing.assert_allclose(minor_allele_share("chr9", at, 2, 1, 0.8), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(
        minor_allele_share("chr7", at, 3, 1, 0.8, lesions), [1.0 / 2.8, 0.4 / 2.2, 0.4 / 2.2]
    )
    # a subclone: the loss in 30% of cells, the other 50% of blasts and the normal 20% keep
    # both alleles: (0.5 + 0.2) / (0.3 + 1.0 + 0.4)
    subclonal = lesions.assign(cell_fraction=0.3)
    np.testing.assert_allclose(
        minor_allele_share("chr9", at[:2], 2, 1, 0.8, subclonal.head(1)), [0.5, 0.7 / 1.7]
    )
