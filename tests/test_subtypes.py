"""Subtype assignment rules on hand-written evidence rows: each rule alone, the hierarchy
(a defining fusion outranks ploidy, mutations, expression and an imported label), conflicts,
B-other against undetermined, risk groups and concordance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ikaros.relapse.groups import read_risk_groups
from ikaros.subtypes.assign import (
    analysis_subtypes,
    assign_subtype,
    assign_subtypes,
    concordance,
    normalise_subtype,
)
from ikaros.subtypes.rules import (
    classifier_label,
    crlf2_rearrangement,
    defining_fusion,
    defining_mutation,
    iamp21,
    ph_like_expression,
    ploidy,
    silent_gene_expression,
)

RESOURCES = Path(__file__).resolve().parents[1] / "resources"


@pytest.fixture(scope="module")
def groups():
    return {
        k.casefold(): v for k, v in read_risk_groups(RESOURCES / "subtype_risk_groups.tsv").items()
    }


def row(**values) -> pd.Series:
    return pd.Series({"patient_id": "P1", **values})


BCR_ABL1 = {"fusion_subtype": "BCR::ABL1", "fusion_subclass": "", "fusion_confidence": "high",
            "rna_fusions": "BCR::ABL1 e14a2 (b3a2) ex14>ex2 21 split/15 pairs in-frame high "
                           "(ikaros)", "fusion_assessed": "true"}  # fmt: skip
HEH = {"ploidy_class": "high_hyperdiploid", "chromosome_count": "55", "ploidy_source": "dna",
       "allele_source": "VCF (5000 SNPs)"}  # fmt: skip


def test_each_rule_alone():
    assert defining_fusion(row(**BCR_ABL1)).subtype == "BCR::ABL1"
    assert defining_fusion(row(**BCR_ABL1)).strength == "high"
    assert ploidy(row(**HEH)).subtype == "high hyperdiploid"
    assert ploidy(row(ploidy_class="near_diploid")) is None
    assert ploidy(row(ploidy_class="near_haploid", chromosome_count="27")).strength == "medium"
    assert iamp21(row(iamp21="true", iamp21_evidence="RUNX1 at 6 copies")).subtype == "iAMP21"
    assert defining_mutation(row(pax5_p80r="true")).subtype == "PAX5 P80R"
    assert defining_mutation(row(zeb2_h1038r="true")).subtype == "ZEB2/CEBP"
    dux4 = row(expression_calls="DUX4_expressed (DUX4-r: DUX4 412 reads, level -1.10)")
    assert silent_gene_expression(dux4).subtype == "DUX4-r"
    crlf2 = row(expression_calls="CRLF2_high (BCR::ABL1-like: CRLF2 z +6.5; +7.1 log2 from "
                                 "the cohort median)")  # fmt: skip
    finding = ph_like_expression(crlf2)
    assert (finding.subtype, finding.subclass) == ("BCR::ABL1-like", "CRLF2-r")
    signature = row(expression_calls="Ph_like_signature (BCR::ABL1-like: ...)",
                    jak_stat_mutation="true")  # fmt: skip
    assert ph_like_expression(signature).subclass == "other JAK-STAT"
    assert ph_like_expression(row(expression_calls="none")) is None
    assert silent_gene_expression(row(expression_calls="none")) is None
    label = row(classifier="ALLSorts", classifier_label="DUX4", classifier_subtype="DUX4-r")
    assert classifier_label(label).subtype == "DUX4-r"
    assert classifier_label(row(classifier_subtype="undetermined")) is None


def test_a_defining_fusion_outranks_ploidy_and_reports_the_conflict(groups):
    result = assign_subtype(row(**BCR_ABL1, **HEH), groups)
    assert (result["subtype"], result["subtype_group"]) == ("BCR::ABL1", "unfavourable")
    assert result["subtype_source"] == "fusion" and result["subtype_confidence"] == "low"
    assert "conflict, ploidy points to high hyperdiploid" in result["subtype_evidence"]


def test_agreeing_evidence_keeps_confidence(groups):
    evidence = {**BCR_ABL1, "classifier": "ALLSorts", "classifier_label": "Ph",
                "classifier_subtype": "BCR::ABL1"}  # fmt: skip
    result = assign_subtype(row(**evidence, ploidy_class="near_diploid"), groups)
    assert result["subtype_confidence"] == "high"
    assert "also classifier: ALLSorts Ph" in result["subtype_evidence"]


CRLF2_FUSION = {"fusion_subtype": "BCR::ABL1-like", "fusion_subclass": "CRLF2-r",
                "fusion_confidence": "high", "fusion_assessed": "true",
                "rna_fusions": "P2RY8::CRLF2 ex1>ex1 11 split/2 pairs 5'UTR high"}  # fmt: skip


def test_crlf2_rearrangement_defines_bcr_abl1_like_only_without_another_subtype(groups):
    assert defining_fusion(row(**CRLF2_FUSION)) is None
    alone = assign_subtype(row(**CRLF2_FUSION, ploidy_class="near_diploid"), groups)
    assert (alone["subtype"], alone["subtype_class"]) == ("BCR::ABL1-like", "CRLF2-r")
    assert alone["subtype_confidence"] == "medium"  # no Ph-like signature
    signature = "Ph_like_signature (BCR::ABL1-like: 8 genes up)"
    assert crlf2_rearrangement(row(**CRLF2_FUSION, expression_calls=signature)).strength == ("high")
    # in a DUX4-r leukaemia the CRLF2 rearrangement co-occurs: no conflict, DUX4-r stands
    dux4 = "DUX4_expressed (DUX4-r: DUX4 412 reads, level -1.10)"
    result = assign_subtype(row(**CRLF2_FUSION, expression_calls=dux4), groups)
    assert (result["subtype"], result["subtype_confidence"]) == ("DUX4-r", "medium")
    assert "co-occurring, not defining" in result["subtype_evidence"]
    assert "conflict" not in result["subtype_evidence"]


def test_b_other_needs_enough_evidence_otherwise_undetermined(groups):
    searched = assign_subtype(row(fusion_assessed="true", ploidy_class="near_diploid"), groups)
    assert (searched["subtype"], searched["subtype_group"]) == ("B-other", "intermediate")
    unsearched = assign_subtype(row(ploidy_class="near_diploid"), groups)
    assert unsearched["subtype"] == "undetermined" and unsearched["subtype_group"] == ""
    assert "no RNA fusion evidence" in unsearched["subtype_evidence"]


def test_b_other_needs_masked_hypodiploidy_excluded(groups):
    # 50 chromosomes by depth alone: a doubled near-haploid clone reads so too
    gains = {"fusion_assessed": "true", "ploidy_class": "near_diploid", "chromosome_count": "50"}
    open_question = assign_subtype(row(**gains), groups)
    assert open_question["subtype"] == "undetermined"
    assert "masked hypodiploidy) is not excluded" in open_question["subtype_evidence"]
    with_alleles = assign_subtype(row(**gains, allele_source="VCF (9000 SNPs)"), groups)
    assert with_alleles["subtype"] == "B-other"
    flat = assign_subtype(row(**{**gains, "chromosome_count": "46"}), groups)
    assert flat["subtype"] == "B-other"


def test_favourable_groups_and_clinical_concordance(groups):
    table = pd.DataFrame([
        {"patient_id": "P1", **HEH, "clinical_subtype": "hyperdiploid"},
        {"patient_id": "P2", "fusion_subtype": "ETV6::RUNX1", "rna_fusions": "ETV6::RUNX1 ex5>ex3 "
         "12 split/4 pairs in-frame high (ikaros)", "clinical_subtype": "ETV6::RUNX1"},
        {"patient_id": "P3", "fusion_subtype": "KMT2A-r", "rna_fusions": "KMT2A::AFF1 medium",
         "clinical_subtype": "Ph-like"},
    ])  # fmt: skip
    subtypes = assign_subtypes(table, read_risk_groups(RESOURCES / "subtype_risk_groups.tsv"))
    assert list(subtypes["subtype"]) == ["high hyperdiploid", "ETV6::RUNX1", "KMT2A-r"]
    assert list(subtypes["subtype_group"]) == ["favourable", "favourable", "unfavourable"]
    assert list(subtypes["clinical_subtype"]) == ["high hyperdiploid", "ETV6::RUNX1",
                                                  "BCR::ABL1-like"]  # fmt: skip
    table = concordance(subtypes, subtypes["clinical_subtype"], "clinical")
    assert table["patients"].sum() == 3 and int(table["agree"].sum()) == 2
    assert normalise_subtype("dux4") == "DUX4-r" and normalise_subtype("") == ""


def test_the_relapse_analysis_takes_the_derived_subtype_where_there_is_one():
    clinical = pd.DataFrame({"patient_id": ["P1", "P2", "P3"],
                             "subtype": ["hyperdiploid", "DUX4", ""]})  # fmt: skip
    patients = pd.DataFrame({"patient_id": ["P1", "P2", "P3"],
                             "subtype": ["BCR::ABL1", "undetermined", "undetermined"]})  # fmt: skip
    derived = analysis_subtypes(clinical, patients, "subtype", "derived")
    assert list(derived["subtype"]) == ["BCR::ABL1", "DUX4-r", ""]  # the sheet's, as a token
    only = analysis_subtypes(clinical, patients, "subtype", "derived_only")
    assert list(only["subtype"]) == ["BCR::ABL1", "", ""]
    assert analysis_subtypes(clinical, patients, "subtype", "clinical") is clinical
