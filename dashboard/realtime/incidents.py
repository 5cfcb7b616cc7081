"""Incident events as the wall shows them: compact, without personal data, routed by node.

The title is free text (an SMS report's title is the text itself), so numbers typed
into it are masked here, where both the push and the snapshot build their items.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data.incidents.categories import CategoryConfig
from data.incidents.queries import list_incidents
from data.masking import mask_text
from data.models import INCIDENT_STATE_LABELS, Incident, IncidentState
from streams.incident_effects import IncidentEvent

INCIDENT_EVENT = "inc"

#: states after which an incident leaves the wall's map
FINISHED = {
    IncidentState.CLOSED.value,
    IncidentState.REJECTED.value,
    IncidentState.DUPLICATE.value,
    IncidentState.TRANSFERRED.value,
}


def _label(state: str) -> str:
    try:
        return INCIDENT_STATE_LABELS[IncidentState(state)]
    except ValueError:
        return state


def wall_item(
    *,
    incident_id: int,
    tracking_no: str,
    title: str,
    category: str,
    state: str,
    deadline_status: str,
    lat: float | None,
    lon: float | None,
    at: str,
    action: str,
    categories: CategoryConfig,
) -> dict[str, Any]:
    category_config = categories.get(category)
    return {
        "id": incident_id,
        "no": tracking_no,
        "title": mask_text(title),
        "category": category_config.name if category_config else category,
        "state": state,
        "state_label": _label(state),
        "deadline": deadline_status,
        "lat": lat,
        "lon": lon,
        "at": at,
        "action": action,
        "finished": state in FINISHED,
    }


def from_event(
    fields: dict[bytes, bytes], categories: CategoryConfig
) -> tuple[list[int], dict[str, Any]] | None:
    """(ancestor node ids, wall item) of one ``gw:events`` entry, or None if not an incident."""
    event = IncidentEvent.decode(fields)
    if event is None:
        return None
    data = event.data
    path = data.get("node_path") or ""
    ancestors = [int(part) for part in path.strip("/").split("/") if part]
    item = wall_item(
        incident_id=event.incident_id,
        tracking_no=str(data.get("tracking_no", "")),
        title=str(data.get("title", "")),
        category=str(data.get("category", "")),
        state=event.state,
        deadline_status=str(data.get("deadline_status", "none")),
        lat=data.get("lat"),
        lon=data.get("lon"),
        at=str(data.get("at", "")),
        action=event.action,
        categories=categories,
    )
    return ancestors, item


def from_incident(incident: Incident, categories: CategoryConfig) -> dict[str, Any]:
    """The same item for an incident read from SQL (the wall's snapshot)."""
    return wall_item(
        incident_id=incident.id,
        tracking_no=incident.tracking_no,
        title=incident.title,
        category=incident.category,
        state=str(incident.state),
        deadline_status=str(incident.deadline_status),
        lat=incident.lat,
        lon=incident.lon,
        at=incident.updated_at.isoformat(),
        action="snapshot",
        categories=categories,
    )


#: how many open incidents the wall's snapshot carries (newest first)
WALL_INCIDENTS = 200


def open_items(session: Session, path: str, categories: CategoryConfig) -> list[dict[str, Any]]:
    """Open incidents in the subtree at ``path``, as wall items, newest first."""
    open_states = [s for s in IncidentState if s.value not in FINISHED]
    rows = list_incidents(session, path, states=open_states, limit=WALL_INCIDENTS)
    return [from_incident(incident, categories) for incident in rows]
