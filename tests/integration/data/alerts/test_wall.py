"""data.alerts.wall on both databases: live alerts above, at and below a wall's focus."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.alerts.wall import OutOfScope, wall_alerts
from data.incidents.actors import Actor
from data.models import NodeKind, OrgNode

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
OFFICER = Actor(role="duty_officer", name="市值班员", scope_path="/")


def _issue(session: Session, node: OrgNode, level: str, category: str, hours: float = 6) -> int:
    result = lifecycle.issue(
        session,
        OFFICER,
        node_id=node.id,
        level=level,
        category=category,
        title=f"{category}-{node.name}",
        text="请注意",
        valid_until=T0 + dt.timedelta(hours=hours),
        now=T0,
    )
    return result.alert.id


def test_ancestors_self_and_subtree_but_not_siblings(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        street = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        communities = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()
        mine, other = communities[0], communities[1]
        grid = session.scalars(
            select(OrgNode).where(OrgNode.parent_id == mine.id).order_by(OrgNode.id)
        ).first()
        other_grid = session.scalars(
            select(OrgNode).where(OrgNode.parent_id == other.id).order_by(OrgNode.id)
        ).first()
        assert grid is not None and other_grid is not None
        at_street = _issue(session, street, "yellow", "flood")
        at_community = _issue(session, mine, "red", "fire")
        at_grid = _issue(session, grid, "blue", "weather")
        at_sibling = _issue(session, other_grid, "orange", "safety")
        short = _issue(session, mine, "orange", "health", hours=1)
        lifted = _issue(session, mine, "red", "geology")
        lifecycle.lift(session, OFFICER, lifted, now=T0 + dt.timedelta(minutes=5))

    now = T0 + dt.timedelta(minutes=10)
    with sessions() as session:

        def ids(focus: OrgNode, at: dt.datetime = now) -> list[int]:
            return [a.id for a in wall_alerts(session, focus.path, "/", now=at)]

        # ordered by level, then newest issued (all issued at T0 here: then newest id)
        assert ids(grid) == [at_community, short, at_street, at_grid]
        assert ids(mine) == [at_community, short, at_street, at_grid]
        assert ids(other) == [at_sibling, at_street]
        assert ids(street) == [at_community, short, at_sibling, at_street, at_grid]
        # past its validity but not yet swept: no longer on the wall
        assert short not in ids(mine, T0 + dt.timedelta(hours=2))
        # the viewer's scope: the focus must lie in it; alerts above it still show
        assert [a.id for a in wall_alerts(session, grid.path, mine.path, now=now)] == ids(grid)
        with pytest.raises(OutOfScope):
            wall_alerts(session, grid.path, other.path, now=now)
