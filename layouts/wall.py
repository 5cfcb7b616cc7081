"""The video-wall page: live staff map with KPIs and alerts, for 16:9 walls and no mouse."""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component
from dash_socketio import DashSocketIO

from dashboard.access.wall_rankings import FULL_SIZE, NO_DATA, PANEL_SIZE, WallRankings, WallRankRow
from dashboard.auth.current import SessionUser
from layouts import ids
from layouts.shell import NAV_ITEMS, html_attrs, logout_button

#: how often the wall reads its rankings and playlist again (ms): minutes, not per fix
RANK_REFRESH_MS = 5 * 60_000
TREND_ARROWS = {"up": "▲", "down": "▼", "flat": "—"}
TREND_WORDS = {"up": "上升", "down": "下降", "flat": "持平"}

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
                    _rank_view(),
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
        # the rankings (and the playlist) are read again every few minutes, never per fix
        dcc.Interval(id=ids.WALL_RANK_REFRESH, interval=RANK_REFRESH_MS),
        dcc.Store(id=ids.WALL_PLAYLIST),
        dcc.Store(id=ids.WALL_RANK_FIGURE),
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
                    html.Div(id=ids.WALL_NEXT, className="gw-next gw-hidden"),
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
                [html.H2("龙虎榜"), html.Div("加载中…", className="gw-empty")],
                id=ids.WALL_RANK_PANEL,
                className="gw-panel gw-panel-rank",
            ),
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


# --- rankings: the side panel (龙虎榜) and the full-screen view (排名统计) ---------------------


def _rank_view() -> html.Section:
    """The second full-screen view, laid over the map (hidden): the map and its socket
    keep running underneath, so switching back loses nothing."""
    return html.Section(
        [
            html.Div(
                html.Div("加载中…", className="gw-empty"),
                id=ids.WALL_RANK_BODY,
                className="gw-rank-body",
            ),
            html.Div(
                [
                    html.H2("每月发现与结案（近十二个月）"),
                    dcc.Graph(
                        id=ids.WALL_RANK_CHART,
                        figure=empty_figure(),
                        config={"displayModeBar": False, "responsive": True},
                        className="gw-rank-chart",
                    ),
                ],
                className="gw-panel gw-rank-chart-box",
            ),
        ],
        id=ids.WALL_RANK_VIEW,
        className="gw-rank-view gw-hidden",
        **html_attrs({"aria-label": "排名统计"}),
    )


def _score(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.1f}"


def _trend(row: WallRankRow) -> html.Span:
    return html.Span(
        TREND_ARROWS.get(row.trend, "—"),
        className=f"gw-trend gw-trend-{row.trend}",
        title=TREND_WORDS.get(row.trend, ""),
    )


def _rank_change(row: WallRankRow) -> str:
    if row.rank_change > 0:
        return f"↑{row.rank_change}"
    if row.rank_change < 0:
        return f"↓{-row.rank_change}"
    return "—"


def _cards(row: WallRankRow) -> html.Span:
    badges = []
    if row.red_cards:
        badges.append(html.Span(f"红{row.red_cards}", className="gw-card-badge gw-card-red"))
    if row.yellow_cards:
        badges.append(html.Span(f"黄{row.yellow_cards}", className="gw-card-badge gw-card-yellow"))
    return html.Span(badges, className="gw-cards")


def _panel_list(title: str, rows: list[WallRankRow], kind: str) -> html.Div:
    items = [
        html.Li(
            [
                html.Span(str(r.rank or ""), className="gw-rank-no"),
                html.Span(r.name, className="gw-rank-name", title=r.name),
                _cards(r),
                html.Span(_score(r.score), className="gw-rank-score"),
                _trend(r),
            ],
            className="gw-rank-line",
        )
        for r in rows
    ]
    return html.Div(
        [
            html.Div(title, className=f"gw-rank-head gw-rank-head-{kind}"),
            html.Ol(items or [html.Li("—", className="gw-empty")], className="gw-rank-list"),
        ],
        className=f"gw-rank-col gw-rank-{kind}",
    )


def rank_panel(rankings: WallRankings) -> list[Component]:
    """龙虎榜 beside the map: 前五 and 后五 of the level below the focus, this month."""
    caption = _panel_title(f"{rankings.level_label} · {rankings.period_label}")
    if not rankings.ranking:
        return [caption, html.Div(NO_DATA, className="gw-empty")]
    panel = rankings.half(PANEL_SIZE)
    return [
        caption,
        html.Div(
            [
                _panel_list("前五", rankings.top(panel), "top"),
                _panel_list("后五", rankings.bottom(panel), "bottom"),
            ],
            className="gw-rank-cols",
        ),
    ]


def _panel_title(caption: str) -> html.H2:
    """龙虎榜 with what it ranks on the same line (the column has no height to spare)."""
    return html.H2(
        [html.Span("龙虎榜"), html.Span(caption, className="gw-rank-caption")],
        className="gw-rank-title-line",
    )


def rank_message(text: str) -> list[Component]:
    """What the panel shows instead of a ranking (a refusal, no data)."""
    return [_panel_title(""), html.Div(text, className="gw-empty")]


def view_message(text: str) -> list[Component]:
    """What the rankings view shows instead of a ranking."""
    return [html.Div(text, className="gw-empty")]


def _view_table(title: str, rows: list[WallRankRow], kind: str) -> html.Div:
    head = html.Tr([html.Th(h) for h in ("名次", "单位", "得分", "趋势", "名次变化", "红黄牌")])
    body = [
        html.Tr(
            [
                html.Td(str(r.rank or ""), className="gw-rank-no"),
                html.Td(r.name, className="gw-rank-name"),
                html.Td(_score(r.score), className="gw-rank-score"),
                html.Td(_trend(r)),
                html.Td(_rank_change(r), className="gw-rank-change"),
                html.Td(_cards(r)),
            ]
        )
        for r in rows
    ]
    if not body:
        body = [html.Tr(html.Td("—", colSpan=6, className="gw-empty"))]
    return html.Div(
        [
            html.H2(title, className=f"gw-rank-head-{kind}"),
            html.Table([html.Thead(head), html.Tbody(body)], className="gw-rank-table"),
        ],
        className=f"gw-panel gw-rank-table-box gw-rank-{kind}",
    )


def _count(size: int) -> str:
    """前十 / 后五: the number in Chinese as a wall title reads it."""
    return "零一二三四五六七八九十"[size] if size <= 10 else str(size)


def _big(label: str, value: str, tone: str = "") -> html.Div:
    return html.Div(
        [html.Div(label, className="gw-kpi-label"), html.Div(value, className="gw-kpi-value")],
        className=f"gw-kpi gw-rank-kpi {tone}".strip(),
    )


def rank_view(rankings: WallRankings) -> list[Component]:
    """The full-screen view's title, figures and the two tables (前十 / 后十)."""
    rate = f"{100 * rankings.closed / rankings.found:.1f}%" if rankings.found else "—"
    red = "gw-tone-red"
    kpis = html.Div(
        [
            _big("本月发现", str(rankings.found)),
            _big("本月结案", str(rankings.closed)),
            _big("结案率", rate),
            _big("红灯超时", str(rankings.red_lapses), red if rankings.red_lapses else ""),
            _big("红牌单位", str(rankings.red_units), red if rankings.red_units else ""),
            _big(
                "黄牌单位",
                str(rankings.yellow_units),
                "gw-tone-yellow" if rankings.yellow_units else "",
            ),
            _big("参与排名", f"{rankings.ranked}"),
        ],
        className="gw-rank-kpis",
    )
    title = html.Div(
        [
            html.Span("排名统计", className="gw-rank-title"),
            html.Span(
                f"{rankings.focus_name} · {rankings.level_label}排名 · {rankings.period_label}",
                className="gw-rank-subtitle",
            ),
        ],
        className="gw-rank-titlebar",
    )
    no_data = (
        html.Div(
            f"{NO_DATA}：{'、'.join(rankings.no_data)}",
            className="gw-rank-nodata",
            title="、".join(rankings.no_data),
        )
        if rankings.no_data
        else None
    )
    size = rankings.half(FULL_SIZE)
    tables = html.Div(
        [
            _view_table(f"前{_count(size)}（{rankings.level_label}）", rankings.top(size), "top"),
            _view_table(
                f"后{_count(size)}（{rankings.level_label}）", rankings.bottom(size), "bottom"
            ),
        ],
        className="gw-rank-tables",
    )
    return [title, kpis, tables, *([no_data] if no_data else [])]


def empty_figure(text: str = "加载中…") -> dict[str, Any]:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, font={"size": 18, "color": "#8da2c0"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _as_data(_dark(fig))


def monthly_figure(monthly: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Found (bars) vs closed (line) per month; the browser scales its type to the wall."""
    months = [m for m, _, _ in monthly]
    fig = go.Figure(
        [
            go.Bar(x=months, y=[f for _, f, _ in monthly], name="发现", marker_color="#38bdf8"),
            go.Scatter(
                x=months,
                y=[c for _, _, c in monthly],
                name="结案",
                mode="lines+markers",
                line={"color": "#22c55e", "width": 4},
                marker={"size": 10},
            ),
        ]
    )
    fig.update_xaxes(type="category", gridcolor="#1c2c4a")
    fig.update_yaxes(gridcolor="#1c2c4a", rangemode="tozero")
    return _as_data(_dark(fig))


def _as_data(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON data: it goes through a store to the browser."""
    data: dict[str, Any] = fig.to_plotly_json()
    return data


def _dark(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#e2e8f0", "size": 16},
        margin={"l": 50, "r": 20, "t": 20, "b": 50},
        legend={"orientation": "h", "y": 1.08, "x": 0},
        bargap=0.3,
    )
    return fig
