"""One self-contained HTML page for a cohort's relapse analysis, and its provenance.

Everything is inline: figures as base64 PNG, tables as HTML, one <style> block; no scripts,
stylesheets, fonts or links to anything outside the file. Provenance (effective settings, input
digests, package versions, git commit) is written beside the page as JSON.
"""

from __future__ import annotations

import base64
import html
import json
import os
import platform
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter

from ikaros.dna import SOURCE_FOLDERS
from ikaros.provenance import file_digest, git_commit
from ikaros.relapse.analysis import FIGURE_INDEX, FOREST_TITLE, TABLE_FILES
from ikaros.relapse.settings import RelapseSettings
from ikaros.relapse.table_one import table_one
from ikaros.subtypes.report import (
    RESEARCH_USE,
    frequency_figure,
    oncoprint_figure,
    subtype_frequencies,
    treatment_flags,
)
from ikaros.tables import read_text_table

PACKAGES = ("numpy", "pandas", "scipy", "lifelines", "matplotlib", "snakemake", "ikaros")
STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #111; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; font-size: 12px; margin: 0.5em 0 1.5em 0; }
th, td { border: 1px solid #999; padding: 2px 6px; text-align: right; }
th { background: #eee; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0 2em 0; }
figure img { max-width: 100%; }
.scroll { max-height: 480px; overflow: auto; }
.note { color: #444; font-size: 13px; }
table.patients th { cursor: pointer; }
table.patients th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.patients th[aria-sort="descending"]::after { content: " \\25BC"; }
#patient-filter { margin: 0.5em 0; padding: 2px 4px; width: 20em; }
.model { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.model figure { margin: 0; flex: 1 1 300px; max-width: 430px; }
@media print {
  body { max-width: none; margin: 0; font-size: 11px; }
  h2 { page-break-before: always; }
  h1 + h2 { page-break-before: avoid; }
  table, figure { page-break-inside: avoid; }
  .scroll { max-height: none; overflow: visible; }
  #patient-filter, a[download] { display: none; }
}
"""
# Sorting (click a column header) and filtering (type in the box) of the patient table; plain
# JavaScript inside the page, no library, no network.
PATIENT_TABLE_SCRIPT = """
(function () {
  var table = document.querySelector("table.patients");
  var filter = document.getElementById("patient-filter");
  if (!table || !filter) { return; }
  var body = table.tBodies[0];
  filter.addEventListener("input", function () {
    var needle = filter.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (row) {
      row.style.display = row.textContent.toLowerCase().indexOf(needle) >= 0 ? "" : "none";
    });
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    header.addEventListener("click", function () {
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""
# the patient table's columns (the full analysis table is a download)
PATIENT_TABLE_COLUMNS = (
    "patient_id", "ikzf1_status", "ikzf1_class", "ikzf1_exons_deleted", "ikzf1plus", "cdkn2a",
    "cdkn2b", "pax5", "par1", "erg", "subtype", "subtype_group", "event", "time_years",
)  # fmt: skip


def package_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def read_tsv(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])


def load_results(relapse_dir: str | Path) -> dict:
    """The tables written by ``write_analysis`` plus the figure index."""
    relapse_dir = Path(relapse_dir)
    out = {key: read_tsv(relapse_dir / name) for key, name in TABLE_FILES.items()}
    index = read_tsv(relapse_dir / "figures" / FIGURE_INDEX)
    out["figures"] = [
        (row.title, relapse_dir / "figures" / row.png) for row in index.itertuples(index=False)
    ]
    return out


def _percent(value) -> str:
    return "" if pd.isna(value) else f"{100 * value:.1f}%"


def format_p(value) -> str:
    """P with two significant figures, "< 0.001" below that, empty when missing."""
    if pd.isna(value):
        return ""
    return "< 0.001" if value < 0.001 else f"{value:#.2g}"


def p_phrase(value) -> str:
    """ "P = 0.037" or "P < 0.001" for a sentence; empty when missing."""
    p = format_p(value)
    return "" if not p else f"P {p}" if p.startswith("<") else f"P = {p}"


def _shr_cell(row) -> str:
    if pd.isna(row.shr):
        return ""
    return f"{row.shr:.2f} ({row.ci_lower:.2f}-{row.ci_upper:.2f})"


def findings(results: dict, settings: RelapseSettings) -> list[str]:
    """One sentence per comparison (CIR +- SE per group at the horizon, Gray's P) and per
    Fine-Gray model (the sHR of its first term), written from the tables."""
    horizon = f"{settings.horizon_years:g}-year"
    gray = results["gray"]
    gray = gray[gray["cause"] == "relapse"].set_index("comparison")["p_value"]
    lines = []
    for comparison, rows in results["cir"].groupby("comparison", sort=False):
        groups = [
            f"{_percent(r.cir)} ± {_percent(r.se)} ({r.group}, n = {r.n})"
            if r.estimable else f"not estimable ({r.group}, n = {r.n})"
            for r in rows.itertuples(index=False)
        ]  # fmt: skip
        p = p_phrase(gray.get(comparison, float("nan")))
        test = f"; Gray's {p}" if p else ""
        lines.append(f"{comparison}: {horizon} CIR {' vs '.join(groups)}{test}.")
    fg = results["finegray"]
    for model, rows in fg.groupby("model", sort=False):
        term = rows["term"].iloc[0]
        for r in rows[(rows["term"] == term) & (rows["note"] != "reference")].itertuples():
            if pd.isna(r.shr):
                lines.append(f"Fine-Gray model {model}: {term} {r.level} not estimated ({r.note}).")
                continue
            lines.append(
                f"Fine-Gray model {model}: {term} {r.level} vs {r.reference}, adjusted sHR "
                f"{r.shr:.2f} (95% CI {r.ci_lower:.2f}-{r.ci_upper:.2f}), {p_phrase(r.p_value)}."
            )
    return lines


def cir_display(cir: pd.DataFrame) -> pd.DataFrame:
    """The CIR table as a paper prints it: percentages with one decimal."""
    return pd.DataFrame({
        "comparison": cir["comparison"], "group": cir["group"], "n": cir["n"],
        "relapses": cir["relapses"], "competing events": cir["competing"],
        "CIR (95% CI)": [
            f"{_percent(r.cir)} ({_percent(r.ci_lower)}-{_percent(r.ci_upper)})"
            if r.estimable and pd.notna(r.ci_lower) else (_percent(r.cir) if r.estimable else "")
            for r in cir.itertuples(index=False)
        ],
        "SE": [_percent(v) for v in cir["se"]],
        "note": cir["note"].fillna(""),
    })  # fmt: skip


# The frequency table's columns, in order: (section, level) -> column title. The two-way
# "IKZF1 class" split (del4-7 / other deletion) is the deletion classes summed, so it is left
# to the TSV.
FREQUENCY_COLUMNS = {
    ("IKZF1 alteration", "IKZF1 altered"): "IKZF1 altered",
    **{("IKZF1 deletion class", c): c
       for c in ("del4-7", "del2-7", "del2-8", "del4-8", "del1-8", "other")},
    ("IKZF1plus", "IKZF1plus"): "IKZF1plus",
    ("IKZF1plus", "IKZF1plus focal"): "IKZF1plus focal",
}  # fmt: skip


def frequency_display(frequency: pd.DataFrame) -> pd.DataFrame:
    """One row per subtype (all patients first), one column per alteration: "n (percent)" of
    the subtype's assessable patients, a class no patient has left out."""
    subtypes = list(dict.fromkeys(frequency["subtype"]))
    denominators = frequency.drop_duplicates("subtype").set_index("subtype")["denominator"]
    counts = frequency.set_index(["subtype", "section", "level"])["n"]
    present = set(zip(frequency["section"], frequency["level"], strict=True))
    table = {"subtype": subtypes, "patients": [int(denominators[s]) for s in subtypes]}
    for key, title in FREQUENCY_COLUMNS.items():
        if key not in present:
            continue
        cells = []
        for subtype in subtypes:
            n = int(counts.get((subtype, *key), 0))
            total = int(denominators[subtype])
            cells.append(f"{n} ({_percent(n / total)})" if total else "")
        table[title] = cells
    return pd.DataFrame(table)


def survival_display(survival: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan-Meier table as a paper prints it: survival at the horizon in percent with
    its 95% CI, the log-rank P once per comparison."""
    new_endpoint = survival["endpoint"] != survival["endpoint"].shift()
    first = new_endpoint | (survival["comparison"] != survival["comparison"].shift())
    return pd.DataFrame({
        "endpoint": survival["endpoint"].where(new_endpoint, ""),
        "comparison": survival["comparison"].where(first, ""),
        "group": survival["group"], "n": survival["n"], "events": survival["events"],
        "survival (95% CI)": [
            f"{_percent(r.survival)} ({_percent(r.ci_lower)}-{_percent(r.ci_upper)})"
            if _true(r.estimable) and pd.notna(r.ci_lower) else
            (_percent(r.survival) if _true(r.estimable) else "")
            for r in survival.itertuples(index=False)
        ],
        "log-rank P": [format_p(p) if f else "" for p, f in
                       zip(survival["logrank_p"], first, strict=True)],
        "note": survival["note"].fillna(""),
    })  # fmt: skip


def _true(value) -> bool:
    """A boolean cell read from a TSV (True, "true") or written in memory."""
    return str(value).strip().lower() == "true"


def gray_display(gray: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "comparison": gray["comparison"], "cause": gray["cause"], "groups": gray["groups"],
        "n": gray["n"],
        "statistic": ["" if pd.isna(v) else f"{v:.2f}" for v in gray["statistic"]],
        "df": ["" if pd.isna(v) else f"{int(v)}" for v in gray["df"]],
        "P": [format_p(v) for v in gray["p_value"]],
        "note": gray["note"].fillna(""),
    })  # fmt: skip


def finegray_display(rows: pd.DataFrame) -> pd.DataFrame:
    """One model's table: term, level (reference marked), n, events, sHR (95% CI), P, global P,
    and the notes when any row has one."""
    table = pd.DataFrame({
        "term": rows["term"].where(rows["term"] != rows["term"].shift(), ""),
        "level": [f"{r.level} (reference)" if r.note == "reference" else str(r.level)
                  for r in rows.itertuples(index=False)],
        "n": rows["n"], "events": rows["events"],
        "sHR (95% CI)": [_shr_cell(r) for r in rows.itertuples(index=False)],
        "P": [format_p(v) for v in rows["p_value"]],
        "global P": [format_p(v) if first else "" for v, first in
                     zip(rows["global_p"], rows["term"] != rows["term"].shift(), strict=True)],
        "note": [("" if n == "reference" else n) for n in rows["note"].fillna("")],
    })  # fmt: skip
    return table if (table["note"] != "").any() else table.drop(columns="note")


def table_one_display(table: pd.DataFrame) -> pd.DataFrame:
    altered, other = table.iloc[0]["altered"], table.iloc[0]["not_altered"]
    return pd.DataFrame({
        "characteristic": table["characteristic"], "": table["level"],
        f"IKZF1 altered (n = {altered})": table["altered"],
        f"IKZF1 not altered (n = {other})": table["not_altered"],
        "P": [format_p(v) for v in table["p_value"]], "test": table["test"],
    }).iloc[1:]  # fmt: skip


def finegray_section(finegray: pd.DataFrame, figures: dict | None = None) -> list[str]:
    """One compact table per model, with its patients used and omitted, and its forest plot
    beside it (`figures`: title -> PNG, the forest plots titled "Forest plot: <model>")."""
    h = html.escape
    figures = figures or {}
    parts = []
    for model, rows in finegray.groupby("model", sort=False):
        used, omitted = rows["n_used"].iloc[0], rows["n_omitted"].iloc[0]
        forest = figures.get(f"{FOREST_TITLE}{model}")
        parts += [
            f"<h3>{h(str(model))}</h3>",
            f'<p class="note">{used} patients in the model, {omitted} omitted for a missing '
            "covariate.</p>",
            '<div class="model">',
            _table_html(finegray_display(rows.reset_index(drop=True)), fold=True),
            _figure_html(f"{FOREST_TITLE}{model}", forest) if forest is not None else "",
            "</div>",
        ]
    return parts


def _cell_text(value) -> str:
    if pd.isna(value):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}"
    return str(value)


def patient_table_html(table: pd.DataFrame, calls: pd.DataFrame | None = None) -> str:
    """The sortable patient table; a patient whose DNA call came from a BAM, CNVkit or SEG
    links its exon ratio chart (copy_number/{sample}/..., beside the report)."""
    h = html.escape
    columns = [c for c in PATIENT_TABLE_COLUMNS if c in table.columns]
    charts = {}
    if calls is not None and {"sample_id", "dna_evidence"} <= set(calls.columns):
        for row in calls.itertuples(index=False):
            if row.dna_evidence in SOURCE_FOLDERS and row.sample_id:
                folder = SOURCE_FOLDERS[row.dna_evidence]
                charts[row.patient_id] = f"copy_number/{row.sample_id}/{folder}exon_ratios.png"
    head = "".join(f"<th>{h(c)}</th>" for c in columns)
    body = []
    for row in table[columns].itertuples(index=False):
        cells = []
        for column, value in zip(columns, row, strict=True):
            text = _cell_text(value)
            if column == "patient_id" and text in charts:
                text = f'<a href="{h(charts[text])}">{h(text)}</a>'
            else:
                text = h(text)
            cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="scroll"><table class="patients"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def tsv_download(frame: pd.DataFrame, name: str) -> str:
    """A link that saves `frame` as `name` from the page itself (no network)."""
    data = base64.b64encode(frame.to_csv(sep="\t", index=False).encode()).decode("ascii")
    return (
        f'<p class="note"><a download="{html.escape(name)}" '
        f'href="data:text/tab-separated-values;base64,{data}">{html.escape(name)}</a> '
        "(the full table)</p>"
    )


def _list_html(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def fold_constant_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A table without the columns that are the same in every row (of two or more), and
    those columns as 'name: value' lines for a note above it; empty ones are dropped."""
    if len(frame) < 2:
        return frame, []
    constant = [c for c in frame.columns if frame[c].astype(str).nunique(dropna=False) == 1]
    if len(constant) == len(frame.columns):
        return frame, []
    lines = [
        f"{c}: {_cell_text(frame[c].iloc[0])}"
        for c in constant
        if _cell_text(frame[c].iloc[0]) != "" and str(c) != ""
    ]
    return frame.drop(columns=constant), lines


def _table_html(frame: pd.DataFrame, scroll: bool = False, fold: bool = False) -> str:
    note = ""
    if fold:
        frame, lines = fold_constant_columns(frame)
        if lines:
            note = f'<p class="note">In every row: {html.escape("; ".join(lines))}.</p>'
    body = frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0)
    return note + (f'<div class="scroll">{body}</div>' if scroll else body)


def _figure_html(title: str, png: Path | bytes) -> str:
    raw = png if isinstance(png, bytes) else Path(png).read_bytes()
    data = base64.b64encode(raw).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(title)}</figcaption></figure>"
    )


def median_followup(patients: pd.DataFrame) -> float:
    """Median follow-up by reverse Kaplan-Meier (censoring as the event)."""
    if patients.empty:
        return float("nan")
    fitter = KaplanMeierFitter().fit(
        patients["time_years"], (patients["event"] == "censored").astype(int)
    )
    return float(fitter.median_survival_time_)


def cohort_summary(results: dict, settings: RelapseSettings) -> pd.DataFrame:
    patients, dropped = results["patients"], results["dropped"]
    assessable = patients["ikzf1_altered"].notna()
    n_assessable = int(assessable.sum())
    altered = int((patients["ikzf1_altered"] == 1).sum())
    plus = int((patients["ikzf1plus"] == 1).sum())
    overall = results["cir"]
    headline = overall[overall["comparison"] == "IKZF1 alteration"]
    rows = [
        ("Patients analysed", len(patients)),
        ("Patients dropped (listed below)", len(dropped)),
        ("Median follow-up (reverse Kaplan-Meier), years", f"{median_followup(patients):.2f}"),
        ("Relapses", int((patients["status"] == 1).sum())),
        ("Competing events", int((patients["status"] == 2).sum())),
        ("Censored", int((patients["status"] == 0).sum())),
        ("IKZF1 assessable", n_assessable),
        ("IKZF1 altered", f"{altered} ({100 * altered / max(n_assessable, 1):.1f}%)"),
        ("IKZF1plus", f"{plus} ({100 * plus / max(n_assessable, 1):.1f}%)"),
    ]
    for row in headline.itertuples(index=False):
        value = (
            f"{_percent(row.cir)} (95% CI {_percent(row.ci_lower)}-{_percent(row.ci_upper)})"
            if row.estimable
            else "not estimable"
        )
        rows.append((f"{settings.horizon_years:g}-year CIR, {row.group}", value))
    return pd.DataFrame(rows, columns=["measure", "value"]).astype(str)


def methods_text(settings: RelapseSettings, versions: dict) -> str:
    competing = " and ".join(e.replace("_", " ") for e in settings.competing) or "none"
    covariates = ", ".join(
        f"{c.name} ({c.kind}{f', >= {c.threshold:g}' if c.kind == 'binary' else ''}"
        f"{f', reference {c.reference}' if c.kind == 'categorical' else ''})"
        for c in settings.covariates
    )
    subtype = (
        f"the subtype risk group (reference {settings.subtype_reference}), "
        if settings.adjust_for_subtype_group
        else ""
    )
    return (
        "Time was measured from diagnosis (time origin) to the first event or last contact, "
        f"converted to years from the clinical sheet's {settings.time_unit}. Relapse at any site "
        f"was the event of interest; {competing} were competing events; all other patients were "
        "censored at last contact. The cumulative incidence of relapse (CIR) was estimated by the "
        "Aalen-Johansen (Kalbfleisch-Prentice) estimator with the Aalen-type variance of R "
        "cmprsk, and is reported at "
        f"{settings.horizon_years:g} years with {100 * settings.confidence:g}% confidence "
        "intervals on the log(-log) scale; groups followed for less than the horizon are marked "
        "not estimable. Groups were compared by Gray's test. Fine-Gray proportional "
        "subdistribution hazards models (cmprsk crr algorithm, sandwich variance) were adjusted "
        f"for {subtype}{covariates}; categorical covariates were dummy-coded against the stated "
        "reference level, and each factor has a global Wald test from the covariance matrix. "
        "Patients with a missing covariate were omitted from that model (counted in the table). "
        "Event-free and overall survival were estimated by Kaplan-Meier (Greenwood variance, "
        "log(-log) intervals) and compared by log-rank tests (lifelines "
        f"{versions.get('lifelines')}). Software: Python {versions.get('python')}, numpy "
        f"{versions.get('numpy')}, pandas {versions.get('pandas')}, scipy {versions.get('scipy')}, "
        f"matplotlib {versions.get('matplotlib')}, ikaros {versions.get('ikaros')}."
    )


def _cir_cell(row) -> str:
    if not row.estimable:
        return "not estimable"
    return f"{_percent(row.cir)} ({_percent(row.ci_lower)}-{_percent(row.ci_upper)}), n={row.n}"


def key_estimates(results: dict) -> pd.DataFrame:
    """measure -> value: CIR per comparison group, Gray p (relapse), exposure sHRs."""
    rows = []
    for row in results["cir"].itertuples(index=False):
        rows.append((f"CIR: {row.comparison} / {row.group}", _cir_cell(row)))
    gray = results["gray"]
    for row in gray[gray["cause"] == "relapse"].itertuples(index=False):
        rows.append((f"Gray P: {row.comparison}", format_p(row.p_value)))
    fg = results["finegray"]
    first_terms = fg.groupby("model", sort=False)["term"].first()
    for model, term in first_terms.items():
        hit = fg[(fg["model"] == model) & (fg["term"] == term) & (fg["note"] != "reference")]
        for row in hit.itertuples(index=False):
            value = "" if pd.isna(row.shr) else f"{_shr_cell(row)}, P {format_p(row.p_value)}"
            rows.append((f"sHR: {model} / {term} {row.level}", value))
    return pd.DataFrame(rows, columns=["measure", "value"])


def side_by_side(results: dict, name: str, validation: dict, validation_name: str):
    a = key_estimates(results).rename(columns={"value": name})
    b = key_estimates(validation).rename(columns={"value": validation_name})
    # Keep the first cohort's order; measures only the validation cohort has go last.
    merged = a.merge(b, on="measure", how="left")
    extra = b[~b["measure"].isin(a["measure"])]
    return pd.concat([merged, extra], ignore_index=True).fillna("")[
        ["measure", name, validation_name]
    ]


def subtype_frequency_display(frequencies: pd.DataFrame) -> pd.DataFrame:
    """Patients per derived subtype with their share of the cohort, and the IKZF1-altered ones
    with their share of the subtype, one decimal."""
    return pd.DataFrame({
        "subtype": frequencies["subtype"],
        "patients (% of cohort)": [f"{n} ({p:.1f}%)" for n, p in
                                   zip(frequencies["patients"], frequencies["percent"],
                                       strict=True)],
        "IKZF1 altered (% of subtype)": [f"{n} ({p:.1f}%)" for n, p in
                                         zip(frequencies["ikzf1_altered"],
                                             frequencies["ikzf1_altered_percent"], strict=True)],
    })  # fmt: skip


def subtype_section(patients: pd.DataFrame, concordance: pd.DataFrame | None) -> list[str]:
    """HTML parts of the subtype section (empty without derived subtypes)."""
    if "subtype" not in patients.columns:
        return []
    h = html.escape
    frequencies = subtype_frequencies(patients)
    flags = treatment_flags(patients)
    parts = [
        "<h2>Genomic subtypes</h2>",
        '<p class="note">Derived from the pipeline\'s own evidence by the rule hierarchy of '
        "ikaros.subtypes (defining fusions, ploidy and iAMP21, defining mutations, expression "
        "classes, an imported classifier label); each patient's evidence is in patients.tsv "
        "(subtype_evidence).</p>",
        _table_html(subtype_frequency_display(frequencies)),
        _figure_html("Patients and IKZF1-altered patients by derived subtype",
                     frequency_figure(frequencies)),
        _figure_html("Oncoprint: lesions by patient, grouped by derived subtype",
                     oncoprint_figure(patients)),
    ]  # fmt: skip
    if concordance is not None and len(concordance):
        for compared, table in concordance.groupby("compared", sort=True):
            counts = pd.to_numeric(table["patients"])
            agree = int(counts[table["agree"] == "true"].sum())
            parts += [
                f"<h3>Concordance with the {h(str(compared))} subtype</h3>",
                f"<p>{agree} of {int(counts.sum())} patients agree.</p>",
                _table_html(table.drop(columns=["compared"])),
            ]
    parts += [
        "<h3>Flags with treatment relevance</h3>",
        f'<p class="note"><strong>{h(RESEARCH_USE)}</strong></p>',
        _table_html(flags) if len(flags) else "<p>No patient flagged.</p>",
    ]
    return parts


def qc_failures(patients: pd.DataFrame) -> pd.DataFrame:
    """Patients whose tumour BAM failed QC (``ikaros.qc.DEPTH_FLAGS``), with the reason."""
    notes = patients.get("notes", pd.Series("", index=patients.index)).fillna("")
    failed = notes.str.contains("DNA failed QC", regex=False)
    columns = [c for c in ("patient_id", "sample_id", "ikzf1_status", "notes") if c in patients]
    return patients.loc[failed, columns].reset_index(drop=True)


def build_report(
    cohort: str,
    results: dict,
    settings: RelapseSettings,
    versions: dict,
    validation: dict | None = None,
    validation_name: str | None = None,
    patients: pd.DataFrame | None = None,
    concordance: pd.DataFrame | None = None,
    bundle: str | None = None,
) -> str:
    """The report page as one HTML string; `patients` (patients.tsv) and `concordance`
    (subtype_concordance.tsv) add the subtype section; `bundle` (the provenance folder,
    relative to the page) the reproduce section."""
    h = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ikaros relapse report: {h(cohort)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Relapse analysis: cohort {h(cohort)}</h1>",
        "<h2>Findings</h2>",
        _list_html(findings(results, settings)),
    ]
    if validation is not None:
        parts += [
            f"<h3>Validation cohort {h(validation_name or 'validation')}</h3>",
            _list_html(findings(validation, settings)),
        ]
    parts += [
        "<h2>Cohort summary</h2>",
        _table_html(cohort_summary(results, settings)),
        "<h2>Table 1: patient characteristics by IKZF1 status</h2>",
        _table_html(table_one_display(table_one(results["patients"]))),
        "<h2>Methods</h2>",
        f"<p>{h(methods_text(settings, versions))}</p>",
    ]
    if validation is not None:
        parts += [
            f"<h2>Validation: {h(cohort)} and {h(validation_name or 'validation')}</h2>",
            '<p class="note">Key estimates of both cohorts side by side.</p>',
            _table_html(side_by_side(results, cohort, validation, validation_name or "validation")),
        ]
    parts += [
        "<h2>IKZF1 alteration frequencies</h2>",
        '<p class="note">Patients with each alteration among the assessable patients of each '
        "subtype group.</p>",
        _table_html(frequency_display(results["frequency"]), fold=True),
        tsv_download(results["frequency"], "frequency.tsv"),
        f"<h2>Cumulative incidence of relapse at {settings.horizon_years:g} years</h2>",
        _table_html(cir_display(results["cir"]), fold=True),
        tsv_download(results["cir"], "cir.tsv"),
        "<h2>Gray's test</h2>",
        _table_html(gray_display(results["gray"]), fold=True),
        tsv_download(results["gray"], "gray.tsv"),
        "<h2>Fine-Gray models</h2>",
        *finegray_section(results["finegray"], dict(results["figures"])),
        tsv_download(results["finegray"], "finegray.tsv"),
        f"<h2>Event-free and overall survival at {settings.horizon_years:g} years</h2>",
        _table_html(survival_display(results["survival"]), fold=True),
        tsv_download(results["survival"], "survival.tsv"),
    ]
    if patients is not None:
        parts += subtype_section(patients, concordance)
    parts.append("<h2>Figures</h2>")
    parts += [
        _figure_html(title, png)
        for title, png in results["figures"]
        if not title.startswith(FOREST_TITLE)  # beside their model's table
    ]
    parts += [
        "<h2>Patients left out</h2>",
        _table_html(results["dropped"]) if len(results["dropped"]) else "<p>None.</p>",
    ]
    failed = qc_failures(patients) if patients is not None else None
    if failed is not None and len(failed):
        parts += [
            "<h2>Tumour BAMs that failed QC</h2>",
            '<p class="note">Not called from their BAM: IKZF1 is not assessable unless RNA or '
            "another DNA source made the call.</p>",
            _table_html(failed),
        ]
    parts += [
        "<h2>Per-patient table</h2>",
        '<p class="note">Click a column to sort; type to filter. Exon ratio charts of the '
        "tumours with a DNA call are linked from the patient ID.</p>",
        '<input id="patient-filter" type="search" placeholder="filter patients">',
        patient_table_html(results["patients"], patients),
        tsv_download(results["patients"], "analysis_patients.tsv"),
    ]
    if bundle is not None:
        parts += [
            "<h2>Reproduce</h2>",
            f'<p>The <a href="{h(bundle)}/">provenance bundle</a> beside this report holds the '
            f'<a href="{h(bundle)}/config.yaml">config</a>, the sheets and input tables, the '
            f'resource tables, the <a href="{h(bundle)}/versions.json">versions and commit</a>, '
            f'the <a href="{h(bundle)}/checksums.sha256">checksums</a> of every table and '
            f"figure, and <code>{h(bundle)}/reproduce.sh</code>, which reruns the cohort in a "
            "new directory and checks them.</p>",
        ]
    parts.append(f"<script>{PATIENT_TABLE_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def provenance(
    cohort: str,
    settings: RelapseSettings,
    inputs: dict,
    config: dict | None = None,
    repo_dir: str | Path | None = None,
) -> dict:
    """Effective settings, input digests, package versions and the git commit."""
    repo_dir = repo_dir or Path(__file__).resolve().parents[4]
    return {
        "cohort": cohort,
        "relapse_settings": settings.effective(),
        "config": config or {},
        "inputs": {
            name: {"path": str(path), "sha256": file_digest(path)}
            for name, path in sorted(inputs.items())
        },
        "versions": package_versions(),
        "git": git_commit(repo_dir),
    }


def write_report(
    path: str | Path,
    provenance_path: str | Path,
    cohort: str,
    relapse_dir: str | Path,
    settings: RelapseSettings,
    inputs: dict,
    config: dict | None = None,
    validation_dir: str | Path | None = None,
    validation_name: str | None = None,
    bundle: str | Path | None = None,
) -> None:
    """Write report.html and its provenance JSON; `bundle` is the provenance folder."""
    results = load_results(relapse_dir)
    validation = load_results(validation_dir) if validation_dir else None
    record = provenance(cohort, settings, inputs, config)
    patients = _read_text(inputs["patients"]) if "patients" in inputs else None
    concordance = _read_text(inputs["concordance"]) if "concordance" in inputs else None
    page = build_report(cohort, results, settings, record["versions"], validation,
                        validation_name, patients, concordance,
                        os.path.relpath(bundle, Path(path).parent) if bundle else None)  # fmt: skip
    Path(path).write_text(page, encoding="utf-8")
    Path(provenance_path).write_text(
        json.dumps(record, indent=2, sort_keys=True, default=_json_default) + "\n",
        encoding="utf-8",
    )


def _read_text(path: str | Path) -> pd.DataFrame:
    """A table as written (true/false stay words, empty stays empty)."""
    return read_text_table(path, "table", comments=True)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
