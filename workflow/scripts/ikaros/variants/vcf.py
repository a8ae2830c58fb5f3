"""A tumour's VCF or BCF: checks before any job, region reads with scikit-allel, allele depths.

Files are bgzipped VCF (``.vcf.gz``, ``.tbi`` or ``.csi`` index) or BCF (``.bcf``, ``.csi``),
from GATK, bcftools, DeepVariant, Strelka, Mutect2 or freebayes, with one sample or a
tumour/normal pair. Records of the regions asked for are fetched through the index by pysam
and parsed by ``allel.read_vcf``; a whole-file read of a ``.vcf.gz`` goes to allel directly.

Which sample is the tumour: the sheet's ``vcf_sample`` when given; else the only sample; else
the one named as the sheet's ``sample_id`` or ``patient_id``; else Strelka's ``TUMOR``.

Allele depths, first ALT allele, in this order of preference: FORMAT ``AD`` (GATK, DeepVariant,
Mutect2, bcftools -a AD, Strelka germline); FORMAT ``RO``/``AO`` (freebayes); Strelka somatic
tier-1 counts (``AU CU GU TU`` for SNVs, ``TAR``/``TIR`` for indels); INFO ``DP4`` (bcftools;
single-sample files only, since it sums over samples).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import allel
import numpy as np
import pysam

from ikaros.genome import canonical_name, contig_lengths, header_contig

BASES = "ACGT"
STRELKA_TUMOUR = "TUMOR"


class VcfError(ValueError):
    """A VCF cannot be used as given; the message names the file and what to do."""


@dataclass(frozen=True)
class VcfInfo:
    """What the header says: the tumour's sample, how depths are read, the annotation field."""

    path: str
    sample: str
    samples: tuple[str, ...]
    depth_source: str  # AD, RO/AO, strelka, DP4
    annotation: str  # CSQ (VEP), ANN (SnpEff) or "" (none)
    annotation_format: tuple[str, ...]
    chr_prefix: bool
    filters: tuple[str, ...] = ()  # FILTER IDs the header declares, besides PASS


def index_of(path: Path) -> Path | None:
    for suffix in (".tbi", ".csi"):
        candidate = Path(f"{path}{suffix}")
        if candidate.is_file():
            return candidate
    return None


def _open(path: Path) -> pysam.VariantFile:
    try:
        return pysam.VariantFile(str(path))
    except (OSError, ValueError) as error:
        raise VcfError(f"{path}: not a readable VCF/BCF ({error})") from None


def _annotation(header: pysam.VariantHeader) -> tuple[str, tuple[str, ...]]:
    """The consequence field and its sub-field names, from the INFO description."""
    for key in ("CSQ", "ANN"):
        if key in header.info:
            description = header.info[key].description or ""
            text = description.split("Format:", 1)[1] if "Format:" in description else description
            text = text.split("'")[1] if text.count("'") >= 2 else text
            names = tuple(part.strip() for part in text.strip().strip('"').split("|"))
            if len(names) > 3:
                return key, names
    return "", ()


def choose_sample(
    samples: tuple[str, ...], path: Path, sample_id: str, patient_id: str, named: str = ""
) -> str:
    listed = ", ".join(samples) or "none"
    if named:
        if named not in samples:
            raise VcfError(
                f"{path}: sample {sample_id}: vcf_sample {named!r} is not in the VCF "
                f"(its samples: {listed})"
            )
        return named
    if len(samples) == 1:
        return samples[0]
    for candidate in (sample_id, patient_id, STRELKA_TUMOUR):
        if candidate and candidate in samples:
            return candidate
    raise VcfError(
        f"{path}: sample {sample_id}: the VCF has samples {listed} and none is named "
        f"{sample_id}{' or ' + patient_id if patient_id else ''}; give the tumour's name in "
        "the samples sheet column vcf_sample"
    )


def _depth_source(header: pysam.VariantHeader, n_samples: int) -> str | None:
    formats = set(header.formats)
    if "AD" in formats:
        return "AD"
    if {"RO", "AO"} <= formats:
        return "RO/AO"
    if {"AU", "CU", "GU", "TU"} <= formats:
        return "strelka"
    if "DP4" in header.info and n_samples == 1:
        return "DP4"
    return None


def inspect_vcf(
    path: str | Path, build: str, sample_id: str, patient_id: str = "", named: str = ""
) -> VcfInfo:
    """Check a VCF before any job runs: index, build, depth fields, the tumour sample."""
    path = Path(path)
    if not path.is_file():
        raise VcfError(f"{path}: VCF file not found (sample {sample_id})")
    if not (path.name.endswith(".vcf.gz") or path.name.endswith(".bcf")):
        raise VcfError(
            f"{path}: sample {sample_id}: expected a bgzipped .vcf.gz or a .bcf "
            "(compress with `bgzip`, index with `tabix -p vcf` or `bcftools index`)"
        )
    if index_of(path) is None:
        raise VcfError(
            f"{path}: sample {sample_id}: no index ({path.name}.tbi or {path.name}.csi); "
            f"run `tabix -p vcf {path}` or `bcftools index {path}`"
        )
    with _open(path) as vcf:
        header = vcf.header
        samples = tuple(header.samples)
        lengths = {name: header.contigs[name].length for name in header.contigs}
        filters = tuple(f for f in header.filters if f != "PASS")
    if not samples:
        raise VcfError(f"{path}: sample {sample_id}: the VCF has no sample columns")
    sample = choose_sample(samples, path, sample_id, patient_id, named)
    known = contig_lengths(build)
    named_contigs = {canonical_name(c): n for c, n in lengths.items() if n}
    shared = [c for c in known if c in named_contigs]
    if not shared and lengths:
        raise VcfError(
            f"{path}: sample {sample_id}: none of the VCF's contigs "
            f"({', '.join(list(lengths)[:5])} ...) is a chromosome 1-22, X or Y"
        )
    wrong = [c for c in shared if named_contigs[c] != known[c]]
    if wrong:
        chrom = wrong[0]
        raise VcfError(
            f"{path}: sample {sample_id}: contig {chrom} is {named_contigs[chrom]:,} bp in the "
            f"VCF header but {known[chrom]:,} bp in {build}; the VCF is of another build "
            "than the cohort's `build`"
        )
    depth = _depth_source(header, len(samples))
    if depth is None:
        raise VcfError(
            f"{path}: sample {sample_id}: no allele depths: expected FORMAT AD, FORMAT RO and "
            "AO, Strelka's AU/CU/GU/TU, or (single-sample) INFO DP4"
        )
    annotation, names = _annotation(header)
    prefix = any(c.startswith("chr") for c in lengths) if lengths else True
    return VcfInfo(str(path), sample, samples, depth, annotation, names, prefix, filters)


def _fields(info: VcfInfo) -> list[str]:
    fields = ["variants/CHROM", "variants/POS", "variants/REF", "variants/ALT"]
    fields += ["variants/FILTER_PASS", "calldata/GT"]
    fields += [f"variants/FILTER_{name}" for name in info.filters]
    fields += {
        "AD": ["calldata/AD"],
        "RO/AO": ["calldata/RO", "calldata/AO"],
        "strelka": [f"calldata/{b}U" for b in BASES] + ["calldata/TAR", "calldata/TIR"],
        "DP4": ["variants/DP4"],
    }[info.depth_source]
    if info.annotation:
        fields.append(f"variants/{info.annotation}")
    return fields


# Up to this many transcript annotations per record are kept (VEP and SnpEff list one per
# transcript and allele; allel needs a fixed number).
MAX_ANNOTATIONS = 64


def read_records(
    info: VcfInfo, regions: list[tuple[str, int, int]] | None = None
) -> dict[str, np.ndarray]:
    """allel's arrays for the tumour sample: whole file, or the records in `regions`.

    `regions` are (chrom, start, end), 1-based inclusive, chr-prefixed; the records come
    through the index. Chromosome names come back chr-prefixed whatever the file uses.
    """
    options = dict(
        fields=_fields(info),
        samples=[info.sample],
        alt_number=1,
        numbers={info.annotation: MAX_ANNOTATIONS} if info.annotation else None,
    )
    if regions is None and info.path.endswith(".vcf.gz"):
        source = info.path
    else:
        source = io.BytesIO(_fetched_text(info, regions))
    records = allel.read_vcf(source, **options)
    if records is None:  # no records at all
        return {}
    records["variants/CHROM"] = np.array(
        [canonical_name(c) for c in records["variants/CHROM"]], dtype=object
    )
    return records


def _fetched_text(info: VcfInfo, regions) -> bytes:
    with _open(Path(info.path)) as vcf:
        parts = [str(vcf.header)]
        contigs = set(vcf.header.contigs)
        if regions is None:
            parts.extend(str(record) for record in vcf)
        else:
            for chrom, start, end in regions:
                name = header_contig(chrom, info.chr_prefix)
                if name in contigs:
                    parts.extend(str(record) for record in vcf.fetch(name, start - 1, end))
    return "".join(parts).encode()


def passed_filters(info: VcfInfo, records: dict[str, np.ndarray]) -> np.ndarray:
    """PASS, or no filter set at all (FILTER ".", as bcftools and freebayes leave it)."""
    failed = np.zeros(len(records["variants/POS"]), dtype=bool)
    for name in info.filters:
        failed |= records[f"variants/FILTER_{name}"].astype(bool)
    return records["variants/FILTER_PASS"].astype(bool) | ~failed


def allele_depths(info: VcfInfo, records: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(reference depth, first-ALT depth) per record for the tumour; -1 where unknown."""
    n = len(records.get("variants/POS", []))
    if n == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    if info.depth_source == "AD":
        ad = records["calldata/AD"][:, 0, :]
        return ad[:, 0].astype(int), ad[:, 1].astype(int)
    if info.depth_source == "RO/AO":
        return (
            records["calldata/RO"][:, 0].astype(int),
            np.asarray(records["calldata/AO"]).reshape(n, -1)[:, 0].astype(int),
        )
    if info.depth_source == "DP4":
        dp4 = records["variants/DP4"].astype(int)
        unknown = (dp4 < 0).any(axis=1)
        ref, alt = dp4[:, 0] + dp4[:, 1], dp4[:, 2] + dp4[:, 3]
        return np.where(unknown, -1, ref), np.where(unknown, -1, alt)
    return _strelka_depths(records)


def _strelka_depths(records: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Tier-1 counts: the REF and ALT bases' ``*U`` for SNVs, TAR/TIR for indels."""
    n = len(records["variants/POS"])
    ref = np.full(n, -1)
    alt = np.full(n, -1)
    counts = {b: np.asarray(records[f"calldata/{b}U"]).reshape(n, -1) for b in BASES}
    tar = np.asarray(records["calldata/TAR"]).reshape(n, -1)
    tir = np.asarray(records["calldata/TIR"]).reshape(n, -1)
    for i, (r, a) in enumerate(zip(records["variants/REF"], records["variants/ALT"], strict=True)):
        if len(r) == 1 and len(a) == 1 and r in BASES and a in BASES:
            ref[i], alt[i] = counts[r][i, 0], counts[a][i, 0]
        elif tar[i, 0] >= 0:
            ref[i], alt[i] = tar[i, 0], tir[i, 0]
    return ref, alt
