"""用户分组: named lists of staff to text together ("金水区网格长", "防汛值守组").

A group belongs to the scope of whoever created it; everyone whose scope contains
that scope sees and may change it, and its members must serve inside it, so a group
never becomes a way to reach people outside one's subtree. Staff move between grids,
so compose checks the members' scope again when the group is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from data.incidents.actors import Actor
from data.models import OrgNode, SmsGroup, SmsGroupMember, Staff
from data.sms.scope import path_under, unique_ints

MAX_NAME_CHARS = 32
MAX_MEMBERS = 5_000
MAX_NAMED = 10


class GroupError(ValueError):
    """A group cannot be saved or found; ``str()`` is the Chinese reason."""


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    scope_path: str
    member_count: int
    created_by: str
    created_at: dt.datetime


NOT_FOUND = "分组不存在或不在您的管辖范围内"


def list_groups(session: Session, scope_path: str) -> list[GroupRow]:
    """Groups created inside ``scope_path``, by name, with how many members each has."""
    members = (
        select(SmsGroupMember.group_id, func.count().label("n"))
        .group_by(SmsGroupMember.group_id)
        .subquery()
    )
    rows = session.execute(
        select(SmsGroup, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.group_id == SmsGroup.id)
        .where(path_under(SmsGroup.scope_path, scope_path))
        .order_by(SmsGroup.name, SmsGroup.id)
    ).all()
    return [
        GroupRow(g.id, g.name, g.scope_path, int(n), g.created_by, g.created_at) for g, n in rows
    ]


def _group(session: Session, scope_path: str, group_id: int, lock: bool = False) -> SmsGroup:
    query = select(SmsGroup).where(
        SmsGroup.id == group_id, path_under(SmsGroup.scope_path, scope_path)
    )
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise GroupError(NOT_FOUND)
    return found


def member_ids(session: Session, scope_path: str, group_id: int) -> list[int]:
    """The group's staff ids (the group must be visible from ``scope_path``)."""
    _group(session, scope_path, group_id)
    return list(
        session.scalars(
            select(SmsGroupMember.staff_id)
            .where(SmsGroupMember.group_id == group_id)
            .order_by(SmsGroupMember.staff_id)
        )
    )


def _checked_members(
    session: Session, group_scope: str, actor_scope: str, staff_ids: Sequence[object]
) -> list[int]:
    """The members to store: each must exist and serve inside the group's scope.

    Those beyond the editor's own scope (or not there at all) are only counted; people
    inside it but outside the group's narrower scope may be named.
    """
    wanted = unique_ints(staff_ids)
    if not wanted:
        raise GroupError("请至少选择一名成员")
    if len(wanted) > MAX_MEMBERS:
        raise GroupError(f"一个分组最多 {MAX_MEMBERS} 人")
    found = {
        sid: (path, name)
        for sid, path, name in session.execute(
            select(Staff.id, OrgNode.path, Staff.name)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(Staff.id.in_(wanted))
        )
    }
    beyond = [s for s in wanted if s not in found or not found[s][0].startswith(actor_scope)]
    if beyond:
        raise GroupError(f"所选成员中有 {len(beyond)} 人不存在或不在您的管辖范围内")
    outside = [sid for sid in wanted if not found[sid][0].startswith(group_scope)]
    if outside:
        named = "、".join(f"{found[s][1]}（#{s}）" for s in outside[:MAX_NAMED])
        raise GroupError(f"以下人员不在该分组的管辖范围内：{named}")
    return wanted


def _checked_name(session: Session, scope_path: str, name: str | None, keep_id: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise GroupError("分组名称不能为空")
    if len(name) > MAX_NAME_CHARS:
        raise GroupError(f"分组名称不能超过 {MAX_NAME_CHARS} 字")
    clash = session.scalar(
        select(SmsGroup.id).where(SmsGroup.scope_path == scope_path, SmsGroup.name == name)
    )
    if clash is not None and clash != keep_id:
        raise GroupError(f"已有名为「{name}」的分组")
    return name


def _set_members(session: Session, group_id: int, staff_ids: list[int]) -> None:
    session.execute(delete(SmsGroupMember).where(SmsGroupMember.group_id == group_id))
    session.execute(
        insert(SmsGroupMember), [{"group_id": group_id, "staff_id": s} for s in staff_ids]
    )


def _row(session: Session, group: SmsGroup) -> GroupRow:
    n = session.scalar(
        select(func.count()).select_from(SmsGroupMember).where(SmsGroupMember.group_id == group.id)
    )
    return GroupRow(
        group.id, group.name, group.scope_path, int(n or 0), group.created_by, group.created_at
    )


def create_group(
    session: Session, actor: Actor, name: str | None, staff_ids: Sequence[object], now: dt.datetime
) -> GroupRow:
    """A group in the actor's own scope."""
    name = _checked_name(session, actor.scope_path, name, None)
    members = _checked_members(session, actor.scope_path, actor.scope_path, staff_ids)
    group = SmsGroup(name=name, scope_path=actor.scope_path, created_by=actor.name, created_at=now)
    session.add(group)
    session.flush()
    _set_members(session, group.id, members)
    return _row(session, group)


def update_group(
    session: Session, actor: Actor, group_id: int, name: str | None, staff_ids: Sequence[object]
) -> GroupRow:
    """Rename and replace the members; they must serve inside the group's scope."""
    group = _group(session, actor.scope_path, group_id, lock=True)
    group.name = _checked_name(session, group.scope_path, name, group.id)
    members = _checked_members(session, group.scope_path, actor.scope_path, staff_ids)
    _set_members(session, group.id, members)
    session.flush()
    return _row(session, group)


def delete_group(session: Session, actor: Actor, group_id: int) -> GroupRow:
    """Remove the group and its member list; texts already sent to it are kept."""
    group = _group(session, actor.scope_path, group_id, lock=True)
    gone = _row(session, group)
    session.execute(delete(SmsGroupMember).where(SmsGroupMember.group_id == group.id))
    session.delete(group)
    session.flush()
    return gone
