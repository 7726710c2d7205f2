"""How the ingest processes split a site's sensors: each device to one process by CRC-32, process 0 on the
site's every topic storing its own and the devices of no partition, the others on their devices' topics."""

from __future__ import annotations

import pickle
import zlib
from datetime import UTC, datetime, timedelta

import pytest

from mineguard.services.ingest.pool import (
    PoolConfig,
    build_member,
    member_topics,
    pack_accepted,
    partition_of,
    skipped_devices,
    unpack_accepted,
)
from mineguard.services.ingest.store import AcceptedReading

SITE = "sample-coal-mine"
DEVICES = ("ch4-1101-t", "co-belt", "o2-main", "temp-1101", "dust-1101")


def config(partition: str = "device") -> PoolConfig:
    return PoolConfig("sqlite://", "127.0.0.1", 1883, None, None, SITE, "c", partition=partition, devices=DEVICES)


def test_each_device_belongs_to_one_process_by_its_crc32() -> None:
    assert [partition_of(d, 3) for d in DEVICES] == [zlib.crc32(d.encode()) % 3 for d in DEVICES] == [2, 2, 1, 2, 0]
    assert all(partition_of(d, 1) == 0 for d in DEVICES)


def test_the_processes_topics_cover_every_device_once() -> None:
    every = f"mineguard/{SITE}/+/+"
    first, accept = member_topics(config(), 0, 3)
    assert first == [every] and accept is not None
    assert accept("dust-1101") and accept("new-sensor-added-later")  # its own, and devices of no partition
    assert not accept("ch4-1101-t") and not accept("o2-main")  # the others', taken by their owners
    assert member_topics(config(), 1, 3) == ([f"mineguard/{SITE}/o2-main/+"], None)
    second = member_topics(config(), 2, 3)[0]
    assert second == [f"mineguard/{SITE}/{d}/+" for d in ("ch4-1101-t", "co-belt", "temp-1101")]
    assert member_topics(config("share"), 2, 3) == ([every], None)  # a $share group: everyone takes everything
    assert member_topics(config(), 0, 1) == ([every], None)
    with pytest.raises(ValueError, match="use 'device' or 'share'"):
        member_topics(config("round-robin"), 1, 3)


def test_process_0_acknowledges_the_other_processes_devices_unread() -> None:
    assert skipped_devices(config(), 0, 3) == {"ch4-1101-t", "co-belt", "o2-main", "temp-1101"}
    assert skipped_devices(config(), 1, 3) == skipped_devices(config(), 0, 1) == frozenset()
    assert skipped_devices(config("share"), 0, 3) == frozenset()
    bus, worker = build_member(config(), 0, 3, sessions=None, cleanser=None, on_report=None)
    assert bus._client.skip_devices == {d.encode() for d in skipped_devices(config(), 0, 3)}
    assert worker.patterns == [f"mineguard/{SITE}/+/+"]


def test_accepted_readings_cross_the_pipe_by_column_unchanged() -> None:
    """What a worker process sends the service is rebuilt exactly: every field, times to the microsecond at the
    ends of the range a reading may have (1900 to now), texts that repeat and texts that do not."""
    times = [
        datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 12, 8, 1, 2, 3, 456_789, tzinfo=UTC),
        datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    readings = [
        AcceptedReading(i, f"ch4-{i % 2}", "methane", 2**63 - 1 - i, t, 0.1 * i, "%", 1000.0 * i, "ppm", i % 3)
        for i, t in enumerate(times)
    ]
    readings.append(AcceptedReading(9, "gas-é", "co", 0, times[2], float("inf"), "ppm", -0.0, "ppm"))
    columns = pack_accepted(readings)
    back = unpack_accepted(pickle.loads(pickle.dumps(columns)))
    assert back == readings
    assert all(r.t.utcoffset() == timedelta(0) for r in back)
    assert unpack_accepted(pack_accepted([])) == []
