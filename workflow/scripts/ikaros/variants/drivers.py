"""Driver sequence variants of a tumour: the VCF's records in the driver genes, annotated.

The genes, their pathway and their defining protein changes are `resources/driver_genes.tsv`;
their spans and coding intervals per build `resources/gene_spans_<build>.tsv`. Only records
inside a driver gene's span are read (through the VCF index). A record is reported when

- annotated (VEP/SnpEff): its chosen consequence for the driver gene changes the protein;
- unannotated: it lies in a coding interval of the gene or within 2 bp of one (the splice
  site), reported with consequence ``coding_unannotated`` and no protein change.

Each row carries the VAF and depth of the tumour sample, the FILTER status and the defining
change it matches (``hotspot``). A variant *counts* for the per-patient flags when it passes
FILTER, reaches ``min_depth``, ``min_alt_reads`` and ``min_vaf``, and is annotated: without
annotation a germline polymorphism cannot be told from a driver, so the flags stay empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.genome import PRIMARY_CHROMOSOMES
from ikaros.variants.consequences import gene_consequences
from ikaros.variants.vcf import VcfInfo, allele_depths, passed_filters, read_records

DRIVER_COLUMNS = ("gene", "pathway", "defining", "source")
VARIANT_COLUMNS = (
    "sample_id", "gene", "pathway", "chrom", "pos", "ref", "alt", "consequence",
    "protein_change", "hgvsc", "transcript", "hotspot", "vaf", "depth", "alt_reads", "filter",
    "counts", "annotation",
)  # fmt: skip
SPLICE_MARGIN = 2
# per-patient flags: name -> (gene or pathway, defining change or "" for any counted variant)
FLAGS = {
    "ikzf1_n159y": ("IKZF1", "N159Y"),
    "pax5_p80r": ("PAX5", "P80R"),
    "zeb2_h1038r": ("ZEB2", "H1038R"),
    "ras_mutation": ("ras", ""),
    "jak_stat_mutation": ("jak_stat", ""),
    "tp53_mutation": ("TP53", ""),
}
_CHANGE = re.compile(r"^p\.([A-Z*])(\d+)([A-Z*]|fs|del|ins|dup|_|=)?")


@dataclass(frozen=True)
class VariantSettings:
    min_vaf: float = 0.05
    min_depth: int = 10
    min_alt_reads: int = 3

    @classmethod
    def from_config(cls, settings: dict | None) -> VariantSettings:
        settings = settings or {}
        return cls(
            **{k: settings[k] for k in ("min_vaf", "min_depth", "min_alt_reads") if k in settings}
        )


def read_driver_genes(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", comment="#", dtype=str, keep_default_na=False)
    missing = [c for c in DRIVER_COLUMNS if c not in table.columns]
    if missing or table["gene"].duplicated().any():
        raise ValueError(f"{path}: needs columns {', '.join(DRIVER_COLUMNS)} and one row per gene")
    return table


def hotspot_of(gene: str, protein_change: str, truncating: bool, defining: str) -> str:
    """The defining change of the gene this variant matches: ``N159Y``, ``R683``, ``truncating``."""
    match = _CHANGE.match(protein_change)
    for token in (t for t in defining.split(";") if t):
        if token == "truncating":
            if truncating:
                return token
        elif match is not None:
            ref_aa, codon, alt_aa = match.group(1), match.group(2), match.group(3) or ""
            if token == f"{ref_aa}{codon}{alt_aa}" or token == f"{ref_aa}{codon}":
                return token
    return ""


def _in_coding(spans: pd.DataFrame, gene: str, chrom: str, pos: int) -> bool:
    cds = spans[(spans["gene"] == gene) & (spans["kind"] == "cds") & (spans["chrom"] == chrom)]
    return bool(((cds["start"] - SPLICE_MARGIN <= pos) & (pos <= cds["end"] + SPLICE_MARGIN)).any())


def driver_variants(
    info: VcfInfo,
    sample_id: str,
    drivers: pd.DataFrame,
    spans: pd.DataFrame,
    settings: VariantSettings = VariantSettings(),
) -> pd.DataFrame:
    """One row per reported variant (VARIANT_COLUMNS), in genome order."""
    gene_spans = spans[spans["kind"] == "gene"].merge(drivers, on="gene")
    regions = [(r.chrom, int(r.start), int(r.end)) for r in gene_spans.itertuples(index=False)]
    records = read_records(info, regions)
    rows = []
    if records:
        ref_depth, alt_depth = allele_depths(info, records)
        passing = passed_filters(info, records)
        annotations = records.get(f"variants/{info.annotation}") if info.annotation else None
        for i, (chrom, pos) in enumerate(
            zip(records["variants/CHROM"], records["variants/POS"], strict=True)
        ):
            ref, alt = str(records["variants/REF"][i]), str(records["variants/ALT"][i])
            if not alt or alt in (".", "*", "<NON_REF>"):
                continue
            values = (
                [str(v) for v in np.atleast_1d(annotations[i]) if v]
                if annotations is not None
                else []
            )
            consequences = (
                gene_consequences(values, info.annotation_format, info.annotation, alt)
                if info.annotation
                else {}
            )
            here = gene_spans[
                (gene_spans["chrom"] == chrom)
                & (gene_spans["start"] <= pos)
                & (pos <= gene_spans["end"])
            ]
            depth = int(ref_depth[i] + alt_depth[i]) if ref_depth[i] >= 0 else -1
            vaf = alt_depth[i] / depth if depth > 0 else float("nan")
            passed = bool(passing[i])
            for gene_row in here.itertuples(index=False):
                gene = gene_row.gene
                if info.annotation:
                    consequence = consequences.get(gene)
                    if consequence is None or not consequence.changes_protein:
                        continue
                    terms, change = consequence.consequence, consequence.protein_change
                    hgvsc, transcript = consequence.hgvsc, consequence.transcript
                    hotspot = hotspot_of(gene, change, consequence.truncating, gene_row.defining)
                else:
                    if not _in_coding(spans, gene, chrom, int(pos)):
                        continue
                    terms, change, hgvsc, transcript, hotspot = "coding_unannotated", "", "", "", ""
                counts = (
                    bool(info.annotation)
                    and passed
                    and depth >= settings.min_depth
                    and alt_depth[i] >= settings.min_alt_reads
                    and vaf >= settings.min_vaf
                )
                rows.append(
                    dict(
                        sample_id=sample_id, gene=gene, pathway=gene_row.pathway, chrom=chrom,
                        pos=int(pos), ref=ref, alt=alt, consequence=terms, protein_change=change,
                        hgvsc=hgvsc, transcript=transcript, hotspot=hotspot,
                        vaf=round(float(vaf), 4) if depth > 0 else np.nan,
                        depth=depth if depth >= 0 else np.nan,
                        alt_reads=int(alt_depth[i]) if alt_depth[i] >= 0 else np.nan,
                        filter="PASS" if passed else "not_pass",
                        counts="true" if counts else "false",
                        annotation={"CSQ": "vep", "ANN": "snpeff"}.get(info.annotation, "none"),
                    )
                )  # fmt: skip
    order = {c: k for k, c in enumerate(PRIMARY_CHROMOSOMES)}
    table = pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))
    table = table.sort_values(
        ["chrom", "pos"], key=lambda s: s.map(order) if s.name == "chrom" else s
    )
    return table.reset_index(drop=True).astype({"depth": "Int64", "alt_reads": "Int64"})


def patient_flags(variants: pd.DataFrame, annotated: bool) -> dict[str, str]:
    """One tumour's per-patient columns; all empty when the VCF is unannotated.

    ``ikzf1_mutation``: the counted IKZF1 protein changes (``p.N159Y``), or ``none`` (the
    relapse analysis reads any other text as an IKZF1 alteration); FLAGS: true/false;
    ``driver_variants``: every counted variant with its VAF.
    """
    counted = variants[variants["counts"] == "true"]
    ikzf1 = counted[counted["gene"] == "IKZF1"]
    flags = {
        "ikzf1_mutation": (
            "; ".join(r.protein_change or r.consequence for r in ikzf1.itertuples(index=False))
            or "none"
        )
        if annotated
        else ""
    }
    for name, (target, change) in FLAGS.items():
        if not annotated:
            flags[name] = ""
            continue
        mine = counted[(counted["gene"] == target) | (counted["pathway"] == target)]
        if change:
            mine = mine[mine["hotspot"] == change]
        flags[name] = "true" if len(mine) else "false"
    flags["driver_variants"] = "; ".join(
        f"{r.gene} {r.protein_change or r.hgvsc or f'{r.chrom}:{r.pos}{r.ref}>{r.alt}'}"
        f" (VAF {r.vaf:.2f})"
        for r in counted.itertuples(index=False)
    )
    return flags
