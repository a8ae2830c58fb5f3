"""Imports of Arriba, STAR-Fusion and FusionCatcher tables and of ALLSorts and ALLCatchR
predictions, from small tables written by hand in the callers' documented formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikaros.rna.classifier_imports import (
    ClassifierImportError,
    import_classifier_calls,
    read_label_map,
)
from ikaros.rna.fusion_imports import FusionImportError, import_fusions, normalise_gene
from ikaros.rna.fusions import read_partner_table
from ikaros.rna.gene_table import read_gene_ids, symbol_of_ids
from ikaros.rna.models import gene_models, read_transcript_models

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@pytest.fixture(scope="module")
def models():
    return gene_models(read_transcript_models(RESOURCES / "rna_transcript_models_GRCh38.tsv"))


@pytest.fixture(scope="module")
def partners():
    return read_partner_table(RESOURCES / "fusion_partners.tsv")


@pytest.fixture(scope="module")
def symbols():
    return symbol_of_ids(read_gene_ids(RESOURCES / "gene_ids.tsv"))


def boundary(model, number: int, five_prime: bool) -> int:
    _, start, end = next(e for e in model.exons if e[0] == number)
    last, first = (end, start) if model.strand == "+" else (start, end)
    return last if five_prime else first


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


ARRIBA_HEADER = (
    "#gene1\tgene2\tstrand1(gene/fusion)\tstrand2(gene/fusion)\tbreakpoint1\tbreakpoint2\t"
    "site1\tsite2\ttype\tsplit_reads1\tsplit_reads2\tdiscordant_mates\tcoverage1\tcoverage2\t"
    "confidence\treading_frame\ttags\tretained_protein_domains\tclosest_genomic_breakpoint1\t"
    "closest_genomic_breakpoint2\tgene_id1\tgene_id2\ttranscript_id1\ttranscript_id2\t"
    "direction1\tdirection2\tfilters\tfusion_transcript\tpeptide_sequence\tread_identifiers"
)


def arriba_row(gene1, gene2, strands, bp1, bp2, split1, split2, mates, confidence, frame):
    fields = [gene1, gene2, strands[0], strands[1], bp1, bp2, "splice-site", "splice-site",
              "translocation", str(split1), str(split2), str(mates), "100", "100", confidence,
              frame, ".", ".", ".", ".", ".", ".", ".", ".", "downstream", "upstream", ".", ".",
              ".", "."]  # fmt: skip
    return "\t".join(fields)


def test_arriba_known_fusions_named_with_exons(tmp_path, models, partners, symbols):
    bcr14 = boundary(models["BCR"], 14, True)
    abl2 = boundary(models["ABL1"], 2, False)
    p2ry8 = boundary(models["P2RY8"], 1, True)
    crlf2 = boundary(models["CRLF2"], 1, False)
    path = write(tmp_path / "fusions.tsv", [
        ARRIBA_HEADER,
        arriba_row("BCR", "ABL1", ("+/+", "+/+"), f"chr22:{bcr14}", f"chr9:{abl2}", 12, 9, 15,
                   "high", "in-frame"),
        # orientation unknown (fusion strand '.'), listed 3' gene first: both orders are tried
        arriba_row("CRLF2", "P2RY8", ("-/.", "-/."), f"chrX:{crlf2}", f"chrX:{p2ry8}", 3, 2, 4,
                   "medium", "."),
        # an intergenic pair of no B-ALL class: not subtype evidence
        arriba_row("RPL3(1200),SYNGR1(800)", "ACTB", ("./.", "-/-"), "chr22:39000000",
                   "chr7:5530601", 2, 0, 1, "low", "."),
    ])  # fmt: skip
    calls = import_fusions(path, "S1", partners, models, symbols)
    assert list(calls["fusion"]) == ["BCR::ABL1", "P2RY8::CRLF2"]
    bcr = calls.iloc[0]
    assert (bcr["split_reads"], bcr["spanning_pairs"], bcr["confidence"]) == (21, 15, "high")
    assert (bcr["five_exon"], bcr["three_exon"], bcr["breakpoint_name"]) == (14, 2, "e14a2 (b3a2)")
    assert bcr["source"] == "arriba" and bcr["reading_frame"] == "in-frame"
    crlf2_call = calls.iloc[1]
    assert (crlf2_call["subtype"], crlf2_call["subclass"]) == ("BCR::ABL1-like", "CRLF2-r")
    assert crlf2_call["original_fusion"] == "CRLF2::P2RY8"


STAR_FUSION_HEADER = (
    "#FusionName\tJunctionReadCount\tSpanningFragCount\test_J\test_S\tSpliceType\tLeftGene\t"
    "LeftBreakpoint\tRightGene\tRightBreakpoint\tLargeAnchorSupport\tFFPM\tLeftBreakDinuc\t"
    "LeftBreakEntropy\tRightBreakDinuc\tRightBreakEntropy\tannots\tCDS_LEFT_ID\tCDS_LEFT_RANGE\t"
    "CDS_RIGHT_ID\tCDS_RIGHT_RANGE\tPROT_FUSION_TYPE\tFUSION_MODEL\tFUSION_CDS\tFUSION_TRANSL\t"
    "PFAM_LEFT\tPFAM_RIGHT"
)


def test_star_fusion_symbols_and_ensembl_ids(tmp_path, models, partners, symbols):
    etv6 = boundary(models["ETV6"], 5, True)
    runx1 = boundary(models["RUNX1"], 3, False)
    row = ["ETV6--RUNX1", "25", "11", "25.00", "11.00", "ONLY_REF_SPLICE",
           "ETV6^ENSG00000139083.11", f"chr12:{etv6}:+", "RUNX1^ENSG00000159216.19",
           f"chr21:{runx1}:-", "YES_LDAS", "3.1", "GT", "1.9", "AG", "1.8", '["Mitelman"]',
           ".", ".", ".", ".", "INFRAME", ".", ".", ".", ".", "."]  # fmt: skip
    # TCF3 given by its Ensembl ID only
    tcf3 = boundary(models["TCF3"], 16, True)
    pbx1 = boundary(models["PBX1"], 3, False)
    row2 = ["ENSG00000071564--PBX1", "4", "2", "4", "2", "ONLY_REF_SPLICE",
            "ENSG00000071564.16", f"chr19:{tcf3}:-", "PBX1^ENSG00000185630.19",
            f"chr1:{pbx1}:+", "YES_LDAS", "0.5", "GT", "1.9", "AG", "1.8", "[]",
            ".", ".", ".", ".", ".", ".", ".", ".", ".", "."]  # fmt: skip
    path = write(tmp_path / "star-fusion.fusion_predictions.tsv",
                 [STAR_FUSION_HEADER, "\t".join(row), "\t".join(row2)])  # fmt: skip
    calls = import_fusions(path, "S2", partners, models, symbols)
    assert list(calls["fusion"]) == ["ETV6::RUNX1", "TCF3::PBX1"]
    assert list(calls["five_exon"]) == [5, 16] and list(calls["three_exon"]) == [3, 3]
    assert list(calls["reading_frame"]) == ["in-frame", "unknown"]
    assert set(calls["source"]) == {"star-fusion"}


FUSIONCATCHER_HEADER = (
    "Gene_1_symbol(5end_fusion_partner)\tGene_2_symbol(3end_fusion_partner)\t"
    "Fusion_description\tCounts_of_common_mapping_reads\tSpanning_pairs\tSpanning_unique_reads\t"
    "Longest_anchor_found\tFusion_finding_method\tFusion_point_for_gene_1(5end_fusion_partner)\t"
    "Fusion_point_for_gene_2(3end_fusion_partner)\tGene_1_id(5end_fusion_partner)\t"
    "Gene_2_id(3end_fusion_partner)\tExon_1_id(5end_fusion_partner)\t"
    "Exon_2_id(3end_fusion_partner)\tFusion_sequence\tPredicted_effect"
)


def test_fusioncatcher_previous_symbols_and_ig_segments(tmp_path, models, partners, symbols):
    kmt2a = boundary(models["KMT2A"], 9, True)
    aff1 = boundary(models["AFF1"], 4, False)
    crlf2 = boundary(models["CRLF2"], 1, False)
    rows = [
        ["MLL", "AF4", "known,oncogene", "0", "7", "9", "45", "BOWTIE;BLAT",
         f"11:{kmt2a}:+", f"4:{aff1}:+", "ENSG00000118058", "ENSG00000172493", ".", ".",
         "ACGT*TGCA", "in-frame"],
        ["IGHM", "CRLF2", "ig", "0", "3", "4", "40", "BOWTIE", "14:105856218:-",
         f"X:{crlf2}:-", ".", ".", ".", ".", "A*C", "intergenic"],
    ]  # fmt: skip
    path = write(tmp_path / "final-list_candidate-fusion-genes.txt",
                 [FUSIONCATCHER_HEADER] + ["\t".join(r) for r in rows])  # fmt: skip
    calls = import_fusions(path, "S3", partners, models, symbols)
    assert list(calls["fusion"]) == ["KMT2A::AFF1", "IGH::CRLF2"]
    assert list(calls["subtype"]) == ["KMT2A-r", "BCR::ABL1-like"]
    assert (calls.iloc[0]["split_reads"], calls.iloc[0]["spanning_pairs"]) == (9, 7)
    assert calls.iloc[0]["five_chrom"] == "chr11" and calls.iloc[0]["five_exon"] == 9


def test_gene_names_are_normalised(symbols):
    assert normalise_gene("IGHV3-23") == "IGH"
    assert normalise_gene("IGKC") == "IGK"
    assert normalise_gene("BCR^ENSG00000186716.21") == "BCR"
    assert normalise_gene("ENSG00000186716.21", symbols) == "BCR"
    assert normalise_gene("E2A") == "TCF3"
    assert normalise_gene("IGF2BP1") == "IGF2BP1"  # IG-prefixed genes that are not IG segments


def test_unknown_and_empty_fusion_tables_are_refused(tmp_path, models, partners):
    other = write(tmp_path / "calls.tsv", ["fusion\treads", "BCR-ABL1\t10"])
    with pytest.raises(FusionImportError, match=r"calls.tsv: not a fusion table.*'fusion\\treads"):
        import_fusions(other, "S", partners, models)
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(FusionImportError, match="empty.tsv: fusion table is empty"):
        import_fusions(empty, "S", partners, models)
    bad = write(
        tmp_path / "bad.tsv",
        [
            ARRIBA_HEADER,
            arriba_row(
                "BCR", "ABL1", ("+/+", "+/+"), "chr22:1", "chr9:1", "many", 1, 1, "high", "."
            ),
        ],
    )
    with pytest.raises(
        FusionImportError, match="row 2, column split_reads1: expected a read count"
    ):
        import_fusions(bad, "S", partners, models)


@pytest.fixture(scope="module")
def labels():
    return read_label_map(RESOURCES / "classifier_labels.tsv")


def test_allsorts_predictions(tmp_path, labels):
    path = tmp_path / "predictions.csv"
    path.write_text(
        ",Ph,Ph-like,ETV6-RUNX1,High hyperdiploid,iAMP21,Pred\n"
        "P01,0.91,0.05,0.01,0.01,0.02,Ph\n"
        'P02,0.02,0.03,0.02,0.88,0.75,"High hyperdiploid,iAMP21"\n'
        "P03,0.10,0.20,0.10,0.10,0.10,Unclassified\n"
    )
    calls = import_classifier_calls(path, labels, ["P01", "P02", "P03"])
    assert list(calls["subtype"]) == ["BCR::ABL1", "high hyperdiploid", "undetermined"]
    assert calls.iloc[0]["score"] == pytest.approx(0.91)
    assert calls.iloc[1]["label"] == "High hyperdiploid,iAMP21"
    assert "also called" in calls.iloc[1]["note"]


def test_allcatchr_predictions_and_bad_rows(tmp_path, labels):
    path = tmp_path / "predictions.tsv"
    path.write_text(
        "sample\tPrediction\tScore\tConfidence\tBCR_ABL1_maybe\n"
        "P01\tPh-like\t0.83\thigh-confidence\tno\n"
        "P02\tDUX4\t0.97\thigh-confidence\tno\n"
    )
    calls = import_classifier_calls(path, labels, ["P01", "P02"])
    assert list(calls["subtype"]) == ["BCR::ABL1-like", "DUX4-r"]
    assert list(calls["classifier"]) == ["ALLCatchR", "ALLCatchR"]
    with pytest.raises(ClassifierImportError, match=r"row 3: sample 'P02' is not in the samples"):
        import_classifier_calls(path, labels, ["P01"])
    odd = tmp_path / "odd.tsv"
    odd.write_text("sample\tPrediction\tScore\nP01\tPh-like-ish\t0.5\n")
    with pytest.raises(ClassifierImportError, match=r"row 2 \(sample P01\).*'Ph-like-ish'"):
        import_classifier_calls(odd, labels)
