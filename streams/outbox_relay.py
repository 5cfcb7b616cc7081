"""The outbox relay: committed outbox rows out to their Redis streams, never one lost.

SQL is the record. ``relay_outbox`` publishes committed outbox rows to the stream each
row names (``gw:events`` for incidents, ``gw:alerts`` for alerts: ``data.outbox_topics``)
and only then marks them published, so a Redis outage delays events but never loses
one; a crash between XADD and the mark can publish a row twice, which is why consumers
are idempotent by (incident id, transition) and the push by (alert id, seq).
The incident pump (streams/incident_pump.py) runs it every round; a request that has
just written a row may run it at once so the wall hears without waiting for the pump.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import redis
from redis.typing import EncodableT, FieldT
from sqlalchemy.orm import Session

from data.incidents import outbox
from data.models import OutboxMessage

log = logging.getLogger(__name__)

#: approximate length cap of each relayed stream (a wall needs minutes of it, consumers seconds)
EVENTS_MAXLEN = 100_000
#: payload keys copied to top-level stream fields so consumers dedupe without parsing JSON
ID_FIELDS = ("kind", "incident_id", "transition_id", "seq")

SessionFactory = Callable[[], Session]


@dataclass
class RelayReport:
    published: int = 0
    failed: int = 0
    error: str | None = None


def stream_fields(row: OutboxMessage) -> dict[FieldT, EncodableT]:
    """The XADD fields of one outbox row: its id, the id fields and the JSON payload."""
    fields: dict[FieldT, EncodableT] = {"outbox_id": row.id}
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
