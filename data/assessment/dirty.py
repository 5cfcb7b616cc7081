"""Marking a grid's days dirty, in the transaction of the change that makes them so.

Kept apart from ``facts`` (and free of pandas) because the incident journal and the
alert lifecycle call it on every change. The refresh loop
(streams/assessment_refresh.py) recomputes what is marked.

A moment is marked on both local days it can fall on in any zone (UTC−12 … UTC+14),
so the writers need no display zone; recomputing one extra day costs nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.models import AssessmentDirtyDay, Delivery, Staff

#: the widest offsets of any zone from UTC: a moment's local day is within these
EARLIEST_OFFSET = dt.timedelta(hours=-12)
LATEST_OFFSET = dt.timedelta(hours=14)


def candidate_days(moment: dt.datetime) -> list[dt.date]:
    """The local days ``moment`` falls on in the zones furthest west and east."""
    utc = moment.astimezone(dt.UTC)
    return sorted({(utc + EARLIEST_OFFSET).date(), (utc + LATEST_OFFSET).date()})


def mark_dirty(session: Session, node_id: int, moment: dt.datetime) -> None:
    """Note that ``node_id``'s facts around ``moment`` must be recomputed.

    An upsert that rewrites an existing row rather than skipping it: on PostgreSQL it
    takes the row's lock, so a refresh holding that row finishes first and this mark
    survives it (the change is then recomputed by the next round).
    """
    rows = [{"day": day, "node_id": node_id} for day in candidate_days(moment)]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(AssessmentDirtyDay).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "node_id"], set_={"day": statement.excluded.day}
    )
    session.execute(statement)


def mark_transition_dirty(
    session: Session, node_before_id: int | None, node_after_id: int, moment: dt.datetime
) -> None:
    """An incident transition changes the facts of the node it left and the node it is at."""
    nodes = {node_after_id} if node_before_id is None else {node_after_id, node_before_id}
    for node_id in sorted(nodes):
        mark_dirty(session, node_id, moment)


def mark_acknowledgement_dirty(session: Session, alert_id: int, staff_id: int) -> None:
    """An acknowledgement changes the facts of the day its delivery was sent."""
    sent = session.execute(
        select(Delivery.sent_at, Staff.node_id)
        .join(Staff, Staff.id == Delivery.staff_id)
        .where(Delivery.alert_id == alert_id, Delivery.staff_id == staff_id)
        .where(Delivery.acknowledged_at.is_not(None), Delivery.sent_at.is_not(None))
        .order_by(Delivery.action_id.desc())
        .limit(1)
    ).first()
    if sent is not None and sent.sent_at is not None:
        mark_dirty(session, sent.node_id, sent.sent_at)
