"""Competing-risks statistics that reproduce R's cmprsk: CIF, Gray's test, Fine-Gray regression.

- ``cuminc``: cumulative incidence per group and cause with cmprsk's variance; ``timepoints``.
- ``gray_test``: Gray's K-sample test per cause (stratified, rho-weighted).
- ``fine_gray``: Fine-Gray regression with crr's Newton-Raphson, sandwich variance, ``predict``.

The formulas, tie rules and edge cases are derived in shared/competing_risks/METHODS.md.
"""

from ikaros.competing_risks._validation import CompetingRisksInputError
from ikaros.competing_risks.cuminc import CumincCurve, CumincResult, cuminc
from ikaros.competing_risks.finegray import FineGrayResult, fine_gray
from ikaros.competing_risks.gray import gray_test

__all__ = [
    "CompetingRisksInputError",
    "CumincCurve",
    "CumincResult",
    "FineGrayResult",
    "cuminc",
    "fine_gray",
    "gray_test",
]
