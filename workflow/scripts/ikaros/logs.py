"""One logging set-up for every rule script: the rule's log file, with time and level.

An error that stops a script is written to the log file too, with its traceback, so the log
tells why a job failed as well as what it did.
"""

from __future__ import annotations

import logging
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
