"""The logged-in user as every request sees it, and the org-scope rule.

Scope comes from the session's user, never from ids the browser sends: a node
outside the user's subtree is answered with nothing and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_login import UserMixin, current_user

from dashboard.auth.permissions import Perm, permissions_of
from data.models import ROLE_LABELS, Role
from data.org_tree import NodeInfo, OrgTree

log = logging.getLogger("gridwatch.scope")


# flask-login ships no types: UserMixin is Any to mypy
@dataclass(frozen=True)
class SessionUser(UserMixin):  # type: ignore[misc]
    id: int
    username: str
    display_name: str
    role: Role
    node_id: int

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def can(self, perm: Perm) -> bool:
        return perm in permissions_of(self.role)


class ScopeError(PermissionError):
    """A request named something outside the user's subtree."""


def user() -> SessionUser | None:
    """The current user, or None outside a logged-in request."""
    if current_user and current_user.is_authenticated:
        found: SessionUser = current_user._get_current_object()
        return found
    return None


def scope_root(tree: OrgTree, who: SessionUser) -> NodeInfo | None:
    return tree.get(who.node_id)


def node_in_scope(tree: OrgTree, who: SessionUser, node_id: int | None) -> NodeInfo | None:
    """The node if it lies in ``who``'s subtree; None (and a log line) otherwise."""
    if node_id is None:
        return None
    node = tree.get(node_id)
    if node is not None and tree.is_within(node_id, who.node_id):
        return node
    log.warning(
        "scope: user %s asked for node %s outside node %s", who.username, node_id, who.node_id
    )
    return None
