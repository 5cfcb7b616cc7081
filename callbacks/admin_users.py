"""Callbacks of /admin/users: create, disable/enable, reset password; all audited.

The permission and the scope are checked in dashboard/access/users.py on every
call; a user id from the browser is only looked up inside the admin's subtree.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from dashboard.access.base import Refused, pattern_int
from dashboard.access.users import (
    create_user,
    reset_password,
    set_active,
    users_in_scope,
)
from dashboard.auth.current import user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.context import AppContext
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
        target = ctx.triggered_id
        clear_password: Any = no_update
        try:
            if target == ids.USR_CREATE:
                created = create_user(
                    context.services,
                    tree,
                    who,
                    username=username or "",
                    display_name=display_name or "",
                    role=role,
                    node_id=node_id,
                    password=password or "",
                    address=client_address(),
                )
                notice = message(
                    f"已创建用户 {created.username}（{created.role_label}，{created.node_name}）",
                    "ok",
                )
                clear_password = ""
            elif isinstance(target, dict) and target.get("type") == ids.USR_TOGGLE:
                active = target.get("to") == "on"
                changed = set_active(
                    context.services,
                    tree,
                    who,
                    pattern_int(target, "uid"),
                    active,
                    client_address(),
                )
                notice = message(f"用户 {changed.username} 已{'启用' if active else '停用'}", "ok")
            elif isinstance(target, dict) and target.get("type") == ids.USR_RESET:
                changed, temporary = reset_password(
                    context.services, tree, who, pattern_int(target, "uid"), client_address()
                )
                notice = html.Div(
                    [
                        f"用户 {changed.username} 的密码已重置。临时密码（只显示这一次）：",
                        html.Code(temporary, className="gw-token"),
                    ],
                    className="gw-msg gw-msg-ok",
                    role="alert",
                )
            else:
                return no_update, no_update, no_update
        except Refused as exc:
            return message(str(exc), "error"), no_update, no_update
        rows = users_in_scope(context.services, tree, who)
        return notice, users_table(rows, who.id), clear_password
