"""User administration from the web: scope-bounded, audited with the admin as actor.

An admin of a district lists, creates, disables and resets only users whose node
lies in that district; the target user is looked up by id *inside* the admin's
subtree, so an id from the browser can never reach anyone else. The writes are
commands (dashboard/access/base.py); the SQL lives in data/users.py.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import AuditEntry, Command, Problem, Refused, require
from dashboard.auth.current import SessionUser, node_in_scope
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time
from dashboard.services import Services
from data import users
from data.models import ROLE_LABELS, Role, User
from data.org_tree import NodeInfo, OrgTree
from data.passwords import PasswordPolicyError

log = logging.getLogger("gridwatch.scope")

MAX_LISTED = 1000
NO_USERS = "无权管理用户"
NOT_FOUND = "该用户不存在或不在您的管辖范围内"


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
    return require(tree, who, Perm.MANAGE_USERS, NO_USERS).path


def _view(tree: OrgTree, user: User, node_name: str) -> UserView:
    return UserView(
        user.id,
        user.username,
        user.display_name,
        user.role,
        tree.place_name(user.node_id, fallback=node_name),
        user.active,
        display_time(user.last_login_at, empty="从未登录"),
    )


def users_in_scope(services: Services, tree: OrgTree, who: SessionUser) -> list[UserView]:
    path = _scope_path(tree, who)
    with services.sessions() as db:
        rows = users.users_in_subtree(db, path, MAX_LISTED)
    return [_view(tree, u, node_name) for u, node_name in rows]


def _target(db: Session, who: SessionUser, path: str, user_id: int) -> tuple[User, str]:
    found = users.user_in_subtree(db, path, user_id)
    if found is None:
        log.warning(
            "scope: admin %s asked for user %s outside node %s", who.username, user_id, who.node_id
        )
        raise Refused(NOT_FOUND)
    return found


@dataclass
class CreateUser(Command[UserView]):
    """A new account at a node in the admin's subtree (audited as user_add)."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    username: str
    display_name: str
    role: str | None
    node_id: int | None
    password: str
    address: str

    def validate(self) -> list[Problem]:
        _scope_path(self.tree, self.who)  # no permission: refused before anything else
        problems = []
        if not (self.username or "").strip():
            problems.append(Problem("username", "请填写用户名"))
        if self.role not in Role._value2member_map_:
            problems.append(Problem("role", "请选择角色"))
        if self._node() is None:
            problems.append(Problem("node_id", "请选择您管辖范围内的组织节点"))
        return problems

    def _node(self) -> NodeInfo | None:
        return node_in_scope(self.tree, self.who, self.node_id)

    def execute(self, db: Session) -> UserView:
        node = self._node()
        assert node is not None and self.role is not None  # validate() saw to both
        try:
            created = users.add_user(
                db, self.username, self.display_name, self.password, Role(self.role), node.id
            )
        except (users.UserError, PasswordPolicyError) as exc:
            raise Refused(str(exc)) from exc
        return _view(self.tree, created, node.name)

    def audit(self, result: UserView) -> AuditEntry:
        return AuditEntry(
            "user_add",
            "user",
            result.id,
            self.node_id,
            {"username": result.username, "role": self.role},
            self.address,
        )


@dataclass
class SetActive(Command[tuple[UserView, int]]):
    """Enable or disable a user in the admin's subtree; never one's own account."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    user_id: int
    active: bool
    address: str

    def validate(self) -> list[Problem]:
        _scope_path(self.tree, self.who)
        if self.user_id == self.who.id and not self.active:
            return [Problem("user", "不能停用自己的账号")]
        return []

    def execute(self, db: Session) -> tuple[UserView, int]:
        target, node_name = _target(db, self.who, _scope_path(self.tree, self.who), self.user_id)
        target.active = self.active
        return _view(self.tree, target, node_name), target.node_id

    def audit(self, result: tuple[UserView, int]) -> AuditEntry:
        view, node_id = result
        action = "user_enable" if self.active else "user_disable"
        return AuditEntry(
            action, "user", view.id, node_id, {"username": view.username}, self.address
        )


def temporary_password() -> str:
    """Random, meets the policy (letters, digits and a symbol), shown to the admin once."""
    return f"Gw-{secrets.token_urlsafe(9)}-{secrets.randbelow(90) + 10}"


@dataclass
class ResetPassword(Command[tuple[UserView, int, str]]):
    """A new temporary password for a user in the admin's subtree (shown once, stored hashed)."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    user_id: int
    address: str

    def validate(self) -> list[Problem]:
        _scope_path(self.tree, self.who)
        return []

    def execute(self, db: Session) -> tuple[UserView, int, str]:
        target, node_name = _target(db, self.who, _scope_path(self.tree, self.who), self.user_id)
        password = temporary_password()
        users.set_password(db, target.username, password)
        return _view(self.tree, target, node_name), target.node_id, password

    def audit(self, result: tuple[UserView, int, str]) -> AuditEntry:
        view, node_id, _password = result
        detail = {"username": view.username, "reset": True}
        return AuditEntry("user_passwd", "user", view.id, node_id, detail, self.address)


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
    """Create the account; :class:`Refused` names every problem of the form."""
    command = CreateUser(
        services.sessions, tree, who, username, display_name, role, node_id, password, address
    )
    return command.run()


def set_active(
    services: Services, tree: OrgTree, who: SessionUser, user_id: int, active: bool, address: str
) -> UserView:
    view, _node = SetActive(services.sessions, tree, who, user_id, active, address).run()
    return view


def reset_password(
    services: Services, tree: OrgTree, who: SessionUser, user_id: int, address: str
) -> tuple[UserView, str]:
    """Give the user a new temporary password; returns it (shown once, never stored plain)."""
    view, _node, password = ResetPassword(services.sessions, tree, who, user_id, address).run()
    return view, password
