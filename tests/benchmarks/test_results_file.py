"""benchmarks/results_file.py: one benchmark's section is replaced, the others' are kept."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "results_file.py"
_SPEC = importlib.util.spec_from_file_location("results_file", _PATH)
results_file = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(results_file)

TEXT = """# Top: positions

old positions

## Ingestion

old ingestion
```bash
# a comment in a code block is not a heading
```

## Login flood

old login
"""


def test_a_middle_section_is_replaced_and_the_rest_kept():
    new = results_file.replace_section(TEXT, "## Ingestion\n\nnew ingestion\n")
    assert "new ingestion" in new and "old ingestion" not in new
    assert "old positions" in new and "old login" in new
    assert new.index("new ingestion") < new.index("## Login flood")


def test_the_top_section_is_replaced_without_dropping_later_ones():
    new = results_file.replace_section(TEXT, "# Top: positions\n\nnew positions")
    assert "new positions" in new and "old positions" not in new
    assert "## Ingestion" in new and "## Login flood" in new


def test_a_code_comment_does_not_end_a_section():
    new = results_file.replace_section(TEXT, "## Ingestion\n\nnew ingestion\n")
    assert "a comment in a code block" not in new


def test_a_missing_section_is_appended_and_a_missing_file_created(tmp_path):
    assert results_file.replace_section(TEXT, "## New\n\nx").endswith("## New\n\nx\n")
    path = tmp_path / "r.md"
    results_file.write_section(path, "## New\n\nx")
    results_file.write_section(path, "## New\n\ny")
    assert path.read_text() == "## New\n\ny\n"


def test_run_lines_say_the_command_the_date_and_the_machine():
    command, date_line = results_file.run_lines("  .venv/bin/python benchmarks/b.py --write\n").splitlines()
    assert command == "Command: `.venv/bin/python benchmarks/b.py --write`"
    assert re.fullmatch(r"Date: \d{4}-\d\d-\d\d \d\d:\d\d UTC\. Machine: .+, \d+ cores, Python [\d.]+\.", date_line)
    assert re.search(r"; load average [\d.]+, [\d.]+, [\d.]+ at the end\.$", results_file.run_lines("b", load=True))


def test_a_cell_of_repeated_runs_is_the_median_and_with_several_the_range() -> None:
    assert results_file.median_range([30_000, 18_000, 24_000.4]) == "24000 (18000-30000)"
    assert results_file.median_range([10.0, 12.0]) == "11 (10-12)"
    assert results_file.median_range([20_000.0]) == "20000"
