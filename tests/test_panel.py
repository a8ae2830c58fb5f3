"""Panel table validation: format errors are named by row and column."""

import pandas as pd
import pytest

from ikaros.dna.panel import PanelError, validate_panel


def panel(rows):
    columns = ["bin_id", "chrom", "start", "end", "kind", "gene", "exon", "intron", "arm"]
    return pd.DataFrame(rows, columns=columns).astype(str).replace("None", "")


GOOD = [
    ["IKZF1_e1", "chr7", "50304716", "50304922", "exon", "IKZF1", "1", "", "p"],
    ["IKZF1_i1_001", "chr7", "50305100", "50305599", "intron", "IKZF1", "", "1", "p"],
    ["chr9_bb_0001", "chr9", "1000001", "1002000", "backbone", "", "", "", "p"],
]


def test_valid_panel_is_typed():
    table = validate_panel(panel(GOOD))
    assert table["start"].dtype == "int64"
    assert table.loc[0, "exon"] == 1
    assert pd.isna(table.loc[0, "intron"])
    assert table.loc[1, "intron"] == 1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["x", "chr7", "0", "10", "exon", "", "", "", "p"], "row 5, column start"),
        (["x", "7", "60000000", "60000100", "exon", "", "", "", "q"], "column chrom"),
        (["x", "chr9", "2000001", "2000100", "exonic", "", "", "", "p"], "column kind"),
        (["x", "chr9", "2000100", "2000001", "exon", "", "", "", "p"], "column end"),
        (["IKZF1_e1", "chr9", "3000001", "3000100", "exon", "", "", "", "p"], "column bin_id"),
        (["x", "chr9", "1001001", "1001100", "flank", "", "", "", "p"], "without overlap"),
        (["x", "chr1", "1001001", "1001100", "control", "", "", "", "p"], "sorted"),
    ],
)
def test_bad_rows_are_named(row, message):
    with pytest.raises(PanelError, match=message):
        validate_panel(panel([*GOOD, row]), source="panel.tsv")
