"""Partitions of the sensors: stable, complete, each sensor in exactly one."""

from __future__ import annotations

import zlib

import pytest

from mineguard.cluster.specs import IngestSpec, partition_of, split_devices


def test_partition_is_crc32_so_every_machine_agrees() -> None:
    assert partition_of("ch4-1101-t", 4) == zlib.crc32(b"ch4-1101-t") % 4
    assert partition_of("ch4-1101-t", 1) == 0


def test_split_puts_each_device_in_one_partition() -> None:
    devices = [f"s-{i}" for i in range(1000)]
    groups = split_devices(devices, 8)
    assert sorted(d for g in groups for d in g) == sorted(devices)
    assert all(partition_of(d, 8) == k for k, g in enumerate(groups) for d in g)
    assert min(map(len, groups)) > 80  # CRC-32 spreads ids evenly enough (125 each on average)
    assert split_devices([], 3) == [(), (), ()]


def test_bad_partition_count_is_named() -> None:
    with pytest.raises(ValueError, match="partitions is 0"):
        partition_of("x", 0)


def test_each_partition_subscribes_to_its_own_sensors_topics() -> None:
    spec = IngestSpec("mine", 1, 2, ("a", "b"), "127.0.0.1", 1883, client_id="c-1")
    assert spec.topics() == ["mineguard/mine/a/+", "mineguard/mine/b/+"] and spec.name == "ingest:1"
