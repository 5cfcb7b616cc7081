"""Writing and reading the audit log (PIPL arts. 51, 56): who, what, which, when, where."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.models import AuditLog


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


def purge_older_than(session: Session, retention_days: int) -> int:
    """The only deletion path: rows past the configured retention (≥ 3 years)."""
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=retention_days)
    result = session.execute(delete(AuditLog).where(AuditLog.at < cutoff))
    return result.rowcount or 0
