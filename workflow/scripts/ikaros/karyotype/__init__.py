"""Genome-wide copy number of a tumour: arm levels, integer copy numbers, ploidy and iAMP21.

`arms` cuts segments into chromosome arms; `fit` finds the cell fraction, baseline and integer
(major, minor) copy numbers that explain the arm levels and SNP allele counts; `ploidy` turns
them into the chromosome table, the modal chromosome number and its class, masked
hypodiploidy and iAMP21.
"""

from ikaros.karyotype.fit import KaryotypeSettings
from ikaros.karyotype.ploidy import PLOIDY_CLASSES, Karyotype, call_karyotype, ploidy_class

__all__ = ["PLOIDY_CLASSES", "Karyotype", "KaryotypeSettings", "call_karyotype", "ploidy_class"]
