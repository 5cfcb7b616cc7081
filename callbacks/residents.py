"""Callbacks of /residents: listing, household view and the audited reveal.

Ids arriving from the browser (node, household, resident) only select inside
the user's subtree; the permission and the scope are checked again on every call
(dashboard/access/residents.py), whatever the page showed.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, MATCH, Dash, Input, Output, State, ctx, html, no_update

from dashboard.access.residents import household, list_page, reveal
from dashboard.auth.current import user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.context import AppContext
from data.record_ids import record_id
from layouts import ids
from layouts.residents import OPEN_PANEL_CLASS, PANEL_CLASS, household_panel, resident_table
from layouts.tables import empty_state

NO_ACCESS = "无权查看该范围"


def register(app: Dash, context: AppContext) -> None:
    """The list, the audited reveal and the household panel, each its own callback."""
    _register_list(app, context)
    _register_reveal(app, context)
    _register_household(app, context)


def _register_list(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.RES_TABLE, "children"),
        Output(ids.RES_SUMMARY, "children"),
        Output(ids.RES_PAGE, "data"),
        Output(ids.RES_PAGER, "children"),
        Output(ids.RES_PREV, "disabled"),
        Output(ids.RES_NEXT, "disabled"),
        Output(ids.RES_EXPORT, "href"),
        Input(ids.RES_NODE, "value"),
        Input(ids.RES_SEARCH, "value"),
        Input(ids.RES_PREV, "n_clicks"),
        Input(ids.RES_NEXT, "n_clicks"),
        State(ids.RES_PAGE, "data"),
    )
    def show(
        node_id: int | None, name: str | None, _prev: Any, _next: Any, page: int | None
    ) -> tuple[Any, ...]:
        who = user()
        if who is None or not who.can(Perm.VIEW_RESIDENTS):
            return empty_state("无权查看居民信息"), "", 0, "", True, True, no_update
        page = page or 0
        if ctx.triggered_id == ids.RES_PREV:
            page -= 1
        elif ctx.triggered_id == ids.RES_NEXT:
            page += 1
        else:
            page = 0
        result = list_page(context.services, context.tree.get(), who, node_id, page, name)
        if result is None:
            return empty_state(NO_ACCESS), NO_ACCESS, 0, "", True, True, no_update
        export = (
            f"/residents/export.csv?node={result.node.id}" if who.can(Perm.EXPORT_RESIDENTS) else ""
        )
        if result.total == 0:
            searched = (name or "").strip()
            message = f"没有姓名包含“{searched}”的居民" if searched else "该范围内暂无居民数据"
            return empty_state(message), result.node.name, 0, "", True, True, export
        summary = f"{result.node.name}（{result.node.kind_label}）· 共 {result.total:,} 人"
        pager = f"第 {result.page + 1} / {result.pages} 页"
        return (
            resident_table(result, who.can(Perm.REVEAL_PERSONAL_DATA)),
            summary,
            result.page,
            pager,
            result.page == 0,
            result.page >= result.pages - 1,
            export,
        )


def _register_reveal(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output({"type": ids.RES_IDNO, "rid": MATCH}, "children"),
        Output({"type": ids.RES_PHONE, "rid": MATCH}, "children"),
        Output({"type": ids.RES_REVEAL, "rid": MATCH}, "children"),
        Output({"type": ids.RES_REVEAL, "rid": MATCH}, "disabled"),
        Input({"type": ids.RES_REVEAL, "rid": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )
    def show_full(n_clicks: int | None) -> tuple[Any, ...]:
        who = user()
        target = ctx.triggered_id
        if who is None or not n_clicks or not isinstance(target, dict):
            return no_update, no_update, no_update, no_update
        resident_id = record_id(target.get("rid"))
        if resident_id is None:
            return no_update, no_update, no_update, no_update
        found = reveal(context.services, context.tree.get(), who, resident_id, client_address())
        if found is None:
            return no_update, no_update, "无权查看", True
        return (
            html.Span(found.id_number, className="gw-revealed"),
            html.Span(found.phone, className="gw-revealed"),
            "已显示（已留痕）",
            True,
        )


def _register_household(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.RES_HOUSEHOLD, "children"),
        Output(ids.RES_HOUSEHOLD, "className"),
        Input({"type": ids.RES_HOUSEHOLD_OPEN, "hid": ALL, "rid": ALL}, "n_clicks"),
        Input({"type": ids.RES_HOUSEHOLD_CLOSE, "n": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def show_household(_opened: list[int | None], _closed: list[int | None]) -> tuple[Any, Any]:
        who = user()
        target = ctx.triggered_id
        if who is None or not isinstance(target, dict):
            return no_update, no_update
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update, no_update  # buttons rendered, nothing clicked
        if target.get("type") == ids.RES_HOUSEHOLD_CLOSE:
            return household_panel(None), PANEL_CLASS
        household_id = record_id(target.get("hid"))
        if household_id is None:
            return no_update, no_update
        members = household(context.services, context.tree.get(), who, household_id)
        return household_panel(members), OPEN_PANEL_CLASS
