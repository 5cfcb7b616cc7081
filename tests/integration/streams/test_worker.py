"""The consumer-group worker against a real redis-server."""

from __future__ import annotations

import contextlib
import threading
import time

from streams.worker import StreamWorker


class Recorder(StreamWorker):
    def __init__(self, *args, fail_on: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[bytes] = []
        self.fail_on = fail_on

    def handle(self, entries) -> None:
        for _entry_id, fields in entries:
            if self.fail_on is not None and int(fields[b"n"]) == self.fail_on:
                raise RuntimeError("consumer died mid-batch")
            self.seen.append(fields[b"n"])


def test_group_creation_is_idempotent_and_reads_from_the_start(r):
    r.xadd("s", {"n": 1})
    worker = Recorder(r, "s", "g", "c1", block_ms=10)
    worker.ensure_group()
    worker.ensure_group()
    worker.run_once()
    assert worker.seen == [b"1"]


def test_entries_of_a_dead_consumer_are_reclaimed_and_acked_once(r):
    for n in range(10):
        r.xadd("s", {"n": n})
    dying = Recorder(r, "s", "g", "dying", batch=10, block_ms=10, fail_on=5)
    dying.ensure_group()
    with contextlib.suppress(RuntimeError):
        dying.run_once()
    assert r.xpending("s", "g")["pending"] == 10  # nothing acked: the batch failed

    heir = Recorder(r, "s", "g", "heir", batch=100, block_ms=10, claim_idle_ms=50)
    time.sleep(0.1)
    heir.run_once()
    assert sorted(int(n) for n in heir.seen) == list(range(10))
    assert r.xpending("s", "g")["pending"] == 0
    heir.seen.clear()
    heir.run_once()
    assert heir.seen == []


def test_run_stops_promptly(r):
    worker = Recorder(r, "s", "g", "c", block_ms=100)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    r.xadd("s", {"n": 42})
    deadline = time.time() + 3
    while not worker.seen and time.time() < deadline:
        time.sleep(0.02)
    stop.set()
    started = time.time()
    thread.join(3)
    assert not thread.is_alive() and time.time() - started < 1.0
    assert worker.seen == [b"42"]
