"""Callbacks of /duty: the area map, the confirmation before every text, the live list
and detail updated in place, change and lift.

Every callback goes through dashboard/access/alerts.py, which checks the permission
and scope again for the session user. Form tokens are minted per page and renewed
after each success, so a double click on 确认 is answered once and never texts twice.

The live list and the detail refresh every 2 s without replacing what the pointer may
be on: Dash re-mounts every component under a ``children`` it sets, so rows are
rebuilt only when alerts appear, go or change order, and otherwise only their parts'
texts, classes and widths are set (pattern-matching ``ALL`` outputs, matched by id);
when nothing changed (same digest) nothing is sent at all.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboard.access import alerts as alert_access
from dashboard.access.alerts import IssueForm, Outcome, Preview
from dashboard.auth.current import SessionUser, scope_root, user
from dashboard.context import AppContext
from layouts import ids
from layouts.alerts import (
    ROW_PARTS,
    alert_list,
    alerts_layout,
    confirm_body,
    detail_values,
    incidents_view,
    list_values,
    timeline_items,
)
from layouts.pickers import node_label
from layouts.shell import app_page
from layouts.tables import empty_state, message


def alerts_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    tree = context.tree.get()
    scope = scope_root(tree, who)
    if scope is None:
        return app_page(
            who, "/duty", "值班预警", [empty_state("尚无组织数据：请先运行 gridwatch seed")]
        )
    return alerts_layout(who, context.services.settings.tile_url, scope.id, _token(), _token())


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _token() -> str:
    return uuid.uuid4().hex


def _digest(value: Any) -> str:
    """A short fingerprint of what a panel shows: equal digests, nothing to send."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def _by_id(specs: list[dict], values: dict[Any, Any], key: str) -> list[Any]:
    """Values for the components an ``ALL`` output matched, by the id's ``key``."""
    return [values.get(spec["id"].get(key), no_update) for spec in specs]


def register(app: Dash, context: AppContext) -> None:
    register_map(app, context)
    register_live(app, context)
    register_changes(app, context)


def register_map(app: Dash, context: AppContext) -> None:
    """Picking the area on the map or in 发布区域."""
    services = context.services

    @app.callback(
        Output(ids.ALERTS_MAP_NODE, "data"),
        Output(ids.ALERTS_NODE, "value"),
        Input(ids.ALERTS_AREAS, "clickData"),
        Input(ids.ALERTS_MAP_UP, "n_clicks"),
        Input(ids.ALERTS_NODE, "value"),
        State(ids.ALERTS_MAP_NODE, "data"),
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
        if trigger == ids.ALERTS_MAP_UP:
            node = tree.get(_int(current))
            if node is None or node.id == scope.id or node.parent_id is None:
                return scope.id, no_update
            return node.parent_id, no_update
        if trigger == ids.ALERTS_AREAS:
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
        Output(ids.ALERTS_AREAS, "data"),
        Output(ids.ALERTS_MAP, "viewport"),
        Output(ids.ALERTS_MAP_CRUMB, "children"),
        Input(ids.ALERTS_MAP_NODE, "data"),
        Input(ids.ALERTS_REFRESH, "data"),
    )
    def show_area(node_id: Any, _version: Any) -> tuple[Any, Any, Any]:
        """The area and its children, shaded by the alerts in force (after every change)."""
        who = user()
        if who is None:
            return no_update, no_update, no_update
        tree = context.tree.get()
        area = alert_access.area_map(services, tree, who, _int(node_id))
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

    @app.callback(Output(ids.ALERTS_AREAS, "hideout"), Input(ids.ALERTS_NODE, "value"))
    def mark_picked(picked: Any) -> dict:
        return {"picked": _int(picked)}

    @app.callback(
        Output(ids.ALERTS_NODE, "options"),
        Input(ids.ALERTS_MAP_NODE, "data"),
        Input(ids.ALERTS_NODE, "search_value"),
        State(ids.ALERTS_NODE, "value"),
    )
    def node_choices(node_id: Any, search: Any, picked: Any) -> Any:
        """The map's area, its parents and children; typing searches the whole scope."""
        who = user()
        if who is None:
            return no_update
        tree = context.tree.get()
        if ctx.triggered_id == ids.ALERTS_NODE and not search:
            return no_update  # clearing the search keeps the list it had
        nodes = alert_access.node_choices(
            tree, who, _int(node_id), search if isinstance(search, str) else "", _int(picked)
        )
        return [{"label": node_label(tree, n), "value": n.id} for n in nodes]


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


def _detail_outputs(values: dict[str, Any], specs: list[Any]) -> tuple[Any, ...]:
    """Every property of the detail's frame, for the components the outputs matched."""
    parts_spec, seg_style, seg_title = specs[7:10]
    rows = values["rows"]
    return (
        {"digest": _digest(values), "alert": values["alert"], "page": values["page"]},
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


def register_live(app: Dash, context: AppContext) -> None:
    """The live list, the detail and 事件调度, refreshed in place."""
    services = context.services

    # picking a row and turning a page need no server round trip before the detail's own
    app.clientside_callback(
        """
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
        """,
        Output(ids.ALERTS_SELECTED, "data", allow_duplicate=True),
        Output(ids.ALERTS_ACT_MSG, "children", allow_duplicate=True),
        Input({"type": ids.ALERTS_ROW, "aid": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        f"""
        function(_prev, _next, _selected, shown) {{
            const id = window.dash_clientside.callback_context.triggered_id;
            if (id === "{ids.ALERTS_SELECTED}") {{ return 0; }}
            // from the page on screen (clamped by the server), one back or on
            const page = shown && Number.isInteger(shown.page) ? shown.page : 0;
            return Math.max(0, page + (id === "{ids.ALERTS_PAGE_NEXT}" ? 1 : -1));
        }}
        """,
        Output(ids.ALERTS_PAGE, "data"),
        Input(ids.ALERTS_PAGE_PREV, "n_clicks"),
        Input(ids.ALERTS_PAGE_NEXT, "n_clicks"),
        Input(ids.ALERTS_SELECTED, "data"),
        State(ids.ALERTS_DETAIL_SHOWN, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.ALERTS_LIST, "children"),
        Output(ids.ALERTS_LIST_SHOWN, "data"),
        Output(ids.ALERTS_LIST_COUNT, "children"),
        Output({"type": ids.ALERTS_ROW, "aid": ALL}, "className"),
        *[Output({"type": ids.ALERTS_ROW_PART, "aid": ALL, "k": k}, "children") for k in ROW_PARTS],
        Input(ids.ALERTS_TICK, "n_intervals"),
        Input(ids.ALERTS_SELECTED, "data"),
        Input(ids.ALERTS_REFRESH, "data"),
        State(ids.ALERTS_LIST_SHOWN, "data"),
    )
    def refresh_list(_tick: Any, selected: Any, _version: Any, shown: Any) -> tuple[Any, ...]:
        """Rows are built only when the alerts or their order change; else parts are set."""
        who = user()
        rows = alert_access.live_alerts(services, context.tree.get(), who) if who else None
        values = None if rows is None else list_values(rows, _int(selected))
        digest = _digest(values)
        shown = shown if isinstance(shown, dict) else {}
        if shown.get("digest") == digest:
            raise PreventUpdate
        order = values["ids"] if values is not None else None
        count = values["count"] if values is not None else ""
        new_shown = {"digest": digest, "ids": order}
        row_specs = ctx.outputs_list[3:]
        if values is None or "ids" not in shown or shown["ids"] != order:
            untouched = [[no_update] * len(spec) for spec in row_specs]
            return alert_list(values), new_shown, count, *untouched
        by_alert = {int(aid): row for aid, row in values["rows"].items()}

        def parts(spec: list[dict], key: str) -> list[Any]:
            return [by_alert.get(s["id"]["aid"], {}).get(key, no_update) for s in spec]

        classes = parts(row_specs[0], "class")
        texts = [parts(spec, key) for spec, key in zip(row_specs[1:], ROW_PARTS, strict=True)]
        return no_update, new_shown, count, classes, *texts

    @app.callback(
        *DETAIL_OUTPUTS,
        Input(ids.ALERTS_TICK, "n_intervals"),
        Input(ids.ALERTS_SELECTED, "data"),
        Input(ids.ALERTS_REFRESH, "data"),
        Input(ids.ALERTS_PAGE, "data"),
        State(ids.ALERTS_DETAIL_SHOWN, "data"),
    )
    def refresh_detail(
        _tick: Any, selected: Any, _version: Any, page: Any, shown: Any
    ) -> tuple[Any, ...]:
        """The detail's frame gets new texts and widths only when something changed."""
        who = user()
        alert_id = _int(selected)
        if who is None or alert_id is None:
            values = detail_values(None)
        else:
            found = alert_access.detail(
                services, context.tree.get(), who, alert_id, _int(page) or 0
            )
            values = detail_values(found, "" if found else alert_access.NOT_FOUND)
        if isinstance(shown, dict) and shown.get("digest") == _digest(values):
            raise PreventUpdate
        return _detail_outputs(values, ctx.outputs_list)

    @app.callback(
        Output(ids.ALERTS_INCIDENTS, "children"),
        Output(ids.ALERTS_INCIDENTS_SHOWN, "data"),
        Input(ids.ALERTS_SLOW_TICK, "n_intervals"),
        State(ids.ALERTS_INCIDENTS_SHOWN, "data"),
    )
    def incidents(_tick: Any, shown: Any) -> tuple[Component, str]:
        who = user()
        data = alert_access.pending_incidents(services, context.tree.get(), who) if who else None
        digest = _digest(data)
        if digest == shown:
            raise PreventUpdate
        return incidents_view(data), digest


def _issue_form(
    node: Any, level: Any, category: Any, title: Any, text: Any, hours: Any, targets: Any
) -> IssueForm:
    return IssueForm(
        node_id=_int(node),
        level=level if isinstance(level, str) else None,
        category=category if isinstance(category, str) else None,
        title=title if isinstance(title, str) else "",
        text=text if isinstance(text, str) else "",
        hours=_int(hours),
        target_levels=[v for v in targets or [] if _int(v) is not None],
    )


def _form_data(form: IssueForm) -> dict[str, Any]:
    return {
        "node_id": form.node_id,
        "level": form.level,
        "category": form.category,
        "title": form.title,
        "text": form.text,
        "hours": form.hours,
        "target_levels": form.target_levels,
    }


def _closed() -> tuple[Any, ...]:
    return True, no_update, [], no_update, no_update, None


def register_changes(app: Dash, context: AppContext) -> None:
    """Issue, raise/lower and lift through the confirmation; extend directly (no texts)."""
    services = context.services
    tile_url = services.settings.tile_url

    def opened(preview: Preview, pending: dict[str, Any]) -> tuple[Any, ...]:
        ok_class = (
            "gw-button gw-button-warn"
            if preview.action == "lift"
            else "gw-button gw-button-primary"
        )
        return (
            False,
            preview.heading,
            confirm_body(preview, tile_url),
            preview.confirm_label,
            ok_class,
            pending,
        )

    @app.callback(
        Output(ids.ALERTS_CONFIRM, "hidden"),
        Output(ids.ALERTS_CONFIRM_TITLE, "children"),
        Output(ids.ALERTS_CONFIRM_BODY, "children"),
        Output(ids.ALERTS_CONFIRM_OK, "children"),
        Output(ids.ALERTS_CONFIRM_OK, "className"),
        Output(ids.ALERTS_PENDING_CHANGE, "data"),
        Output(ids.ALERTS_ISSUE_MSG, "children"),
        Output(ids.ALERTS_ACT_MSG, "children"),
        Input(ids.ALERTS_ISSUE, "n_clicks"),
        Input(ids.ALERTS_LEVEL_BTN, "n_clicks"),
        Input(ids.ALERTS_LIFT_BTN, "n_clicks"),
        State(ids.ALERTS_NODE, "value"),
        State(ids.ALERTS_LEVEL, "value"),
        State(ids.ALERTS_CATEGORY, "value"),
        State(ids.ALERTS_TITLE, "value"),
        State(ids.ALERTS_TEXT, "value"),
        State(ids.ALERTS_HOURS, "value"),
        State(ids.ALERTS_TARGET_LEVELS, "value"),
        State(ids.ALERTS_ISSUE_TOKEN, "data"),
        State(ids.ALERTS_SELECTED, "data"),
        State(ids.ALERTS_NEW_LEVEL, "value"),
        State(ids.ALERTS_ACT_TOKEN, "data"),
        prevent_initial_call=True,
    )
    def ask(
        _issue: Any,
        _level: Any,
        _lift: Any,
        node: Any,
        level: Any,
        category: Any,
        title: Any,
        text: Any,
        hours: Any,
        targets: Any,
        issue_token: Any,
        selected: Any,
        new_level: Any,
        act_token: Any,
    ) -> tuple[Any, ...]:
        """Show what would be sent, to whom and where; nothing is sent from here."""
        who = user()
        trigger = ctx.triggered_id
        if who is None:
            return *_closed()[:6], message(alert_access.NO_ALERTS, "error"), no_update
        tree = context.tree.get()
        if trigger == ids.ALERTS_ISSUE:
            form = _issue_form(node, level, category, title, text, hours, targets)
            preview = alert_access.preview_issue(services, tree, who, form)
            if isinstance(preview, Outcome):
                return *_closed(), message(preview.message, "error"), no_update
            pending = {"action": "issue", "form": _form_data(form), "token": issue_token}
            return *opened(preview, pending), "", no_update
        action = "level" if trigger == ids.ALERTS_LEVEL_BTN else "lift"
        wanted = new_level if isinstance(new_level, str) else None
        preview = alert_access.preview_change(services, tree, who, _int(selected), action, wanted)
        if isinstance(preview, Outcome):
            return *_closed(), no_update, message(preview.message, "error")
        pending = {
            "action": action,
            "alert_id": _int(selected),
            "level": wanted,
            "token": act_token,
        }
        return *opened(preview, pending), no_update, ""

    @app.callback(
        Output(ids.ALERTS_CONFIRM, "hidden", allow_duplicate=True),
        Output(ids.ALERTS_CONFIRM_BODY, "children", allow_duplicate=True),
        Output(ids.ALERTS_PENDING_CHANGE, "data", allow_duplicate=True),
        Input(ids.ALERTS_CONFIRM_CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )
    def cancel(_n: Any) -> tuple[Any, ...]:
        return True, [], None

    @app.callback(
        Output(ids.ALERTS_CONFIRM, "hidden", allow_duplicate=True),
        Output(ids.ALERTS_CONFIRM_BODY, "children", allow_duplicate=True),
        Output(ids.ALERTS_PENDING_CHANGE, "data", allow_duplicate=True),
        Output(ids.ALERTS_ISSUE_MSG, "children", allow_duplicate=True),
        Output(ids.ALERTS_ISSUE_TOKEN, "data"),
        Output(ids.ALERTS_ACT_MSG, "children", allow_duplicate=True),
        Output(ids.ALERTS_ACT_TOKEN, "data"),
        Output(ids.ALERTS_SELECTED, "data", allow_duplicate=True),
        Output(ids.ALERTS_REFRESH, "data"),
        Input(ids.ALERTS_CONFIRM_OK, "n_clicks"),
        State(ids.ALERTS_PENDING_CHANGE, "data"),
        State(ids.ALERTS_REFRESH, "data"),
        prevent_initial_call=True,
        # a city-wide alert queues tens of thousands of texts: say that it is working
        running=[
            (Output(ids.ALERTS_CONFIRM_OK, "disabled"), True, False),
            (Output(ids.ALERTS_CONFIRM_CANCEL, "disabled"), True, False),
        ],
    )
    def confirm(_n: Any, pending: Any, version: Any) -> tuple[Any, ...]:
        """Send exactly what was confirmed, under the token the confirmation carried."""
        who = user()
        if who is None or not isinstance(pending, dict):
            raise PreventUpdate
        tree = context.tree.get()
        token = pending.get("token") if isinstance(pending.get("token"), str) else None
        bump = (_int(version) or 0) + 1
        closed = (True, [], None)
        if pending.get("action") == "issue":
            raw = pending.get("form") if isinstance(pending.get("form"), dict) else {}
            form = _issue_form(
                raw.get("node_id"),
                raw.get("level"),
                raw.get("category"),
                raw.get("title"),
                raw.get("text"),
                raw.get("hours"),
                raw.get("target_levels"),
            )
            outcome = alert_access.issue(services, tree, who, form, token or _token())
            level = "ok" if outcome.ok else "error"
            fresh = _token() if outcome.ok else no_update
            chosen = outcome.alert_id if outcome.ok else no_update
            return (
                *closed,
                message(outcome.message, level),
                fresh,
                no_update,
                no_update,
                chosen,
                bump,
            )
        action = pending.get("action")
        if action not in ("level", "lift"):
            raise PreventUpdate
        outcome = alert_access.change(
            services,
            tree,
            who,
            _int(pending.get("alert_id")),
            action,
            token or _token(),
            level=pending.get("level") if isinstance(pending.get("level"), str) else None,
        )
        level = "ok" if outcome.ok else "error"
        fresh = _token() if outcome.ok else no_update
        return (
            *closed,
            no_update,
            no_update,
            message(outcome.message, level),
            fresh,
            no_update,
            bump,
        )

    @app.callback(
        Output(ids.ALERTS_ACT_MSG, "children", allow_duplicate=True),
        Output(ids.ALERTS_ACT_TOKEN, "data", allow_duplicate=True),
        Output(ids.ALERTS_REFRESH, "data", allow_duplicate=True),
        Input(ids.ALERTS_EXTEND_BTN, "n_clicks"),
        State(ids.ALERTS_SELECTED, "data"),
        State(ids.ALERTS_EXTEND_HOURS, "value"),
        State(ids.ALERTS_ACT_TOKEN, "data"),
        State(ids.ALERTS_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def extend(_n: Any, selected: Any, hours: Any, token: Any, version: Any) -> tuple[Any, ...]:
        """Extending texts nobody, so it needs no confirmation."""
        who = user()
        if who is None:
            return message(alert_access.NO_ALERTS, "error"), no_update, no_update
        token = token if isinstance(token, str) and token else _token()
        outcome = alert_access.change(
            services,
            context.tree.get(),
            who,
            _int(selected),
            "extend",
            token,
            hours=_int(hours),
        )
        bump = (_int(version) or 0) + 1
        if not outcome.ok:
            return message(outcome.message, "error"), token, bump
        return message(outcome.message, "ok"), _token(), bump
