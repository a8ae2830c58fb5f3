"""Benchmark: ikaros coverage counting against mosdepth and samtools bedcov on the same bins.

Not a test. Builds simulated BAMs (GRCh38 header, the shipped GRCh38 panel's bins), then
times, on each BAM and the same bins:

- ours:      ikaros.dna.coverage.count_coverage (in-process; and once in a fresh interpreter,
             imports included)
- mosdepth:  mosdepth --by bins.bed --fast-mode --no-per-base
- bedcov:    samtools bedcov -c bins.bed

BAMs:
- panel_paired: 2x100 bp pairs (fragments ~N(300, 30)) only around the panel's bins, at
  --panel-depth; 2% of pairs flagged duplicate, 3% with MAPQ 0.
- panel_single: the same positions as single-end 100 bp reads (fragment = read, so our
  fragment counts must equal bedcov's read counts).
- wgs: 2x150 bp pairs (fragments ~N(350, 50)) uniformly along --wgs-chroms at --wgs-depth;
  the panel is a tiny fraction of it, so reading only indexed regions should pay off.

It also checks agreement where the definitions coincide: our mean_depth against mosdepth's
region means (rounded to 2 decimals by mosdepth) and bedcov's base sums / bin length; our
fragments against bedcov -c read counts on the single-end BAM. Filters are set to the peers'
defaults (skip unmapped, secondary, QC-fail, duplicates; MAPQ >= 0; supplementary kept).

Usage: python benchmarks/bench_coverage.py [--workdir DIR] [--panel-depth 100] [--wgs-depth 3]
       [--wgs-chroms chr7,chr9,chr12,chrX] [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

from timing import best_of  # noqa: E402

from ikaros.dna.coverage import ReadFilters, count_coverage  # noqa: E402
from ikaros.dna.panel import read_panel  # noqa: E402
from ikaros.genome import contig_lengths  # noqa: E402

BUILD = "GRCh38"
PEER_FILTERS = ReadFilters(min_mapq=0, skip_supplementary=False)


def write_sorted_bam(path: Path, chrom_reads: dict[str, dict[str, np.ndarray]]) -> None:
    """Stream coordinate-sorted SAM records into `samtools view -b`, then index.

    `chrom_reads[chrom]` holds arrays name, flag, pos (1-based), mapq, length, mate_pos, tlen,
    already sorted by pos. SEQ and QUAL are `*` to keep files small.
    """
    lengths = contig_lengths(BUILD)
    with subprocess.Popen(
        ["samtools", "view", "-b", "-o", str(path), "-"], stdin=subprocess.PIPE, text=True
    ) as process:
        header = ["@HD\tVN:1.6\tSO:coordinate"]
        header += [f"@SQ\tSN:{name}\tLN:{length}" for name, length in lengths.items()]
        process.stdin.write("\n".join(header) + "\n")
        for chrom in lengths:
            if chrom not in chrom_reads:
                continue
            r = chrom_reads[chrom]
            mate_field = "=" if r["paired"] else "*"
            lines = [
                f"{n}\t{f}\t{chrom}\t{p}\t{q}\t{length}M\t{mate_field}\t{mp}\t{t}\t*\t*\n"
                for n, f, p, q, length, mp, t in zip(
                    r["name"].tolist(),
                    r["flag"].tolist(),
                    r["pos"].tolist(),
                    r["mapq"].tolist(),
                    r["length"].tolist(),
                    r["mate_pos"].tolist(),
                    r["tlen"].tolist(),
                    strict=True,
                )
            ]
            process.stdin.write("".join(lines))
        process.stdin.close()
    if process.returncode:
        raise RuntimeError(f"samtools view failed writing {path}")
    subprocess.run(["samtools", "index", str(path)], check=True)


def fragments_to_reads(
    prefix: str,
    starts: np.ndarray,
    sizes: np.ndarray,
    read_length: int,
    paired: bool,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Sorted read arrays for fragments at 1-based `starts` with lengths `sizes`."""
    n = len(starts)
    sizes = np.maximum(sizes, read_length)
    duplicate = rng.random(n) < 0.02
    mapq = np.where(rng.random(n) < 0.03, 0, 60)
    ids = np.array([f"{prefix}{i}" for i in range(n)], dtype=object)
    if not paired:
        order = np.argsort(starts, kind="stable")
        return {
            "paired": False,
            "name": ids[order],
            "flag": np.where(duplicate, 1024, 0)[order],
            "pos": starts[order],
            "mapq": mapq[order],
            "length": np.full(n, read_length)[order],
            "mate_pos": np.zeros(n, dtype=np.int64),
            "tlen": np.zeros(n, dtype=np.int64),
        }
    dup = np.where(duplicate, 1024, 0)
    mate = starts + sizes - read_length
    pos = np.concatenate([starts, mate])
    order = np.argsort(pos, kind="stable")
    return {
        "paired": True,
        "name": np.concatenate([ids, ids])[order],
        "flag": np.concatenate([99 + dup, 147 + dup])[order],
        "pos": pos[order],
        "mapq": np.concatenate([mapq, mapq])[order],
        "length": np.full(2 * n, read_length),
        "mate_pos": np.concatenate([mate, starts])[order],
        "tlen": np.concatenate([sizes, -sizes])[order],
    }


def panel_bams(panel: pd.DataFrame, workdir: Path, depth: float, rng) -> tuple[Path, Path]:
    """Paired and single-end BAMs with fragments only around the panel's bins."""
    paired_reads, single_reads = {}, {}
    for chrom, bins in panel.groupby("chrom", sort=False):
        starts, sizes = [], []
        for start, end in zip(bins["start"].to_numpy(), bins["end"].to_numpy(), strict=True):
            n = max(1, int(depth * (end - start + 1) / 200))
            starts.append(rng.integers(start - 150, end + 1, n))
            sizes.append(np.rint(rng.normal(300, 30, n)).astype(np.int64))
        s, z = np.maximum(np.concatenate(starts), 1), np.concatenate(sizes)
        paired_reads[chrom] = fragments_to_reads(f"{chrom}p", s, z, 100, True, rng)
        single_reads[chrom] = fragments_to_reads(f"{chrom}s", s, z, 100, False, rng)
    paired, single = workdir / "panel_paired.bam", workdir / "panel_single.bam"
    write_sorted_bam(paired, paired_reads)
    write_sorted_bam(single, single_reads)
    return paired, single


def wgs_bam(chroms: list[str], workdir: Path, depth: float, rng) -> Path:
    """2x150 bp pairs uniformly along `chroms` at `depth`."""
    lengths = contig_lengths(BUILD)
    reads = {}
    for chrom in chroms:
        n = int(depth * lengths[chrom] / 300)
        starts = np.sort(rng.integers(1, lengths[chrom] - 1_000, n))
        sizes = np.rint(rng.normal(350, 50, n)).astype(np.int64)
        reads[chrom] = fragments_to_reads(f"{chrom}w", starts, sizes, 150, True, rng)
        print(f"  {chrom}: {2 * n:,} reads", flush=True)
    path = workdir / "wgs.bam"
    write_sorted_bam(path, reads)
    return path


def mosdepth_env(workdir: Path) -> dict[str, str]:
    """Debian's mosdepth dlopens `libhts.so`, which only the -dev package provides; point it at
    the runtime library through a private symlink when needed."""
    env = dict(os.environ)
    probe = subprocess.run(["mosdepth", "--version"], capture_output=True, text=True, env=env)
    if probe.returncode == 0:
        return env
    candidates = sorted(Path("/usr/lib").glob("*/libhts.so.*")) + sorted(
        Path("/usr/lib").glob("libhts.so.*")
    )
    if not candidates:
        raise RuntimeError(f"mosdepth does not run: {probe.stderr.strip()}")
    libdir = workdir / "libhts"
    libdir.mkdir(exist_ok=True)
    link = libdir / "libhts.so"
    if not link.exists():
        link.symlink_to(candidates[0])
    env["LD_LIBRARY_PATH"] = f"{libdir}:{env.get('LD_LIBRARY_PATH', '')}"
    subprocess.run(["mosdepth", "--version"], check=True, capture_output=True, env=env)
    return env


def run_mosdepth(bam: Path, bed: Path, workdir: Path, env) -> np.ndarray:
    prefix = workdir / f"mosdepth_{bam.stem}"
    subprocess.run(
        ["mosdepth", "--by", str(bed), "--fast-mode", "--no-per-base", str(prefix), str(bam)],
        check=True,
        env=env,
    )
    with gzip.open(f"{prefix}.regions.bed.gz", "rt") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle]
    return np.array([float(row[-1]) for row in rows])


def run_bedcov(bam: Path, bed: Path) -> tuple[np.ndarray, np.ndarray]:
    out = subprocess.run(
        ["samtools", "bedcov", "-c", str(bed), str(bam)], check=True, capture_output=True, text=True
    ).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    return np.array([int(r[-2]) for r in rows]), np.array([int(r[-1]) for r in rows])


def ours_fresh_process(bam: Path, panel_path: Path) -> float:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'workflow' / 'scripts')!r})\n"
        "from ikaros.dna.coverage import ReadFilters, count_coverage\n"
        "from ikaros.dna.panel import read_panel\n"
        f"count_coverage({str(bam)!r}, read_panel({str(panel_path)!r}), {BUILD!r}, "
        "filters=ReadFilters(min_mapq=0, skip_supplementary=False))\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--panel-depth", type=float, default=100.0)
    parser.add_argument("--wgs-depth", type=float, default=3.0)
    parser.add_argument("--wgs-chroms", default="chr7,chr9,chr12,chrX")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ikaros_bench_coverage_"))
    workdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    panel_path = ROOT / "resources" / f"panel_{BUILD}.tsv"
    panel = read_panel(panel_path)
    bed = workdir / "bins.bed"
    pd.DataFrame(
        {
            "chrom": panel["chrom"],
            "start": panel["start"] - 1,
            "end": panel["end"],
            "name": panel["bin_id"],
        }
    ).to_csv(bed, sep="\t", header=False, index=False)
    lengths = (panel["end"] - panel["start"] + 1).to_numpy()
    env = mosdepth_env(workdir)
    print(f"workdir {workdir}; panel {len(panel)} bins, {lengths.sum():,} bp", flush=True)

    started = time.perf_counter()
    paired, single = panel_bams(panel, workdir, args.panel_depth, rng)
    print(f"panel BAMs written in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    wgs = wgs_bam(args.wgs_chroms.split(","), workdir, args.wgs_depth, rng)
    print(f"WGS-like BAM written in {time.perf_counter() - started:.1f} s", flush=True)

    results = []
    for bam in (paired, single, wgs):
        n_reads = int(
            subprocess.run(
                ["samtools", "view", "-c", str(bam)], capture_output=True, text=True, check=True
            ).stdout
        )
        t_ours, ours = best_of(
            args.repeats, lambda b=bam: count_coverage(b, panel, BUILD, filters=PEER_FILTERS)
        )
        t_fresh = ours_fresh_process(bam, panel_path)
        t_mos, mos_mean = best_of(args.repeats, lambda b=bam: run_mosdepth(b, bed, workdir, env))
        t_bedcov, (bed_sum, bed_count) = best_of(args.repeats, lambda b=bam: run_bedcov(b, bed))
        depth = ours["mean_depth"].to_numpy()
        checks = {
            "max |depth - mosdepth|": float(np.abs(depth - mos_mean).max()),
            "max |depth - bedcov sum/len|": float(np.abs(depth - bed_sum / lengths).max()),
        }
        if bam == single:
            checks["bins where fragments != bedcov -c"] = int(
                (ours["fragments"].to_numpy() != bed_count).sum()
            )
        results.append(
            {
                "bam": bam.stem,
                "reads": n_reads,
                "ours_s": t_ours,
                "ours_fresh_s": t_fresh,
                "mosdepth_s": t_mos,
                "bedcov_s": t_bedcov,
                "ours/mosdepth": t_ours / t_mos,
                "ours_fresh/mosdepth": t_fresh / t_mos,
                "ours/bedcov": t_ours / t_bedcov,
                **checks,
            }
        )
        print(results[-1], flush=True)

    table = pd.DataFrame(results)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
