"""The one place a transition is written: its history row and its outbox event, together.

Intake, the workflow and the deadline sweep all come through ``record``, so every
change of an incident has exactly one history row (seq n+1, from = previous to)
and one event for the wall and the consumers, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from data.assessment.dirty import mark_transition_dirty
from data.incidents import outbox
from data.incidents.actors import Actor
from data.masking import mask_text
from data.models import Incident, IncidentHistory, IncidentState, OrgNode
from data.outbox_topics import EVENTS_STREAM

#: bumped when the event payload changes shape incompatibly
EVENT_VERSION = 1


def new_transition_id() -> str:
    return uuid.uuid4().hex


def record(
    session: Session,
    incident: Incident,
    *,
    action: str,
    actor: Actor,
    from_state: IncidentState | None,
    node_before_id: int | None,
    now: dt.datetime,
    transition_id: str | None = None,
    note: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    attachments: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
) -> IncidentHistory:
    """Append history row ``last_seq + 1`` for the current state and enqueue its event."""
    incident.last_seq = (incident.last_seq or 0) + 1
    incident.updated_at = now
    row = IncidentHistory(
        incident_id=incident.id,
        seq=incident.last_seq,
        at=now,
        actor=actor.name[:64],
        actor_role=actor.role,
        actor_user_id=actor.user_id,
        actor_staff_id=actor.staff_id,
        action=action,
        from_state=from_state,
        to_state=incident.state,
        note=note,
        lat=lat,
        lon=lon,
        node_before_id=node_before_id,
        node_after_id=incident.node_id,
        transition_id=transition_id or new_transition_id(),
        attachments=list(attachments),
        detail=detail or {},
    )
    session.add(row)
    session.flush()
    mark_transition_dirty(session, node_before_id, incident.node_id, now)  # assessment facts
    node = session.get(OrgNode, incident.node_id)
    outbox.enqueue(session, EVENTS_STREAM, incident_event(incident, row, node), now)
    return row


def incident_event(
    incident: Incident, row: IncidentHistory, node: OrgNode | None
) -> dict[str, Any]:
    """What consumers and the wall need, without personal data.

    No reporter and no description; the title is free text, so numbers typed into it
    are masked before it is published (the incident row keeps the original).
    """
    return {
        "v": EVENT_VERSION,
        "kind": "incident",
        "incident_id": incident.id,
        "tracking_no": incident.tracking_no,
        "transition_id": row.transition_id,
        "history_id": row.id,
        "seq": row.seq,
        "action": row.action,
        "from_state": None if row.from_state is None else str(row.from_state),
        "to_state": str(row.to_state),
        "category": incident.category,
        "source": str(incident.source),
        "title": mask_text(incident.title),
        "node_id": incident.node_id,
        "node_path": None if node is None else node.path,
        "node_before_id": row.node_before_id,
        "level": str(incident.level),
        "assignee_staff_id": incident.assignee_staff_id,
        "deadline_at": incident.deadline_at.isoformat(),
        "deadline_status": str(incident.deadline_status),
        "lat": incident.lat,
        "lon": incident.lon,
        "at": row.at.isoformat(),
        "actor_role": row.actor_role,
    }
