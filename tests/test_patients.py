"""The patients table with RNA evidence joined: each case of the integration, by hand."""

import pandas as pd
import pytest

from ikaros.dna.ikzf1plus import PATIENT_COLUMNS, patients_table
from ikaros.patients import RNA_TABLE_COLUMNS, add_rna_evidence
from ikaros.rna.isoforms import RnaCall, read_rna_call, write_rna_call


def dna_row(patient, status, klass="", exons="", pax5="none", erg="none", focal="", plus="false"):
    row = dict.fromkeys(PATIENT_COLUMNS, "")
    row.update(
        patient_id=patient,
        sample_id=f"{patient}_T",
        ikzf1_status=status,
        ikzf1_class=klass,
        ikzf1_exons_deleted=exons,
        ikzf1_focal=focal,
        ikzf1_fraction="0.800" if status == "deleted" else "",
        cdkn2a="none",
        cdkn2b="none",
        pax5=pax5,
        par1="none",
        erg=erg,
        ikzf1plus=plus,
        ikzf1plus_focal=plus,
        dna_evidence="BAM",
    )
    return row


def junction_call(klass, exons, fraction=0.3, support=40, low=0.2):
    return RnaCall("deleted", klass, exons, fraction, low, fraction + 0.1, support, "junction",
                   f"junction: {support} fragments")  # fmt: skip


WILDTYPE_RNA = RnaCall("wildtype", rna_evidence="400 canonical IKZF1 junction fragments")


@pytest.fixture
def table():
    rows = [
        dna_row("P1", "deleted", "del4-7", "4,5,6,7", focal="true"),  # RNA agrees
        dna_row("P2", "wildtype", pax5="mono"),  # subclonal del4-7 only RNA sees
        dna_row("P3", "deleted", "other", "3,4,5,6,7", focal="true"),  # RNA refines to del4-7
        dna_row("P4", "deleted", "del1-8", "1,2,3,4,5,6,7,8", focal="false"),  # RNA blind
        dna_row("P5", "deleted", "del4-7", "4,5,6,7", focal="true"),  # RNA wildtype: disagree
        dna_row("P6", "wildtype"),  # no RNA
    ]
    return patients_table(rows, ["P1", "P2", "P3", "P4", "P5", "P6", "P7"])


def test_each_integration_case(table):
    rna = {
        "P1": ("P1_T", junction_call("del4-7", "4,5,6,7")),
        "P2": ("P2_T", junction_call("del4-7", "4,5,6,7", fraction=0.12, low=0.08)),
        "P3": ("P3_T", junction_call("del4-7", "4,5,6,7")),
        "P4": ("P4_T", WILDTYPE_RNA),
        "P5": ("P5_T", WILDTYPE_RNA),
        "P7": ("P7_R", junction_call("del2-7", "2,3,4,5,6,7")),  # RNA only
    }
    pax5 = "exons 2-3 skipped: 12 fragments, 0.150 (0.088-0.244)"
    genes = {"P2": {"PAX5": pax5, "ERG": ""}}
    out = add_rna_evidence(table, rna, genes).set_index("patient_id")
    assert list(out.reset_index().columns) == list(RNA_TABLE_COLUMNS)
    # PAX5 skipping in RNA is reported beside the DNA state, which it does not change
    assert (out.loc["P2", "rna_pax5"], out.loc["P2", "pax5"]) == (pax5, "mono")
    assert out.loc["P1", "rna_pax5"] == "" and out.loc["P2", "rna_erg"] == ""
    agreement = out["dna_rna_agreement"].to_dict()
    assert agreement == {"P1": "agree", "P2": "disagree", "P3": "agree", "P4": "dna_only",
                         "P5": "disagree", "P6": "dna_only", "P7": "rna_only"}  # fmt: skip
    # P2: the RNA junction makes the call; IKZF1plus from the DNA co-deletions (PAX5 mono),
    # with no DNA extent the focal variant stays undecided
    assert (out.loc["P2", "ikzf1_status"], out.loc["P2", "ikzf1_class"]) == ("deleted", "del4-7")
    assert out.loc["P2", "dna_ikzf1_status"] == "wildtype"
    assert (out.loc["P2", "ikzf1plus"], out.loc["P2", "ikzf1plus_focal"]) == ("true", "")
    assert out.loc["P2", "ikzf1_focal"] == "" and out.loc["P2", "ikzf1_fraction"] == ""
    # P3: exon boundaries from the junction, DNA call kept beside it
    assert out.loc["P3", "ikzf1_class"] == "del4-7"
    assert out.loc["P3", "ikzf1_exons_deleted"] == "4,5,6,7"
    assert out.loc["P3", "dna_ikzf1_class"] == "other"
    assert "refined by RNA junction" in out.loc["P3", "integration_note"]
    assert out.loc["P3", "ikzf1_fraction"] == "0.800"  # the DNA cell fraction stays
    # P4 and P5: the DNA call stands; P5's disagreement is named
    assert out.loc["P4", "ikzf1_class"] == "del1-8"
    assert out.loc["P5", "ikzf1_class"] == "del4-7"
    assert "not seen in RNA" in out.loc["P5", "integration_note"]
    # P6: no RNA at all
    assert out.loc["P6", "integration_note"] == "no RNA" and out.loc["P6", "rna_sample_id"] == ""
    # P7: RNA only: the call, its sample, no co-deletion data so IKZF1plus undecided
    assert (out.loc["P7", "ikzf1_status"], out.loc["P7", "ikzf1_class"]) == ("deleted", "del2-7")
    assert out.loc["P7", "sample_id"] == "P7_R" and out.loc["P7", "dna_evidence"] == ""
    assert out.loc["P7", "ikzf1plus"] == "" and out.loc["P7", "notes"] == "RNA only"
    assert out.loc["P7", "rna_fraction"] == "0.300"


def test_weak_rna_evidence_does_not_overturn_a_dna_wildtype(table):
    weak = junction_call("del4-7", "4,5,6,7", fraction=0.03, support=3, low=0.01)
    out = add_rna_evidence(table, {"P6": ("P6_T", weak)}).set_index("patient_id")
    assert out.loc["P6", "ikzf1_status"] == "wildtype"
    assert out.loc["P6", "dna_rna_agreement"] == "disagree"
    assert "DNA call kept" in out.loc["P6", "integration_note"]


def test_rna_of_an_unknown_patient_is_an_error(table):
    with pytest.raises(ValueError, match="PX"):
        add_rna_evidence(table, {"PX": ("PX_T", WILDTYPE_RNA)})


def test_rna_call_table_round_trip(tmp_path):
    call = junction_call("del4-7", "4,5,6,7", fraction=0.25, support=31, low=0.18)
    write_rna_call(call, "P1_T", tmp_path / "call.tsv")
    sample_id, back = read_rna_call(tmp_path / "call.tsv")
    assert sample_id == "P1_T"
    assert back.rna_class == "del4-7" and back.rna_support == 31
    assert back.rna_fraction == pytest.approx(0.25) and back.rna_ci_low == pytest.approx(0.18)
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "bad.tsv", sep="\t", index=False)
    with pytest.raises(ValueError, match="bad.tsv"):
        read_rna_call(tmp_path / "bad.tsv")


# --- losses from the karyotype -----------------------------------------------------------------


def karyotype(sample, changes, alleles="VCF (300 SNPs)", klass="near_haploid", purity="0.93",
              decided="true"):  # fmt: skip
    return {"sample_id": sample, "patient_id": sample[:-2], "allele_source": alleles,
            "ploidy_class": klass, "karyotype_purity": purity,
            "copy_number_changes": changes, "copies_decided": decided}  # fmt: skip


NEAR_HAPLOID = "-1,-2,-3,-4,-5,-6,-7,-9,-11,-12,-13,-15,-16,-17,-19,-20,-22"


def test_a_near_haploid_clone_loses_ikzf1_and_the_chr9_genes():
    """Monosomy 7 and 9 read against the karyotype's copies: IKZF1 exons 1-8 of one allele
    (non-focal, at the clone's cell fraction), CDKN2A, CDKN2B and PAX5 mono; IKZF1plus by its
    definition (any-IKZF1 variant true, focal variant false); ERG (chr21 kept) unchanged."""
    from ikaros.patients import add_karyotype_losses

    table = patients_table([dna_row("P1", "wildtype")])
    out = add_karyotype_losses(table, pd.DataFrame([karyotype("P1_T", NEAR_HAPLOID)])).iloc[0]
    assert (out.ikzf1_status, out.ikzf1_class, out.ikzf1_exons_deleted) == (
        "deleted", "del1-8", "1,2,3,4,5,6,7,8",
    )  # fmt: skip
    assert (out.ikzf1_focal, out.ikzf1_fraction, out.ikzf1_allelic) == ("false", "0.93", "mono")
    assert (out.cdkn2a, out.cdkn2b, out.pax5, out.erg) == ("mono", "mono", "mono", "none")
    assert (out.ikzf1plus, out.ikzf1plus_focal) == ("true", "false")
    assert "karyotype -7 in 0.93 cells takes exons 1-8 of one allele" in out.ikzf1_evidence
    assert "from the karyotype: IKZF1 (-7), CDKN2A (-9), CDKN2B (-9), PAX5 (-9)" in out.notes


def test_karyotype_losses_need_allele_data_a_class_and_decided_copies():
    """Without SNP allele fractions, with an undetermined class, or where the blasts could not
    tell the clone from its doubling, nothing is added."""
    from ikaros.patients import add_karyotype_losses

    table = patients_table([dna_row(p, "wildtype") for p in ("P1", "P2", "P3")])
    karyotypes = pd.DataFrame(
        [karyotype("P1_T", NEAR_HAPLOID, alleles=""),
         karyotype("P2_T", NEAR_HAPLOID, klass="undetermined"),
         karyotype("P3_T", NEAR_HAPLOID, decided="false")]
    )  # fmt: skip
    out = add_karyotype_losses(table, karyotypes)
    pd.testing.assert_frame_equal(out, table)


def test_karyotype_losses_extend_a_call_and_respect_arms_and_erg():
    """A del4-7 with monosomy 7 has lost exons 1-8 (class del1-8, its own focality kept); a 7q
    loss takes nothing from IKZF1 (7p); two copies of 9p lost make PAX5 biallelic; an ERG
    loss (-21) rules IKZF1plus out."""
    from ikaros.patients import add_karyotype_losses

    rows = [
        dna_row("P1", "deleted", "del4-7", "4,5,6,7", focal="true"),
        dna_row("P2", "wildtype"),
        dna_row("P3", "deleted", "del4-7", "4,5,6,7", focal="true"),
    ]
    karyotypes = pd.DataFrame(
        [karyotype("P1_T", "-7"), karyotype("P2_T", "-7q,-9p,-9p"), karyotype("P3_T", "-9,-21")]
    )
    out = add_karyotype_losses(patients_table(rows), karyotypes).set_index("patient_id")
    assert (out.at["P1", "ikzf1_class"], out.at["P1", "ikzf1_focal"]) == ("del1-8", "true")
    assert out.at["P1", "ikzf1_fraction"] == "0.800"  # the DNA call's own
    assert out.at["P2", "ikzf1_status"] == "wildtype" and out.at["P2", "pax5"] == "bi"
    assert out.at["P2", "ikzf1plus"] == "false"  # no IKZF1 deletion
    assert (out.at["P3", "pax5"], out.at["P3", "erg"], out.at["P3", "ikzf1plus"]) == (
        "mono", "mono", "false",
    )  # fmt: skip


def test_an_arm_long_loss_of_a_disomic_chromosome_7_under_gains_is_refused():
    """High hyperdiploid, 7p at its normal copies in the karyotype (no -7 or -7p): the panel's
    non-focal del1-8 over 59.75 Mb is chromosome 7 read against the trisomic majority, and is
    refused (IKZF1plus with it); an 11.9 Mb loss, a focal one, or one in a near-diploid tumour
    stands."""
    from ikaros.patients import add_karyotype_losses

    def broad(patient, extent, focal="false"):
        row = dna_row(patient, "deleted", "del1-8", "1,2,3,4,5,6,7,8", focal=focal, plus="true")
        row.update(cdkn2a="mono", ikzf1_loss=extent, ikzf1_evidence="BAM: exons 1-8")
        return row

    rows = [
        broad("P1", "chr7:500001-60251000"),
        broad("P2", "chr7:48376001-60251000"),
        broad("P3", "chr7:500001-60251000", focal="true"),
        broad("P4", "chr7:500001-60251000"),
    ]
    gains = "+4,+6,+10,+14,+17,+18,+21,+21,+X"
    karyotypes = pd.DataFrame(
        [karyotype("P1_T", gains, klass="high_hyperdiploid"),
         karyotype("P2_T", gains, klass="high_hyperdiploid"),
         karyotype("P3_T", gains, klass="high_hyperdiploid"),
         karyotype("P4_T", "+21", klass="near_diploid")]
    )  # fmt: skip
    out = add_karyotype_losses(patients_table(rows), karyotypes).set_index("patient_id")
    assert (out.at["P1", "ikzf1_status"], out.at["P1", "ikzf1_class"]) == ("wildtype", "")
    assert out.at["P1", "ikzf1plus"] == "false" and out.at["P1", "cdkn2a"] == "mono"
    assert (
        "loss chr7:500001-60251000 refused: the karyotype (high_hyperdiploid"
        in (out.at["P1", "ikzf1_evidence"])
    )
    assert "IKZF1 loss refused (7p at normal copies)" in out.at["P1", "notes"]
    for patient in ("P2", "P3", "P4"):
        assert out.at[patient, "ikzf1_status"] == "deleted", patient
