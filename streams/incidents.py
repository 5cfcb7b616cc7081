"""Incident events on Redis: the outbox relay, and the consumer base whose effects apply once.

SQL is the record. ``relay_outbox`` publishes committed outbox rows to ``gw:events``
and only then marks them published, so a Redis outage delays events but never
loses one; a crash between XADD and the mark can publish a row twice, which is
why consumers are idempotent by (incident id, transition): ``IncidentEffects``
applies each transition's effects in one Lua script guarded by a per-incident
bitmap of applied seqs, so a replayed or reclaimed entry changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from data.incidents import outbox
from data.incidents.categories import CategoryConfig
from data.incidents.deadlines import SweepReport, sweep
from data.models import OutboxMessage
from streams import keys
from streams.loops import Heartbeat, supervise
from streams.worker import Entry, StreamWorker

log = logging.getLogger(__name__)

#: approximate length cap of gw:events (a wall needs minutes of it, consumers seconds)
EVENTS_MAXLEN = 100_000
#: payload keys copied to top-level stream fields so consumers dedupe without parsing JSON
ID_FIELDS = ("kind", "incident_id", "transition_id", "seq")

SessionFactory = Callable[[], Session]


@dataclass
class RelayReport:
    published: int = 0
    failed: int = 0
    error: str | None = None


def stream_fields(row: OutboxMessage) -> dict[str, str | int]:
    """The XADD fields of one outbox row: its id, the id fields and the JSON payload."""
    fields: dict[str, str | int] = {"outbox_id": row.id}
    for key in ID_FIELDS:
        if row.payload.get(key) is not None:
            fields[key] = row.payload[key]
    fields["data"] = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":"))
    return fields


def relay_outbox(
    session_factory: SessionFactory,
    r: redis.Redis,
    batch: int = 500,
    *,
    maxlen: int | None = EVENTS_MAXLEN,
    max_batches: int | None = None,
) -> RelayReport:
    """Publish unpublished outbox rows in id order until none are left (or Redis fails).

    Each batch is one pipelined round trip inside one SQL transaction that holds the
    rows (locked on PostgreSQL, so concurrent relays skip each other's rows). On a
    Redis error the batch stays unpublished with ``attempts``/``last_error`` updated.
    """
    report = RelayReport()
    done = 0
    while max_batches is None or done < max_batches:
        done += 1
        with session_factory() as session, session.begin():
            rows = outbox.claim_batch(session, batch)
            if not rows:
                break
            ids = [row.id for row in rows]
            try:
                pipe = r.pipeline(transaction=False)
                for row in rows:
                    pipe.xadd(row.stream, stream_fields(row), maxlen=maxlen, approximate=True)
                pipe.execute()
            except redis.RedisError as exc:
                outbox.mark_failed(session, ids, f"{type(exc).__name__}: {exc}")
                report.failed += len(rows)
                report.error = str(exc)
                log.warning("outbox relay: redis unavailable, %d rows wait (%s)", len(rows), exc)
                break
            outbox.mark_published(session, ids, dt.datetime.now(dt.UTC))
        report.published += len(rows)
        if len(rows) < batch:
            break
    return report


def pump_once(
    session_factory: SessionFactory,
    r: redis.Redis,
    *,
    now: dt.datetime | None = None,
    categories: CategoryConfig | None = None,
) -> tuple[SweepReport | None, RelayReport]:
    """One round of the incident pump: sweep deadlines (commit), then relay the outbox.

    A sweep that loses a race with another process's sweep is rolled back and left to
    the next round; the relay still runs.
    """
    swept: SweepReport | None = None
    try:
        with session_factory() as session, session.begin():
            swept = sweep(session, now, categories=categories)
    except SQLAlchemyError as exc:
        log.warning("deadline sweep failed, retried next round: %s", exc)
    return swept, relay_outbox(session_factory, r)


def run_pump(
    session_factory: SessionFactory,
    r: redis.Redis,
    stop: threading.Event,
    *,
    interval_s: float = 2.0,
    beat: Heartbeat | None = None,
) -> None:
    """Loop ``pump_once`` until ``stop`` is set (a background thread of the server)."""

    def one_round() -> float:
        pump_once(session_factory, r)
        return interval_s

    supervise(beat or Heartbeat("incident-pump", stale_after_s=60.0), one_round, stop)


@dataclass(frozen=True)
class IncidentEvent:
    """One decoded ``gw:events`` entry about an incident."""

    outbox_id: int
    incident_id: int
    transition_id: str
    seq: int
    action: str
    state: str
    data: dict[str, Any]

    @classmethod
    def decode(cls, fields: dict[bytes, bytes]) -> IncidentEvent | None:
        """None for entries that are not incident events (other kinds share the stream)."""
        if fields.get(b"kind") != b"incident":
            return None
        data = json.loads(fields[b"data"])
        return cls(
            outbox_id=int(fields[b"outbox_id"]),
            incident_id=int(fields[b"incident_id"]),
            transition_id=fields[b"transition_id"].decode(),
            seq=int(fields[b"seq"]),
            action=str(data["action"]),
            state=str(data["to_state"]),
            data=data,
        )


#: KEYS: seen bitmap, last hash, state counts, action counts
#: ARGV: incident id, seq, state, action, transition id. Returns 1 when applied, 0 when seen.
_APPLY_LUA = """
if redis.call('SETBIT', KEYS[1], ARGV[2], 1) == 1 then return 0 end
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
local last = redis.call('HGET', KEYS[2], ARGV[1])
if last then
  local sep = string.find(last, '|', 1, true)
  if tonumber(ARGV[2]) < tonumber(string.sub(last, 1, sep - 1)) then return 1 end
  local rest = string.sub(last, sep + 1)
  local old_state = string.sub(rest, 1, string.find(rest, '|', 1, true) - 1)
  redis.call('HINCRBY', KEYS[3], old_state, -1)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[5])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return 1
"""


class IncidentEffects(StreamWorker):
    """Consumer-group template over ``gw:events`` whose effects are exactly-once per transition.

    The effect kept here is the live projection the wall needs: the newest applied
    transition per incident (``gw:inc:last``), how many incidents stand in each state
    (``gw:inc:states``) and how many transitions of each action were applied
    (``gw:inc:actions``). A seq older than the newest applied one (a reclaimed entry
    overtaken by a later transition) counts as applied but does not move the state
    back. Subclasses add effects by extending the Lua script's pattern: guard with
    the seen bit first, then change state, all in one script.
    """

    def __init__(self, r: redis.Redis, consumer: str, **kwargs: Any) -> None:
        super().__init__(r, keys.EVENTS_STREAM, keys.INCIDENT_EFFECTS_GROUP, consumer, **kwargs)
        self._apply = r.register_script(_APPLY_LUA)
        self.applied = 0
        self.repeated = 0

    def handle(self, entries: Sequence[Entry]) -> None:
        events = [e for e in (IncidentEvent.decode(fields) for _id, fields in entries) if e]
        if not events:
            return
        pipe = self.r.pipeline(transaction=False)
        for event in events:
            self._apply(
                keys=[
                    keys.incident_seen_key(event.incident_id),
                    keys.INCIDENT_LAST,
                    keys.INCIDENT_STATE_COUNT,
                    keys.INCIDENT_ACTION_COUNT,
                ],
                args=[event.incident_id, event.seq, event.state, event.action, event.transition_id],
                client=pipe,
            )
        results = pipe.execute()
        self.applied += sum(1 for x in results if x == 1)
        self.repeated += sum(1 for x in results if x == 0)
