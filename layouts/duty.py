"""The duty console: issue an alert on a map, watch who acknowledged, change or lift it.

The action controls are always in the page (hidden until an alert is chosen) so
the action callbacks can read them; the list and the detail refresh every 2 s.
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import dcc, html

from dashboard.auth.current import SessionUser
from dashboard.duty_access import (
    DURATIONS_H,
    LEVEL_TARGET_LABELS,
    TEXT_MAX,
    TITLE_MAX,
    AlertDetail,
    AlertSummary,
    Progress,
)
from data.alerts.categories import ALERT_CATEGORIES
from data.alerts.levels import LEVEL_LABELS
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page

REFRESH_MS = 2_000
SLOW_REFRESH_MS = 10_000
LEVEL_OPTIONS = [
    {"label": f"{label}预警", "value": level.value} for level, label in LEVEL_LABELS.items()
]
HOUR_OPTIONS = [{"label": f"{h} 小时", "value": h} for h in DURATIONS_H]
#: progress bar segments: (field of Progress, label, CSS modifier)
SEGMENTS = (
    ("acknowledged", "已签收", "ack"),
    ("delivered", "已送达", "delivered"),
    ("sent", "已发送", "sent"),
    ("pending", "待发送", "pending"),
    ("failed", "失败", "failed"),
)


def _field(label: str, control: Any, wide: bool = False) -> html.Label:
    return html.Label(
        [html.Span(label, className="gw-field-label"), control],
        className="gw-field gw-field-wide" if wide else "gw-field",
    )


def _issue_card(tile_url: str) -> html.Section:
    layers: list[Any] = []
    if tile_url:
        layers.append(dl.TileLayer(url=tile_url, errorTileUrl="/assets/blank-tile.png"))
    layers.append(
        dl.GeoJSON(
            id=ids.DUTY_AREAS,
            style={"variable": "gwDuty.areaStyle"},
            onEachFeature={"variable": "gwDuty.areaLabel"},
            hoverStyle={"variable": "gwDuty.hoverStyle"},
        )
    )
    area_map = dl.Map(
        layers,
        id=ids.DUTY_MAP,
        center=[34.75, 113.65],
        zoom=11,
        zoomControl=True,
        attributionControl=False,
        className="gw-duty-map",
    )
    form = html.Div(
        [
            _field(
                "发布区域",
                dcc.Dropdown(
                    id=ids.DUTY_NODE,
                    placeholder="在地图上点选，或在此选择",
                    className="gw-select",
                    labels=ZH_DROPDOWN_LABELS,
                ),
                True,
            ),
            _field(
                "预警级别",
                dcc.RadioItems(
                    id=ids.DUTY_LEVEL,
                    options=[
                        {
                            "label": html.Span(o["label"], className=f"gw-duty-chip-{o['value']}"),
                            "value": o["value"],
                        }
                        for o in LEVEL_OPTIONS
                    ],
                    className="gw-duty-levels",
                    inline=True,
                ),
                True,
            ),
            _field(
                "类别",
                dcc.Dropdown(
                    id=ids.DUTY_CATEGORY,
                    options=[{"label": v, "value": k} for k, v in ALERT_CATEGORIES.items()],
                    placeholder="选择类别",
                    className="gw-select",
                    labels=ZH_DROPDOWN_LABELS,
                ),
            ),
            _field(
                "有效时长",
                dcc.Dropdown(
                    id=ids.DUTY_HOURS,
                    options=HOUR_OPTIONS,
                    value=24,
                    clearable=False,
                    className="gw-select",
                    labels=ZH_DROPDOWN_LABELS,
                ),
            ),
            _field(
                "标题",
                dcc.Input(
                    id=ids.DUTY_TITLE,
                    maxLength=TITLE_MAX,
                    placeholder="如：暴雨橙色预警",
                    className="gw-input",
                ),
                True,
            ),
            _field(
                "内容（短信正文）",
                dcc.Textarea(
                    id=ids.DUTY_TEXT,
                    maxLength=TEXT_MAX,
                    placeholder="应对要求，如：请立即排查低洼地段，转移危险区域群众",
                    className="gw-ev-textarea",
                ),
                True,
            ),
            _field(
                "下发范围（不选则为全部下级网格）",
                dcc.Checklist(
                    id=ids.DUTY_TARGET_LEVELS,
                    options=[
                        {"label": f" {v}", "value": k} for k, v in LEVEL_TARGET_LABELS.items()
                    ],
                    value=[],
                    inline=True,
                    className="gw-duty-targets",
                ),
                True,
            ),
            html.Button(
                "发布预警",
                id=ids.DUTY_ISSUE,
                className="gw-button gw-button-primary gw-duty-issue",
            ),
            html.Div(id=ids.DUTY_ISSUE_MSG, className="gw-msg-slot"),
        ],
        className="gw-toolbar gw-duty-form",
    )
    return html.Section(
        [
            html.H2("发布预警"),
            html.Div(
                [
                    html.Div(id=ids.DUTY_MAP_CRUMB, className="gw-duty-crumb"),
                    html.Button(
                        "返回上一级", id=ids.DUTY_MAP_UP, className="gw-button gw-button-small"
                    ),
                ],
                className="gw-duty-maphead",
            ),
            area_map,
            html.P("点击区域选为发布区域，并进入其下级。", className="gw-card-sub"),
            form,
        ],
        className="gw-card gw-duty-issue-card",
    )


def _actions() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dcc.Dropdown(
                        id=ids.DUTY_NEW_LEVEL,
                        options=LEVEL_OPTIONS,
                        placeholder="调整为…",
                        className="gw-select gw-duty-inline",
                        labels=ZH_DROPDOWN_LABELS,
                    ),
                    html.Button("调整级别", id=ids.DUTY_LEVEL_BTN, className="gw-button"),
                ],
                className="gw-duty-action",
            ),
            html.Div(
                [
                    dcc.Dropdown(
                        id=ids.DUTY_EXTEND_HOURS,
                        options=HOUR_OPTIONS,
                        placeholder="延长…",
                        className="gw-select gw-duty-inline",
                        labels=ZH_DROPDOWN_LABELS,
                    ),
                    html.Button("延长有效期", id=ids.DUTY_EXTEND_BTN, className="gw-button"),
                ],
                className="gw-duty-action",
            ),
            dcc.ConfirmDialogProvider(
                html.Button("解除预警", id=ids.DUTY_LIFT_BTN, className="gw-button gw-button-warn"),
                id=ids.DUTY_LIFT_CONFIRM,
                message="确认解除该预警？将向已通知人员发送解除短信。",
            ),
            html.Div(id=ids.DUTY_ACT_MSG, className="gw-msg-slot"),
        ],
        id=ids.DUTY_ACTIONS,
        className="gw-duty-actions",
        hidden=True,
    )


def duty_layout(who: SessionUser, tile_url: str, scope_id: int) -> html.Div:
    body: list[Any] = [
        dcc.Interval(id=ids.DUTY_TICK, interval=REFRESH_MS),
        dcc.Interval(id=ids.DUTY_SLOW_TICK, interval=SLOW_REFRESH_MS),
        dcc.Store(id=ids.DUTY_MAP_NODE, data=scope_id),
        dcc.Store(id=ids.DUTY_SELECTED),
        dcc.Store(id=ids.DUTY_REFRESH, data=0),
        dcc.Store(id=ids.DUTY_ISSUE_TOKEN),
        dcc.Store(id=ids.DUTY_ACT_TOKEN),
        html.Div(
            [
                _issue_card(tile_url),
                html.Div(
                    [
                        html.Section(
                            [html.H2("生效预警"), html.Div(id=ids.DUTY_LIST)],
                            className="gw-card",
                        ),
                        html.Section(
                            [
                                html.H2("预警详情与签收进度"),
                                html.Div(detail_view(None), id=ids.DUTY_DETAIL),
                                _actions(),
                            ],
                            className="gw-card gw-duty-detail",
                        ),
                        html.Section(
                            [html.H2("事件调度"), html.Div(id=ids.DUTY_INCIDENTS)],
                            className="gw-card",
                        ),
                    ],
                    className="gw-duty-side",
                ),
            ],
            className="gw-duty-grid",
        ),
    ]
    return app_page(who, "/duty", "值班预警", body)


def progress_bar(progress: Progress) -> html.Div:
    total = progress.total or 1
    segments = [
        html.Div(
            className=f"gw-duty-seg gw-duty-seg-{css}",
            style={"width": f"{100 * getattr(progress, name) / total:.2f}%"},
            title=f"{label} {getattr(progress, name)}",
        )
        for name, label, css in SEGMENTS
        if getattr(progress, name)
    ]
    legend = [
        html.Span(
            [
                html.I(className=f"gw-duty-dot gw-duty-seg-{css}"),
                f"{label} {getattr(progress, name)}",
            ],
            className="gw-duty-legend-item",
        )
        for name, label, css in SEGMENTS
    ]
    return html.Div(
        [
            html.Div(segments, className="gw-duty-bar", role="progressbar"),
            html.Div(
                [html.Span(f"共 {progress.total} 人", className="gw-duty-legend-total"), *legend],
                className="gw-duty-legend",
            ),
        ],
        className="gw-duty-progress",
    )


def alert_list(rows: list[AlertSummary] | None, selected: int | None) -> html.Div:
    if rows is None:
        return html.Div("无权查看预警", className="gw-app-empty")
    if not rows:
        return html.Div("当前无生效预警", className="gw-app-empty gw-duty-empty")
    return html.Div(
        [
            html.Button(
                [
                    html.Div(
                        [
                            html.Span(f"{row.level_label}预警", className="gw-duty-badge"),
                            html.Strong(row.title, className="gw-duty-title"),
                            html.Span(row.state_label, className="gw-duty-state"),
                        ],
                        className="gw-duty-row-head",
                    ),
                    html.Div(
                        f"{row.node_name} · {row.category_label} · 有效至 {row.valid_until}",
                        className="gw-duty-row-meta",
                    ),
                    html.Div(
                        f"签收 {row.progress.acknowledged}/{row.progress.total}"
                        + (f" · 失败 {row.progress.failed}" if row.progress.failed else ""),
                        className="gw-duty-row-meta",
                    ),
                ],
                id={"type": ids.DUTY_ROW, "aid": row.id},
                className=(
                    f"gw-duty-row gw-duty-level-{row.level}"
                    + (" gw-duty-row-selected" if row.id == selected else "")
                ),
                **{"data-alert": str(row.id), "data-level": row.level},
            )
            for row in rows
        ],
        className="gw-duty-list",
    )


def detail_view(d: AlertDetail | None) -> html.Div:
    if d is None:
        return html.Div(
            "在左侧发布预警，或在上方列表中选择一条查看签收进度。", className="gw-app-note"
        )
    s = d.summary
    head = html.Div(
        [
            html.Span(f"{s.level_label}预警", className="gw-duty-badge"),
            html.Strong(s.title, className="gw-duty-title"),
            html.Span(s.state_label, className="gw-duty-state"),
        ],
        className=f"gw-duty-detail-head gw-duty-level-{s.level}",
    )
    facts = html.Dl(
        [
            html.Dt("区域"),
            html.Dd(s.node_name),
            html.Dt("类别"),
            html.Dd(s.category_label),
            html.Dt("下发范围"),
            html.Dd(s.target_label),
            html.Dt("发布"),
            html.Dd(f"{s.issued_at} · {s.issued_by}"),
            html.Dt("有效至"),
            html.Dd(s.valid_until),
            html.Dt("内容"),
            html.Dd(s.text),
        ],
        className="gw-duty-facts",
    )
    pending_title = (
        f"未签收人员（{d.pending_total} 人"
        + (f"，显示前 {len(d.pending)} 人" if d.pending_total > len(d.pending) else "")
        + "）"
    )
    pending = (
        html.Div(
            html.Table(
                [
                    html.Thead(
                        html.Tr([html.Th(c) for c in ("姓名", "岗位", "网格", "手机", "短信")])
                    ),
                    html.Tbody(
                        [
                            html.Tr(
                                [
                                    html.Td(p.name),
                                    html.Td(p.post),
                                    html.Td(p.place),
                                    html.Td(p.phone),
                                    html.Td(p.state_label, title=p.error or None),
                                ],
                                className="gw-duty-failed" if p.error else None,
                            )
                            for p in d.pending
                        ]
                    ),
                ],
                className="gw-table gw-duty-pending",
            ),
            className="gw-duty-pending-wrap",
        )
        if d.pending
        else html.Div("全部已签收", className="gw-app-note")
    )
    timeline = html.Ol(
        [
            html.Li(
                [
                    html.Strong(a.label),
                    html.Span(f" {a.at} · {a.actor}", className="gw-ev-time"),
                    html.Span(f" {a.change}" if a.change else ""),
                ]
            )
            for a in d.actions
        ],
        className="gw-duty-timeline",
    )
    return html.Div(
        [
            head,
            progress_bar(s.progress),
            facts,
            html.H3(pending_title, className="gw-ev-h3"),
            pending,
            html.H3("操作记录", className="gw-ev-h3"),
            timeline,
        ],
        **{"data-alert": str(s.id), "data-level": s.level, "data-state": s.state},
    )


def incidents_view(data: dict | None) -> html.Div:
    if data is None:
        return html.Div("无权查看事件", className="gw-app-note")
    summary = html.Div(
        [
            html.Span(f"待受理/待派遣 {data['total']} 件"),
            html.Span(f"超时 {data['overdue']} 件", className="gw-duty-overdue")
            if data["overdue"]
            else html.Span("无超时事件"),
            dcc.Link("前往事件处置 →", href="/events", className="gw-duty-link"),
        ],
        className="gw-duty-inc-summary",
    )
    if not data["items"]:
        return html.Div([summary, html.Div("暂无待派遣事件", className="gw-app-note")])
    return html.Div(
        [
            summary,
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(item["no"], className="gw-duty-inc-no"),
                            html.Span(item["title"]),
                            html.Span(item["place"], className="gw-duty-row-meta"),
                        ],
                        className="gw-duty-inc gw-duty-inc-red" if item["red"] else "gw-duty-inc",
                    )
                    for item in data["items"]
                ],
                className="gw-duty-incs",
            ),
        ]
    )
