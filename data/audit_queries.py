"""Searching the audit log inside an org scope (the page and its CSV export share this).

Rows are scoped by their ``node_id``: a row belongs to the subtree its node lies
in. Rows without a node (a failed login for an unknown name, CLI commands) are
city-level and shown only to users whose scope is the whole tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.models import AuditLog, OrgNode


def search_in_scope(
    session: Session,
    *,
    path: str,
    include_unscoped: bool,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 500,
) -> Sequence[tuple[AuditLog, str | None]]:
    """Newest first: (row, name of its node); ``since``/``until`` are aware datetimes."""
    in_scope = OrgNode.path.startswith(path, autoescape=True)
    condition = or_(in_scope, AuditLog.node_id.is_(None)) if include_unscoped else in_scope
    query = (
        select(AuditLog, OrgNode.name)
        .outerjoin(OrgNode, OrgNode.id == AuditLog.node_id)
        .where(condition)
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    if actor and actor.strip():
        query = query.where(AuditLog.actor.contains(actor.strip(), autoescape=True))
    if action:
        query = query.where(AuditLog.action == action)
    if since:
        query = query.where(AuditLog.at >= since.astimezone(dt.UTC))
    if until:
        query = query.where(AuditLog.at < until.astimezone(dt.UTC))
    return [(log_row, node_name) for log_row, node_name in session.execute(query)]


def actions_seen(session: Session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
