"""Latest fix and state per staff member, kept in Redis by the position consumer."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec
import redis
from redis.typing import EncodableT

from streams.codec import StreamFix, decode_stream_fix
from streams.keys import (
    STAFF_GEO,
    STAFF_LAST_FIX,
    STAFF_ONLINE,
    STAFF_SEEN,
    STAFF_STATE,
    STAFF_STATE_STREAM,
)

ONLINE = "online"
LOW_BATTERY = "low_battery"
OFFLINE = "offline"

# Apply one fix per staff member unless an equal-or-newer one is already stored,
# so a late batch from a terminal's offline buffer never moves anyone backwards.
# The applied ones, each with its state, go out as ONE state-stream entry (field
# "u": a JSON array of ``StaffUpdate``s) for the browser bridge: the push shows what
# the consumer decided, and the state rules run once. ARGV[1] is the stream's MAXLEN.
_APPLY_FIXES = """
local applied = {}
for i = 2, #ARGV, 6 do
  local staff, ts = ARGV[i], tonumber(ARGV[i + 1])
  local prev = redis.call('ZSCORE', KEYS[2], staff)
  if (not prev) or tonumber(prev) < ts then
    redis.call('HSET', KEYS[1], staff, ARGV[i + 5])
    redis.call('ZADD', KEYS[2], ts, staff)
    redis.call('GEOADD', KEYS[3], ARGV[i + 2], ARGV[i + 3], staff)
    redis.call('HSET', KEYS[4], staff, ARGV[i + 4])
    redis.call('ZADD', KEYS[5], ts, staff)
    applied[#applied + 1] = '[' .. ARGV[i + 5] .. ',"' .. ARGV[i + 4] .. '"]'
  end
end
if #applied > 0 then
  local batch = '[' .. table.concat(applied, ',') .. ']'
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[1], '*', 'u', batch)
end
return #applied
"""

# Move everyone not heard from since the cutoff to "offline", once, and say so
# on the state stream for the browser bridge.
_SWEEP_OFFLINE = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, staff in ipairs(gone) do
  redis.call('ZREM', KEYS[1], staff)
  redis.call('HSET', KEYS[2], staff, 'offline')
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 's', staff, 'state', 'offline')
end
return #gone
"""


#: entries kept on the state stream (approximately): the bridge reads it as it grows
STATE_STREAM_MAXLEN = 10_000
#: the field of a state-stream entry that carries a batch of ``StaffUpdate``s
UPDATES_FIELD = b"u"


class StaffUpdate(msgspec.Struct, array_like=True, frozen=True):
    """A fix the consumer applied, with the state it computed: what the push forwards."""

    fix: StreamFix
    state: str


_updates_decoder = msgspec.json.Decoder(list[StaffUpdate])


def decode_updates(payload: bytes) -> list[StaffUpdate]:
    """The ``StaffUpdate``s of one state-stream entry's ``UPDATES_FIELD``."""
    return _updates_decoder.decode(payload)


@dataclass(frozen=True)
class StateRules:
    offline_after_s: float
    low_battery_pct: float

    def state_of(self, fix: StreamFix, now: float) -> str:
        if now - fix.ts > self.offline_after_s:
            return OFFLINE
        if fix.battery is not None and fix.battery < self.low_battery_pct:
            return LOW_BATTERY
        return ONLINE


_encoder = msgspec.json.Encoder()


def _text(value: bytes | str) -> str:
    """A reply as text (the clients here answer bytes; a decoding client, str)."""
    return value.decode() if isinstance(value, bytes) else value


class LiveState:
    def __init__(self, r: redis.Redis, rules: StateRules) -> None:
        self.r = r
        self.rules = rules
        self._apply = r.register_script(_APPLY_FIXES)
        self._sweep = r.register_script(_SWEEP_OFFLINE)

    def apply(self, fixes: Iterable[StreamFix], now: float | None = None) -> int:
        """Store the newest fix per staff member and publish the changes; returns how many."""
        now = time.time() if now is None else now
        newest: dict[int, StreamFix] = {}
        for fix in fixes:
            seen = newest.get(fix.staff)
            if seen is None or fix.ts > seen.ts:
                newest[fix.staff] = fix
        args: list[EncodableT] = [STATE_STREAM_MAXLEN]
        for fix in newest.values():
            state = self.rules.state_of(fix, now)
            args += [fix.staff, repr(fix.ts), fix.lon, fix.lat, state, _encoder.encode(fix)]
        if not newest:
            return 0
        keys = [
            STAFF_LAST_FIX,
            STAFF_SEEN,
            STAFF_GEO,
            STAFF_STATE,
            STAFF_ONLINE,
            STAFF_STATE_STREAM,
        ]
        return int(self._apply(keys=keys, args=args))

    def sweep_offline(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        cutoff = now - self.rules.offline_after_s
        return int(
            self._sweep(
                keys=[STAFF_ONLINE, STAFF_STATE, STAFF_STATE_STREAM],
                args=[repr(cutoff), STATE_STREAM_MAXLEN],
            )
        )

    def states(self, staff_ids: Sequence[int]) -> dict[int, str]:
        """Stored state of each staff member that has reported (cheap: no fix decoding)."""
        if not staff_ids:
            return {}
        raw = self.r.hmget(STAFF_STATE, list(staff_ids))
        return {s: _text(v) for s, v in zip(staff_ids, raw, strict=True) if v}

    def latest(self, staff_ids: Sequence[int]) -> dict[int, tuple[StreamFix, str]]:
        """Latest fix and state of each staff member that has reported."""
        if not staff_ids:
            return {}
        pipe = self.r.pipeline(transaction=False)
        pipe.hmget(STAFF_LAST_FIX, list(staff_ids))
        pipe.hmget(STAFF_STATE, list(staff_ids))
        fixes, states = pipe.execute()
        now = time.time()
        out: dict[int, tuple[StreamFix, str]] = {}
        for staff_id, raw, state in zip(staff_ids, fixes, states, strict=True):
            if raw is None:
                continue
            fix = decode_stream_fix(raw)
            current = self.rules.state_of(fix, now)
            # the stored state lags the clock between sweeps; trust the clock for offline
            out[staff_id] = (
                fix,
                OFFLINE if current == OFFLINE else (state or b"").decode() or current,
            )
        return out
