"""Sex inference from the coverage of chrX and chrY control bins.

The median fragment density (fragments per bp) of control bins on chrX outside the
pseudoautosomal regions, and of control bins on chrY, is divided by the median density of
autosomal control bins (medians, so a few bins in repeats or in a tumour's copy-number change
do not move the ratio):

- ``chrx_ratio``: about 1 with two X chromosomes, about 0.5 with one.
- ``chry_ratio``: about 0.5 with one Y chromosome (one copy against two autosomal copies),
  near 0 without (residual mismapped reads).

A Y signal decides ``male`` whatever the X ratio (XXY, and male leukemias that gain an X, as
high hyperdiploid ALL often does). Two X and no Y give ``female``. Everything else is
``uncertain``: one X and no Y (a male whose leukaemia lost the Y, or X0), ratios between the
expected levels, or too few fragments to measure them. Without chrY bins in the panel the
X ratio alone decides.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ikaros.genome import BUILDS

SEXES = ("female", "male")
UNCERTAIN = "uncertain"


def sheet_male(sex) -> bool | None:
    """A sheet's sex cell as male (True), female (False) or unknown (None: to be inferred)."""
    return {"male": True, "female": False}.get(str(sex or "").strip().lower())


# Pseudoautosomal regions (1-based inclusive), PAR1 and PAR2 on chrX and chrY per build.
PSEUDOAUTOSOMAL = {
    "GRCh37": {
        "chrX": ((60_001, 2_699_520), (154_931_044, 155_260_560)),
        "chrY": ((10_001, 2_649_520), (59_034_050, 59_363_566)),
    },
    "GRCh38": {
        "chrX": ((10_001, 2_781_479), (155_701_383, 156_030_895)),
        "chrY": ((10_001, 2_781_479), (56_887_903, 57_217_415)),
    },
}

_AUTOSOMES = tuple(f"chr{i}" for i in range(1, 23))


@dataclass(frozen=True)
class SexThresholds:
    """Ratio cut-offs and the minimum signal needed for a call."""

    female_min_x: float = 0.8  # chrX ratio at or above: two X
    male_max_x: float = 0.65  # chrX ratio at or below: one X
    male_min_y: float = 0.2  # chrY ratio at or above: Y present
    female_max_y: float = 0.05  # chrY ratio at or below: Y absent
    # Fragments needed in autosomal controls, and expected in chrX controls with two X and in
    # chrY controls with one Y, for a ratio to be usable.
    min_control_fragments: float = 100

    @classmethod
    def from_mapping(cls, values, source: str = "sex thresholds") -> SexThresholds:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{source}: unknown key(s) {', '.join(unknown)}")
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{source}: {name} must be a number >= 0, got {value!r}")
        return cls(**values)


@dataclass(frozen=True)
class SexCall:
    sex: str  # female | male | uncertain
    chrx_ratio: float | None
    chry_ratio: float | None
    reason: str


def pseudoautosomal_mask(table: pd.DataFrame, build: str | None = None) -> np.ndarray:
    """Bins overlapping a pseudoautosomal region; without a build, those of either build."""
    if build is not None and build not in BUILDS:
        raise ValueError(f"unknown genome build {build!r}; expected one of {', '.join(BUILDS)}")
    builds = [build] if build else list(BUILDS)
    mask = np.zeros(len(table), dtype=bool)
    chrom = table["chrom"].to_numpy()
    start = table["start"].to_numpy()
    end = table["end"].to_numpy()
    for name in builds:
        for contig, regions in PSEUDOAUTOSOMAL[name].items():
            for par_start, par_end in regions:
                mask |= (chrom == contig) & (start <= par_end) & (end >= par_start)
    return mask


def infer_sex(
    coverage: pd.DataFrame,
    thresholds: SexThresholds | None = None,
    build: str | None = None,
) -> SexCall:
    """Infer sex from a coverage table (panel columns + fragments) using its control bins."""
    thresholds = thresholds or SexThresholds()
    control = (coverage["kind"] == "control").to_numpy() & ~pseudoautosomal_mask(coverage, build)
    chrom = coverage["chrom"].to_numpy()
    length = (coverage["end"] - coverage["start"] + 1).to_numpy(dtype=float)
    fragments = coverage["fragments"].to_numpy(dtype=float)

    def totals(selected: np.ndarray) -> tuple[float, float, float | None]:
        """Fragments, bp, and the median per-bin fragment density of the selected bins."""
        if not selected.any():
            return 0.0, 0.0, None
        density = fragments[selected] / length[selected]
        return (
            float(fragments[selected].sum()),
            float(length[selected].sum()),
            float(np.median(density)),
        )

    auto_n, auto_bp, auto_density = totals(control & np.isin(chrom, _AUTOSOMES))
    x_n, x_bp, x_density = totals(control & (chrom == "chrX"))
    y_n, y_bp, y_density = totals(control & (chrom == "chrY"))
    if auto_density is None or x_density is None:
        return SexCall(UNCERTAIN, None, None, "panel has no autosomal or no chrX control bins")
    if auto_density == 0:
        return SexCall(UNCERTAIN, None, None, "no fragments in most autosomal control bins")
    x_ratio = x_density / auto_density
    y_ratio = None if y_density is None else y_density / auto_density
    mean_density = auto_n / auto_bp
    floor = thresholds.min_control_fragments
    if auto_n < floor or mean_density * x_bp < floor:
        return SexCall(
            UNCERTAIN, x_ratio, y_ratio, f"too few fragments in control bins ({auto_n:.0f})"
        )
    y_usable = y_ratio is not None and 0.5 * mean_density * y_bp >= floor
    if y_usable and y_ratio >= thresholds.male_min_y:
        return SexCall("male", x_ratio, y_ratio, "chrY present")
    if y_usable and y_ratio > thresholds.female_max_y:
        return SexCall(UNCERTAIN, x_ratio, y_ratio, "chrY ratio between absent and present")
    if x_ratio >= thresholds.female_min_x:
        return SexCall("female", x_ratio, y_ratio, "two chrX" + (", no chrY" if y_usable else ""))
    if x_ratio <= thresholds.male_max_x:
        if y_usable:
            return SexCall(UNCERTAIN, x_ratio, y_ratio, "one chrX but no chrY (Y loss or X0)")
        return SexCall("male", x_ratio, y_ratio, "one chrX (chrY not measurable)")
    return SexCall(UNCERTAIN, x_ratio, y_ratio, "chrX ratio between one and two copies")
