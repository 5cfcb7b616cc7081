"""Producer side of the position stream: one pipelined round trip per batch."""

from __future__ import annotations

import time
from collections.abc import Sequence

import redis

from streams.codec import StreamFix, encode_stream_fix
from streams.keys import POSITIONS_STREAM, ingest_minute_key


def append_fixes(
    r: redis.Redis, fixes: Sequence[StreamFix], retention_s: int, now: float | None = None
) -> list[bytes]:
    """XADD every fix, trimming entries older than ``retention_s`` (by stream id time).

    Returns the stream ids. The per-minute counter feeds the wall's "fixes per
    minute" KPI without anyone scanning the stream.
    """
    if not fixes:
        return []
    now = time.time() if now is None else now
    min_id = f"{int((now - retention_s) * 1000)}-0"
    pipe = r.pipeline(transaction=False)
    for fix in fixes:
        pipe.execute_command(
            "XADD", POSITIONS_STREAM, "MINID", "~", min_id, "*", "f", encode_stream_fix(fix)
        )
    minute_key = ingest_minute_key(int(now // 60))
    pipe.incrby(minute_key, len(fixes))
    pipe.expire(minute_key, 3600)
    return pipe.execute()[: len(fixes)]


def fixes_last_minute(r: redis.Redis, now: float | None = None) -> int:
    """Fixes accepted in the last full minute plus the current one, scaled to 60 s."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    prev, cur = r.mget(ingest_minute_key(minute - 1), ingest_minute_key(minute))
    frac = (now % 60) / 60.0
    return round(int(prev or 0) * (1.0 - frac) + int(cur or 0))
