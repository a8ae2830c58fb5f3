"""The RNA BAM simulator: spliced paired reads, real headers, determinism, truth fractions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from ikaros.genome import contig_lengths
from ikaros.rna.junctions import junction_table
from ikaros.rna.models import gene_models, read_transcript_models
from ikaros.rna.reads import scan_alignment_file
from ikaros.rna.simulate import (
    LESION_COLUMNS,
    RnaSimSettings,
    isoform_truth,
    simulate_rna_bam,
    validate_lesions,
)

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@pytest.fixture(scope="module")
def table():
    return read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv")


@pytest.fixture(scope="module")
def models(table):
    return gene_models(table)


def lesion(patient, start, end, cell_fraction, allelic="mono", gene="IKZF1", chrom="chr7"):
    return {
        "patient_id": patient,
        "sample_id": patient,
        "lesion_id": f"{patient}.1",
        "gene": gene,
        "label": f"{gene}_test",
        "chrom": chrom,
        "start": start,
        "end": end,
        "allelic": allelic,
        "cell_fraction": cell_fraction,
    }


def lesions(*rows):
    return pd.DataFrame(list(rows), columns=list(LESION_COLUMNS))


# GRCh38 breakpoints inside IKZF1 introns 3 and 7 (delta 4-7), intron 1 and past the gene
DEL47 = (50340000, 50395000)
DEL28 = (50310000, 50420000)
DEL18 = (50290000, 50420000)


def test_truth_fraction_follows_cell_fraction_and_allelic_state(table):
    for cell_fraction, allelic, expected in ((0.6, "mono", 0.3), (0.6, "bi", 0.6), (1, "bi", 1)):
        truth = isoform_truth(
            table, lesions(lesion("P", *DEL47, cell_fraction, allelic)), "S", ["IKZF1"]
        )
        assert list(truth["isoform"]) == ["del:4,5,6,7"]
        assert truth["fraction"].iloc[0] == pytest.approx(expected)
    # a silent (whole-gene) allele leaves no aberrant isoform; an intronic deletion none either
    assert isoform_truth(table, lesions(lesion("P", *DEL18, 0.8)), "S", ["IKZF1"]).empty
    intronic = lesions(lesion("P", 50330000, 50340000, 0.8))
    assert isoform_truth(table, intronic, "S", ["IKZF1"]).empty


def test_spliced_paired_sorted_indexed_bam_with_real_header(tmp_path, table, models):
    path = tmp_path / "s.bam"
    truth = simulate_rna_bam(
        path, "S1", lesions(lesion("P", *DEL47, 0.8)), table, "GRCh38", seed=3,
        genes=["IKZF1", "ACTB"],
    )  # fmt: skip
    assert truth["fraction"].iloc[0] == pytest.approx(0.4)
    with pysam.AlignmentFile(str(path)) as bam:
        assert bam.header["HD"]["SO"] == "coordinate"
        assert dict(zip(bam.references, bam.lengths, strict=True)) == contig_lengths("GRCh38")
        assert bam.has_index()
        reads = list(bam.fetch("chr7"))
    assert all(r.is_paired and r.is_proper_pair for r in reads)
    names = pd.Series([r.query_name for r in reads]).value_counts()
    assert (names == 2).all()  # both mates present
    tlen = pd.Series([r.template_length for r in reads]).groupby([r.query_name for r in reads])
    assert (tlen.sum() == 0).all() and (tlen.max() > 0).all()
    spliced = [r for r in reads if "N" in r.cigarstring]
    assert len(spliced) > 0.2 * len(reads)
    # every junction is canonical, the IK6 junction, or a single-exon skip (splicing noise)
    model = models["IKZF1"]
    introns = {
        (block_end + 1, next_start)
        for r in spliced
        if model.start <= r.reference_start < model.end
        for (_, block_end), (next_start, _) in zip(r.get_blocks(), r.get_blocks()[1:], strict=False)
        if next_start > block_end
    }
    for start, end in introns:
        from_exon, to_exon = model.junction_exons(start, end)
        if (start, end) in model.canonical:
            continue
        assert from_exon is not None and to_exon is not None
        assert (from_exon, to_exon) == (3, 8) or to_exon - from_exon == 2


def test_junction_fraction_estimates_the_truth(tmp_path, table, models):
    model = models["IKZF1"]
    inside = 0
    cases = [(0.2, "mono"), (0.5, "mono"), (0.9, "mono"), (0.3, "bi"), (0.7, "bi")]
    for i, (cell_fraction, allelic) in enumerate(cases):
        path = tmp_path / f"f{i}.bam"
        truth = simulate_rna_bam(
            path, f"S{i}", lesions(lesion("P", *DEL47, cell_fraction, allelic)), table,
            "GRCh38", seed=11, genes=["IKZF1"],
        )  # fmt: skip
        junctions = junction_table(model, scan_alignment_file(path, [model], "GRCh38")["IKZF1"])
        ik6 = junctions[(junctions["from_exon"] == 3) & (junctions["to_exon"] == 8)].iloc[0]
        true_fraction = truth["fraction"].iloc[0]
        assert abs(ik6["fraction"] - true_fraction) < 0.1
        inside += ik6["ci_low"] <= true_fraction <= ik6["ci_high"]
    assert inside >= 4


def test_three_prime_deletion_reads_into_the_intron(tmp_path, table, models):
    path = tmp_path / "d28.bam"
    simulate_rna_bam(
        path, "S", lesions(lesion("P", *DEL28, 1.0, "bi")), table, "GRCh38", seed=5,
        genes=["IKZF1"],
    )  # fmt: skip
    model = models["IKZF1"]
    junctions = junction_table(model, scan_alignment_file(path, [model], "GRCh38")["IKZF1"])
    # both alleles lost exons 2-8 in every cell: no junction, only exon 1 and its readthrough
    assert junctions["fragments"].sum() == 0
    with pysam.AlignmentFile(str(path)) as bam:
        exon1_end = model.exons[0][2]
        assert bam.count("chr7", exon1_end, exon1_end + 1) > 50
        assert bam.count("chr7", model.exons[-1][1], model.exons[-1][2]) == 0


def test_same_seed_same_bam_and_expression_varies_lognormally(tmp_path, table):
    wild = lesions()
    a = tmp_path / "a.bam"
    b = tmp_path / "b.bam"
    simulate_rna_bam(a, "S1", wild, table, "GRCh38", seed=9, genes=["IKZF1", "CDKN2A"])
    simulate_rna_bam(b, "S1", wild, table, "GRCh38", seed=9, genes=["IKZF1", "CDKN2A"])
    assert a.read_bytes() == b.read_bytes()
    settings = RnaSimSettings(fragments_per_tpm_kb=1.0)
    counts = []
    for i in range(40):
        path = tmp_path / f"v{i}.bam"
        simulate_rna_bam(path, f"V{i}", wild, table, "GRCh38", 9, ["CDKN2A"], settings)
        with pysam.AlignmentFile(str(path)) as bam:
            counts.append(bam.mapped)
    log_sd = float(np.std(np.log(counts), ddof=1))
    expected = float(np.hypot(settings.expression_sd, settings.library_sd))
    assert 0.6 * expected < log_sd < 1.4 * expected


def test_par1_deletion_raises_crlf2(tmp_path, table):
    counts = []
    for name, rows in (("wild", lesions()), ("par1", lesions(
        {**lesion("P", 1220000, 1500000, 0.9, gene="PAR1", chrom="chrX"), "label": "PAR1"}
    ))):  # fmt: skip
        path = tmp_path / f"{name}.bam"
        simulate_rna_bam(path, "S", rows, table, "GRCh38", 2, ["CRLF2"])
        with pysam.AlignmentFile(str(path)) as bam:
            counts.append(bam.mapped)
    # same seed and sample: same lognormal draws, so the ratio is the fold change (1 + 20 x 0.9)
    assert counts[1] / counts[0] == pytest.approx(19.0, rel=0.15)


def test_expression_profile_does_not_depend_on_depth(tmp_path, table):
    genes = ["IKZF1", "CDKN2A", "ERG"]
    mapped = []
    for depth in (10.0, 30.0):
        path = tmp_path / f"depth{depth}.bam"
        settings = RnaSimSettings(fragments_per_tpm_kb=depth)
        simulate_rna_bam(path, "S", lesions(), table, "GRCh38", 8, genes, settings)
        with pysam.AlignmentFile(str(path)) as bam:
            mapped.append({s.contig: s.mapped for s in bam.get_index_statistics()})
    for contig in ("chr7", "chr9", "chr21"):
        assert mapped[1][contig] / mapped[0][contig] == pytest.approx(3.0, rel=0.15)


def test_bare_contig_names(tmp_path, table):
    path = tmp_path / "bare.bam"
    simulate_rna_bam(path, "S", lesions(), table, "GRCh37", 1, ["ERG"], chr_prefix=False)
    with pysam.AlignmentFile(str(path)) as bam:
        assert "21" in bam.references and "chr21" not in bam.references
        assert bam.get_reference_length("7") == contig_lengths("GRCh37")["chr7"]
        assert bam.count("21") > 0


def test_bad_lesion_table_is_named():
    bad = lesions(lesion("P", *DEL47, 0.5, allelic="both"))
    with pytest.raises(ValueError, match="row 2, column allelic: expected mono or bi"):
        validate_lesions(bad)
    with pytest.raises(ValueError, match="missing column"):
        validate_lesions(bad.drop(columns=["cell_fraction"]))
