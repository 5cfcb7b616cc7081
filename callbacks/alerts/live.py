"""Alerts page: the live list, the detail and 事件调度, refreshed in place.

The list and the detail refresh every 2 s without replacing what the pointer may be
on: Dash re-mounts every component under a ``children`` it sets, so rows are rebuilt
only when alerts appear, go or change order, and otherwise only their parts' texts,
classes and widths are set (pattern-matching ``ALL`` outputs, matched by id); when
nothing changed (same digest) nothing is sent at all.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from callbacks.alerts.browser_values import as_int, digest
from dashboard.access import alerts as alert_access
from dashboard.auth.current import user
from dashboard.context import AppContext
from layouts import ids
from layouts.alerts import (
    ROW_PARTS,
    alert_list,
    detail_values,
    incidents_view,
    list_values,
    timeline_items,
)


def register(app: Dash, context: AppContext) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        PICK_ROW_JS, *PICK_ROW_IO, prevent_initial_call=True
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
        TURN_PAGE_JS, *TURN_PAGE_IO, prevent_initial_call=True
    )
    app.callback(*LIST_IO)(partial(refresh_list, context))
    app.callback(*DETAIL_OUTPUTS, *DETAIL_INPUTS)(partial(refresh_detail, context))
    app.callback(*INCIDENTS_IO)(partial(refresh_incidents, context))


# --- in the browser: picking a row and turning a page need no server round trip ----------

PICK_ROW_JS = """
function(_clicks) {
    const dc = window.dash_clientside;
    const hit = dc.callback_context.triggered.length
        && dc.callback_context.triggered[0].value;
    const id = dc.callback_context.triggered_id;
    if (!hit || !id || id.aid === undefined) {
        return [dc.no_update, dc.no_update];  // rows (re)built, nothing clicked
    }
    return [id.aid, ""];  // the last action's answer was about another alert
}
"""
PICK_ROW_IO = [
    Output(ids.ALERTS_SELECTED, "data", allow_duplicate=True),
    Output(ids.ALERTS_ACT_MSG, "children", allow_duplicate=True),
    Input({"type": ids.ALERTS_ROW, "aid": ALL}, "n_clicks"),
]

TURN_PAGE_JS = f"""
function(_prev, _next, _selected, shown) {{
    const id = window.dash_clientside.callback_context.triggered_id;
    if (id === "{ids.ALERTS_SELECTED}") {{ return 0; }}
    // from the page on screen (clamped by the server), one back or on
    const page = shown && Number.isInteger(shown.page) ? shown.page : 0;
    return Math.max(0, page + (id === "{ids.ALERTS_PAGE_NEXT}" ? 1 : -1));
}}
"""
TURN_PAGE_IO = [
    Output(ids.ALERTS_PAGE, "data"),
    Input(ids.ALERTS_PAGE_PREV, "n_clicks"),
    Input(ids.ALERTS_PAGE_NEXT, "n_clicks"),
    Input(ids.ALERTS_SELECTED, "data"),
    State(ids.ALERTS_DETAIL_SHOWN, "data"),
]


# --- the list -----------------------------------------------------------------------------

LIST_IO = [
    Output(ids.ALERTS_LIST, "children"),
    Output(ids.ALERTS_LIST_SHOWN, "data"),
    Output(ids.ALERTS_LIST_COUNT, "children"),
    Output({"type": ids.ALERTS_ROW, "aid": ALL}, "className"),
    *[Output({"type": ids.ALERTS_ROW_PART, "aid": ALL, "k": k}, "children") for k in ROW_PARTS],
    Input(ids.ALERTS_TICK, "n_intervals"),
    Input(ids.ALERTS_SELECTED, "data"),
    Input(ids.ALERTS_REFRESH, "data"),
    State(ids.ALERTS_LIST_SHOWN, "data"),
]


def refresh_list(
    context: AppContext, _tick: Any, selected: Any, _version: Any, shown: Any
) -> tuple[Any, ...]:
    """Rows are built only when the alerts or their order change; else parts are set."""
    who = user()
    rows = alert_access.live_alerts(context.services, context.tree.get(), who) if who else None
    values = None if rows is None else list_values(rows, as_int(selected))
    fingerprint = digest(values)
    shown = shown if isinstance(shown, dict) else {}
    if shown.get("digest") == fingerprint:
        raise PreventUpdate
    order = values["ids"] if values is not None else None
    count = values["count"] if values is not None else ""
    new_shown = {"digest": fingerprint, "ids": order}
    row_specs = ctx.outputs_list[3:]
    if values is None or "ids" not in shown or shown["ids"] != order:
        untouched = [[no_update] * len(spec) for spec in row_specs]
        return alert_list(values), new_shown, count, *untouched
    return no_update, new_shown, count, *_row_parts(values["rows"], row_specs)


def _row_parts(rows: dict[Any, dict[str, Any]], row_specs: list[Any]) -> list[list[Any]]:
    """Each row's class and part texts, for the components the ``ALL`` outputs matched."""
    by_alert = {int(aid): row for aid, row in rows.items()}

    def parts(spec: list[dict[str, Any]], key: str) -> list[Any]:
        return [by_alert.get(s["id"]["aid"], {}).get(key, no_update) for s in spec]

    classes = parts(row_specs[0], "class")
    texts = [parts(spec, key) for spec, key in zip(row_specs[1:], ROW_PARTS, strict=True)]
    return [classes, *texts]


# --- the detail ---------------------------------------------------------------------------

#: what the detail callback sets, in this order (see ``_detail_outputs``)
DETAIL_OUTPUTS = [
    Output(ids.ALERTS_DETAIL_SHOWN, "data"),
    Output(ids.ALERTS_DETAIL_EMPTY, "children"),
    Output(ids.ALERTS_DETAIL_EMPTY, "hidden"),
    Output(ids.ALERTS_DETAIL_BODY, "hidden"),
    Output(ids.ALERTS_DETAIL_BODY, "data-alert"),
    Output(ids.ALERTS_ACTIONS, "hidden"),
    Output(ids.ALERTS_DETAIL_HEAD, "className"),
    Output({"type": ids.ALERTS_PART, "k": ALL}, "children"),
    Output({"type": ids.ALERTS_SEG, "k": ALL}, "style"),
    Output({"type": ids.ALERTS_SEG, "k": ALL}, "title"),
    Output(ids.ALERTS_PENDING_TABLE, "data"),
    Output(ids.ALERTS_PENDING_TABLE, "tooltip_data"),
    Output(ids.ALERTS_PENDING_WRAP, "hidden"),
    Output(ids.ALERTS_PENDING_NONE, "hidden"),
    Output(ids.ALERTS_PAGE_PREV, "disabled"),
    Output(ids.ALERTS_PAGE_NEXT, "disabled"),
    Output(ids.ALERTS_TIMELINE, "children"),
]
DETAIL_INPUTS = [
    Input(ids.ALERTS_TICK, "n_intervals"),
    Input(ids.ALERTS_SELECTED, "data"),
    Input(ids.ALERTS_REFRESH, "data"),
    Input(ids.ALERTS_PAGE, "data"),
    State(ids.ALERTS_DETAIL_SHOWN, "data"),
]


def refresh_detail(
    context: AppContext, _tick: Any, selected: Any, _version: Any, page: Any, shown: Any
) -> tuple[Any, ...]:
    """The detail's frame gets new texts and widths only when something changed."""
    who = user()
    alert_id = as_int(selected)
    if who is None or alert_id is None:
        values = detail_values(None)
    else:
        found = alert_access.detail(
            context.services, context.tree.get(), who, alert_id, as_int(page) or 0
        )
        values = detail_values(found, "" if found else alert_access.NOT_FOUND)
    if isinstance(shown, dict) and shown.get("digest") == digest(values):
        raise PreventUpdate
    return _detail_outputs(values, ctx.outputs_list)


def _by_id(specs: list[dict[str, Any]], values: dict[Any, Any], key: str) -> list[Any]:
    """Values for the components an ``ALL`` output matched, by the id's ``key``."""
    return [values.get(spec["id"].get(key), no_update) for spec in specs]


def _detail_outputs(values: dict[str, Any], specs: list[Any]) -> tuple[Any, ...]:
    """Every property of the detail's frame, for the components the outputs matched."""
    parts_spec, seg_style, seg_title = specs[7:10]
    rows = values["rows"]
    return (
        {"digest": digest(values), "alert": values["alert"], "page": values["page"]},
        values["note"],
        values["alert"] is not None,
        values["alert"] is None,
        str(values["alert"] or ""),
        not values["live"],
        values["head"],
        [values["parts"].get(s["id"]["k"], "") for s in parts_spec],
        _by_id(seg_style, values["widths"], "k"),
        _by_id(seg_title, values["titles"], "k"),
        rows,
        [{"state": row["error"]} if row["error"] else {} for row in rows],
        values["none"],
        not values["none"] or values["alert"] is None,
        values["prev"],
        values["next"],
        timeline_items(values["timeline"]),
    )


# --- 事件调度: open incidents under the user's scope -------------------------------------

INCIDENTS_IO = [
    Output(ids.ALERTS_INCIDENTS, "children"),
    Output(ids.ALERTS_INCIDENTS_SHOWN, "data"),
    Input(ids.ALERTS_SLOW_TICK, "n_intervals"),
    State(ids.ALERTS_INCIDENTS_SHOWN, "data"),
]


def refresh_incidents(context: AppContext, _tick: Any, shown: Any) -> tuple[Component, str]:
    """The incidents summary, sent only when it changed."""
    who = user()
    data = (
        alert_access.pending_incidents(context.services, context.tree.get(), who) if who else None
    )
    fingerprint = digest(data)
    if fingerprint == shown:
        raise PreventUpdate
    return incidents_view(data), fingerprint
