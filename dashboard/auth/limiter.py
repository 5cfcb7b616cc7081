"""Failed-login limits per account and per address, in Redis so every process agrees."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

_PREFIX = "gw:login"


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


class LoginLimiter:
    def __init__(self, r: redis.Redis, limits: LoginLimits) -> None:
        self.r = r
        self.limits = limits

    def _keys(self, kind: str, value: str) -> tuple[str, str]:
        return f"{_PREFIX}:fail:{kind}:{value}", f"{_PREFIX}:lock:{kind}:{value}"

    def locked(self, username: str, address: str) -> Lockout | None:
        """The lockout in force for this account or address, if any."""
        pipe = self.r.pipeline(transaction=False)
        for kind, value in (("account", username.lower()), ("address", address)):
            pipe.get(self._keys(kind, value)[1])
        until = [float(v) for v in pipe.execute() if v]
        return Lockout(max(until)) if until and max(until) > time.time() else None

    def failed(self, username: str, address: str) -> Lockout | None:
        """Count a failure; returns the lockout it triggers, if it does."""
        now = time.time()
        result: Lockout | None = None
        for kind, value, limit in (
            ("account", username.lower(), self.limits.max_failures_account),
            ("address", address, self.limits.max_failures_address),
        ):
            fail_key, lock_key = self._keys(kind, value)
            count = self.r.incr(fail_key)
            if count == 1:  # the window starts at the first failure (EXPIRE NX needs Redis 7)
                self.r.expire(fail_key, int(self.limits.window_s))
            if count >= limit:
                until = now + self.limits.lockout_s
                self.r.set(lock_key, until, ex=int(self.limits.lockout_s) + 1)
                self.r.delete(fail_key)
                result = Lockout(until)
        return result

    def succeeded(self, username: str) -> None:
        self.r.delete(self._keys("account", username.lower())[0])
