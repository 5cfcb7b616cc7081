"""Staff read queries (the wall, the alert console, the realtime roster); bounded by a
subtree path except the roster, which the realtime bridge needs whole."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import POST_LABELS, OrgNode, Post, Staff


@dataclass(frozen=True)
class StaffCard:
    id: int
    name: str
    post: Post
    node_id: int

    @property
    def post_label(self) -> str:
        return POST_LABELS[self.post]


def staff_in_subtree(session: Session, path: str) -> list[StaffCard]:
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.post, Staff.node_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True), Staff.active.is_(True))
        .order_by(Staff.id)
    ).all()
    return [StaffCard(*row) for row in rows]


def staff_count_per_node(session: Session, path: str) -> dict[int, int]:
    """Active staff per node inside the subtree at ``path`` (roll up with the OrgTree)."""
    rows = session.execute(
        select(Staff.node_id, func.count(Staff.id))
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True), Staff.active.is_(True))
        .group_by(Staff.node_id)
    )
    return {node_id: count for node_id, count in rows}


def staff_roster(session: Session) -> dict[int, tuple[str, Post, int]]:
    """All active staff: id -> (name, post, node) for the realtime bridge."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.post, Staff.node_id).where(Staff.active.is_(True))
    )
    return {staff_id: (name, post, node_id) for staff_id, name, post, node_id in rows}
