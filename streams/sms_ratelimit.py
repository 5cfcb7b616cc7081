"""A token bucket per gateway in Redis, shared by every sender process.

Providers throttle per account, not per process, so the bucket lives in Redis and
is taken atomically by a Lua script.
"""

from __future__ import annotations

import time

import redis

from streams.keys import sms_bucket_key

_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""


class TokenBucket:
    def __init__(self, r: redis.Redis, gateway: str, rate_per_s: float, burst: int) -> None:
        self.key = sms_bucket_key(gateway)
        self.rate = rate_per_s
        self.burst = burst
        self._script = r.register_script(_TAKE)

    def take(self) -> float:
        """Take one token; returns 0 on success, else seconds until one is available."""
        wait = self._script(keys=[self.key], args=[self.rate, self.burst, time.time()])
        return float(wait)
