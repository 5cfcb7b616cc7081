"""Alerts page: picking the area on the map or in 发布区域 (the two stay in step)."""

from __future__ import annotations

from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update

from callbacks.alerts.browser_values import as_int
from dashboard.access import alerts as alert_access
from dashboard.auth.current import scope_root, user
from dashboard.context import AppContext
from data.org_tree import OrgTree, node_label
from layouts import ids

#: the map's area (its children are drawn) and the picked area, as a callback answers them
Picked = tuple[Any, Any]


def register(app: Dash, context: AppContext) -> None:
    app.callback(*NAVIGATE_IO, prevent_initial_call=True)(partial(navigate, context))
    app.callback(*SHOW_AREA_IO)(partial(show_area, context))
    app.callback(Output(ids.ALERTS_AREAS, "hideout"), Input(ids.ALERTS_NODE, "value"))(mark_picked)
    app.callback(*NODE_CHOICES_IO)(partial(node_choices, context))


NAVIGATE_IO = [
    Output(ids.ALERTS_MAP_NODE, "data"),
    Output(ids.ALERTS_NODE, "value"),
    Input(ids.ALERTS_AREAS, "clickData"),
    Input(ids.ALERTS_MAP_UP, "n_clicks"),
    Input(ids.ALERTS_NODE, "value"),
    State(ids.ALERTS_MAP_NODE, "data"),
]


def navigate(context: AppContext, click: Any, _up: Any, picked: Any, current: Any) -> Picked:
    """A click on an area picks it and shows its children; 返回上一级 goes up."""
    who = user()
    if who is None:
        return no_update, no_update
    tree = context.tree.get()
    scope = scope_root(tree, who)
    if scope is None:
        return no_update, no_update
    trigger = ctx.triggered_id
    if trigger == ids.ALERTS_MAP_UP:
        node = tree.get(as_int(current))
        if node is None or node.id == scope.id or node.parent_id is None:
            return scope.id, no_update
        return node.parent_id, no_update
    if trigger == ids.ALERTS_AREAS:
        return _clicked_area(tree, scope.id, click)
    return _listed_area(tree, scope.id, picked)


def _clicked_area(tree: OrgTree, scope_id: int, click: Any) -> Picked:
    """A child area clicked on the map: picked, and drilled into if it has children."""
    props = (click or {}).get("properties") or {}
    if props.get("role") != "child":
        return no_update, no_update
    node = tree.get(as_int(props.get("id")))
    if node is None or not tree.is_within(node.id, scope_id):
        return no_update, no_update
    drill = node.id if tree.children_of(node.id) else no_update
    return drill, node.id


def _listed_area(tree: OrgTree, scope_id: int, picked: Any) -> Picked:
    """Picked from the list: the map shows the area with its children (or its parent's)."""
    node = tree.get(as_int(picked))
    if node is None or not tree.is_within(node.id, scope_id):
        return no_update, no_update
    if tree.children_of(node.id):
        return node.id, no_update
    return (node.parent_id if node.parent_id is not None else no_update), no_update


SHOW_AREA_IO = [
    Output(ids.ALERTS_AREAS, "data"),
    Output(ids.ALERTS_MAP, "viewport"),
    Output(ids.ALERTS_MAP_CRUMB, "children"),
    Input(ids.ALERTS_MAP_NODE, "data"),
    Input(ids.ALERTS_REFRESH, "data"),
]


def show_area(context: AppContext, node_id: Any, _version: Any) -> tuple[Any, Any, Any]:
    """The area and its children, shaded by the alerts in force (after every change)."""
    who = user()
    if who is None:
        return no_update, no_update, no_update
    tree = context.tree.get()
    area = alert_access.area_map(context.services, tree, who, as_int(node_id))
    if area is None:
        return {"type": "FeatureCollection", "features": []}, no_update, "无权限"
    crumb = " › ".join(n.name for n in alert_access.trail(tree, who, area["node"]))
    moved = ctx.triggered_id in (None, ids.ALERTS_MAP_NODE)
    viewport = (
        {"bounds": area["bounds"], "transition": "flyToBounds"}
        if area["bounds"] and moved
        else no_update
    )
    return area["geojson"], viewport, crumb


def mark_picked(picked: Any) -> dict[str, int | None]:
    """The picked area is outlined on the map (gwAlerts.areaStyle reads the hideout)."""
    return {"picked": as_int(picked)}


NODE_CHOICES_IO = [
    Output(ids.ALERTS_NODE, "options"),
    Input(ids.ALERTS_MAP_NODE, "data"),
    Input(ids.ALERTS_NODE, "search_value"),
    State(ids.ALERTS_NODE, "value"),
]


def node_choices(context: AppContext, node_id: Any, search: Any, picked: Any) -> Any:
    """The map's area, its parents and children; typing searches the whole scope."""
    who = user()
    if who is None:
        return no_update
    tree = context.tree.get()
    if ctx.triggered_id == ids.ALERTS_NODE and not search:
        return no_update  # clearing the search keeps the list it had
    nodes = alert_access.node_choices(
        tree, who, as_int(node_id), search if isinstance(search, str) else "", as_int(picked)
    )
    return [{"label": node_label(tree, n), "value": n.id} for n in nodes]
