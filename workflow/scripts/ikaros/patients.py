"""The patients table: each patient's DNA call joined with the RNA evidence of the tumour.

`ikzf1plus.patients_table` gives one row per patient from the DNA summaries (BAM, CNVkit or
SEG). `add_rna_evidence` integrates the RNA-only IKZF1 call of the patient's RNA-seq
(`rna.isoforms.integrate`): RNA confirms a DNA call, refines its exon boundaries from the
aberrant junction, or makes the call when there is no assessable DNA; every disagreement is
reported in `dna_rna_agreement` and `integration_note`, never hidden. The columns
`ikzf1_status`, `ikzf1_class` and `ikzf1_exons_deleted` are the integrated call; the DNA-only and
RNA-only calls stay beside it. When the integrated IKZF1 status differs from the DNA one,
IKZF1plus is re-derived from the DNA co-deletion states (an RNA-made call has no focality, so
the focal variant is undecided unless the co-deletions already rule IKZF1plus out).

`rna_pax5` and `rna_erg` list the exon-skipping junctions of PAX5 and ERG (internal deletions
seen in RNA). They are reported, not folded into the DNA co-deletion states or IKZF1plus: a
skipping junction says a deletion exists in some cells, not whether it is mono- or biallelic.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ikaros.dna.ikzf1 import deletion_class
from ikaros.dna.ikzf1plus import CODELETIONS, EXCLUSION, PATIENT_COLUMNS, ikzf1plus
from ikaros.karyotype.gene_losses import IKZF1_ALL_EXONS, describe, gene_losses
from ikaros.karyotype.usable import usable_karyotypes
from ikaros.rna.isoforms import RnaCall, integrate
from ikaros.rna.subtype_evidence import RNA_SUBTYPE_COLUMNS

RNA_COLUMNS = (
    "dna_ikzf1_status",
    "dna_ikzf1_class",
    "dna_ikzf1_exons_deleted",
    "rna_sample_id",
    "rna_ikzf1_status",
    "rna_ikzf1_class",
    "rna_ikzf1_exons_deleted",
    "rna_fraction",
    "dna_rna_agreement",
    "rna_evidence",
    "integration_note",
    "rna_pax5",
    "rna_erg",
)
# genes whose internal deletions RNA reports beside the IKZF1 call (not used for IKZF1plus)
RNA_REPORTED_GENES = ("PAX5", "ERG")
# from the karyotype step (ikaros.karyotype.cohort) and the variant step (ikaros.variants.cohort)
KARYOTYPE_COLUMNS = (
    "chromosome_count", "ploidy_class", "ploidy_evidence", "iamp21", "iamp21_evidence",
    "copy_number_changes", "karyotype_source", "allele_source",
)  # fmt: skip
VARIANT_COLUMNS = (
    "variant_annotation", "ikzf1_mutation", "ikzf1_n159y", "pax5_p80r", "zeb2_h1038r",
    "ras_mutation", "jak_stat_mutation", "tp53_mutation", "driver_variants",
)  # fmt: skip
RNA_TABLE_COLUMNS = (*PATIENT_COLUMNS, *RNA_COLUMNS)
PATIENTS_TABLE_COLUMNS = (
    *RNA_TABLE_COLUMNS, *KARYOTYPE_COLUMNS, "ploidy_source", *VARIANT_COLUMNS,
    *RNA_SUBTYPE_COLUMNS,
)  # fmt: skip


def _flag(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _karyotype_row(row: dict, karyotype: Mapping[str, str]) -> dict:
    """One DNA row with the gene losses of the tumour's karyotype added (see
    ``add_karyotype_losses``); the row itself when the karyotype takes none of the genes."""
    changes = karyotype.get("copy_number_changes", "")
    losses = gene_losses(changes)
    out = dict(row)
    added = []
    fraction = karyotype.get("karyotype_purity", "")
    lost_ikzf1 = losses.get("IKZF1", 0)
    if _centring_loss(row, karyotype, lost_ikzf1):
        out.update(
            ikzf1_status="wildtype", ikzf1_class="", ikzf1_exons_deleted="", ikzf1_focal="",
            ikzf1_fraction="", ikzf1_allelic="", ikzf1_loss="",
        )  # fmt: skip
        refused = (
            f"loss {row['ikzf1_loss']} refused: the karyotype ({karyotype['ploidy_class']}, "
            "SNP allele fractions) holds 7p at its normal copies, so an arm-long loss is the "
            "panel's copy-neutral level sitting on the gained chromosomes"
        )
        out["ikzf1_evidence"] = "; ".join(e for e in (row["ikzf1_evidence"], refused) if e)
        added.append("IKZF1 loss refused (7p at normal copies)")
    elif lost_ikzf1 and row["ikzf1_status"] in ("wildtype", "deleted"):
        exons = {int(e) for e in str(row["ikzf1_exons_deleted"]).split(",") if e.strip()}
        union = sorted(exons | set(IKZF1_ALL_EXONS))
        if union != sorted(exons):
            if row["ikzf1_status"] == "wildtype":
                out.update(
                    ikzf1_status="deleted", ikzf1_focal="false", ikzf1_fraction=fraction,
                    ikzf1_allelic="mono" if lost_ikzf1 == 1 else "bi",
                )  # fmt: skip
            out["ikzf1_class"] = deletion_class(union)
            out["ikzf1_exons_deleted"] = ",".join(str(e) for e in union)
            taken = f"karyotype {describe(changes, 'IKZF1')} in {fraction or 'the'} cells " + (
                f"takes exons 1-8 of {'one allele' if lost_ikzf1 == 1 else 'both alleles'}"
            )
            out["ikzf1_evidence"] = "; ".join(e for e in (row["ikzf1_evidence"], taken) if e)
            added.append(f"IKZF1 ({describe(changes, 'IKZF1')})")
    for gene in (*CODELETIONS, EXCLUSION):
        column = gene.lower()
        if losses.get(gene) and row[column] == "none":
            out[column] = "mono" if losses[gene] == 1 else "bi"
            added.append(f"{gene} ({describe(changes, gene)})")
    if not added:
        return out
    states = {g: out[g.lower()] or "not_assessable" for g in (*CODELETIONS, EXCLUSION)}
    focal = {"true": True, "false": False}.get(out["ikzf1_focal"])
    plus, plus_focal = ikzf1plus(out["ikzf1_status"], focal, states)
    out["ikzf1plus"], out["ikzf1plus_focal"] = _flag(plus), _flag(plus_focal)
    note = "from the karyotype: " + ", ".join(added)
    out["notes"] = "; ".join(n for n in (row["notes"], note) if n)
    return out


# An IKZF1 loss this long covers most of 7p (about 58 Mb in GRCh37 and GRCh38): a loss the
# karyotype's arm-level copies would show.
ARM_LONG_BP = 25_000_000
# Classes whose depth is centred on gained chromosomes (most chromosomes gained).
CENTRED_ON_GAINS = ("high_hyperdiploid", "near_triploid", "near_tetraploid")


def _centring_loss(row: dict, karyotype: Mapping[str, str], lost_ikzf1: int) -> bool:
    """Whether the row's IKZF1 call is an arm-long non-focal loss of a tumour centred on its
    gains whose karyotype holds 7p at its normal copies: the panel read the disomic chromosome 7
    against the trisomic majority."""
    if lost_ikzf1 or row["ikzf1_status"] != "deleted" or row["ikzf1_focal"] != "false":
        return False
    if karyotype.get("ploidy_class", "") not in CENTRED_ON_GAINS:
        return False
    extent = str(row.get("ikzf1_loss", "")).rpartition(":")[2]
    start, _, end = extent.partition("-")
    if not (start.isdigit() and end.isdigit()):
        return False
    return int(end) - int(start) + 1 >= ARM_LONG_BP


def add_karyotype_losses(dna_table: pd.DataFrame, karyotypes: pd.DataFrame | None) -> pd.DataFrame:
    """The DNA calls with the IKZF1plus genes that the tumours' chromosome and arm losses take
    (ikaros.karyotype.gene_losses), then IKZF1plus again.

    Only the karyotypes whose copies can be read (ikaros.karyotype.usable) are: a near-haploid
    clone and its doubling fit alike, and only the first has lost anything. A wildtype IKZF1
    becomes a non-focal whole-gene deletion at the karyotype's cell fraction; a deleted one
    keeps its own call with the exons 1-8 added; a co-deletion gene
    called ``none`` becomes ``mono`` (``bi`` for two copies lost). A gene the calls could not
    resolve stays so.
    The other way round, in a tumour centred on its gains (high hyperdiploid and above) whose
    karyotype holds 7p at its normal copies, an arm-long non-focal IKZF1 loss (ARM_LONG_BP or
    more) is the disomic chromosome 7 read against the trisomic majority, and is refused.
    """
    if karyotypes is None or karyotypes.empty:
        return dna_table
    by_sample = usable_karyotypes(karyotypes).fillna("").set_index("sample_id").to_dict("index")
    rows = [
        _karyotype_row(row, by_sample[row["sample_id"]]) if row["sample_id"] in by_sample else row
        for row in dna_table.fillna("").to_dict("records")
    ]
    return pd.DataFrame(rows, columns=list(dna_table.columns))


def _integrated_row(
    row: dict, rna: tuple[str, RnaCall] | None, other_genes: Mapping[str, str]
) -> dict:
    has_dna = row.get("dna_evidence", "") != ""
    dna_call = (
        {key: row[key] for key in ("ikzf1_status", "ikzf1_class", "ikzf1_exons_deleted")}
        if has_dna
        else None
    )
    rna_sample, rna_call = rna if rna is not None else ("", None)
    merged = integrate(dna_call, rna_call)
    out = dict(row)
    out.update(
        dna_ikzf1_status=row["ikzf1_status"] if has_dna else "",
        dna_ikzf1_class=row["ikzf1_class"] if has_dna else "",
        dna_ikzf1_exons_deleted=row["ikzf1_exons_deleted"] if has_dna else "",
        rna_sample_id=rna_sample,
        rna_ikzf1_status=rna_call.rna_status if rna_call else "",
        rna_ikzf1_class=rna_call.rna_class if rna_call else "",
        rna_ikzf1_exons_deleted=rna_call.rna_exons_deleted if rna_call else "",
        rna_fraction=(
            f"{rna_call.rna_fraction:.3f}"
            if rna_call is not None and rna_call.rna_fraction is not None
            else ""
        ),
        dna_rna_agreement=merged.dna_rna_agreement,
        rna_evidence=merged.rna_evidence,
        integration_note=merged.integration_note,
        **{f"rna_{gene.lower()}": other_genes.get(gene, "") for gene in RNA_REPORTED_GENES},
        ikzf1_status=merged.ikzf1_status,
        ikzf1_class=merged.ikzf1_class,
        ikzf1_exons_deleted=merged.ikzf1_exons_deleted,
    )
    if not has_dna and rna_call is not None:
        out["sample_id"] = out["sample_id"] or rna_sample
        out["notes"] = "; ".join(n for n in (out["notes"], "RNA only") if n and n != "no DNA data")
    if merged.ikzf1_status != row["ikzf1_status"]:
        # the call now rests on RNA: no DNA extent, focality or cell fraction
        for key in ("ikzf1_focal", "ikzf1_fraction", "ikzf1_allelic", "ikzf1_loss"):
            out[key] = ""
        states = {
            gene: (row[gene.lower()] or "not_assessable") if has_dna else "not_assessable"
            for gene in (*CODELETIONS, EXCLUSION)
        }
        plus, plus_focal = ikzf1plus(merged.ikzf1_status, None, states)
        out["ikzf1plus"], out["ikzf1plus_focal"] = _flag(plus), _flag(plus_focal)
    return out


def add_rna_evidence(
    dna_table: pd.DataFrame,
    rna_calls: Mapping[str, tuple[str, RnaCall]],
    rna_genes: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """The patients table with the RNA evidence integrated (RNA_TABLE_COLUMNS).

    `dna_table` is `ikzf1plus.patients_table` output (text cells, every patient of the cohort);
    `rna_calls` maps patient_id -> (RNA sample_id, its RNA-only call); `rna_genes` maps
    patient_id -> {gene: exon-skipping evidence text} for RNA_REPORTED_GENES. Patients without
    RNA keep their DNA call, with `dna_rna_agreement` dna_only and the note "no RNA".
    """
    rna_genes = rna_genes or {}
    unknown = sorted(set(rna_calls) - set(dna_table["patient_id"]))
    if unknown:
        raise ValueError(
            f"RNA calls of patient(s) {', '.join(unknown[:5])} who are not in the patients table"
        )
    rows = [
        _integrated_row(row, rna_calls.get(row["patient_id"]), rna_genes.get(row["patient_id"], {}))
        for row in dna_table.fillna("").to_dict("records")
    ]
    return pd.DataFrame(rows, columns=list(RNA_TABLE_COLUMNS))


def add_tumour_tables(
    table: pd.DataFrame,
    karyotypes: pd.DataFrame | None,
    flags: pd.DataFrame | None,
    rna_subtype: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The patients table with each patient's karyotype, driver-variant and RNA subtype-evidence
    columns (empty for a patient the step did not reach: no segments, no VCF, no RNA)."""
    out = table.copy()
    extras = (
        (karyotypes, KARYOTYPE_COLUMNS), (flags, VARIANT_COLUMNS),
        (rna_subtype, RNA_SUBTYPE_COLUMNS),
    )  # fmt: skip
    for extra, columns in extras:
        if extra is None or extra.empty:
            for column in columns:
                out[column] = ""
            continue
        unknown = sorted(set(extra["patient_id"]) - set(out["patient_id"]))
        if unknown:
            raise ValueError(
                f"rows of patient(s) {', '.join(unknown[:5])} not in the patients table"
            )
        by_patient = extra.set_index("patient_id")
        for column in columns:
            out[column] = out["patient_id"].map(by_patient[column]).fillna("")
    return with_ploidy_source(out)[list(PATIENTS_TABLE_COLUMNS)]


def with_ploidy_source(table: pd.DataFrame) -> pd.DataFrame:
    """`ploidy_source`: dna, rna, or both with agreement; where the genome gives no class (no
    segments, or undetermined) and expression does, `ploidy_class` and `chromosome_count` are
    the RNA ones (and `allele_source` the RNA VCF's, if any)."""
    out = table.copy()
    sources = []
    for i, row in out.iterrows():
        dna, rna = row["ploidy_class"], row["rna_ploidy_class"]
        dna_known = dna not in ("", "undetermined")
        rna_known = rna not in ("", "undetermined")
        if dna_known and rna_known:
            sources.append(
                "both, agree" if dna == rna else f"both, disagree (dna {dna}, rna {rna})"
            )
        elif dna_known:
            sources.append("dna")
        elif rna_known:
            out.at[i, "ploidy_class"] = rna
            out.at[i, "chromosome_count"] = row["rna_chromosome_count"]
            out.at[i, "ploidy_evidence"] = f"from expression: {row['rna_ploidy_evidence']}"
            out.at[i, "allele_source"] = row.get("rna_allele_source", "")
            sources.append("rna")
        else:
            sources.append("")
    out["ploidy_source"] = sources
    return out
