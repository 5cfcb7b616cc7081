"""Background loops that never die, and the heartbeats that prove it.

Every background loop of a server process (stream consumers, the outbox pump, the SMS
sender, the sweeps, the realtime bridge) runs its rounds through ``supervise``: any
exception in a round is logged, backed off and retried, so one bad batch, a database
pool timeout or a Redis restart can never end the thread silently. Each loop owns a
``Heartbeat`` that ``/healthz`` reads: a loop that stops beating (stuck) or keeps failing
makes the health check answer 503 and name the loop, instead of a dead thread hiding
behind an "ok".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import redis
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

#: consecutive failed rounds after which a loop counts as failing (not a blip)
FAILING_AFTER = 3

LoopState = Literal["ok", "failing", "stale"]

#: failures that mean "a service is away", logged in one line rather than a traceback
OUTAGES: tuple[type[BaseException], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    PoolTimeout,
    OperationalError,
    InterfaceError,
)


@dataclass
class Heartbeat:
    """When one loop last showed life, and how its last rounds went."""

    name: str
    #: a loop silent for longer than this is stuck (or dead)
    stale_after_s: float
    clock: Callable[[], float] = time.monotonic
    last_beat: float = 0.0
    last_ok: float | None = None
    failures: int = 0
    total_failures: int = 0
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.last_beat = self.clock()

    def beat(self) -> None:
        """Alive: call it inside long rounds too (a rate-limited batch, a slow gateway)."""
        with self._lock:
            self.last_beat = self.clock()

    def ok(self) -> None:
        """A round finished without an error."""
        with self._lock:
            self.last_beat = self.last_ok = self.clock()
            self.failures = 0

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.last_beat = self.clock()
            self.failures += 1
            self.total_failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]

    def state(self) -> LoopState:
        with self._lock:
            if self.clock() - self.last_beat > self.stale_after_s:
                return "stale"
            return "failing" if self.failures >= FAILING_AFTER else "ok"

    def report(self) -> dict[str, Any]:
        now = self.clock()
        state = self.state()
        with self._lock:
            return {
                "state": state,
                "last_beat_s_ago": round(now - self.last_beat, 1),
                "last_ok_s_ago": None if self.last_ok is None else round(now - self.last_ok, 1),
                "consecutive_failures": self.failures,
                "failures": self.total_failures,
                "last_error": self.last_error,
            }


@dataclass
class Heartbeats:
    """The heartbeats of one app instance's loops (owned by the app, not module state)."""

    clock: Callable[[], float] = time.monotonic
    _beats: dict[str, Heartbeat] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, stale_after_s: float) -> Heartbeat:
        with self._lock:
            if name in self._beats:
                raise ValueError(f"loop {name!r} is registered twice")
            beat = Heartbeat(name, stale_after_s, clock=self.clock)
            self._beats[name] = beat
            return beat

    def get(self, name: str) -> Heartbeat | None:
        with self._lock:
            return self._beats.get(name)

    def report(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            beats = list(self._beats.values())
        return {beat.name: beat.report() for beat in beats}

    def unhealthy(self) -> list[str]:
        """Names of the loops that are stuck or keep failing."""
        with self._lock:
            beats = list(self._beats.values())
        return [beat.name for beat in beats if beat.state() != "ok"]


Round = Callable[[], float | None]

#: the body of a background loop: runs its rounds through ``supervise`` until the event
#: is set, beating the heartbeat it is given
LoopBody = Callable[[threading.Event, Heartbeat], None]


@dataclass(frozen=True)
class Loop:
    """One background loop of a server process, as the app starts it (one list of them:
    ``dashboard.workers.background_loops``).

    ``name`` is the heartbeat's, which ``/healthz`` reports; ``every_process`` is False
    for the workers that a process runs only when ``Settings.run_workers`` is on (stream
    consumers, the pump, the SMS sender, the expiry sweep) and True for what each
    serving process needs for itself (its push, its sockets, its embedded Redis).
    """

    name: str
    run: LoopBody
    every_process: bool


#: a failing loop logs its first failure, then one line per this many (not one per round)
LOG_EVERY = 12


def supervise(
    beat: Heartbeat,
    one_round: Round,
    stop: threading.Event,
    *,
    first_backoff_s: float = 0.5,
    max_backoff_s: float = 5.0,
) -> None:
    """Run ``one_round`` until ``stop``; it returns how long to wait before the next one.

    An exception of any kind is logged, counted on the heartbeat and waited out with an
    exponential back-off (``first_backoff_s`` doubling up to ``max_backoff_s``); the loop
    goes on. Only ``stop`` ends it. The cap is short so that a loop is back within
    seconds of Redis or the database returning; the log stays short because a streak
    of failures is logged once, then every ``LOG_EVERY`` rounds.
    """
    backoff = first_backoff_s
    while not stop.is_set():
        try:
            wait = one_round()
        except Exception as exc:
            if stop.is_set():
                break  # shutting down: Redis or the database may already be gone
            beat.failed(exc)
            if beat.failures == 1 or beat.failures % LOG_EVERY == 0:
                streak = f"{beat.failures} in a row, " if beat.failures > 1 else ""
                if isinstance(exc, OUTAGES):
                    log.warning(
                        "%s: %s (%sretry in %.1f s)", beat.name, beat.last_error, streak, backoff
                    )
                else:
                    log.exception(
                        "%s: round failed (%sretry in %.1f s)", beat.name, streak, backoff
                    )
            _wait_beating(beat, stop, backoff)
            backoff = min(max_backoff_s, backoff * 2)
            continue
        if beat.failures:
            log.info("%s: working again after %d failed rounds", beat.name, beat.failures)
        beat.ok()
        backoff = first_backoff_s
        if wait:
            _wait_beating(beat, stop, wait)


def _wait_beating(beat: Heartbeat, stop: threading.Event, seconds: float) -> None:
    """A loop waiting between rounds is alive: beat while the wait lasts."""
    deadline = time.monotonic() + seconds
    step = max(0.05, beat.stale_after_s / 3)
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        if stop.wait(min(left, step)):
            return
        beat.beat()
