"""Likely duplicates: the same problem reported twice (same category, nearby, recent, open).

Suggestions only; nothing is merged without a duty officer's ``merge``, which is
the workflow's ``merge`` transition (history row, event, link to the original).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.incidents.actors import Actor
from data.incidents.categories import CategoryConfig, default_categories
from data.incidents.locate import haversine_m
from data.incidents.workflow import TERMINAL, Applied, apply, aware
from data.models import Incident, IncidentState, OrgNode

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Candidate:
    incident_id: int
    tracking_no: str
    title: str
    state: IncidentState
    node_id: int
    created_at: dt.datetime
    #: None when either incident has no position (then they share the node)
    distance_m: float | None


def suggest(
    session: Session,
    *,
    category: str,
    lat: float | None,
    lon: float | None,
    at: dt.datetime | None = None,
    node_id: int | None = None,
    scope_path: str = "/",
    exclude_id: int | None = None,
    radius_m: float | None = None,
    window_hours: float | None = None,
    limit: int = 5,
    categories: CategoryConfig | None = None,
) -> list[Candidate]:
    """Open incidents of ``category`` within the radius and time window, nearest first.

    Without a position the match is the same responsible node instead of a distance.
    """
    rules = (categories or default_categories()).duplicates
    radius = rules.radius_m if radius_m is None else radius_m
    window = dt.timedelta(hours=rules.window_hours if window_hours is None else window_hours)
    at = aware(at)
    query = (
        select(Incident)
        .join(OrgNode, OrgNode.id == Incident.node_id)
        .where(
            Incident.category == category,
            Incident.state.not_in(TERMINAL),
            Incident.created_at >= at - window,
            Incident.created_at <= at + window,
            OrgNode.path.startswith(scope_path, autoescape=True),
        )
    )
    if exclude_id is not None:
        query = query.where(Incident.id != exclude_id)
    if lat is not None and lon is not None:
        dlat = radius / METRES_PER_DEGREE_LAT
        dlon = dlat / max(0.01, math.cos(math.radians(lat)))
        query = query.where(
            Incident.lat.between(lat - dlat, lat + dlat),
            Incident.lon.between(lon - dlon, lon + dlon),
        )
    elif node_id is not None:
        query = query.where(Incident.node_id == node_id)
    else:
        return []
    found: list[Candidate] = []
    for incident in session.scalars(query.limit(500)):
        distance = None
        if lat is not None and lon is not None:
            assert incident.lat is not None and incident.lon is not None
            distance = haversine_m(lat, lon, incident.lat, incident.lon)
            if distance > radius:
                continue
        found.append(_candidate(incident, distance))
    found.sort(key=lambda c: (c.distance_m or 0.0, -c.created_at.timestamp()))
    return found[:limit]


def suggest_for(
    session: Session, incident: Incident, *, scope_path: str = "/", limit: int = 5
) -> list[Candidate]:
    """Suggestions for a stored incident (e.g. right after intake)."""
    return suggest(
        session,
        category=incident.category,
        lat=incident.lat,
        lon=incident.lon,
        at=incident.created_at,
        node_id=incident.node_id,
        scope_path=scope_path,
        exclude_id=incident.id,
        limit=limit,
    )


def merge(
    session: Session,
    duplicate_id: int,
    original_id: int,
    actor: Actor,
    *,
    note: str | None = None,
    transition_id: str | None = None,
    now: dt.datetime | None = None,
) -> Applied:
    """Close ``duplicate_id`` as a duplicate linked to ``original_id`` (or its original)."""
    return apply(
        session,
        duplicate_id,
        "merge",
        actor,
        duplicate_of_id=original_id,
        note=note,
        transition_id=transition_id,
        now=now,
    )


def _candidate(incident: Incident, distance: float | None) -> Candidate:
    return Candidate(
        incident_id=incident.id,
        tracking_no=incident.tracking_no,
        title=incident.title,
        state=incident.state,
        node_id=incident.node_id,
        created_at=incident.created_at,
        distance_m=None if distance is None else round(distance, 1),
    )
