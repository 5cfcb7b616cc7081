"""The nearest on-duty staff to an incident, for the duty desk's dispatch.

Positions live in Redis (the ``gw:staff:geo`` GEO set the position consumer keeps),
who they are and where they belong live in SQL. Redis answers "who is near" in one
GEOSEARCH; SQL then drops anyone outside the caller's subtree or inactive, and the
state hash drops anyone offline. Over-fetching (``limit * 4``) leaves enough after
those filters without scanning the whole set.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from redis.typing import GeoSearchResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import OrgNode, Staff
from streams.keys import STAFF_GEO, STAFF_STATE
from streams.live_state import LOW_BATTERY, ONLINE

#: staff further away than this are not "near" (a grid is a few hundred metres across)
RADIUS_M = 5_000
ON_DUTY = frozenset({ONLINE, LOW_BATTERY})


@dataclass(frozen=True)
class NearStaff:
    staff_id: int
    name: str
    node_id: int
    node_name: str
    node_path: str
    state: str
    distance_m: float


def nearest_staff(
    r: redis.Redis,
    session: Session,
    lat: float,
    lon: float,
    scope_path: str,
    limit: int = 5,
    radius_m: float = RADIUS_M,
) -> list[NearStaff]:
    """Up to ``limit`` on-duty, active staff in ``scope_path`` within ``radius_m``, nearest first.

    Needs Redis >= 6.2 (GEOSEARCH).
    """
    hits = r.geosearch(
        STAFF_GEO,
        longitude=lon,
        latitude=lat,
        radius=radius_m,
        unit="m",
        sort="ASC",
        count=limit * 4,
        withdist=True,
    )
    distances = _distances(hits)
    if not distances:
        return []
    ids = list(distances)
    states = {s: _text(v) for s, v in zip(ids, r.hmget(STAFF_STATE, ids), strict=True)}
    on_duty = [s for s in ids if states[s] in ON_DUTY]
    if not on_duty:
        return []
    rows = session.execute(
        select(Staff.id, Staff.name, OrgNode.id, OrgNode.name, OrgNode.path)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(
            Staff.id.in_(on_duty),
            Staff.active.is_(True),
            OrgNode.path.startswith(scope_path, autoescape=True),
        )
    ).all()
    found = [
        NearStaff(
            staff_id=staff_id,
            name=name,
            node_id=node_id,
            node_name=node_name,
            node_path=path,
            state=states[staff_id],
            distance_m=round(distances[staff_id], 1),
        )
        for staff_id, name, node_id, node_name, path in rows
    ]
    found.sort(key=lambda s: (s.distance_m, s.staff_id))
    return found[:limit]


def _distances(hits: GeoSearchResponse) -> dict[int, float]:
    """Staff id -> metres from a GEOSEARCH ... WITHDIST reply (pairs of member, distance)."""
    distances: dict[int, float] = {}
    for hit in hits:
        if not isinstance(hit, list | tuple):
            continue  # not a WITHDIST pair
        member, distance = hit[0], hit[1]
        if not isinstance(member, bytes | str | int) or not isinstance(
            distance, str | bytes | float
        ):
            continue
        try:
            distances[int(member)] = float(distance)
        except ValueError:
            continue
    return distances


def _text(value: bytes | str | None) -> str:
    """A state from the hash as text ("" for none)."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
