"""The IKZF1 alteration of a sample from its exon-level copy-number calls.

IKZF1 (NM_006060 / ENST00000331340) has 8 exons, exon 1 non-coding. Recurrent deletions are
named by the exons they remove: ``del4-7`` (IK6), ``del2-7``, ``del2-8``, ``del4-8``,
``del1-8`` (whole gene); any other exon set is ``other`` and listed in ``exons_deleted``.

- ``status``: ``deleted`` when at least one exon is deleted; ``wildtype`` when every exon is
  assessed and none is deleted; ``not_assessable`` when some exon cannot be assessed (no
  data, or a segment breakpoint that the probes/bins cannot place) and none is deleted, or
  when the sample is too noisy (its noise scale above ``max_noise_scale``) or its
  copy-neutral level is ambiguous (``ikaros.dna.baseline``).
- A loss that touches the gene but removes no exon is reported as ``intronic_loss`` (status
  stays wildtype): it is not an exon deletion.
- ``focal``: the loss containing the deleted exons (consecutive deleted segments) spans less
  than ``focal_max_bp`` (config ``copy_number.focal_max_bp``, default 5 Mb); otherwise it is
  part of a 7p or chromosome 7 loss and ``focal`` is false.
- ``class`` is left empty when some exon is unresolved and the deleted set could still grow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ikaros.dna.copy_number import CopyNumberCalls, extent_of_segment

GENE = "IKZF1"
N_EXONS = 8
CLASSES = {
    frozenset(range(4, 8)): "del4-7",
    frozenset(range(2, 8)): "del2-7",
    frozenset(range(2, 9)): "del2-8",
    frozenset(range(4, 9)): "del4-8",
    frozenset(range(1, 9)): "del1-8",
}
STATUSES = ("deleted", "wildtype", "not_assessable")


def deletion_class(exons: Iterable[int]) -> str:
    """Class of a set of deleted exon numbers: a named class, ``other``, or "" (none)."""
    deleted = frozenset(int(e) for e in exons)
    if not deleted:
        return ""
    bad = [e for e in deleted if not 1 <= e <= N_EXONS]
    if bad:
        raise ValueError(f"IKZF1 exon numbers run 1..{N_EXONS}; got {sorted(bad)}")
    return CLASSES.get(deleted, "other")


@dataclass
class Ikzf1Call:
    status: str
    deletion_class: str = ""
    exons_deleted: tuple[int, ...] = ()
    exons_unresolved: tuple[int, ...] = ()
    focal: bool | None = None
    cell_fraction: float = float("nan")
    allelic: str = ""
    p_value: float = float("nan")
    intronic_loss: bool = False
    loss_chrom: str = ""
    loss_start: int | None = None
    loss_end: int | None = None
    loss_length_bp: int | None = None
    evidence: str = ""

    def exons_text(self) -> str:
        return ",".join(str(e) for e in self.exons_deleted)


def call_ikzf1(
    calls: CopyNumberCalls,
    focal_max_bp: int = 5_000_000,
    max_noise_scale: float = 3.0,
) -> Ikzf1Call:
    exons = calls.exons[(calls.exons["gene"] == GENE) & calls.exons["exon"].notna()]
    exons = exons.sort_values("exon")
    source = calls.source
    if exons.empty:
        return Ikzf1Call("not_assessable", evidence=f"{source}: no IKZF1 exon in the panel")
    scale = calls.attrs.get("noise_scale", 1.0)
    if scale > max_noise_scale:
        return Ikzf1Call(
            "not_assessable",
            evidence=f"{source}: sample noise {scale:.1f} x the reference's "
            f"(limit {max_noise_scale:g})",
        )
    if calls.attrs.get("baseline_ambiguous", False):
        return Ikzf1Call(
            "not_assessable",
            evidence=f"{source}: copy-neutral level ambiguous: {calls.attrs.get('baseline', '')}",
        )
    numbers = exons["exon"].astype(int).to_numpy()
    state = exons["state"].to_numpy()
    deleted = tuple(int(e) for e in numbers[state == "deleted"])
    unresolved = tuple(int(e) for e in numbers[state == "unresolved"])
    unassessed = tuple(int(e) for e in numbers[state == "not_assessable"])
    missing = tuple(e for e in range(1, N_EXONS + 1) if e not in set(numbers))

    if not deleted:
        intronic = _intronic_loss(calls, exons)
        if unresolved or unassessed or missing:
            what = []
            if unresolved:
                what.append("exon(s) " + ",".join(map(str, unresolved)) + " unresolved")
            if unassessed or missing:
                what.append(
                    "exon(s) " + ",".join(map(str, sorted(unassessed + missing))) + " without data"
                )
            return Ikzf1Call(
                "not_assessable",
                exons_unresolved=unresolved,
                intronic_loss=intronic is not None,
                evidence=f"{source}: " + "; ".join(what),
            )
        if intronic is not None:
            seg = calls.segments.iloc[intronic]
            return Ikzf1Call(
                "wildtype",
                intronic_loss=True,
                loss_chrom=str(seg["chrom"]),
                loss_start=int(seg["start"]),
                loss_end=int(seg["end"]),
                evidence=(
                    f"{source}: intronic loss {seg['chrom']}:{int(seg['start'])}-"
                    f"{int(seg['end'])} (log2 {seg['log2']:.2f}) removes no exon"
                ),
            )
        best = exons.loc[exons["z"].idxmin()] if exons["z"].notna().any() else None
        note = "" if best is None else f"; lowest exon z {best['z']:.1f} (exon {best['exon']})"
        note += _refused_losses(calls, exons) + _baseline_note(calls)
        return Ikzf1Call("wildtype", evidence=f"{source}: all {len(exons)} exons retained{note}")

    lost = exons[exons["state"] == "deleted"]
    # The segment carrying most deleted exons decides fraction and extent (deepest on ties).
    counts = lost.groupby("segment")["exon"].count()
    depth = lost.groupby("segment")["log2"].min()
    segment = int(sorted(counts.index, key=lambda s: (-counts[s], depth[s]))[0])
    seg = calls.segments.iloc[segment]
    extent = extent_of_segment(calls.extents, segment)
    focal = None
    loss_start = loss_end = length = None
    chrom = str(seg["chrom"])
    if extent is not None:
        loss_start, loss_end = int(extent["start"]), int(extent["end"])
        length = int(extent["length_bp"])
        focal = bool(length < focal_max_bp)
    complete = not unresolved and not unassessed and not missing
    klass = deletion_class(deleted) if complete else ""
    allelic = "bi" if (lost["allelic"] == "bi").any() else "mono"
    z_text = "" if not np.isfinite(seg["z"]) else f" z {seg['z']:.1f} p {seg['p_value']:.2g}"
    evidence = (
        f"{source}: exons {','.join(map(str, deleted))} in {chrom}:{int(seg['start'])}-"
        f"{int(seg['end'])} ({int(seg['n_bins'])} bins, log2 {seg['log2']:.2f}{z_text})"
    )
    if length is not None:
        evidence += f"; loss {chrom}:{loss_start}-{loss_end} ({length / 1e6:.2f} Mb)"
    junction = seg.get("junction", "")
    if isinstance(junction, str) and junction:
        evidence += f"; junction {junction}"
    if unresolved:
        evidence += "; exon(s) " + ",".join(map(str, unresolved)) + " unresolved"
    evidence += _baseline_note(calls)
    return Ikzf1Call(
        "deleted",
        deletion_class=klass,
        exons_deleted=deleted,
        exons_unresolved=unresolved,
        focal=focal,
        cell_fraction=float(seg["cell_fraction"]),
        allelic=allelic,
        p_value=float(seg["p_value"]),
        loss_chrom=chrom,
        loss_start=loss_start,
        loss_end=loss_end,
        loss_length_bp=length,
        evidence=evidence,
    )


def _baseline_note(calls: CopyNumberCalls) -> str:
    """Which loci set the copy-neutral level, where control bins did not (a small panel)."""
    basis = str(calls.attrs.get("baseline", ""))
    if not basis or basis.endswith("control bins"):
        return ""
    return f"; copy-neutral level from {basis}"


def _refused_losses(calls: CopyNumberCalls, exons: pd.DataFrame) -> str:
    """Losses over the gene's exons refused for want of junction reads, as evidence text."""
    segs = calls.segments
    if "veto" not in segs.columns:
        return ""
    low, high = int(exons["start"].min()), int(exons["end"].max())
    refused = segs[(segs["veto"].fillna("") != "") & (segs["chrom"] == exons["chrom"].iat[0])]
    refused = refused[(refused["start"] <= high) & (refused["end"] >= low)]
    return "".join(
        f"; loss {row.chrom}:{int(row.start)}-{int(row.end)} (log2 {row.log2:.2f}) refused: "
        f"{row.veto}"
        for row in refused.itertuples(index=False)
    )


def _intronic_loss(calls: CopyNumberCalls, exons: pd.DataFrame) -> int | None:
    """Index of a deleted segment lying within the gene between exons, if any."""
    segs = calls.segments
    chrom = exons["chrom"].iat[0]
    first, last = int(exons["start"].min()), int(exons["end"].max())
    inside = (
        (segs["chrom"] == chrom)
        & segs["deleted"].astype(bool)
        & (segs["end"] >= first)
        & (segs["start"] <= last)
    )
    hits = np.nonzero(inside.to_numpy())[0]
    return int(hits[0]) if len(hits) else None
