"""Fusions from RNA BAMs: chimeric split reads and spanning pairs, noise that must not be called,
breakpoint exons and reading frames checked against known B-ALL fusions and hand calculations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ikaros.rna.fusions import (
    FusionSettings,
    Segment,
    bcr_abl1_name,
    exon_at_breakpoint,
    match_partner,
    orient,
    read_partner_table,
    reading_frame,
    sample_fusions,
    scanned_genes,
)
from ikaros.rna.gene_table import Gene, GeneLocator, read_genes
from ikaros.rna.models import GeneModel, gene_models, read_transcript_models
from ikaros.rna.simulate import LESION_COLUMNS, RnaSimSettings, simulate_rna_bam
from ikaros.rna.simulate_fusions import TRUTH_FUSION_COLUMNS, FusionNoise

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@pytest.fixture(scope="module")
def table():
    return read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv")


@pytest.fixture(scope="module")
def models(table):
    return gene_models(table)


@pytest.fixture(scope="module")
def partners():
    return read_partner_table(RESOURCES / "fusion_partners.tsv")


@pytest.fixture(scope="module")
def genome_genes():
    return read_genes(RESOURCES / "genes_GRCh38.tsv")


@pytest.fixture(scope="module")
def locator(genome_genes):
    return GeneLocator(genome_genes)


def exon_end(model: GeneModel, number: int) -> int:
    """The 3' (transcription) boundary of an exon: where a 5' partner breaks."""
    _, start, end = next(e for e in model.exons if e[0] == number)
    return end if model.strand == "+" else start


def exon_start(model: GeneModel, number: int) -> int:
    _, start, end = next(e for e in model.exons if e[0] == number)
    return start if model.strand == "+" else end


@pytest.mark.parametrize(
    "five, five_exon, three, three_exon",
    [
        ("BCR", 1, "ABL1", 2),  # e1a2, p190
        ("BCR", 13, "ABL1", 2),  # e13a2 (b2a2), p210
        ("BCR", 14, "ABL1", 2),  # e14a2 (b3a2), p210
        ("TCF3", 16, "PBX1", 3),  # E2A-PBX1 of t(1;19)
    ],
)
def test_known_fusions_of_patients_keep_the_frame(models, five, five_exon, three, three_exon):
    # every one of these is found in patients as a functional protein: it must be in frame
    frame = reading_frame(
        models[five], exon_end(models[five], five_exon),
        models[three], exon_start(models[three], three_exon),
    )  # fmt: skip
    assert frame == "in-frame"


def test_p2ry8_exon1_is_untranslated_so_crlf2_keeps_its_own_start(models):
    frame = reading_frame(
        models["P2RY8"],
        exon_end(models["P2RY8"], 1),
        models["CRLF2"],
        exon_start(models["CRLF2"], 1),
    )
    assert frame == "5'UTR"


def test_reading_frame_by_hand_on_small_models():
    # 5' gene: coding from base 101; exon 1 = 101..130 (30 coding bases), exon 2 = 201..211 (11)
    five = GeneModel(
        "A", "chr1", "+", ((1, 91, 130), (2, 201, 211), (3, 301, 400)), frozenset(), (), (101, 390)
    )
    # 3' gene: coding from 1001; exon 1 = 1001..1010 (10), exon 2 = 1101..1200
    three = GeneModel(
        "B", "chr2", "+", ((1, 1001, 1010), (2, 1101, 1200)), frozenset(), (), (1001, 1190)
    )
    # exon 1 of A brings 30 coding bases (frame 0); exon 2 of B starts 10 bases in (frame 1)
    assert reading_frame(five, 130, three, 1101) == "out-of-frame"
    # exons 1-2 of A bring 41 bases (frame 2): still not 1
    assert reading_frame(five, 211, three, 1101) == "out-of-frame"
    # exon 1 of A (30 bases) to exon 1 of B (0 bases before it): in frame
    assert reading_frame(five, 130, three, 1001) == "in-frame"
    # no coding span: unknown
    bare = GeneModel("C", "chr3", "+", ((1, 1, 10),), frozenset(), ())
    assert reading_frame(bare, 10, three, 1001) == "unknown"


def test_minus_strand_segments_and_the_ig_locus_take_their_roles():
    plus = Gene("BCR", "chr22", 100, 200, "+")
    minus = Gene("TCF3", "chr19", 100, 200, "-")
    igh = Gene("IGH", "chr14", 100, 200, "-")
    crlf2 = Gene("CRLF2", "chrX", 100, 200, "-")
    kept_left = Segment(plus, "chr22", 150, "left", 60, 50)
    kept_right_minus = Segment(minus, "chr19", 150, "right", 60, 50)
    # a plus-strand segment keeping the left part is 5'; a minus-strand one keeping the right
    # part is 5' too: two 5' segments make no sense fusion
    assert orient(kept_left, kept_right_minus) is None
    kept_left_minus = Segment(minus, "chr19", 150, "left", 60, 50)
    five, three = orient(kept_left_minus, kept_left)
    assert (five.gene.gene, three.gene.gene) == ("BCR", "TCF3")
    # IGH::CRLF2: CRLF2 keeping its 3' part (minus strand, left of the junction) is the 3' gene
    five, three = orient(
        Segment(crlf2, "chrX", 150, "left", 60, 50), Segment(igh, "chr14", 150, "left", 60, 50)
    )
    assert (five.gene.gene, three.gene.gene) == ("IGH", "CRLF2")


def test_partner_table_first_match_wins(partners):
    assert match_partner(partners, "BCR", "ABL1")["subtype"] == "BCR::ABL1"
    assert match_partner(partners, "NUP214", "ABL1")["subclass"] == "ABL-class"
    assert match_partner(partners, "PAX5", "JAK2")["subclass"] == "JAK2/EPOR"
    assert match_partner(partners, "PAX5", "ETV6")["subtype"] == "PAX5alt"
    assert match_partner(partners, "MEF2D", "CSF1R")["subclass"] == "ABL-class"
    assert match_partner(partners, "KMT2A", "USP2")["subtype"] == "KMT2A-r"
    assert match_partner(partners, "ACTB", "GAPDH") is None
    scanned = scanned_genes(partners)
    assert "IGH" not in scanned and {"BCR", "ABL1", "KMT2A", "DUX4", "CRLF2"} <= set(scanned)


def test_exon_names_of_bcr_abl1(models):
    assert exon_at_breakpoint(models["BCR"], exon_end(models["BCR"], 14), True) == 14
    assert exon_at_breakpoint(models["BCR"], exon_end(models["BCR"], 14) - 1, True) is None
    assert bcr_abl1_name(14, 2) == "e14a2 (b3a2)"
    assert bcr_abl1_name(13, 2) == "e13a2 (b2a2)"
    assert bcr_abl1_name(1, 2) == "e1a2"


TRUTH = [
    ("BCR::ABL1", "BCR", 13, "ABL1", 2, "BCR::ABL1", "", 12),
    ("ETV6::RUNX1", "ETV6", 5, "RUNX1", 3, "ETV6::RUNX1", "", 10),
    ("TCF3::PBX1", "TCF3", 16, "PBX1", 3, "TCF3::PBX1", "", 10),
    ("KMT2A::AFF1", "KMT2A", 9, "AFF1", 4, "KMT2A-r", "", 10),
    ("P2RY8::CRLF2", "P2RY8", 1, "CRLF2", 1, "BCR::ABL1-like", "CRLF2-r", 10),
    ("EBF1::PDGFRB", "EBF1", 14, "PDGFRB", 11, "BCR::ABL1-like", "ABL-class", 10),
]


def truth_fusions(patient: str, rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(patient, f, a, ae, b, be, s, c, 0.9, n) for f, a, ae, b, be, s, c, n in rows],
        columns=list(TRUTH_FUSION_COLUMNS),
    )


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, table, partners, genome_genes):
    """Six BAMs, one truth fusion each, with read-through, paralog and artefact noise; and one
    fusion-free BAM with more noise."""
    folder = tmp_path_factory.mktemp("fusions")
    scanned = scanned_genes(partners)
    genes = [g for g in dict.fromkeys(table["gene"]) if g in scanned]
    noise = (FusionNoise(readthrough_events=2, paralog_events=3), scanned, genome_genes)
    lesions = pd.DataFrame(columns=list(LESION_COLUMNS))
    settings = RnaSimSettings(fragments_per_tpm_kb=3.0)
    bams = {}
    for i, row in enumerate(TRUTH):
        sample = f"F{i}"
        path = folder / f"{sample}.bam"
        simulate_rna_bam(
            path, sample, lesions, table, "GRCh38", 11, genes=genes, settings=settings,
            fusions=truth_fusions(sample, [row]), chimeric_noise=noise,
        )  # fmt: skip
        bams[sample] = (path, row)
    path = folder / "clean.bam"
    heavy = (FusionNoise(readthrough_events=4, paralog_events=6, random_chimeras=20), scanned,
             genome_genes)  # fmt: skip
    simulate_rna_bam(
        path, "clean", lesions, table, "GRCh38", 11, genes=genes, settings=settings,
        chimeric_noise=heavy,
    )  # fmt: skip
    bams["clean"] = (path, None)
    return bams


def test_simulated_fusions_found_with_partners_and_exons(simulated, partners, models, locator):
    for sample, (path, truth) in simulated.items():
        calls = sample_fusions(path, sample, partners, models, locator, "GRCh38")
        if truth is None:
            assert calls.empty, calls.to_string()
            continue
        fusion, five, five_exon, three, three_exon, subtype, subclass, _ = truth
        assert list(calls["fusion"]) == [fusion], calls.to_string()
        call = calls.iloc[0]
        assert (call["five_exon"], call["three_exon"]) == (five_exon, three_exon)
        assert call["subtype"] == subtype and call["subclass"] == subclass
        assert call["five_breakpoint"] == exon_end(models[five], five_exon)
        assert call["three_breakpoint"] == exon_start(models[three], three_exon)
        assert call["reading_frame"] in ("in-frame", "5'UTR")
    bcr = sample_fusions(simulated["F0"][0], "F0", partners, models, locator, "GRCh38")
    assert bcr.iloc[0]["breakpoint_name"] == "e13a2 (b2a2)"


def test_the_noise_is_there_and_only_the_filters_remove_it(simulated, partners, models, locator):
    # without the mapping-quality and read-through filters the same fusion-free BAM yields
    # calls: the noise is real, and it is the filters that keep it out
    naive = FusionSettings(min_mapq=0, readthrough_distance=0)
    path = simulated["clean"][0]
    calls = sample_fusions(path, "clean", partners, models, locator, "GRCh38", naive)
    assert not calls.empty


def test_simulated_fusions_follow_the_patients_subtypes():
    from ikaros.simulate.fusions import draw_fusions

    samples = pd.DataFrame({
        "sample_id": ["A_T", "B_T", "C_T", "D_T", "E_T"],
        "patient_id": ["A", "B", "C", "D", "E"], "role": "tumor",
        "rna_bam": ["a.bam", "b.bam", "c.bam", "d.bam", None], "blast_percent": 80.0,
    })  # fmt: skip
    lesions = pd.DataFrame([{"patient_id": "C", "label": "PAR1", "cell_fraction": 0.6}])
    subtypes = {"A": "ETV6::RUNX1", "B": "DUX4", "C": "Ph-like", "D": "KMT2A", "E": "BCR::ABL1"}
    truth = draw_fusions(samples, lesions, 3, 1.0, subtypes=subtypes)
    assert dict(zip(truth["patient_id"], truth["fusion"], strict=True)) == {
        "A": "ETV6::RUNX1", "C": "P2RY8::CRLF2",
        "D": truth.loc[truth["patient_id"] == "D", "fusion"].iloc[0],
    }  # fmt: skip
    assert truth.loc[truth["patient_id"] == "D", "fusion"].iloc[0].startswith("KMT2A::")
    assert truth.loc[truth["patient_id"] == "C", "cell_fraction"].iloc[0] == 0.6
    # no RNA for E, no fusion for DUX4 (B); at rate 0 only the PAR1 deletion makes one
    none = draw_fusions(samples, lesions, 3, 0.0, subtypes=subtypes)
    assert list(none["fusion"]) == ["P2RY8::CRLF2"]
