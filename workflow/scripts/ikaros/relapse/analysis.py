"""The whole cohort relapse analysis in one call, and writing its outputs.

``run_analysis`` turns the clinical sheet, the IKZF1 calls (patients.tsv) and the subtype risk
groups into every table and fit; ``write_analysis`` writes the tables (TSV) and the figures
(PNG and PDF) into one directory, with fixed file names the report and the rules rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ikaros.relapse import figures, groups, survival, tables
from ikaros.relapse.outcomes import prepare_outcomes
from ikaros.relapse.settings import RelapseSettings

TABLE_FILES = {
    "frequency": "frequency.tsv",
    "cir": "cir.tsv",
    "gray": "gray.tsv",
    "finegray": "finegray.tsv",
    "survival": "survival.tsv",
    "dropped": "dropped_patients.tsv",
    "patients": "analysis_patients.tsv",
}
FIGURE_INDEX = "figures.tsv"  # title, png, pdf: the report shows figures in this order
PATIENT_COLUMNS = (
    "patient_id", "time_years", "event", "status", "ikzf1_status", "ikzf1_class", "ikzf1_altered",
    "ikzf1_del4_7", "ikzf1plus", "ikzf1plus_focal", "subtype", "subtype_group",
)  # fmt: skip


@dataclass
class RelapseAnalysis:
    settings: RelapseSettings
    table: pd.DataFrame  # per patient: outcomes, calls, exposures
    dropped: pd.DataFrame
    comparisons: dict
    frequency: pd.DataFrame
    cir: pd.DataFrame
    gray: pd.DataFrame
    finegray: pd.DataFrame
    survival: pd.DataFrame
    cuminc_fits: dict
    finegray_fits: dict

    def patients(self) -> pd.DataFrame:
        """The per-patient table of the report: analysis columns, then the clinical rest."""
        first = [c for c in PATIENT_COLUMNS if c in self.table.columns]
        rest = [c for c in self.table.columns if c not in first]
        return self.table[first + rest]


def run_analysis(
    clinical: pd.DataFrame,
    patients: pd.DataFrame,
    risk_groups: dict,
    settings: RelapseSettings,
    clinical_source: str = "clinical sheet",
    patients_source: str = "patients table",
) -> RelapseAnalysis:
    outcomes = prepare_outcomes(clinical, settings, source=clinical_source)
    # a tumour without a clinical row has no outcome: listed, not silently left out
    unlisted = sorted(
        set(patients["patient_id"].astype(str)) - set(clinical["patient_id"].astype(str))
    )
    missing = pd.DataFrame({"patient_id": unlisted, "reason": "no row in the clinical sheet"})
    dropped = pd.concat([outcomes.dropped, missing], ignore_index=True)
    merged = groups.merge_calls(outcomes.table, patients)
    table = groups.add_exposures(merged, risk_groups, settings, source=patients_source)
    comps = groups.comparisons(table, settings)
    cir, cuminc_fits = tables.cir_table(table, comps, settings)
    finegray, finegray_fits = tables.finegray_table(table, settings)
    return RelapseAnalysis(
        settings=settings,
        table=table,
        dropped=dropped,
        comparisons=comps,
        frequency=tables.frequency_table(table, settings.subtype_column),
        cir=cir,
        gray=tables.gray_table(table, comps),
        finegray=finegray,
        survival=survival.survival_table(table, comps, settings),
        cuminc_fits=cuminc_fits,
        finegray_fits=finegray_fits,
    )


def slug(name: str) -> str:
    """A file-name-safe version of a comparison or model name."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


FOREST_TITLE = "Forest plot: "  # figure titles of the Fine-Gray models (the report keys on it)


def _gray_p(gray: pd.DataFrame, comparison: str) -> float | None:
    """Gray's P of a comparison's relapse test (None without a test)."""
    rows = gray[(gray["comparison"] == comparison) & (gray["cause"] == "relapse")]
    return float(rows["p_value"].iloc[0]) if len(rows) else None


def write_figures(analysis: RelapseAnalysis, figure_dir: str | Path) -> dict:
    """All figures; returns figure name -> PNG path (the PDF sits beside it)."""
    out = {}
    figure_dir = Path(figure_dir)
    settings = analysis.settings
    for name, (labels, levels) in analysis.comparisons.items():
        if name not in analysis.cuminc_fits:
            continue
        mask = np.array([v is not None for v in labels])
        paths = figures.cir_figure(
            analysis.cuminc_fits[name],
            analysis.table["time_years"].to_numpy()[mask],
            labels[mask].astype(str).to_numpy(),
            levels,
            f"Cumulative incidence of relapse: {name}",
            settings.horizon_years,
            figure_dir / f"cir_{slug(name)}",
            gray_p=_gray_p(analysis.gray, name),
            bands=settings.confidence if settings.cir_bands else None,
        )
        out[f"CIR: {name}"] = paths[0]
    for model in analysis.finegray["model"].drop_duplicates():
        rows = analysis.finegray[analysis.finegray["model"] == model]
        paths = figures.forest_figure(
            rows, f"Fine-Gray model: {model}", figure_dir / f"forest_{slug(model)}"
        )
        out[f"{FOREST_TITLE}{model}"] = paths[0]
    paths = figures.alteration_bar_figure(analysis.frequency, figure_dir / "ikzf1_by_subtype")
    out["IKZF1 deletions by subtype"] = paths[0]
    if analysis.table["ikzf1_altered"].notna().any():
        paths = figures.oncoprint_figure(
            analysis.table, settings.subtype_column, figure_dir / "oncoprint"
        )
        out["IKZF1 class and co-deletions"] = paths[0]
    index = pd.DataFrame(
        {
            "title": list(out),
            "png": [p.name for p in out.values()],
            "pdf": [p.with_suffix(".pdf").name for p in out.values()],
        }  # fmt: skip
    )
    tables.write_tsv(index, figure_dir / FIGURE_INDEX)
    return out


def write_analysis(analysis: RelapseAnalysis, outdir: str | Path) -> dict:
    """Tables (TABLE_FILES) and figures (outdir/figures); returns name -> path."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = {}
    frames = {
        "frequency": analysis.frequency,
        "cir": analysis.cir,
        "gray": analysis.gray,
        "finegray": analysis.finegray,
        "survival": analysis.survival,
        "dropped": analysis.dropped,
        "patients": analysis.patients(),
    }
    for key, frame in frames.items():
        path = outdir / TABLE_FILES[key]
        tables.write_tsv(frame, path)
        written[key] = path
    written["figures"] = write_figures(analysis, outdir / "figures")
    return written
