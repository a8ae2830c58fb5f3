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
    log = tmp_path / "rule.log"
    program = (
        f"import sys; sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "from ikaros.logs import log_to\n"
        f"log_to({str(log)!r})\n"
        "block = b\"x\" * (300 * 2**20)\n"  # 300 MB, every byte written
    )
    subprocess.run([sys.executable, "-c", program], check=True)
    last = log.read_text().splitlines()[-1]
    match = re.search(r"resources used: peak memory (\d+) MB, CPU ([\d.]+) s$", last)
    assert match, last
    assert 300 <= int(match[1]) < 400
    assert float(match[2]) >= 0
