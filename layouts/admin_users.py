"""/admin/users: the users in the admin's scope and a form to create one."""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.access.users import UserView
from dashboard.access.wall_playlist import MAX_SECONDS, MIN_SECONDS, VIEWS
from dashboard.auth.current import SessionUser
from data.models import ROLE_LABELS
from data.passwords import MIN_PASSWORD_LENGTH
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page
from layouts.tables import empty_state, table

COLUMNS = ["用户名", "姓名", "角色", "管辖节点", "状态", "最后登录", "操作"]


def _field(label: str, control: Component, wide: bool = False) -> html.Label:
    return html.Label(
        [html.Span(label, className="gw-field-label"), control],
        className="gw-field gw-field-wide" if wide else "gw-field",
    )


def users_table(rows: list[UserView], me: int) -> html.Div | html.Table:
    if not rows:
        return empty_state("该范围内暂无用户")
    body = []
    for u in rows:
        toggle = html.Button(
            "停用" if u.active else "启用",
            id={"type": ids.USR_TOGGLE, "uid": u.id, "to": "off" if u.active else "on"},
            className="gw-button gw-button-small" + (" gw-button-warn" if u.active else ""),
            disabled=u.id == me,
        )
        reset = html.Button(
            "重置密码",
            id={"type": ids.USR_RESET, "uid": u.id},
            className="gw-button gw-button-small",
        )
        state = html.Span(
            "启用" if u.active else "停用", className="gw-state-on" if u.active else "gw-state-off"
        )
        cells = [u.username, u.display_name, u.role_label, u.node_name, state, u.last_login]
        body.append([*cells, html.Div([toggle, reset], className="gw-cell-actions")])
    return table(COLUMNS, body)


def users_layout(
    who: SessionUser, rows: list[UserView], node_options: list[dict[str, Any]], default_node: int
) -> html.Div:
    form = html.Section(
        [
            html.H2("新建用户"),
            html.Div(
                [
                    _field("用户名", dcc.Input(id=ids.USR_USERNAME, className="gw-input")),
                    _field("姓名", dcc.Input(id=ids.USR_DISPLAY_NAME, className="gw-input")),
                    _field(
                        "角色",
                        dcc.Dropdown(
                            labels=ZH_DROPDOWN_LABELS,
                            id=ids.USR_ROLE,
                            options=[
                                {"label": v, "value": k.value} for k, v in ROLE_LABELS.items()
                            ],
                            placeholder="选择角色",
                            className="gw-select",
                        ),
                    ),
                    _field(
                        "管辖节点",
                        dcc.Dropdown(
                            labels=ZH_DROPDOWN_LABELS,
                            id=ids.USR_NODE,
                            options=node_options,
                            value=default_node,
                            clearable=False,
                            searchable=True,
                            className="gw-select",
                        ),
                        wide=True,
                    ),
                    _field(
                        "初始密码",
                        dcc.Input(
                            id=ids.USR_PASSWORD,
                            type="password",
                            autoComplete="new-password",
                            placeholder=f"至少{MIN_PASSWORD_LENGTH}位，含字母和数字",
                            className="gw-input",
                        ),
                    ),
                    html.Button(
                        "创建用户", id=ids.USR_CREATE, className="gw-button gw-button-primary"
                    ),
                ],
                className="gw-toolbar gw-form",
            ),
        ],
        className="gw-card",
    )
    return app_page(
        who,
        "/admin/users",
        "用户管理",
        [
            form,
            html.Div(id=ids.USR_MESSAGE, className="gw-msg-slot"),
            html.Div(users_table(rows, who.id), id=ids.USR_TABLE, className="gw-table-wrap"),
            playlist_form(),
        ],
    )


def playlist_form() -> html.Section:
    """大屏轮播: a wall-role account's views in order, seconds per view, on or off.

    The account list is filled by a callback (wall accounts of the admin's subtree only)."""
    return html.Section(
        [
            html.H2("大屏轮播"),
            html.P(
                "为“大屏显示”账号设置画面轮播：按选择顺序轮流显示，每屏停留时间相同；"
                "未设置或停用时大屏只显示实时地图。",
                className="gw-hint",
            ),
            html.Div(
                [
                    _field(
                        "大屏账号",
                        dcc.Dropdown(
                            labels=ZH_DROPDOWN_LABELS,
                            id=ids.USR_WALL_ACCOUNT,
                            options=[],
                            placeholder="选择大屏账号",
                            className="gw-select",
                        ),
                    ),
                    _field(
                        "轮播画面（按顺序）",
                        dcc.Dropdown(
                            labels=ZH_DROPDOWN_LABELS,
                            id=ids.USR_WALL_VIEWS,
                            options=[{"label": v, "value": k} for k, v in VIEWS.items()],
                            value=list(VIEWS),
                            multi=True,
                            className="gw-select",
                        ),
                        wide=True,
                    ),
                    _field(
                        "每屏停留（秒）",
                        dcc.Input(
                            id=ids.USR_WALL_SECONDS,
                            type="number",
                            min=MIN_SECONDS,
                            max=MAX_SECONDS,
                            step=1,
                            value=60,
                            className="gw-input",
                        ),
                    ),
                    dcc.Checklist(
                        id=ids.USR_WALL_ENABLED,
                        options=[{"label": "启用轮播", "value": "on"}],
                        value=["on"],
                        className="gw-check",
                    ),
                    html.Button(
                        "保存轮播", id=ids.USR_WALL_SAVE, className="gw-button gw-button-primary"
                    ),
                ],
                className="gw-toolbar gw-form",
            ),
            html.Div(id=ids.USR_WALL_MESSAGE, className="gw-msg-slot"),
        ],
        className="gw-card",
        style={"marginTop": "16px"},  # below the users table (pages.css spaces cards above)
    )
