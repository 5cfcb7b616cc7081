"""Callbacks of /wall: focus picking and the snapshot on the server, live merge in the browser.

The server-side callbacks are plain functions taking the ``AppContext`` first; ``register``
binds it. The browser-side merges live in assets/gw.js and are listed in ``CLIENTSIDE``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.access.base import Refused
from dashboard.access.wall import build_alert_snapshot, build_snapshot
from dashboard.access.wall_playlist import own_playlist
from dashboard.access.wall_rankings import wall_monthly, wall_rankings
from dashboard.auth.current import SessionUser, node_in_scope, scope_root, user
from dashboard.auth.permissions import Perm
from dashboard.context import AppContext
from dashboard.realtime.incidents import open_items
from data.org_tree import NodeInfo, OrgTree
from layouts import ids
from layouts.wall import (
    empty_figure,
    monthly_figure,
    rank_message,
    rank_panel,
    rank_view,
    view_message,
)
from streams.live_state import LiveState

#: a picker lists at most this many nodes; above it, choose the level above first
MAX_PICKER_OPTIONS = 1000

PICKERS = [
    ids.WALL_PICK_DISTRICT,
    ids.WALL_PICK_STREET,
    ids.WALL_PICK_COMMUNITY,
    ids.WALL_PICK_GRID,
]
LEVELS = len(PICKERS)


def register(app: Dash, context: AppContext) -> None:
    """The three server callbacks (bound to this app's context) and the browser merges."""
    live = LiveState(context.services.redis, context.rules)
    app.callback(
        [Output(p, "options") for p in PICKERS]
        + [Output(p, "value") for p in PICKERS]
        + [Output(p, "disabled") for p in PICKERS]
        + [Output(ids.WALL_FOCUS, "data")],
        [Input(p, "value") for p in PICKERS],
        State(ids.WALL_FOCUS, "data"),
    )(partial(pick_focus, context))
    app.callback(
        Output(ids.WALL_SNAPSHOT, "data"),
        Output(ids.WALL_BOUNDARIES, "data"),
        Output(ids.WALL_MAP, "viewport"),
        Output(ids.WALL_SOCKET, "options"),
        Output(ids.WALL_TITLE, "children"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_REFRESH, "n_intervals"),
        State(ids.WALL_SNAPSHOT, "data"),
    )(partial(load_focus, context, live))
    app.callback(
        Output(ids.WALL_ALERTS, "data"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_REFRESH, "n_intervals"),
        Input(ids.WALL_SOCKET, "data-alert"),
    )(partial(load_alerts, context))
    app.callback(
        Output(ids.WALL_RANK_PANEL, "children"),
        Output(ids.WALL_RANK_BODY, "children"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_RANK_REFRESH, "n_intervals"),
    )(partial(load_rankings, context))
    app.callback(
        Output(ids.WALL_RANK_FIGURE, "data"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_RANK_REFRESH, "n_intervals"),
    )(partial(load_monthly, context))
    app.callback(
        Output(ids.WALL_PLAYLIST, "data"),
        Input(ids.WALL_FOCUS, "data"),
        Input(ids.WALL_RANK_REFRESH, "n_intervals"),
    )(partial(load_playlist, context))
    for function_name, dependencies, options in CLIENTSIDE:
        app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it untyped
            ClientsideFunction(namespace="gw", function_name=function_name),
            *dependencies,
            **options,
        )


# --- the focus pickers (district › street › community › grid) ---------------------------


def pick_focus(context: AppContext, *args: Any) -> list[Any]:
    """The four pickers' options, values and locks, and the deepest pick as the focus."""
    who = user()
    tree = context.tree.get()
    scope = scope_root(tree, who) if who else None
    if who is None or scope is None:
        return [[]] * LEVELS + [None] * LEVELS + [True] * LEVELS + [None]
    values = _picked_values(tree, who, scope, list(args[:LEVELS]), args[LEVELS])
    locked = {n.depth: n for n in tree.breadcrumb(scope.id)}
    options: list[list[dict[str, Any]]] = []
    anchor = scope
    for level in range(LEVELS):
        choices = _choices_at(tree, anchor, level + 1, locked)
        if level + 1 in locked:  # at or above the user's own node: fixed
            values[level] = locked[level + 1].id
        options.append([{"label": c.name, "value": c.id} for c in choices])
        chosen = values[level]
        if chosen is not None and chosen not in {c.id for c in choices}:
            values[level:] = [None] * (LEVELS - level)
            chosen = None
        if chosen is not None:
            anchor = tree.nodes[chosen]
    disabled = [level + 1 in locked for level in range(LEVELS)]
    deepest = next((v for v in reversed(values) if v is not None), scope.id)
    return [*options, *values, *disabled, deepest]


def _picked_values(
    tree: OrgTree, who: SessionUser, scope: NodeInfo, values: list[int | None], focus: Any
) -> list[int | None]:
    """On first render the pickers follow the router's focus; later a change clears below it."""
    if ctx.triggered_id is None:
        start = node_in_scope(tree, who, focus) or scope
        chain = tree.breadcrumb(start.id)
        return [n.id for n in chain[1 : LEVELS + 1]] + [None] * (LEVELS + 1 - len(chain))
    changed = PICKERS.index(ctx.triggered_id)
    return values[: changed + 1] + [None] * (LEVELS - 1 - changed)


def _choices_at(
    tree: OrgTree, anchor: NodeInfo, depth: int, locked: dict[int, NodeInfo]
) -> list[NodeInfo]:
    """What a picker offers: the user's own chain is fixed, below it the anchor's subtree."""
    if depth in locked:
        return [locked[depth]]
    return list(tree.descendants_at_depth(anchor.id, depth, limit=MAX_PICKER_OPTIONS))


# --- the snapshot and the alerts of the focus ---------------------------------------------


def load_focus(
    context: AppContext,
    live: LiveState,
    focus_id: int | None,
    _tick: int | None,
    shown: dict[str, Any] | None,
) -> tuple[Any, ...]:
    """The focus's snapshot, outlines, map bounds, socket auth and title.

    The 30 s refresh only matters for aggregate counts; live markers follow the push.
    """
    refreshing = ctx.triggered_id == ids.WALL_REFRESH
    if refreshing and not (shown and shown.get("aggregate")):
        raise PreventUpdate
    who = user()
    tree = context.tree.get()
    if tree.root is None:
        return None, None, no_update, no_update, "尚无组织数据：请先运行 gridwatch seed"
    if who is None or not who.can(Perm.VIEW_STAFF_POSITIONS):
        return None, None, no_update, no_update, "无权查看人员位置"
    focus = node_in_scope(tree, who, focus_id) if focus_id is not None else None
    if focus is None:
        return None, None, no_update, no_update, "无权查看该范围"
    services = context.services
    with services.sessions() as session:
        snapshot = build_snapshot(session, tree, live, focus, services.settings.wall_max_markers)
        snapshot["incidents"] = open_items(session, focus.path, services.categories)
    if refreshing and shown and shown.get("focus") == focus.id:
        return snapshot, snapshot["boundaries"], no_update, no_update, no_update
    viewport = {"bounds": snapshot["bounds"], "transition": "fitBounds"}
    auth: dict[str, Any] = {"focus": focus.id}
    if snapshot["aggregate"]:
        auth["mode"] = "aggregate"
    return snapshot, snapshot["boundaries"], viewport, {"auth": auth}, snapshot["title"]


def load_alerts(
    context: AppContext, focus_id: int | None, _tick: int | None, _pushed: Any
) -> dict[str, Any] | None:
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


# --- rankings and the rotation -------------------------------------------------------------


def load_rankings(context: AppContext, focus_id: int | None, _tick: int | None) -> tuple[Any, Any]:
    """龙虎榜 and the rankings view of the focus, this month: on load, on a new focus and
    every few minutes. A focus outside the account's subtree gets the refusal's text."""
    who = user()
    if who is None or focus_id is None:
        raise PreventUpdate
    try:
        rankings = wall_rankings(context.services, context.tree.get(), who, focus_id)
    except Refused as refused:
        return rank_message(refused.message), view_message(refused.message)
    return rank_panel(rankings), rank_view(rankings)


def load_monthly(context: AppContext, focus_id: int | None, _tick: int | None) -> Any:
    """The rankings view's chart: found vs closed per month, twelve months (its own
    callback, so the ranking beside the map never waits for a year of sums)."""
    who = user()
    if who is None or focus_id is None:
        raise PreventUpdate
    try:
        monthly = wall_monthly(context.services, context.tree.get(), who, focus_id)
    except Refused as refused:
        return empty_figure(refused.message)
    return monthly_figure(monthly)


def load_playlist(
    context: AppContext, _focus_id: int | None, _tick: int | None
) -> dict[str, Any] | None:
    """The signed-in wall's own playlist (None: the map only); read again with the
    rankings, so a playlist changed on /admin/users reaches a running wall."""
    playlist = own_playlist(context.services, user())
    return playlist.as_data() if playlist is not None else None


# --- merges in the browser (assets/gw.js, namespace "gw") --------------------------------

#: what the alert merges set: banner, list, count, areas, announcement, and the map's size
#: (the banner changes the map's height: Leaflet must measure it again)
ALERT_OUTPUTS = [
    (ids.WALL_ALERT_BANNER, "children"),
    (ids.WALL_ALERT_BANNER, "className"),
    (ids.WALL_ALERT_LIST, "children"),
    (ids.WALL_ALERT_COUNT, "children"),
    (ids.WALL_ALERT_AREAS, "data"),
    (ids.WALL_ALERT_ANNOUNCE, "children"),
    (ids.WALL_ALERT_ANNOUNCE, "className"),
    (ids.WALL_MAP, "invalidateSize"),
]


def _alert_outputs() -> list[Output]:
    return [Output(i, prop, allow_duplicate=True) for i, prop in ALERT_OUTPUTS]


Clientside = tuple[str, list[Any], dict[str, Any]]

#: (gw.js function, its outputs/inputs/states, callback options)
CLIENTSIDE: list[Clientside] = [
    (
        "mergeAlerts",
        [_alert_outputs(), Input(ids.WALL_ALERTS, "data"), Input(ids.WALL_SNAPSHOT, "data")],
        {"prevent_initial_call": True},
    ),
    # A push has its own callback: one that also took the store as input would wait
    # for load_alerts (which the same push triggers), i.e. for a server round trip.
    (
        "mergeAlertPush",
        [
            _alert_outputs(),
            Input(ids.WALL_SOCKET, "data-alert"),
            State(ids.WALL_ALERT_SOUND_ON, "data"),
        ],
        {"prevent_initial_call": True},
    ),
    # the toggle's click is the user gesture browsers require before a page may sound
    (
        "toggleAlertSound",
        [
            Output(ids.WALL_ALERT_SOUND_ON, "data"),
            Input(ids.WALL_ALERT_SOUND, "n_clicks"),
            State(ids.WALL_ALERT_SOUND_ON, "data"),
        ],
        {"prevent_initial_call": True},
    ),
    (
        "alertSoundLabel",
        [
            Output(ids.WALL_ALERT_SOUND, "children"),
            Output(ids.WALL_ALERT_SOUND, "className"),
            Input(ids.WALL_ALERT_SOUND_ON, "data"),
        ],
        {},
    ),
    (
        "mergeStaff",
        [
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
        ],
        {},
    ),
    (
        "mergeIncidents",
        [
            Output(ids.WALL_INCIDENTS, "data"),
            Output(ids.WALL_TICKER, "children"),
            Input(ids.WALL_SNAPSHOT, "data"),
            Input(ids.WALL_SOCKET, "data-inc"),
        ],
        {},
    ),
    (
        "clock",
        [Output(ids.WALL_CLOCK, "children"), Input(ids.WALL_CLOCK_TICK, "n_intervals")],
        {},
    ),
    # the playlist turns in the browser on the clock's tick: no server round trip per
    # tick, and the map is only covered, never rebuilt (its socket stays connected)
    (
        "rotateWall",
        [
            Output(ids.WALL_RANK_VIEW, "className"),
            Output(ids.WALL_NEXT, "children"),
            Output(ids.WALL_NEXT, "className"),
            Input(ids.WALL_CLOCK_TICK, "n_intervals"),
            Input(ids.WALL_PLAYLIST, "data"),
        ],
        {},
    ),
    # the chart's type grows with the wall (a 4K wall reads it from as far as a 1080p one)
    (
        "wallChart",
        [Output(ids.WALL_RANK_CHART, "figure"), Input(ids.WALL_RANK_FIGURE, "data")],
        {"prevent_initial_call": True},
    ),
    (
        "connection",
        [
            Output(ids.WALL_CONNECTION, "children"),
            Output(ids.WALL_CONNECTION, "className"),
            Input(ids.WALL_SOCKET, "connected"),
        ],
        {},
    ),
]
