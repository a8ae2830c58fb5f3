"""ikaros: IKZF1 alterations, IKZF1plus and relapse analysis for pediatric B-ALL cohorts.

The library is pure Python: it never imports snakemake, so every function can be unit tested
and reused outside the workflow. The rule scripts in ``workflow/scripts`` are thin wrappers.
"""

__version__ = "0.1.0"
