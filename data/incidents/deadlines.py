"""Time limits over time: the sweep that turns incidents yellow, red, and escalates them.

Deadlines are stored on the incident when its level's clock starts, so a sweep
after a restart (or a category-file edit) judges each incident by what it was
promised. Every mark is a history row plus an outbox event, so the wall learns of
it; marks have deterministic transition ids per level's clock, so a sweep run
twice, or by two processes, marks once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.incidents import journal, limits
from data.incidents.actors import Actor
from data.incidents.categories import CategoryConfig, default_categories
from data.incidents.limits import deadline_for
from data.incidents.workflow import CLOCK_RUNNING, apply, aware
from data.models import DeadlineStatus, Incident, IncidentHistory, OrgNode

__all__ = ["SweepReport", "deadline_for", "sweep"]

BATCH = 500


@dataclass
class SweepReport:
    yellow: list[int] = field(default_factory=list)
    red: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.yellow) + len(self.red) + len(self.escalated)


def sweep(
    session: Session,
    now: dt.datetime | None = None,
    *,
    categories: CategoryConfig | None = None,
) -> SweepReport:
    """Mark lapsed incidents red (escalating where the category says so), then due ones yellow.

    Runs in the caller's transaction; the caller commits. Only incidents whose clock
    runs (see ``CLOCK_RUNNING``) are judged.
    """
    now = aware(now)
    config = categories or default_categories()
    report = SweepReport()
    while batch := _due(session, now, red=True):
        for incident in batch:
            _mark(session, incident, DeadlineStatus.RED, now)
            report.red.append(incident.id)
            if _escalate_if_configured(session, incident, config, now):
                report.escalated.append(incident.id)
    while batch := _due(session, now, red=False):
        for incident in batch:
            _mark(session, incident, DeadlineStatus.YELLOW, now)
            report.yellow.append(incident.id)
    return report


def _due(session: Session, now: dt.datetime, *, red: bool) -> list[Incident]:
    query = select(Incident).where(Incident.state.in_(CLOCK_RUNNING))
    if red:
        query = query.where(
            Incident.deadline_status != DeadlineStatus.RED, Incident.deadline_at <= now
        )
    else:
        query = query.where(
            Incident.deadline_status == DeadlineStatus.NONE,
            Incident.yellow_at <= now,
            Incident.deadline_at > now,
        )
    query = query.order_by(Incident.id).limit(BATCH).with_for_update(skip_locked=True)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def _clock_id(incident: Incident, what: str) -> str:
    """One id per incident, level clock and mark: the same mark is never written twice."""
    started = round(incident.level_started_at.timestamp() * 1_000_000)
    return f"deadline:{incident.id}:{started}:{what}"


def _mark(session: Session, incident: Incident, status: DeadlineStatus, now: dt.datetime) -> None:
    transition_id = _clock_id(incident, status.value)
    if session.scalar(
        select(IncidentHistory.id).where(IncidentHistory.transition_id == transition_id)
    ):
        incident.deadline_status = status  # written before by another sweep; just agree
        return
    incident.deadline_status = status
    journal.record(
        session,
        incident,
        action=f"deadline_{status.value}",
        actor=Actor.system(),
        from_state=incident.state,
        node_before_id=incident.node_id,
        now=now,
        transition_id=transition_id,
        detail={
            "level": str(incident.level),
            "yellow_at": incident.yellow_at.isoformat(),
            "deadline_at": incident.deadline_at.isoformat(),
        },
    )


def _escalate_if_configured(
    session: Session, incident: Incident, config: CategoryConfig, now: dt.datetime
) -> bool:
    category = config.get(incident.category)
    if category is None or not category.auto_escalate:
        return False
    node = session.get(OrgNode, incident.node_id)
    parent = (
        None if node is None or node.parent_id is None else session.get(OrgNode, node.parent_id)
    )
    if limits.level_of(parent) is None:
        return False  # already at the top handling level: it stays red
    result = apply(
        session,
        incident.id,
        "escalate",
        Actor.system(),
        note="超过办理时限，系统自动上报上一级",
        transition_id=_clock_id(incident, "escalate"),
        now=now,
        categories=config,
    )
    return not result.replayed
