"""Callbacks of /admin/users: create, disable/enable, reset password; all audited.

The permission and the scope are checked in dashboard/access/users.py on every
call; a user id from the browser is only looked up inside the admin's subtree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from dashboard.access.base import Refused, pattern_int
from dashboard.access.users import (
    create_user,
    reset_password,
    set_active,
    users_in_scope,
)
from dashboard.auth.current import SessionUser, user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.context import AppContext
from data.org_tree import OrgTree
from layouts import ids
from layouts.admin_users import users_table
from layouts.tables import message


def _clicked() -> bool:
    """True only for a real click (not for buttons appearing in a re-rendered table)."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def register(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.USR_MESSAGE, "children"),
        Output(ids.USR_TABLE, "children"),
        Output(ids.USR_PASSWORD, "value"),
        Input(ids.USR_CREATE, "n_clicks"),
        Input({"type": ids.USR_TOGGLE, "uid": ALL, "to": ALL}, "n_clicks"),
        Input({"type": ids.USR_RESET, "uid": ALL}, "n_clicks"),
        State(ids.USR_USERNAME, "value"),
        State(ids.USR_DISPLAY_NAME, "value"),
        State(ids.USR_ROLE, "value"),
        State(ids.USR_NODE, "value"),
        State(ids.USR_PASSWORD, "value"),
        prevent_initial_call=True,
    )
    def act(
        _create: Any,
        _toggles: Any,
        _resets: Any,
        username: str | None,
        display_name: str | None,
        role: str | None,
        node_id: int | None,
        password: str | None,
    ) -> tuple[Any, ...]:
        who = user()
        if who is None or not who.can(Perm.MANAGE_USERS):
            return message("无权管理用户", "error"), no_update, no_update
        if not _clicked():
            return no_update, no_update, no_update
        tree = context.tree.get()
        form = NewUser(username, display_name, role, node_id, password)
        try:
            answer = _act(context, tree, who, ctx.triggered_id, form)
        except Refused as exc:
            return message(str(exc), "error"), no_update, no_update
        if answer is None:
            return no_update, no_update, no_update
        notice, clear_password = answer
        rows = users_in_scope(context.services, tree, who)
        return notice, users_table(rows, who.id), clear_password


@dataclass(frozen=True)
class NewUser:
    """The create form's fields as the browser sent them."""

    username: str | None
    display_name: str | None
    role: str | None
    node_id: int | None
    password: str | None


def _act(
    context: AppContext, tree: OrgTree, who: SessionUser, target: Any, form: NewUser
) -> tuple[Any, Any] | None:
    """Carry out the clicked action: (notice, new password field value), None for no action."""
    address = client_address()
    if target == ids.USR_CREATE:
        created = create_user(
            context.services,
            tree,
            who,
            username=form.username or "",
            display_name=form.display_name or "",
            role=form.role,
            node_id=form.node_id,
            password=form.password or "",
            address=address,
        )
        text = f"已创建用户 {created.username}（{created.role_label}，{created.node_name}）"
        return message(text, "ok"), ""
    if isinstance(target, dict) and target.get("type") == ids.USR_TOGGLE:
        active = target.get("to") == "on"
        uid = pattern_int(target, "uid")
        changed = set_active(context.services, tree, who, uid, active, address)
        return message(f"用户 {changed.username} 已{'启用' if active else '停用'}", "ok"), no_update
    if isinstance(target, dict) and target.get("type") == ids.USR_RESET:
        uid = pattern_int(target, "uid")
        changed, temporary = reset_password(context.services, tree, who, uid, address)
        notice = html.Div(
            [
                f"用户 {changed.username} 的密码已重置。临时密码（只显示这一次）：",
                html.Code(temporary, className="gw-token"),
            ],
            className="gw-msg gw-msg-ok",
            role="alert",
        )
        return notice, no_update
    return None
