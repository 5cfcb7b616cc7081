"""Places of the seeded small city that tests pick by position."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.models import NodeKind, OrgNode


def two_communities(sessions: sessionmaker[Session]) -> tuple[OrgNode, OrgNode]:
    """The first two communities (siblings under the demo street), detached."""
    with sessions() as db:
        a, b = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()[:2]
        return a, b
