"""What the wall needs when its focus changes: boundaries, roster, latest fixes, alerts.

Built on the server in one callback; afterwards only deltas arrive over Socket.IO.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from dashboard.realtime.alerts import from_alert
from data.alerts.wall import wall_alerts
from data.org_tree import NodeInfo, OrgTree, boundaries
from data.staff import StaffCard, staff_count_per_node, staff_in_subtree
from streams.live_state import LOW_BATTERY, OFFLINE, ONLINE, LiveState


def polygon_bounds(geometry: dict[str, Any]) -> list[list[float]]:
    """[[south, west], [north, east]] of a GeoJSON Polygon/MultiPolygon."""
    coords: list[list[float]] = []

    def walk(value: Any) -> None:
        if value and isinstance(value[0], int | float):
            coords.append(value)
        else:
            for item in value:
                walk(item)

    walk(geometry["coordinates"])
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


#: above this many child areas the names stay in hover tooltips
MAX_AREA_LABELS = 30


def _grid_depth(tree: OrgTree) -> int:
    """Depth of the level-3 grids (the leaves of the tree)."""
    return max((n.depth for n in tree.nodes.values()), default=0)


def _feature(node: NodeInfo, geometry: dict[str, Any], role: str, staff: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "id": node.id,
            # the wall shades alerted areas by path: the grids beneath an alerted node
            "path": node.path,
            "name": node.name,
            "kind": node.kind_label,
            "role": role,
            "staff": staff,
        },
    }


#: beyond this many level-3 grids the wall draws only the focus and its children
MAX_GRID_OUTLINES = 3000


def build_snapshot(
    session: Session,
    tree: OrgTree,
    live: LiveState,
    focus: NodeInfo,
    max_markers: int = 5000,
) -> dict[str, Any]:
    """Everything the wall draws for ``focus``.

    Above ``max_markers`` staff (a whole city at Zhengzhou scale) no browser can
    redraw every marker a few times a second, so the wall shows online counts
    per area instead and refreshes them; drilling down brings the markers back.
    """
    children = tree.children_of(focus.id)
    child_ids = {c.id for c in children}
    grids = [
        g
        for g in tree.descendants_at_depth(focus.id, _grid_depth(tree), limit=MAX_GRID_OUTLINES)
        if g.id not in child_ids
    ]
    shapes = boundaries(session, [focus.id, *child_ids, *(g.id for g in grids)])
    per_node = staff_count_per_node(session, focus.path)
    child_totals, child_of_grid = _child_totals(tree, focus, children, per_node)
    roster = staff_in_subtree(session, focus.path)
    aggregate = len(roster) > max_markers
    state_counts, online_by_child = (
        _online_counts(live, roster, child_of_grid) if aggregate else ({}, {})
    )
    features = [_feature(g, shapes[g.id], "grid", per_node.get(g.id, 0)) for g in grids]
    for c in children:
        if c.id in shapes:
            feature = _feature(c, shapes[c.id], "child", child_totals.get(c.id, 0))
            # a wall has no mouse: name the areas on the map while they are few enough
            feature["properties"]["label"] = len(children) <= MAX_AREA_LABELS
            if aggregate:
                feature["properties"]["online"] = online_by_child.get(c.id, 0)
            features.append(feature)
    features.append(_feature(focus, shapes[focus.id], "focus", sum(per_node.values())))
    common = _common(tree, focus, shapes, features, children, child_totals, child_of_grid)
    if aggregate:
        return {
            **common,
            "total": len(roster),
            "aggregate": True,
            "staff": [],
            "child_of_grid": {},  # counts come from the server; keep the payload small
            "state_counts": state_counts,
            "online_by_child": {str(k): v for k, v in online_by_child.items()},
        }
    return {**common, "total": len(roster), "aggregate": False, "staff": _staff_rows(live, roster)}


def _child_totals(
    tree: OrgTree, focus: NodeInfo, children: list[NodeInfo], per_node: dict[int, int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Staff per child area of ``focus``, and which child each staffed node lies in."""
    child_totals: dict[int, int] = {c.id: 0 for c in children}
    child_of_grid: dict[int, int] = {}
    for node_id, count in per_node.items():
        node = tree.get(node_id)
        if node is None:
            continue
        ancestors = node.ancestor_ids
        if len(ancestors) > focus.depth + 1:
            child_id = ancestors[focus.depth + 1]
            child_totals[child_id] = child_totals.get(child_id, 0) + count
            child_of_grid[node_id] = child_id
    return child_totals, child_of_grid


def _online_counts(
    live: LiveState, roster: list[StaffCard], child_of_grid: dict[int, int]
) -> tuple[dict[str, int], dict[int, int]]:
    """(staff per live state, staff not offline per child area): the aggregate wall's figures."""
    online_by_child: dict[int, int] = {}
    state_counts = {ONLINE: 0, LOW_BATTERY: 0, OFFLINE: 0}
    states = live.states([s.id for s in roster])
    for card in roster:
        state = states.get(card.id)
        if state is None:
            continue
        state_counts[state] = state_counts.get(state, 0) + 1
        child_id = child_of_grid.get(card.node_id)
        if state != OFFLINE and child_id is not None:
            online_by_child[child_id] = online_by_child.get(child_id, 0) + 1
    return state_counts, online_by_child


def _staff_rows(live: LiveState, roster: list[StaffCard]) -> list[list[Any]]:
    """One marker row per staff member with a fix (the wall's positional row format)."""
    latest = live.latest([s.id for s in roster])
    rows: list[list[Any]] = []
    for card in roster:
        found = latest.get(card.id)
        if found is None:
            continue
        fix, state = found
        rows.append(
            [
                card.id,
                round(fix.lat, 6),
                round(fix.lon, 6),
                fix.ts,
                state,
                fix.battery,
                card.name,
                card.post_label,
                card.node_id,
            ]
        )
    return rows


def _common(
    tree: OrgTree,
    focus: NodeInfo,
    shapes: dict[int, dict[str, Any]],
    features: list[dict[str, Any]],
    children: list[NodeInfo],
    child_totals: dict[int, int],
    child_of_grid: dict[int, int],
) -> dict[str, Any]:
    return {
        "focus": focus.id,
        "title": " · ".join(n.name for n in tree.breadcrumb(focus.id)),
        "bounds": polygon_bounds(shapes[focus.id]),
        "boundaries": {"type": "FeatureCollection", "features": features},
        "children": [
            {"id": c.id, "name": c.name, "kind": c.kind_label, "total": child_totals.get(c.id, 0)}
            for c in children
        ],
        "child_of_grid": {str(k): v for k, v in child_of_grid.items()},
    }


def build_alert_snapshot(
    session: Session,
    tree: OrgTree,
    focus: NodeInfo,
    scope_path: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Live alerts concerning ``focus`` as wall items, with the outlines the map needs.

    An alert at or above the focus shades the focus itself, and one at a node drawn on
    the wall (a child area or a grid) shades that shape; ``outlines`` carries the
    boundary of every alerted node inside the focus, for the nodes the wall does not
    draw (a community when only districts are drawn).
    """
    alerts = wall_alerts(session, focus.path, scope_path, now=now or dt.datetime.now(dt.UTC))
    inside = sorted(
        {
            a.node_id
            for a in alerts
            if a.node_path != focus.path and a.node_path.startswith(focus.path)
        }
    )
    return {
        "focus": focus.id,
        "focus_path": focus.path,
        "items": [from_alert(alert, tree) for alert in alerts],
        "outlines": {str(k): v for k, v in boundaries(session, inside).items() if v},
    }
