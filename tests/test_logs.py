"""The rule scripts' logging: messages and the error that stops a script reach the log file."""

import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def test_messages_and_an_uncaught_error_reach_the_log_file(tmp_path):
    log = tmp_path / "rule.log"
    program = (
        f"import sys; sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "import logging\n"
        "from ikaros.logs import log_to\n"
        f"log_to({str(log)!r})\n"
        "logging.getLogger('ikaros.test').info('sample S1: 1831 bins')\n"
        "raise ValueError('samples.tsv: row 3: bad')\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 1
    assert "ValueError: samples.tsv: row 3: bad" in result.stderr  # still on stderr
    lines = log.read_text().splitlines()
    assert lines[0].endswith(" INFO sample S1: 1831 bins")
    assert " CRITICAL stopped by ValueError: samples.tsv: row 3: bad" in lines[1]
    assert lines[-1] == "ValueError: samples.tsv: row 3: bad"
