"""Samples and clinical sheets: cross-row checks with messages naming row and column."""

import pandas as pd
import pytest

from ikaros.sheets import SheetError, check_clinical, check_samples, check_seg_samples, read_sheet


def samples(*rows):
    return pd.DataFrame(
        rows, columns=["sample_id", "patient_id", "role", "dna_bam", "blast_percent", "sex"]
    ).replace({None: pd.NA})


GOOD = [
    ("P1_T", "P1", "tumor", "p1.bam", 80.0, "female"),
    ("P1_N", "P1", "normal", "p1n.bam", None, "female"),
    ("PON1", None, "normal", "pon1.bam", None, None),
]


def test_good_sheet_passes():
    check_samples(samples(*GOOD), "samples.tsv")


BAD_ROWS = {
    "duplicate": (
        ("P1_T", "P2", "tumor", "x.bam", 50.0, None),
        r"row 5, column sample_id: duplicate sample 'P1_T' \(first seen in row 2\)",
    ),
    "unsafe": (
        ("P3/T", "P3", "tumor", "x.bam", 50.0, None),
        r"row 5, column sample_id: 'P3/T' is not a safe name",
    ),
    "role": (
        ("P3_T", "P3", "tumour", "x.bam", 50.0, None),
        r"row 5 \(sample P3_T\), column role: unknown role 'tumour'",
    ),
    "orphan": (
        ("P3_T", None, "tumor", "x.bam", 50.0, None),
        r"row 5 \(sample P3_T\), column patient_id: a tumor sample needs a patient_id",
    ),
    "two tumours": (
        ("P1_T2", "P1", "tumor", "x.bam", 50.0, None),
        r"patient 'P1' has 2 tumor samples",
    ),
    "stray normal": (
        ("P9_N", "P9", "normal", "x.bam", None, None),
        r"patient 'P9', who has no tumor sample",
    ),
}


@pytest.mark.parametrize(("extra", "message"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_sample_rows_are_named(extra, message):
    with pytest.raises(SheetError, match=message):
        check_samples(samples(*GOOD, extra), "samples.tsv")


def test_clinical_rows_must_name_known_patients_once():
    sheet = samples(*GOOD)
    check_clinical(pd.DataFrame({"patient_id": ["P1"]}), sheet, "clinical.tsv")
    with pytest.raises(SheetError, match="row 3, column patient_id: patient 'P7' has no tumor"):
        check_clinical(pd.DataFrame({"patient_id": ["P1", "P7"]}), sheet, "clinical.tsv")
    with pytest.raises(SheetError, match="row 3, column patient_id: duplicate patient 'P1'"):
        check_clinical(pd.DataFrame({"patient_id": ["P1", "P1"]}), sheet, "clinical.tsv")


def test_read_sheet_keeps_NA_as_text_and_empty_as_missing(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("sample_id\tpatient_id\trole\tdna_bam\tblast_percent\n"
                    "NA\tP1\ttumor\tx.bam\t\n")  # fmt: skip
    sheet = read_sheet(path)
    assert sheet.loc[0, "sample_id"] == "NA"
    assert pd.isna(sheet.loc[0, "blast_percent"])
    with pytest.raises(SheetError, match="missing.tsv: sheet not found"):
        read_sheet(tmp_path / "missing.tsv")


def data_sheet(*rows):
    columns = ["sample_id", "patient_id", "role", "dna_bam", "rna_bam", "cnvkit_cns", "cnvkit_cnr"]
    return pd.DataFrame(rows, columns=columns).replace({None: pd.NA})


def test_a_tumour_may_have_dna_rna_cnvkit_or_seg_rows():
    sheet = data_sheet(
        ("P1_T", "P1", "tumor", "p1.bam", "p1.rna.bam", None, None),
        ("P2_T", "P2", "tumor", None, "p2.rna.bam", None, None),
        ("P3_T", "P3", "tumor", None, None, "p3.cns", "p3.cnr"),
        ("P4_T", "P4", "tumor", None, None, None, None),
        ("PON1", None, "normal", "pon1.bam", None, None, None),
    )
    check_samples(sheet, "samples.tsv", seg_samples=frozenset({"P4_T"}))
    with pytest.raises(SheetError, match=r"row 5 \(sample P4_T\), columns dna_bam, rna_bam"):
        check_samples(sheet, "samples.tsv")


@pytest.mark.parametrize(
    "row, message",
    [
        (("PON2", None, "normal", None, "x.rna.bam", None, None),
         r"row 4 \(sample PON2\), column dna_bam: a normal sample needs a dna_bam"),
        (("P2_T", "P2", "tumor", None, None, None, "p2.cnr"),
         r"row 4 \(sample P2_T\), column cnvkit_cnr: a .cnr is only used with its .cns"),
    ],
)  # fmt: skip
def test_data_source_rules_name_row_and_column(row, message):
    sheet = data_sheet(
        ("P1_T", "P1", "tumor", "p1.bam", None, None, None),
        ("PON1", None, "normal", "pon1.bam", None, None, None),
        row,
    )
    with pytest.raises(SheetError, match=message):
        check_samples(sheet, "samples.tsv")


def test_seg_ids_must_be_tumour_samples():
    sheet = data_sheet(
        ("P1_T", "P1", "tumor", None, None, None, None),
        ("PON1", None, "normal", "pon1.bam", None, None, None),
    )
    check_seg_samples(["P1_T"], sheet, "cohort.seg")
    with pytest.raises(SheetError, match=r"cohort.seg: column ID: sample\(s\) 'PON1', 'X9'"):
        check_seg_samples(["P1_T", "PON1", "X9"], sheet, "cohort.seg")


def test_clinical_subtypes_are_tokens_or_known_spellings():
    samples = pd.DataFrame(
        {"sample_id": ["A_T", "B_T"], "patient_id": ["A", "B"], "role": ["tumor", "tumor"],
         "dna_bam": ["a.bam", "b.bam"]}
    )  # fmt: skip
    known = pd.DataFrame({"patient_id": ["A", "B"], "subtype": ["Ph-like", "DUX4-r"]})
    check_clinical(known, samples, "clinical.tsv")
    odd = pd.DataFrame({"patient_id": ["A", "B"], "subtype": ["hyperdiploid", "Ph-ish"]})
    with pytest.raises(
        SheetError,
        match=r"clinical.tsv: row 3 \(patient B\), column subtype: "
        r"'Ph-ish' is not a subtype.*BCR::ABL1, BCR::ABL1-like",
    ):
        check_clinical(odd, samples, "clinical.tsv")  # fmt: skip


def test_risk_overrides_name_known_subtypes():
    from ikaros.relapse.settings import RelapseConfigError, RelapseSettings

    assert RelapseSettings.from_config({"subtype_risk_overrides": {"DUX4": "favourable"}})
    with pytest.raises(RelapseConfigError, match="'Ph-ish' is not a subtype the project knows"):
        RelapseSettings.from_config({"subtype_risk_overrides": {"Ph-ish": "favourable"}})
