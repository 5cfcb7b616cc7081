"""The statistics page (/stats, 统计报表): period picker, breadcrumb, the rates table of the
level below the node in focus (its total last), the seed's four rates as grouped bars,
found vs closed per month, and the red/yellow card list.

Tablet first: rows, crumbs and buttons are at least 44 px high, the wide table scrolls
sideways inside its panel with the unit column held, and every number is written in
the cell (nothing only on hover; assets/stats.css).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.access.assessment import LEVEL_LABELS, Crumb
from dashboard.access.stats import SEED_RATES, CardRow, Cell, Column, StatsRow, StatsView
from dashboard.auth.current import SessionUser
from layouts import ids
from layouts.leader import PERIOD_KINDS, PLACEHOLDERS, chart_panel
from layouts.leader import crumbs as leader_crumbs
from layouts.shell import app_page
from layouts.tables import empty_state

EMPTY = "本期无数据"
NO_CARDS = "本期无红黄牌"
GRAPH_STYLE = {"height": "320px"}
RATE_COLORS = {
    "discovery_rate": "#38bdf8",
    "dispatch_rate": "#a78bfa",
    "feedback_rate": "#34d399",
    "closure_rate": "#fbbf24",
}
COLORS = {"found": "#38bdf8", "closed": "#34d399"}


def stats_layout(who: SessionUser, kind: str, value: str) -> html.Div:
    """The page frame; the callbacks fill it for the period and the node in focus."""
    body = [
        _toolbar(kind, value),
        html.Div(id=ids.STATS_MSG),
        html.Nav(id=ids.STATS_CRUMBS, className="gw-lead-crumbs"),
        html.Section(
            [
                _panel_head(
                    html.H2(id=ids.STATS_TITLE, className="gw-lead-h2"),
                    ids.STATS_EXPORT_RATES_CSV,
                    ids.STATS_EXPORT_RATES_XLSX,
                ),
                dcc.Loading(html.Div(id=ids.STATS_TABLE), type="dot"),
            ],
            className="gw-lead-panel gw-stats-rates",
        ),
        html.Div(
            [
                chart_panel(
                    "四项比率（调查发现率 · 处置交办率 · 上报反馈率 · 结案率）",
                    ids.STATS_RATES_CHART,
                    "gw-lead-panel gw-stats-chart",
                    GRAPH_STYLE,
                ),
                chart_panel(
                    "每月发现与结案（近 12 个月）",
                    ids.STATS_MONTHLY,
                    "gw-lead-panel gw-stats-chart",
                    GRAPH_STYLE,
                ),
            ],
            className="gw-stats-charts",
        ),
        html.Section(
            [
                _panel_head(
                    html.H2("红黄牌", id=ids.STATS_CARDS_TITLE, className="gw-lead-h2"),
                    ids.STATS_EXPORT_CARDS_CSV,
                    ids.STATS_EXPORT_CARDS_XLSX,
                ),
                dcc.Loading(html.Div(id=ids.STATS_CARDS), type="dot"),
            ],
            className="gw-lead-panel gw-stats-cards",
        ),
        dcc.Store(id=ids.STATS_NODE, data=None),
    ]
    return app_page(who, "/stats", "统计报表", body)


def _toolbar(kind: str, value: str) -> html.Div:
    return html.Div(
        [
            dcc.RadioItems(
                id=ids.STATS_KIND,
                options=PERIOD_KINDS,
                value=kind,
                className="gw-lead-kinds",
                inputClassName="gw-lead-kind-input",
                labelClassName="gw-lead-kind",
            ),
            dcc.Input(
                id=ids.STATS_VALUE,
                type="text",
                value=value,
                debounce=True,
                placeholder=PLACEHOLDERS.get(kind, ""),
                className="gw-input gw-lead-value",
            ),
            html.Button("查询", id=ids.STATS_APPLY, className="gw-button gw-lead-button"),
        ],
        className="gw-toolbar gw-lead-toolbar",
    )


def _panel_head(title: Any, csv_id: str, xlsx_id: str) -> html.Div:
    links = [
        html.A(
            "导出 CSV", id=csv_id, href="", className="gw-button gw-button-secondary gw-lead-button"
        ),
        html.A(
            "导出 Excel",
            id=xlsx_id,
            href="",
            className="gw-button gw-button-secondary gw-lead-button",
        ),
    ]
    return html.Div(
        [title, html.Div(links, className="gw-stats-exports")], className="gw-stats-head"
    )


# -- parts the callbacks fill -------------------------------------------------------------------


def crumbs(path: list[Crumb]) -> list[Any]:
    """The breadcrumb as /leader's, with /stats's ids."""
    return leader_crumbs(path, ids.STATS_CRUMB)


def title(view: StatsView) -> str:
    return f"{view.node.name} · 各{LEVEL_LABELS[view.level]}统计 · {view.period.label()}"


def rates_table(view: StatsView) -> html.Div:
    """One row per unit (tap to drill down, except staff members), the node's total last."""
    if not view.rows or not _has_data([*view.rows, view.total]):
        return empty_state(EMPTY)
    drill = view.level != "staff"
    head = html.Thead(
        html.Tr(
            [
                html.Th(LEVEL_LABELS[view.level], className="gw-stats-unit"),
                html.Th("发现"),
                html.Th("结案"),
            ]
            + [html.Th(col.label) for col in view.columns]
        )
    )
    body = [_row(r, view.columns, drill, short_name(r.name, view)) for r in view.rows]
    body.append(_row(view.total, view.columns, False, view.total.name, total=True))
    table = html.Table([head, html.Tbody(body)], className="gw-table gw-stats-table")
    hint = ("点选一行查看下一级" if drill else "网格员为最低一级") + " · 表格可左右滑动"
    return html.Div(
        [html.Div(table, className="gw-stats-scroll"), html.P(hint, className="gw-app-note")]
    )


def _has_data(rows: list[StatsRow]) -> bool:
    """Anything happened: a count, or an indicator with something to divide by."""
    return any(r.found or r.closed or any(c.denominator for c in r.cells.values()) for r in rows)


def short_name(name: str, view: StatsView) -> str:
    """A grid's name without its community when that community is in focus (the title
    names it): "第2网格", not "康桥西社区 · 第2网格" on every row."""
    prefix = f"{view.node.name} · "
    return name[len(prefix) :] if name.startswith(prefix) else name


def _row(row: StatsRow, cols: list[Column], drill: bool, name: str, total: bool = False) -> html.Tr:
    cells = [
        html.Td(name, className="gw-stats-unit gw-lead-name"),
        html.Td(f"{row.found:,}", className="gw-num"),
        html.Td(f"{row.closed:,}", className="gw-num"),
    ] + [html.Td(_cell(col, row.cells[col.code]), className="gw-num") for col in cols]
    css = "gw-stats-total" if total else ("gw-lead-row" if drill else "")
    if not drill:
        return html.Tr(cells, className=css)
    return html.Tr(
        cells,
        id={"type": ids.STATS_ROW, "uid": row.unit_id},
        n_clicks=0,
        className=css,
        role="button",
        tabIndex="0",
    )


def _cell(col: Column, cell: Cell) -> list[Any]:
    """A rate as % over its raw numbers; "—" with nothing to divide by."""
    if col.kind == "deduction":
        deducted = cell.numerator or 0
        return [html.Span(f"扣 {_plain(deducted)}" if deducted else "—")]
    if col.kind == "median":
        if cell.value is None:
            return ["—"]
        return [
            f"{cell.value:,.0f} 秒",
            html.Div(f"签收 {_plain(cell.denominator)}", className="gw-stats-raw"),
        ]
    if cell.value is None:
        return ["—"]
    return [
        f"{cell.value * 100:.1f}%",
        html.Div(f"{_plain(cell.numerator)}/{_plain(cell.denominator)}", className="gw-stats-raw"),
    ]


def _plain(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def card_list(view: StatsView) -> list[Any]:
    """Every card of every level below, red first (red rows red); the cap said when hit."""
    out: list[Any] = []
    if view.cards_note:
        out.append(html.P(view.cards_note, className="gw-stats-capped"))
    if not view.cards:
        return [*out, empty_state(NO_CARDS)]
    rows = [_card_row(c) for c in view.cards]
    head = html.Thead(html.Tr([html.Th(c) for c in ["层级", "单位", "牌色", "原因"]]))
    out.append(
        html.Div(
            html.Table([head, html.Tbody(rows)], className="gw-table gw-stats-card-table"),
            className="gw-stats-scroll",
        )
    )
    return out


def cards_title(view: StatsView) -> str:
    red = sum(1 for c in view.cards if c.color == "red")
    yellow = len(view.cards) - red
    return f"红黄牌（{view.cards_total} 张；列出红牌 {red}、黄牌 {yellow}）"


def _card_row(card: CardRow) -> html.Tr:
    chip = html.Span(card.color_label, className=f"gw-lead-card gw-lead-card-{card.color}")
    return html.Tr(
        [html.Td(card.level_label), html.Td(card.name), html.Td(chip), html.Td(card.reason)],
        className=f"gw-stats-card-{card.color}",
    )


# -- figures ----------------------------------------------------------------------------------


def _dark(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#cbd5e1", "size": 13},
        margin={"l": 48, "r": 12, "t": 12, "b": 40},
        legend={"orientation": "h", "y": -0.22},
    )
    fig.update_xaxes(gridcolor="#1c2c4a", type="category")
    fig.update_yaxes(gridcolor="#1c2c4a", rangemode="tozero")
    return fig


def empty_figure(text: str = EMPTY) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, font={"size": 16, "color": "#8da2c0"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _dark(fig)


def rates_figure(view: StatsView) -> go.Figure:
    """The seed's four rates per unit as grouped bars (%); a rate with no denominator is left
    out (no bar), not drawn as zero."""
    labels = {col.code: col.label for col in view.columns}
    shown = [code for code in SEED_RATES if code in labels]
    names = [short_name(r.name, view) for r in view.rows]
    traces = []
    for code in shown:
        values = [r.cells[code].value for r in view.rows]
        if all(v is None for v in values):
            continue
        traces.append(
            go.Bar(
                x=names,
                y=[None if v is None else round(v * 100, 1) for v in values],
                name=labels[code],
                marker_color=RATE_COLORS.get(code),
                hovertemplate="%{x}<br>" + labels[code] + " %{y:.1f}%<extra></extra>",
            )
        )
    if not traces:
        return empty_figure()
    fig = _dark(go.Figure(traces))
    fig.update_layout(
        barmode="group", bargap=0.25, legend={"orientation": "h", "y": 1.14}, margin={"t": 40}
    )
    fig.update_xaxes(automargin=True, tickangle=-30 if len(names) > 6 else 0)
    fig.update_yaxes(range=[0, 105], ticksuffix="%")
    return fig


def monthly_figure(monthly: list[tuple[str, int, int]]) -> go.Figure:
    if not any(found or closed for _, found, closed in monthly):
        return empty_figure()
    months = [m for m, _, _ in monthly]
    fig = go.Figure(
        [
            go.Bar(
                x=months, y=[f for _, f, _ in monthly], name="发现", marker_color=COLORS["found"]
            ),
            go.Bar(
                x=months, y=[c for _, _, c in monthly], name="结案", marker_color=COLORS["closed"]
            ),
        ]
    )
    fig.update_layout(barmode="group")
    return _dark(fig)
