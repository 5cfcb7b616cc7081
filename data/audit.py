"""Writing and reading the audit log (PIPL arts. 51, 56): who, what, which, when, where."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import DateTime, delete, func, select
from sqlalchemy.orm import Session

from data.models import AuditLog

#: the shortest retention the law allows (PIPL art. 56: three years); the database's
#: trigger (migration 0007) refuses deleting any younger row, whoever asks
LEGAL_MINIMUM_DAYS = 3 * 365


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    node_id: int | None = None,
    address: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one row in the caller's transaction, so the action and its trace commit together."""
    row = AuditLog(
        actor=actor[:64],
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        node_id=node_id,
        address=address,
        outcome=outcome,
        detail=detail or {},
    )
    session.add(row)
    return row


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 500,
) -> Sequence[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditLog.actor.contains(actor, autoescape=True))
    if action:
        query = query.where(AuditLog.action == action)
    if since:
        query = query.where(AuditLog.at >= since)
    if until:
        query = query.where(AuditLog.at < until)
    return session.scalars(query).all()


def database_now(session: Session) -> dt.datetime:
    """The database's clock (UTC): the trigger judges a row's age by it, so the purge does
    too, and an application host whose clock runs ahead never asks for a refused delete."""
    now = session.scalar(select(func.current_timestamp(type_=DateTime(timezone=True))))
    assert now is not None
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def purge_older_than(session: Session, retention_days: int) -> int:
    """The only deletion path: rows past the configured retention (≥ 3 years).

    Never asks for a row younger than the legal minimum; if it did, the database would
    refuse the whole statement and delete nothing.
    """
    if retention_days < LEGAL_MINIMUM_DAYS:
        raise ValueError(
            f"audit retention {retention_days} days is below the legal minimum "
            f"of {LEGAL_MINIMUM_DAYS} days"
        )
    cutoff = database_now(session) - dt.timedelta(days=retention_days)
    result = session.execute(delete(AuditLog).where(AuditLog.at < cutoff))
    return result.rowcount or 0
