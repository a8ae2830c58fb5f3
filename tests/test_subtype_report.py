"""The report's subtype section: treatment flags, frequencies and figures from a patients
table whose answers are known by hand."""

from __future__ import annotations

import pandas as pd

from ikaros.relapse.report import subtype_section
from ikaros.subtypes.report import (
    RESEARCH_USE,
    oncoprint_figure,
    subtype_frequencies,
    treatment_flags,
)


def patients() -> pd.DataFrame:
    rows = [
        # patient, subtype, class, group, IKZF1, IKZF1plus, JAK-STAT, TP53
        ("P1", "BCR::ABL1", "", "unfavourable", "deleted", "true", "false", "false"),
        ("P2", "BCR::ABL1-like", "ABL-class", "unfavourable", "deleted", "false", "false", "false"),
        ("P3", "BCR::ABL1-like", "CRLF2-r", "unfavourable", "deleted", "true", "false", "false"),
        ("P4", "high hyperdiploid", "", "favourable", "wildtype", "false", "true", "false"),
        ("P5", "low hypodiploid", "", "unfavourable", "wildtype", "false", "false", "false"),
        ("P6", "ETV6::RUNX1", "", "favourable", "deleted", "true", "false", "true"),
        ("P7", "undetermined", "", "", "wildtype", "false", "false", "false"),
    ]
    columns = ["patient_id", "subtype", "subtype_class", "subtype_group", "ikzf1_status",
               "ikzf1plus", "jak_stat_mutation", "tp53_mutation"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    return table.assign(cdkn2a=["bi", "mono", "", "", "", "", ""], fusion_subtype="")


def test_treatment_flags_follow_their_definitions():
    flags = treatment_flags(patients())
    by_flag = flags.groupby("flag")["patient_id"].apply(list).to_dict()
    assert by_flag["ABL-class: TKI-eligible"] == ["P1", "P2"]
    assert by_flag["JAK-STAT: JAK inhibitor trials"] == ["P3", "P4"]
    # IKZF1plus counts only with an unfavourable subtype: P6 is ETV6::RUNX1
    assert by_flag["IKZF1plus and unfavourable subtype: high risk"] == ["P1", "P3"]
    assert by_flag["TP53 or hypodiploid: high risk, germline TP53 testing"] == ["P5", "P6"]


def test_frequencies_count_ikzf1_alterations_within_each_subtype():
    table = subtype_frequencies(patients()).set_index("subtype")
    assert table.loc["BCR::ABL1-like", "patients"] == 2
    assert table.loc["BCR::ABL1-like", "ikzf1_altered_percent"] == 100.0
    assert table.loc["high hyperdiploid", "ikzf1_altered"] == 0
    assert table.loc["BCR::ABL1", "percent"] == round(100 / 7, 1)
    # tokens in their documented order, undetermined last
    assert list(table.index)[:2] == ["BCR::ABL1", "BCR::ABL1-like"]
    assert list(table.index)[-1] == "undetermined"
    # as printed: counts with one-decimal shares (1 of 7 patients is 14.3%; 2 of 2 altered)
    from ikaros.relapse.report import subtype_frequency_display

    shown = subtype_frequency_display(table.reset_index()).set_index("subtype")
    assert shown.loc["BCR::ABL1", "patients (% of cohort)"] == "1 (14.3%)"
    assert shown.loc["BCR::ABL1-like", "IKZF1 altered (% of subtype)"] == "2 (100.0%)"


def test_section_marks_the_flags_research_use_and_embeds_figures():
    concordance = pd.DataFrame(
        {"derived": ["BCR::ABL1", "undetermined"], "other": ["BCR::ABL1", "B-other"],
         "patients": ["3", "2"], "agree": ["true", "false"], "compared": "clinical"}
    )  # fmt: skip
    page = "\n".join(subtype_section(patients(), concordance))
    assert RESEARCH_USE in page
    assert "3 of 5 patients agree" in page
    assert page.count("data:image/png;base64,") == 2
    assert oncoprint_figure(patients())[:8] == b"\x89PNG\r\n\x1a\n"
    assert subtype_section(patients().drop(columns=["subtype"]), None) == []
