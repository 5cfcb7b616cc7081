"""Daily facts: the raw counts of every grid (and of each staff member in it) per local day.

Computed from the record (incident history, incidents, alert deliveries) with one
query per source and pandas group-bys: no Python loop over rows. Stored in
``assessment_fact`` (delete + insert of the recomputed days in the caller's
transaction, the same on SQLite and PostgreSQL), so a year's ranking reads facts,
not every incident. docs/assessment.md lists every measure and its attribution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from data.assessment.scheme import MEASURES
from data.models import (
    AssessmentDirtyDay,
    AssessmentFact,
    Delivery,
    Incident,
    IncidentHistory,
    NodeKind,
    OrgNode,
    Staff,
)
from data.timezones import start_of_day

COLUMNS = ["day", "node_id", "staff_id", "measure", "value"]
MEASURE_DTYPE = pd.CategoricalDtype(MEASURES)

#: history actions counted as they are, attributed to the node after the transition
ACTION_MEASURES = {
    "report": "reported",
    "accept": "accepted",
    "dispatch": "dispatched",
    "handle": "handled",
    "close": "closed",
    "verify": "verified",
    "return": "returned",
    "deadline_yellow": "yellow",
    "deadline_red": "red",
}
#: history actions behind a deduction (explain() lists their incidents)
DEDUCTION_ACTIONS = {"deadline_yellow": "yellow", "deadline_red": "red", "escalate": "escalated"}
DELIVERY_MEASURES = ("alert_deliveries", "alert_acks", "ack_seconds_sum", "ack_seconds_p50")
#: what ``compute_facts`` writes; duty/online seconds come from elsewhere and are kept
COMPUTED_MEASURES: tuple[str, ...] = (
    *ACTION_MEASURES.values(),
    "reported_own",
    "handled_on_time",
    "escalated",
    *DELIVERY_MEASURES,
)


def empty_facts() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=_DTYPES[name]) for name in COLUMNS})


def utc_window(start: dt.date, end: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Local days ``start`` .. ``end`` as a half-open UTC interval."""
    low = start_of_day(start, tz).astimezone(dt.UTC)
    return low, start_of_day(end + dt.timedelta(days=1), tz).astimezone(dt.UTC)


def compute_facts(
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    grid_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """Every computed measure of the grids (all when None) for local days start .. end.

    Long format (``COLUMNS``); zero counts are left out; ``staff_id`` 0 is the grid.
    """
    grids = _grid_ids(session, grid_ids)
    history = _history_events(session, start, end, tz, grid_ids)
    parts = [_count(history, grids), _delivery_facts(session, start, end, tz, grids)]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return empty_facts()
    facts = pd.concat(parts, ignore_index=True)
    return facts[facts["value"] != 0][COLUMNS].reset_index(drop=True)


def store_facts(
    session: Session,
    facts: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    grid_ids: Collection[int] | None = None,
) -> int:
    """Replace the computed measures of those days (and grids) with ``facts``; returns rows."""
    statement = delete(AssessmentFact).where(
        AssessmentFact.day >= start,
        AssessmentFact.day <= end,
        AssessmentFact.measure.in_(COMPUTED_MEASURES),
    )
    if grid_ids is not None:
        statement = statement.where(AssessmentFact.node_id.in_(list(grid_ids)))
    session.execute(statement)
    rows = _records(facts)
    if rows:
        session.execute(insert(AssessmentFact), rows)
    return len(rows)


def refresh_range(
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    grid_ids: Collection[int] | None = None,
) -> int:
    """Recompute and store the facts of local days start .. end (grids: all when None)."""
    facts = compute_facts(session, start, end, tz, grid_ids)
    return store_facts(session, facts, start, end, grid_ids)


def refresh_dirty(session: Session, tz: dt.tzinfo, limit: int = 1000) -> int:
    """Recompute up to ``limit`` dirty (day, grid) pairs, oldest day first; returns how many.

    The pairs are row-locked (others skip them) and deleted with the new facts in the
    caller's transaction; a change that marks one of them meanwhile waits for the lock,
    so its mark is written after, and the next round takes it.
    """
    taken = session.execute(
        select(AssessmentDirtyDay.day, AssessmentDirtyDay.node_id)
        .order_by(AssessmentDirtyDay.day, AssessmentDirtyDay.node_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not taken:
        return 0
    dirty = pd.DataFrame(taken, columns=["day", "node_id"])
    for day, nodes in dirty.groupby("day")["node_id"]:
        refresh_range(session, day, day, tz, [int(n) for n in nodes])
        session.execute(
            delete(AssessmentDirtyDay).where(
                AssessmentDirtyDay.day == day, AssessmentDirtyDay.node_id.in_(nodes.tolist())
            )
        )
    return len(taken)


def load_facts(
    session: Session, start: dt.date, end: dt.date, node_path: str | None = None
) -> pd.DataFrame:
    """The stored facts of local days start .. end, in the subtree at ``node_path`` if given.

    ``day`` comes back as datetime64 (midnight), which ``scoring`` filters quickly.
    """
    query = select(
        AssessmentFact.day,
        AssessmentFact.node_id,
        AssessmentFact.staff_id,
        AssessmentFact.measure,
        AssessmentFact.value,
    ).where(AssessmentFact.day >= start, AssessmentFact.day <= end)
    if node_path is not None:
        query = query.join(OrgNode, OrgNode.id == AssessmentFact.node_id).where(
            OrgNode.path.startswith(node_path, autoescape=True)
        )
    rows = session.execute(query).all()
    facts = pd.DataFrame(rows, columns=COLUMNS) if rows else empty_facts()
    # datetime64 days and categorical measures: scoring filters and groups millions of rows
    return facts.assign(
        day=pd.to_datetime(facts["day"]), measure=facts["measure"].astype(MEASURE_DTYPE)
    )


def load_staff(session: Session, node_path: str) -> pd.DataFrame:
    """Active staff in the subtree at ``node_path``: staff_id, name, node_id (for scoring)."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.node_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Staff.active.is_(True), OrgNode.path.startswith(node_path, autoescape=True))
        .order_by(Staff.id)
    ).all()
    return pd.DataFrame(rows, columns=["staff_id", "name", "node_id"])


def deduction_incidents(
    session: Session,
    grid_ids: Collection[int] | None,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """The incidents behind the deductions of those grids: one row per lapse or escalation.

    Columns: incident_id, tracking_no, measure, at (UTC), node_id — attributed as the
    facts are (lapses to the grid it lay with, escalations to the grid it left); with
    ``staff_id``, only that staff member's (lapses while assigned, escalations made).
    """
    events = _history_events(session, start, end, tz, grid_ids, DEDUCTION_ACTIONS)
    events["measure"] = events["action"].map(DEDUCTION_ACTIONS)
    escalated = events["action"] == "escalate"
    events["node_id"] = events["node_after"].where(~escalated, events["node_before"])
    events["staff"] = events["assignee"].where(~escalated, events["actor_staff"])
    if grid_ids is not None:
        events = events[events["node_id"].isin(list(grid_ids))]
    if staff_id is not None:
        events = events[events["staff"] == staff_id]
    out = events[["incident_id", "tracking_no", "measure", "at", "node_id"]]
    return out.sort_values(["at", "incident_id"]).reset_index(drop=True)


# -- the record, read once per source -------------------------------------------------------

_DTYPES = {"day": "object", "node_id": "int64", "staff_id": "int64", "measure": "object"}
_DTYPES["value"] = "float64"
_HISTORY_COLUMNS = [
    "at",
    "action",
    "node_before",
    "node_after",
    "actor_staff",
    "incident_id",
    "tracking_no",
    "deadline_at",
    "reporter_staff",
    "assignee",
    "reporter_node",
]


def _grid_ids(session: Session, grid_ids: Collection[int] | None) -> set[int]:
    query = select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID)
    if grid_ids is not None:
        query = query.where(OrgNode.id.in_(list(grid_ids)))
    return set(session.scalars(query))


def _history_events(
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    grid_ids: Collection[int] | None,
    actions: Collection[str] = (*ACTION_MEASURES, "escalate"),
) -> pd.DataFrame:
    """History rows of the window with what attribution needs, plus their local day."""
    low, high = utc_window(start, end, tz)
    reporter = Staff.__table__.alias("reporter")
    query = (
        select(
            IncidentHistory.at,
            IncidentHistory.action,
            IncidentHistory.node_before_id,
            IncidentHistory.node_after_id,
            IncidentHistory.actor_staff_id,
            Incident.id,
            Incident.tracking_no,
            Incident.deadline_at,
            Incident.reporter_staff_id,
            Incident.assignee_staff_id,
            reporter.c.node_id,
        )
        .join(Incident, Incident.id == IncidentHistory.incident_id)
        .outerjoin(reporter, reporter.c.id == Incident.reporter_staff_id)
        .where(IncidentHistory.at >= low, IncidentHistory.at < high)
        .where(IncidentHistory.action.in_(list(actions)))
    )
    if grid_ids is not None:
        wanted = list(grid_ids)
        query = query.where(
            IncidentHistory.node_after_id.in_(wanted) | IncidentHistory.node_before_id.in_(wanted)
        )
    events = pd.DataFrame(session.execute(query).all(), columns=_HISTORY_COLUMNS)
    events["at"] = pd.to_datetime(events["at"], utc=True)
    events["deadline_at"] = pd.to_datetime(events["deadline_at"], utc=True)
    events["day"] = events["at"].dt.tz_convert(tz).dt.date
    return events


def _count(events: pd.DataFrame, grids: set[int]) -> pd.DataFrame:
    """Each event as (day, node, staff, measure), counted per grid and per staff member."""
    plain = events[events["action"].isin(list(ACTION_MEASURES))]
    lapse = plain["action"].isin(["deadline_yellow", "deadline_red"])
    report = plain["action"] == "report"
    staff = plain["actor_staff"].where(~lapse, plain["assignee"])
    staff = staff.where(~report, plain["reporter_staff"])
    handle = events[events["action"] == "handle"]
    on_time = handle[handle["at"] <= handle["deadline_at"]]
    reports = events[events["action"] == "report"]
    own = reports[reports["reporter_node"] == reports["node_after"]]
    escalate = events[events["action"] == "escalate"]
    parts = [
        _part(plain, plain["action"].map(ACTION_MEASURES), plain["node_after"], staff),
        _part(on_time, "handled_on_time", on_time["node_after"], on_time["actor_staff"]),
        _part(own, "reported_own", own["node_after"], own["reporter_staff"]),
        _part(escalate, "escalated", escalate["node_before"], escalate["actor_staff"]),
    ]
    attributed = pd.concat(parts, ignore_index=True)
    attributed = attributed[attributed["node_id"].isin(list(grids))]
    return _grid_and_staff_counts(attributed)


def _part(events: pd.DataFrame, measure: object, node: pd.Series, staff: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"day": events["day"], "node_id": node, "staff_id": staff, "measure": measure}
    )


def _grid_and_staff_counts(attributed: pd.DataFrame) -> pd.DataFrame:
    """Counts per grid (staff 0) and per staff member with a known id."""
    if attributed.empty:
        return empty_facts()
    attributed = attributed.astype({"node_id": "int64"})
    grid = attributed.groupby(["day", "node_id", "measure"]).size().rename("value").reset_index()
    grid["staff_id"] = 0
    named = attributed.dropna(subset=["staff_id"]).astype({"staff_id": "int64"})
    keys = ["day", "node_id", "staff_id", "measure"]
    per_staff = named.groupby(keys).size().rename("value").reset_index()
    both = pd.concat([grid[COLUMNS], per_staff[COLUMNS]], ignore_index=True)
    return both.astype({"value": "float64"})


def _delivery_facts(
    session: Session, start: dt.date, end: dt.date, tz: dt.tzinfo, grids: set[int]
) -> pd.DataFrame:
    """Alert deliveries sent in the window to staff of the grids, and their acknowledgements."""
    low, high = utc_window(start, end, tz)
    rows = session.execute(
        select(Delivery.sent_at, Delivery.acknowledged_at, Delivery.staff_id, Staff.node_id)
        .join(Staff, Staff.id == Delivery.staff_id)
        .where(Delivery.sent_at >= low, Delivery.sent_at < high)
    ).all()
    sent = pd.DataFrame(rows, columns=["sent_at", "acked_at", "staff_id", "node_id"])
    sent = sent[sent["node_id"].isin(list(grids))]
    if sent.empty:
        return empty_facts()
    sent_at = pd.to_datetime(sent["sent_at"], utc=True)
    acked_at = pd.to_datetime(sent["acked_at"], utc=True)
    sent = sent.assign(
        day=sent_at.dt.tz_convert(tz).dt.date,
        ack=acked_at.notna().astype("int64"),
        seconds=(acked_at - sent_at).dt.total_seconds(),
    )
    whole = sent.assign(staff_id=0)
    return pd.concat([_delivery_measures(whole), _delivery_measures(sent)], ignore_index=True)


def _delivery_measures(sent: pd.DataFrame) -> pd.DataFrame:
    grouped = sent.groupby(["day", "node_id", "staff_id"]).agg(
        alert_deliveries=("ack", "size"),
        alert_acks=("ack", "sum"),
        ack_seconds_sum=("seconds", "sum"),
        ack_seconds_p50=("seconds", "median"),
    )
    long = grouped.reset_index().melt(
        id_vars=["day", "node_id", "staff_id"], var_name="measure", value_name="value"
    )
    return long.dropna(subset=["value"]).astype({"value": "float64"})[COLUMNS]


def _records(facts: pd.DataFrame) -> list[dict[str, object]]:
    """Plain Python values for the insert (``to_dict`` unboxes numpy scalars)."""
    if facts.empty:
        return []
    out = facts[COLUMNS].astype({"node_id": "int64", "staff_id": "int64", "value": "float64"})
    records: list[dict[str, object]] = out.to_dict("records")
    return records
