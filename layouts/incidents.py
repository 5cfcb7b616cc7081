"""The duty desk's incident page: filters, a live list, a detail panel with actions, a desk form.

The panel's inputs (note, dispatch target, assignee) are always in the page so the
action callback can read them; only their options and the buttons change per incident.
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.access.incidents import (
    EventDetail,
    EventPage,
    RevealedIncident,
    deadline_badge_class,
)
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from data.models import INCIDENT_SOURCE_LABELS, INCIDENT_STATE_LABELS
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page, html_attrs

COLUMNS = ["编号", "类别", "标题", "状态", "责任单位", "层级", "处置时限", "来源", "上报时间"]
REFRESH_MS = 5_000
PANEL_CLASS = "gw-split-side gw-card gw-incidents-side"
OPEN_PANEL_CLASS = PANEL_CLASS + " gw-incidents-open"
#: buttons that change the incident for good get the warning look
WARN_ACTIONS = frozenset({"reject", "transfer", "return", "escalate"})


def _field(label: str, control: Any, wide: bool = False) -> html.Label:
    return html.Label(
        [html.Span(label, className="gw-field-label"), control],
        className="gw-field gw-field-wide" if wide else "gw-field",
    )


def _select(
    id_: str, options: list[dict[str, Any]], placeholder: str, multi: bool = True
) -> dcc.Dropdown:
    return dcc.Dropdown(
        labels=ZH_DROPDOWN_LABELS,
        id=id_,
        options=options,
        multi=multi,
        placeholder=placeholder,
        className="gw-select",
    )


def _filters(node_options: list[dict[str, Any]], categories: list[dict[str, Any]]) -> html.Div:
    return html.Div(
        [
            _field(
                "状态",
                _select(
                    ids.INCIDENTS_STATE,
                    [{"label": v, "value": k.value} for k, v in INCIDENT_STATE_LABELS.items()],
                    "全部状态",
                ),
            ),
            _field("类别", _select(ids.INCIDENTS_CATEGORY, categories, "全部类别")),
            _field(
                "范围", _select(ids.INCIDENTS_NODE, node_options, "全部管辖范围", multi=False), True
            ),
            _field(
                "来源",
                _select(
                    ids.INCIDENTS_SOURCE,
                    [{"label": v, "value": k.value} for k, v in INCIDENT_SOURCE_LABELS.items()],
                    "全部来源",
                ),
            ),
            _field(
                "上报日期",
                dcc.DatePickerRange(
                    id=ids.INCIDENTS_PERIOD,
                    display_format="YYYY-MM-DD",
                    start_date_placeholder_text="开始",
                    end_date_placeholder_text="结束",
                    clearable=True,
                    className="gw-incidents-period",
                ),
            ),
            dcc.Checklist(
                id=ids.INCIDENTS_OVERDUE,
                options=[{"label": " 只看超时", "value": "overdue"}],
                value=[],
                className="gw-incidents-overdue",
            ),
        ],
        className="gw-toolbar gw-incidents-filters",
    )


def _desk_form(
    node_options: list[dict[str, Any]], categories: list[dict[str, Any]]
) -> html.Details:
    """登记事件: a phone call or a visitor at the desk becomes a report."""
    return html.Details(
        [
            html.Summary("登记事件（值班台）", className="gw-incidents-form-summary"),
            html.Div(
                [
                    _field(
                        "类别",
                        _select(ids.INCIDENTS_NEW_CATEGORY, categories, "选择类别", False),
                    ),
                    _field(
                        "标题", dcc.Input(id=ids.INCIDENTS_NEW_TITLE, className="gw-input"), True
                    ),
                    _field(
                        "所属节点",
                        _select(ids.INCIDENTS_NEW_NODE, node_options, "或填写经纬度", False),
                        True,
                    ),
                    _field(
                        "纬度",
                        dcc.Input(id=ids.INCIDENTS_NEW_LAT, className="gw-input gw-incidents-num"),
                    ),
                    _field(
                        "经度",
                        dcc.Input(id=ids.INCIDENTS_NEW_LON, className="gw-input gw-incidents-num"),
                    ),
                    _field("反映人", dcc.Input(id=ids.INCIDENTS_NEW_NAME, className="gw-input")),
                    _field("联系电话", dcc.Input(id=ids.INCIDENTS_NEW_PHONE, className="gw-input")),
                    _field(
                        "描述",
                        dcc.Textarea(
                            id=ids.INCIDENTS_NEW_DESCRIPTION, className="gw-incidents-textarea"
                        ),
                        True,
                    ),
                    html.Button(
                        "登记", id=ids.INCIDENTS_NEW_SUBMIT, className="gw-button gw-button-primary"
                    ),
                ],
                className="gw-toolbar gw-incidents-form",
            ),
            html.Div(id=ids.INCIDENTS_NEW_MSG, className="gw-msg-slot"),
        ],
        className="gw-card gw-incidents-desk",
    )


def _side() -> html.Aside:
    actions = html.Div(
        [
            html.H3("办理", className="gw-incidents-h3"),
            dcc.Textarea(
                id=ids.INCIDENTS_NOTE,
                placeholder="办理说明（不予受理、转办、退回、处置反馈时必填）",
                className="gw-incidents-textarea",
            ),
            html.Div(
                [
                    _select(ids.INCIDENTS_TARGET, [], "派遣到节点", False),
                    _select(ids.INCIDENTS_ASSIGNEE, [], "派遣给人员（就近）", False),
                ],
                className="gw-incidents-dispatch",
            ),
            html.Div(id=ids.INCIDENTS_BUTTONS, className="gw-incidents-buttons"),
            html.Div(id=ids.INCIDENTS_ACT_MSG, className="gw-msg-slot"),
        ],
        id=ids.INCIDENTS_ACTIONS,
        className="gw-incidents-actions",
        hidden=True,
    )
    head = html.Div(
        [
            html.H2("事件详情"),
            html.Button(
                "关闭",
                id=ids.INCIDENTS_CLOSE_PANEL,
                className="gw-button gw-button-small gw-panel-close",
            ),
        ],
        className="gw-panel-head",
    )
    return html.Aside(
        [head, html.Div(detail_panel(None), id=ids.INCIDENTS_DETAIL), actions],
        id=ids.INCIDENTS_SIDE,
        className=PANEL_CLASS,
    )


def incidents_layout(
    who: SessionUser, node_options: list[dict[str, Any]], categories: list[dict[str, Any]]
) -> html.Div:
    """``categories``: the configured incident categories as dropdown options."""
    body: list[Any] = [
        dcc.Interval(id=ids.INCIDENTS_TICK, interval=REFRESH_MS),
        dcc.Store(id=ids.INCIDENTS_PAGE, data=0),
        dcc.Store(id=ids.INCIDENTS_SELECTED),
        dcc.Store(id=ids.INCIDENTS_DETAIL_VERSION),
        _filters(node_options, categories),
    ]
    if who.can(Perm.HANDLE_INCIDENTS):
        body.append(_desk_form(node_options, categories))
    body += [
        html.Div(id=ids.INCIDENTS_SUMMARY, className="gw-summary"),
        html.Div(
            [
                html.Div(
                    [
                        html.Div(id=ids.INCIDENTS_TABLE, className="gw-table-wrap"),
                        html.Div(
                            [
                                html.Button("上一页", id=ids.INCIDENTS_PREV, className="gw-button"),
                                html.Span(id=ids.INCIDENTS_PAGER, className="gw-pager-label"),
                                html.Button("下一页", id=ids.INCIDENTS_NEXT, className="gw-button"),
                            ],
                            className="gw-pager",
                        ),
                    ],
                    className="gw-split-main",
                ),
                _side(),
            ],
            className="gw-split",
        ),
    ]
    return app_page(who, "/events", "事件处置", body)


def _state(state: str, label: str) -> html.Span:
    return html.Span(label, className=f"gw-incidents-state gw-incidents-state-{state}")


def _deadline(text: str, status: str) -> list[str | Component]:
    badge = {"yellow": "黄牌", "red": "超时"}.get(status)
    if badge is None:
        return [text]
    return [text, " ", html.Span(badge, className=deadline_badge_class(status))]


def event_table(page: EventPage, selected: int | None) -> html.Table:
    rows = [
        html.Tr(
            [
                html.Td(r.tracking_no, className="gw-cell-mono"),
                html.Td(r.category),
                html.Td(r.title, className="gw-incidents-title"),
                html.Td(_state(r.state, r.state_label)),
                html.Td(r.node_name),
                html.Td(r.level_label),
                html.Td(
                    _deadline(r.deadline, r.deadline_status), className="gw-incidents-deadline"
                ),
                html.Td(r.source_label),
                html.Td(r.reported, className="gw-incidents-time"),
            ],
            id={"type": ids.INCIDENTS_ROW, "iid": r.id},
            className="gw-incidents-row gw-incidents-selected"
            if r.id == selected
            else "gw-incidents-row",
            **html_attrs({"data-incident": str(r.id)}),
        )
        for r in page.rows
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(c) for c in COLUMNS])), html.Tbody(rows)],
        className="gw-table gw-incidents-table",
    )


def _facts(d: EventDetail) -> html.Dl:
    pairs: list[tuple[str, str | Component]] = [
        ("状态", _state(d.row.state, d.row.state_label)),
        ("类别", d.row.category),
        ("责任单位", f"{d.row.node_name}（{d.row.level_label}）"),
        ("处置时限", html.Span(_deadline(d.row.deadline, d.row.deadline_status))),
        ("处置人员", d.assignee),
        ("来源", d.row.source_label),
        ("上报时间", d.row.reported),
        ("反映人", f"{d.reporter} {d.reporter_phone}"),
        ("地址", d.address or "—"),
    ]
    if d.linked:
        pairs.append(("关联", d.linked))
    items: list[Any] = []
    for label, value in pairs:
        items += [html.Dt(label), html.Dd(value)]
    return html.Dl(items, className="gw-incidents-facts")


def _map(d: EventDetail, tile_url: str) -> Any:
    """The position on the deployment's tiles (``GRIDWATCH_TILE_URL``), or a plain
    background offline, like the wall."""
    if d.lat is None or d.lon is None:
        return html.P("无位置信息", className="gw-card-sub")
    return dl.Map(
        [
            dl.TileLayer(
                url=tile_url or "/assets/blank-tile.png",
                errorTileUrl="/assets/blank-tile.png",
                attribution="",
            ),
            dl.CircleMarker(
                center=[d.lat, d.lon], radius=9, color="#f59e0b", fillOpacity=0.8, weight=2
            ),
        ],
        id=ids.INCIDENTS_MAP,
        center=[d.lat, d.lon],
        zoom=16,
        zoomControl=False,
        attributionControl=False,
        className="gw-incidents-map",
    )


def _timeline(d: EventDetail) -> html.Ol:
    return html.Ol(
        [
            html.Li(
                [
                    html.Div(
                        [
                            html.Strong(s.action_label),
                            html.Span(s.at, className="gw-incidents-time"),
                        ],
                        className="gw-incidents-step-head",
                    ),
                    html.Div(
                        f"{s.actor}（{s.role_label}） · {s.from_label} → {s.to_label}",
                        className="gw-incidents-step-who",
                    ),
                    html.Div(s.note, className="gw-incidents-step-note") if s.note else None,
                ],
                className="gw-incidents-step",
            )
            for s in d.steps
        ],
        className="gw-incidents-timeline",
    )


def detail_panel(d: EventDetail | None, missing: bool = False, tile_url: str = "") -> list[Any]:
    if d is None:
        text = NOT_FOUND_TEXT if missing else "点击列表中的事件查看详情、处置过程与地图。"
        return [html.P(text)]
    parts: list[Any] = [
        html.Div(d.row.tracking_no, className="gw-cell-mono gw-incidents-tracking"),
        html.H3(d.row.title, className="gw-incidents-detail-title"),
        html.P(d.description, className="gw-incidents-description") if d.description else None,
        _facts(d),
        _reveal(d),
        _map(d, tile_url),
        html.H3("处置过程", className="gw-incidents-h3"),
        _timeline(d),
    ]
    if d.duplicates:
        parts += [
            html.H3("疑似重复", className="gw-incidents-h3"),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(o.label),
                            html.Button(
                                "合并为重复",
                                id={"type": ids.INCIDENTS_MERGE, "orig": o.value},
                                className="gw-button gw-button-small gw-button-warn",
                            ),
                        ],
                        className="gw-incidents-dup",
                    )
                    for o in d.duplicates
                ],
                className="gw-incidents-list",
            ),
        ]
    if d.nearest:
        parts += [
            html.H3("附近在岗人员", className="gw-incidents-h3"),
            html.Ul(
                [html.Li(n) for n in d.nearest], className="gw-incidents-list gw-incidents-nearest"
            ),
        ]
    return parts


NOT_FOUND_TEXT = "事件不存在或不在您的管辖范围内。"
REVEAL_LABEL = "显示原文（留痕）"
REVEALED_LABEL = "已显示原文（已留痕）"


def _reveal(d: EventDetail) -> html.Div | None:
    """Numbers in the text above are masked; this button shows the original (audited)."""
    if not d.can_reveal:
        return None
    return html.Div(
        [
            html.Button(
                REVEAL_LABEL,
                id={"type": ids.INCIDENTS_REVEAL, "iid": d.row.id},
                className="gw-button gw-button-small gw-button-warn",
                title="标题、描述、地址与办理说明中的电话和身份证号已脱敏；查看原文将记入审计日志",
            ),
            html.Div(
                id={"type": ids.INCIDENTS_ORIGINAL, "iid": d.row.id},
                className="gw-incidents-original",
            ),
        ],
        className="gw-incidents-reveal",
    )


def original_text(r: RevealedIncident) -> html.Dl:
    """The revealed original: what the reporter and the handlers typed, unmasked."""
    pairs: list[tuple[str, Any]] = [
        ("标题", r.title),
        ("描述", r.description or "—"),
        ("地址", r.address or "—"),
        ("反映人", r.reporter),
    ]
    if r.notes:
        pairs.append(
            ("办理说明", html.Ul([html.Li(n) for n in r.notes], className="gw-incidents-list"))
        )
    items: list[Any] = []
    for label, value in pairs:
        items += [html.Dt(label), html.Dd(value, className="gw-revealed")]
    return html.Dl(items, className="gw-incidents-facts gw-incidents-original-text")


def action_buttons(actions: list[tuple[str, str]]) -> list[html.Button]:
    return [
        html.Button(
            label,
            id={"type": ids.INCIDENTS_ACT, "action": name},
            className="gw-button gw-button-small "
            + ("gw-button-warn" if name in WARN_ACTIONS else "gw-button-primary"),
        )
        for name, label in actions
    ]
