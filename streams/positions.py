"""Producer side of the position stream: one round trip and one command per batch.

The XADDs run inside a server-side script: a pipeline of one XADD per fix
costs redis-py ~8 µs of Python per command (packing, reply parsing), which
capped the HTTP endpoint below 100k fixes/s on two cores; one EVALSHA with
every payload as an argument is packed and parsed in C (hiredis).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import redis

from streams.codec import StreamFix, encode_stream_fix
from streams.keys import POSITIONS_STREAM, ingest_minute_key

# KEYS: stream, minute counter. ARGV: MINID threshold, then one payload per fix.
# One approximate MINID trim after the batch leaves the stream as a ``MINID ~``
# on every XADD would (the script is atomic), at half the cost per entry.
_APPEND = """
local ids = {}
for i = 2, #ARGV do
  ids[i - 1] = redis.call('XADD', KEYS[1], '*', 'f', ARGV[i])
end
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[1])
redis.call('INCRBY', KEYS[2], #ARGV - 1)
redis.call('EXPIRE', KEYS[2], 3600)
return ids
"""
_APPEND_SHA = hashlib.sha1(_APPEND.encode()).hexdigest()


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
    minute_key = ingest_minute_key(int(now // 60))
    encode = encode_stream_fix
    args: list[str | bytes] = [POSITIONS_STREAM, minute_key, min_id]
    args += [encode(fix) for fix in fixes]
    ids: list[bytes]
    try:
        ids = r.evalsha(_APPEND_SHA, 2, *args)
    except redis.exceptions.NoScriptError:  # first call, or Redis restarted / flushed scripts
        ids = r.eval(_APPEND, 2, *args)
    return ids


def fixes_last_minute(r: redis.Redis, now: float | None = None) -> int:
    """Fixes accepted in the last full minute plus the current one, scaled to 60 s."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    prev, cur = r.mget(ingest_minute_key(minute - 1), ingest_minute_key(minute))
    frac = (now % 60) / 60.0
    return round(int(prev or 0) * (1.0 - frac) + int(cur or 0))
