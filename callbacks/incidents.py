"""Callbacks of the incidents page (/events): the refreshed list, the detail panel,
workflow actions, the desk form.

Every callback asks dashboard/access/incidents.py, which checks the permission and
the scope again for the session user; ids from the browser only select inside it.
A transition id is minted when the panel opens and renewed after each success, so
a double click replays the same transition instead of applying it twice.

Each callback is a plain function taking the ``AppContext`` first; its outputs, inputs
and states stand above it, and ``register`` binds the context.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from dash import ALL, MATCH, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access.incidents import EventDetail, EventFilters, act, detail, list_page, reveal
from dashboard.access.incidents import register as register_incident
from dashboard.auth.current import user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.context import AppContext
from data.record_ids import record_id
from layouts import ids
from layouts.incidents import (
    OPEN_PANEL_CLASS,
    PANEL_CLASS,
    REVEALED_LABEL,
    action_buttons,
    detail_panel,
    event_table,
    original_text,
)
from layouts.tables import empty_state, message

NO_ACCESS = "无权查看事件"
FIELD_LABELS = {
    "category": "类别",
    "title": "标题",
    "description": "描述",
    "node_id": "所属节点",
    "location": "位置",
    "lat": "纬度",
    "lon": "经度",
    "reporter_name": "反映人",
    "reporter_phone": "联系电话",
    "reporter_user_id": "登记人",
    "form": "登记",
}


def _selected_id(selected: Any) -> int | None:
    return record_id(selected.get("id")) if isinstance(selected, dict) else None


def _int(value: Any) -> int | None:
    """An id (or page number) from the browser, bounded to what SQL can hold."""
    return record_id(value)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def register(app: Dash, context: AppContext) -> None:
    """Every callback of the page, bound to this app's context."""
    app.callback(*LIST_IO)(partial(show_list, context))
    app.callback(*SELECT_IO, prevent_initial_call=True)(select)
    app.callback(*DETAIL_IO)(partial(show_detail, context))
    app.callback(*FOLLOW_IO, prevent_initial_call=True)(partial(follow_detail, context))
    app.callback(*REVEAL_IO, prevent_initial_call=True)(partial(show_original, context))
    app.callback(*TAKE_IO, prevent_initial_call=True)(partial(take, context))
    app.callback(*SUBMIT_IO, prevent_initial_call=True)(partial(submit, context))


# --- the list -----------------------------------------------------------------------------

LIST_IO = [
    Output(ids.INCIDENTS_TABLE, "children"),
    Output(ids.INCIDENTS_SUMMARY, "children"),
    Output(ids.INCIDENTS_PAGE, "data"),
    Output(ids.INCIDENTS_PAGER, "children"),
    Output(ids.INCIDENTS_PREV, "disabled"),
    Output(ids.INCIDENTS_NEXT, "disabled"),
    Input(ids.INCIDENTS_STATE, "value"),
    Input(ids.INCIDENTS_CATEGORY, "value"),
    Input(ids.INCIDENTS_NODE, "value"),
    Input(ids.INCIDENTS_SOURCE, "value"),
    Input(ids.INCIDENTS_OVERDUE, "value"),
    Input(ids.INCIDENTS_PERIOD, "start_date"),
    Input(ids.INCIDENTS_PERIOD, "end_date"),
    Input(ids.INCIDENTS_PREV, "n_clicks"),
    Input(ids.INCIDENTS_NEXT, "n_clicks"),
    Input(ids.INCIDENTS_TICK, "n_intervals"),
    Input(ids.INCIDENTS_SELECTED, "data"),
    State(ids.INCIDENTS_PAGE, "data"),
]


def show_list(
    context: AppContext,
    states: Any,
    categories: Any,
    node_id: Any,
    sources: Any,
    overdue: Any,
    start: Any,
    end: Any,
    _prev: Any,
    _next: Any,
    _tick: Any,
    selected: Any,
    page: Any,
) -> tuple[Any, ...]:
    """One page of the incidents the filters pick, refreshed every 5 s."""
    who = user()
    if who is None or not who.can(Perm.VIEW_INCIDENTS):
        return empty_state(NO_ACCESS), "", 0, "", True, True
    filters = EventFilters(
        states=_strings(states),
        categories=_strings(categories),
        sources=_strings(sources),
        node_id=_int(node_id),
        overdue="overdue" in _strings(overdue),
        start_date=start if isinstance(start, str) else None,
        end_date=end if isinstance(end, str) else None,
    )
    result = list_page(context.services, context.tree.get(), who, filters, _wanted_page(page))
    if result is None:
        return empty_state("无权查看该范围"), "", 0, "", True, True
    if result.total == 0:
        return empty_state("没有符合条件的事件"), "共 0 件", 0, "", True, True
    return (
        event_table(result, _selected_id(selected)),
        f"共 {result.total:,} 件 · 每 5 秒自动刷新",
        result.page,
        f"第 {result.page + 1} / {result.pages} 页",
        result.page == 0,
        result.page >= result.pages - 1,
    )


def _wanted_page(shown: Any) -> int:
    """One back or on from the page shown; a changed filter goes back to the newest."""
    page = _int(shown) or 0
    trigger = ctx.triggered_id
    if trigger == ids.INCIDENTS_PREV:
        return page - 1
    if trigger == ids.INCIDENTS_NEXT:
        return page + 1
    if trigger in (ids.INCIDENTS_TICK, ids.INCIDENTS_SELECTED):
        return page
    return 0


SELECT_IO = [
    Output(ids.INCIDENTS_SELECTED, "data"),
    Input({"type": ids.INCIDENTS_ROW, "iid": ALL}, "n_clicks"),
    Input(ids.INCIDENTS_CLOSE_PANEL, "n_clicks"),
]


def select(_rows: list[Any], _close: Any) -> Any:
    """A row click opens the panel with a fresh transition id; 关闭 clears it."""
    if user() is None or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update  # rows re-rendered by the refresh, nothing clicked
    target = ctx.triggered_id
    if target == ids.INCIDENTS_CLOSE_PANEL:
        return None
    incident_id = target.get("iid") if isinstance(target, dict) else None
    if _int(incident_id) is None:
        return no_update
    return {"id": incident_id, "tid": uuid.uuid4().hex}


# --- the detail panel ---------------------------------------------------------------------


def _version(found: EventDetail) -> str:
    """Changes whenever the incident moves (state) or gains a step (history)."""
    return f"{found.row.state}:{len(found.steps)}:{found.row.deadline_status}"


DETAIL_IO = [
    Output(ids.INCIDENTS_DETAIL, "children"),
    Output(ids.INCIDENTS_BUTTONS, "children"),
    Output(ids.INCIDENTS_TARGET, "options"),
    Output(ids.INCIDENTS_ASSIGNEE, "options"),
    Output(ids.INCIDENTS_TARGET, "value"),
    Output(ids.INCIDENTS_ASSIGNEE, "value"),
    Output(ids.INCIDENTS_ACTIONS, "hidden"),
    Output(ids.INCIDENTS_SIDE, "className"),
    Output(ids.INCIDENTS_NOTE, "value"),
    Output(ids.INCIDENTS_DETAIL_VERSION, "data"),
    Input(ids.INCIDENTS_SELECTED, "data"),
]


def show_detail(context: AppContext, selected: Any) -> tuple[Any, ...]:
    """The panel of the picked incident, with its actions, targets and assignees."""
    who = user()
    incident_id = _selected_id(selected)
    if who is None or incident_id is None:
        return detail_panel(None), [], [], [], None, None, True, PANEL_CLASS, "", None
    found = detail(context.services, context.tree.get(), who, incident_id)
    if found is None:
        missing = detail_panel(None, missing=True)
        return missing, [], [], [], None, None, True, OPEN_PANEL_CLASS, "", None
    return (
        detail_panel(found, tile_url=context.services.settings.tile_url),
        action_buttons(found.actions),
        [{"label": o.label, "value": o.value} for o in found.targets],
        [{"label": o.label, "value": o.value} for o in found.assignees],
        found.targets[0].value if found.targets else None,  # the responsible node
        None,
        not (found.actions or found.duplicates),
        OPEN_PANEL_CLASS,
        "",
        _version(found),
    )


FOLLOW_IO = [
    Output(ids.INCIDENTS_DETAIL, "children", allow_duplicate=True),
    Output(ids.INCIDENTS_BUTTONS, "children", allow_duplicate=True),
    Output(ids.INCIDENTS_ACTIONS, "hidden", allow_duplicate=True),
    Output(ids.INCIDENTS_DETAIL_VERSION, "data", allow_duplicate=True),
    Input(ids.INCIDENTS_TICK, "n_intervals"),
    State(ids.INCIDENTS_SELECTED, "data"),
    State(ids.INCIDENTS_DETAIL_VERSION, "data"),
]


def follow_detail(context: AppContext, _tick: Any, selected: Any, shown: Any) -> tuple[Any, ...]:
    """The open panel follows what others do (a terminal starts or hands back).

    Redrawn only when the state or the steps changed, and without touching the
    note, target or assignee the officer may be filling in.
    """
    who = user()
    incident_id = _selected_id(selected)
    if who is None or incident_id is None:
        raise PreventUpdate
    found = detail(context.services, context.tree.get(), who, incident_id)
    if found is None or _version(found) == shown:
        raise PreventUpdate
    return (
        detail_panel(found, tile_url=context.services.settings.tile_url),
        action_buttons(found.actions),
        not (found.actions or found.duplicates),
        _version(found),
    )


REVEAL_IO = [
    Output({"type": ids.INCIDENTS_ORIGINAL, "iid": MATCH}, "children"),
    Output({"type": ids.INCIDENTS_REVEAL, "iid": MATCH}, "children"),
    Output({"type": ids.INCIDENTS_REVEAL, "iid": MATCH}, "disabled"),
    Input({"type": ids.INCIDENTS_REVEAL, "iid": MATCH}, "n_clicks"),
]


def show_original(context: AppContext, n_clicks: Any) -> tuple[Any, Any, Any]:
    """显示原文: one incident's unmasked text; the access checks and audits it."""
    who = user()
    target = ctx.triggered_id
    if who is None or not n_clicks or not isinstance(target, dict):
        return no_update, no_update, no_update
    incident_id = _int(target.get("iid"))
    if incident_id is None:
        return no_update, no_update, no_update
    found = reveal(context.services, context.tree.get(), who, incident_id, client_address())
    if found is None:
        return message("无权查看该事件原文", "error"), "无权查看", True
    return original_text(found), REVEALED_LABEL, True


# --- workflow actions ---------------------------------------------------------------------

TAKE_IO = [
    Output(ids.INCIDENTS_ACT_MSG, "children"),
    Output(ids.INCIDENTS_SELECTED, "data", allow_duplicate=True),
    Input({"type": ids.INCIDENTS_ACT, "action": ALL}, "n_clicks"),
    Input({"type": ids.INCIDENTS_MERGE, "orig": ALL}, "n_clicks"),
    State(ids.INCIDENTS_SELECTED, "data"),
    State(ids.INCIDENTS_NOTE, "value"),
    State(ids.INCIDENTS_TARGET, "value"),
    State(ids.INCIDENTS_ASSIGNEE, "value"),
]


def take(
    context: AppContext,
    _acts: list[Any],
    _merges: list[Any],
    selected: Any,
    note: Any,
    target: Any,
    staff: Any,
) -> tuple[Any, Any]:
    """One workflow action (or a merge) on the open incident, under its transition id."""
    who = user()
    trigger = ctx.triggered_id
    if who is None or not isinstance(trigger, dict):
        return no_update, no_update
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update, no_update  # buttons rendered, nothing clicked
    incident_id = _selected_id(selected)
    tid = selected.get("tid") if isinstance(selected, dict) else None
    if incident_id is None or not isinstance(tid, str):
        return message("请先选择事件", "error"), no_update
    merge = trigger.get("type") == ids.INCIDENTS_MERGE
    action = "merge" if merge else trigger.get("action")
    if not isinstance(action, str):
        return no_update, no_update
    dispatch = action == "dispatch"
    outcome = act(
        context.services,
        context.tree.get(),
        who,
        incident_id,
        action,
        transition_id=tid,
        note=note if isinstance(note, str) else None,
        target_node_id=_int(target) if dispatch else None,
        assignee_staff_id=_int(staff) if dispatch else None,
        duplicate_of_id=_int(trigger.get("orig")) if merge else None,
    )
    if not outcome.ok:
        return message(outcome.message, "error"), no_update
    # a new transition id for the next action, and the panel and list re-read
    return message(outcome.message, "ok"), {"id": incident_id, "tid": uuid.uuid4().hex}


# --- the desk form ------------------------------------------------------------------------

SUBMIT_IO = [
    Output(ids.INCIDENTS_NEW_MSG, "children"),
    Output(ids.INCIDENTS_SELECTED, "data", allow_duplicate=True),
    Input(ids.INCIDENTS_NEW_SUBMIT, "n_clicks"),
    State(ids.INCIDENTS_NEW_CATEGORY, "value"),
    State(ids.INCIDENTS_NEW_TITLE, "value"),
    State(ids.INCIDENTS_NEW_DESCRIPTION, "value"),
    State(ids.INCIDENTS_NEW_NODE, "value"),
    State(ids.INCIDENTS_NEW_LAT, "value"),
    State(ids.INCIDENTS_NEW_LON, "value"),
    State(ids.INCIDENTS_NEW_NAME, "value"),
    State(ids.INCIDENTS_NEW_PHONE, "value"),
]


def submit(context: AppContext, n_clicks: Any, *values: Any) -> tuple[Any, Any]:
    """登记: the desk registers an incident; every refused field is listed."""
    who = user()
    if who is None or not n_clicks:
        return no_update, no_update
    keys = ["category", "title", "description", "node_id", "lat", "lon"]
    form = dict(zip([*keys, "reporter_name", "reporter_phone"], values, strict=True))
    form["node_id"] = _int(form["node_id"])
    done = register_incident(context.services, context.tree.get(), who, form)
    if done.incident_id is None:
        lines = [html.Li(f"{FIELD_LABELS.get(k, k)}：{v}") for k, v in sorted(done.errors.items())]
        refused = html.Div(
            [html.Div("登记未成功："), html.Ul(lines)], className="gw-msg gw-msg-error"
        )
        return refused, no_update
    extra = f"，发现 {done.duplicates} 件疑似重复" if done.duplicates else ""
    return (
        message(f"已登记，事件编号 {done.tracking_no}{extra}", "ok"),
        {"id": done.incident_id, "tid": uuid.uuid4().hex},
    )
