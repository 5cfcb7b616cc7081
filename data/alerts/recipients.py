"""Who an alert reaches: the responsible staff of the grids under its target.

Responsible staff are the active grid managers (网格长) and assistants (网格员) of every
level-3 grid in the target. Police, supervisors and volunteers are not texted: they
answer to their own chains, and texting all "3+X" staff would multiply SMS cost
without adding anyone who acts on a warning. Staff are attached to level-3 grids only,
so every target ends in a set of grids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from data.models import NodeKind, OrgNode, Post, Staff

RESPONSIBLE_POSTS: tuple[Post, ...] = (Post.GRID_MANAGER, Post.ASSISTANT)
GRID_LEVELS = (1, 2, 3)


def normalize_levels(levels: Sequence[int] | None) -> list[int]:
    """Sorted distinct grid levels; empty means the node's whole subtree."""
    chosen = sorted({int(level) for level in levels or ()})
    bad = [level for level in chosen if level not in GRID_LEVELS]
    if bad:
        raise ValueError(f"grid levels must be 1, 2 or 3, not {bad}")
    return chosen


def _responsible(node_path: str, target_levels: Sequence[int] | None) -> Select[Any]:
    """The one recipient query: both the texts and the confirmation's count come from it.

    Whole subtree: every grid whose path starts with ``node_path``. Chosen levels: the
    grids lying under a node of one of those grid levels inside the subtree (the node
    itself counts when its level is chosen).
    """
    levels = normalize_levels(target_levels)
    grid = aliased(OrgNode)
    query = (
        select(Staff)
        .join(grid, grid.id == Staff.node_id)
        .where(
            Staff.active.is_(True),
            Staff.post.in_(RESPONSIBLE_POSTS),
            grid.kind == NodeKind.GRID,
            grid.path.startswith(node_path, autoescape=True),
        )
    )
    if levels:
        anchor = aliased(OrgNode)
        query = query.where(
            exists().where(
                and_(
                    anchor.grid_level.in_(levels),
                    anchor.path.startswith(node_path, autoescape=True),
                    grid.path.like(anchor.path + "%"),
                )
            )
        )
    return query


def responsible_staff(
    session: Session, node_path: str, target_levels: Sequence[int] | None = None
) -> list[Staff]:
    """Responsible staff of the target, ordered by id."""
    query = _responsible(node_path, target_levels).order_by(Staff.id)
    return list(session.scalars(query))


def count_responsible(
    session: Session, node_path: str, target_levels: Sequence[int] | None = None
) -> int:
    """How many ``responsible_staff`` would return, without loading them (36k city-wide):
    the "将短信通知 N 人" an officer confirms before issuing."""
    query = _responsible(node_path, target_levels).with_only_columns(Staff.id)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0
