"""Settings of the cohort simulator: one dataclass, its defaults, checked loading from config."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ikaros.outcome_simulation import OutcomeModel


@dataclass(frozen=True)
class SimulationSettings:
    """Everything that shapes a simulated cohort; the config's `simulate:` block maps onto it."""

    seed: int = 20261124
    # cohort design
    patients: int = 120
    panel_normals: int = 10
    matched_normals: int = 10
    unknown_sex_fraction: float = 0.3  # samples whose sheet leaves sex empty (to be inferred)
    ikzf1_rate: float = 0.25  # patients with an IKZF1 lesion (B-ALL enriched)
    subclonal_rate: float = 0.2  # lesions present in only part of the blasts
    focal_max_bp: int = 5_000_000  # an IKZF1 loss shorter than this (not arm-level) is focal
    # sequencing
    depth: float = 30.0  # mean read-base depth over exon and intron bins
    offtarget_fraction: float = 0.15  # flank/backbone/control depth relative to `depth` (1: WGS)
    read_length: int = 150
    fragment_mean: float = 300.0
    fragment_sd: float = 50.0
    capture_sd: float = 0.35  # lognormal sd of per-bin capture efficiency (shared by samples)
    dispersion: float = 0.03  # gamma-Poisson overdispersion of per-bin counts (per sample)
    library_spread: float = 0.3  # per-sample total depth varies uniformly within +-this
    bias_sd: float = 0.15  # sd of the per-sample slope on the shared GC-like bin covariate
    background_fragments: int = 60000  # genome-wide fragments over all primary contigs (about
    # 20 per Mb: enough for the 1 Mb genome bins that give the karyotype)
    low_mapq_fraction: float = 0.02
    duplicate_fraction: float = 0.03
    secondary_fraction: float = 0.005
    supplementary_fraction: float = 0.005
    qcfail_fraction: float = 0.005
    # what the aligner leaves, as in real BAMs: a local aligner (BWA-MEM) soft-clips some
    # reads anywhere (adapters, low-quality ends) and every library has chimeric pairs whose
    # mates align to another chromosome. split_reads false: an end-to-end aligner (no soft
    # clip at all; a read across a deletion's junction is aligned whole, mismatching). Without
    # improper_pairs the BAM was filtered to proper pairs (`samtools view -f 2`). With
    # supplementary_alignments a split read's clipped part is aligned too, as BWA-MEM does
    # when it holds a seed (reads.SUPPLEMENTARY_MIN_BASES): a hard-clipped supplementary
    # record across the junction, both records naming each other in an SA tag.
    soft_clip_fraction: float = 0.01
    chimeric_fraction: float = 0.002
    split_reads: bool = True
    improper_pairs: bool = True
    supplementary_alignments: bool = True
    # transcriptome: share of patients with an RNA-seq BAM of their tumour, the share of those
    # without genome data (RNA only), and the RNA library size (fragments per TPM-like unit
    # and kilobase of transcript; 15 is about a 30 M fragment library)
    rna_fraction: float = 0.0
    rna_only_fraction: float = 0.0
    rna_fragments_per_tpm_kb: float = 15.0
    # chance that an RNA tumour of a fusion-defined subtype (ETV6::RUNX1, TCF3::PBX1, KMT2A,
    # BCR::ABL1, Ph-like) carries its fusion in the RNA (ikaros.simulate.fusions; a PAR1
    # deletion always makes P2RY8::CRLF2)
    fusion_rate: float = 0.0
    # the RNA tumours also get a genome-wide gene-count table (HTSeq-count format, the marker
    # genes of their fusion's subtype raised; ikaros.simulate.expression), as a laboratory's own
    # quantification beside the BAM
    rna_counts: bool = False
    # share of the DNA tumours with a VCF (germline SNPs and driver variants, VEP-annotated;
    # ikaros.simulate.variants), drawn from a stream of their own
    vcf_fraction: float = 0.0
    # outcomes: the competing-risks model with true subdistribution hazard ratios; the
    # config's `outcomes:` block maps onto ikaros.outcome_simulation.OutcomeModel
    outcomes: OutcomeModel = field(default_factory=OutcomeModel)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> SimulationSettings:
        """Settings from a config mapping; unknown keys and wrong types are errors."""
        config = dict(config or {})
        outcomes = OutcomeModel.from_config(config.pop("outcomes", None))
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "outcomes"}
        unknown = sorted(set(config) - set(fields))
        if unknown:
            raise ValueError(
                f"simulate settings: unknown key(s) {', '.join(map(repr, unknown))}; "
                f"known keys are {', '.join(fields)}"
            )
        values = {}
        for name, value in config.items():
            default = getattr(cls, name)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(
                        f"simulate settings: key {name!r} must be true or false, got {value!r}"
                    )
                values[name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"simulate settings: key {name!r} must be a number, got {value!r}")
            if isinstance(default, int) and not float(value).is_integer():
                raise ValueError(
                    f"simulate settings: key {name!r} must be an integer, got {value!r}"
                )
            values[name] = int(value) if isinstance(default, int) else float(value)
        settings = cls(**values, outcomes=outcomes)
        settings.check()
        return settings

    def check(self) -> None:
        """Range checks that keep the model meaningful."""
        problems = []
        for name in ("patients", "read_length", "focal_max_bp"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        for name in ("panel_normals", "matched_normals", "background_fragments"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if self.patients > 9999 or self.panel_normals > 99:
            problems.append("at most 9999 patients and 99 panel normals (sample ID widths)")
        if self.matched_normals > self.patients:
            problems.append("matched_normals cannot exceed patients")
        for name in (
            "unknown_sex_fraction", "ikzf1_rate", "subclonal_rate", "low_mapq_fraction",
            "duplicate_fraction", "secondary_fraction", "supplementary_fraction",
            "qcfail_fraction", "rna_fraction", "rna_only_fraction", "fusion_rate",
            "soft_clip_fraction", "chimeric_fraction",
        ):  # fmt: skip
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must be within 0-1")
        if not 0 <= self.library_spread < 1:
            problems.append("library_spread must be within 0 and 1 (exclusive)")
        if self.depth <= 0 or self.offtarget_fraction < 0:
            problems.append("depth must be positive and offtarget_fraction not negative")
        for name in ("capture_sd", "dispersion", "bias_sd", "fragment_sd"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if self.rna_fragments_per_tpm_kb <= 0:
            problems.append("rna_fragments_per_tpm_kb must be positive")
        if self.fragment_mean < self.read_length:
            problems.append("fragment_mean must be at least read_length")
        if problems:
            raise ValueError("simulate settings: " + "; ".join(problems))
