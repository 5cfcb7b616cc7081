"""The outbox table: events written with the change they announce, relayed to Redis later.

Rows are added in the caller's transaction (so an event exists exactly when its
change committed) and marked published by the relay in streams/outbox_relay.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.models import OutboxMessage

#: last_error is kept short: it is a hint for the operator, not a log
MAX_ERROR_CHARS = 500


def enqueue(
    session: Session, stream: str, payload: dict[str, Any], now: dt.datetime
) -> OutboxMessage:
    row = OutboxMessage(stream=stream, payload=payload, created_at=now, attempts=0)
    session.add(row)
    return row


def claim_batch(session: Session, limit: int) -> Sequence[OutboxMessage]:
    """Oldest unpublished rows; on PostgreSQL locked so a second relay skips them."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.published_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).all()


def mark_published(session: Session, ids: Sequence[int], now: dt.datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(published_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
    )


def mark_failed(session: Session, ids: Sequence[int], error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(attempts=OutboxMessage.attempts + 1, last_error=error[:MAX_ERROR_CHARS])
    )


def unpublished_count(session: Session) -> int:
    query = select(func.count(OutboxMessage.id)).where(OutboxMessage.published_at.is_(None))
    return session.scalar(query) or 0


def purge_published(session: Session, older_than: dt.datetime) -> int:
    """Delete rows published before ``older_than``; SQL history stays the record."""
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.published_at.is_not(None), OutboxMessage.published_at < older_than
        )
    )
    return rows_changed(result)
