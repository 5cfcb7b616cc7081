"""Callbacks of /wall: focus picking and the snapshot on the server, live merge in the browser."""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.access.wall import build_alert_snapshot, build_snapshot
from dashboard.auth.current import node_in_scope, scope_root, user
from dashboard.auth.permissions import Perm
from dashboard.context import AppContext
from dashboard.realtime.incidents import open_items
from layouts import ids
from streams.live_state import LiveState

#: a picker lists at most this many nodes; above it, choose the level above first
MAX_PICKER_OPTIONS = 1000

PICKERS = [
    ids.WALL_PICK_DISTRICT,
    ids.WALL_PICK_STREET,
    ids.WALL_PICK_COMMUNITY,
    ids.WALL_PICK_GRID,
]


def register(app: Dash, context: AppContext) -> None:
    live = LiveState(context.services.redis, context.rules)

    @app.callback(
        [Output(p, "options") for p in PICKERS]
        + [Output(p, "value") for p in PICKERS]
        + [Output(p, "disabled") for p in PICKERS]
        + [Output(ids.WALL_FOCUS, "data")],
        [Input(p, "value") for p in PICKERS],
        State(ids.WALL_FOCUS, "data"),
    )
    def pick_focus(*args: Any) -> list[Any]:
        who = user()
        tree = context.tree.get()
        scope = scope_root(tree, who) if who else None
        if scope is None:
            return [[]] * 4 + [None] * 4 + [True] * 4 + [None]
        values: list[int | None] = list(args[:4])
        if ctx.triggered_id is None:
            # first render: the pickers follow the focus the router put in the store
            start = node_in_scope(tree, who, args[4]) or scope
            chain = tree.breadcrumb(start.id)
            values = [n.id for n in chain[1:5]] + [None] * (5 - len(chain))
        else:
            changed = PICKERS.index(ctx.triggered_id)
            values = values[: changed + 1] + [None] * (3 - changed)
        locked = {n.depth: n for n in tree.breadcrumb(scope.id)}
        options: list[list[dict[str, Any]]] = []
        anchor = scope
        for level in range(4):
            depth = level + 1
            if depth in locked:  # at or above the user's own node: fixed
                choices = [locked[depth]]
                values[level] = locked[depth].id
            else:
                choices = tree.descendants_at_depth(anchor.id, depth, limit=MAX_PICKER_OPTIONS)
            options.append([{"label": c.name, "value": c.id} for c in choices])
            chosen = values[level]
            if chosen is not None and chosen not in {c.id for c in choices}:
                values[level:] = [None] * (4 - level)
                chosen = None
            if chosen is not None:
                anchor = tree.nodes[chosen]
        disabled = [level + 1 in locked for level in range(4)]
        deepest = next((v for v in reversed(values) if v is not None), scope.id)
        return [*options, *values, *disabled, deepest]

    @app.callback(
        Output(ids.WALL_SNAPSHOT, "data"),
        Output(ids.WALL_BOUNDARIES, "data"),
        Output(ids.WALL_MAP, "viewport"),
        Output(ids.WALL_SOCKET, "options"),
        Output(ids.WALL_TITLE, "children"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_REFRESH, "n_intervals"),
        State(ids.WALL_SNAPSHOT, "data"),
    )
    def load_focus(
        focus_id: int | None, _tick: int | None, shown: dict[str, Any] | None
    ) -> tuple[Any, ...]:
        refreshing = ctx.triggered_id == ids.WALL_REFRESH
        if refreshing and not (shown and shown.get("aggregate")):
            raise PreventUpdate  # live markers need no refresh; counts per area do
        who = user()
        tree = context.tree.get()
        if tree.root is None:
            return None, None, no_update, no_update, "尚无组织数据：请先运行 gridwatch seed"
        if who is None or not who.can(Perm.VIEW_STAFF_POSITIONS):
            return None, None, no_update, no_update, "无权查看人员位置"
        focus = node_in_scope(tree, who, focus_id) if focus_id is not None else None
        if focus is None:
            return None, None, no_update, no_update, "无权查看该范围"
        with context.services.sessions() as session:
            snapshot = build_snapshot(
                session, tree, live, focus, context.services.settings.wall_max_markers
            )
            snapshot["incidents"] = open_items(session, focus.path, context.services.categories)
        if refreshing and shown.get("focus") == focus.id:  # type: ignore[union-attr]
            return snapshot, snapshot["boundaries"], no_update, no_update, no_update
        viewport = {"bounds": snapshot["bounds"], "transition": "fitBounds"}
        auth: dict[str, Any] = {"focus": focus.id}
        if snapshot["aggregate"]:
            auth["mode"] = "aggregate"
        return snapshot, snapshot["boundaries"], viewport, {"auth": auth}, snapshot["title"]

    @app.callback(
        Output(ids.WALL_ALERTS, "data"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_REFRESH, "n_intervals"),
        Input(ids.WALL_SOCKET, "data-alert"),
    )
    def load_alerts(focus_id: int | None, _tick: int | None, _pushed: Any) -> Any:
        """Live alerts concerning the focus: on load, every 30 s and after each push.

        The push is merged in the browser at once; this answer follows it with the
        record's view (and the outlines of alerted areas the map does not draw), so a
        missed or coalesced push never leaves the wall wrong for long.
        """
        who = user()
        tree = context.tree.get()
        if who is None or not who.can(Perm.VIEW_STAFF_POSITIONS) or focus_id is None:
            return None
        focus = node_in_scope(tree, who, focus_id)
        scope = scope_root(tree, who)
        if focus is None or scope is None:
            return None
        with context.services.sessions() as session:
            return build_alert_snapshot(session, tree, focus, scope.path)

    alert_outputs = [
        (ids.WALL_ALERT_BANNER, "children"),
        (ids.WALL_ALERT_BANNER, "className"),
        (ids.WALL_ALERT_LIST, "children"),
        (ids.WALL_ALERT_COUNT, "children"),
        (ids.WALL_ALERT_AREAS, "data"),
        (ids.WALL_ALERT_ANNOUNCE, "children"),
        (ids.WALL_ALERT_ANNOUNCE, "className"),
        # the banner changes the map's height: Leaflet must measure it again
        (ids.WALL_MAP, "invalidateSize"),
    ]
    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="mergeAlerts"),
        [Output(i, prop, allow_duplicate=True) for i, prop in alert_outputs],
        Input(ids.WALL_ALERTS, "data"),
        Input(ids.WALL_SNAPSHOT, "data"),
        prevent_initial_call=True,
    )
    # A push has its own callback: one that also took the store as input would wait
    # for load_alerts (which the same push triggers), i.e. for a server round trip.
    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="mergeAlertPush"),
        [Output(i, prop, allow_duplicate=True) for i, prop in alert_outputs],
        Input(ids.WALL_SOCKET, "data-alert"),
        State(ids.WALL_ALERT_SOUND_ON, "data"),
        prevent_initial_call=True,
    )

    # the toggle's click is the user gesture browsers require before a page may sound
    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="toggleAlertSound"),
        Output(ids.WALL_ALERT_SOUND_ON, "data"),
        Input(ids.WALL_ALERT_SOUND, "n_clicks"),
        State(ids.WALL_ALERT_SOUND_ON, "data"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="alertSoundLabel"),
        Output(ids.WALL_ALERT_SOUND, "children"),
        Output(ids.WALL_ALERT_SOUND, "className"),
        Input(ids.WALL_ALERT_SOUND_ON, "data"),
    )

    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="mergeStaff"),
        Output(ids.WALL_STAFF, "data"),
        Output(ids.KPI_ONLINE, "children"),
        Output(ids.KPI_TOTAL, "children"),
        Output(ids.KPI_FIXES_PER_MIN, "children"),
        Output(ids.KPI_UPDATED, "children"),
        Output(ids.WALL_STATE_BAR, "children"),
        Output(ids.WALL_STATE_COUNTS, "children"),
        Output(ids.WALL_CHILDREN, "children"),
        Input(ids.WALL_SNAPSHOT, "data"),
        Input(ids.WALL_SOCKET, "data-pos"),
        State(ids.WALL_STATE_COUNTS, "children"),
    )

    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="mergeIncidents"),
        Output(ids.WALL_INCIDENTS, "data"),
        Output(ids.WALL_TICKER, "children"),
        Input(ids.WALL_SNAPSHOT, "data"),
        Input(ids.WALL_SOCKET, "data-inc"),
    )

    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="clock"),
        Output(ids.WALL_CLOCK, "children"),
        Input(ids.WALL_CLOCK_TICK, "n_intervals"),
    )

    app.clientside_callback(
        ClientsideFunction(namespace="gw", function_name="connection"),
        Output(ids.WALL_CONNECTION, "children"),
        Output(ids.WALL_CONNECTION, "className"),
        Input(ids.WALL_SOCKET, "connected"),
    )
