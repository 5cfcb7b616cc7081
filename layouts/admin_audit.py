"""/admin/audit: search the audit log of the admin's scope, export the search as CSV."""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.access.audit import AuditEntry
from dashboard.auth.current import SessionUser
from data.audit import AUDIT_ACTION_LABELS
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page
from layouts.tables import empty_state, table

COLUMNS = ["时间", "操作人", "操作", "对象", "节点", "来源地址", "结果", "详情"]


def audit_table(entries: list[AuditEntry]) -> html.Div | html.Table:
    if not entries:
        return empty_state("没有符合条件的审计记录")
    rows = [
        [
            e.at,
            e.actor,
            html.Span(e.action_label, title=e.action),
            e.target,
            e.node,
            e.address,
            html.Span(e.outcome, className="gw-state-off" if e.outcome != "成功" else ""),
            html.Span(e.detail, className="gw-cell-detail"),
        ]
        for e in entries
    ]
    return table(COLUMNS, rows, "gw-table-dense")


#: a date picker input: the browser supports it though Dash's typed keywords do not list it
_DATE: dict[str, Any] = {"type": "date"}


def _field(label: str, control: Component, wide: bool = False) -> html.Label:
    return html.Label(
        [html.Span(label, className="gw-field-label"), control],
        className="gw-field gw-field-wide" if wide else "gw-field",
    )


def audit_layout(who: SessionUser, actions: list[str]) -> html.Div:
    options = [{"label": AUDIT_ACTION_LABELS.get(a, a), "value": a} for a in actions]
    tools = html.Div(
        [
            _field(
                "操作人",
                dcc.Input(id=ids.AUD_ACTOR, placeholder="用户名包含", className="gw-input"),
            ),
            _field(
                "操作",
                dcc.Dropdown(
                    labels=ZH_DROPDOWN_LABELS,
                    id=ids.AUD_ACTION,
                    options=options,
                    placeholder="全部操作",
                    className="gw-select",
                ),
                wide=True,
            ),
            _field("开始日期", dcc.Input(id=ids.AUD_SINCE, className="gw-input", **_DATE)),
            _field("结束日期", dcc.Input(id=ids.AUD_UNTIL, className="gw-input", **_DATE)),
            html.Button("查询", id=ids.AUD_SEARCH, className="gw-button gw-button-primary"),
            html.A(
                "导出 CSV",
                id=ids.AUD_EXPORT,
                href="/admin/audit/export.csv",
                className="gw-button gw-button-secondary",
            ),
        ],
        className="gw-toolbar",
    )
    return app_page(
        who,
        "/admin/audit",
        "审计日志",
        [
            tools,
            html.P("审计日志只可追加、不可修改；个人信息在此处脱敏显示。", className="gw-app-note"),
            html.Div(id=ids.AUD_SUMMARY, className="gw-summary"),
            html.Div(id=ids.AUD_TABLE, className="gw-table-wrap"),
        ],
    )
