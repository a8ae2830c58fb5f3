"""Imported first by every rule script: this workflow's `ikaros` before any installed copy.

Snakemake *appends* workflow/scripts to a job's sys.path, after site-packages, so an ikaros
installed from another clone (`pip install -e`) would be imported instead of the code of the
workflow that runs. This module sits beside the scripts, under a name no install shadows, and
puts its own folder first. Imported for that effect alone.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
