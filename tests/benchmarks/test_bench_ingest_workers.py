"""benchmarks/bench_ingest_workers.py: the burst it publishes, one reading a message or batches of one sensor's."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(_DIR))  # its imports of the other benchmark modules
_SPEC = importlib.util.spec_from_file_location("bench_ingest_workers", _DIR / "bench_ingest_workers.py")
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)

START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def test_one_reading_a_message_by_default() -> None:
    out = bench.messages(25, 3, START, 10.0)
    assert len(out) == 25 and all(isinstance(json.loads(p), dict) for _, p in out)
    first = json.loads(out[0][1])
    assert out[0][0] == f"mineguard/{bench.SITE}/{first['device_id']}/{first['kind']}" and first["seq"] == 3


def test_batches_hold_consecutive_readings_of_one_sensor_and_every_reading_once() -> None:
    sensors = len(bench.SENSORS)
    n = sensors * 7 + 3  # a last, partial block
    out = bench.messages(n, 0, START, 10.0, per_message=3)
    readings = []
    for topic, payload in out:
        group = json.loads(payload)
        assert isinstance(group, list) and 1 <= len(group) <= 3
        assert {(r["device_id"], r["kind"]) for r in group} == {tuple(topic.split("/")[2:])}
        assert [r["seq"] for r in group] == list(range(group[0]["seq"], group[0]["seq"] + len(group)))
        readings += group
    single = [json.loads(p) for _, p in bench.messages(n, 0, START, 10.0)]
    key = lambda r: (r["device_id"], r["seq"])  # noqa: E731
    assert sorted(readings, key=key) == sorted(single, key=key)
    assert len(out) == sensors * 3  # steps 0-2, 3-5 and 6-7 (7 for the first 3 sensors only): 3 messages a sensor


def test_the_table_gives_one_run_as_is_and_several_as_median_and_range() -> None:
    def result(rate: float) -> dict[str, float]:
        return {column: rate if column == "readings/s" else 10.0 for column in bench.COLUMNS}

    runs = {("SQLite (file, WAL)", 2, 50): [result(30_000), result(18_000), result(24_000.4)]}
    runs[("PostgreSQL 15", 2, 10)] = [result(20_000)]
    lines = bench.results_table(runs, batched=True).splitlines()
    assert lines[0] == (
        "| backend | workers | readings a message | readings/s | CPU µs/reading | service CPU µs/reading | "
        "machine CPU µs/reading | reading p50 ms | reading p99 ms |"
    )
    assert (
        lines[2]
        == "| SQLite (file, WAL) | 2 | 50 | 24000 (18000-30000) | 10 (10-10) | 10 (10-10) | 10 (10-10) | 10 (10-10) "
        "| 10 (10-10) |"
    )
    assert lines[3] == "| PostgreSQL 15 | 2 | 10 | 20000 | 10 | 10 | 10 | 10 | 10 |"
    assert (
        bench.results_table(runs, batched=False).splitlines()[3]
        == "| PostgreSQL 15 | 2 | 20000 | 10 | 10 | 10 | 10 | 10 |"
    )


def test_machine_cpu_counts_busy_time_as_it_passes() -> None:
    before = bench.machine_cpu_s()
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # 0.2 s of this process's own CPU
        pass
    assert bench.machine_cpu_s() - before >= 0.15
