"""Callbacks of /wall: focus picking and the snapshot on the server, live merge in the browser."""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from callbacks.wall_snapshot import build_snapshot
from dashboard.app_context import AppContext
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
        + [Output(ids.WALL_FOCUS, "data")],
        [Input(p, "value") for p in PICKERS],
        State(ids.WALL_FOCUS, "data"),
    )
    def pick_focus(*args: Any) -> list[Any]:
        values: list[int | None] = list(args[:4])
        focus_state = args[4]
        tree = context.tree.get()
        root = tree.root
        if root is None:
            return [[]] * 4 + [None] * 4 + [None]
        if ctx.triggered_id is None:
            # first render: the pickers follow the focus named in the URL
            chain = tree.breadcrumb(int(focus_state)) if focus_state else []
            values = [n.id for n in chain[1:5]] + [None] * (4 - len(chain[1:5]))
        else:
            changed = PICKERS.index(ctx.triggered_id)
            values = values[: changed + 1] + [None] * (3 - changed)
        options: list[list[dict[str, Any]]] = []
        anchor = root
        for level in range(4):
            choices = tree.descendants_at_depth(anchor.id, level + 1, limit=MAX_PICKER_OPTIONS)
            options.append([{"label": c.name, "value": c.id} for c in choices])
            chosen = values[level]
            if chosen is not None and chosen not in {c.id for c in choices}:
                values[level:] = [None] * (4 - level)
                chosen = None
            if chosen is not None:
                anchor = tree.nodes[chosen]
        deepest = next((v for v in reversed(values) if v is not None), root.id)
        return [*options, *values, deepest]

    @app.callback(
        Output(ids.WALL_SNAPSHOT, "data"),
        Output(ids.WALL_BOUNDARIES, "data"),
        Output(ids.WALL_MAP, "viewport"),
        Output(ids.WALL_SOCKET, "options"),
        Output(ids.WALL_TITLE, "children"),
        Input(ids.WALL_FOCUS, "data"),
    )
    def load_focus(focus_id: int | None) -> tuple[Any, ...]:
        tree = context.tree.get()
        focus = tree.get(focus_id) if focus_id is not None else tree.root
        if focus is None:
            return None, None, no_update, no_update, "尚无组织数据：请先运行 gridwatch seed"
        with context.services.sessions() as session:
            snapshot = build_snapshot(session, tree, live, focus)
        viewport = {"bounds": snapshot["bounds"], "transition": "fitBounds"}
        socket_options = {"auth": {"focus": focus.id}}
        return snapshot, snapshot["boundaries"], viewport, socket_options, snapshot["title"]

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
