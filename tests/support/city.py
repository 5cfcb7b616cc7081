"""Places of the seeded small city that tests pick by position."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.models import GRID_LEVEL_OF_KIND, NodeKind, OrgNode


def two_communities(sessions: sessionmaker[Session]) -> tuple[OrgNode, OrgNode]:
    """The first two communities (siblings under the demo street), detached."""
    with sessions() as db:
        a, b = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()[:2]
        return a, b


def add_child_node(db: Session, parent: OrgNode, kind: NodeKind, name: str, code: str) -> OrgNode:
    """A new node under ``parent`` (its boundary and centre borrowed), path filled in."""
    node = OrgNode(
        parent_id=parent.id,
        kind=kind,
        grid_level=GRID_LEVEL_OF_KIND[kind],
        code=code,
        name=name,
        path="",
        depth=parent.depth + 1,
        boundary=parent.boundary,
        center_lat=parent.center_lat,
        center_lon=parent.center_lon,
    )
    db.add(node)
    db.flush()
    node.path = f"{parent.path}{node.id}/"
    return node
