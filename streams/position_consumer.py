"""The position consumer group: stream of fixes in, latest fix and state per staff out.

Its output is also what the wall is pushed: each applied batch goes out as one
entry on ``STAFF_STATE_STREAM`` (written by ``LiveState.apply`` in the same script
call, so it costs no extra round trip), and the realtime bridge forwards those
entries instead of decoding the raw position stream and judging state again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import redis

from streams.codec import StreamFix, decode_stream_fix
from streams.keys import POSITIONS_GROUP, POSITIONS_STREAM
from streams.live_state import LiveState, StateRules
from streams.worker import Entry, StreamWorker

log = logging.getLogger(__name__)


class PositionConsumer(StreamWorker):
    def __init__(
        self,
        r: redis.Redis,
        rules: StateRules,
        consumer: str,
        *,
        sweep_every_s: float = 5.0,
        **worker_options: Any,  # StreamWorker's keyword options (batch, block_ms, ...)
    ) -> None:
        super().__init__(r, POSITIONS_STREAM, POSITIONS_GROUP, consumer, **worker_options)
        self.live = LiveState(r, rules)
        self.sweep_every_s = sweep_every_s
        self._next_sweep = 0.0

    def handle(self, entries: Sequence[Entry]) -> None:
        fixes: list[StreamFix] = []
        for entry_id, fields in entries:
            try:
                fixes.append(decode_stream_fix(fields[b"f"]))
            except (KeyError, msgspec.DecodeError, msgspec.ValidationError):
                # A malformed entry can never succeed: log it and let it be acked.
                log.error("position entry %r is malformed; skipped", entry_id)
        self.live.apply(fixes)

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.sweep_every_s
            self.live.sweep_offline()
