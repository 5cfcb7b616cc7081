"""Live alerts a video wall shows for its focus.

The rule is the push's (``dashboard/realtime_alerts.concerns``): an alert concerns a
wall focused at F when its node is F, an ancestor of F (F lies inside the alerted
area) or a node inside F's subtree (the alerted area lies inside the view).

Scope: the focus must lie in the viewer's subtree, as everywhere on the wall. Alerts
at the ancestors of an in-scope focus are shown even above the viewer's own node: they
cover the viewer's area (its staff were texted about them), and the push sends them to
the same rooms, so snapshot and push agree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.alerts.levels import rank
from data.alerts.states import LIVE_STATES
from data.models import Alert

#: more live alerts than this on one wall would be unreadable anyway
WALL_ALERT_LIMIT = 200


class OutOfScope(PermissionError):
    """The focus lies outside the viewer's subtree."""


def ancestor_paths(path: str) -> list[str]:
    """``/1/4/17/`` -> ``["/1/", "/1/4/", "/1/4/17/"]`` (root first, the node itself last)."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def wall_alerts(
    session: Session,
    focus_path: str,
    scope_path: str,
    *,
    now: dt.datetime | None = None,
    limit: int = WALL_ALERT_LIMIT,
) -> list[Alert]:
    """Live alerts concerning a wall focused at ``focus_path``: highest level, newest first.

    ``now`` leaves out live alerts whose validity has passed but which the expiry sweep
    has not reached yet.
    """
    if not focus_path.startswith(scope_path):
        raise OutOfScope(f"focus {focus_path} is outside the viewer's scope {scope_path}")
    query = select(Alert).where(
        Alert.state.in_(LIVE_STATES),
        or_(
            Alert.node_path.in_(ancestor_paths(focus_path)),
            Alert.node_path.startswith(focus_path, autoescape=True),
        ),
    )
    if now is not None:
        query = query.where(Alert.valid_until > now)
    rows = list(session.scalars(query.order_by(Alert.updated_at.desc(), Alert.id.desc())))
    rows.sort(key=lambda a: (-rank(a.level), -(a.issued_at.timestamp()), -a.id))
    return rows[:limit]
