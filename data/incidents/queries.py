"""Reading incidents for lists, detail views and citizens' status look-ups.

Every staff-facing query is bounded by the caller's subtree path; only the
tracking-number look-up (what a citizen holds) is not, and it returns the record
for the caller to reduce to public fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data.models import (
    DeadlineStatus,
    Incident,
    IncidentHistory,
    IncidentSource,
    IncidentState,
    OrgNode,
    Staff,
)

MAX_PAGE = 500
Q = TypeVar("Q", bound=Select[Any])


def list_incidents(
    session: Session,
    scope_path: str,
    *,
    states: Iterable[IncidentState | str] = (),
    categories: Iterable[str] = (),
    sources: Iterable[IncidentSource | str] = (),
    node_id: int | None = None,
    overdue: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[Incident]:
    """Newest first; ``node_id`` narrows to that node's subtree, ``overdue`` to red ones."""
    query = _filtered(
        session,
        select(Incident),
        scope_path,
        states,
        categories,
        sources,
        node_id,
        overdue,
        since,
        until,
    )
    query = query.order_by(Incident.created_at.desc(), Incident.id.desc())
    return session.scalars(query.limit(min(limit, MAX_PAGE)).offset(offset)).all()


def count_incidents(
    session: Session,
    scope_path: str,
    *,
    states: Iterable[IncidentState | str] = (),
    categories: Iterable[str] = (),
    sources: Iterable[IncidentSource | str] = (),
    node_id: int | None = None,
    overdue: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> int:
    query = _filtered(
        session,
        select(func.count(Incident.id)),
        scope_path,
        states,
        categories,
        sources,
        node_id,
        overdue,
        since,
        until,
    )
    return session.scalar(query) or 0


def get_incident(session: Session, scope_path: str, incident_id: int) -> Incident | None:
    """The incident when it lies in the caller's subtree, else None (not "forbidden")."""
    query = (
        select(Incident)
        .join(OrgNode, OrgNode.id == Incident.node_id)
        .where(Incident.id == incident_id, OrgNode.path.startswith(scope_path, autoescape=True))
    )
    return session.scalar(query)


def by_tracking_no(session: Session, tracking_no: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.tracking_no == tracking_no.strip()))


def timeline(session: Session, incident_id: int) -> Sequence[IncidentHistory]:
    """All history rows, oldest first (seq 1..n)."""
    query = select(IncidentHistory).where(IncidentHistory.incident_id == incident_id)
    return session.scalars(query.order_by(IncidentHistory.seq)).all()


def _filtered(
    session: Session,
    query: Q,
    scope_path: str,
    states: Iterable[IncidentState | str],
    categories: Iterable[str],
    sources: Iterable[IncidentSource | str],
    node_id: int | None,
    overdue: bool | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Q:
    query = query.join(OrgNode, OrgNode.id == Incident.node_id).where(
        OrgNode.path.startswith(scope_path, autoescape=True)
    )
    if states := [IncidentState(s) for s in states]:
        query = query.where(Incident.state.in_(states))
    if categories := list(categories):
        query = query.where(Incident.category.in_(categories))
    if sources := [IncidentSource(s) for s in sources]:
        query = query.where(Incident.source.in_(sources))
    if node_id is not None:
        node_path = session.scalar(select(OrgNode.path).where(OrgNode.id == node_id))
        query = query.where(OrgNode.path.startswith(node_path or "\0", autoescape=True))
    if overdue is not None:
        red = Incident.deadline_status == DeadlineStatus.RED
        query = query.where(red if overdue else ~red)
    if since is not None:
        query = query.where(Incident.created_at >= since)
    if until is not None:
        query = query.where(Incident.created_at < until)
    return query


def staff_under(session: Session, node_path: str, limit: int) -> list[tuple[int, str, str]]:
    """Active staff whose node lies under ``node_path``: (id, name, node name), by id."""
    rows = session.execute(
        select(Staff.id, Staff.name, OrgNode.name)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Staff.active.is_(True), OrgNode.path.startswith(node_path, autoescape=True))
        .order_by(Staff.id)
        .limit(limit)
    )
    return [(staff_id, name, node_name) for staff_id, name, node_name in rows]
