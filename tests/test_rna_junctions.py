"""Junction counting and exon coverage on RNA BAMs written read by read with known junctions."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from bam_factory import DUPLICATE, QCFAIL, SECONDARY, ReadSpec, write_alignments
from ikaros.genome import BuildMismatchError
from ikaros.rna.exon_coverage import exon_coverage
from ikaros.rna.junctions import (
    classify_junction,
    count_junctions,
    exon_skipping_evidence,
    junction_table,
    junction_tables,
    wilson_interval,
    write_junction_table,
)
from ikaros.rna.models import (
    MODEL_COLUMNS,
    TranscriptModelError,
    gene_models,
    read_marker_genes,
    read_transcript_models,
    validate_transcript_models,
)
from ikaros.rna.reads import scan_alignment_file
from ikaros.rna.simulate import simulate_rna_bam

RESOURCES = __import__("pathlib").Path(__file__).resolve().parents[1] / "resources"
REFERENCE_IKZF1 = {  # GRCh38 exons of ../shared/reference/ikzf1_exons.tsv
    1: (50304716, 50304922), 2: (50319048, 50319101), 3: (50327638, 50327757),
    4: (50376533, 50376793), 5: (50382540, 50382707), 6: (50387345, 50387470),
    7: (50391729, 50391863), 8: (50399918, 50405101),
}  # fmt: skip


@pytest.fixture(scope="module")
def models():
    return gene_models(read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv"))


def spliced(name, a, b, left=40, right=60, flag=0, mapq=60, exons=REFERENCE_IKZF1):
    """A read ending `left` bases into exon a's end and starting exon b with `right` bases."""
    gap = exons[b][0] - exons[a][1] - 1
    return ReadSpec(
        name=name,
        chrom="chr7",
        start=exons[a][1] - left + 1,
        length=left + right,
        cigar=f"{left}M{gap}N{right}M",
        flag=flag,
        mapq=mapq,
    )


def known_reads():
    """Reads with a known answer per junction (fragments, after filters)."""
    reads = []
    # 1 -> 2: 7 fragments, one spliced mate each (the other mate unspliced in exon 2)
    for i in range(7):
        reads.append(spliced(f"a{i}", 1, 2, flag=0x1 | 0x40))
        reads.append(ReadSpec(f"a{i}", "chr7", 50319050, length=40, flag=0x1 | 0x80 | 0x10))
    # 3 -> 4: 12 fragments whose two overlapping mates both cross the junction: 12, not 24
    for i in range(12):
        reads.append(spliced(f"b{i}", 3, 4, flag=0x1 | 0x40))
        reads.append(spliced(f"b{i}", 3, 4, left=30, right=70, flag=0x1 | 0x80 | 0x10))
    # 7 -> 8: 8 fragments; 3 -> 8 (IK6): 5 fragments, plus filtered copies that must not count
    reads += [spliced(f"c{i}", 7, 8) for i in range(8)]
    reads += [spliced(f"d{i}", 3, 8) for i in range(5)]
    reads += [
        spliced("dup", 3, 8, flag=DUPLICATE),
        spliced("sec", 3, 8, flag=SECONDARY),
        spliced("qc", 3, 8, flag=QCFAIL),
        spliced("lowq", 3, 8, mapq=2),
    ]
    # one read through two junctions 5 -> 6 -> 7 (exon 6 is 126 bp): counts once for each
    e = REFERENCE_IKZF1
    reads.append(
        ReadSpec(
            "e0",
            "chr7",
            e[5][1] - 19,
            length=20 + 126 + 20,
            cigar=f"20M{e[6][0] - e[5][1] - 1}N126M{e[7][0] - e[6][1] - 1}N20M",
        )
    )
    # a deletion (D) is not an intron; an alternative donor 10 bp inside exon 2; a junction
    # with neither end annotated
    reads.append(ReadSpec("f0", "chr7", 50319000, length=100, cigar="50M30D50M"))
    reads.append(ReadSpec("g0", "chr7", 50319051, length=80, cigar=f"40M{e[3][0] - 50319091}N40M"))
    reads.append(ReadSpec("h0", "chr7", 50340000, length=100, cigar="50M2000N50M"))
    return reads


@pytest.fixture(scope="module")
def known_bam(tmp_path_factory):
    path = tmp_path_factory.mktemp("rna") / "known.bam"
    return write_alignments(path, known_reads(), build="GRCh38")


def test_models_hold_the_shared_ikzf1_exons(models):
    ikzf1 = models["IKZF1"]
    assert {n: (s, e) for n, s, e in ikzf1.exons} == REFERENCE_IKZF1
    assert len(ikzf1.canonical) == 7
    for build in ("GRCh37", "GRCh38"):
        table = read_transcript_models(RESOURCES / f"rna_transcript_models_{build}.tsv")
        assert {"IKZF1", "PAX5", "ERG", "CDKN2A", "ACTB", "GAPDH", "CRLF2", "DUX4"} <= set(
            table["gene"]
        )
    markers = read_marker_genes(RESOURCES / "marker_genes.tsv")
    assert set(markers["purpose"]) == {"panel", "control", "subtype_marker", "fusion_partner"}


def test_bad_model_rows_are_named():
    table = read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv")
    table = table.loc[:, list(MODEL_COLUMNS)].astype(str)
    broken = table.copy()
    broken.loc[3, "strand"] = "*"
    with pytest.raises(TranscriptModelError, match=r"row 5, column strand: expected \+ or -"):
        validate_transcript_models(broken, "models.tsv")
    shuffled = table.copy()
    shuffled.loc[[0, 1], "exon"] = ["2", "1"]
    with pytest.raises(TranscriptModelError, match="numbered 1..n"):
        validate_transcript_models(shuffled, "models.tsv")


def test_exact_fragment_counts_per_junction(known_bam, models):
    scans = scan_alignment_file(known_bam, [models["IKZF1"]], "GRCh38")
    counts = count_junctions(scans["IKZF1"])
    got = {(int(s), int(e)): int(n) for s, e, n in counts.itertuples(index=False)}
    ex = REFERENCE_IKZF1
    expected = {
        (ex[1][1] + 1, ex[2][0] - 1): 7,
        (ex[3][1] + 1, ex[4][0] - 1): 12,
        (ex[7][1] + 1, ex[8][0] - 1): 8,
        (ex[3][1] + 1, ex[8][0] - 1): 5,
        (ex[5][1] + 1, ex[6][0] - 1): 1,
        (ex[6][1] + 1, ex[7][0] - 1): 1,
        (50319091, ex[3][0] - 1): 1,
        (50340050, 50342049): 1,
    }
    assert got == expected


def test_classes_exons_and_fraction_of_ik6(known_bam, models):
    model = models["IKZF1"]
    table = junction_table(model, scan_alignment_file(known_bam, [model], "GRCh38")["IKZF1"])
    rows = {(r.from_exon, r.to_exon, r.junction_class): r for r in table.itertuples()}
    assert (3, 8, "exon_skipping") in rows
    assert (2, 3, "canonical") in rows and rows[(2, 3, "canonical")].fragments == 0  # unseen
    assert any(r.junction_class == "alternative_end" and r.to_exon == 3 for r in table.itertuples())
    assert any(r.junction_class == "unannotated" for r in table.itertuples())
    ik6 = rows[(3, 8, "exon_skipping")]
    # competing: 3->4 shares the left end (12), 7->8 the right end (8): normal = 10
    assert ik6.competing_fragments == 10
    assert ik6.fraction == pytest.approx(5 / 15)
    # Wilson interval by hand, z for 95%
    z, n, p = 1.959963984540054, 15, 5 / 15
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert ik6.ci_low == pytest.approx(centre - half, abs=1e-9)
    assert ik6.ci_high == pytest.approx(centre + half, abs=1e-9)
    assert table["fraction"][table["junction_class"] == "canonical"].isna().all()


def test_classification_against_the_model(models):
    model = models["IKZF1"]
    ex = REFERENCE_IKZF1
    for a in range(1, 8):
        for b in range(a + 1, 9):
            expected = "canonical" if b == a + 1 else "exon_skipping"
            assert classify_junction(model, ex[a][1] + 1, ex[b][0] - 1) == expected
            assert model.junction_exons(ex[a][1] + 1, ex[b][0] - 1) == (a, b)
            assert model.exon_junction(a, b) == (ex[a][1] + 1, ex[b][0] - 1)
    # minus-strand gene: exon numbering runs against the coordinates
    pax5 = models["PAX5"]
    spans = {n: (s, e) for n, s, e in pax5.exons}
    intron = (spans[5][1] + 1, spans[2][0] - 1)
    assert pax5.junction_exons(*intron) == (2, 5)
    assert classify_junction(pax5, *intron) == "exon_skipping"


def test_bare_contig_names_and_build_check(tmp_path, models):
    bare = write_alignments(tmp_path / "bare.bam", known_reads(), build="GRCh38", chr_prefix=False)
    prefixed = write_alignments(tmp_path / "chr.bam", known_reads(), build="GRCh38")
    model = models["IKZF1"]
    a = count_junctions(scan_alignment_file(bare, [model], "GRCh38")["IKZF1"])
    b = count_junctions(scan_alignment_file(prefixed, [model], "GRCh38")["IKZF1"])
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(BuildMismatchError, match="GRCh37"):
        scan_alignment_file(prefixed, [model], "GRCh37")


def test_wilson_interval_edges():
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and 0 < high < 0.2
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_exon_coverage_and_readthrough(tmp_path, models):
    ex = REFERENCE_IKZF1
    reads = [
        ReadSpec("x0", "chr7", ex[4][0], length=100),  # 100 bases inside exon 4
        ReadSpec("x1", "chr7", ex[4][0] + 200, length=100),  # 61 in exon 4, reads through
        spliced("x2", 4, 5, left=30, right=70),  # 30 in exon 4, 70 in exon 5, spliced out
        ReadSpec("x3", "chr7", ex[8][0] + 1000, length=100),  # exon 8
    ]
    bam = write_alignments(tmp_path / "cov.bam", reads, build="GRCh38")
    model = models["IKZF1"]
    table = exon_coverage(model, scan_alignment_file(bam, [model], "GRCh38")["IKZF1"])
    row = table.set_index("exon")
    assert row.loc[4, "aligned_bases"] == 191 and row.loc[4, "fragments"] == 3
    assert row.loc[5, "aligned_bases"] == 70 and row.loc[8, "aligned_bases"] == 100
    assert row.loc[4, "readthrough_fragments"] == 1 and row.loc[4, "spliced_out_fragments"] == 1
    assert row.loc[4, "readthrough_fraction"] == pytest.approx(0.5)
    assert pd.isna(row.loc[8, "readthrough_fragments"])  # last exon: nothing to leave
    gene_depth = 361 / sum(e - s + 1 for s, e in ex.values())
    assert row.loc[4, "relative_depth"] == pytest.approx((191 / 261) / gene_depth)


def test_junction_table_is_written_without_na(tmp_path, known_bam, models):
    model = models["IKZF1"]
    table = junction_table(model, scan_alignment_file(known_bam, [model], "GRCh38")["IKZF1"])
    path = tmp_path / "junctions.tsv"
    write_junction_table(table, path)
    cells = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False).to_numpy().ravel()
    assert not {"NA", "nan", "NaN", "<NA>", "None"} & set(cells)
    assert "" in set(cells)  # canonical rows leave the fraction empty
    write_junction_table(table, tmp_path / "again.tsv")
    assert (tmp_path / "again.tsv").read_bytes() == path.read_bytes()


def test_pax5_internal_deletion_is_reported_as_exon_skipping(tmp_path):
    """A simulated monoallelic PAX5 loss of one internal exon in 90% of cells: the junction
    around it is reported with the skipped exon the RNA simulator's truth names, at about its
    transcript fraction; ERG, untouched, reports nothing."""
    table = read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv")
    main = table[(table["gene"] == "PAX5")]
    main = main[main["transcript"] == main["transcript"].iloc[0]].set_index("exon")
    # the breakpoints sit in the introns on either side of exon 3 of the main transcript
    left = (int(main.loc[4, "end"]) + int(main.loc[3, "start"])) // 2
    right = (int(main.loc[3, "end"]) + int(main.loc[2, "start"])) // 2
    lesions = pd.DataFrame(
        [("P1", "P1_T", "P1_L01", "PAX5", "PAX5_intragenic", "chr9", left, right, "mono", 0.9)],
        columns="patient_id sample_id lesion_id gene label chrom start end allelic "
        "cell_fraction".split(),
    )  # fmt: skip
    genes = ["PAX5", "ERG", "ACTB"]
    truth = simulate_rna_bam(tmp_path / "r.bam", "P1_T", lesions, table, "GRCh38", 3, genes=genes)
    truth = truth[truth["gene"] == "PAX5"].iloc[0]
    assert truth["exons_deleted"] == "3"
    models = gene_models(table[table["gene"].isin(genes)])
    scans = scan_alignment_file(tmp_path / "r.bam", models.values(), "GRCh38")
    junctions = junction_tables(models, scans)
    text = exon_skipping_evidence(junctions, "PAX5")
    assert text.startswith("exon 3 skipped: "), text
    fraction = float(text.split(", ")[1].split(" ")[0])
    assert abs(fraction - truth["fraction"]) < 0.1
    assert exon_skipping_evidence(junctions, "ERG") == ""
