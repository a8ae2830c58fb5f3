"""Cohort relapse analysis: outcomes, comparisons, CIR/Gray/Fine-Gray tables, survival,
figures and the self-contained HTML report (issue 6).

- ``settings``: the config's ``relapse`` block with defaults (``RelapseSettings``).
- ``outcomes``: clinical sheet -> years and status (1 relapse, 2 competing, 0 censored).
- ``groups``: exposure columns and the comparisons (IKZF1, IKZF1plus, subtype group, extras).
- ``tables``: frequency.tsv, cir.tsv, gray.tsv, finegray.tsv.
- ``survival``: event-free and overall survival (Kaplan-Meier, log-rank; lifelines).
- ``figures``: CIR curves, forest plots, alteration bar chart, oncoprint-style grid.
- ``report``: one self-contained HTML page and its provenance.
"""
