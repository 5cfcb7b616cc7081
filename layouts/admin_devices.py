"""/admin/devices: terminals of the staff in the admin's scope; tokens are shown once."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.access.devices import DeviceView
from dashboard.auth.current import SessionUser
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page
from layouts.tables import empty_state, table

COLUMNS = ["终端标识", "持有人", "网格", "状态", "登记时间", "变更时间", "操作"]


def devices_table(rows: list[DeviceView]) -> html.Div | html.Table:
    if not rows:
        return empty_state("该范围内暂无登记终端")
    body = []
    for d in rows:
        actions: list[Any] = []
        if d.active:
            actions = [
                html.Button(
                    "更换令牌",
                    id={"type": ids.DEV_ROTATE, "did": d.id},
                    className="gw-button gw-button-small",
                ),
                dcc.ConfirmDialogProvider(
                    html.Button("注销", className="gw-button gw-button-small gw-button-warn"),
                    id={"type": ids.DEV_REVOKE, "did": d.id},
                    message=f"确定注销终端 {d.identifier}？注销后其令牌立即失效，无法恢复。",
                ),
            ]
        state = html.Span(d.status_label, className="gw-state-on" if d.active else "gw-state-off")
        cells = [d.identifier, d.staff, d.grid, state, d.created, d.changed]
        body.append([*cells, html.Div(actions, className="gw-cell-actions")])
    return table(COLUMNS, body)


def devices_layout(
    who: SessionUser, rows: list[DeviceView], staff: list[dict[str, Any]]
) -> html.Div:
    form = html.Section(
        [
            html.H2("登记终端"),
            html.Div(
                [
                    html.Label(
                        [
                            html.Span("终端标识", className="gw-field-label"),
                            dcc.Input(
                                id=ids.DEV_IDENTIFIER,
                                placeholder="如 T-0001",
                                className="gw-input",
                            ),
                        ],
                        className="gw-field",
                    ),
                    html.Label(
                        [
                            html.Span("持有人", className="gw-field-label"),
                            dcc.Dropdown(
                                labels=ZH_DROPDOWN_LABELS,
                                id=ids.DEV_STAFF,
                                options=staff,
                                searchable=True,
                                placeholder="输入姓名或人员编号查找",
                                className="gw-select",
                            ),
                        ],
                        className="gw-field gw-field-wide",
                    ),
                    html.Button(
                        "登记并生成令牌", id=ids.DEV_ADD, className="gw-button gw-button-primary"
                    ),
                ],
                className="gw-toolbar gw-form",
            ),
            html.P(
                "令牌只显示一次，请立即配置到终端；系统仅保存其哈希值。", className="gw-app-note"
            ),
        ],
        className="gw-card",
    )
    return app_page(
        who,
        "/admin/devices",
        "终端管理",
        [
            form,
            html.Div(id=ids.DEV_MESSAGE, className="gw-msg-slot"),
            html.Div(devices_table(rows), id=ids.DEV_TABLE, className="gw-table-wrap"),
        ],
    )
