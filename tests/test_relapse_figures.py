"""Figures: non-empty PNG and PDF, reproducible PDFs, numbers at risk by hand."""

import numpy as np
import pandas as pd

from ikaros.competing_risks import cuminc, gray_test
from ikaros.relapse import figures, groups, tables
from ikaros.relapse.settings import RelapseSettings

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_pair(paths):
    png, pdf = paths
    assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 5000
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


def small_cohort(n=120, seed=2):
    rng = np.random.default_rng(seed)
    altered = rng.random(n) < 0.3
    table = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "time_years": rng.uniform(0.1, 10, n).round(2),
            "status": rng.choice([0, 1, 2], n, p=[0.6, 0.3, 0.1]),
            "event": "x",
            "ikzf1_status": np.where(altered, "deleted", "wildtype"),
            "ikzf1_class": np.where(altered, np.where(rng.random(n) < 0.5, "del4-7", "del1-8"), ""),
            "ikzf1plus": np.where(altered & (rng.random(n) < 0.5), "true", "false"),
            "cdkn2a": rng.choice(["none", "mono", "bi"], n),
            "pax5": rng.choice(["none", "mono"], n),
            "subtype": rng.choice(["hyperdiploid", "DUX4", "BCR::ABL1"], n),
            "mrd_eoi": rng.choice([0.0, 1e-3], n),
            "age_years": rng.uniform(1, 18, n),
            "wbc": rng.uniform(1, 100, n),
        }
    )
    table["ikzf1plus_focal"] = table["ikzf1plus"]
    return groups.add_exposures(table, {"hyperdiploid": "favourable"}, RelapseSettings())


def test_numbers_at_risk_by_hand():
    time = np.array([1.0, 2.0, 3.0, 0.5, 4.0])
    group = np.array(["a", "a", "a", "b", "b"])
    counts = figures.at_risk_counts(time, group, ["a", "b"], [0, 1, 2, 3, 4])
    assert counts.loc["a"].tolist() == [3, 3, 2, 1, 0]
    assert counts.loc["b"].tolist() == [2, 1, 1, 1, 1]


def test_cir_figure_writes_png_and_pdf(tmp_path):
    table = small_cohort()
    labels = np.where(table["ikzf1_altered"] == 1, "altered", "not altered")
    fit = cuminc(table["time_years"], table["status"], group=labels)
    paths = figures.cir_figure(
        fit, table["time_years"].to_numpy(), labels, ["not altered", "altered"], "t", 5.0,
        tmp_path / "cir",
    )  # fmt: skip
    check_pair(paths)
    first = paths[1].read_bytes()
    figures.cir_figure(
        fit, table["time_years"].to_numpy(), labels, ["not altered", "altered"], "t", 5.0,
        tmp_path / "cir",
    )  # fmt: skip
    assert paths[1].read_bytes() == first  # no creation date: reruns give identical PDFs


def test_forest_bar_and_oncoprint_figures(tmp_path):
    table = small_cohort()
    fg, _ = tables.finegray_table(table, RelapseSettings())
    check_pair(figures.forest_figure(fg[fg["model"] == "IKZF1 del4-7"], "m", tmp_path / "forest"))
    check_pair(figures.alteration_bar_figure(tables.frequency_table(table), tmp_path / "bar"))
    check_pair(figures.oncoprint_figure(table, "subtype", tmp_path / "onco"))


def test_oncoprint_cell_codes():
    values = pd.Series(["none", "mono", "bi", "true", "", "false"])
    assert figures._altered(values, None).tolist() == [0, 1, 2, 1, 0, 0]
    assert figures._altered(pd.Series(["del4-7", "del1-8"]), "del4-7").tolist() == [1, 0]


def twelve_patients(events, ikzf1plus=True):
    """Clinical sheet and patients table of 12 patients with the given event codes; every
    third has a del4-7, the first two of those IKZF1plus (when `ikzf1plus`)."""
    table = small_cohort(n=12, seed=5)
    clinical = pd.DataFrame(
        {
            "patient_id": table["patient_id"],
            "followup_years": table["time_years"] + 5,
            "event": events,
            "subtype": table["subtype"],
            "mrd_eoi": table["mrd_eoi"],
            "age_years": table["age_years"],
            "wbc": table["wbc"],
        }
    )
    deleted = np.arange(12) % 3 == 0
    plus = deleted & (np.arange(12) < 6) & ikzf1plus
    patients = pd.DataFrame(
        {
            "patient_id": table["patient_id"],
            "ikzf1_status": np.where(deleted, "deleted", "wildtype"),
            "ikzf1_class": np.where(deleted, "del4-7", ""),
            "ikzf1plus": np.where(plus, "true", "false"),
            "ikzf1plus_focal": "false",
        }
    )
    return clinical, patients


def test_cohort_without_relapses_draws_flat_curves_and_zero_cir(tmp_path):
    """Small cohorts may have no relapse at all: cuminc then has no relapse curve; the
    analysis must still write its tables (CIR 0, flagged) and figures."""
    from ikaros.relapse.analysis import run_analysis, write_analysis

    events = np.where(np.arange(12) == 3, "death_in_remission", "censored")
    clinical, patients = twelve_patients(events)
    analysis = run_analysis(clinical, patients, {}, RelapseSettings())
    assert (analysis.cir["relapses"] == 0).all()
    assert (analysis.cir["cir"] == 0).all()
    written = write_analysis(analysis, tmp_path)
    pngs = sorted((tmp_path / "figures").glob("cir_*.png"))
    assert pngs and all(p.stat().st_size > 5000 for p in pngs)
    assert written


def test_all_censored_cohort_gives_noted_tables_and_lists_patients_without_clinical_rows(
    tmp_path,
):
    """Nobody relapsed or died: CIR 0 with a note, Gray's test and the Fine-Gray models marked
    as not possible (no crash, no silent NaN); a tumour without a clinical row is listed in
    dropped_patients.tsv."""
    from ikaros.relapse.analysis import run_analysis, write_analysis

    clinical, patients = twelve_patients(np.full(12, "censored"), ikzf1plus=False)
    extra = {"patient_id": "P_no_clinical", "ikzf1_status": "wildtype", "ikzf1_class": "",
             "ikzf1plus": "false", "ikzf1plus_focal": "false"}  # fmt: skip
    patients = pd.concat([patients, pd.DataFrame([extra])], ignore_index=True)
    analysis = run_analysis(clinical, patients, {}, RelapseSettings())
    assert analysis.dropped.to_dict("records") == [
        {"patient_id": "P_no_clinical", "reason": "no row in the clinical sheet"}
    ]
    assert len(analysis.table) == 12
    altered = analysis.cir[analysis.cir["comparison"] == "IKZF1 alteration"]
    assert list(altered["n"]) == [4, 8] or list(altered["n"]) == [8, 4]
    assert (altered["cir"] == 0).all() and (altered["relapses"] == 0).all()
    assert altered["note"].str.contains("no relapse before the horizon").all()
    one_group = analysis.gray.set_index("comparison").loc["IKZF1plus (focal)"]
    assert one_group["note"] == "fewer than two groups with patients: no test"
    gray = analysis.gray.set_index("comparison").loc["IKZF1 alteration"]
    assert gray["note"] == "no relapse in the comparison: no test" and np.isnan(gray["p_value"])
    fitted = analysis.finegray[analysis.finegray["note"] != "reference"]
    assert fitted["note"].str.startswith("model not fitted").any()
    assert (fitted["note"] != "").all() and fitted["shr"].isna().all()
    written = write_analysis(analysis, tmp_path)
    assert (tmp_path / "dropped_patients.tsv").read_text().splitlines()[1] == (
        "P_no_clinical\tno row in the clinical sheet"
    )
    assert written["figures"]


def test_cir_curves_are_coloured_with_gray_p_in_a_legend_beside_the_plot():
    import matplotlib.pyplot as plt

    table = small_cohort()
    labels = np.where(table["ikzf1_altered"] == 1, "altered", "not altered")
    fit = cuminc(table["time_years"], table["status"], group=labels)
    p = float(gray_test(table["time_years"], table["status"], labels)["p_value"].iloc[0])
    figure = figures.draw_cir(fit, table["time_years"].to_numpy(), labels,
                              ["not altered", "altered"], "t", 5.0, gray_p=p)  # fmt: skip
    curves, at_risk = figure.axes
    legend = curves.get_legend()
    assert legend.get_title().get_text() == f"Gray's P = {p:#.2g}"
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    box, plot = legend.get_window_extent(renderer), curves.get_window_extent(renderer)
    assert box.x0 >= plot.x1  # beside the plot: it cannot cover a curve
    colours = [line.get_color() for line in curves.get_lines() if line.get_label()[0] != "_"]
    assert colours[:2] == list(figures.CURVE_COLOURS[:2])
    assert at_risk.get_xlim() == curves.get_xlim()  # numbers at risk under their years
    plt.close(figure)


def test_optional_cir_bands_are_the_tables_confidence_limits():
    """With bands, each curve is shaded between its pointwise log(-log) limits; at the
    horizon the band's edges are the CIR table's 95% CI of that group."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    table = small_cohort()
    labels = np.where(table["ikzf1_altered"] == 1, "altered", "not altered")
    fit = cuminc(table["time_years"], table["status"], group=labels)
    plain = figures.draw_cir(fit, table["time_years"].to_numpy(), labels,
                             ["not altered", "altered"], "t", 5.0)  # fmt: skip
    assert not [c for c in plain.axes[0].collections if isinstance(c, PolyCollection)]
    figure = figures.draw_cir(fit, table["time_years"].to_numpy(), labels,
                              ["not altered", "altered"], "t", 5.0, bands=0.95)  # fmt: skip
    shaded = [c for c in figure.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(shaded) == 2
    comparisons = {"IKZF1": (pd.Series(labels), ["not altered", "altered"])}
    cir, _ = tables.cir_table(table, comparisons, RelapseSettings())
    for band, group in zip(shaded, ["not altered", "altered"], strict=True):
        heights = band.get_paths()[0].vertices[:, 1]
        assert (heights >= 0).all() and (heights <= 1).all()
        row = cir.set_index("group").loc[group]
        # the limits of the step in force at 5 years are corners of the shaded band
        for limit in (row["ci_lower"], row["ci_upper"]):
            assert np.isclose(heights, limit, atol=1e-9, rtol=0).any(), (group, limit)
    plt.close(plain)
    plt.close(figure)
