"""The residents page: pick a node in scope, page through its residents, masked by default."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.access.residents import MaskedResident, ResidentPage
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from data.org_tree import NodeInfo
from layouts import ids
from layouts.pickers import ZH_DROPDOWN_LABELS
from layouts.shell import app_page, html_attrs

COLUMNS = ["姓名", "性别", "年龄", "与户主关系", "住址", "标签", "身份证号", "手机号", "操作"]


def residents_layout(who: SessionUser, scope: NodeInfo, options: list[dict[str, Any]]) -> html.Div:
    tools: list[Any] = [
        html.Label(
            [
                html.Span("范围", className="gw-field-label"),
                dcc.Dropdown(
                    labels=ZH_DROPDOWN_LABELS,
                    id=ids.RES_NODE,
                    options=options,
                    value=scope.id,
                    clearable=False,
                    searchable=True,
                    placeholder="输入社区或网格名称",
                    className="gw-select",
                ),
            ],
            className="gw-field gw-field-wide",
        ),
        html.Label(
            [
                html.Span("姓名", className="gw-field-label"),
                dcc.Input(
                    id=ids.RES_SEARCH,
                    type="search",
                    debounce=True,
                    placeholder="按姓名查找",
                    className="gw-input",
                ),
            ],
            className="gw-field",
        ),
    ]
    can_export = who.can(Perm.EXPORT_RESIDENTS)
    tools.append(  # always present (the list callback writes its href), hidden without the right
        html.A(
            "导出 CSV（脱敏）",
            id=ids.RES_EXPORT,
            href=f"/residents/export.csv?node={scope.id}" if can_export else "",
            className="gw-button gw-button-secondary",
            hidden=not can_export,
        )
    )
    body = [
        html.Div(tools, className="gw-toolbar"),
        html.P(
            "身份证号与手机号默认脱敏显示；查看完整信息逐条留痕审计。",
            className="gw-app-note",
        ),
        html.Div(id=ids.RES_SUMMARY, className="gw-summary"),
        html.Div(
            [
                html.Div(
                    [
                        html.Div(id=ids.RES_TABLE, className="gw-table-wrap"),
                        html.Div(
                            [
                                html.Button("上一页", id=ids.RES_PREV, className="gw-button"),
                                html.Span(id=ids.RES_PAGER, className="gw-pager-label"),
                                html.Button("下一页", id=ids.RES_NEXT, className="gw-button"),
                            ],
                            className="gw-pager",
                        ),
                    ],
                    className="gw-split-main",
                ),
                html.Aside(
                    household_panel(None),
                    id=ids.RES_HOUSEHOLD,
                    className=PANEL_CLASS,
                ),
            ],
            className="gw-split",
        ),
        dcc.Store(id=ids.RES_PAGE, data=0),
    ]
    return app_page(who, "/residents", "居民信息", body)


def _tags(labels: list[str]) -> html.Td:
    return html.Td([html.Span(t, className="gw-tag") for t in labels] or "—")


def resident_table(page: ResidentPage, can_reveal: bool) -> html.Table:
    rows = []
    previous_household = None
    for r in page.rows:
        actions = [
            html.Button(
                "同户成员",
                id={"type": ids.RES_HOUSEHOLD_OPEN, "hid": r.household_id, "rid": r.id},
                className="gw-button gw-button-small",
            )
        ]
        if can_reveal:
            actions.append(
                html.Button(
                    "显示完整信息",
                    id={"type": ids.RES_REVEAL, "rid": r.id},
                    className="gw-button gw-button-small gw-button-warn",
                )
            )
        rows.append(
            html.Tr(
                [
                    html.Td(r.name, className="gw-cell-name"),
                    html.Td(r.gender),
                    html.Td(r.age, className="gw-cell-num"),
                    html.Td(r.relation),
                    html.Td(r.address, className="gw-cell-address"),
                    _tags(r.tags),
                    html.Td(
                        html.Span(r.id_number, id={"type": ids.RES_IDNO, "rid": r.id}),
                        className="gw-cell-mono",
                    ),
                    html.Td(
                        html.Span(r.phone, id={"type": ids.RES_PHONE, "rid": r.id}),
                        className="gw-cell-mono",
                    ),
                    html.Td(actions, className="gw-cell-actions"),
                ],
                className="gw-row-household" if r.household_id != previous_household else "",
                **html_attrs({"data-resident": str(r.id)}),
            )
        )
        previous_household = r.household_id
    return html.Table(
        [html.Thead(html.Tr([html.Th(c) for c in COLUMNS])), html.Tbody(rows)],
        className="gw-table",
    )


PANEL_CLASS = "gw-split-side gw-card"
#: on a tablet the panel floats over the table only while a household is open
OPEN_PANEL_CLASS = PANEL_CLASS + " gw-household-open"


def _panel_head(title: str) -> html.Div:
    close = html.Button(
        "关闭",
        id={"type": ids.RES_HOUSEHOLD_CLOSE, "n": 0},
        className="gw-button gw-button-small gw-panel-close",
    )
    return html.Div([html.H2(title), close], className="gw-panel-head")


def household_panel(members: list[MaskedResident] | None) -> list[Any]:
    if members is None:
        return [html.H2("同户成员"), html.P("点击表格中的“同户成员”查看一户的全部成员。")]
    if not members:
        return [_panel_head("同户成员"), html.P("无权查看该户或该户不存在。")]
    return [
        _panel_head(f"同户成员（{len(members)} 人）"),
        html.P(members[0].address, className="gw-card-sub"),
        html.Ul(
            [
                html.Li(
                    [
                        html.Div(
                            [
                                html.Strong(m.name),
                                html.Span(f"{m.relation} · {m.gender} · {m.age}岁"),
                            ],
                            className="gw-member-head",
                        ),
                        html.Div(
                            f"{m.id_number}  {m.phone}", className="gw-cell-mono gw-member-ids"
                        ),
                        html.Div([html.Span(t, className="gw-tag") for t in m.tags]),
                    ],
                    className="gw-member",
                )
                for m in members
            ],
            className="gw-members",
        ),
    ]
