"""Clinical sheet -> time and status, comparisons and subtype risk groups, checked by hand."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ikaros.relapse import groups
from ikaros.relapse.outcomes import ClinicalSheetError, prepare_outcomes
from ikaros.relapse.settings import RelapseConfigError, RelapseSettings

REPO = Path(__file__).resolve().parents[1]
RISK_TABLE = REPO / "resources" / "subtype_risk_groups.tsv"


def sheet(rows):
    return pd.DataFrame(rows, columns=["patient_id", "followup_years", "event"])


def test_event_codes_map_site_specific_relapses_and_competing_events():
    settings = RelapseSettings.from_config(
        {
            "event_codes": {
                "cns_relapse": "relapse",
                "bm_relapse": "relapse",
                "toxic_death": "death_in_remission",
            }
        }  # fmt: skip
    )
    clinical = sheet(
        [
            ("A", 1.0, "cns_relapse"),
            ("B", 2.0, "bm_relapse"),
            ("C", 3.0, "toxic_death"),
            ("D", 4.0, "second_malignancy"),
            ("E", 5.0, "censored"),
            ("F", 6.0, "relapse"),
        ]
    )
    out = prepare_outcomes(clinical, settings).table
    assert out["status"].tolist() == [1, 1, 2, 2, 0, 1]
    assert out["event"].tolist() == [
        "relapse", "relapse", "death_in_remission", "second_malignancy", "censored", "relapse",
    ]  # fmt: skip
    assert out["event_code"].tolist()[0] == "cns_relapse"


def test_which_events_compete_comes_from_config():
    settings = RelapseSettings.from_config({"competing": ["death_in_remission"]})
    clinical = sheet([("A", 1.0, "death_in_remission"), ("B", 2.0, "second_malignancy")])
    assert prepare_outcomes(clinical, settings).table["status"].tolist() == [2, 0]


def test_time_unit_converts_to_years():
    settings = RelapseSettings.from_config({"time_unit": "months", "followup_column": "fu"})
    clinical = pd.DataFrame({"patient_id": ["A", "B"], "fu": [60, 6], "event": ["censored"] * 2})
    assert prepare_outcomes(clinical, settings).table["time_years"].tolist() == [5.0, 0.5]
    days = RelapseSettings.from_config({"time_unit": "days"})
    out = prepare_outcomes(sheet([("A", 365.25, "relapse")]), days).table
    assert out["time_years"].iloc[0] == pytest.approx(1.0)


def test_patients_without_follow_up_are_listed_with_the_reason():
    clinical = sheet(
        [
            ("A", 1.5, "relapse"),
            ("B", None, "censored"),
            ("C", 2.0, None),
            ("D", 0.0, "censored"),
            ("E", 0.0, "relapse"),
        ]
    )
    result = prepare_outcomes(clinical, RelapseSettings())
    assert result.table["patient_id"].tolist() == ["A", "E"]
    dropped = dict(zip(result.dropped["patient_id"], result.dropped["reason"], strict=True))
    assert set(dropped) == {"B", "C", "D"}
    assert "no follow-up time" in dropped["B"]
    assert "no event recorded" in dropped["C"]
    assert "censored at time 0" in dropped["D"]


def test_unknown_event_code_names_row_patient_and_column():
    clinical = sheet([("A", 1.0, "relapse"), ("B", 2.0, "cns")])
    with pytest.raises(ClinicalSheetError, match=r"row 3 \(patient B\), column event: .*'cns'"):
        prepare_outcomes(clinical, RelapseSettings(), source="clin.tsv")


def test_negative_or_non_numeric_follow_up_is_an_error():
    with pytest.raises(ClinicalSheetError, match="negative"):
        prepare_outcomes(sheet([("A", -1.0, "relapse")]), RelapseSettings())
    with pytest.raises(ClinicalSheetError, match="not a number"):
        prepare_outcomes(sheet([("A", "soon", "relapse")]), RelapseSettings())
    with pytest.raises(ClinicalSheetError, match="column 'event' is missing"):
        prepare_outcomes(pd.DataFrame({"patient_id": ["A"], "followup_years": [1]}),
                         RelapseSettings())  # fmt: skip


def test_config_errors_name_the_key():
    with pytest.raises(RelapseConfigError, match="unknown keys"):
        RelapseSettings.from_config({"horizon": 5})
    with pytest.raises(RelapseConfigError, match="relapse.event_codes"):
        RelapseSettings.from_config({"event_codes": {"x": "progression"}})
    with pytest.raises(RelapseConfigError, match="threshold"):
        RelapseSettings.from_config(
            {"covariates": [{"name": "m", "column": "m", "kind": "binary"}]}
        )


def test_resource_risk_groups_follow_the_classification():
    mapping = groups.read_risk_groups(RISK_TABLE)
    table = pd.read_csv(RISK_TABLE, sep="\t")
    assert table["source"].str.len().min() > 0
    for subtype in ("hyperdiploid", "ETV6::RUNX1"):
        assert mapping[subtype] == "favourable"
    for subtype in ("BCR::ABL1", "KMT2A-r", "hypodiploid", "Ph-like/CRLF2-r", "TCF3::HLF"):
        assert mapping[subtype] == "unfavourable"
    for subtype in ("DUX4", "TCF3::PBX1", "PAX5alt", "other"):
        assert mapping[subtype] == "intermediate"
    series = pd.Series(["hyperdiploid", "unheard-of", None, "bcr::abl1", "DUX4"])
    out = groups.subtype_risk_group(series, mapping, {"DUX4": "favourable"})
    assert out.tolist()[:2] == ["favourable", "intermediate"]
    assert pd.isna(out.iloc[2])
    assert out.tolist()[3:] == ["unfavourable", "favourable"]


def analysis_table():
    outcomes = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "time_years": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "status": [1, 0, 2, 1, 0, 0],
            "subtype": ["BCR::ABL1", "hyperdiploid", "DUX4", "Ph-like", "", "KMT2A"],
            "protocol": ["Total XV", "Total XVI"] * 3,
        }
    )
    calls = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5"],
            "ikzf1_status": ["deleted", "wildtype", "deleted", "not_assessable", "wildtype"],
            "ikzf1_class": ["del4-7", "", "del1-8", "", ""],
            "ikzf1plus": ["true", "false", "false", "false", "false"],
            "ikzf1plus_focal": [True, False, False, False, False],
        }
    )
    settings = RelapseSettings.from_config({"extra_groupings": {"Protocol": "protocol"}})
    merged = groups.merge_calls(outcomes, calls)
    return groups.add_exposures(merged, groups.read_risk_groups(RISK_TABLE), settings), settings


def test_comparisons_label_each_patient_and_leave_out_the_unassessable():
    table, settings = analysis_table()
    comps = groups.comparisons(table, settings)
    alteration = comps["IKZF1 alteration"][0].tolist()
    assert alteration == [groups.ALTERED, groups.NOT_ALTERED, groups.ALTERED, None,
                          groups.NOT_ALTERED, None]  # fmt: skip
    assert comps["IKZF1 class"][0].tolist() == ["del4-7", "no deletion", "other deletion", None,
                                                "no deletion", None]  # fmt: skip
    assert comps["IKZF1plus"][0].tolist()[:3] == ["IKZF1plus", "not IKZF1plus", "not IKZF1plus"]
    assert comps["IKZF1plus (focal)"][0].iloc[0] == "IKZF1plus focal"
    subtype = comps["Subtype group"][0].tolist()
    assert subtype == ["unfavourable", "favourable", "intermediate", "unfavourable", None,
                       "unfavourable"]  # fmt: skip
    assert comps["Protocol"][0].tolist() == ["Total XV", "Total XVI"] * 3
    assert np.isnan(table.loc[3, "ikzf1_altered"])  # not assessable
    assert np.isnan(table.loc[5, "ikzf1_altered"])  # no call at all


def test_bad_calls_are_reported_with_patient_and_column():
    outcomes = pd.DataFrame({"patient_id": ["P1"], "time_years": [1.0], "status": [1]})
    calls = pd.DataFrame(
        {"patient_id": ["P1"], "ikzf1_status": ["deleted"], "ikzf1_class": ["delta4-7"]}
    )
    with pytest.raises(groups.GroupingError, match="patient P1, column ikzf1_class: 'delta4-7'"):
        groups.add_exposures(groups.merge_calls(outcomes, calls), {}, RelapseSettings())
    calls = pd.DataFrame({"patient_id": ["P1"], "ikzf1_status": ["lost"]})
    with pytest.raises(groups.GroupingError, match="column ikzf1_status: 'lost'"):
        groups.add_exposures(groups.merge_calls(outcomes, calls), {}, RelapseSettings())


def test_a_deletion_with_an_unresolved_exon_is_altered_but_of_unknown_class():
    """An empty class on a deleted IKZF1 (an exon the data could not resolve): the patient
    counts as IKZF1-altered; delta 4-7 versus other deletion is unknown (left out)."""
    outcomes = pd.DataFrame(
        {"patient_id": ["P1", "P2", "P3"], "time_years": [1.0, 2.0, 3.0], "status": [1, 0, 0]}
    )
    calls = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "ikzf1_status": ["deleted", "deleted", "wildtype"],
            "ikzf1_class": ["", "del4-7", ""],
        }
    )
    table = groups.add_exposures(groups.merge_calls(outcomes, calls), {}, RelapseSettings())
    assert table["ikzf1_altered"].tolist() == [1.0, 1.0, 0.0]
    assert np.isnan(table.loc[0, "ikzf1_del4_7"]) and np.isnan(table.loc[0, "ikzf1_other_deletion"])
    assert table.loc[1:, "ikzf1_del4_7"].tolist() == [1.0, 0.0]
    assert table.loc[1:, "ikzf1_other_deletion"].tolist() == [0.0, 0.0]
