"""Deletion breakpoints from discordant pairs and clipped reads, on BAMs built around a known
deletion (tests/bam_factory.py): the truth is the deletion the reads were constructed from."""

from __future__ import annotations

import random
from dataclasses import replace

import pysam
import pytest

from bam_factory import (
    DUPLICATE,
    MATE_UNMAPPED,
    QCFAIL,
    SECONDARY,
    SUPPLEMENTARY,
    pair,
    write_alignments,
    write_reference_fasta,
)
from ikaros.alignment_files import AlignmentFileError
from ikaros.dna.junction_reads import (
    FALLBACK_MAX_FRAGMENT,
    DeletionJunction,
    deletion_junctions,
    estimate_max_fragment,
    window_evidence,
)

READ = 150
# the constructed deletion: bases S..E deleted; L last retained base left, R first retained right
S, E = 50_319_000, 50_392_000
L, R = S - 1, E + 1


def proper_pairs(rng: random.Random, low: int, high: int, n: int, prefix: str, chrom="chr7"):
    """Normal fragments (300-400 bp) starting uniformly in [low, high]."""
    reads = []
    for k in range(n):
        start = rng.randint(low, high)
        reads.extend(pair(f"{prefix}{k}", chrom, start, rng.randint(300, 400), READ))
    return reads


def discordant(name: str, left_start: int, right_start: int, chrom="chr7", **kwargs):
    """A forward read at left_start with its reverse mate at right_start, not proper."""
    return list(
        pair(name, chrom, left_start, 0, READ, proper=False, mate_start=right_start, **kwargs)
    )


def junction_reads(left: int, right: int, prefix: str, chrom="chr7"):
    """Reads of a deletion with last retained base `left` and first retained base `right`.

    Returns (reads, discordant pairs, left split reads, right split reads).
    """
    reads = []
    # both reads fully on their sides
    reads += discordant(f"{prefix}a1", left - 200, right + 50, chrom)
    reads += discordant(f"{prefix}a2", left - 330, right + 10, chrom)
    # left read crosses the junction: aligned on the left, clipped at the junction
    r1, r2 = discordant(f"{prefix}b", left - 109, right + 60, chrom)
    reads += [replace(r1, cigar="110M40S"), r2]
    # right read crosses: aligned on the right from the junction, clipped on its left
    r1, r2 = discordant(f"{prefix}c", left - 250, right, chrom)
    reads += [r1, replace(r2, cigar="40S110M")]
    # short fragment, both reads cross the junction
    r1, r2 = discordant(f"{prefix}d", left - 119, right, chrom)
    reads += [replace(r1, cigar="120M30S"), replace(r2, cigar="30S120M")]
    # crossing read mapped wholly on the left, its mate on the left too (a proper pair)
    r1, r2 = pair(f"{prefix}e", chrom, left - 300, 0, READ, mate_start=left - 99)
    reads += [r1, replace(r2, cigar="100M50S")]
    # crossing read mapped wholly on the right, its mate on the right too
    r1, r2 = pair(f"{prefix}f", chrom, right, 0, READ, mate_start=right + 200)
    reads += [replace(r1, cigar="50S100M"), r2]
    return reads, 5, 3, 3


def noise_clips(prefix: str, chrom="chr7"):
    """One clipped read inside each breakpoint interval, away from the junction, and clips
    shorter than min_clip at the junction itself: none of them may move the call."""
    r1, r2 = pair(f"{prefix}n1", chrom, L - 200, 0, READ, mate_start=L - 89)
    reads = [r1, replace(r2, cigar="120M30S")]  # ends at L + 30
    r1, r2 = pair(f"{prefix}n2", chrom, R - 30, 0, READ, mate_start=R + 150)
    reads += [replace(r1, cigar="30S120M"), r2]  # starts at R - 30
    for k in range(3):  # 5-base clips at the junction: below min_clip
        r1, r2 = pair(f"{prefix}s{k}", chrom, L - 144 - k, 0, READ, mate_start=L - 144)
        reads += [r1, replace(r2, cigar="145M5S")]
    return reads


@pytest.fixture(scope="module")
def mixed_tumour(tmp_path_factory):
    """Junction reads amid normal proper pairs over both flanks and the deleted span."""
    rng = random.Random(11)
    reads, n_pairs, n_left, n_right = junction_reads(L, R, "j")
    reads += noise_clips("x")
    reads += proper_pairs(rng, S - 9000, E + 9000, 600, "p")
    folder = tmp_path_factory.mktemp("mixed")
    bam = write_alignments(folder / "chr.bam", reads)
    bare = write_alignments(folder / "bare.bam", reads, chr_prefix=False)
    return bam, bare, (n_pairs, n_left, n_right)


def test_base_exact_junction_from_pairs_and_clipped_reads(mixed_tumour):
    bam, _, (n_pairs, n_left, n_right) = mixed_tumour
    junctions = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000)
    assert len(junctions) == 1
    (junction,) = junctions
    assert (junction.chrom, junction.left_end, junction.right_start) == ("chr7", L, R)
    assert (junction.deleted_start, junction.deleted_end) == (S, E)
    assert junction.left_exact and junction.right_exact
    assert (junction.left_low, junction.left_high) == (L, L)
    assert (junction.right_low, junction.right_high) == (R, R)
    assert junction.pairs == n_pairs
    assert (junction.left_split_reads, junction.right_split_reads) == (n_left, n_right)
    assert junction.split_reads == n_left + n_right
    # the region's proper pairs (300-400 bp) set the fragment limit: median + 10 MAD
    assert 500 < junction.max_fragment < 700


def test_bare_contig_names_give_the_same_junctions(mixed_tumour):
    bam, bare, _ = mixed_tumour
    assert pysam.AlignmentFile(str(bare)).references[6] == "7"
    expected = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000)
    assert deletion_junctions(bare, "chr7", S - 10_000, E + 10_000) == expected
    # an open file is used as it is, and left open
    with pysam.AlignmentFile(str(bare)) as handle:
        assert deletion_junctions(handle, "chr7", S - 10_000, E + 10_000) == expected
        assert handle.is_open


def background_clips(rng: random.Random, low: int, high: int, n: int, prefix: str):
    """Pairs whose first read is soft-clipped by 20 bases at a random place: what a local
    aligner leaves anywhere (adapters, poor ends)."""
    reads = []
    for k in range(n):
        r1, r2 = pair(f"{prefix}{k}", "chr7", rng.randint(low, high), 350, READ)
        reads += [replace(r1, cigar="130M20S"), r2]
    return reads


def test_pairs_without_clips_bound_the_breakpoints(tmp_path):
    rng = random.Random(5)
    # tumour fragments of 336-431 bp: (L - left + 1) + (right + READ - R)
    lefts = [L - 250, L - 200, L - 180, L - 160]
    rights = [R + 20, R + 60, R + 5, R + 120]
    reads = proper_pairs(rng, S - 9000, E + 9000, 600, "p")
    # a local aligner's scattered clips, none in the breakpoint intervals
    reads += background_clips(rng, S + 2000, E - 2000, 30, "b")
    for k, (left, right) in enumerate(zip(lefts, rights, strict=True)):
        reads += discordant(f"d{k}", left, right)
    bam = write_alignments(tmp_path / "pairs.bam", reads)
    for max_fragment in (None, 800):
        (junction,) = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000,
                                         max_fragment=max_fragment)  # fmt: skip
        limit = junction.max_fragment
        assert max_fragment is None or limit == max_fragment
        assert junction.pairs == 4 and junction.split_reads == 0
        assert not junction.left_exact and not junction.right_exact
        # certain bounds: after the last left-read base, at or before the first right-read base
        assert junction.left_low == max(lefts) + READ - 1
        assert junction.right_high == min(rights)
        # fragment bounds (hand calculation): L <= left start - 1 + limit - mate length
        assert junction.left_high == min(a - 1 + limit - READ for a in lefts)
        assert junction.right_low == max(b + READ - limit + READ for b in rights)
        assert junction.left_low <= L <= junction.left_high
        assert junction.right_low <= R <= junction.right_high
        assert junction.left_high - junction.left_low < limit
        assert junction.right_high - junction.right_low < limit
        assert junction.left_low <= junction.left_end <= junction.left_high
        assert junction.right_low <= junction.right_start <= junction.right_high


def test_an_end_to_end_aligner_leaves_the_breakpoints_half_a_read_less_certain(tmp_path):
    """No read of the region is clipped, so a read across the junction may have been aligned
    whole past it: here the left reads run 40 and 70 bases past L into the deleted bases (an
    end-to-end alignment of their minority part), yet L stays inside the interval."""
    rng = random.Random(8)
    reads = proper_pairs(rng, S - 9000, E + 9000, 600, "p")
    ends = [L + 40, L + 70, L - 30, L - 90]  # last aligned base of each left read
    rights = [R + 20, R + 60, R + 5, R + 120]
    for k, (end, right) in enumerate(zip(ends, rights, strict=True)):
        reads += discordant(f"d{k}", end - READ + 1, right)
    bam = write_alignments(tmp_path / "e2e.bam", reads)
    (junction,) = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000)
    assert junction.left_low == max(ends) - READ // 2
    assert junction.right_high == min(rights) + READ // 2
    assert junction.left_low <= L <= junction.left_high
    assert junction.right_low <= R <= junction.right_high
    # with a local aligner's clips elsewhere the same reads would put L past the true one
    reads += background_clips(rng, S + 2000, E - 2000, 30, "b")
    bam = write_alignments(tmp_path / "local.bam", reads)
    (junction,) = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000)
    assert junction.left_low == max(ends) > L


def test_normal_sample_with_filtered_records_has_no_junction(tmp_path):
    rng = random.Random(3)
    reads = proper_pairs(rng, S - 9000, E + 9000, 600, "p")
    # each group would be a deletion of three pairs if its records were not filtered out
    groups = {
        "dup": {"flag": DUPLICATE},
        "sec": {"flag": SECONDARY},
        "sup": {"flag": SUPPLEMENTARY},
        "qc": {"flag": QCFAIL},
        "lowleft": {"mapq": (5, 60)},  # the right mate alone passes: the pair must not count
        "lowright": {"mapq": (60, 5)},  # the left mate alone passes
        "lowboth": {"mapq": 5},
    }
    for g, (name, kwargs) in enumerate(groups.items()):
        left = S + 10_000 * g
        for k in range(3):
            reads += discordant(f"{name}{k}", left + 40 * k, left + 5000 + 40 * k, **kwargs)
    for k in range(3):  # mate unmapped (mate record absent) and mate on another chromosome
        r1, _ = discordant(f"unm{k}", S + 80_000 + 40 * k, S + 85_000)
        reads.append(replace(r1, flag=r1.flag | MATE_UNMAPPED))
        reads += discordant(f"trans{k}", S + 80_000 + 40 * k, 1000, mate_chrom="chr8")
    bam = write_alignments(tmp_path / "normal.bam", reads)
    assert deletion_junctions(bam, "chr7", S - 10_000, E + 10_000) == []
    # the data is not trivially empty: without the MAPQ filter the low-MAPQ groups are calls
    loose = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000, min_mapq=0)
    # (no read here is clipped: the certain bound is half a read less, as for an end-to-end
    # aligner)
    assert [j.left_low for j in loose] == [
        S + 10_000 * g + 80 + READ - 1 - READ // 2 for g in (4, 5, 6)
    ]


def test_single_pair_is_not_enough_and_two_deletions_are_two_junctions(tmp_path):
    rng = random.Random(9)
    flanks = proper_pairs(rng, S - 9000, E + 9000, 600, "p")
    single = write_alignments(tmp_path / "one.bam", flanks + discordant("d0", L - 200, R + 50))
    assert deletion_junctions(single, "chr7", S - 10_000, E + 10_000) == []
    assert len(deletion_junctions(single, "chr7", S - 10_000, E + 10_000, min_pairs=1)) == 1

    first = (50_325_000, 50_331_000)  # (last retained left, first retained right)
    second = (50_360_000, 50_395_500)
    reads = list(flanks)
    for prefix, (left, right) in (("u", first), ("v", second)):
        reads += junction_reads(left, right, prefix)[0]
    bam = write_alignments(tmp_path / "two.bam", reads)
    junctions = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000)
    assert [(j.left_end, j.right_start) for j in junctions] == [first, second]
    assert all(j.left_exact and j.right_exact and j.pairs == 5 for j in junctions)
    assert all(j.split_reads == 6 for j in junctions)


def test_mate_outside_the_region(mixed_tumour):
    bam, _, (n_pairs, n_left, _) = mixed_tumour
    # only the left breakpoint is fetched: right mates are known from RNEXT/PNEXT alone
    (left_only,) = deletion_junctions(bam, "chr7", L - 5000, L + 3000)
    assert left_only.pairs == n_pairs
    assert left_only.left_exact and left_only.left_end == L
    assert left_only.left_split_reads == n_left
    assert not left_only.right_exact
    assert left_only.right_low <= R <= left_only.right_high == R
    # and the mirror: only the right breakpoint is fetched
    (right_only,) = deletion_junctions(bam, "chr7", R - 3000, R + 5000)
    assert right_only.pairs == n_pairs
    assert right_only.right_exact and right_only.right_start == R
    assert not right_only.left_exact
    assert right_only.left_low <= L <= right_only.left_high


def test_cram_with_reference(tmp_path):
    fasta = write_reference_fasta(tmp_path / "ref.fa", {"chr7": 200_000})
    left, right = 60_000, 120_001
    reads, n_pairs, n_left, n_right = junction_reads(left, right, "j")
    reads += proper_pairs(random.Random(2), 50_000, 130_000, 300, "p")
    cram = write_alignments(tmp_path / "x.cram", reads, reference_fasta=fasta)
    (junction,) = deletion_junctions(cram, "chr7", 50_000, 130_000, reference_fasta=str(fasta))
    assert (junction.left_end, junction.right_start) == (left, right)
    assert (junction.pairs, junction.split_reads) == (n_pairs, n_left + n_right)


def test_bad_requests_are_named(mixed_tumour):
    bam, _, _ = mixed_tumour
    with pytest.raises(AlignmentFileError, match=r"no contig chrUn_x or Un_x"):
        deletion_junctions(bam, "chrUn_x", 1, 100)
    with pytest.raises(ValueError, match=r"chr7:500-100"):
        deletion_junctions(bam, "chr7", 500, 100)
    with pytest.raises(ValueError, match="max_fragment"):
        deletion_junctions(bam, "chr7", 1, 100, max_fragment=0)


def test_fragment_limit_estimate():
    # 300..400 bp: median 350, MAD 25 -> 350 + 250
    assert estimate_max_fragment(list(range(300, 401))) == 600
    # nearly fixed fragments (MAD 0): never below 1.5 x median
    assert estimate_max_fragment([300] * 50) == 450
    # too few proper pairs for an estimate
    assert estimate_max_fragment([300] * 10) == FALLBACK_MAX_FRAGMENT


def test_junctions_are_plain_frozen_records():
    junction = DeletionJunction("chr7", 10, 20, 10, 10, 20, 20, 2, 0, 0, 0, True, True, 600)
    with pytest.raises(AttributeError):
        junction.left_end = 11  # type: ignore[misc]


def with_mate_tags(source, target, mate_mapq=None, mate_cigar=None):
    """Copy a BAM adding each read's MC tag (its mate's CIGAR, or `mate_cigar` for all) and,
    if given, MQ."""
    with pysam.AlignmentFile(str(source)) as handle:
        records = list(handle.fetch(until_eof=True))
        header = handle.header
    cigar_of = {(r.query_name, r.is_read1): r.cigarstring for r in records}
    with pysam.AlignmentFile(str(target), "wb", header=header) as out:
        for record in records:
            mate = mate_cigar or cigar_of.get((record.query_name, not record.is_read1))
            if mate is not None:
                record.set_tag("MC", mate)
            if mate_mapq is not None:
                record.set_tag("MQ", mate_mapq)
            out.write(record)
    pysam.index(str(target))
    return target


def test_mate_tags_describe_a_mate_outside_the_region(mixed_tumour, tmp_path):
    bam, _, _ = mixed_tumour
    tagged = with_mate_tags(bam, tmp_path / "mc.bam")
    # pairs only (no clip is long enough), fixed limit: seen mates give the reference bounds
    options = {"min_clip": 1000, "max_fragment": 600}
    (seen,) = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000, **options)
    (from_mc,) = deletion_junctions(tagged, "chr7", L - 5000, L + 3000, **options)
    bounds = ("left_low", "left_high", "right_low", "right_high")
    assert [getattr(from_mc, b) for b in bounds] == [getattr(seen, b) for b in bounds]
    # the MC tag is what sets the mates' ends: claimed 200 bp mates move right_low to
    # max(mate start + 200 - 600 + left read's aligned length) = R + 50 + 200 - 600 + 150
    claimed = with_mate_tags(bam, tmp_path / "mc200.bam", mate_cigar="200M")
    (long_mates,) = deletion_junctions(claimed, "chr7", L - 5000, L + 3000, **options)
    assert long_mates.right_low == R - 200 != seen.right_low
    # a mate below min_mapq (MQ) outside the region does not count
    low = with_mate_tags(bam, tmp_path / "mq.bam", mate_mapq=3)
    assert deletion_junctions(low, "chr7", L - 5000, L + 3000) == []
    assert len(deletion_junctions(low, "chr7", S - 10_000, E + 10_000)) == 1


def test_clip_ties_go_to_the_position_nearest_the_pairs(tmp_path):
    rng = random.Random(4)
    reads = proper_pairs(rng, S - 9000, E + 9000, 600, "p")
    lefts, rights = [L - 250, L - 200, L - 180], [R + 20, R + 60, R + 120]
    for k, (left, right) in enumerate(zip(lefts, rights, strict=True)):
        reads += discordant(f"d{k}", left, right)
    last_left_base = max(lefts) + READ - 1  # the pairs put L at or after this base
    for k, end in enumerate((last_left_base + 60, last_left_base + 7)):  # one read each
        r1, r2 = pair(f"cl{k}", "chr7", end - 400, 0, READ, mate_start=end - 119)
        reads += [r1, replace(r2, cigar="120M30S")]
    for k, first in enumerate((min(rights) - 50, min(rights) - 9)):
        r1, r2 = pair(f"cr{k}", "chr7", first, 0, READ, mate_start=first + 250)
        reads += [replace(r1, cigar="30S120M"), r2]
    bam = write_alignments(tmp_path / "ties.bam", reads)
    (junction,) = deletion_junctions(bam, "chr7", S - 10_000, E + 10_000)
    assert (junction.left_end, junction.right_start) == (last_left_base + 7, min(rights) - 9)
    assert junction.split_reads == 2


def test_window_evidence_counts_the_junction_reads_near_a_position():
    """reads_near: clipped reads whose clip lies in the interval, plus discordant pairs with a
    read within max_fragment of it (by hand on constructed evidence)."""
    from ikaros.dna.junction_reads import WindowEvidence

    evidence = WindowEvidence(
        junctions=[], clip_positions=(1_000, 1_000, 1_500, 9_000), median_fragment=300.0,
        discordant=((400, 20_000), (5_000, 8_700)), max_fragment=600,
    )  # fmt: skip
    assert evidence.reads_near(1_000, 1_000) == 2 + 1  # two clips; pair 1's left read (400)
    assert evidence.reads_near(1_001, 1_499) == 0  # clips just outside; pair 1 is 601 bp away
    assert evidence.reads_near(2_000, 3_000) == 0
    assert evidence.reads_near(8_500, 9_100) == 1 + 1  # the clip at 9,000; pair 2's right read


def test_the_read_profile_counts_clipped_reads_and_improper_pairs(tmp_path):
    """ReadProfile of one window, by hand: 400 reads in proper pairs; 3 reads clipped by at
    least min_clip (soft, hard, and a hard clip outside a soft one adding up to 13), one clipped
    by 5 bases (not counted); 2 discordant pairs far apart (4 improper reads, each pair alone in
    its cluster) and one pair whose mate lies on chr1 (1 improper read in the window)."""
    from ikaros.dna.junction_reads import window_evidence

    rng = random.Random(5)
    reads = proper_pairs(rng, 1_000_000, 1_050_000, 200, "p")
    for k, (cigar, stored) in enumerate(
        [("120M30S", 150), ("30H120M", 120), ("3H10S137M", 147), ("5S145M", 150)]
    ):  # `stored`: the bases in SEQ (a hard clip leaves them out)
        r1, r2 = pair(f"c{k}", "chr7", 1_010_000 + 1_000 * k, 400, READ)
        reads += [replace(r1, cigar=cigar, length=stored), r2]
    reads += discordant("d1", 1_020_000, 1_030_000)
    reads += discordant("d2", 1_040_000, 1_045_000)
    reads += list(pair("x1", "chr7", 1_025_000, 0, READ, mate_chrom="chr1", mate_start=5_000))
    bam = write_alignments(tmp_path / "profile.bam", reads)
    profile = window_evidence(bam, "chr7", 1_000_001, 1_060_000).profile
    assert profile.reads == 400 + 8 + 4 + 1
    assert profile.clipped_reads == 3
    assert profile.improper_reads == 4 + 1
    assert profile.bases == 60_000
    assert profile.lone_discordant == 2
    assert profile.lone_clips == 3
    assert profile.shows_clips and profile.shows_improper_pairs
    assert profile.read_length == READ
    # the same window from a BAM of proper pairs alone, aligned end to end: neither shows
    normal = proper_pairs(rng, 1_000_000, 1_050_000, 200, "q")
    plain = write_alignments(tmp_path / "plain.bam", normal)
    profile = window_evidence(plain, "chr7", 1_000_001, 1_060_000).profile
    assert (profile.reads, profile.clipped_reads, profile.improper_reads) == (400, 0, 0)
    assert not profile.shows_clips and not profile.shows_improper_pairs
    # profiles of several windows add up, and a hand-built evidence (no reads) shows everything
    assert (profile + profile).reads == 800
    from ikaros.dna.junction_reads import ReadProfile

    assert ReadProfile().shows_clips and ReadProfile().shows_improper_pairs


def test_window_evidence_keeps_the_clips_by_direction_and_base(mixed_tumour):
    """The junction's split reads lie at its two bases, each side in its own direction: right
    clips at L (110M40S, 120M30S, 100M50S), left clips at R; the noise clip beside each and
    the 5-base clips (below min_clip) do not join them."""
    from ikaros.dna.junction_reads import window_evidence

    bam, _, (_, n_left, n_right) = mixed_tumour
    evidence = window_evidence(bam, "chr7", S - 10_000, E + 10_000)
    assert dict(evidence.right_clips) == {L: n_left, L + 30: 1}
    assert dict(evidence.left_clips) == {R: n_right, R - 30: 1}
    assert evidence.largest_pile(L - 500, L + 500, "left") == n_left
    assert evidence.largest_pile(R - 500, R + 500, "right") == n_right
    # a left edge is read from right clips only
    assert evidence.largest_pile(R - 500, R + 500, "left") == 0


def _split_read_pairs(left: int, right: int, prefix: str, sa_strand: str = "", sa_contig="chr7"):
    """Two proper pairs of a deletion (L = left, R = right) in a BAM filtered to proper
    pairs: a forward read aligned up to L, its last 40 bases aligned from R (SA tag, and the
    hard-clipped supplementary record), and a reverse read aligned from R whose first 45 bases
    end at L. `sa_strand` overrides the SA strand, `sa_contig` its contig."""
    a1, a2 = pair(f"{prefix}a", "chr7", left - 300, 0, READ, mate_start=left - 109)
    b1, b2 = pair(f"{prefix}b", "chr7", right, 0, READ, mate_start=right + 200)
    forward, reverse = sa_strand or "+", sa_strand or "-"
    return [
        a1,
        replace(a2, cigar="110M40S", tags=f"SA:Z:{sa_contig},{right},{reverse},110S40M,60,0;"),
        replace(a2, start=right, length=40, cigar="110H40M", flag=a2.flag | SUPPLEMENTARY,
                tags=f"SA:Z:chr7,{left - 109},-,110M40S,60,0;"),
        replace(b1, cigar="45S105M", tags=f"SA:Z:{sa_contig},{left - 44},{forward},45M105S,60,0;"),
        replace(b1, start=left - 44, length=45, cigar="45M105H", flag=b1.flag | SUPPLEMENTARY,
                tags=f"SA:Z:chr7,{right},+,45S105M,60,0;"),
        b2,
    ]  # fmt: skip


def test_split_reads_whose_sa_tags_name_both_breakpoints_give_a_junction_without_pairs(tmp_path):
    """Without any discordant pair (a BAM filtered to proper pairs), two split reads whose SA
    tags name the same L and R give the deletion, base-exact; each read counts once on each
    side (its own clip, and its SA alignment's: the supplementary records are skipped)."""
    rng = random.Random(11)
    background = proper_pairs(rng, S - 5000, E + 5000, 400, "p")
    bam = write_alignments(tmp_path / "sa.bam", background + _split_read_pairs(L, R, "s"))
    found = window_evidence(bam, "chr7", S - 4000, E + 4000)
    assert [(j.left_end, j.right_start, j.pairs, j.sa_reads) for j in found.junctions] == [
        (L, R, 0, 2)
    ]
    junction = found.junctions[0]
    assert (junction.left_split_reads, junction.right_split_reads) == (2, 2)
    assert junction.left_exact and junction.right_exact
    assert found.largest_pile(L - 10, L + 10, "left") == 2
    assert found.largest_pile(R - 10, R + 10, "right") == 2


@pytest.mark.parametrize("change", ["one read", "other strand", "other contig"])
def test_split_reads_that_do_not_agree_on_a_deletion_give_none(tmp_path, change):
    """One split read alone, or SA alignments on the other strand (an inversion's) or on
    another contig (a translocation's), name no deletion."""
    rng = random.Random(11)
    background = proper_pairs(rng, S - 5000, E + 5000, 400, "p")
    if change == "one read":
        reads = _split_read_pairs(L, R, "s")[:3]
    elif change == "other strand":
        swapped = str.maketrans("+-", "-+")
        reads = [replace(r, tags=r.tags.translate(swapped)) for r in _split_read_pairs(L, R, "s")]
    else:
        reads = _split_read_pairs(L, R, "s", sa_contig="chr8")
    bam = write_alignments(tmp_path / "sa.bam", background + reads)
    assert window_evidence(bam, "chr7", S - 4000, E + 4000).junctions == []
