"""Genome builds: primary contig lengths, chromosome naming, and build checks of BAM/CRAM headers.

Contig lengths are those of the primary assembly (GRCh37 / GRCh38, as in the UCSC hg19/hg38
chrom.sizes and the Ensembl/GENCODE primary assemblies). They identify the build of a BAM header:
chromosome 7 alone differs between the two builds (159,138,663 vs 159,345,973 bp).
"""

from __future__ import annotations

from collections.abc import Mapping

BUILDS = ("GRCh37", "GRCh38")

PRIMARY_CHROMOSOMES = tuple([f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"])

CONTIG_LENGTHS: dict[str, dict[str, int]] = {
    "GRCh37": {
        "chr1": 249250621, "chr2": 243199373, "chr3": 198022430, "chr4": 191154276,
        "chr5": 180915260, "chr6": 171115067, "chr7": 159138663, "chr8": 146364022,
        "chr9": 141213431, "chr10": 135534747, "chr11": 135006516, "chr12": 133851895,
        "chr13": 115169878, "chr14": 107349540, "chr15": 102531392, "chr16": 90354753,
        "chr17": 81195210, "chr18": 78077248, "chr19": 59128983, "chr20": 63025520,
        "chr21": 48129895, "chr22": 51304566, "chrX": 155270560, "chrY": 59373566,
    },
    "GRCh38": {
        "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
        "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
        "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
        "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
        "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
        "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415,
    },
}  # fmt: skip


class BuildMismatchError(ValueError):
    """A BAM/CRAM header does not match the configured genome build."""


def check_build(build: str) -> str:
    if build not in BUILDS:
        raise ValueError(f"unknown genome build {build!r}; expected one of {', '.join(BUILDS)}")
    return build


def contig_lengths(build: str) -> dict[str, int]:
    """Primary contig lengths of a build, `chr`-prefixed names, in karyotype order."""
    return dict(CONTIG_LENGTHS[check_build(build)])


def canonical_name(contig: str) -> str:
    """`7`, `chr7`, `MT`, `chrM` -> `chr7`, `chrM`: the project's internal naming."""
    name = contig[3:] if contig.startswith("chr") else contig
    return "chrM" if name in ("M", "MT") else f"chr{name}"


def detect_chr_prefix(header_lengths: Mapping[str, int]) -> bool:
    """True when the header names chromosome 7 `chr7`, False when `7`.

    Raises when neither is present: every panel needs chromosome 7.
    """
    if "chr7" in header_lengths:
        return True
    if "7" in header_lengths:
        return False
    raise BuildMismatchError(
        "header has no chromosome 7 (neither 'chr7' nor '7'); contigs seen: "
        + ", ".join(list(header_lengths)[:10])
    )


def header_contig(internal: str, chr_prefix: bool) -> str:
    """Internal `chr7` -> the name the BAM header uses (`chr7` or `7`)."""
    if chr_prefix:
        return internal
    bare = internal[3:]
    return "MT" if bare == "M" else bare


def verify_header_build(header_lengths: Mapping[str, int], build: str, source: str) -> bool:
    """Check a header's primary contig lengths against `build`; return its chr-prefix flag.

    `source` names the file in the error. Contigs absent from the header are tolerated
    (targeted references may omit chrY), but a present primary contig must have the
    build's length, and at least chromosome 7 must be present.
    """
    expected = contig_lengths(build)
    chr_prefix = detect_chr_prefix(header_lengths)
    mismatched = []
    for internal, length in expected.items():
        name = header_contig(internal, chr_prefix)
        if name in header_lengths and header_lengths[name] != length:
            mismatched.append(f"{name} is {header_lengths[name]:,} bp, {build} has {length:,} bp")
    if mismatched:
        other = [b for b in BUILDS if b != build]
        hint = ""
        for candidate in other:
            cand = contig_lengths(candidate)
            name7 = header_contig("chr7", chr_prefix)
            if header_lengths.get(name7) == cand["chr7"]:
                hint = f"; the header looks like {candidate}: set the cohort's build to {candidate}"
        raise BuildMismatchError(
            f"{source}: contig lengths do not match genome build {build} ("
            + "; ".join(mismatched[:3])
            + (f"; and {len(mismatched) - 3} more" if len(mismatched) > 3 else "")
            + f"){hint}"
        )
    return chr_prefix
