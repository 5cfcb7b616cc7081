"""Callbacks of /admin/audit: the scoped search and the matching export link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, State

from dashboard.access.audit import MAX_ROWS, parse_query, search
from dashboard.auth.current import scope_root, user
from dashboard.auth.permissions import Perm
from dashboard.context import AppContext
from layouts import ids
from layouts.admin_audit import audit_table
from layouts.tables import empty_state

EXPORT_PATH = "/admin/audit/export.csv"


def register(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.AUD_TABLE, "children"),
        Output(ids.AUD_SUMMARY, "children"),
        Output(ids.AUD_EXPORT, "href"),
        Input(ids.AUD_SEARCH, "n_clicks"),
        Input(ids.AUD_ACTION, "value"),
        State(ids.AUD_ACTOR, "value"),
        State(ids.AUD_SINCE, "value"),
        State(ids.AUD_UNTIL, "value"),
    )
    def find(
        _n: Any, action: str | None, actor: str | None, since: str | None, until: str | None
    ) -> tuple[Any, ...]:
        who = user()
        if who is None or not who.can(Perm.VIEW_AUDIT):
            return empty_state("无权查看审计日志"), "", EXPORT_PATH
        tree = context.tree.get()
        scope = scope_root(tree, who)
        if scope is None:
            return empty_state("您的管辖节点不存在"), "", EXPORT_PATH
        query = parse_query({"actor": actor, "action": action, "since": since, "until": until})
        with context.services.sessions() as db:
            entries = search(db, path=scope.path, is_city=scope.parent_id is None, query=query)
        summary = f"{scope.name} 范围内最近 {len(entries)} 条记录"
        if len(entries) >= MAX_ROWS:
            summary += f"（最多显示 {MAX_ROWS} 条，请缩小条件或导出）"
        params = urlencode(query.as_params())
        return audit_table(entries), summary, f"{EXPORT_PATH}?{params}" if params else EXPORT_PATH
