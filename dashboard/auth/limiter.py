"""Failed-login limits per account and per address, in Redis so every process agrees.

An attempt is counted *before* its password is checked: one Lua script refuses a locked
account or address, and otherwise reserves the attempt on both counters unless a limit
would be passed. Parallel guesses therefore cannot slip in between "check the count" and
"count the failure" (40 parallel guesses once had 30 passwords checked against a limit
of 5). A failed check keeps its reservation and locks once a limit is reached; a
successful one clears the account's count and gives the address its attempt back; an
attempt that was never checked (server busy) is given back on both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

_PREFIX = "gw:login"

# KEYS: fail:account, lock:account, fail:address, lock:address
# ARGV: now, limit account, limit address, window seconds
_RESERVE = """
local now = tonumber(ARGV[1])
local locked_until = 0
for _, key in ipairs({KEYS[2], KEYS[4]}) do
  local value = tonumber(redis.call('GET', key) or '0') or 0
  if value > now and value > locked_until then locked_until = value end
end
if locked_until > 0 then return {'locked', tostring(locked_until)} end
local account = redis.call('INCR', KEYS[1])
if account == 1 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
local address = redis.call('INCR', KEYS[3])
if address == 1 then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
if account > tonumber(ARGV[2]) or address > tonumber(ARGV[3]) then
  redis.call('DECR', KEYS[1])
  redis.call('DECR', KEYS[3])
  return {'busy', '0'}
end
return {'ok', '0'}
"""

# KEYS: as above; ARGV: now, limit account, limit address, lockout seconds
_FAILED = """
local now = tonumber(ARGV[1])
local lockout = tonumber(ARGV[4])
local locked_until = 0
for i, pair in ipairs({{KEYS[1], KEYS[2], ARGV[2]}, {KEYS[3], KEYS[4], ARGV[3]}}) do
  local count = tonumber(redis.call('GET', pair[1]) or '0') or 0
  if count >= tonumber(pair[3]) then
    locked_until = now + lockout
    redis.call('SET', pair[2], tostring(locked_until), 'EX', math.ceil(lockout) + 1)
    redis.call('DEL', pair[1])
  end
end
return tostring(locked_until)
"""

# KEYS: counters to give one attempt back to; ARGV[1] == '1': clear KEYS[1] instead
_GIVE_BACK = """
for i, key in ipairs(KEYS) do
  if i == 1 and ARGV[1] == '1' then
    redis.call('DEL', key)
  elseif tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 1
"""


@dataclass(frozen=True)
class LoginLimits:
    max_failures_account: int
    max_failures_address: int
    window_s: float
    lockout_s: float


@dataclass(frozen=True)
class Lockout:
    until: float

    @property
    def minutes_left(self) -> int:
        return max(1, round((self.until - time.time()) / 60))


@dataclass(frozen=True)
class Attempt:
    """An attempt reserved on both counters, to be settled by failed/succeeded/unchecked."""

    account: str
    address: str


@dataclass(frozen=True)
class Refused:
    """No password check: the account or address is locked until ``lockout.until``, or
    (``lockout`` None) its limit is taken by checks still running."""

    lockout: Lockout | None


class LoginLimiter:
    def __init__(self, r: redis.Redis, limits: LoginLimits) -> None:
        self.r = r
        self.limits = limits
        self._reserve = r.register_script(_RESERVE)
        self._failed = r.register_script(_FAILED)
        self._give_back = r.register_script(_GIVE_BACK)

    def _keys(self, attempt: Attempt) -> list[str]:
        return [
            f"{_PREFIX}:fail:account:{attempt.account}",
            f"{_PREFIX}:lock:account:{attempt.account}",
            f"{_PREFIX}:fail:address:{attempt.address}",
            f"{_PREFIX}:lock:address:{attempt.address}",
        ]

    def reserve(self, username: str, address: str) -> Attempt | Refused:
        """Count this attempt before its password is checked, or refuse it."""
        attempt = Attempt(username.strip().lower(), address)
        verdict, until = self._reserve(
            keys=self._keys(attempt),
            args=[
                time.time(),
                self.limits.max_failures_account,
                self.limits.max_failures_address,
                max(1, int(self.limits.window_s)),
            ],
        )
        if verdict == b"ok":
            return attempt
        return Refused(Lockout(float(until)) if verdict == b"locked" else None)

    def failed(self, attempt: Attempt) -> Lockout | None:
        """The check failed: the attempt stays counted; returns the lockout it triggers."""
        until = float(
            self._failed(
                keys=self._keys(attempt),
                args=[
                    time.time(),
                    self.limits.max_failures_account,
                    self.limits.max_failures_address,
                    self.limits.lockout_s,
                ],
            )
        )
        return Lockout(until) if until else None

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: the account's count is cleared, the address's attempt given back."""
        fail_account, _, fail_address, _ = self._keys(attempt)
        self._give_back(keys=[fail_account, fail_address], args=["1"])

    def unchecked(self, attempt: Attempt) -> None:
        """The password was never checked (server busy): the attempt is not a failure."""
        fail_account, _, fail_address, _ = self._keys(attempt)
        self._give_back(keys=[fail_account, fail_address], args=["0"])
