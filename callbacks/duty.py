"""Callbacks of /duty: the area map, issuing, the live list and detail, change and lift.

Every callback goes through dashboard/duty_access.py, which checks the permission
and scope again for the session user. Form tokens are minted per form and renewed
after each success, so a double click is answered once and never texts twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component

from dashboard import duty_access
from dashboard.app_context import AppContext
from dashboard.auth.current import SessionUser, scope_root, user
from dashboard.duty_access import IssueForm
from layouts import ids
from layouts.duty import alert_list, detail_view, duty_layout, incidents_view
from layouts.pickers import node_label
from layouts.shell import app_page
from layouts.tables import empty_state, message


def duty_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    tree = context.tree.get()
    scope = scope_root(tree, who)
    if scope is None:
        return app_page(
            who, "/duty", "值班预警", [empty_state("尚无组织数据：请先运行 gridwatch seed")]
        )
    return duty_layout(who, context.services.settings.tile_url, scope.id)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _token() -> str:
    return uuid.uuid4().hex


def register(app: Dash, context: AppContext) -> None:
    services = context.services

    @app.callback(
        Output(ids.DUTY_MAP_NODE, "data"),
        Output(ids.DUTY_NODE, "value"),
        Input(ids.DUTY_AREAS, "clickData"),
        Input(ids.DUTY_MAP_UP, "n_clicks"),
        Input(ids.DUTY_NODE, "value"),
        State(ids.DUTY_MAP_NODE, "data"),
        prevent_initial_call=True,
    )
    def navigate(click: Any, _up: Any, picked: Any, current: Any) -> tuple[Any, Any]:
        """A click on an area picks it and shows its children; 返回上一级 goes up."""
        who = user()
        if who is None:
            return no_update, no_update
        tree = context.tree.get()
        scope = scope_root(tree, who)
        if scope is None:
            return no_update, no_update
        trigger = ctx.triggered_id
        if trigger == ids.DUTY_MAP_UP:
            node = tree.get(_int(current))
            if node is None or node.id == scope.id or node.parent_id is None:
                return scope.id, no_update
            return node.parent_id, no_update
        if trigger == ids.DUTY_AREAS:
            props = (click or {}).get("properties") or {}
            if props.get("role") != "child":
                return no_update, no_update
            node_id = _int(props.get("id"))
            node = tree.get(node_id)
            if node is None or not tree.is_within(node.id, scope.id):
                return no_update, no_update
            drill = node.id if tree.children_of(node.id) else no_update
            return drill, node.id
        node = tree.get(_int(picked))
        if node is None or not tree.is_within(node.id, scope.id):
            return no_update, no_update
        # picking from the list: show the picked area with its children (or its parent's)
        if tree.children_of(node.id):
            return node.id, no_update
        return (node.parent_id if node.parent_id is not None else no_update), no_update

    @app.callback(
        Output(ids.DUTY_AREAS, "data"),
        Output(ids.DUTY_MAP, "viewport"),
        Output(ids.DUTY_MAP_CRUMB, "children"),
        Input(ids.DUTY_MAP_NODE, "data"),
        Input(ids.DUTY_SELECTED, "data"),
        Input(ids.DUTY_REFRESH, "data"),
    )
    def show_area(node_id: Any, _selected: Any, _version: Any) -> tuple[Any, Any, Any]:
        """The area and its children, shaded by the alerts in force (after every change)."""
        who = user()
        if who is None:
            return no_update, no_update, no_update
        tree = context.tree.get()
        area = duty_access.area_map(services, tree, who, _int(node_id))
        if area is None:
            return {"type": "FeatureCollection", "features": []}, no_update, "无权限"
        crumb = " › ".join(n.name for n in duty_access.trail(tree, who, area["node"]))
        moved = ctx.triggered_id in (None, ids.DUTY_MAP_NODE)
        viewport = (
            {"bounds": area["bounds"], "transition": "flyToBounds"}
            if area["bounds"] and moved
            else no_update
        )
        return area["geojson"], viewport, crumb

    @app.callback(Output(ids.DUTY_AREAS, "hideout"), Input(ids.DUTY_NODE, "value"))
    def mark_picked(picked: Any) -> dict:
        return {"picked": _int(picked)}

    @app.callback(
        Output(ids.DUTY_NODE, "options"),
        Input(ids.DUTY_MAP_NODE, "data"),
        Input(ids.DUTY_NODE, "search_value"),
        State(ids.DUTY_NODE, "value"),
    )
    def node_choices(node_id: Any, search: Any, picked: Any) -> Any:
        """The map's area, its parents and children; typing searches the whole scope."""
        who = user()
        if who is None:
            return no_update
        tree = context.tree.get()
        if ctx.triggered_id == ids.DUTY_NODE and not search:
            return no_update  # clearing the search keeps the list it had
        nodes = duty_access.node_choices(
            tree, who, _int(node_id), search if isinstance(search, str) else "", _int(picked)
        )
        return [{"label": node_label(tree, n), "value": n.id} for n in nodes]

    @app.callback(
        Output(ids.DUTY_ISSUE_MSG, "children"),
        Output(ids.DUTY_ISSUE_TOKEN, "data"),
        Output(ids.DUTY_SELECTED, "data", allow_duplicate=True),
        Input(ids.DUTY_ISSUE, "n_clicks"),
        State(ids.DUTY_NODE, "value"),
        State(ids.DUTY_LEVEL, "value"),
        State(ids.DUTY_CATEGORY, "value"),
        State(ids.DUTY_TITLE, "value"),
        State(ids.DUTY_TEXT, "value"),
        State(ids.DUTY_HOURS, "value"),
        State(ids.DUTY_TARGET_LEVELS, "value"),
        State(ids.DUTY_ISSUE_TOKEN, "data"),
        prevent_initial_call=True,
        # a city-wide alert queues tens of thousands of texts: say that it is working
        running=[
            (Output(ids.DUTY_ISSUE, "disabled"), True, False),
            (Output(ids.DUTY_ISSUE, "children"), "发布中…", "发布预警"),
        ],
    )
    def issue(
        _n: Any,
        node: Any,
        level: Any,
        category: Any,
        title: Any,
        text: Any,
        hours: Any,
        targets: Any,
        token: Any,
    ) -> tuple[Any, Any, Any]:
        who = user()
        if who is None:
            return message(duty_access.NO_ALERTS, "error"), no_update, no_update
        form = IssueForm(
            node_id=_int(node),
            level=level if isinstance(level, str) else None,
            category=category if isinstance(category, str) else None,
            title=title if isinstance(title, str) else "",
            text=text if isinstance(text, str) else "",
            hours=_int(hours),
            target_levels=[v for v in targets or [] if _int(v) is not None],
        )
        token = token if isinstance(token, str) and token else _token()
        outcome = duty_access.issue(services, context.tree.get(), who, form, token)
        if not outcome.ok:
            return message(outcome.message, "error"), token, no_update
        return message(outcome.message, "ok"), _token(), outcome.alert_id

    @app.callback(
        Output(ids.DUTY_SELECTED, "data", allow_duplicate=True),
        Input({"type": ids.DUTY_ROW, "aid": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def select(clicks: list[Any]) -> Any:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update
        return _int(trigger.get("aid"))

    @app.callback(
        Output(ids.DUTY_LIST, "children"),
        Input(ids.DUTY_TICK, "n_intervals"),
        Input(ids.DUTY_SELECTED, "data"),
        Input(ids.DUTY_REFRESH, "data"),
    )
    def refresh_list(_tick: Any, selected: Any, _version: Any) -> Component:
        who = user()
        if who is None:
            return alert_list(None, None)
        return alert_list(
            duty_access.live_alerts(services, context.tree.get(), who), _int(selected)
        )

    @app.callback(
        Output(ids.DUTY_DETAIL, "children"),
        Output(ids.DUTY_ACTIONS, "hidden"),
        Input(ids.DUTY_TICK, "n_intervals"),
        Input(ids.DUTY_SELECTED, "data"),
        Input(ids.DUTY_REFRESH, "data"),
    )
    def refresh_detail(_tick: Any, selected: Any, _version: Any) -> tuple[Component, bool]:
        who = user()
        alert_id = _int(selected)
        if who is None or alert_id is None:
            return detail_view(None), True
        found = duty_access.detail(services, context.tree.get(), who, alert_id)
        if found is None:
            return html.Div(duty_access.NOT_FOUND, className="gw-app-note"), True
        return detail_view(found), not found.live

    @app.callback(
        Output(ids.DUTY_ACT_MSG, "children"),
        Output(ids.DUTY_ACT_TOKEN, "data"),
        Output(ids.DUTY_REFRESH, "data"),
        Input(ids.DUTY_LEVEL_BTN, "n_clicks"),
        Input(ids.DUTY_EXTEND_BTN, "n_clicks"),
        Input(ids.DUTY_LIFT_CONFIRM, "submit_n_clicks"),
        State(ids.DUTY_SELECTED, "data"),
        State(ids.DUTY_NEW_LEVEL, "value"),
        State(ids.DUTY_EXTEND_HOURS, "value"),
        State(ids.DUTY_ACT_TOKEN, "data"),
        State(ids.DUTY_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def act(
        _level: Any,
        _extend: Any,
        _lift: Any,
        selected: Any,
        new_level: Any,
        hours: Any,
        token: Any,
        version: Any,
    ) -> tuple[Any, Any, Any]:
        who = user()
        if who is None:
            return message(duty_access.NO_ALERTS, "error"), no_update, no_update
        action = {
            ids.DUTY_LEVEL_BTN: "level",
            ids.DUTY_EXTEND_BTN: "extend",
            ids.DUTY_LIFT_CONFIRM: "lift",
        }.get(ctx.triggered_id or "")
        if action is None:
            return no_update, no_update, no_update
        token = token if isinstance(token, str) and token else _token()
        outcome = duty_access.change(
            services,
            context.tree.get(),
            who,
            _int(selected),
            action,
            token,
            level=new_level if isinstance(new_level, str) else None,
            hours=_int(hours),
        )
        bump = (_int(version) or 0) + 1
        if not outcome.ok:
            return message(outcome.message, "error"), token, bump
        return message(outcome.message, "ok"), _token(), bump

    @app.callback(
        Output(ids.DUTY_INCIDENTS, "children"),
        Input(ids.DUTY_SLOW_TICK, "n_intervals"),
    )
    def incidents(_tick: Any) -> Component:
        who = user()
        if who is None:
            return incidents_view(None)
        return incidents_view(duty_access.pending_incidents(services, context.tree.get(), who))
