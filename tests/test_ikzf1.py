"""IKZF1 alteration: class of every exon set, focal vs broad, intronic-only, not assessable."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from ikaros.dna.copy_number import call_from_segments
from ikaros.dna.ikzf1 import call_ikzf1, deletion_class
from test_reference import IKZF1_EXONS_GRCH38, ikzf1_exon_model

# GRCh38 IKZF1 exons (ENST00000331340), as in resources/gene_models_GRCh38.tsv.
IKZF1 = IKZF1_EXONS_GRCH38
NAMED = {  # the recurrent classes, written out
    (4, 5, 6, 7): "del4-7",
    (2, 3, 4, 5, 6, 7): "del2-7",
    (2, 3, 4, 5, 6, 7, 8): "del2-8",
    (4, 5, 6, 7, 8): "del4-8",
    (1, 2, 3, 4, 5, 6, 7, 8): "del1-8",
}


def test_class_of_every_exon_set():
    seen = {}
    for size in range(1, 9):
        for exons in combinations(range(1, 9), size):
            seen[exons] = deletion_class(exons)
    assert len(seen) == 255
    for exons, name in seen.items():
        assert name == NAMED.get(exons, "other"), exons
    assert sum(name != "other" for name in seen.values()) == 5
    assert deletion_class([]) == ""
    assert deletion_class([7, 6, 5, 4]) == "del4-7"  # order does not matter
    with pytest.raises(ValueError, match="1..8"):
        deletion_class([0, 1])


model = ikzf1_exon_model


def calls_with_loss(start, end, log2=-1.0, se=0.05, blast=None, noise_scale=1.0):
    """chr7 with a retained / lost / retained layout; bins are notionally 1 kb apart."""
    segs = pd.DataFrame(
        [
            ("chr7", 1, start - 1000, 500, 0.0, 0.01),
            ("chr7", start, end, 40, log2, se),
            ("chr7", end + 1000, 159_000_000, 500, 0.0, 0.01),
        ],
        columns=["chrom", "start", "end", "n_bins", "log2", "se"],
    )
    if start <= 1:
        segs = segs.iloc[1:].assign(start=lambda f: f["start"].clip(lower=1))
    calls = call_from_segments("S", "BAM", segs.reset_index(drop=True), model(), blast)
    calls.attrs["noise_scale"] = noise_scale
    return calls


def test_focal_versus_arm_loss_uses_focal_max_bp():
    focal = call_ikzf1(calls_with_loss(49_900_000, 51_000_000))
    assert focal.status == "deleted" and focal.deletion_class == "del1-8"
    assert focal.focal is True
    assert focal.loss_length_bp == pytest.approx(51_000_000 - 49_900_000 + 1000, abs=1000)
    arm = call_ikzf1(calls_with_loss(1, 58_000_000))
    assert arm.deletion_class == "del1-8" and arm.focal is False
    # The threshold is a parameter: 1.2 Mb is focal at 5 Mb, not at 1 Mb.
    assert (
        call_ikzf1(calls_with_loss(49_900_000, 51_000_000), focal_max_bp=1_000_000).focal is False
    )


def test_intragenic_classes_and_fraction():
    # del4-7: breakpoints in introns 3 and 7; 80% blasts, monoallelic: ratio 0.6.
    call = call_ikzf1(calls_with_loss(50_350_000, 50_395_000, log2=np.log2(0.6), blast=0.8))
    assert call.deletion_class == "del4-7" and call.exons_text() == "4,5,6,7"
    assert call.allelic == "mono" and call.cell_fraction == pytest.approx(0.8)
    assert call.focal is True
    # biallelic: ratio 0.2 is impossible for a monoallelic loss in 80% of cells.
    bi = call_ikzf1(calls_with_loss(50_350_000, 50_395_000, log2=np.log2(0.2), blast=0.8))
    assert bi.allelic == "bi" and bi.cell_fraction == pytest.approx(0.8)
    other = call_ikzf1(calls_with_loss(50_310_000, 50_330_000))
    assert other.deletion_class == "other" and other.exons_deleted == (2, 3)


def test_intronic_only_loss_is_not_an_exon_deletion():
    call = call_ikzf1(calls_with_loss(50_340_000, 50_365_000))  # inside intron 3
    assert call.status == "wildtype"
    assert call.intronic_loss is True and call.exons_deleted == ()
    assert "removes no exon" in call.evidence


def test_not_assessable_cases():
    # No chr7 data at all.
    segs = pd.DataFrame(
        [("chr9", 1, 1000, 10, 0.0, 0.05)],
        columns=["chrom", "start", "end", "n_bins", "log2", "se"],
    )
    none = call_ikzf1(call_from_segments("S", "SEG", segs, model()))
    assert none.status == "not_assessable"
    # Too noisy a sample.
    noisy = call_ikzf1(calls_with_loss(50_350_000, 50_395_000, noise_scale=4.0))
    assert noisy.status == "not_assessable" and "noise" in noisy.evidence
    # Wildtype needs every exon assessed.
    wt = call_ikzf1(calls_with_loss(60_000_000, 61_000_000, log2=0.0))
    assert wt.status == "wildtype" and wt.evidence.startswith("BAM: all 8 exons retained")
