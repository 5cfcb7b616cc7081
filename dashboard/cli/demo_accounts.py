"""One demo account per role, with fresh passwords printed at every demo start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import audit, users
from data.models import NodeKind, OrgNode, Role


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    node_name: str


def _password() -> str:
    return "Gw-" + secrets.token_urlsafe(9)


def _first(session: Session, kind: NodeKind) -> OrgNode:
    node = session.scalar(select(OrgNode).where(OrgNode.kind == kind).order_by(OrgNode.id))
    if node is None:
        raise RuntimeError(f"demo city has no {kind} node; seed it first")
    return node


def ensure_demo_accounts(session: Session) -> list[DemoAccount]:
    """Create the demo accounts, or give existing ones new passwords."""
    plan = [
        ("admin", "系统管理员", Role.ADMIN, NodeKind.CITY),
        ("leader", "王局长", Role.LEADER, NodeKind.CITY),
        ("duty", "值班员李明", Role.DUTY_OFFICER, NodeKind.DISTRICT),
        ("gridstaff", "网格员张丽", Role.GRID_STAFF, NodeKind.GRID),
        ("wall", "指挥大屏", Role.WALL, NodeKind.CITY),
    ]
    accounts = []
    for username, name, role, kind in plan:
        node = _first(session, kind)
        password = _password()
        if users.by_username(session, username) is None:
            users.add_user(session, username, name, password, role, node.id)
            action = "user_add"
        else:
            users.set_password(session, username, password)
            action = "user_passwd"
        audit.record(
            session, actor="demo", action=action, target_type="user", detail={"username": username}
        )
        place = node.name
        if node.parent is not None and kind in (NodeKind.COMMUNITY, NodeKind.GRID):
            place = f"{node.parent.name} {node.name}"
        accounts.append(DemoAccount(username, password, role, place))
    return accounts
