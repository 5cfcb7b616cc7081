"""Time limits: which level owns an incident and when its yellow and red moments fall."""

from __future__ import annotations

import datetime as dt

from data.incidents.categories import CategoryConfig
from data.models import HANDLING_LEVEL_OF_KIND, DeadlineStatus, HandlingLevel, Incident, OrgNode


def level_of(node: OrgNode | None) -> HandlingLevel | None:
    """The handling level of a node; None for the city (no time limit above the district)."""
    return None if node is None else HANDLING_LEVEL_OF_KIND[node.kind]


def deadline_for(
    config: CategoryConfig, category: str, level: HandlingLevel, start: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """(yellow_at, deadline_at) for an incident arriving at ``level`` at ``start``."""
    limit = dt.timedelta(hours=config.limit_hours(category, level))
    return start + limit * config.yellow_share(category), start + limit


def place(incident: Incident, node: OrgNode, config: CategoryConfig, start: dt.datetime) -> None:
    """Make ``node`` responsible from ``start``: its level's clock starts afresh."""
    level = level_of(node)
    if level is None:
        raise ValueError(f"node {node.id} ({node.kind}) has no handling level")
    incident.node_id = node.id
    incident.level = level
    incident.level_started_at = start
    incident.yellow_at, incident.deadline_at = deadline_for(config, incident.category, level, start)
    incident.deadline_status = DeadlineStatus.NONE
