"""Write one benchmark's section of a shared results file without touching the others' sections."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

_HEADING = re.compile(r"^#{1,6} ")


def _sections(lines: list[str]) -> list[int]:
    """Indexes of the heading lines outside fenced code blocks."""
    starts, fenced = [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            starts.append(i)
    return starts


def replace_section(text: str, section: str) -> str:
    """``text`` with the section whose heading is ``section``'s first line replaced by ``section``
    (up to the next heading), or with ``section`` appended when there is none."""
    heading = section.strip().splitlines()[0]
    lines = text.splitlines()
    starts = _sections(lines)
    for n, start in enumerate(starts):
        if lines[start].strip() == heading.strip():
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            new = [*lines[:start], *section.strip().splitlines(), "", *lines[end:]]
            return "\n".join(new).rstrip() + "\n"
    return text.rstrip() + "\n\n" + section.strip() + "\n"


def median_range(values: Sequence[float]) -> str:
    """A table cell for repeated runs of one measurement: the median, and with several runs the lowest and
    highest in brackets (``24000 (18000-30000)``), rounded to whole units."""
    cell = f"{statistics.median(values):.0f}"
    return cell + (f" ({min(values):.0f}-{max(values):.0f})" if len(values) > 1 else "")


def write_section(path: Path, section: str) -> None:
    """Replace (or add) ``section`` in the file at ``path``, creating the file if needed."""
    text = path.read_text() if path.is_file() else ""
    path.write_text(replace_section(text, section).lstrip("\n"))


def run_lines(command: str, *, load: bool = False) -> str:
    """The lines under a section's heading that say how to repeat the run: ``Command: `command```, then
    the date (UTC, to the minute) and the machine (architecture, cores, Python; with ``load``, the load
    average at the end of the run, for a machine shared with other work)."""
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if load:
        machine += f"; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())} at the end"
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Command: `{command.strip()}`\nDate: {date}. Machine: {machine}."


def run_report(
    title: str, *, command: str, machine_start: str, machine_end: str, protocol: str, table: str, note: str = ""
) -> str:
    """A results file of one run: ``title``, the command, the date, the machine before and after, the
    protocol, the table and an optional note."""
    lines = [
        f"# {title}",
        "",
        f"- command: `{command.strip()}`",
        f"- date (UTC): {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- machine at start: {machine_start}",
        f"- machine at end: {machine_end}",
        f"- protocol: {protocol}",
        "",
        table,
        "",
        *([note, ""] if note else []),
    ]
    return "\n".join(lines)
