"""The SMS sender: takes queued deliveries from SQL and sends them through a gateway;
``run_sender`` is its background loop.

Work comes from SQL, not from the alert stream: the delivery rows are the record the
duty officer watches, they already carry state, attempts and next_attempt_at, and a
conditional UPDATE is a claim that both SQLite and PostgreSQL make atomic. A stream
would add a second copy of the queue to keep in step with the first.

Exactly one text per delivery:
- a claim is ``UPDATE … SET state='sending', claimed_by=<token> WHERE state='queued'
  AND claimed_by IS NULL``, so no two senders hold a row at once;
- a live sender keeps what it holds: while it works through a batch a ``LeaseKeeper``
  thread renews ``claimed_at`` every ``lease_s / 4`` (also during a slow provider call),
  so a slow provider or a long rate-limited batch never lets the lease lapse;
- right before each provider call a fencing UPDATE checks the row is still ours (and
  renews it); a row another sender took over is skipped, never sent a second time;
- a sender that dies (or freezes, or loses the database) longer than ``lease_s`` leaves
  its rows 'sending' with an old ``claimed_at``; they are queued again and resent with
  the same message id (the delivery id), which the outbox gateway stores under a unique
  key and the HTTP gateway hands to the provider to dedupe. That resend, and the retry
  of a request that timed out or broke off, are the only second requests for a
  delivery: both follow a request whose outcome is unknown (docs/alerts.md, "Delivery
  guarantees", says where the guarantee stops).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from data.db import rows_changed
from data.models import Delivery, DeliveryState
from data.sms.gateways import Gateway, OutgoingSms, SendResult
from streams.loops import Heartbeat, supervise
from streams.sms_ratelimit import TokenBucket

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
MAX_ERROR_CHARS = 500


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SenderConfig:
    batch: int = 100
    max_attempts: int = 5
    base_backoff_s: float = 5.0
    max_backoff_s: float = 600.0
    #: a 'sending' row not renewed for this long belongs to a dead (or frozen, or cut-off)
    #: sender and is taken over; live senders renew every lease_s / 4
    lease_s: float = 120.0
    rate_per_s: float = 50.0
    burst: int = 50
    idle_s: float = 0.5


def backoff(attempts: int, base_s: float, max_s: float) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: base·2^(n-1), capped."""
    return min(max_s, base_s * 2.0 ** max(0, attempts - 1))


class LeaseKeeper:
    """Renews the lease on the rows one batch holds, from its own thread, until closed.

    A thread rather than renewals between sends, because one provider call may take
    longer than the lease. A frozen or dead process freezes or ends this thread with it,
    which is exactly when its rows must become free.
    """

    def __init__(self, sender: SmsSender, token: str) -> None:
        self.sender = sender
        self.token = token
        self.interval_s = sender.config.lease_s / 4
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{sender.name}-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sender.renew(self.token)
            except Exception:  # the fence before each send still protects; try again
                log.warning("%s: lease renewal failed", self.sender.name, exc_info=True)


class SmsSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        gateway: Gateway,
        r: redis.Redis,
        *,
        name: str = "sms-sender",
        config: SenderConfig | None = None,
        clock: Clock = _utcnow,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.gateway = gateway
        self.name = name
        self.config = config or SenderConfig()
        self.clock = clock
        #: called while a long batch is worked through (a heartbeat: the sender is alive)
        self.on_progress = on_progress
        self.bucket = TokenBucket(r, gateway.name, self.config.rate_per_s, self.config.burst)

    # -- queue operations --------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """One transaction that cannot outlive a frozen sender on PostgreSQL.

        A sender stopped (SIGSTOP, a stalled VM) between a statement and its commit would
        hold its rows' locks for as long as it stays frozen, and every other sender's
        take-over would wait on them. PostgreSQL ends a session idle in a transaction for
        longer than the lease, which frees the locks; the frozen sender finds its
        connection gone when it resumes, and its fence keeps it from sending anything the
        taker took over.
        """
        with self.sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                limit_ms = max(1000, int(self.config.lease_s * 1000))
                session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {limit_ms}"))
            yield session

    def reclaim_stale(self) -> int:
        """Queue again the rows of senders that died while holding them.

        Rows another transaction holds are skipped (``SKIP LOCKED``), never waited on: a
        live holder is renewing them, a frozen one loses them when its session is ended
        (``_transaction``), and the next round takes them.
        """
        cutoff = self.clock() - dt.timedelta(seconds=self.config.lease_s)
        with self._transaction() as session:
            stale = session.scalars(
                select(Delivery.id)
                .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_at < cutoff)
                .with_for_update(skip_locked=True)
            ).all()
            if not stale:
                return 0
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(stale),
                    Delivery.state == DeliveryState.SENDING,
                    Delivery.claimed_at < cutoff,
                )
                .values(state=DeliveryState.QUEUED, claimed_by=None, claimed_at=None),
                execution_options={"synchronize_session": False},
            )
            return rows_changed(result)

    def claim(self) -> tuple[str, list[Delivery]]:
        """Claim up to ``batch`` due rows; returns the claim's token and its rows.

        Two statements in one transaction: pick the ids (``FOR UPDATE SKIP LOCKED`` on
        PostgreSQL), then a conditional UPDATE of exactly those. As one ``UPDATE … WHERE
        id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`` PostgreSQL may run the subquery
        again per row and then claims every due row, ignoring ``batch``.
        """
        token = f"{self.name}:{uuid.uuid4().hex[:12]}"
        now = self.clock()
        with self._transaction() as session:
            ids = session.scalars(
                select(Delivery.id)
                .where(Delivery.state == DeliveryState.QUEUED, Delivery.next_attempt_at <= now)
                .order_by(Delivery.id)
                .limit(self.config.batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not ids:
                return token, []
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.state == DeliveryState.QUEUED,
                    Delivery.claimed_by.is_(None),
                )
                .values(
                    state=DeliveryState.SENDING,
                    claimed_by=token,
                    claimed_at=now,
                    attempts=Delivery.attempts + 1,
                ),
                execution_options={"synchronize_session": False},
            )
        with self.sessions() as session:
            rows = session.scalars(
                select(Delivery).where(Delivery.claimed_by == token).order_by(Delivery.id)
            ).all()
        return token, list(rows)

    def renew(self, token: str) -> int:
        """Push the lease forward on every row this claim still holds."""
        with self._transaction() as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.claimed_by == token, Delivery.state == DeliveryState.SENDING)
                .values(claimed_at=self.clock())
            )
            return rows_changed(result)

    def fence(self, delivery: Delivery, token: str) -> bool:
        """True if the row is still ours (and renewed): the check right before sending."""
        with self._transaction() as session:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery.id,
                    Delivery.claimed_by == token,
                    Delivery.state == DeliveryState.SENDING,
                )
                .values(claimed_at=self.clock())
            )
            return rows_changed(result) == 1

    def release(self, token: str) -> int:
        """Give back the rows of a claim that were never sent (stopping): queued at once,
        their attempt not counted, instead of waiting out the lease."""
        with self._transaction() as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.claimed_by == token, Delivery.state == DeliveryState.SENDING)
                .values(
                    state=DeliveryState.QUEUED,
                    claimed_by=None,
                    claimed_at=None,
                    attempts=Delivery.attempts - 1,
                )
            )
            return rows_changed(result)

    def _finish(self, delivery: Delivery, token: str, result: SendResult) -> None:
        now = self.clock()
        mine = (
            Delivery.id == delivery.id,
            Delivery.claimed_by == token,
            Delivery.state == DeliveryState.SENDING,
        )
        if result.ok:
            values: dict[str, object] = {"state": DeliveryState.SENT, "sent_at": now}
        elif result.retryable and delivery.attempts < self.config.max_attempts:
            wait = backoff(delivery.attempts, self.config.base_backoff_s, self.config.max_backoff_s)
            values = {
                "state": DeliveryState.QUEUED,
                "claimed_by": None,
                "claimed_at": None,
                "next_attempt_at": now + dt.timedelta(seconds=wait),
                "last_error": (result.error or "")[:MAX_ERROR_CHARS],
            }
        else:
            values = {
                "state": DeliveryState.FAILED,
                "failed_at": now,
                "last_error": (result.error or "")[:MAX_ERROR_CHARS],
            }
        with self._transaction() as session:
            done = session.execute(update(Delivery).where(*mine).values(**values))
        if not rows_changed(done):
            log.warning(
                "%s: delivery %s was taken over while its send was in flight (this sender "
                "was frozen or cut off longer than the lease); the taker resends it with the "
                "same message id",
                self.name,
                delivery.id,
            )

    def _wait_for_token(self, stop: threading.Event | None) -> bool:
        while True:
            if self.on_progress is not None:
                self.on_progress()
            wait = self.bucket.take()
            if wait <= 0:
                return True
            if stop is not None and stop.wait(wait):
                return False
            if stop is None:
                time.sleep(wait)

    # -- loop ----------------------------------------------------------------
    def run_once(self, stop: threading.Event | None = None) -> int:
        """Reclaim, claim one batch and send it; returns how many texts were attempted."""
        self.reclaim_stale()
        token, rows = self.claim()
        if not rows:
            return 0
        with LeaseKeeper(self, token):
            return self._send_batch(token, rows, stop)

    def _send_batch(self, token: str, rows: list[Delivery], stop: threading.Event | None) -> int:
        done = 0
        for delivery in rows:
            if not self._wait_for_token(stop):
                self.release(token)  # stopping: the rest go back to the queue now
                break
            if not self.fence(delivery, token):
                log.warning("%s: delivery %s was taken over; not sent", self.name, delivery.id)
                continue
            self._finish(delivery, token, self._send(delivery))
            done += 1
        return done

    def _send(self, delivery: Delivery) -> SendResult:
        sms = OutgoingSms(
            message_id=str(delivery.id),
            phone=delivery.phone,
            text=delivery.text,
            alert_id=delivery.alert_id,
            action_id=delivery.action_id,
            delivery_id=delivery.id,
            staff_id=delivery.staff_id,
        )
        try:
            return self.gateway.send(sms)
        except Exception as exc:  # a gateway bug must not kill the sender
            log.exception("gateway %s failed on delivery %s", self.gateway.name, delivery.id)
            return SendResult(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")

    def one_round(self, stop: threading.Event | None = None) -> float:
        """One supervised round; waits ``idle_s`` when nothing was due."""
        return self.config.idle_s if self.run_once(stop) == 0 else 0.0


def run_sender(sender: SmsSender, stop: threading.Event, beat: Heartbeat | None = None) -> None:
    """Send queued texts until ``stop``; no error ends the loop (a pool timeout included).

    The sender beats while it works through a long (rate-limited) batch, so a slow
    provider is not mistaken for a stuck loop.
    """
    beat = beat or Heartbeat(sender.name, stale_after_s=120.0)
    sender.on_progress = beat.beat
    supervise(beat, lambda: sender.one_round(stop), stop)
