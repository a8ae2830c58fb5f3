"""The rule scripts' logging: messages and the error that stops a script reach the log file."""

import re
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
    assert lines[-2] == "ValueError: samples.tsv: row 3: bad"
    assert " INFO resources used: peak memory " in lines[-1]


def test_the_last_line_gives_the_peak_memory_of_the_script(tmp_path):
    """300 MB in the script, started by a parent that holds 500 MB: the log counts the 300.

    Linux carries ru_maxrss across fork and exec, so a count taken from it alone would report
    the parent's 500 MB (as Snakemake's or pytest's size would be reported for a rule script).
    """
    log = tmp_path / "rule.log"
    script = (
        f"import sys; sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "from ikaros.logs import log_to\n"
        f"log_to({str(log)!r})\n"
        "block = b'x' * (300 * 2**20)\n"  # 300 MB, every byte written
    )
    parent = (
        "import subprocess, sys\n"
        "held = b'y' * (500 * 2**20)\n"
        f"subprocess.run([sys.executable, '-c', {script!r}], check=True)\n"
    )
    subprocess.run([sys.executable, "-c", parent], check=True)
    last = log.read_text().splitlines()[-1]
    match = re.search(r"resources used: peak memory (\d+) MB, CPU ([\d.]+) s$", last)
    assert match, last
    assert 300 <= int(match[1]) < 400
    assert float(match[2]) >= 0
