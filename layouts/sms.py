"""The SMS platform page (/sms): tabs over one panel per sub-module.

发送短信 | 已发短信 | 备案短信 | 已删除短信 | 短信模板 | 用户分组 | 发送统计 | 短信日志.
The three folders share one panel (the tab picks the folder). Every panel stays in
the page and is shown or hidden, so a half-written text survives a look at the log.
Everything here is pure layout from plain values; callbacks/sms.py fills it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.access.sms import GroupView, TemplateView
from dashboard.auth.current import SessionUser
from dashboard.display_time import display_time
from data.models import DELIVERY_STATE_LABELS, DeliveryState, SmsFolder, SmsSource
from data.sms.compose import MAX_TEXT_CHARS, segments
from data.sms.folders import FOLDER_ACTIONS, MOVES, BatchPage, BatchRow
from data.sms.labels import FOLDER_LABELS, SOURCE_LABELS
from data.sms.logs import LogPage
from data.sms.stats import STATE_ORDER, DailyStats
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page, html_attrs
from layouts.tables import empty_state

REFRESH_MS = 5_000
#: inline, because a responsive dcc.Graph sets its own height to 100% unless told one
GRAPH_STYLE = {"height": "clamp(300px, 42vh, 460px)"}
TEXT_PREVIEW_CHARS = 40

TABS: tuple[tuple[str, str], ...] = (
    ("compose", "发送短信"),
    (SmsFolder.SENT.value, FOLDER_LABELS[SmsFolder.SENT]),
    (SmsFolder.FILED.value, FOLDER_LABELS[SmsFolder.FILED]),
    (SmsFolder.DELETED.value, FOLDER_LABELS[SmsFolder.DELETED]),
    ("templates", "短信模板"),
    ("groups", "用户分组"),
    ("stats", "发送统计"),
    ("logs", "短信日志"),
)
TAB_VALUES = frozenset(value for value, _ in TABS)
FOLDER_TABS = frozenset(f.value for f in SmsFolder)

FOLDER_NOTES: dict[str, str] = {
    SmsFolder.SENT.value: "已提交发送的短信（含预警短信）。发送进度每 5 秒刷新；可移入备案或删除。",
    SmsFolder.FILED.value: "已备案留存的短信，供查阅与核对；可恢复到已发短信。",
    SmsFolder.DELETED.value: "已删除的短信仍完整保留（记录不可销毁），可随时恢复。",
}

#: stacked bar colours per delivery state (the wall's palette)
STATE_COLOURS: dict[DeliveryState, str] = {
    DeliveryState.ACKNOWLEDGED: "#16a34a",
    DeliveryState.DELIVERED: "#4ade80",
    DeliveryState.SENT: "#38bdf8",
    DeliveryState.SENDING: "#a78bfa",
    DeliveryState.QUEUED: "#64748b",
    DeliveryState.FAILED: "#ef4444",
}
#: the order of the progress bar in a folder row: done, waiting, failed
PROGRESS_ORDER = (
    DeliveryState.ACKNOWLEDGED,
    DeliveryState.DELIVERED,
    DeliveryState.SENT,
    DeliveryState.SENDING,
    DeliveryState.QUEUED,
    DeliveryState.FAILED,
)


def _field(label: str, control: Any, wide: bool = False, extra: str = "") -> html.Label:
    classes = "gw-field gw-field-wide" if wide else "gw-field"
    return html.Label(
        [html.Span(label, className="gw-field-label"), control],
        className=f"{classes} {extra}".strip(),
    )


def _dropdown(
    id_: str, options: list[dict[str, Any]], placeholder: str, multi: bool = False, **kw: Any
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id_,
        options=options,
        multi=multi,
        placeholder=placeholder,
        className="gw-select",
        labels=ZH_DROPDOWN_LABELS,
        **kw,
    )


def _pager(prev_id: str, label_id: str, next_id: str) -> html.Div:
    return html.Div(
        [
            html.Button("上一页", id=prev_id, className="gw-button", disabled=True),
            html.Span(id=label_id, className="gw-pager-label"),
            html.Button("下一页", id=next_id, className="gw-button", disabled=True),
        ],
        className="gw-pager",
    )


def truncate(text: str, limit: int = TEXT_PREVIEW_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def counter_text(text: str | None) -> str:
    """ "37 / 500 字 · 每人 1 条短信": the same words the browser's counter writes."""
    n = len((text or "").strip())
    if n > MAX_TEXT_CHARS:
        return f"{n} / {MAX_TEXT_CHARS} 字 · 超出 {n - MAX_TEXT_CHARS} 字，请删减"
    return f"{n} / {MAX_TEXT_CHARS} 字 · 每人 {segments((text or '').strip())} 条短信"


# -- compose -------------------------------------------------------------------------


def _compose_panel(
    groups: list[dict[str, Any]], templates: list[dict[str, Any]], token: str
) -> html.Section:
    return html.Section(
        [
            dcc.Store(id=ids.SMS_TOKEN, data=token),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("收件人"),
                            _field(
                                "人员（输入姓名或网格名查找，可多选）",
                                _dropdown(
                                    ids.SMS_STAFF,
                                    [],
                                    "输入姓名查找管辖范围内的人员",
                                    multi=True,
                                    searchable=True,
                                ),
                                wide=True,
                            ),
                            _field(
                                "用户分组（可多选）",
                                _dropdown(ids.SMS_GROUPS, groups, "选择分组", multi=True),
                                wide=True,
                            ),
                            html.Div(
                                "尚未选择收件人", id=ids.SMS_PREVIEW, className="gw-sms-preview"
                            ),
                        ],
                        className="gw-sms-compose-col",
                    ),
                    html.Div(
                        [
                            html.H2("短信内容"),
                            _field(
                                "短信模板（选择后填入内容，可再修改）",
                                _dropdown(ids.SMS_TEMPLATE, templates, "不使用模板"),
                                wide=True,
                            ),
                            dcc.Textarea(
                                id=ids.SMS_TEXT,
                                value="",
                                placeholder="请输入短信内容（最多 500 字）",
                                className="gw-sms-textarea",
                            ),
                            html.Div(
                                counter_text(""), id=ids.SMS_COUNTER, className="gw-sms-counter"
                            ),
                            html.P(
                                "70 字以内计 1 条；超过 70 字按长短信每 67 字 1 条计。",
                                className="gw-app-note",
                            ),
                            html.Div(
                                [
                                    html.Button(
                                        "发送",
                                        id=ids.SMS_SEND,
                                        className="gw-button gw-button-primary gw-sms-send",
                                    ),
                                ],
                                className="gw-sms-actions",
                            ),
                            html.Div(id=ids.SMS_SEND_MSG, className="gw-msg-slot"),
                        ],
                        className="gw-sms-compose-col",
                    ),
                ],
                className="gw-sms-compose",
            ),
        ],
        id=ids.SMS_PANEL_COMPOSE,
        className="gw-card gw-sms-panel",
    )


# -- folders -------------------------------------------------------------------------


def _progress(row: BatchRow) -> html.Div:
    total = max(1, sum(row.counts.values()))
    bars = [
        html.Span(
            className=f"gw-sms-bar gw-sms-bar-{state.value}",
            style={"width": f"{100 * row.counts.get(state.value, 0) / total:.1f}%"},
        )
        for state in PROGRESS_ORDER
        if row.counts.get(state.value)
    ]
    words = [
        html.Span(
            f"{DELIVERY_STATE_LABELS[state]} {row.counts[state.value]}",
            className=f"gw-sms-count gw-sms-count-{state.value}",
        )
        for state in PROGRESS_ORDER
        if row.counts.get(state.value)
    ]
    return html.Div(
        [html.Div(bars, className="gw-sms-progress"), html.Div(words, className="gw-sms-counts")]
    )


def _source(source: SmsSource) -> html.Span:
    return html.Span(SOURCE_LABELS[source], className=f"gw-sms-source gw-sms-source-{source}")


def folder_table(page: BatchPage, folder: str) -> html.Div | html.Table:
    if not page.rows:
        return empty_state(f"{FOLDER_LABELS[SmsFolder(folder)]}中暂无短信")
    actions = FOLDER_ACTIONS[SmsFolder(folder)]
    rows = []
    for r in page.rows:
        buttons = [
            html.Button(
                MOVES[a].label,
                id={"type": ids.SMS_MOVE, "bid": r.id, "action": a},
                className="gw-button gw-button-small"
                + (" gw-button-warn" if a == "delete" else ""),
            )
            for a in actions
        ]
        rows.append(
            html.Tr(
                [
                    html.Td(display_time(r.created_at), className="gw-sms-time"),
                    html.Td(_source(r.source)),
                    html.Td(truncate(r.text), title=r.text, className="gw-sms-text"),
                    html.Td(r.author, className="gw-sms-nowrap"),
                    html.Td(f"{r.recipient_count} 人", className="gw-cell-num"),
                    html.Td(_progress(r), className="gw-sms-progress-cell"),
                    html.Td(html.Div(buttons, className="gw-cell-actions")),
                ],
                **html_attrs({"data-batch": str(r.id)}),
            )
        )
    head = ["时间", "来源", "内容", "发送人", "收件人", "发送进度", "操作"]
    return html.Table(
        [html.Thead(html.Tr([html.Th(c) for c in head])), html.Tbody(rows)],
        className="gw-table gw-sms-table",
    )


def _folder_panel() -> html.Section:
    return html.Section(
        [
            html.H2(id=ids.SMS_FOLDER_TITLE),
            html.P(id=ids.SMS_FOLDER_SUMMARY, className="gw-app-note"),
            html.Div(id=ids.SMS_FOLDER_MSG, className="gw-msg-slot"),
            html.Div(id=ids.SMS_FOLDER_TABLE, className="gw-table-wrap"),
            _pager(ids.SMS_FOLDER_PREV, ids.SMS_FOLDER_PAGER, ids.SMS_FOLDER_NEXT),
            dcc.Store(id=ids.SMS_FOLDER_PAGE, data=0),
        ],
        id=ids.SMS_PANEL_FOLDER,
        className="gw-card gw-sms-panel",
        hidden=True,
    )


# -- templates -----------------------------------------------------------------------


def _edit_delete_cell(edit: str, delete: str, key: str, row_id: int, what: str) -> html.Td:
    """编辑 and 删除 (after a confirmation) for one template or group row."""
    return html.Td(
        html.Div(
            [
                html.Button(
                    "编辑", id={"type": edit, key: row_id}, className="gw-button gw-button-small"
                ),
                dcc.ConfirmDialogProvider(
                    html.Button("删除", className="gw-button gw-button-small gw-button-warn"),
                    id={"type": delete, key: row_id},
                    message=f"确定删除{what}？已发送的短信不受影响。",
                ),
            ],
            className="gw-cell-actions",
        )
    )


def _template_actions(t: TemplateView) -> html.Td:
    """编辑/删除 for templates in the user's subtree; an ancestor's is only to be used."""
    if t.editable:
        return _edit_delete_cell(
            ids.SMS_TPL_EDIT, ids.SMS_TPL_DELETE, "tid", t.id, f"模板「{t.name}」"
        )
    return html.Td(
        html.Span("上级模板（只读）", className="gw-sms-readonly"),
        title="上级单位的模板可以选用，不能修改或删除",
    )


def template_table(rows: list[TemplateView]) -> html.Div | html.Table:
    if not rows:
        return empty_state("暂无短信模板：在右侧新建一个，发送时即可选用")
    body = [
        html.Tr(
            [
                html.Td(t.name, className="gw-cell-name"),
                html.Td(truncate(t.text, 60), title=t.text, className="gw-sms-text"),
                html.Td(f"{len(t.text)} 字 / {segments(t.text)} 条", className="gw-sms-nowrap"),
                html.Td(t.place, className="gw-sms-nowrap"),
                html.Td(t.created_by, className="gw-sms-nowrap"),
                html.Td(t.updated, className="gw-sms-time"),
                _template_actions(t),
            ],
            **html_attrs({"data-template": str(t.id)}),
        )
        for t in rows
    ]
    head = ["名称", "内容", "长度", "所属单位", "创建人", "更新时间", "操作"]
    return html.Table(
        [html.Thead(html.Tr([html.Th(c) for c in head])), html.Tbody(body)],
        className="gw-table gw-sms-table",
    )


def _templates_panel(rows: list[TemplateView]) -> html.Section:
    form = html.Div(
        [
            html.H2("新建模板", id=ids.SMS_TPL_FORM_TITLE),
            _field("模板名称", dcc.Input(id=ids.SMS_TPL_NAME, className="gw-input"), wide=True),
            _field(
                "模板内容",
                dcc.Textarea(id=ids.SMS_TPL_TEXT, className="gw-sms-textarea gw-sms-textarea-sm"),
                wide=True,
            ),
            dcc.Store(id=ids.SMS_TPL_EDITING),
            html.Div(
                [
                    html.Button(
                        "保存", id=ids.SMS_TPL_SAVE, className="gw-button gw-button-primary"
                    ),
                    html.Button("新建", id=ids.SMS_TPL_NEW, className="gw-button"),
                ],
                className="gw-sms-actions",
            ),
            html.Div(id=ids.SMS_TPL_MSG, className="gw-msg-slot"),
        ],
        className="gw-sms-form",
    )
    return html.Section(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("短信模板"),
                            html.P(
                                "模板属于创建人所在单位，本单位及下级可选用；"
                                "上级单位的模板只能选用，不能修改或删除。",
                                className="gw-app-note",
                            ),
                            html.Div(
                                template_table(rows),
                                id=ids.SMS_TPL_TABLE,
                                className="gw-table-wrap",
                            ),
                        ],
                        className="gw-sms-list",
                    ),
                    form,
                ],
                className="gw-sms-two",
            )
        ],
        id=ids.SMS_PANEL_TEMPLATES,
        className="gw-card gw-sms-panel",
        hidden=True,
    )


# -- groups --------------------------------------------------------------------------


def group_table(rows: list[GroupView]) -> html.Div | html.Table:
    if not rows:
        return empty_state("暂无用户分组：在右侧新建一个，发送时可整组选择")
    body = [
        html.Tr(
            [
                html.Td(g.name, className="gw-cell-name"),
                html.Td(g.place),
                html.Td(f"{g.member_count} 人", className="gw-cell-num"),
                html.Td(g.created_by, className="gw-sms-nowrap"),
                html.Td(g.created, className="gw-sms-time"),
                _edit_delete_cell(
                    ids.SMS_GRP_EDIT, ids.SMS_GRP_DELETE, "gid", g.id, f"分组「{g.name}」"
                ),
            ],
            **html_attrs({"data-group": str(g.id)}),
        )
        for g in rows
    ]
    head = ["名称", "所属范围", "人数", "创建人", "创建时间", "操作"]
    return html.Table(
        [html.Thead(html.Tr([html.Th(c) for c in head])), html.Tbody(body)],
        className="gw-table gw-sms-table",
    )


def _groups_panel(rows: list[GroupView]) -> html.Section:
    form = html.Div(
        [
            html.H2("新建分组", id=ids.SMS_GRP_FORM_TITLE),
            _field("分组名称", dcc.Input(id=ids.SMS_GRP_NAME, className="gw-input"), wide=True),
            _field(
                "成员（输入姓名或网格名查找，可多选）",
                _dropdown(ids.SMS_GRP_MEMBERS, [], "输入姓名查找人员", multi=True, searchable=True),
                wide=True,
            ),
            dcc.Store(id=ids.SMS_GRP_EDITING),
            html.Div(
                [
                    html.Button(
                        "保存", id=ids.SMS_GRP_SAVE, className="gw-button gw-button-primary"
                    ),
                    html.Button("新建", id=ids.SMS_GRP_NEW, className="gw-button"),
                ],
                className="gw-sms-actions",
            ),
            html.Div(id=ids.SMS_GRP_MSG, className="gw-msg-slot"),
        ],
        className="gw-sms-form",
    )
    return html.Section(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("用户分组"),
                            html.P(
                                "分组属于创建人的管辖范围，成员须在该范围内；发送时会再次核对。",
                                className="gw-app-note",
                            ),
                            html.Div(
                                group_table(rows), id=ids.SMS_GRP_TABLE, className="gw-table-wrap"
                            ),
                        ],
                        className="gw-sms-list",
                    ),
                    form,
                ],
                className="gw-sms-two",
            )
        ],
        id=ids.SMS_PANEL_GROUPS,
        className="gw-card gw-sms-panel",
        hidden=True,
    )


# -- statistics ----------------------------------------------------------------------


def _day_range(days: list[dt.date]) -> list[str] | None:
    """Bars sit on midnight: from noon the day before the first to noon of the last."""
    if not days:
        return None
    before = days[0] - dt.timedelta(days=1)
    return [f"{before.isoformat()} 12:00", f"{days[-1].isoformat()} 12:00"]


def stats_figure(data: DailyStats) -> go.Figure:
    """Stacked bars per China-time day, one colour per state, Chinese hover text."""
    days = [d.isoformat() for d in data.days]
    fig = go.Figure()
    for state in STATE_ORDER:
        counts = data.by_state.get(state.value, [0] * len(days))
        if not any(counts):
            continue
        fig.add_bar(
            x=days,
            y=counts,
            name=DELIVERY_STATE_LABELS[state],
            marker_color=STATE_COLOURS[state],
            hovertemplate="%{x|%m-%d} " + DELIVERY_STATE_LABELS[state] + "：%{y} 条<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "Noto Sans CJK SC, Noto Sans SC, sans-serif", "color": "#cbd5e1"},
        margin={"l": 48, "r": 16, "t": 36, "b": 40},
        legend={"orientation": "h", "x": 0, "y": 1.12},
        bargap=0.25,
        # a date axis thins its own labels; %m-%d keeps month names (English) out
        xaxis={
            "type": "date",
            "tickformat": "%m-%d",
            "gridcolor": "#1c2c4a",
            # half a day of room on each side, so the first and last bars are whole
            "range": _day_range(data.days),
        },
        showlegend=True,
        yaxis={"title": {"text": "短信条数"}, "gridcolor": "#1c2c4a", "rangemode": "tozero"},
        hoverlabel={"font": {"family": "Noto Sans CJK SC, sans-serif"}},
    )
    return fig


def stats_totals(data: DailyStats) -> list[html.Div]:
    rate = (
        f"{100 * data.succeeded / (data.succeeded + data.failed):.1f}%"
        if (data.succeeded + data.failed)
        else "—"
    )
    cards = [
        ("合计", f"{data.total:,}", ""),
        ("发送成功", f"{data.succeeded:,}", "ok"),
        ("发送失败", f"{data.failed:,}", "bad" if data.failed else ""),
        ("待发送", f"{data.pending:,}", ""),
        ("成功率", rate, ""),
    ]
    return [
        html.Div(
            [
                html.Div(label, className="gw-sms-kpi-label"),
                html.Div(value, className="gw-sms-kpi"),
            ],
            className=f"gw-sms-kpi-card gw-sms-kpi-{tone}" if tone else "gw-sms-kpi-card",
        )
        for label, value, tone in cards
    ]


def _stats_panel() -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.H2("发送统计"),
                    dcc.RadioItems(
                        id=ids.SMS_STATS_SOURCE,
                        options=[{"label": "全部", "value": "all"}]
                        + [{"label": v, "value": k.value} for k, v in SOURCE_LABELS.items()],
                        value="all",
                        inline=True,
                        className="gw-sms-radio",
                    ),
                    dcc.RadioItems(
                        id=ids.SMS_STATS_DAYS,
                        options=[
                            {"label": "近 7 天", "value": 7},
                            {"label": "近 30 天", "value": 30},
                        ],
                        value=30,
                        inline=True,
                        className="gw-sms-radio",
                    ),
                ],
                className="gw-sms-stats-head",
            ),
            html.P(
                "按短信排队日期（北京时间）统计管辖范围内人员收到的短信，颜色为当前状态。",
                className="gw-app-note",
            ),
            html.Div(id=ids.SMS_STATS_TOTALS, className="gw-sms-kpis"),
            html.Div(id=ids.SMS_STATS_EMPTY, className="gw-msg-slot"),
            dcc.Graph(
                id=ids.SMS_STATS_GRAPH,
                config={"displayModeBar": False},
                responsive=True,
                style=GRAPH_STYLE,
                className="gw-sms-graph",
            ),
        ],
        id=ids.SMS_PANEL_STATS,
        className="gw-card gw-sms-panel",
        hidden=True,
    )


# -- logs ----------------------------------------------------------------------------


def log_table(page: LogPage) -> html.Div | html.Table:
    if not page.rows:
        return empty_state("没有符合条件的短信记录")
    body = []
    for r in page.rows:
        failed = r.state == DeliveryState.FAILED
        action: Any = (
            html.Button(
                "重发",
                id={"type": ids.SMS_RESEND, "did": r.id},
                className="gw-button gw-button-small gw-button-warn",
            )
            if failed
            else ""
        )
        body.append(
            html.Tr(
                [
                    html.Td(display_time(r.queued_at), className="gw-sms-time"),
                    html.Td(r.staff_name, className="gw-cell-name"),
                    html.Td(r.phone or "—", className="gw-cell-mono"),
                    html.Td(_source(r.source)),
                    html.Td(
                        html.Span(
                            DELIVERY_STATE_LABELS[r.state],
                            className=f"gw-sms-state gw-sms-state-{r.state.value}",
                        )
                    ),
                    html.Td(str(r.attempts), className="gw-cell-num"),
                    html.Td(r.last_error or "", className="gw-sms-error"),
                    html.Td(truncate(r.text, 24), title=r.text, className="gw-sms-text"),
                    html.Td(action),
                ],
                className="gw-sms-row-failed" if failed else "",
                **html_attrs({"data-delivery": str(r.id)}),
            )
        )
    head = ["时间", "收件人", "手机号", "来源", "状态", "尝试", "错误信息", "内容", "操作"]
    return html.Table(
        [html.Thead(html.Tr([html.Th(c) for c in head])), html.Tbody(body)],
        className="gw-table gw-sms-table gw-sms-log",
    )


def _logs_panel() -> html.Section:
    return html.Section(
        [
            html.H2("短信日志"),
            html.Div(
                [
                    _field(
                        "状态",
                        _dropdown(
                            ids.SMS_LOG_STATE,
                            [
                                {"label": v, "value": k.value}
                                for k, v in DELIVERY_STATE_LABELS.items()
                            ],
                            "全部状态",
                            multi=True,
                        ),
                    ),
                    _field(
                        "来源",
                        _dropdown(
                            ids.SMS_LOG_SOURCE,
                            [{"label": v, "value": k.value} for k, v in SOURCE_LABELS.items()],
                            "全部来源",
                        ),
                    ),
                ],
                className="gw-toolbar gw-sms-filters",
            ),
            html.P(id=ids.SMS_LOG_SUMMARY, className="gw-app-note"),
            html.Div(id=ids.SMS_LOG_MSG, className="gw-msg-slot"),
            html.Div(id=ids.SMS_LOG_TABLE, className="gw-table-wrap"),
            _pager(ids.SMS_LOG_PREV, ids.SMS_LOG_PAGER, ids.SMS_LOG_NEXT),
            dcc.Store(id=ids.SMS_LOG_PAGE, data=0),
        ],
        id=ids.SMS_PANEL_LOGS,
        className="gw-card gw-sms-panel",
        hidden=True,
    )


# -- the page ------------------------------------------------------------------------


def sms_layout(
    who: SessionUser,
    tab: str,
    *,
    groups: list[dict[str, Any]],
    templates: list[dict[str, Any]],
    template_rows: list[TemplateView],
    group_rows: list[GroupView],
    token: str,
) -> html.Div:
    tabs = dcc.Tabs(
        id=ids.SMS_TABS,
        value=tab if tab in TAB_VALUES else "compose",
        children=[
            dcc.Tab(
                label=label,
                value=value,
                className="gw-sms-tab",
                selected_className="gw-sms-tab-active",
            )
            for value, label in TABS
        ],
        className="gw-sms-tabs",
        parent_className="gw-sms-tabs-parent",
    )
    body = [
        dcc.Interval(id=ids.SMS_TICK, interval=REFRESH_MS),
        tabs,
        _compose_panel(groups, templates, token),
        _folder_panel(),
        _templates_panel(template_rows),
        _groups_panel(group_rows),
        _stats_panel(),
        _logs_panel(),
    ]
    return app_page(who, "/sms", "短信平台", [html.Div(body, className="gw-sms")])
