"""IKZF1 calls from a simulated BAM whose deletion junction the coverage alone cannot place.

Truth: a del2-8 whose first deleted base lies 40 bp before IKZF1 exon 2 (GRCh38 exon 2 =
50,319,048-50,319,101, ENST00000331340), so exon 2 is the only bin between the last retained
tile and exon 3; the simulator writes the junction's split reads and discordant pairs. The
copy-number step reads the tumour's BAM over the IKZF1 window and must place the loss at the
junction to the base and call del2-8.

PAX5 is read the same way: truth is a 70 kb loss from intron 8 to intron 6 (PAX5 is on the
minus strand; GRCh38 exon 7 = 36,923,355-36,923,484, exon 8 = 36,882,004-36,882,105) in 40% of
cells, so exons 7 and 8 alone are lost.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ikaros.dna import sample_calls
from ikaros.dna.coverage import count_coverage, read_coverage, write_coverage
from ikaros.dna.junction_reads import ReadProfile
from ikaros.dna.panel import read_panel
from ikaros.dna.reference import build_reference, stack_coverage
from ikaros.dna.sample_calls import SampleJob, call_sample
from ikaros.simulate import SimulationSettings
from ikaros.simulate.reads import write_sample_bam

REPO = Path(__file__).resolve().parents[1]
LOSS = ("chr7", 50_319_008, 50_410_000)  # exons 2-8; its right end in the tiles past exon 8
PAX5_LOSS = ("chr9", 36_870_001, 36_940_000)  # exons 8 and 7, from intron 8 to intron 6


def _lesions(
    sample_id: str, fraction: float, loss=LOSS, gene="IKZF1", label="IKZF1_del2-8"
) -> pd.DataFrame:
    chrom, start, end = loss
    return pd.DataFrame(
        [
            {
                "patient_id": "P1", "sample_id": sample_id, "lesion_id": "L1", "gene": gene,
                "label": label, "chrom": chrom, "start": start, "end": end,
                "allelic": "mono", "cell_fraction": fraction,
            }
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    out = tmp_path_factory.mktemp("junction_calls")
    panel = read_panel(REPO / "resources/panel_GRCh38.tsv")
    settings = SimulationSettings(seed=4242, depth=30)
    empty = _lesions("x", 0.5).iloc[:0]
    tables = {}
    for k in range(6):
        bam = out / f"N{k}.bam"
        write_sample_bam(panel, "GRCh38", f"N{k}", "female", empty, bam, settings)
        tables[f"N{k}"] = count_coverage(bam, panel, "GRCh38")
    ref_panel, counts = stack_coverage(tables)
    reference = build_reference(counts, ref_panel, list(tables), "panel_of_normals", [False] * 6)
    samples = {
        "T1": _lesions("T1", 0.6),
        "T0": empty,
        "T2": _lesions("T2", 0.4, PAX5_LOSS, "PAX5", "PAX5_intragenic"),
    }
    for sample_id, lesions in samples.items():
        bam = out / f"{sample_id}.bam"
        write_sample_bam(panel, "GRCh38", sample_id, "female", lesions, bam, settings)
        write_coverage(count_coverage(bam, panel, "GRCh38"), out / f"{sample_id}.tsv")
    return out, reference


def _call(out: Path, reference, sample_id: str, with_reads: bool):
    job = SampleJob(
        sample_id=sample_id, patient_id=sample_id, coverage=str(out / f"{sample_id}.tsv"),
        matched_normal=None, blast_percent=60.0, sex="female", outputs={},
        alignment=str(out / f"{sample_id}.bam") if with_reads else None,
    )  # fmt: skip
    return call_sample(job, reference, {"seed": 1, "n_perm": 200})


def test_the_junction_in_the_reads_places_the_loss_to_the_base(simulated):
    out, reference = simulated
    _, calls, ikzf1, summary = _call(out, reference, "T1", with_reads=True)
    assert ikzf1.status == "deleted"
    assert ikzf1.deletion_class == "del2-8"
    assert ikzf1.exons_deleted == (2, 3, 4, 5, 6, 7, 8)
    chrom, start, end = LOSS
    assert f"junction {chrom}:{start - 1}^{end + 1} (" in ikzf1.evidence
    segments = calls.segments
    lost = segments[segments["junction"] != ""]
    assert len(lost) == 1
    # the loss's bins are those whose midpoint lies between the junction's two ends
    panel = read_panel(REPO / "resources/panel_GRCh38.tsv")
    mids = (panel["start"] + panel["end"]) / 2
    inside = panel[(panel["chrom"] == chrom) & (mids > start - 1) & (mids < end + 1)]
    assert lost["first_bin"].iat[0] == "IKZF1_e2"
    assert inside["start"].min() == 50_319_048  # exon 2
    # the segment runs from the first deleted base (the reads' junction) to the end of its
    # last bin, which reaches past the junction's other end
    assert lost["start"].iat[0] == start
    assert lost["end"].iat[0] == inside["end"].max() > end
    assert summary["ikzf1_class"] == "del2-8"
    assert 0.4 <= ikzf1.cell_fraction <= 0.75  # truth 0.6


def test_without_reads_the_call_rests_on_coverage_alone(simulated):
    out, reference = simulated
    _, calls, ikzf1, _ = _call(out, reference, "T1", with_reads=False)
    assert ikzf1.status == "deleted"  # the loss is deep enough to be found
    assert "junction" not in ikzf1.evidence
    assert "junction" not in calls.segments.columns


def test_a_tumour_without_a_deletion_has_no_junction_and_stays_wildtype(simulated):
    out, reference = simulated
    _, calls, ikzf1, _ = _call(out, reference, "T0", with_reads=True)
    assert ikzf1.status == "wildtype"
    assert np.all(calls.segments.get("junction", pd.Series(dtype=str)).fillna("") == "")


def test_a_pax5_intragenic_loss_is_placed_by_its_junction(simulated):
    out, reference = simulated
    _, calls, ikzf1, summary = _call(out, reference, "T2", with_reads=True)
    chrom, start, end = PAX5_LOSS
    lost = calls.segments[calls.segments["junction"] != ""]
    assert len(lost) == 1
    assert lost["junction"].iat[0].startswith(f"{chrom}:{start - 1}^{end + 1} (")
    # the loss's bins are the locus tiles and exons whose midpoints lie inside the deletion
    panel = read_panel(REPO / "resources/panel_GRCh38.tsv")
    mids = (panel["start"] + panel["end"]) / 2
    inside = panel[(panel["chrom"] == chrom) & (mids > start - 1) & (mids < end + 1)]
    assert lost["first_bin"].iat[0] == inside["bin_id"].iat[0]
    assert lost["last_bin"].iat[0] == inside["bin_id"].iat[-1]
    exons = calls.exons[calls.exons["gene"] == "PAX5"].set_index("exon")["state"]
    assert sorted(exons[exons == "deleted"].index) == [7, 8]
    assert summary["pax5"] == "mono"
    assert ikzf1.status == "wildtype"


@pytest.mark.parametrize(("thin", "flags"), [
    (lambda t: t.assign(fragments=t["fragments"] // 5, mean_depth=t["mean_depth"] / 5),
     "failed QC (low_depth)"),
    (lambda t: t.assign(fragments=t["fragments"].where(t.index % 5 < 2, 0),
                        mean_depth=t["mean_depth"].where(t.index % 5 < 2, 0.0)),
     "failed QC (low_depth, empty_bins)"),
])  # fmt: skip
def test_a_bam_that_fails_qc_is_not_assessable_never_wildtype(simulated, tmp_path, thin, flags):
    """T0 (no deletion) thinned to 6x, or with three bins in five empty (as an RNA-seq BAM
    given as DNA leaves introns empty): not called wildtype."""
    out, reference = simulated
    write_coverage(thin(read_coverage(out / "T0.tsv")), tmp_path / "T0.tsv")
    job = SampleJob(
        sample_id="T0", patient_id="P0", coverage=str(tmp_path / "T0.tsv"), matched_normal=None,
        blast_percent=60.0, sex="female", outputs={},
        gene_models=str(REPO / "resources/gene_models_GRCh38.tsv"),
    )  # fmt: skip
    _, calls, ikzf1, summary = call_sample(job, reference, {"seed": 1, "qc": {}})
    assert ikzf1.status == "not_assessable"
    assert ikzf1.evidence.startswith(f"BAM {flags}")
    assert summary["ikzf1_status"] == "not_assessable"
    assert summary["ikzf1plus"] == "" and summary["cdkn2a"] == ""
    assert summary["notes"].startswith(f"DNA {flags}")
    assert (calls.exons["state"] == "not_assessable").all()
    # the same table unthinned is called (wildtype)
    _, _, called, _ = _call(out, reference, "T0", with_reads=False)
    assert called.status == "wildtype"


def test_a_bam_that_cannot_show_junction_reads_is_not_refused_for_lacking_them(
    simulated, tmp_path, monkeypatch
):
    """An end-to-end aligner's BAM filtered to proper pairs: the del2-8 in 30% of cells leaves
    neither split reads nor discordant pairs, and the sample's own reads show none anywhere
    (no clip, no improper pair), so their absence says nothing and the loss is called from
    coverage. Read as if the aligner had kept them (a profile that measured nothing), the same
    reads refuse it."""
    out, reference = simulated
    settings = SimulationSettings(seed=4242, depth=30, split_reads=False, improper_pairs=False)
    panel = read_panel(REPO / "resources/panel_GRCh38.tsv")
    for sample_id in ("E1", "E2"):
        bam = tmp_path / f"{sample_id}.bam"
        write_sample_bam(panel, "GRCh38", sample_id, "female", _lesions(sample_id, 0.3), bam,
                         settings)  # fmt: skip
        write_coverage(count_coverage(bam, panel, "GRCh38"), tmp_path / f"{sample_id}.tsv")
        job = SampleJob(
            sample_id=sample_id, patient_id=sample_id, coverage=str(tmp_path / f"{sample_id}.tsv"),
            matched_normal=None, blast_percent=60.0, sex="female", outputs={}, alignment=str(bam),
        )  # fmt: skip
        measured = sample_calls._window_evidence(job, *_bins_and_settings(job, reference))
        profile = sum((e.profile for e in measured.values()), ReadProfile())
        assert profile.reads > 10_000 and not profile.shows_clips
        assert not profile.shows_improper_pairs
        _, calls, ikzf1, _ = call_sample(job, reference, {"seed": 1, "n_perm": 200})
        assert ikzf1.status == "deleted" and {3, 4, 5, 6, 7} <= set(ikzf1.exons_deleted)
        assert "refused" not in ikzf1.evidence

        with monkeypatch.context() as patch:
            patch.setattr(sample_calls, "_window_evidence", _unprofiled(sample_calls))
            _, calls, ikzf1, _ = call_sample(job, reference, {"seed": 1, "n_perm": 200})
        assert ikzf1.status == "wildtype"
        assert "refused: no junction read at its edges where" in ikzf1.evidence


def _bins_and_settings(job, reference):
    tumour = read_coverage(job.coverage)
    return sample_calls._bam_log2_ratios(job, tumour, reference, {}), {}


def _unprofiled(module):
    """The module's window evidence with its read profile dropped (as if nothing was measured,
    which assumes the aligner keeps split reads and discordant pairs)."""
    real = module._window_evidence

    def evidence(*args):
        return {g: dataclasses.replace(e, profile=ReadProfile()) for g, e in real(*args).items()}

    return evidence


def test_each_tumour_writes_how_its_ratios_were_normalised_and_how_noisy_they_are(
    simulated, tmp_path
):
    """noise.tsv of the BAM route: the simulator draws fragments of 300 +- 50 bp (truncated),
    which the coverage table must give back; a failed BAM and the cohort table keep the
    columns with the measurements empty."""
    out, reference = simulated
    paths = []
    for sample_id, coverage in (("T0", out / "T0.tsv"), ("T9", tmp_path / "T9.tsv")):
        if sample_id == "T9":  # thinned to 6x: fails QC
            table = read_coverage(out / "T0.tsv")
            thin = {"fragments": table["fragments"] // 5, "mean_depth": table["mean_depth"] / 5}
            write_coverage(table.assign(**thin), coverage)
        outputs = {name: str(tmp_path / f"{sample_id}.{name}") for name in
                   sample_calls.SAMPLE_OUTPUTS}  # fmt: skip
        job = SampleJob(
            sample_id=sample_id, patient_id="P0", coverage=str(coverage), matched_normal=None,
            blast_percent=60.0, sex="female", outputs=outputs,
            gene_models=str(REPO / "resources/gene_models_GRCh38.tsv"),
        )  # fmt: skip
        settings = {"seed": 1, "n_perm": 200, "qc": {}}
        bins, calls, ikzf1, summary = call_sample(job, reference, settings)
        sample_calls.write_sample_calls(job, bins, calls, ikzf1, summary)
        paths.append(outputs["noise"])
    table = sample_calls.noise_table(paths)
    assert list(table.columns) == list(sample_calls.NOISE_COLUMNS)
    called, failed = table.iloc[0], table.iloc[1]
    assert (called["sample_id"], called["dna_source"]) == ("T0", "BAM")
    assert 240 < float(called["fragment_bp"]) < 330 and called["fragment_assumed"] == "false"
    assert 0.3 < float(called["neighbour_kappa"]) < 3.0
    assert float(called["noise_scale"]) >= 1.0 and float(called["library_se"]) > 0
    assert called["baseline"].endswith("control bins") and called["baseline_ambiguous"] == "false"
    assert failed["sample_id"] == "T9" and failed["dna_source"] == "BAM"
    assert failed[["library_log2", "noise_scale", "fragment_bp", "baseline"]].eq("").all()
