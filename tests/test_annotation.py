"""Gene models from a GTF: transcript choice, exon numbering, collapsing, PAR handling.

The GTF fixtures are tiny and written here; every expected model is worked out by hand.
"""

import gzip
from pathlib import Path

import pandas as pd
import pytest

from ikaros.annotation import (
    AnnotationError,
    build_gene_models,
    choose_transcript,
    gene_model,
    merge_intervals,
    number_exons,
    read_gene_models,
    read_gtf_exons,
    read_panel_genes,
)

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"


def gtf_line(chrom, feature, start, end, strand, gene, transcript=None, tags=()):
    attributes = f'gene_id "ID_{gene}"; gene_name "{gene}";'
    if transcript:
        attributes += f' transcript_id "{transcript}";'
    attributes += "".join(f' tag "{t}";' for t in tags)
    return f"{chrom}\tHAVANA\t{feature}\t{start}\t{end}\t.\t{strand}\t.\t{attributes}\n"


# PLUS (+, Ensembl-style chromosome "7"): P1 tagged canonical (3 exons, 300 bp spliced),
#   P2 untagged but longer (2 exons, 700 bp). P2's first exon overlaps P1's first.
# MINUS (-, chr9): M1 (3 exons, 60 bp), M2 (2 exons, 400 bp): neither tagged.
# PARG: on chrX and its copy on chrY (PAR), one transcript each.
# OTHER: a gene not asked for.
FIXTURE = (
    "##description: test fixture\n"
    + gtf_line("7", "gene", 1000, 5000, "+", "PLUS")
    + gtf_line("7", "transcript", 1000, 3200, "+", "PLUS", "P1.3", ("basic", "Ensembl_canonical"))
    + gtf_line("7", "exon", 1000, 1099, "+", "PLUS", "P1.3", ("basic", "Ensembl_canonical"))
    + gtf_line("7", "exon", 2001, 2100, "+", "PLUS", "P1.3", ("basic", "Ensembl_canonical"))
    + gtf_line("7", "exon", 3101, 3200, "+", "PLUS", "P1.3", ("basic", "Ensembl_canonical"))
    + gtf_line("7", "CDS", 2001, 2100, "+", "PLUS", "P1.3", ("basic", "Ensembl_canonical"))
    + gtf_line("7", "exon", 1050, 1449, "+", "PLUS", "P2.1", ("basic",))
    + gtf_line("7", "exon", 4701, 5000, "+", "PLUS", "P2.1", ("basic",))
    + gtf_line("chr9", "exon", 900, 919, "-", "MINUS", "M1.1")
    + gtf_line("chr9", "exon", 500, 519, "-", "MINUS", "M1.1")
    + gtf_line("chr9", "exon", 100, 119, "-", "MINUS", "M1.1")
    + gtf_line("chr9", "exon", 850, 1049, "-", "MINUS", "M2.1")
    + gtf_line("chr9", "exon", 110, 309, "-", "MINUS", "M2.1")
    + gtf_line("chrX", "exon", 1000, 1999, "-", "PARG", "X1.1")
    + gtf_line("chrY", "exon", 1000, 1999, "-", "PARG", "X1.1_PAR_Y")
    + gtf_line("chr1", "exon", 10, 20, "+", "OTHER", "O1.1")
    + gtf_line("chrUn_KI270742v1", "exon", 10, 20, "+", "PLUS", "P9.1")
)


def panel_genes(rows):
    columns = ["gene", "role", "exon_model", "transcript", "flank", "intron_tiles"]
    return pd.DataFrame([dict(zip(columns, r, strict=True)) for r in rows])


@pytest.fixture
def gtf(tmp_path):
    path = tmp_path / "fixture.gtf"
    path.write_text(FIXTURE)
    return path


@pytest.fixture
def exons(gtf):
    return read_gtf_exons(gtf, ["PLUS", "MINUS", "PARG"])


def test_reads_exons_only_of_requested_genes_on_primary_chromosomes(exons):
    # 3 + 2 (PLUS) + 3 + 2 (MINUS) + 2 (PARG); not the CDS, gene, transcript, OTHER or chrUn rows
    assert len(exons) == 12
    assert set(exons["gene"]) == {"PLUS", "MINUS", "PARG"}
    assert set(exons["chrom"]) == {"chr7", "chr9", "chrX", "chrY"}
    p1 = exons[exons["transcript_id"] == "P1.3"]
    assert list(p1["start"]) == [1000, 2001, 3101]
    assert p1["tags"].iloc[0] == "basic,Ensembl_canonical"


def test_gzipped_gtf_gives_the_same_rows(gtf, tmp_path, exons):
    zipped = tmp_path / "fixture.gtf.gz"
    with gzip.open(zipped, "wt") as handle:
        handle.write(FIXTURE)
    assert read_gtf_exons(zipped, ["PLUS", "MINUS", "PARG"]).equals(exons)


def test_canonical_tag_beats_a_longer_transcript(exons):
    model = gene_model(exons[exons["gene"] == "PLUS"], "canonical")
    assert list(model.itertuples(index=False, name=None)) == [
        ("PLUS", "chr7", "+", 1, 1000, 1099),
        ("PLUS", "chr7", "+", 2, 2001, 2100),
        ("PLUS", "chr7", "+", 3, 3101, 3200),
    ]


def test_named_transcript_is_used_whatever_its_version(exons):
    plus = exons[exons["gene"] == "PLUS"]
    assert choose_transcript(plus, "P2") == "P2.1"
    assert choose_transcript(plus, "P2.7") == "P2.1"
    with pytest.raises(AnnotationError, match="gene PLUS: transcript P5 is not in the annotation"):
        choose_transcript(plus, "P5")


def test_minus_strand_without_tags_takes_the_longest_and_counts_from_the_top(exons):
    # M2 is 200 + 200 = 400 bp spliced, M1 60 bp: M2 wins. Exon 1 is the highest-coordinate one.
    model = gene_model(exons[exons["gene"] == "MINUS"], "canonical")
    assert list(model.itertuples(index=False, name=None)) == [
        ("MINUS", "chr9", "-", 1, 850, 1049),
        ("MINUS", "chr9", "-", 2, 110, 309),
    ]


def test_collapsed_model_is_the_union_of_exons_numbered_in_transcription_order(exons):
    # MINUS exons: 900-919 and 850-1049 merge to 850-1049; 500-519 alone; 100-119 and 110-309
    # merge to 100-309. Minus strand: exon 1 = 850-1049.
    model = gene_model(exons[exons["gene"] == "MINUS"], "collapsed")
    assert list(model.itertuples(index=False, name=None)) == [
        ("MINUS", "chr9", "-", 1, 850, 1049),
        ("MINUS", "chr9", "-", 2, 500, 519),
        ("MINUS", "chr9", "-", 3, 100, 309),
    ]


def test_pseudoautosomal_gene_keeps_the_chrX_copy(exons):
    model = gene_model(exons[exons["gene"] == "PARG"], "canonical")
    assert list(model.itertuples(index=False, name=None)) == [("PARG", "chrX", "-", 1, 1000, 1999)]


def test_build_gene_models_follows_the_gene_list_and_names_missing_genes(exons):
    genes = panel_genes(
        [
            ("MINUS", "x", "collapsed", "", "", "no"),
            ("PLUS", "x", "canonical", "P2", "", "no"),
        ]
    )
    models = build_gene_models(exons, genes)
    assert list(models["gene"]) == ["MINUS"] * 3 + ["PLUS"] * 2
    assert list(models.loc[models["gene"] == "PLUS", "end"]) == [1449, 5000]
    missing = panel_genes([("NOPE", "x", "canonical", "", "", "no")])
    with pytest.raises(AnnotationError, match="not found in the annotation: NOPE"):
        build_gene_models(exons, missing)


def test_merge_and_number_by_hand():
    assert merge_intervals([(10, 20), (21, 30), (40, 50), (45, 60), (1, 5)]) == [
        (1, 5),
        (10, 30),
        (40, 60),
    ]
    assert number_exons([(10, 20), (40, 50)], "+") == [(1, 10, 20), (2, 40, 50)]
    assert number_exons([(10, 20), (40, 50)], "-") == [(1, 40, 50), (2, 10, 20)]


def test_panel_gene_list_errors_name_row_and_column(tmp_path):
    path = tmp_path / "genes.tsv"
    path.write_text(
        "gene\trole\texon_model\ttranscript\tflank\tintron_tiles\n"
        "IKZF1\ttarget\tcanonical\t\t2000000\tyes\n"
        "PAX5\tx\tlongest\t\t\tno\n"
    )
    with pytest.raises(AnnotationError, match=r"row 3 \(gene PAX5\), column exon_model"):
        read_panel_genes(path)
    path.write_text("gene\trole\n")
    with pytest.raises(AnnotationError, match="missing column"):
        read_panel_genes(path)
    # tile_bp is optional (a list without it reads as all empty) but must be a size when given
    path.write_text(
        "gene\trole\texon_model\ttranscript\tflank\tintron_tiles\ttile_bp\n"
        "IKZF1\ttarget\tcanonical\t\t2000000\tcontiguous\t\n"
        "PAX5\tIKZF1plus\tcanonical\t\t\tcontiguous\t2kb\n"
    )
    with pytest.raises(AnnotationError, match=r"row 3 \(gene PAX5\), column tile_bp"):
        read_panel_genes(path)


def test_gtf_with_wrong_column_count_names_the_line(tmp_path):
    path = tmp_path / "bad.gtf"
    path.write_text(FIXTURE.splitlines()[0] + '\n7\tHAVANA\texon\t1\t2\t+\tgene_name "PLUS";\n')
    with pytest.raises(
        AnnotationError, match="line 2: expected 9 tab-separated GTF columns, got 7"
    ):
        read_gtf_exons(path, ["PLUS"])


def test_file_without_the_genes_is_refused_with_its_name(tmp_path):
    path = tmp_path / "regions.bed"
    path.write_text("chr7\t100\t200\n")
    with pytest.raises(AnnotationError, match=r"regions.bed: no exon records for any of PLUS"):
        read_gtf_exons(path, ["PLUS"])


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_shipped_ikzf1_model_is_the_reference_canonical_transcript(build):
    models = read_gene_models(REPO / "resources" / f"gene_models_{build}.tsv")
    reference = pd.read_csv(REFERENCE / "ikzf1_exons.tsv", sep="\t", comment="#")
    ikzf1 = models[models["gene"] == "IKZF1"]
    got = list(ikzf1[["exon", "chrom", "start", "end"]].itertuples(index=False, name=None))
    expected = list(
        reference[["exon", f"{build}_chrom", f"{build}_start", f"{build}_end"]].itertuples(
            index=False, name=None
        )
    )
    assert got == expected
    assert set(ikzf1["strand"]) == {"+"}


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_shipped_models_cover_every_panel_gene_within_its_reference_span(build):
    models = read_gene_models(REPO / "resources" / f"gene_models_{build}.tsv")
    genes = read_panel_genes(REPO / "resources" / "panel_genes.tsv")
    spans = pd.read_csv(REFERENCE / "genes.tsv", sep="\t", comment="#").set_index("gene")
    assert list(models["gene"].unique()) == list(genes["gene"])
    for gene, model in models.groupby("gene"):
        span = spans.loc[gene]
        assert set(model["chrom"]) == {span[f"{build}_chrom"]}
        assert set(model["strand"]) == {span["strand"]}
        assert model["start"].min() >= span[f"{build}_start"]
        assert model["end"].max() <= span[f"{build}_end"]
        assert list(model["exon"]) == list(range(1, len(model) + 1))
        # transcription order: ascending on +, descending on -
        starts = list(model["start"])
        assert starts == sorted(starts, reverse=span["strand"] == "-")
