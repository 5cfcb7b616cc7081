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
from dashboard.access.wall_playlist import VIEWS, set_wall_playlist, wall_accounts
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

    register_playlist(app, context)


def register_playlist(app: Dash, context: AppContext) -> None:
    """大屏轮播: list the wall accounts, show the chosen one's playlist, save it."""

    @app.callback(
        Output(ids.USR_WALL_ACCOUNT, "options"),
        Input(ids.USR_TABLE, "children"),
    )
    def list_walls(_table: Any) -> list[dict[str, Any]]:
        who = user()
        if who is None or not who.can(Perm.MANAGE_USERS):
            return []
        try:
            walls = wall_accounts(context.services, context.tree.get(), who)
        except Refused:
            return []
        return [{"label": f"{w.display_name}（{w.username}）", "value": w.user_id} for w in walls]

    @app.callback(
        Output(ids.USR_WALL_VIEWS, "value"),
        Output(ids.USR_WALL_SECONDS, "value"),
        Output(ids.USR_WALL_ENABLED, "value"),
        Input(ids.USR_WALL_ACCOUNT, "value"),
        prevent_initial_call=True,
    )
    def show_playlist(user_id: int | None) -> tuple[Any, Any, Any]:
        who = user()
        if who is None or user_id is None or not who.can(Perm.MANAGE_USERS):
            return no_update, no_update, no_update
        walls = wall_accounts(context.services, context.tree.get(), who)
        found = next((w for w in walls if w.user_id == user_id), None)
        if found is None or found.playlist is None:  # a new playlist starts switched on
            return list(VIEWS), 60, ["on"]
        playlist = found.playlist
        return list(playlist.views), playlist.seconds, ["on"] if playlist.enabled else []

    @app.callback(
        Output(ids.USR_WALL_MESSAGE, "children"),
        Input(ids.USR_WALL_SAVE, "n_clicks"),
        State(ids.USR_WALL_ACCOUNT, "value"),
        State(ids.USR_WALL_VIEWS, "value"),
        State(ids.USR_WALL_SECONDS, "value"),
        State(ids.USR_WALL_ENABLED, "value"),
        prevent_initial_call=True,
    )
    def save_playlist(_clicks: Any, user_id: Any, views: Any, seconds: Any, enabled: Any) -> Any:
        who = user()
        if who is None or not who.can(Perm.MANAGE_USERS):
            return message("无权设置大屏轮播", "error")
        if not _clicked():
            return no_update
        if user_id is None:
            return message("请选择大屏账号", "error")
        try:
            saved = set_wall_playlist(
                context.services,
                context.tree.get(),
                who,
                pattern_int({"uid": user_id}, "uid"),
                views if isinstance(views, list) else [],
                seconds,
                "on" in (enabled or []),
                client_address(),
            )
        except Refused as exc:
            return message(str(exc), "error")
        names = " → ".join(VIEWS[v] for v in saved.views)
        state = "已启用" if saved.enabled else "已停用"
        return message(f"轮播已保存：{names}，每屏 {saved.seconds} 秒（{state}）", "ok")


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
