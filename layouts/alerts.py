"""The duty console: issue an alert on a map, watch who acknowledged, change or lift it.

The page is built once and then updated in place: the live list re-renders its rows
only when alerts appear, go or change order, and otherwise only the text of a row's
parts changes; the detail is a fixed frame (head, progress bar, actions, facts, one page
of 未签收人员 in a DataTable, history) whose texts, widths and table data the 2 s refresh
sets. So a row or a button under the pointer is never replaced while the officer aims
at it, and nothing above the action buttons changes height. Every issue, level change
and lift is first shown in a confirmation (area on a map, level, how many people will
be texted) and sent only from its 确认 button.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash.dash_table.DataTable import DataTable
from dash.development.base_component import Component

from dashboard.access.alerts import (
    DURATIONS_H,
    LEVEL_TARGET_LABELS,
    PENDING_PAGE_SIZE,
    TEXT_MAX,
    TITLE_MAX,
    AlertDetail,
    AlertSummary,
    Preview,
    Progress,
)
from dashboard.auth.current import SessionUser
from data.alerts.categories import ALERT_CATEGORIES
from data.alerts.levels import LEVEL_LABELS
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page, html_attrs

REFRESH_MS = 2_000
SLOW_REFRESH_MS = 10_000
LEVEL_OPTIONS = [
    {"label": f"{label}预警", "value": level.value} for level, label in LEVEL_LABELS.items()
]
HOUR_OPTIONS = [{"label": f"{h} 小时", "value": h} for h in DURATIONS_H]
CATEGORY_OPTIONS = [{"label": v, "value": k} for k, v in ALERT_CATEGORIES.items()]
#: progress bar segments: (field of Progress, label, CSS modifier)
SEGMENTS = (
    ("acknowledged", "已签收", "ack"),
    ("delivered", "已送达", "delivered"),
    ("sent", "已发送", "sent"),
    ("pending", "待发送", "pending"),
    ("failed", "失败", "failed"),
)
#: the parts of a list row whose text the refresh updates
ROW_PARTS = ("badge", "title", "state", "meta", "acks")
#: the detail's facts: (part, label)
FACTS = (
    ("node", "区域"),
    ("category", "类别"),
    ("target", "下发范围"),
    ("issued", "发布"),
    ("until", "有效至"),
    ("text", "内容"),
)
#: the columns of 未签收人员: (cell key, heading)
PENDING_COLUMNS = (
    ("name", "姓名"),
    ("post", "岗位"),
    ("place", "网格"),
    ("phone", "手机"),
    ("state", "短信"),
)
EMPTY_DETAIL = "在左侧发布预警，或在上方列表中选择一条查看签收进度。"


def _field(label: str, control: Any, wide: bool = False) -> html.Label:
    return html.Label(
        [html.Span(label, className="gw-field-label"), control],
        className="gw-field gw-field-wide" if wide else "gw-field",
    )


def _issue_card(tile_url: str) -> html.Section:
    """发布预警: the area map with its breadcrumb, then the form."""
    return html.Section(
        [
            html.H2("发布预警"),
            html.Div(
                [
                    html.Div(id=ids.ALERTS_MAP_CRUMB, className="gw-alerts-crumb"),
                    html.Button(
                        "返回上一级", id=ids.ALERTS_MAP_UP, className="gw-button gw-button-small"
                    ),
                ],
                className="gw-alerts-maphead",
            ),
            _area_map(tile_url),
            html.P("点击区域选为发布区域，并进入其下级。", className="gw-card-sub"),
            _issue_form(),
        ],
        className="gw-card gw-alerts-issue-card",
    )


def _area_map(tile_url: str) -> dl.Map:
    """The area and its children, shaded by the alerts in force; a click picks an area."""
    layers: list[Component] = []
    if tile_url:
        layers.append(dl.TileLayer(url=tile_url, errorTileUrl="/assets/blank-tile.png"))
    layers.append(
        dl.GeoJSON(
            id=ids.ALERTS_AREAS,
            style={"variable": "gwAlerts.areaStyle"},
            onEachFeature={"variable": "gwAlerts.areaLabel"},
            hoverStyle={"variable": "gwAlerts.hoverStyle"},
        )
    )
    return dl.Map(
        layers,
        id=ids.ALERTS_MAP,
        center=[34.75, 113.65],
        zoom=11,
        zoomControl=True,
        attributionControl=False,
        className="gw-alerts-map",
    )


def _issue_form() -> html.Div:
    """Area, level, category, duration, title, text and who is texted, then 发布预警."""
    return html.Div(
        [
            _field("发布区域", _dropdown(ids.ALERTS_NODE, "在地图上点选，或在此选择"), True),
            _field("预警级别", _level_choice(), True),
            _field("类别", _dropdown(ids.ALERTS_CATEGORY, "选择类别", CATEGORY_OPTIONS)),
            _field(
                "有效时长",
                _dropdown(ids.ALERTS_HOURS, None, HOUR_OPTIONS, value=24, clearable=False),
            ),
            _field(
                "标题",
                dcc.Input(
                    id=ids.ALERTS_TITLE,
                    maxLength=TITLE_MAX,
                    placeholder="如：暴雨橙色预警",
                    className="gw-input",
                ),
                True,
            ),
            _field(
                "内容（短信正文）",
                dcc.Textarea(
                    id=ids.ALERTS_TEXT,
                    maxLength=TEXT_MAX,
                    placeholder="应对要求，如：请立即排查低洼地段，转移危险区域群众",
                    className="gw-incidents-textarea",
                ),
                True,
            ),
            _field("下发范围（不选则为全部下级网格）", _target_levels(), True),
            html.Button(
                "发布预警",
                id=ids.ALERTS_ISSUE,
                className="gw-button gw-button-primary gw-alerts-issue",
            ),
            html.Div(id=ids.ALERTS_ISSUE_MSG, className="gw-msg-slot"),
        ],
        className="gw-toolbar gw-alerts-form",
    )


def _dropdown(
    component_id: str,
    placeholder: str | None,
    options: list[dict[str, Any]] | None = None,
    **props: Any,
) -> dcc.Dropdown:
    """A form dropdown in Chinese; only the props given are set."""
    given = {"options": options, "placeholder": placeholder}
    props |= {k: v for k, v in given.items() if v is not None}
    return dcc.Dropdown(id=component_id, className="gw-select", labels=ZH_DROPDOWN_LABELS, **props)


def _level_choice() -> dcc.RadioItems:
    """The four levels as coloured chips."""
    return dcc.RadioItems(
        id=ids.ALERTS_LEVEL,
        options=[
            {
                "label": html.Span(o["label"], className=f"gw-alerts-chip-{o['value']}"),
                "value": o["value"],
            }
            for o in LEVEL_OPTIONS
        ],
        className="gw-alerts-levels",
        inline=True,
    )


def _target_levels() -> dcc.Checklist:
    """Which levels of the org tree below the area are texted."""
    return dcc.Checklist(
        id=ids.ALERTS_TARGET_LEVELS,
        options=[{"label": f" {v}", "value": k} for k, v in LEVEL_TARGET_LABELS.items()],
        value=[],
        inline=True,
        className="gw-alerts-targets",
    )


def _actions() -> html.Div:
    """调整级别 / 延长有效期 / 解除预警, right under the progress bar so that nothing the
    refresh changes (the 未签收 page, the history) can move them."""
    return html.Div(
        [
            html.Div(
                [
                    dcc.Dropdown(
                        id=ids.ALERTS_NEW_LEVEL,
                        options=LEVEL_OPTIONS,
                        placeholder="调整为…",
                        className="gw-select gw-alerts-inline",
                        labels=ZH_DROPDOWN_LABELS,
                    ),
                    html.Button("调整级别", id=ids.ALERTS_LEVEL_BTN, className="gw-button"),
                ],
                className="gw-alerts-action",
            ),
            html.Div(
                [
                    dcc.Dropdown(
                        id=ids.ALERTS_EXTEND_HOURS,
                        options=HOUR_OPTIONS,
                        placeholder="延长…",
                        className="gw-select gw-alerts-inline",
                        labels=ZH_DROPDOWN_LABELS,
                    ),
                    html.Button("延长有效期", id=ids.ALERTS_EXTEND_BTN, className="gw-button"),
                ],
                className="gw-alerts-action",
            ),
            html.Button("解除预警", id=ids.ALERTS_LIFT_BTN, className="gw-button gw-button-warn"),
            html.Div(id=ids.ALERTS_ACT_MSG, className="gw-msg-slot"),
        ],
        id=ids.ALERTS_ACTIONS,
        className="gw-alerts-actions",
        hidden=True,
    )


def _part(key: str, tag: type = html.Span, **props: Any) -> Any:
    """A leaf of the detail whose text the refresh sets in place."""
    return tag(id={"type": ids.ALERTS_PART, "k": key}, **props)


def _progress_frame() -> html.Div:
    segments = [
        html.Div(
            id={"type": ids.ALERTS_SEG, "k": css}, className=f"gw-alerts-seg gw-alerts-seg-{css}"
        )
        for _name, _label, css in SEGMENTS
    ]
    legend = [
        html.Span(
            [html.I(className=f"gw-alerts-dot gw-alerts-seg-{css}"), _part(f"leg-{css}")],
            className="gw-alerts-legend-item",
        )
        for _name, _label, css in SEGMENTS
    ]
    return html.Div(
        [
            html.Div(segments, className="gw-alerts-bar", role="progressbar"),
            html.Div(
                [_part("total", className="gw-alerts-legend-total"), *legend],
                className="gw-alerts-legend",
            ),
        ],
        className="gw-alerts-progress",
    )


def _pending_table() -> Any:
    """未签收人员 as one DataTable: a page is one ``data`` update the table renders itself.

    As plain html.Table rows every cell would be a Dash component, and the renderer's
    cost grows with components × updates: 250 cells refreshed every 2 s kept the page busy
    for a second at a time on a loaded machine, so clicks waited. The DataTable is
    deprecated for Dash 5 (dash-ag-grid replaces it); Gridwatch pins dash<5 and ships it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return DataTable(
            id=ids.ALERTS_PENDING_TABLE,
            columns=[{"name": heading, "id": key} for key, heading in PENDING_COLUMNS],
            data=[],
            page_action="none",
            cell_selectable=False,
            style_as_list_view=True,
            style_table={"height": "300px", "overflowY": "auto"},
            style_header={
                "backgroundColor": "#13223d",
                "color": "#94a3b8",
                "fontWeight": 600,
                "border": "none",
            },
            style_cell={
                "backgroundColor": "transparent",
                "color": "#e2e8f0",
                "textAlign": "left",
                "fontFamily": "inherit",
                "fontSize": "13px",
                "padding": "6px 10px",
                "border": "none",
                "borderBottom": "1px solid #16243f",
                "whiteSpace": "nowrap",
            },
            style_data_conditional=[
                {"if": {"filter_query": '{error} != ""'}, "color": "#fecaca"},
            ],
            tooltip_delay=300,
            tooltip_duration=None,
        )


def _pending_frame() -> list[Any]:
    """The 未签收人员 page with its pager, in a box of fixed height."""
    return [
        html.Div(
            [
                _part("pending-title", html.H3, className="gw-incidents-h3"),
                html.Div(
                    [
                        html.Button(
                            "上一页",
                            id=ids.ALERTS_PAGE_PREV,
                            className="gw-button gw-button-small",
                            disabled=True,
                        ),
                        _part("page-info", className="gw-alerts-page-info"),
                        html.Button(
                            "下一页",
                            id=ids.ALERTS_PAGE_NEXT,
                            className="gw-button gw-button-small",
                            disabled=True,
                        ),
                    ],
                    className="gw-alerts-pager",
                ),
            ],
            className="gw-alerts-pending-head",
        ),
        html.Div(_pending_table(), id=ids.ALERTS_PENDING_WRAP, className="gw-alerts-pending-wrap"),
        html.Div("全部已签收", id=ids.ALERTS_PENDING_NONE, className="gw-app-note", hidden=True),
    ]


def _detail_frame() -> html.Div:
    """The detail, built once; ``detail_values`` fills it for the chosen alert."""
    head = html.Div(
        [
            _part("badge", className="gw-alerts-badge"),
            _part("title", html.Strong, className="gw-alerts-title"),
            _part("state", className="gw-alerts-state"),
        ],
        id=ids.ALERTS_DETAIL_HEAD,
        className="gw-alerts-detail-head",
    )
    facts = html.Dl(
        [item for key, label in FACTS for item in (html.Dt(label), _part(f"fact-{key}", html.Dd))],
        className="gw-alerts-facts",
    )
    body = html.Div(
        [
            head,
            _progress_frame(),
            _actions(),
            facts,
            *_pending_frame(),
            html.H3("操作记录", className="gw-incidents-h3"),
            html.Ol(id=ids.ALERTS_TIMELINE, className="gw-alerts-timeline"),
        ],
        id=ids.ALERTS_DETAIL_BODY,
        hidden=True,
    )
    return html.Div(
        [html.Div(EMPTY_DETAIL, id=ids.ALERTS_DETAIL_EMPTY, className="gw-app-note"), body],
        id=ids.ALERTS_DETAIL,
    )


def confirm_dialog() -> html.Div:
    """The in-page confirmation (a native dialog cannot show the area on a map)."""
    return html.Div(
        html.Div(
            [
                html.H2(id=ids.ALERTS_CONFIRM_TITLE, className="gw-alerts-modal-title"),
                html.Div(id=ids.ALERTS_CONFIRM_BODY, className="gw-alerts-modal-body"),
                html.Div(
                    [
                        html.Button("取消", id=ids.ALERTS_CONFIRM_CANCEL, className="gw-button"),
                        html.Button(
                            "确认",
                            id=ids.ALERTS_CONFIRM_OK,
                            className="gw-button gw-button-primary",
                        ),
                    ],
                    className="gw-alerts-modal-buttons",
                ),
            ],
            className="gw-alerts-modal-box",
            role="dialog",
            **html_attrs({"aria-modal": "true", "aria-labelledby": ids.ALERTS_CONFIRM_TITLE}),
        ),
        id=ids.ALERTS_CONFIRM,
        className="gw-alerts-modal",
        hidden=True,
    )


def _chip(level: str, label: str) -> html.Span:
    return html.Span(label, className=f"gw-alerts-chip gw-alerts-chip-{level}")


def confirm_body(p: Preview, tile_url: str) -> list[Any]:
    """Where (the area filled in its level's colour), how severe, and how many texts."""
    return [
        html.Div(
            [
                _confirm_map(p, tile_url),
                html.Div(
                    [
                        html.Dl(_confirm_facts(p), className="gw-alerts-facts"),
                        html.P(p.texted, className="gw-alerts-confirm-count"),
                        html.P(p.note, className="gw-alerts-confirm-note") if p.note else None,
                    ],
                    className="gw-alerts-confirm-facts",
                ),
            ],
            className=f"gw-alerts-confirm gw-alerts-level-{p.level}",
            **html_attrs({"data-action": p.action, "data-recipients": str(p.recipients)}),
        )
    ]


def _confirm_map(p: Preview, tile_url: str) -> dl.Map:
    """The target area inside its parent's outline, fitted when the dialog opens."""
    layers: list[Any] = []
    if tile_url:
        layers.append(dl.TileLayer(url=tile_url, errorTileUrl="/assets/blank-tile.png"))
    layers.append(
        dl.GeoJSON(
            data=p.geojson,
            style={"variable": "gwAlerts.confirmStyle"},
            onEachFeature={"variable": "gwAlerts.areaLabel"},
        )
    )
    # fitted to the area when it opens (a centre and zoom would win over the bounds)
    frame: dict[str, Any] = (
        {"bounds": p.bounds, "boundsOptions": {"padding": [16, 16]}}
        if p.bounds
        else {"center": [34.75, 113.65], "zoom": 11}
    )
    return dl.Map(
        layers,
        id=ids.ALERTS_CONFIRM_MAP,
        **frame,
        trackViewport=False,
        zoomControl=False,
        attributionControl=False,
        scrollWheelZoom=False,
        # it is unmounted when the dialog closes: no animation may still be running
        zoomAnimation=False,
        fadeAnimation=False,
        markerZoomAnimation=False,
        className="gw-alerts-confirm-map",
    )


def _confirm_facts(p: Preview) -> list[Component]:
    """级别 (from → to on a change), 区域, 类别, 标题, 有效期, 下发范围 as Dt/Dd pairs."""
    level = [_chip(p.level, p.level_label)]
    if p.from_level:
        level = [_chip(p.from_level, p.from_level_label), html.Span(" → "), *level]
    facts: list[tuple[str, str | Sequence[Component]]] = [
        ("级别", level),
        ("区域", p.place),
        ("类别", p.category_label),
        ("标题", p.title),
        ("有效期", p.validity),
        ("下发范围", p.target_label),
    ]
    return [item for k, v in facts for item in (html.Dt(k), html.Dd(v))]


def alerts_layout(
    who: SessionUser, tile_url: str, scope_id: int, issue_token: str, act_token: str
) -> html.Div:
    """The page; the form tokens (one per form, renewed after each success) make a double
    click on 确认 send once."""
    body: list[Any] = [
        dcc.Interval(id=ids.ALERTS_TICK, interval=REFRESH_MS),
        dcc.Interval(id=ids.ALERTS_SLOW_TICK, interval=SLOW_REFRESH_MS),
        dcc.Store(id=ids.ALERTS_MAP_NODE, data=scope_id),
        dcc.Store(id=ids.ALERTS_SELECTED),
        dcc.Store(id=ids.ALERTS_REFRESH, data=0),
        dcc.Store(id=ids.ALERTS_ISSUE_TOKEN, data=issue_token),
        dcc.Store(id=ids.ALERTS_ACT_TOKEN, data=act_token),
        dcc.Store(id=ids.ALERTS_LIST_SHOWN),
        dcc.Store(id=ids.ALERTS_DETAIL_SHOWN),
        dcc.Store(id=ids.ALERTS_INCIDENTS_SHOWN),
        dcc.Store(id=ids.ALERTS_PAGE, data=0),
        dcc.Store(id=ids.ALERTS_PENDING_CHANGE),
        html.Div(
            [
                _issue_card(tile_url),
                html.Div(
                    [
                        html.Section(
                            [
                                html.H2(
                                    [
                                        "生效预警",
                                        html.Span(
                                            id=ids.ALERTS_LIST_COUNT, className="gw-alerts-count"
                                        ),
                                    ]
                                ),
                                html.Div(id=ids.ALERTS_LIST, className="gw-alerts-list-box"),
                            ],
                            className="gw-card",
                        ),
                        html.Section(
                            [html.H2("预警详情与签收进度"), _detail_frame()],
                            className="gw-card gw-alerts-detail",
                        ),
                        html.Section(
                            [html.H2("事件调度"), html.Div(id=ids.ALERTS_INCIDENTS)],
                            className="gw-card",
                        ),
                    ],
                    className="gw-alerts-side",
                ),
            ],
            className="gw-alerts-grid",
        ),
        confirm_dialog(),
    ]
    return app_page(who, "/duty", "值班预警", body)


def row_values(row: AlertSummary, selected: int | None) -> dict[str, str]:
    """What one row of the live list says; the refresh compares and sets these in place."""
    p = row.progress
    return {
        "class": f"gw-alerts-row gw-alerts-level-{row.level}"
        + (" gw-alerts-row-selected" if row.id == selected else ""),
        "level": row.level,
        "badge": f"{row.level_label}预警",
        "title": row.title,
        "state": row.state_label,
        "meta": f"{row.node_name} · {row.category_label} · 有效至 {row.valid_until}",
        "acks": f"签收 {p.acknowledged}/{p.total}" + (f" · 失败 {p.failed}" if p.failed else ""),
    }


def list_values(rows: list[AlertSummary], selected: int | None) -> dict[str, Any]:
    """The live list as plain values: the order of alerts and each row's parts."""
    return {
        "ids": [row.id for row in rows],
        "rows": {str(row.id): row_values(row, selected) for row in rows},
        "count": f"（{len(rows)}）" if rows else "",
    }


def alert_list(values: dict[str, Any] | None) -> html.Div:
    """The rows, built when alerts appear, go or change order; keyed by alert id."""
    if values is None:
        return html.Div("无权查看预警", className="gw-app-empty")
    if not values["ids"]:
        return html.Div("当前无生效预警", className="gw-app-empty gw-alerts-empty")

    def part(aid: int, key: str, tag: type, css: str, text: str) -> Any:
        return tag(text, id={"type": ids.ALERTS_ROW_PART, "aid": aid, "k": key}, className=css)

    rows = []
    for aid in values["ids"]:
        v = values["rows"][str(aid)]
        rows.append(
            html.Button(
                [
                    html.Div(
                        [
                            part(aid, "badge", html.Span, "gw-alerts-badge", v["badge"]),
                            part(aid, "title", html.Strong, "gw-alerts-title", v["title"]),
                            part(aid, "state", html.Span, "gw-alerts-state", v["state"]),
                        ],
                        className="gw-alerts-row-head",
                    ),
                    part(aid, "meta", html.Div, "gw-alerts-row-meta", v["meta"]),
                    part(aid, "acks", html.Div, "gw-alerts-row-meta", v["acks"]),
                ],
                id={"type": ids.ALERTS_ROW, "aid": aid},
                className=v["class"],
                **{"data-alert": str(aid), "data-level": v["level"]},
            )
        )
    return html.Div(rows, className="gw-alerts-list")


def _progress_values(
    p: Progress,
) -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]:
    """Legend texts, segment widths and segment tooltips of the progress bar."""
    total = p.total or 1
    legend = {f"leg-{css}": f"{label} {getattr(p, name)}" for name, label, css in SEGMENTS}
    widths = {
        css: {"width": f"{100 * getattr(p, name) / total:.2f}%"} for name, _label, css in SEGMENTS
    }
    titles = {css: f"{label} {getattr(p, name)}" for name, label, css in SEGMENTS}
    return legend, widths, titles


def _timeline(d: AlertDetail) -> list[list[str]]:
    return [
        [a.label, f" {a.at} · {a.actor}", f" {a.change}" if a.change else ""] for a in d.actions
    ]


def detail_values(d: AlertDetail | None, missing: str = "") -> dict[str, Any]:
    """The detail as plain values (every text, width and flag the frame shows).

    The refresh sends them only when they differ from what is shown, and then only as
    property updates of the frame's parts, never as new components.
    """
    if d is None:
        return _empty_detail(missing)
    s = d.summary
    legend, widths, titles = _progress_values(s.progress)
    return {
        "alert": s.id,
        "note": "",
        "live": d.live,
        "head": f"gw-alerts-detail-head gw-alerts-level-{s.level}",
        "parts": _detail_parts(d, legend),
        "widths": widths,
        "titles": titles,
        "rows": _pending_rows(d),
        "none": not d.pending,
        "page": d.page,
        "prev": d.page == 0,
        "next": d.page >= d.pages - 1,
        "timeline": _timeline(d),
    }


def _empty_detail(missing: str) -> dict[str, Any]:
    """No alert picked (or ``missing`` says why it cannot be shown)."""
    return {
        "alert": None,
        "note": missing or EMPTY_DETAIL,
        "live": False,
        "head": "gw-alerts-detail-head",
        "parts": {},
        "widths": {},
        "titles": {},
        "rows": [],
        "none": True,
        "page": 0,
        "prev": True,
        "next": True,
        "timeline": [],
    }


def _detail_parts(d: AlertDetail, legend: dict[str, str]) -> dict[str, str]:
    """The texts of the head, the legend, the facts and the 未签收 heading and pager."""
    s = d.summary
    first = d.page * PENDING_PAGE_SIZE
    return {
        "badge": f"{s.level_label}预警",
        "title": s.title,
        "state": s.state_label,
        "total": f"共 {s.progress.total} 人",
        **legend,
        "fact-node": s.node_name,
        "fact-category": s.category_label,
        "fact-target": s.target_label,
        "fact-issued": f"{s.issued_at} · {s.issued_by}",
        "fact-until": s.valid_until,
        "fact-text": s.text,
        "pending-title": f"未签收人员（{d.pending_total} 人）",
        "page-info": (
            f"第 {d.page + 1} / {d.pages} 页 · {first + 1}–{first + len(d.pending)}"
            if d.pending
            else ""
        ),
    }


def _pending_rows(d: AlertDetail) -> list[dict[str, str]]:
    """One page of 未签收人员 as the DataTable's rows (``error`` styles a failed text)."""
    return [
        {
            "name": row.name,
            "post": row.post,
            "place": row.place,
            "phone": row.phone,
            "state": row.state_label,
            "error": row.error,
        }
        for row in d.pending
    ]


def timeline_items(steps: list[list[str]]) -> list[html.Li]:
    return [
        html.Li(
            [html.Strong(label), html.Span(at, className="gw-incidents-time"), html.Span(change)]
        )
        for label, at, change in steps
    ]


def incidents_view(data: dict[str, Any] | None) -> html.Div:
    if data is None:
        return html.Div("无权查看事件", className="gw-app-note")
    summary = html.Div(
        [
            html.Span(f"待受理/待派遣 {data['total']} 件"),
            html.Span(f"超时 {data['overdue']} 件", className="gw-alerts-overdue")
            if data["overdue"]
            else html.Span("无超时事件"),
            dcc.Link("前往事件处置 →", href="/events", className="gw-alerts-link"),
        ],
        className="gw-alerts-inc-summary",
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
                            html.Span(item["no"], className="gw-alerts-inc-no"),
                            html.Span(item["title"]),
                            html.Span(item["place"], className="gw-alerts-row-meta"),
                        ],
                        className="gw-alerts-inc gw-alerts-inc-red"
                        if item["red"]
                        else "gw-alerts-inc",
                    )
                    for item in data["items"]
                ],
                className="gw-alerts-incs",
            ),
        ]
    )
