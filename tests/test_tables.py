"""The shared TSV reader: the path and the problem in every message, in the caller's error type."""

import pytest

from ikaros.tables import read_tsv


class CustomError(ValueError):
    pass


def test_read_tsv_names_file_and_problem(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text("gene\texon\nIKZF1\t4\n")
    table = read_tsv(good, ("gene", "exon"), "exon table", dtype=str)
    assert table.to_dict("records") == [{"gene": "IKZF1", "exon": "4"}]
    with pytest.raises(CustomError, match=r"absent.tsv: exon table not found"):
        read_tsv(tmp_path / "absent.tsv", ("gene",), "exon table", CustomError)
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(CustomError, match=r"empty.tsv: exon table is empty"):
        read_tsv(tmp_path / "empty.tsv", ("gene",), "exon table", CustomError)
    with pytest.raises(CustomError, match=r"good.tsv: missing column\(s\) start, end"):
        read_tsv(good, ("gene", "start", "end"), "exon table", CustomError)
