"""User administration from the web: scope-bounded, audited with the admin as actor.

An admin of a district lists, creates, disables and resets only users whose node
lies in that district; the target user is looked up by id *inside* the admin's
subtree, so an id from the browser can never reach anyone else.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, node_in_scope, scope_root
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time
from dashboard.services import Services
from data import users
from data.models import ROLE_LABELS, OrgNode, Role, User
from data.org_tree import OrgTree
from data.passwords import PasswordPolicyError
from data.record_ids import record_id

log = logging.getLogger("gridwatch.scope")

MAX_LISTED = 1000


class AdminError(ValueError):
    """An admin action that was refused; the message (Chinese) says why."""


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: Role
    node_name: str
    active: bool
    last_login: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


def _scope_path(tree: OrgTree, who: SessionUser) -> str:
    if not who.can(Perm.MANAGE_USERS):
        raise AdminError("无权管理用户")
    scope = scope_root(tree, who)
    if scope is None:
        raise AdminError("您的管辖节点不存在")
    return scope.path


def pattern_int(target: dict, key: str) -> int:
    """An integer id from a pattern-matching component id; anything else is refused."""
    value = record_id(target.get(key))  # also beyond SQL's integers
    if value is None:
        raise AdminError("无效的请求")
    return value


def place(tree: OrgTree, node_id: int, name: str) -> str:
    """A grid's name with its community ("康桥西社区 · 第1网格"): grid names repeat."""
    return tree.place_name(node_id, fallback=name)


def _local(moment: dt.datetime | None) -> str:
    return display_time(moment, empty="从未登录")


def _view(user: User, node_name: str) -> UserView:
    return UserView(
        user.id,
        user.username,
        user.display_name,
        user.role,
        node_name,
        user.active,
        _local(user.last_login_at),
    )


def users_in_scope(services: Services, tree: OrgTree, who: SessionUser) -> list[UserView]:
    path = _scope_path(tree, who)
    with services.sessions() as db:
        rows = db.execute(
            select(User, OrgNode.name)
            .join(OrgNode, OrgNode.id == User.node_id)
            .where(OrgNode.path.startswith(path, autoescape=True))
            .order_by(User.id)
            .limit(MAX_LISTED)
        ).all()
    return [_view(u, place(tree, u.node_id, node_name)) for u, node_name in rows]


def _target(db: Session, who: SessionUser, path: str, user_id: int) -> tuple[User, str]:
    row = db.execute(
        select(User, OrgNode.name)
        .join(OrgNode, OrgNode.id == User.node_id)
        .where(User.id == user_id, OrgNode.path.startswith(path, autoescape=True))
    ).first()
    if row is None:
        log.warning(
            "scope: admin %s asked for user %s outside node %s", who.username, user_id, who.node_id
        )
        raise AdminError("该用户不存在或不在您的管辖范围内")
    return row[0], row[1]


def create_user(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    *,
    username: str,
    display_name: str,
    role: str | None,
    node_id: int | None,
    password: str,
    address: str,
) -> UserView:
    _scope_path(tree, who)
    if not (username or "").strip():
        raise AdminError("请填写用户名")
    if role not in Role._value2member_map_:
        raise AdminError("请选择角色")
    node = node_in_scope(tree, who, node_id)
    if node is None:
        raise AdminError("请选择您管辖范围内的组织节点")
    try:
        with services.sessions.begin() as db:
            created = users.add_user(db, username, display_name, password, Role(role), node.id)
            record_action(
                db,
                who,
                "user_add",
                target_type="user",
                target_id=created.id,
                node_id=node.id,
                address=address,
                detail={"username": created.username, "role": role},
            )
            return _view(created, place(tree, node.id, node.name))
    except (users.UserError, PasswordPolicyError) as exc:
        raise AdminError(str(exc)) from exc


def set_active(
    services: Services, tree: OrgTree, who: SessionUser, user_id: int, active: bool, address: str
) -> UserView:
    path = _scope_path(tree, who)
    if user_id == who.id and not active:
        raise AdminError("不能停用自己的账号")
    with services.sessions.begin() as db:
        target, node_name = _target(db, who, path, user_id)
        target.active = active
        record_action(
            db,
            who,
            "user_enable" if active else "user_disable",
            target_type="user",
            target_id=target.id,
            node_id=target.node_id,
            address=address,
            detail={"username": target.username},
        )
        return _view(target, place(tree, target.node_id, node_name))


def temporary_password() -> str:
    """Random, meets the policy (letters, digits and a symbol), shown to the admin once."""
    return f"Gw-{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"


def reset_password(
    services: Services, tree: OrgTree, who: SessionUser, user_id: int, address: str
) -> tuple[UserView, str]:
    """Give the user a new temporary password; returns it (shown once, never stored plain)."""
    path = _scope_path(tree, who)
    password = temporary_password()
    with services.sessions.begin() as db:
        target, node_name = _target(db, who, path, user_id)
        users.set_password(db, target.username, password)
        record_action(
            db,
            who,
            "user_passwd",
            target_type="user",
            target_id=target.id,
            node_id=target.node_id,
            address=address,
            detail={"username": target.username, "reset": True},
        )
        return _view(target, place(tree, target.node_id, node_name)), password
