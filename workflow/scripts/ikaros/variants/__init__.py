"""Sequence variants of a tumour from its VCF (scikit-allel): driver mutations and SNP counts.

`vcf` checks a VCF and reads its records through the index; `consequences` reads VEP and
SnpEff annotations; `drivers` reports the driver-gene variants and per-patient flags; `snps`
gives the allele counts from which the karyotype step derives B-allele fractions.
"""
