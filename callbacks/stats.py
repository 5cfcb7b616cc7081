"""Callbacks of /stats: the period and the node in focus → rates table, charts, card list and
export links; a tapped row drills down one level, the breadcrumb goes back up.

Node ids from the browser only select inside the user's subtree: the access layer
(dashboard/access/stats.py) checks permission and scope on every call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component

from callbacks.leader import DEFAULT_KIND, default_value
from dashboard.access.assessment import read_period
from dashboard.access.base import Refused
from dashboard.access.stats import stats_view
from dashboard.auth.current import SessionUser, user
from dashboard.context import AppContext
from dashboard.display_time import display_now
from data.record_ids import record_id
from layouts import ids
from layouts.leader import PLACEHOLDERS
from layouts.stats import (
    card_list,
    cards_title,
    crumbs,
    empty_figure,
    monthly_figure,
    rates_figure,
    rates_table,
    stats_layout,
    title,
)
from layouts.tables import empty_state, message

NO_USER = "登录已失效，请重新登录"


def stats_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    """The page for this month, the user's own node in focus."""
    return stats_layout(who, DEFAULT_KIND, default_value(DEFAULT_KIND, display_now().date()))


def register(app: Dash, context: AppContext) -> None:
    """Picker, main view and drill-down: each its own callback."""

    @app.callback(
        Output(ids.STATS_VALUE, "value"),
        Output(ids.STATS_VALUE, "placeholder"),
        Input(ids.STATS_KIND, "value"),
        prevent_initial_call=True,
    )
    def kind_changed(kind: str | None) -> tuple[str, str]:
        """A new kind starts at its current period, which the user can then edit."""
        kind = kind or DEFAULT_KIND
        return default_value(kind, display_now().date()), PLACEHOLDERS.get(kind, "")

    @app.callback(
        Output(ids.STATS_MSG, "children"),
        Output(ids.STATS_CRUMBS, "children"),
        Output(ids.STATS_TITLE, "children"),
        Output(ids.STATS_TABLE, "children"),
        Output(ids.STATS_RATES_CHART, "figure"),
        Output(ids.STATS_MONTHLY, "figure"),
        Output(ids.STATS_CARDS_TITLE, "children"),
        Output(ids.STATS_CARDS, "children"),
        Output(ids.STATS_EXPORT_RATES_CSV, "href"),
        Output(ids.STATS_EXPORT_RATES_XLSX, "href"),
        Output(ids.STATS_EXPORT_CARDS_CSV, "href"),
        Output(ids.STATS_EXPORT_CARDS_XLSX, "href"),
        Input(ids.STATS_APPLY, "n_clicks"),
        Input(ids.STATS_VALUE, "value"),
        Input(ids.STATS_NODE, "data"),
        State(ids.STATS_KIND, "value"),
    )
    def show(_apply: Any, value: str | None, node_id: Any, kind: str | None) -> tuple[Any, ...]:
        return view_outputs(context, kind, value, record_id(node_id))

    @app.callback(
        Output(ids.STATS_NODE, "data"),
        Input({"type": ids.STATS_ROW, "uid": ALL}, "n_clicks"),
        Input({"type": ids.STATS_CRUMB, "nid": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def drill(_rows: list[Any], _crumbs: list[Any]) -> Any:
        return drill_target(ctx.triggered_id, ctx.triggered)


def view_outputs(
    context: AppContext, kind: str | None, value: str | None, node_id: int | None
) -> tuple[Any, ...]:
    """Everything the main callback writes; a refusal is a message and empty parts."""
    who = user()
    try:
        if who is None:
            raise Refused(NO_USER)
        period = read_period(kind, value)
        view = stats_view(context.services, context.tree.get(), who, node_id, period)
    except Refused as refused:
        blank = empty_figure("—")
        return (
            message(refused.message, "error"),
            [],
            "",
            empty_state(refused.message),
            blank,
            blank,
            "红黄牌",
            [],
            "",
            "",
            "",
            "",
        )
    query = {"node": view.node.id, "kind": kind, "value": value}
    rates = urlencode(query | {"table": "rates"})
    cards = urlencode(query | {"table": "cards"})
    return (
        "",
        crumbs(view.breadcrumb),
        title(view),
        rates_table(view),
        rates_figure(view),
        monthly_figure(view.monthly),
        cards_title(view),
        card_list(view),
        f"/stats/export.csv?{rates}",
        f"/stats/export.xlsx?{rates}",
        f"/stats/export.csv?{cards}",
        f"/stats/export.xlsx?{cards}",
    )


def drill_target(target: Any, triggered: list[dict[str, Any]]) -> Any:
    """A tapped row drills into its unit; a crumb goes back (the access layer checks both)."""
    if not isinstance(target, dict) or not any(t.get("value") for t in triggered):
        return no_update  # a re-render, not a tap
    key = "nid" if target.get("type") == ids.STATS_CRUMB else "uid"
    node_id = record_id(target.get(key))
    return no_update if node_id is None else node_id
