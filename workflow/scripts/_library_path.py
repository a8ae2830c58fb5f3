"""Imported first by every rule script: this workflow's `ikaros` before any installed copy.

Snakemake *appends* workflow/scripts to a job's sys.path, after site-packages, so an ikaros
installed from another clone (`pip install -e`) would be imported instead of the code of the
workflow that runs. Snakemake sets the running script's `__file__` to the script's own path in
this workflow, so its folder is put first. (An editable install of another clone also exposes
that clone's copy of this module; the workflow refuses to start then, see
workflow/rules/common.smk.) Imported for that effect alone.
"""

import sys
from pathlib import Path

_script = getattr(sys.modules.get("__main__"), "__file__", None)
sys.path.insert(0, str(Path(_script or __file__).resolve().parent))
