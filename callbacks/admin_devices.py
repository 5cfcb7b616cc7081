"""Callbacks of /admin/devices: register, rotate, revoke; tokens are shown once.

The permission and the scope are checked in dashboard/access/devices.py on every
call; a device or staff id from the browser is only looked up inside the subtree.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from dashboard.access.base import Refused, pattern_int
from dashboard.access.devices import (
    TokenShownOnce,
    add_device,
    devices_in_scope,
    revoke_device,
    rotate_device,
    staff_options,
)
from dashboard.auth.current import user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.context import AppContext
from layouts import ids
from layouts.admin_devices import devices_table
from layouts.tables import message

NOT_LIVE = "（实时库暂不可达：服务重启时生效）"


def _token_notice(text: str, shown: TokenShownOnce) -> html.Div:
    return html.Div(
        [
            f"{text}{'' if shown.live else NOT_LIVE} 令牌（只显示这一次，请立即配置到终端）：",
            html.Code(shown.token, className="gw-token"),
        ],
        className="gw-msg gw-msg-ok",
        role="alert",
    )


def register(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.DEV_STAFF, "options"),
        Input(ids.DEV_STAFF, "search_value"),
        State(ids.DEV_STAFF, "value"),
        State(ids.DEV_STAFF, "options"),
        prevent_initial_call=True,
    )
    def find_staff(
        search: str | None, chosen: int | None, current: list[dict[str, Any]] | None
    ) -> Any:
        who = user()
        if who is None or not who.can(Perm.MANAGE_DEVICES) or not search:
            return no_update
        try:
            found = staff_options(context.services, context.tree.get(), who, search)
        except Refused:
            return []
        kept = [o for o in current or [] if o.get("value") == chosen]  # keep the selection
        return kept + [o for o in found if o["value"] != chosen]

    @app.callback(
        Output(ids.DEV_MESSAGE, "children"),
        Output(ids.DEV_TABLE, "children"),
        Output(ids.DEV_IDENTIFIER, "value"),
        Input(ids.DEV_ADD, "n_clicks"),
        Input({"type": ids.DEV_ROTATE, "did": ALL}, "n_clicks"),
        Input({"type": ids.DEV_REVOKE, "did": ALL}, "submit_n_clicks"),
        State(ids.DEV_IDENTIFIER, "value"),
        State(ids.DEV_STAFF, "value"),
        prevent_initial_call=True,
    )
    def act(
        _add: Any, _rotate: Any, _revoke: Any, identifier: str | None, staff_id: int | None
    ) -> tuple[Any, ...]:
        who = user()
        if who is None or not who.can(Perm.MANAGE_DEVICES):
            return message("无权管理终端", "error"), no_update, no_update
        if not (ctx.triggered and ctx.triggered[0].get("value")):
            return no_update, no_update, no_update  # buttons appeared, nothing clicked
        tree = context.tree.get()
        target = ctx.triggered_id
        clear: Any = no_update
        try:
            if target == ids.DEV_ADD:
                shown = add_device(
                    context.services, tree, who, identifier or "", staff_id, client_address()
                )
                notice = _token_notice(f"终端 {shown.identifier} 已登记。", shown)
                clear = ""
            elif isinstance(target, dict) and target.get("type") == ids.DEV_ROTATE:
                shown = rotate_device(
                    context.services, tree, who, pattern_int(target, "did"), client_address()
                )
                notice = _token_notice(
                    f"终端 {shown.identifier} 已更换令牌，旧令牌立即失效。", shown
                )
            elif isinstance(target, dict) and target.get("type") == ids.DEV_REVOKE:
                identifier, live = revoke_device(
                    context.services, tree, who, pattern_int(target, "did"), client_address()
                )
                tail = "其令牌已被拒绝。" if live else NOT_LIVE
                notice = message(f"终端 {identifier} 已注销，{tail}", "ok")
            else:
                return no_update, no_update, no_update
        except Refused as exc:
            return message(str(exc), "error"), no_update, no_update
        return notice, devices_table(devices_in_scope(context.services, tree, who)), clear
