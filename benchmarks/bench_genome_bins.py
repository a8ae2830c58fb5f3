"""Benchmark: genome-wide 1 Mb bins from the index (ikaros) against mosdepth on the same BAM.

Not a test. Writes a coordinate-sorted, indexed BAM of 2x150 bp pairs (fragments ~N(350, 50))
at --depth along --chroms, with SEQ and QUAL (drawn from a pool of 4,096 random reads and
Illumina-binned quality strings, far apart enough that BGZF compresses them as real reads);
the q arm of the last chromosome is at 1.5x depth from its midpoint on (a gain in every cell),
so that the two tools can be compared on a change as well as on flat depth. Then times, best
of --repeats:

- ours:      ikaros.dna.index_coverage.index_bin_counts over every bin of
             ikaros.dna.genome_copy_number.genome_bins (the whole genome; the bins off --chroms get
             0), in-process, and once in a fresh interpreter with its imports;
- mosdepth:  mosdepth --by 1000000 --fast-mode --no-per-base (one thread, its default), and
             with -t 2.

Agreement: on the bins of --chroms, our read estimate against mosdepth's mean depth x bin
length / (2 x 150): Pearson r, the median ratio and its spread, and the gain's level in both.

Usage: python benchmarks/bench_genome_bins.py [--workdir DIR] [--depth 30]
       [--chroms chr21,chr22] [--repeats 3] [--seed 1] [--reuse]
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_coverage import mosdepth_env  # noqa: E402
from timing import best_of  # noqa: E402

from ikaros.dna.genome_copy_number import genome_bins  # noqa: E402
from ikaros.dna.index_coverage import index_bin_counts  # noqa: E402
from ikaros.genome import contig_lengths  # noqa: E402

BUILD = "GRCh38"
READ = 150
POOL = 4096
BATCH = 200_000


def _pool(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    bases = np.array(list("ACGT"))[rng.integers(0, 4, (POOL, READ))]
    # Illumina's binned qualities (2, 12, 23, 37), mostly 37, lower towards the read end
    levels = np.array(list("-7F"))
    low = rng.random((POOL, READ)) < np.linspace(0.02, 0.2, READ)
    quals = np.where(low, levels[rng.integers(0, 2, (POOL, READ))], "F")
    return (
        np.array(["".join(row) for row in bases], dtype=object),
        np.array(["".join(row) for row in quals], dtype=object),
    )


def write_bam(path: Path, chroms: list[str], depth: float, rng: np.random.Generator) -> int:
    lengths = contig_lengths(BUILD)
    sequences, qualities = _pool(rng)
    n_reads = 0
    with subprocess.Popen(
        ["samtools", "view", "-b", "-@", "1", "-o", str(path), "-"],
        stdin=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        header = ["@HD\tVN:1.6\tSO:coordinate"]
        header += [f"@SQ\tSN:{name}\tLN:{length}" for name, length in lengths.items()]
        process.stdin.write("\n".join(header) + "\n")
        for number, chrom in enumerate(chroms):
            length = lengths[chrom]
            weight = np.ones(length // 1000 + 1)
            if number == len(chroms) - 1:
                weight[len(weight) // 2 :] = 1.5
            n = int(depth * length / (2 * READ) * weight.mean())
            kb = rng.choice(len(weight), n, p=weight / weight.sum())
            starts = np.sort(np.clip(kb * 1000 + rng.integers(0, 1000, n), 1, length - 1000))
            sizes = np.maximum(np.rint(rng.normal(350, 50, n)).astype(np.int64), READ)
            mates = starts + sizes - READ
            pos = np.concatenate([starts, mates])
            order = np.argsort(pos, kind="stable")
            names = np.concatenate([np.arange(n), np.arange(n)])[order]
            flags = np.concatenate([np.full(n, 99), np.full(n, 147)])[order]
            mate_pos = np.concatenate([mates, starts])[order]
            tlen = np.concatenate([sizes, -sizes])[order]
            pick = rng.integers(0, POOL, 2 * n)
            pos = pos[order]
            for lo in range(0, 2 * n, BATCH):
                hi = min(lo + BATCH, 2 * n)
                lines = [
                    f"{chrom}r{a}\t{f}\t{chrom}\t{p}\t60\t{READ}M\t=\t{m}\t{t}\t{sequences[k]}\t"
                    f"{qualities[k]}\n"
                    for a, f, p, m, t, k in zip(
                        names[lo:hi].tolist(),
                        flags[lo:hi].tolist(),
                        pos[lo:hi].tolist(),
                        mate_pos[lo:hi].tolist(),
                        tlen[lo:hi].tolist(),
                        pick[lo:hi].tolist(),
                        strict=True,
                    )  # fmt: skip
                ]
                process.stdin.write("".join(lines))
            n_reads += 2 * n
            print(f"  {chrom}: {2 * n:,} reads", flush=True)
        process.stdin.close()
    subprocess.run(["samtools", "index", str(path)], check=True)
    return n_reads


def mapped_reads(bam: Path) -> int:
    stats = subprocess.run(
        ["samtools", "idxstats", str(bam)], check=True, capture_output=True, text=True
    ).stdout
    return sum(int(line.split("\t")[2]) for line in stats.splitlines() if line)


def run_mosdepth(bam: Path, workdir: Path, env, threads: int) -> pd.DataFrame:
    prefix = workdir / f"mosdepth_t{threads}"
    subprocess.run(
        ["mosdepth", "--by", "1000000", "--fast-mode", "--no-per-base", "-t", str(threads),
         str(prefix), str(bam)],
        check=True, env=env,
    )  # fmt: skip
    with gzip.open(f"{prefix}.regions.bed.gz", "rt") as handle:
        rows = [line.rstrip("\n").split("\t") for line in handle]
    return pd.DataFrame(rows, columns=["chrom", "start0", "end", "depth"]).astype(
        {"start0": int, "end": int, "depth": float}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--depth", type=float, default=30.0)
    parser.add_argument("--chroms", default="chr21,chr22")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep a genome.bam of --workdir")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_genome_bins_"))
    workdir.mkdir(parents=True, exist_ok=True)
    chroms = args.chroms.split(",")
    rng = np.random.default_rng(args.seed)
    bam = workdir / "genome.bam"
    if args.reuse and bam.exists() and Path(f"{bam}.bai").exists():
        n_reads = mapped_reads(bam)
    else:
        print(f"writing {bam} at {args.depth:g}x over {', '.join(chroms)}", flush=True)
        n_reads = write_bam(bam, chroms, args.depth, rng)
    size_gb = bam.stat().st_size / 1e9
    bins = genome_bins(BUILD)

    ours_time, ours = best_of(args.repeats, lambda: index_bin_counts(bam, bins))
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'workflow' / 'scripts')!r}); "
        "from ikaros.dna.genome_copy_number import genome_bins; "
        "from ikaros.dna.index_coverage import index_bin_counts; "
        f"index_bin_counts({str(bam)!r}, genome_bins('GRCh38'))"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True)
    ours_fresh = time.perf_counter() - started
    env = mosdepth_env(workdir)
    timings = {}
    for threads in (1, 2):
        timings[threads], depth = best_of(
            args.repeats, lambda t=threads: run_mosdepth(bam, workdir, env, t)
        )

    table = bins.assign(ours=ours)
    table = table[table["chrom"].isin(chroms)].copy()
    depth = depth.assign(start=depth["start0"] + 1)
    table = table.merge(depth[["chrom", "start", "depth"]], on=["chrom", "start"], how="inner")
    table["mosdepth_reads"] = table["depth"] * (table["end"] - table["start"] + 1) / READ
    usable = table["mosdepth_reads"] > 0.2 * table["mosdepth_reads"].median()
    ratio = (table["ours"] / table["mosdepth_reads"])[usable]
    r = float(np.corrcoef(table["ours"][usable], table["mosdepth_reads"][usable])[0, 1])
    last = table[usable & (table["chrom"] == chroms[-1])]
    half = last["start"] > contig_lengths(BUILD)[chroms[-1]] / 2
    gain_ours = last["ours"][half].median() / last["ours"][~half].median()
    gain_md = last["mosdepth_reads"][half].median() / last["mosdepth_reads"][~half].median()

    print(f"\nBAM: {n_reads:,} reads, {size_gb:.2f} GB, {args.depth:g}x over {', '.join(chroms)}")
    print(f"{'tool':<34}{'wall s':>10}{'ours / tool':>14}")
    print(f"{'ours (index, in-process)':<34}{ours_time:>10.3f}{1:>14.3f}")
    print(f"{'ours (fresh interpreter)':<34}{ours_fresh:>10.3f}{'':>14}")
    for threads, seconds in timings.items():
        label = f"mosdepth --fast-mode -t {threads}"
        print(f"{label:<34}{seconds:>10.2f}{ours_time / seconds:>14.4f}")
    print(f"\nagreement over {int(usable.sum())} bins: Pearson r {r:.4f}; ours / mosdepth reads "
          f"median {ratio.median():.3f}, 5-95% {ratio.quantile(0.05):.3f}-"
          f"{ratio.quantile(0.95):.3f}")  # fmt: skip
    print(f"gain on {chroms[-1]} (true 1.5x): ours {gain_ours:.3f}x, mosdepth {gain_md:.3f}x")


if __name__ == "__main__":
    main()
