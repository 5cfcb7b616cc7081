"""The video-wall page: live staff map with KPIs and alerts, for 16:9 walls and no mouse."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html
from dash.development.base_component import Component
from dash_socketio import DashSocketIO

from dashboard.auth.current import SessionUser
from layouts import ids
from layouts.shell import NAV_ITEMS, html_attrs, logout_button

STATE_LEGEND = [
    ("online", "在线"),
    ("low_battery", "低电量"),
    ("offline", "离线"),
    ("never", "未上报"),
]


def _kpi(label: str, value_id: str, initial: str = "—", suffix: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="gw-kpi-label"),
            html.Div(
                [html.Span(initial, id=value_id, className="gw-kpi-value"), html.Span(suffix)],
                className="gw-kpi-line",
            ),
        ],
        className="gw-kpi",
    )


def _picker(component_id: str, placeholder: str) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=component_id,
        placeholder=placeholder,
        clearable=True,
        searchable=True,
        className="gw-picker",
    )


def wall_layout(
    focus_id: int | None, tile_url: str, tile_attribution: str, who: SessionUser
) -> html.Div:
    """The wall: stores and socket, header, alert banner, and the map beside the panels."""
    return html.Div(
        [
            *_stores(focus_id),
            _header(who),
            html.Div(id=ids.WALL_ALERT_BANNER, className="gw-alert-banner gw-hidden"),
            html.Div(
                id=ids.WALL_ALERT_ANNOUNCE,
                className="gw-announce",
                **html_attrs({"aria-live": "assertive"}),
            ),
            html.Main(
                [
                    dl.Map(
                        _map_layers(tile_url, tile_attribution),
                        id=ids.WALL_MAP,
                        center=[34.78, 113.68],
                        zoom=12,
                        preferCanvas=False,
                        zoomSnap=0.1,
                        zoomControl=False,
                        attributionControl=bool(tile_url),
                        className="gw-map",
                    ),
                    _side(),
                ],
                className="gw-main",
            ),
        ],
        className="gw-wall",
    )


def _stores(focus_id: int | None) -> list[Component]:
    """What the callbacks keep in the browser, the timers, and the push socket."""
    return [
        dcc.Store(id=ids.WALL_FOCUS, data=focus_id),
        dcc.Store(id=ids.WALL_SNAPSHOT),
        dcc.Store(id=ids.WALL_ALERTS),
        dcc.Store(id=ids.WALL_ALERT_SOUND_ON, storage_type="local", data=False),
        dcc.Interval(id=ids.WALL_CLOCK_TICK, interval=1000),
        dcc.Interval(id=ids.WALL_REFRESH, interval=30_000),
        # no connection until the focus is known (load_focus sets the options): a
        # first connection to the wrong room, replaced a moment later, would drop
        # whatever was pushed while the second one was being set up
        DashSocketIO(
            id=ids.WALL_SOCKET,
            eventNames=["pos", "inc", "alert"],
            options={"auth": {}, "autoConnect": False},
        ),
    ]


def _map_layers(tile_url: str, tile_attribution: str) -> list[Component]:
    """Tiles (if configured), outlines, alerted areas, staff and incidents, bottom to top."""
    layers: list[Component] = []
    if tile_url:
        layers.append(
            dl.TileLayer(
                id=ids.WALL_TILES,
                url=tile_url,
                attribution=tile_attribution,
                errorTileUrl="/assets/blank-tile.png",
            )
        )
    return [
        *layers,
        dl.GeoJSON(
            id=ids.WALL_BOUNDARIES,
            style={"variable": "gw.boundaryStyle"},
            onEachFeature={"variable": "gw.boundaryLabel"},
        ),
        # alerted areas, shaded by level; not interactive, so hovering reaches the areas below
        dl.GeoJSON(
            id=ids.WALL_ALERT_AREAS,
            style={"variable": "gw.alertAreaStyle"},
        ),
        dl.GeoJSON(
            id=ids.WALL_STAFF,
            pointToLayer={"variable": "gw.staffMarker"},
            onEachFeature={"variable": "gw.staffTooltip"},
        ),
        dl.GeoJSON(
            id=ids.WALL_INCIDENTS,
            pointToLayer={"variable": "gw.incidentMarker"},
            onEachFeature={"variable": "gw.incidentTooltip"},
        ),
    ]


def _header(who: SessionUser) -> html.Header:
    """Title, the four KPIs, and clock, connection and user on the right."""
    return html.Header(
        [
            html.Div(
                [
                    html.Div("网格化社会管理指挥中心", className="gw-title"),
                    html.Div("实时态势", id=ids.WALL_TITLE, className="gw-subtitle"),
                ],
                className="gw-brand",
            ),
            html.Div(
                [
                    _kpi("在线人员", ids.KPI_ONLINE),
                    _kpi("在册人员", ids.KPI_TOTAL),
                    _kpi("每分钟定位", ids.KPI_FIXES_PER_MIN, "0"),
                    _kpi("最后更新", ids.KPI_UPDATED),
                ],
                className="gw-kpis",
            ),
            html.Div(
                [
                    html.Div("--:--:--", id=ids.WALL_CLOCK, className="gw-clock"),
                    html.Div("连接中…", id=ids.WALL_CONNECTION, className="gw-conn"),
                    _user_box(who),
                ],
                className="gw-clock-box",
            ),
        ],
        className="gw-header",
    )


def _user_box(who: SessionUser) -> html.Div:
    """Who is signed in, links to the other pages they may open, and 退出."""
    links = [
        dcc.Link(item.label, href=item.path, className="gw-wall-link")
        for item in NAV_ITEMS
        if item.path != "/wall" and who.can(item.perm)
    ]
    return html.Div(
        [
            html.Span(f"{who.display_name}（{who.role_label}）"),
            *links,
            logout_button("gw-logout"),
        ],
        className="gw-user",
    )


def _side() -> html.Aside:
    """The panels beside the map, top to bottom."""
    return html.Aside(
        [
            html.Section(
                [
                    html.H2("关注范围"),
                    _picker(ids.WALL_PICK_DISTRICT, "全部区"),
                    _picker(ids.WALL_PICK_STREET, "全部街道"),
                    _picker(ids.WALL_PICK_COMMUNITY, "全部社区"),
                    _picker(ids.WALL_PICK_GRID, "全部网格"),
                ],
                className="gw-panel",
            ),
            _alerts_panel(),
            _states_panel(),
            html.Section(
                [
                    html.H2("事件动态"),
                    html.Ul(
                        html.Li("暂无事件", className="gw-empty"),
                        id=ids.WALL_TICKER,
                        className="gw-ticker",
                    ),
                ],
                className="gw-panel gw-panel-ticker",
            ),
            html.Section(
                [html.H2("下级单位"), html.Div(id=ids.WALL_CHILDREN, className="gw-children")],
                className="gw-panel gw-panel-grow",
            ),
        ],
        className="gw-side",
    )


def _alerts_panel() -> html.Section:
    """生效预警: count, the sound toggle, and the list the merges fill."""
    return html.Section(
        [
            html.H2(
                [
                    html.Span("生效预警"),
                    html.Span("", id=ids.WALL_ALERT_COUNT, className="gw-alert-count"),
                    html.Button(
                        "提示音 关",
                        id=ids.WALL_ALERT_SOUND,
                        className="gw-sound gw-sound-off",
                        title="新预警发布时播放提示音（浏览器需要点按一次才允许发声）",
                    ),
                ],
                className="gw-alert-head",
            ),
            html.Ul(
                html.Li("当前无生效预警", className="gw-empty"),
                id=ids.WALL_ALERT_LIST,
                className="gw-alert-list",
            ),
        ],
        className="gw-panel gw-panel-alerts",
    )


def _states_panel() -> html.Section:
    """人员状态: the stacked bar and a count per state (found by ``data-state``)."""
    return html.Section(
        [
            html.H2("人员状态"),
            html.Div(id=ids.WALL_STATE_BAR, className="gw-state-bar"),
            html.Ul(
                [_state_line(key, label) for key, label in STATE_LEGEND],
                id=ids.WALL_STATE_COUNTS,
                className="gw-legend",
            ),
        ],
        className="gw-panel",
    )


def _state_line(key: str, label: str) -> html.Li:
    return html.Li(
        [
            html.Span(className=f"gw-dot gw-dot-{key}"),
            html.Span(label, className="gw-state-label"),
            html.Span("0", className="gw-state-count", **html_attrs({"data-state": key})),
        ]
    )
