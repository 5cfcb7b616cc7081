"""Consumer-group worker base: at-least-once processing that survives dead consumers.

A subclass implements ``handle(entries)``; entries are acked only after it
returns. Entries left pending by a consumer that died are reclaimed with
XAUTOCLAIM once idle for ``claim_idle_ms``, so a crash never strands work.
Handlers must be idempotent, because a reclaimed entry may be seen twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import redis
from redis.typing import XReadGroupResponse, XReadResponse

from streams.loops import Heartbeat, supervise

Entry = tuple[bytes, dict[bytes, bytes]]


def stream_batches(reply: XReadResponse | XReadGroupResponse | None) -> list[list[Any]]:
    """An XREAD/XREADGROUP reply as ``[[stream, [entry, ...]], ...]``.

    That is RESP2's shape, the protocol every client here speaks; RESP3 answers a
    map of stream to entries, folded into the same shape. None (timed out) is empty.
    """
    if reply is None:
        return []
    if isinstance(reply, dict):
        return [[stream, entries] for stream, entries in reply.items()]
    return reply


class StreamWorker:
    def __init__(
        self,
        r: redis.Redis,
        stream: str,
        group: str,
        consumer: str,
        *,
        batch: int = 500,
        block_ms: int = 500,
        claim_idle_ms: int = 30_000,
        claim_every_s: float = 5.0,
    ) -> None:
        self.r = r
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.batch = batch
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.claim_every_s = claim_every_s
        self._next_claim = 0.0
        self._group_ready = False

    # -- to implement -----------------------------------------------------
    def handle(self, entries: Sequence[Entry]) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        """Periodic work between reads (e.g. sweeps); default none."""

    # -- machinery -------------------------------------------------------
    def ensure_group(self) -> None:
        """Create the group at the start of the stream; harmless if it exists."""
        try:
            self.r.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _process(self, entries: Sequence[Entry]) -> int:
        if not entries:
            return 0
        self.handle(entries)
        self.r.xack(self.stream, self.group, *[entry_id for entry_id, _ in entries])
        return len(entries)

    def reclaim(self) -> int:
        """Take over entries another consumer left pending too long."""
        done = 0
        start = "0-0"
        while True:
            reply = self.r.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=self.claim_idle_ms,
                start_id=start,
                count=self.batch,
            )
            start, claimed = reply[0], [e for e in reply[1] if e[1] is not None]
            done += self._process(claimed)
            if start in (b"0-0", "0-0"):
                return done

    def run_once(self) -> int:
        """Reclaim when due, then read and process one batch of new entries."""
        done = 0
        now = time.monotonic()
        if now >= self._next_claim:
            self._next_claim = now + self.claim_every_s
            done += self.reclaim()
        reply = self.r.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch, block=self.block_ms
        )
        for _stream, entries in stream_batches(reply):
            done += self._process(entries)
        self.tick()
        return done

    def one_round(self) -> float:
        """One supervised round: (re)create the group when needed, then ``run_once``."""
        if not self._group_ready:
            self.ensure_group()
            self._group_ready = True
        try:
            self.run_once()
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # stream deleted under us (e.g. Redis restarted empty)
        return 0.0  # XREADGROUP already blocked for ``block_ms``

    def run(self, stop: threading.Event, beat: Heartbeat | None = None) -> None:
        """Loop until ``stop`` is set; no error ends it (see ``streams.loops.supervise``)."""
        beat = beat or Heartbeat(self.consumer, stale_after_s=60.0)
        supervise(beat, self.one_round, stop)
