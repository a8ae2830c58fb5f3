"""Benchmark: accuracy of ikaros' IKZF1 exon-level calls on simulated cohorts, with CNVkit beside.

Not a test. For each depth of a grid, simulates a fresh cohort (seed 9001 by default, a seed
the tests never use; the same seed at every depth, so every depth sees the same patients and
lesions and only the reads differ), then runs ikaros in-process as the workflow wires it:
coverage (ikaros.coverage) -> panel-of-normals reference (ikaros.reference) -> per-sample calls
(ikaros.sample_calls.call_cohort, whose summary.tsv rows are the patients table's rows).
Matched normals are switched off, so every tumour is called against the panel of normals.

Truth: the simulator's patient truth (ikzf1_status, ikzf1_class, ikzf1_exons_deleted, co-deletion
states, ikzf1plus, ikzf1plus_focal) and its lesions (an IKZF1 deletion is clonal when its
cell_fraction equals the blast fraction, subclonal when smaller).

Tables (TSV in --workdir, also printed):
  accuracy_by_class.tsv  depth x truth class (del4-7 del2-7 del2-8 del4-8 del1-8 other, and
                         wildtype) x blast band (<40, >=40) x clonality: n, exact (class and exon
                         set agree), sensitivity (any IKZF1 deletion called), specificity
                         (wildtype rows: no deletion called), exon sensitivity (truly deleted
                         exons called deleted), IKZF1plus / IKZF1plus-focal agreement,
                         co-deletion agreement per gene (state none/mono/bi equal).
  accuracy_by_depth.tsv  the same measures per depth over all patients.
  headline.tsv           the issue's headline numbers per depth.
  cnvkit_comparison.tsv  per depth with CNVkit and truth class: exon-level sensitivity,
                         exact class agreement and sensitivity of ikaros and CNVkit side by side.

CNVkit (optional): the same BAMs and the same bins (the panel's exon and intron bins as the
targets BED, every other bin as the antitargets BED), `coverage` per BAM, `reference` from the
panel normals (no FASTA, so no GC/repeat correction), `fix`, `segment -m hmm` (the default CBS
needs R's DNAcopy, absent here; `--cnvkit-method haar` is the other choice) and `call`. An IKZF1
exon is deleted when the segment covering its midpoint has log2 below --cnvkit-threshold
(default -0.2); the deleted exon set is classed with ikaros.ikzf1.deletion_class. The steps run
through CNVkit's own command-line parser (cnvlib.commands.parse_args) in one subprocess of the
interpreter that runs cnvkit.py, with a pool of --processes workers, so CNVkit's start-up cost
is paid once rather than once per step and sample.

Usage: python benchmarks/bench_ikzf1_accuracy.py [--seed 9001] [--depths 10,20,30,60]
       [--patients 150] [--panel-normals 10] [--processes 2] [--workdir benchmarks/out/accuracy]
       [--cnvkit PATH | --no-cnvkit] [--cnvkit-depths 20] [--cnvkit-method hmm]
       [--cnvkit-threshold -0.2]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from ikaros.annotation import read_gene_models  # noqa: E402
from ikaros.coverage import count_coverage, read_coverage, write_coverage  # noqa: E402
from ikaros.ikzf1 import deletion_class  # noqa: E402
from ikaros.panel import read_panel  # noqa: E402
from ikaros.reference import build_reference, stack_coverage, write_reference  # noqa: E402
from ikaros.sample_calls import SAMPLE_OUTPUTS, SampleJob, call_cohort  # noqa: E402
from ikaros.simulate import SimulationSettings, design_cohort, simulate_cohort_bams  # noqa: E402

log = logging.getLogger("bench_ikzf1_accuracy")

BUILD = "GRCh38"
CLASSES = ("del4-7", "del2-7", "del2-8", "del4-8", "del1-8", "other")
CODELETION_GENES = ("cdkn2a", "cdkn2b", "pax5", "par1", "erg")
# The workflow's copy_number block with the schema's defaults (config/schemas/config.schema.yaml).
CALL_SETTINGS = {"seed": 1, "focal_max_bp": 5_000_000}
SEED_UNUSED_BY_TESTS = 9001
CNVKIT_DEFAULT_PATHS = ("/tmp/cnvkit-venv/bin/cnvkit.py",)
CNVKIT_FALLBACK_LOG2 = -0.2


# --- simulation and ikaros ------------------------------------------------


def simulation_settings(seed: int, depth: float, patients: int, panel_normals: int):
    return SimulationSettings.from_config(
        {
            "seed": seed,
            "patients": patients,
            "panel_normals": panel_normals,
            "matched_normals": 0,
            "depth": depth,
            "ikzf1_rate": 0.5,
        }
    )


# The panel, set before the coverage pool forks so that workers share it.
_PANEL: dict = {}


def _count_one(job: tuple[str, str, str]) -> str:
    sample_id, bam, out = job
    write_coverage(count_coverage(bam, _PANEL["panel"], BUILD), out)
    return sample_id


def run_ikaros(design, settings, panel, cohort_dir: Path, processes: int) -> pd.DataFrame:
    """Simulate BAMs, count coverage, build the reference and call every tumour; return the
    summary rows (one per patient) and the stage timings in attrs."""
    timings = {}
    bam_dir = cohort_dir / "bams"
    bam_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    simulate_cohort_bams(design, panel, BUILD, settings, processes)
    timings["simulate_s"] = time.perf_counter() - started
    log.info("  simulated %d BAMs in %.1f s", len(design.samples), timings["simulate_s"])

    coverage_dir = cohort_dir / "coverage"
    coverage_dir.mkdir(exist_ok=True)
    samples = design.samples
    jobs = [
        (s, bam, str(coverage_dir / f"{s}.tsv"))
        for s, bam in zip(samples["sample_id"], samples["dna_bam"], strict=True)
    ]
    started = time.perf_counter()
    _PANEL["panel"] = panel
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        list(pool.imap_unordered(_count_one, jobs))
    timings["coverage_s"] = time.perf_counter() - started
    log.info("  counted coverage in %.1f s", timings["coverage_s"])

    started = time.perf_counter()
    normals = samples[(samples["role"] == "normal") & samples["patient_id"].isna()]
    normal_ids = list(normals["sample_id"])
    tables = {s: read_coverage(coverage_dir / f"{s}.tsv") for s in normal_ids}
    ref_panel, counts = stack_coverage(tables)
    males = [{"male": True, "female": False}.get(str(s)) for s in normals["sex"]]
    reference = build_reference(counts, ref_panel, normal_ids, "panel_of_normals", males=males)
    reference_path = cohort_dir / "reference.tsv"
    write_reference(reference, reference_path)

    tumours = samples[samples["role"] == "tumor"]
    call_jobs = []
    for record in tumours.itertuples(index=False):
        out_dir = cohort_dir / "copy_number" / record.sample_id
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = {"seg": "seg", "chart": "png"}
        call_jobs.append(
            SampleJob(
                sample_id=record.sample_id,
                patient_id=record.patient_id,
                coverage=str(coverage_dir / f"{record.sample_id}.tsv"),
                matched_normal=None,
                blast_percent=record.blast_percent,
                sex="" if pd.isna(record.sex) else record.sex,
                outputs={
                    name: str(out_dir / f"{name}.{suffix.get(name, 'tsv')}")
                    for name in SAMPLE_OUTPUTS
                },
            )
        )
    call_cohort(call_jobs, str(reference_path), dict(CALL_SETTINGS), processes)
    timings["call_s"] = time.perf_counter() - started
    log.info("  reference and %d tumour calls in %.1f s", len(call_jobs), timings["call_s"])
    summaries = pd.concat(
        [
            pd.read_csv(job.outputs["summary"], sep="\t", dtype=str, keep_default_na=False)
            for job in call_jobs
        ],
        ignore_index=True,
    )
    summaries.attrs["timings"] = timings
    return summaries


# --- truth ------------------------------------------------------------------


def truth_table(design) -> pd.DataFrame:
    """Patient truth with blast band and the clonality of the IKZF1 deletion."""
    truth = design.patient_truth.copy()
    for column in truth.columns:
        if column not in ("blast_percent", "ikzf1_fraction"):
            truth[column] = truth[column].fillna("").astype(str)
    lesions = design.lesions
    ikzf1 = lesions[(lesions["gene"] == "IKZF1") & (lesions["label"] != "IKZF1_intronic")]
    blast = truth.set_index("patient_id")["blast_percent"] / 100.0
    subclonal = {
        patient
        for patient, group in ikzf1.groupby("patient_id")
        if (group["cell_fraction"] < round(float(blast[patient]), 4) - 1e-9).any()
    }
    deleted = truth["ikzf1_status"] == "deleted"
    truth["truth_class"] = np.where(deleted, truth["ikzf1_class"], "wildtype")
    truth["blast_band"] = np.where(truth["blast_percent"] >= 40, ">=40", "<40")
    truth["clonality"] = np.where(
        ~deleted, "", np.where(truth["patient_id"].isin(subclonal), "subclonal", "clonal")
    )
    return truth


def exon_set(text: str) -> frozenset[int]:
    text = str(text or "").strip()
    return frozenset(int(e) for e in text.split(",") if e.strip())


def compare(truth: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: truth, the call, and per-measure agreement (booleans)."""
    calls = calls.add_prefix("call_").rename(columns={"call_patient_id": "patient_id"})
    merged = truth.merge(calls, on="patient_id", how="left", validate="one_to_one")
    missing = merged["call_ikzf1_status"].isna()
    if missing.any():
        raise RuntimeError(f"no call for patients {list(merged.loc[missing, 'patient_id'])}")
    true_exons = merged["ikzf1_exons_deleted"].map(exon_set)
    called_exons = merged["call_ikzf1_exons_deleted"].map(exon_set)
    merged["true_exons"] = true_exons
    merged["called_exons"] = called_exons
    merged["called_deleted"] = merged["call_ikzf1_status"] == "deleted"
    merged["exact"] = (merged["call_ikzf1_class"] == merged["ikzf1_class"]) & (
        true_exons == called_exons
    )
    merged["exons_true_n"] = true_exons.map(len)
    merged["exons_found_n"] = [len(t & c) for t, c in zip(true_exons, called_exons, strict=True)]
    merged["plus_agree"] = merged["call_ikzf1plus"] == merged["ikzf1plus"]
    merged["plus_focal_agree"] = merged["call_ikzf1plus_focal"] == merged["ikzf1plus_focal"]
    for gene in CODELETION_GENES:
        merged[f"{gene}_agree"] = merged[f"call_{gene}"] == merged[gene]
    return merged


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator) / denominator if denominator else float("nan")


def measures(group: pd.DataFrame) -> dict:
    deleted = group["ikzf1_status"] == "deleted"
    wild = ~deleted
    row = {
        "n": len(group),
        "n_deleted": int(deleted.sum()),
        "exact": _rate(group.loc[deleted, "exact"].sum(), deleted.sum()),
        "sensitivity": _rate(group.loc[deleted, "called_deleted"].sum(), deleted.sum()),
        "exon_sensitivity": _rate(
            group.loc[deleted, "exons_found_n"].sum(), group.loc[deleted, "exons_true_n"].sum()
        ),
        "n_wildtype": int(wild.sum()),
        "specificity": _rate((~group.loc[wild, "called_deleted"]).sum(), wild.sum()),
        "not_assessable": int((group["call_ikzf1_status"] == "not_assessable").sum()),
        "ikzf1plus_agree": group["plus_agree"].mean(),
        "ikzf1plus_focal_agree": group["plus_focal_agree"].mean(),
    }
    for gene in CODELETION_GENES:
        row[f"{gene}_agree"] = group[f"{gene}_agree"].mean()
    return row


def by_class(compared: pd.DataFrame) -> pd.DataFrame:
    order = {name: k for k, name in enumerate((*CLASSES, "wildtype"))}
    rows = []
    keys = ["depth", "truth_class", "blast_band", "clonality"]
    for key, group in compared.groupby(keys, sort=False):
        rows.append({**dict(zip(keys, key, strict=True)), **measures(group)})
    table = pd.DataFrame(rows)
    table["_order"] = table["truth_class"].map(order)
    table = table.sort_values(["depth", "_order", "blast_band", "clonality"], kind="stable")
    return table.drop(columns="_order").reset_index(drop=True)


def by_depth(compared: pd.DataFrame) -> pd.DataFrame:
    rows = [{"depth": d, **measures(g)} for d, g in compared.groupby("depth", sort=True)]
    return pd.DataFrame(rows)


def headline(compared: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for depth, group in compared.groupby("depth", sort=True):
        core = group[
            (group["ikzf1_status"] == "deleted")
            & (group["clonality"] == "clonal")
            & (group["blast_percent"] >= 40)
        ]
        wild = group[group["ikzf1_status"] == "wildtype"]
        rows.append(
            {
                "depth": depth,
                "clonal_blast40_n": len(core),
                "clonal_blast40_exact": _rate(core["exact"].sum(), len(core)),
                "clonal_blast40_sensitivity": _rate(core["called_deleted"].sum(), len(core)),
                "wildtype_n": len(wild),
                "specificity": _rate((~wild["called_deleted"]).sum(), len(wild)),
                "ikzf1plus_agree": group["plus_agree"].mean(),
                "ikzf1plus_focal_agree": group["plus_focal_agree"].mean(),
            }
        )
    table = pd.DataFrame(rows)
    pooled = compared[compared["depth"] >= 30]
    if len(pooled) and compared["depth"].nunique() > 1:
        core = pooled[
            (pooled["ikzf1_status"] == "deleted")
            & (pooled["clonality"] == "clonal")
            & (pooled["blast_percent"] >= 40)
        ]
        wild = pooled[pooled["ikzf1_status"] == "wildtype"]
        total = {
            "depth": ">=30",
            "clonal_blast40_n": len(core),
            "clonal_blast40_exact": _rate(core["exact"].sum(), len(core)),
            "clonal_blast40_sensitivity": _rate(core["called_deleted"].sum(), len(core)),
            "wildtype_n": len(wild),
            "specificity": _rate((~wild["called_deleted"]).sum(), len(wild)),
            "ikzf1plus_agree": pooled["plus_agree"].mean(),
            "ikzf1plus_focal_agree": pooled["plus_focal_agree"].mean(),
        }
        table = pd.concat([table.astype({"depth": object}), pd.DataFrame([total])])
    return table.reset_index(drop=True)


# --- CNVkit -------------------------------------------------------------------

# Run by the interpreter of cnvkit.py: each task is a list of CNVkit command lines run in turn,
# each through CNVkit's own parser, exactly as `cnvkit.py <argv>` would run it.
CNVKIT_DRIVER = """\
import json, logging, sys
from multiprocessing import get_context
from cnvlib.commands import parse_args

def run(task):
    for argv in task:
        args = parse_args(argv)
        args.func(args)
    return task[0][-1]

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    plan = json.load(open(sys.argv[1]))
    with get_context("fork").Pool(plan["processes"]) as pool:
        for stage in plan["stages"]:
            for done in pool.imap_unordered(run, stage):
                pass
            print("stage done:", len(stage), "tasks", flush=True)
"""


def find_cnvkit(option: str | None) -> Path | None:
    candidates = [option] if option else [shutil.which("cnvkit.py"), *CNVKIT_DEFAULT_PATHS]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def cnvkit_python(cnvkit: Path) -> str:
    """The interpreter named by cnvkit.py's shebang (its virtual environment)."""
    first = cnvkit.read_text(errors="replace").splitlines()[0]
    if first.startswith("#!"):
        words = first[2:].split()
        if words and Path(words[0]).name == "env" and len(words) > 1:
            return shutil.which(words[1]) or words[1]
        if words:
            return words[0]
    return str(cnvkit.parent / "python")


def write_beds(panel: pd.DataFrame, out_dir: Path) -> tuple[Path, Path]:
    """The panel's exon+intron bins as CNVkit targets, every other bin as antitargets (BED)."""
    is_target = panel["kind"].isin(["exon", "intron"])
    paths = []
    for name, rows in (("targets", panel[is_target]), ("antitargets", panel[~is_target])):
        bed = pd.DataFrame(
            {
                "chrom": rows["chrom"],
                "start": rows["start"].astype(int) - 1,
                "end": rows["end"].astype(int),
                "name": rows["gene"].fillna("").replace("", "-").astype(str)
                if name == "targets"
                else "Antitarget",
            }
        )
        path = out_dir / f"{name}.bed"
        bed.to_csv(path, sep="\t", header=False, index=False)
        paths.append(path)
    return paths[0], paths[1]


def run_cnvkit(
    cnvkit: Path, design, panel, cohort_dir: Path, processes: int, method: str
) -> tuple[dict[str, Path], float]:
    """CNVkit on the cohort's BAMs; returns tumour sample -> .cns path and the wall time."""
    out = cohort_dir / "cnvkit"
    out.mkdir(exist_ok=True)
    targets, antitargets = write_beds(panel, out)
    samples = design.samples
    coverage = []
    for sample_id, bam in zip(samples["sample_id"], samples["dna_bam"], strict=True):
        for bed, kind in ((targets, "targetcoverage"), (antitargets, "antitargetcoverage")):
            coverage.append(
                [
                    [
                        "coverage",
                        bam,
                        str(bed),
                        "-q",
                        "20",
                        "-o",
                        str(out / f"{sample_id}.{kind}.cnn"),
                    ]
                ]
            )
    normals = samples.loc[
        (samples["role"] == "normal") & samples["patient_id"].isna(), "sample_id"
    ].tolist()
    reference = out / "reference.cnn"
    reference_cmd = ["reference"]
    for sample_id in normals:
        reference_cmd += [
            str(out / f"{sample_id}.targetcoverage.cnn"),
            str(out / f"{sample_id}.antitargetcoverage.cnn"),
        ]
    reference_cmd += ["--no-gc", "--no-edge", "--no-rmask", "-o", str(reference)]
    tumours = samples.loc[samples["role"] == "tumor", "sample_id"].tolist()
    per_tumour = []
    cns = {}
    for sample_id in tumours:
        cnr, seg = out / f"{sample_id}.cnr", out / f"{sample_id}.cns"
        cns[sample_id] = seg
        per_tumour.append(
            [
                ["fix", str(out / f"{sample_id}.targetcoverage.cnn"),
                 str(out / f"{sample_id}.antitargetcoverage.cnn"), "-r", str(reference),
                 "--no-gc", "--no-edge", "--no-rmask", "-o", str(cnr)],
                ["segment", str(cnr), "-m", method, "-o", str(seg)],
                ["call", str(seg), "-o", str(out / f"{sample_id}.call.cns")],
            ]
        )  # fmt: skip
    plan = {"processes": processes, "stages": [coverage, [[reference_cmd]], per_tumour]}
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan, indent=1))
    driver = out / "driver.py"
    driver.write_text(CNVKIT_DRIVER)
    started = time.perf_counter()
    result = subprocess.run(
        [cnvkit_python(cnvkit), str(driver), str(plan_path)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    (out / "cnvkit.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(
            f"CNVkit failed (exit {result.returncode}); see {out / 'cnvkit.log'}:\n"
            + result.stderr[-2000:]
        )
    return cns, elapsed


def cnvkit_exon_calls(
    cns_paths: dict[str, Path], panel: pd.DataFrame, threshold: float
) -> pd.DataFrame:
    """Per tumour: IKZF1 exons whose covering CNVkit segment has log2 < threshold."""
    exons = panel[(panel["gene"] == "IKZF1") & (panel["kind"] == "exon")].copy()
    exons["exon"] = exons["exon"].astype(int)
    exons["mid0"] = (exons["start"].astype(int) - 1 + exons["end"].astype(int)) // 2
    rows = []
    for sample_id, path in cns_paths.items():
        segments = pd.read_csv(path, sep="\t")
        deleted = set()
        for exon in exons.itertuples(index=False):
            hit = segments[
                (segments["chromosome"] == exon.chrom)
                & (segments["start"] <= exon.mid0)
                & (segments["end"] > exon.mid0)
            ]
            if len(hit) and float(hit["log2"].iloc[0]) < threshold:
                deleted.add(int(exon.exon))
        rows.append(
            {
                "sample_id": sample_id,
                "cnvkit_exons": frozenset(deleted),
                "cnvkit_class": deletion_class(deleted),
            }
        )
    return pd.DataFrame(rows)


def cnvkit_comparison(compared: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (depth, truth_class), group in compared.groupby(["depth", "truth_class"], sort=False):
        deleted = group["ikzf1_status"] == "deleted"
        row = {"depth": depth, "truth_class": truth_class, "n": len(group)}
        for tool, exons, klass in (
            ("ikaros", "called_exons", "call_ikzf1_class"),
            ("cnvkit", "cnvkit_exons", "cnvkit_class"),
        ):
            found = [len(t & c) for t, c in zip(group["true_exons"], group[exons], strict=True)]
            any_call = group[exons].map(len) > 0
            if truth_class == "wildtype":
                row[f"{tool}_specificity"] = _rate((~any_call).sum(), len(group))
                continue
            exact = (group[klass] == group["ikzf1_class"]) & (group["true_exons"] == group[exons])
            row[f"{tool}_exon_sensitivity"] = _rate(
                sum(found), group.loc[deleted, "exons_true_n"].sum()
            )
            row[f"{tool}_exact"] = _rate(exact.sum(), len(group))
            row[f"{tool}_sensitivity"] = _rate(any_call.sum(), len(group))
        rows.append(row)
    order = {name: k for k, name in enumerate((*CLASSES, "wildtype"))}
    table = pd.DataFrame(rows)
    table["_order"] = table["truth_class"].map(order)
    return (
        table.sort_values(["depth", "_order"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


# --- main ---------------------------------------------------------------------


def write_and_print(table: pd.DataFrame, path: Path, title: str) -> None:
    table.to_csv(path, sep="\t", index=False, float_format="%.4g", na_rep="")
    print(f"\n== {title} ({path})")
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def report(compared_all, cnvkit_all, timing_rows, workdir: Path, args) -> None:
    """Write and print every table from the depths done so far."""
    compared = pd.concat(compared_all, ignore_index=True)
    keep = [c for c in compared.columns if c not in ("true_exons", "called_exons")]
    compared[keep].to_csv(workdir / "patients_compared.tsv", sep="\t", index=False, na_rep="")
    write_and_print(by_class(compared), workdir / "accuracy_by_class.tsv", "ikaros by class")
    write_and_print(by_depth(compared), workdir / "accuracy_by_depth.tsv", "ikaros by depth")
    write_and_print(headline(compared), workdir / "headline.tsv", "headline")
    if cnvkit_all:
        table = cnvkit_comparison(pd.concat(cnvkit_all, ignore_index=True))
        title = (
            f"ikaros vs CNVkit (segment -m {args.cnvkit_method}, "
            f"exon deleted when log2 < {args.cnvkit_threshold:g})"
        )
        write_and_print(table, workdir / "cnvkit_comparison.tsv", title)
    write_and_print(pd.DataFrame(timing_rows), workdir / "timings.tsv", "wall time (s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED_UNUSED_BY_TESTS)
    parser.add_argument("--depths", default="10,20,30,60", help="comma-separated mean depths")
    parser.add_argument("--patients", type=int, default=150, help="patients per depth")
    parser.add_argument("--panel-normals", type=int, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks/out/accuracy")
    parser.add_argument("--cnvkit", help="path to cnvkit.py (default: PATH, then the venv)")
    parser.add_argument("--no-cnvkit", action="store_true", help="skip CNVkit")
    parser.add_argument("--cnvkit-depths", default="20", help="depths CNVkit runs at")
    parser.add_argument("--cnvkit-method", default="hmm", choices=["hmm", "haar"])
    parser.add_argument("--cnvkit-threshold", type=float, default=CNVKIT_FALLBACK_LOG2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("ikaros").setLevel(logging.WARNING)  # per-sample lines: see the call files

    depths = [_number(d) for d in args.depths.split(",") if d.strip()]
    cnvkit_depths = {_number(d) for d in args.cnvkit_depths.split(",") if d.strip()}
    cnvkit = None if args.no_cnvkit else find_cnvkit(args.cnvkit)
    if cnvkit is None and not args.no_cnvkit:
        print("CNVkit not found (cnvkit.py on PATH or /tmp/cnvkit-venv/bin): skipping CNVkit")
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    panel = read_panel(ROOT / f"resources/panel_{BUILD}.tsv")
    gene_models = read_gene_models(ROOT / f"resources/gene_models_{BUILD}.tsv")

    started_all = time.perf_counter()
    compared_all, cnvkit_all, timing_rows = [], [], []
    for depth in depths:
        label = f"depth{depth:g}x"
        cohort_dir = workdir / label
        if cohort_dir.exists():
            shutil.rmtree(cohort_dir)  # fresh every run: no stale BAMs or calls
        cohort_dir.mkdir(parents=True)
        log.info("%s: %d patients, %d panel normals, seed %d", label, args.patients,
                 args.panel_normals, args.seed)  # fmt: skip
        settings = simulation_settings(args.seed, depth, args.patients, args.panel_normals)
        design = design_cohort(
            settings, cohort=label, build=BUILD, bam_dir=cohort_dir / "bams",
            gene_models=gene_models,
        )  # fmt: skip
        started = time.perf_counter()
        calls = run_ikaros(design, settings, panel, cohort_dir, args.processes)
        timings = {"depth": depth, **calls.attrs["timings"]}
        timings["ikaros_total_s"] = time.perf_counter() - started
        compared = compare(truth_table(design), calls)
        compared.insert(0, "depth", depth)
        if cnvkit is not None and depth in cnvkit_depths:
            log.info("  CNVkit (%s, segment -m %s)", cnvkit, args.cnvkit_method)
            cns, elapsed = run_cnvkit(
                cnvkit, design, panel, cohort_dir, args.processes, args.cnvkit_method
            )
            timings["cnvkit_s"] = elapsed
            log.info("  CNVkit done in %.1f s", elapsed)
            peer = cnvkit_exon_calls(cns, panel, args.cnvkit_threshold)
            both = compared.merge(peer, left_on="call_sample_id", right_on="sample_id")
            cnvkit_all.append(both)
        compared_all.append(compared)
        timings["elapsed_s"] = time.perf_counter() - started_all
        timing_rows.append(timings)
        final = depth == depths[-1]
        if not final:
            print(f"\n-------- tables after depth {depth:g} (final tables follow the last depth)")
        report(compared_all, cnvkit_all, timing_rows, workdir, args)
    print(f"\ntotal wall time {time.perf_counter() - started_all:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
