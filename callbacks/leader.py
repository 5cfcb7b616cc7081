"""Callbacks of /leader: the period and the node in focus → tiles, ranking and charts; a
tapped row drills down one level (or, at staff level, picks the staff member); the
breadcrumb goes back up; the detail panel explains the unit picked. The map by score is
drawn from the ranking rows the main callback already has, and a tapped area drills down
like its row.

Node and staff ids from the browser only select inside the user's subtree: the access
layer (dashboard/access/assessment.py) checks permission and scope on every call.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component

from dashboard.access.assessment import (
    KIND_LEVEL,
    leader_view,
    read_period,
    unit_detail,
)
from dashboard.access.assessment_map import score_map, staff_posts
from dashboard.access.base import Refused
from dashboard.auth.current import SessionUser, scope_root, user
from dashboard.context import AppContext
from dashboard.display_time import display_now
from data.assessment.periods import period_of
from data.assessment.scheme import RatioIndicator, Scheme
from data.record_ids import record_id
from layouts import ids
from layouts.leader import (
    PLACEHOLDERS,
    category_figure,
    crumbs,
    detail_panel,
    empty_figure,
    kpi_tiles,
    leader_layout,
    map_legend,
    monthly_figure,
    ranking_table,
    ranking_title,
    trend_figure,
)
from layouts.tables import empty_state, message

NO_USER = "登录已失效，请重新登录"
DEFAULT_KIND = "month"


def leader_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    """The page for this month, the user's own node in focus (and explained when it is
    a ranked unit, i.e. not the city)."""
    today = display_now().date()
    scope = scope_root(context.tree.get(), who)
    unit = None
    if scope is not None and scope.kind in KIND_LEVEL:
        unit = {"level": KIND_LEVEL[scope.kind], "id": scope.id}
    settings = context.services.settings
    return leader_layout(
        who,
        DEFAULT_KIND,
        default_value(DEFAULT_KIND, today),
        unit,
        settings.tile_url,
        settings.tile_attribution,
    )


def default_value(kind: str, today: Any) -> str:
    """The current period of ``kind`` written as the picker expects it."""
    if kind == "range":
        start = period_of("month", today).start
        return f"{start}..{today}"
    if kind == "week":
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "quarter":
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    return {"day": str(today), "month": f"{today:%Y-%m}", "year": str(today.year)}[kind]


def register(app: Dash, context: AppContext) -> None:
    """Picker, main view, drill-down and detail: each its own callback."""
    _register_picker(app)
    _register_view(app, context)
    _register_drill(app, context)
    _register_detail(app, context)


def _register_picker(app: Dash) -> None:
    @app.callback(
        Output(ids.LEADER_VALUE, "value"),
        Output(ids.LEADER_VALUE, "placeholder"),
        Input(ids.LEADER_KIND, "value"),
        prevent_initial_call=True,
    )
    def kind_changed(kind: str | None) -> tuple[str, str]:
        """A new kind starts at its current period, which the user can then edit."""
        kind = kind or DEFAULT_KIND
        return default_value(kind, display_now().date()), PLACEHOLDERS.get(kind, "")


def _register_view(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.LEADER_MSG, "children"),
        Output(ids.LEADER_CRUMBS, "children"),
        Output(ids.LEADER_TITLE, "children"),
        Output(ids.LEADER_KPIS, "children"),
        Output(ids.LEADER_RANKING, "children"),
        Output(ids.LEADER_MONTHLY, "figure"),
        Output(ids.LEADER_CATEGORIES, "figure"),
        Output(ids.LEADER_EXPORT_CSV, "href"),
        Output(ids.LEADER_EXPORT_XLSX, "href"),
        Output(ids.LEADER_MAP_AREAS, "data"),
        Output(ids.LEADER_MAP, "viewport"),
        Output(ids.LEADER_MAP_LEGEND, "children"),
        Input(ids.LEADER_APPLY, "n_clicks"),
        Input(ids.LEADER_VALUE, "value"),
        Input(ids.LEADER_NODE, "data"),
        State(ids.LEADER_KIND, "value"),
    )
    def show(_apply: Any, value: str | None, node_id: Any, kind: str | None) -> tuple[Any, ...]:
        return view_outputs(context, kind, value, record_id(node_id))


NO_AREAS: dict[str, Any] = {"type": "FeatureCollection", "features": []}


def view_outputs(
    context: AppContext, kind: str | None, value: str | None, node_id: int | None
) -> tuple[Any, ...]:
    """Everything the main callback writes; a refusal is a message and empty parts."""
    who = user()
    try:
        if who is None:
            raise Refused(NO_USER)
        period = read_period(kind, value)
        tree = context.tree.get()
        view = leader_view(context.services, tree, who, node_id, period)
        shaded = score_map(context.services, tree, who, view.node.id, view.rows)
        posts = (
            staff_posts(context.services, tree, who, [r.unit_id for r in view.rows])
            if view.level == "staff"
            else None
        )
    except Refused as refused:
        blank = empty_figure("—")
        return (
            message(refused.message, "error"),
            [],
            "",
            [],
            empty_state(refused.message),
            blank,
            blank,
            "",
            "",
            NO_AREAS,
            no_update,
            [],
        )
    query = urlencode({"node": view.node.id, "kind": kind, "value": value})
    viewport = (
        {"bounds": shaded.bounds, "transition": "fitBounds", "options": {"padding": [12, 12]}}
        if shaded.bounds
        else no_update
    )
    return (
        "",
        crumbs(view.breadcrumb),
        ranking_title(view),
        kpi_tiles(view.kpis),
        ranking_table(view, posts),
        monthly_figure(view.monthly),
        category_figure(view.categories),
        f"/leader/export.csv?{query}",
        f"/leader/export.xlsx?{query}",
        shaded.geojson,
        viewport,
        map_legend(shaded),
    )


def _register_drill(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.LEADER_NODE, "data"),
        Output(ids.LEADER_UNIT, "data"),
        Input({"type": ids.LEADER_ROW, "uid": ALL, "lvl": ALL}, "n_clicks"),
        Input({"type": ids.LEADER_CRUMB, "nid": ALL}, "n_clicks"),
        # every tap counts, also a second one on the same spot (same clickData)
        Input(ids.LEADER_MAP_AREAS, "n_clicks"),
        State(ids.LEADER_MAP_AREAS, "clickData"),
        prevent_initial_call=True,
    )
    def drill(_rows: list[Any], _crumbs: list[Any], _taps: Any, area: Any) -> tuple[Any, Any]:
        return drill_target(context, ctx.triggered_id, ctx.triggered, area)


def drill_target(
    context: AppContext, target: Any, triggered: list[dict[str, Any]], area: Any = None
) -> tuple[Any, Any]:
    """A tapped row or map area (``area``: the map's clickData) drills into its unit (a
    staff member is only picked); a crumb goes back. The view callback checks the scope
    of whatever node this names."""
    if target == ids.LEADER_MAP_AREAS:
        return _area_target(context, area)
    if not isinstance(target, dict) or not any(t.get("value") for t in triggered):
        return no_update, no_update  # a re-render, not a tap
    if target.get("type") == ids.LEADER_CRUMB:
        node = context.tree.get().get(record_id(target.get("nid")))
        if node is None:
            return no_update, no_update
        return node.id, _unit_of(node.id, node.kind)
    unit_id = record_id(target.get("uid"))
    level = str(target.get("lvl"))
    if unit_id is None:
        return no_update, no_update
    if level == "staff":
        return no_update, {"level": "staff", "id": unit_id}
    return unit_id, {"level": level, "id": unit_id}


def _area_target(context: AppContext, click: Any) -> tuple[Any, Any]:
    """A tapped area of the map: its node, as if its row had been tapped."""
    props = click.get("properties") if isinstance(click, dict) else None
    if not isinstance(props, dict) or props.get("role") != "child":
        return no_update, no_update
    node = context.tree.get().get(record_id(props.get("unit_id")))
    if node is None:
        return no_update, no_update
    return node.id, _unit_of(node.id, node.kind)


def _unit_of(node_id: int, kind: Any) -> dict[str, Any] | None:
    """The unit the detail panel explains for a node (the city is ranked by no one)."""
    return {"level": KIND_LEVEL[kind], "id": node_id} if kind in KIND_LEVEL else None


def _register_detail(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.LEADER_DETAIL, "children"),
        Output(ids.LEADER_TREND, "figure"),
        Input(ids.LEADER_UNIT, "data"),
        Input(ids.LEADER_VALUE, "value"),
        Input(ids.LEADER_APPLY, "n_clicks"),
        State(ids.LEADER_KIND, "value"),
    )
    def explain_unit(
        unit: dict[str, Any] | None, value: str | None, _apply: Any, kind: str | None
    ) -> tuple[Any, go.Figure]:
        return detail_outputs(context, unit, kind, value)


def detail_outputs(
    context: AppContext, unit: dict[str, Any] | None, kind: str | None, value: str | None
) -> tuple[Any, go.Figure]:
    """The detail panel and the trend chart of the picked unit (or the empty state)."""
    who = user()
    unit_id = record_id((unit or {}).get("id"))
    level = str((unit or {}).get("level"))
    if who is None or unit_id is None:
        return detail_panel(None), trend_figure(None)
    try:
        period = read_period(kind, value)
        tree = context.tree.get()
        detail = unit_detail(context.services, tree, who, level, unit_id, period)
        posts = staff_posts(context.services, tree, who, [unit_id]) if level == "staff" else {}
    except Refused as refused:
        return [message(refused.message, "error")], empty_figure("—")
    hours = seconds_rates(context.services.scheme)
    return detail_panel(detail, posts.get(unit_id), hours), trend_figure(detail)


def seconds_rates(scheme: Scheme) -> frozenset[str]:
    """The rates whose both sides are sums of seconds (time on duty, online): the detail
    panel shows them in hours."""
    return frozenset(
        code
        for code, ind in scheme.indicators.items()
        if isinstance(ind, RatioIndicator)
        and all(m.endswith("_seconds") for m in (*ind.numerator, *ind.denominator))
    )
