from __future__ import annotations

import json
import logging
import multiprocessing
import time
from pathlib import Path

import pytest
import spool_workers

from mltrail.config import DEFAULT_SPOOL_MAX_BYTES, resolve_settings
from mltrail.core.errors import ConfigError
from mltrail.openlineage.spool import SPOOL_FILE_NAME, Spool


def event(number: int, *, writer: str = "w", pad: int = 0) -> dict[str, object]:
    return {"writer": writer, "n": number, "pad": "x" * pad}


def test_nothing_is_created_until_the_first_add(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    assert (spool.pending(), spool.stats(), spool.count(), spool.total_bytes()) == ([], [], 0, 0)
    assert spool.claim("openlineage") == []
    spool.remove([1])
    spool.release([1], "x")
    assert not (tmp_path / "spool").exists()
    spool.add("openlineage", [event(1)])
    assert (tmp_path / "spool" / SPOOL_FILE_NAME).is_file()


def test_entries_keep_their_order_and_errors(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    first = spool.add("a", [event(1), event(2)], error="ConnectionError: refused")
    second = spool.add("b", [event(3)])
    third = spool.add("a", [event(4)])
    assert first < second < third and len(first) == 2

    entries = spool.pending("a")
    assert [entry.event["n"] for entry in entries] == [1, 2, 4]
    assert entries[0].attempts == 1 and entries[0].first_error == "ConnectionError: refused"
    assert entries[2].attempts == 0 and entries[2].first_error is None
    assert [entry.event["n"] for entry in spool.pending(limit=2)] == [1, 2]
    assert spool.count() == 4 and spool.count("b") == 1
    assert spool.destinations() == ["a", "b"]


def test_stats_per_destination(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    before = time.time()
    spool.add("a", [event(1), event(2)], error="first")
    claimed = spool.claim("a", limit=1)
    spool.release([claimed[0].id], "second")
    spool.add("b", [event(3, pad=10)])
    stats = {item.destination: item for item in spool.stats()}
    assert stats["a"].entries == 2 and stats["a"].attempts == 2 and stats["a"].last_error == "second"
    assert stats["b"].entries == 1 and stats["b"].attempts == 0 and stats["b"].last_error is None
    assert stats["a"].oldest.timestamp() >= before - 1
    assert stats["a"].bytes + stats["b"].bytes == spool.total_bytes() > 0


def test_claims_keep_other_claimers_away_until_released_or_expired(tmp_path: Path) -> None:
    mine, theirs = Spool(tmp_path, lease_seconds=0.3), Spool(tmp_path, lease_seconds=0.3)
    mine.add("a", [event(n) for n in range(5)])
    claimed = mine.claim("a", limit=3)
    assert [entry.event["n"] for entry in claimed] == [0, 1, 2]
    assert [entry.event["n"] for entry in theirs.claim("a", limit=10)] == [3, 4]
    assert theirs.claim("a") == []

    mine.release([claimed[0].id], "down")
    assert [entry.event["n"] for entry in theirs.claim("a")] == [0]
    time.sleep(0.35)
    assert [entry.event["n"] for entry in theirs.claim("a")] == [0, 1, 2, 3, 4]
    assert [entry.event["n"] for entry in theirs.claim("a", after_id=claimed[1].id)] == []


def test_remove_deletes_only_the_given_entries(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    ids = spool.add("a", [event(n) for n in range(3)])
    assert spool.remove([ids[0], ids[2], 999]) == 2
    assert [entry.event["n"] for entry in spool.pending()] == [1]


def test_a_full_spool_drops_the_oldest_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, max_bytes=1200)
    events = [event(n, pad=180) for n in range(12)]  # about 210 bytes each
    sizes = [len(json.dumps(item, separators=(",", ":"))) for item in events]
    spool.add("a", events[:5])
    assert not caplog.records and spool.total_bytes() == sum(sizes[:5])

    with caplog.at_level(logging.WARNING, logger="mltrail.openlineage.spool"):
        spool.add("b", events[5:])

    first_kept = len(events)  # the newest events that fit
    while sum(sizes[first_kept - 1 :]) <= 1200:
        first_kept -= 1
    assert [entry.event for entry in spool.pending()] == events[first_kept:]
    assert spool.total_bytes() == sum(sizes[first_kept:]) <= 1200
    assert first_kept > 5  # so both destinations lost events
    assert [record.getMessage() for record in caplog.records] == [
        f"mltrail spool {tmp_path} is full (max 1200 bytes): dropped the {first_kept} oldest events "
        f"(5 for a, {first_kept - 5} for b)"
    ]


def test_two_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    writers = [
        context.Process(target=spool_workers.append, args=(str(tmp_path), name, 300, start))
        for name in ("p1", "p2")
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0

    entries = Spool(tmp_path).pending()
    assert len(entries) == 600
    for name in ("p1", "p2"):
        assert [entry.event["n"] for entry in entries if entry.event["writer"] == name] == list(range(300))


def test_two_processes_replaying_at_once_never_take_the_same_entry(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    ids = spool.add("openlineage", [event(n) for n in range(400)])
    context = multiprocessing.get_context("spawn")
    found: multiprocessing.Queue[list[int]] = context.Queue()
    start = context.Barrier(2)
    claimers = [
        context.Process(target=spool_workers.claim_all, args=(str(tmp_path), found, start)) for _ in range(2)
    ]
    for process in claimers:
        process.start()
    taken = [found.get(timeout=60) for _ in claimers]
    for process in claimers:
        process.join(60)
        assert process.exitcode == 0
    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == ids
    assert taken[0] and taken[1]  # both took part
    assert spool.count() == 0


def test_spool_settings_defaults_env_and_file(tmp_path: Path) -> None:
    settings = resolve_settings(environ={}, cwd=tmp_path)
    assert (settings.spool_dir, settings.spool_max_bytes) == (".mltrail/spool", DEFAULT_SPOOL_MAX_BYTES)
    assert DEFAULT_SPOOL_MAX_BYTES == 100 * 1024 * 1024
    (tmp_path / "mltrail.yml").write_text("spool_dir: /var/spool/mltrail\nspool_max_bytes: 2MiB\n")
    settings = resolve_settings(environ={"MLTRAIL_SPOOL_MAX_BYTES": "500000"}, cwd=tmp_path)
    assert (settings.spool_dir, settings.spool_max_bytes) == ("/var/spool/mltrail", 500_000)
    settings = resolve_settings(environ={}, cwd=tmp_path)
    assert settings.spool_max_bytes == 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("environ", "key", "message"),
    [
        (
            {"MLTRAIL_SPOOL_MAX_BYTES": "lots"},
            "spool_max_bytes",
            "a number of bytes or a size such as 100MiB",
        ),
        ({"MLTRAIL_SPOOL_MAX_BYTES": "10"}, "spool_max_bytes", "must be at least 65536 bytes"),
        ({"MLTRAIL_SPOOL_MAX_BYTES": "5XB"}, "spool_max_bytes", "a number of bytes"),
        ({"MLTRAIL_SPOOL_DIR": " "}, "spool_dir", "must not be empty"),
    ],
)
def test_bad_spool_settings(tmp_path: Path, environ: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        resolve_settings(environ=environ, cwd=tmp_path)
    assert (raised.value.key, raised.value.value) == (key, environ[f"MLTRAIL_{key.upper()}"])
    assert raised.value.source == f"env MLTRAIL_{key.upper()}"


def test_spool_rejects_a_bound_below_one_byte(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        Spool(tmp_path, max_bytes=0)
    assert raised.value.value == 0
