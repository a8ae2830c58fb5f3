"""Genome builds: contig lengths, naming and header build checks."""

import pytest

from ikaros import genome


def test_builds_differ_on_chromosome_7_and_list_24_primary_contigs():
    grch37, grch38 = genome.contig_lengths("GRCh37"), genome.contig_lengths("GRCh38")
    assert list(grch37) == list(grch38) == list(genome.PRIMARY_CHROMOSOMES)
    assert len(grch38) == 24
    assert grch37["chr7"] == 159_138_663
    assert grch38["chr7"] == 159_345_973


def test_unknown_build_is_refused():
    with pytest.raises(ValueError, match="unknown genome build 'hg19'"):
        genome.contig_lengths("hg19")


@pytest.mark.parametrize(
    ("name", "expected"), [("7", "chr7"), ("chr7", "chr7"), ("MT", "chrM"), ("X", "chrX")]
)
def test_canonical_name(name, expected):
    assert genome.canonical_name(name) == expected


def test_header_naming_is_detected_and_mapped_back():
    bare = {"7": 159_345_973, "X": 156_040_895}
    assert genome.verify_header_build(bare, "GRCh38", "s.bam") is False
    assert genome.header_contig("chr7", False) == "7"
    assert genome.header_contig("chrM", False) == "MT"
    prefixed = {"chr7": 159_345_973}
    assert genome.verify_header_build(prefixed, "GRCh38", "s.bam") is True


def test_header_of_other_build_is_refused_with_a_hint():
    grch37_header = {f"chr{i}": n for i, n in [(7, 159_138_663), (9, 141_213_431)]}
    with pytest.raises(genome.BuildMismatchError) as error:
        genome.verify_header_build(grch37_header, "GRCh38", "tumour.bam")
    message = str(error.value)
    assert message.startswith("tumour.bam: contig lengths do not match genome build GRCh38")
    assert "chr7 is 159,138,663 bp, GRCh38 has 159,345,973 bp" in message
    assert "looks like GRCh37" in message


def test_header_without_chromosome_7_is_refused():
    with pytest.raises(genome.BuildMismatchError, match="no chromosome 7"):
        genome.verify_header_build({"chr1": 248_956_422}, "GRCh38", "s.bam")
