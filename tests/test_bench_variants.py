"""The variant bench's pooling on hand-made per-patient tables written as the accuracy bench
writes them; every expected count is read off the listings below."""

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_ikzf1_accuracy as accuracy  # noqa: E402
import bench_ikzf1_variants as variants  # noqa: E402

# patient, IKZF1 truth (status, cell fraction), exact, called deleted, IKZF1plus (truth, call),
# CDKN2A (truth, call, cell fraction); the other co-deletion genes are none everywhere
RUN_A = [
    ("P1", "deleted", 0.6, True, True, "true", "true", ("mono", "mono", 0.6)),
    ("P2", "deleted", 0.5, False, True, "false", "false", ("none", "none", 0.0)),
    ("P3", "wildtype", None, False, False, "false", "false", ("none", "mono", 0.0)),
]
RUN_B = [
    ("P1", "deleted", 0.3, False, False, "true", "false", ("mono", "none", 0.3)),
    ("P2", "deleted", 0.9, True, True, "true", "false", ("bi", "mono", 0.9)),
    ("P3", "wildtype", None, False, True, "false", "true", ("none", "none", 0.0)),
]


def compared(rows, depth=30) -> pd.DataFrame:
    frame = []
    for pid, status, fraction, exact, called, plus, called_plus, cdkn2a in rows:
        row = {
            "depth": depth, "patient_id": pid, "blast_percent": 80.0, "ikzf1_status": status,
            "ikzf1_fraction": fraction, "clonality": "clonal", "all_clonal": True,
            "exact": exact, "called_deleted": called, "ikzf1plus": plus,
            "call_ikzf1plus": called_plus, "plus_agree": plus == called_plus,
            "plus_focal_agree": True,
        }  # fmt: skip
        for gene in accuracy.CODELETION_GENES:
            truth, call, cells = cdkn2a if gene == "cdkn2a" else ("none", "none", 0.0)
            row.update({gene: truth, f"call_{gene}": call, f"{gene}_fraction": cells})
        frame.append(row)
    return pd.DataFrame(frame)


def written_and_read(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    accuracy.write_and_print(table, path, "patients compared")
    return variants.read_compared(path)


def test_runs_pool_by_variant_and_over_the_full_panels_read_styles(tmp_path):
    runs = {
        ("full", "local", 1): written_and_read(compared(RUN_A), tmp_path / "a.tsv"),
        ("full", "local", 2): written_and_read(compared(RUN_B), tmp_path / "b.tsv"),
        ("full", "end_to_end", 1): written_and_read(compared(RUN_B), tmp_path / "c.tsv"),
        ("full", "local", 3): written_and_read(compared(RUN_A, depth=60), tmp_path / "d.tsv"),
    }
    table = variants.variant_table(runs).set_index(["variant", "depth"])
    local = table.loc[("full local", 30)]
    # IKZF1 in >= 40% of cells: A P1 (exact), A P2 (found, not exact), B P2 (exact)
    assert local[["fraction40_n", "fraction40_exact", "fraction40_found"]].tolist() == [3, 2, 3]
    # wildtype: A P3 not called, B P3 called
    assert local[["wildtype_n", "wildtype_not_deleted"]].tolist() == [2, 1]
    # IKZF1plus truth A P1, B P1, B P2: called A P1 only; B P3 called without it
    assert local[["ikzf1plus_n", "ikzf1plus_found", "ikzf1plus_false_calls"]].tolist() == [3, 1, 1]
    # ... with IKZF1 and CDKN2A in >= 40% of cells: A P1 (found), B P2 (missed)
    assert local[["ikzf1plus40_n", "ikzf1plus40_found"]].tolist() == [2, 1]
    # CDKN2A in >= 40%: A P1 (mono, right), B P2 (bi called mono); A P3 called without a loss
    assert local[["codeletion40_n", "codeletion40_found", "codeletion40_state"]].tolist() == [
        2,
        2,
        1,
    ]
    # patients without a loss: 5 genes x 6 patients, less the 3 CDKN2A losses (A P1, B P1, B P2)
    assert local[["codeletion_none_n", "codeletion_false_calls"]].tolist() == [27, 1]
    assert (local["seeds"], table.loc[("full local", 60), "seeds"]) == (2, 1)
    # the full panel's read styles pooled at 30x: local's two runs and end_to_end's one
    pooled = table.loc[("full, all read styles", 30)]
    assert pooled[["fraction40_n", "fraction40_exact", "wildtype_n"]].tolist() == [4, 3, 3]
    assert ("all variants", 30) in table.index


def test_the_patients_behind_the_shortfalls_are_listed(tmp_path):
    runs = {
        ("full", "local", 1): written_and_read(compared(RUN_A), tmp_path / "a.tsv"),
        ("targeted", "local", 2): written_and_read(compared(RUN_B), tmp_path / "b.tsv"),
        ("full", "local", 3): written_and_read(compared(RUN_A, depth=20), tmp_path / "c.tsv"),
    }
    misses = variants.miss_table(runs)
    # A P2: a deletion in 50% of cells without its exact class; B P3: wildtype called deleted;
    # B P1 (30% of cells) is no shortfall of the 40% measure, and the 20x run is below 30x
    listed = misses[["variant", "seed", "patient_id", "error"]].values.tolist()
    assert listed == [["full local", 1, "P2", "miss"], ["targeted local", 2, "P3", "false"]]
    assert list(misses.columns) == list(variants.MISS_COLUMNS)
    assert misses["karyotype"].isna().all()  # runs made before the bench recorded it


def test_with_the_karyotype_step_each_scoring_is_pooled_from_its_own_tables(tmp_path):
    # one run, complete for --reuse: the panel's calls (RUN_A) and, with the karyotype's
    # losses added, calls in which A P2 is exact as well
    run = tmp_path / "full_local_1"
    run.mkdir()
    accuracy.write_and_print(compared(RUN_A), run / "patients_compared.tsv", "panel")
    fixed = [(*row[:3], True, *row[4:]) if row[0] == "P2" else row for row in RUN_A]
    accuracy.write_and_print(
        compared(fixed), run / "patients_compared_karyotype.tsv", "with the karyotype"
    )
    argv = ["--workdir", str(tmp_path), "--seeds", "1", "--variants", "full:local:30"]
    assert variants.main([*argv, "--reuse", "--karyotype"]) == 0
    panel = pd.read_csv(tmp_path / "variants.tsv", sep="\t").iloc[0]
    karyotype = pd.read_csv(tmp_path / "variants_karyotype.tsv", sep="\t").iloc[0]
    assert (panel["fraction40_n"], panel["fraction40_exact"]) == (2, 1)
    assert (karyotype["fraction40_n"], karyotype["fraction40_exact"]) == (2, 2)
    listed = pd.read_csv(tmp_path / "misses.tsv", sep="\t")["patient_id"].tolist()
    assert listed == ["P2"]
    assert pd.read_csv(tmp_path / "misses_karyotype.tsv", sep="\t").empty
