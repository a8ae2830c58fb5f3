"""One logging set-up for every rule script: the rule's log file, with time and level.

An error that stops a script is written to the log file too, with its traceback, so the log
tells why a job failed as well as what it did. The last line gives the script's peak memory
and CPU time (the kernel's own counts), which is what a cluster profile's resources are sized
from.
"""

from __future__ import annotations

import atexit
import logging
import resource
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(message)s"


def log_to(path: str | Path, level: int = logging.INFO) -> None:
    """Send logging to `path` (replacing any earlier set-up) and log uncaught errors there."""
    logging.basicConfig(filename=str(path), level=level, format=FORMAT, force=True)
    previous = sys.excepthook

    def log_and_raise(kind, value, traceback):
        logging.getLogger("ikaros").critical(
            "stopped by %s: %s", kind.__name__, value, exc_info=(kind, value, traceback)
        )
        previous(kind, value, traceback)

    sys.excepthook = log_and_raise
    atexit.register(log_resources_used)


def log_resources_used() -> None:
    """Log the script's own peak resident memory (or a waited-for child's) and its CPU time."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = max(_own_peak_kb(own), children.ru_maxrss) / 1024  # Linux counts kilobytes
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    logging.getLogger("ikaros").info(
        "resources used: peak memory %.0f MB, CPU %.1f s", peak_mb, cpu
    )


def _own_peak_kb(own: resource.struct_rusage) -> int:
    """The peak of this program's own memory, in kilobytes.

    Linux carries ru_maxrss across fork and exec, so a script started by a large process (the
    Snakemake scheduler, pytest) would report its parent's size; VmHWM belongs to the memory
    map that exec created and counts the script alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return own.ru_maxrss
