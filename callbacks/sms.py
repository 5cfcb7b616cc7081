"""Callbacks of /sms (短信平台) and the page builder the router calls.

Every server callback goes through dashboard/access/sms.py, which checks
``Perm.SEND_SMS`` and the scope again for the session user; ids from the browser
(staff, groups, batches, templates, deliveries) only select inside the user's
subtree. A compose form carries a token minted when the page is built and renewed
after each send: a double click finds the first batch instead of texting twice.
Lists that change by themselves (folders, statistics, log) refresh every 5 s while
their tab is open.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.development.base_component import Component

from dashboard.access import sms as sms_access
from dashboard.auth.current import SessionUser, user
from dashboard.context import AppContext
from data.models import SmsFolder
from data.sms.compose import MAX_TEXT_CHARS, MULTI_SEGMENT_CHARS, SINGLE_SEGMENT_CHARS
from data.sms.labels import FOLDER_LABELS
from layouts import ids
from layouts.shell import app_page
from layouts.sms import (
    FOLDER_NOTES,
    FOLDER_TABS,
    GRAPH_STYLE,
    TAB_VALUES,
    folder_table,
    group_table,
    log_table,
    sms_layout,
    stats_figure,
    stats_totals,
    template_table,
)
from layouts.tables import empty_state, message

NO_ACCESS = sms_access.NO_SMS
PANELS = (
    ids.SMS_PANEL_COMPOSE,
    ids.SMS_PANEL_FOLDER,
    ids.SMS_PANEL_TEMPLATES,
    ids.SMS_PANEL_GROUPS,
    ids.SMS_PANEL_STATS,
    ids.SMS_PANEL_LOGS,
)


def _token() -> str:
    return uuid.uuid4().hex


def _tab_param(search: str | None) -> str:
    values = parse_qs((search or "").lstrip("?")).get("tab", [])
    return values[0] if values and values[0] in TAB_VALUES else "compose"


def sms_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    services, tree = context.services, context.tree.get()
    if sms_access.scope_of(tree, who) is None:
        return app_page(
            who, "/sms", "短信平台", [empty_state("尚无组织数据：请先运行 gridwatch seed")]
        )
    return sms_layout(
        who,
        _tab_param(search),
        groups=sms_access.group_options(services, tree, who),
        templates=sms_access.template_options(services, tree, who),
        template_rows=sms_access.template_rows(services, tree, who) or [],
        group_rows=sms_access.group_rows(services, tree, who) or [],
        token=_token(),
    )


def _clicked() -> bool:
    """A real click, not a button that just appeared in a re-rendered table."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def _page(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _pager(page: int, pages: int, total: int) -> tuple[str, bool, bool]:
    return f"第 {page + 1} / {pages} 页（共 {total} 条）", page <= 0, page >= pages - 1


def register_client(app: Dash) -> None:
    """Showing a panel and counting characters need no server round trip."""
    panels = ", ".join(f'"{p}"' for p in PANELS)
    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it unannotated
        f"""
        function(tab) {{
            const panels = [{panels}];
            const folders = ["sent", "filed", "deleted"];
            const shown = folders.includes(tab) ? "{ids.SMS_PANEL_FOLDER}"
                : "sms-panel-" + (tab || "compose");
            return panels.map(p => p !== shown);
        }}
        """,
        [Output(p, "hidden") for p in PANELS],
        Input(ids.SMS_TABS, "value"),
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]  # Dash leaves it unannotated
        f"""
        function(text) {{
            const n = Array.from((text || "").trim()).length;
            if (n > {MAX_TEXT_CHARS}) {{
                const over = n - {MAX_TEXT_CHARS};
                return [n + " / {MAX_TEXT_CHARS} 字 · 超出 " + over + " 字，请删减",
                        "gw-sms-counter gw-sms-counter-over"];
            }}
            const parts = n === 0 ? 0 : (n <= {SINGLE_SEGMENT_CHARS} ? 1
                : Math.ceil(n / {MULTI_SEGMENT_CHARS}));
            return [n + " / {MAX_TEXT_CHARS} 字 · 每人 " + parts + " 条短信",
                    parts > 1 ? "gw-sms-counter gw-sms-counter-long" : "gw-sms-counter"];
        }}
        """,
        Output(ids.SMS_COUNTER, "children"),
        Output(ids.SMS_COUNTER, "className"),
        Input(ids.SMS_TEXT, "value"),
    )


def register_compose(app: Dash, context: AppContext) -> None:
    services = context.services

    def find(search: str | None, chosen: Any) -> Any:
        who = user()
        if who is None or not search:
            return no_update
        return sms_access.staff_options(
            services, context.tree.get(), who, search, chosen if isinstance(chosen, list) else []
        )

    @app.callback(
        Output(ids.SMS_STAFF, "options"),
        Input(ids.SMS_STAFF, "search_value"),
        State(ids.SMS_STAFF, "value"),
        prevent_initial_call=True,
    )
    def find_staff(search: str | None, chosen: Any) -> Any:
        return find(search, chosen)

    @app.callback(
        Output(ids.SMS_GRP_MEMBERS, "options"),
        Input(ids.SMS_GRP_MEMBERS, "search_value"),
        State(ids.SMS_GRP_MEMBERS, "value"),
        prevent_initial_call=True,
    )
    def find_members(search: str | None, chosen: Any) -> Any:
        return find(search, chosen)

    @app.callback(
        Output(ids.SMS_TEXT, "value"),
        Input(ids.SMS_TEMPLATE, "value"),
        prevent_initial_call=True,
    )
    def use_template(template_id: Any) -> Any:
        who = user()
        if who is None or template_id is None:
            return no_update
        text = sms_access.template_text(services, context.tree.get(), who, template_id)
        return text or no_update

    @app.callback(
        Output(ids.SMS_PREVIEW, "children"),
        Input(ids.SMS_STAFF, "value"),
        Input(ids.SMS_GROUPS, "value"),
        prevent_initial_call=True,
    )
    def preview(staff_ids: Any, group_ids: Any) -> str:
        who = user()
        if who is None:
            return NO_ACCESS
        return sms_access.preview(services, context.tree.get(), who, staff_ids, group_ids)

    @app.callback(
        Output(ids.SMS_SEND_MSG, "children"),
        Output(ids.SMS_TOKEN, "data"),
        Output(ids.SMS_TEXT, "value", allow_duplicate=True),
        Output(ids.SMS_STAFF, "value"),
        Output(ids.SMS_GROUPS, "value"),
        Output(ids.SMS_TEMPLATE, "value"),
        Input(ids.SMS_SEND, "n_clicks"),
        State(ids.SMS_TEXT, "value"),
        State(ids.SMS_STAFF, "value"),
        State(ids.SMS_GROUPS, "value"),
        State(ids.SMS_TOKEN, "data"),
        prevent_initial_call=True,
        running=[(Output(ids.SMS_SEND, "disabled"), True, False)],
    )
    def send(_n: Any, text: Any, staff_ids: Any, group_ids: Any, token: Any) -> tuple[Any, ...]:
        who = user()
        if who is None:
            return message(NO_ACCESS, "error"), *[no_update] * 5
        done = sms_access.send(services, context.tree.get(), who, text, staff_ids, group_ids, token)
        if not done.ok:
            return message(done.message, "error"), *[no_update] * 5
        notice = f"{done.message}。发送进度见「已发短信」，失败的短信可在「短信日志」中重发。"
        return message(notice, "ok"), _token(), "", [], [], None


def register_folders(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.SMS_FOLDER_TITLE, "children"),
        Output(ids.SMS_FOLDER_SUMMARY, "children"),
        Output(ids.SMS_FOLDER_TABLE, "children"),
        Output(ids.SMS_FOLDER_PAGER, "children"),
        Output(ids.SMS_FOLDER_PREV, "disabled"),
        Output(ids.SMS_FOLDER_NEXT, "disabled"),
        Output(ids.SMS_FOLDER_PAGE, "data"),
        Output(ids.SMS_FOLDER_MSG, "children"),
        Input(ids.SMS_TABS, "value"),
        Input(ids.SMS_TICK, "n_intervals"),
        Input(ids.SMS_FOLDER_PREV, "n_clicks"),
        Input(ids.SMS_FOLDER_NEXT, "n_clicks"),
        Input({"type": ids.SMS_MOVE, "bid": ALL, "action": ALL}, "n_clicks"),
        State(ids.SMS_FOLDER_PAGE, "data"),
    )
    def show(tab: Any, _tick: Any, _p: Any, _n: Any, _moves: Any, page: Any) -> tuple[Any, ...]:
        if tab not in FOLDER_TABS:
            return (no_update,) * 8
        who = user()
        if who is None:
            return "", "", empty_state(NO_ACCESS), "", True, True, 0, ""
        tree = context.tree.get()
        trigger = ctx.triggered_id
        page = _page(page)
        notice: Any = no_update
        if trigger == ids.SMS_FOLDER_PREV:
            page -= 1
        elif trigger == ids.SMS_FOLDER_NEXT:
            page += 1
        elif isinstance(trigger, dict) and trigger.get("type") == ids.SMS_MOVE:
            if not _clicked():
                return (no_update,) * 8
            done = sms_access.move(
                context.services, tree, who, trigger.get("bid"), trigger.get("action")
            )
            notice = message(done.message, "ok" if done.ok else "error")
        elif trigger in (ids.SMS_TABS, None):
            page, notice = 0, ""
        result = sms_access.folder_page(context.services, tree, who, tab, page)
        if result is None:
            return "", "", empty_state(NO_ACCESS), "", True, True, 0, ""
        label, prev_off, next_off = _pager(result.page, result.pages, result.total)
        title = FOLDER_LABELS[SmsFolder(tab)]
        summary = f"{FOLDER_NOTES[tab]} 共 {result.total} 条。"
        return (
            title,
            summary,
            folder_table(result, tab),
            label if result.total else "",
            prev_off,
            next_off,
            result.page,
            notice,
        )


def register_templates(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.SMS_TPL_TABLE, "children"),
        Output(ids.SMS_TPL_MSG, "children"),
        Output(ids.SMS_TPL_NAME, "value"),
        Output(ids.SMS_TPL_TEXT, "value"),
        Output(ids.SMS_TPL_EDITING, "data"),
        Output(ids.SMS_TPL_FORM_TITLE, "children"),
        Output(ids.SMS_TEMPLATE, "options"),
        Input(ids.SMS_TPL_SAVE, "n_clicks"),
        Input(ids.SMS_TPL_NEW, "n_clicks"),
        Input({"type": ids.SMS_TPL_EDIT, "tid": ALL}, "n_clicks"),
        Input({"type": ids.SMS_TPL_DELETE, "tid": ALL}, "submit_n_clicks"),
        State(ids.SMS_TPL_NAME, "value"),
        State(ids.SMS_TPL_TEXT, "value"),
        State(ids.SMS_TPL_EDITING, "data"),
        prevent_initial_call=True,
    )
    def act(
        _save: Any, _new: Any, _edit: Any, _delete: Any, name: Any, text: Any, editing: Any
    ) -> tuple[Any, ...]:
        skip = (no_update,) * 7
        who = user()
        if who is None:
            return no_update, message(NO_ACCESS, "error"), *skip[2:]
        if not _clicked():
            return skip
        services, tree = context.services, context.tree.get()
        trigger = ctx.triggered_id
        blank = ("", "", None, "新建模板")
        if trigger == ids.SMS_TPL_NEW:
            return no_update, "", *blank, no_update
        if isinstance(trigger, dict) and trigger.get("type") == ids.SMS_TPL_EDIT:
            found = sms_access.template_for_edit(services, tree, who, trigger.get("tid"))
            if isinstance(found, str):  # not there, not in scope, or an ancestor's
                return no_update, message(found, "error"), *skip[2:]
            return (
                no_update,
                "",
                found.name,
                found.text,
                found.id,
                f"编辑模板「{found.name}」",
                no_update,
            )
        if isinstance(trigger, dict) and trigger.get("type") == ids.SMS_TPL_DELETE:
            done = sms_access.delete_template(services, tree, who, trigger.get("tid"))
            form: tuple[Any, ...] = blank if done.ok and done.ref == editing else skip[2:6]
        elif trigger == ids.SMS_TPL_SAVE:
            done = sms_access.save_template(services, tree, who, editing, name, text)
            form = blank if done.ok else skip[2:6]
        else:
            return skip
        if not done.ok:
            return no_update, message(done.message, "error"), *skip[2:]
        rows = sms_access.template_rows(services, tree, who) or []
        options = sms_access.template_options(services, tree, who)
        return template_table(rows), message(done.message, "ok"), *form, options


def register_groups(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.SMS_GRP_TABLE, "children"),
        Output(ids.SMS_GRP_MSG, "children"),
        Output(ids.SMS_GRP_NAME, "value"),
        Output(ids.SMS_GRP_MEMBERS, "value"),
        Output(ids.SMS_GRP_MEMBERS, "options", allow_duplicate=True),
        Output(ids.SMS_GRP_EDITING, "data"),
        Output(ids.SMS_GRP_FORM_TITLE, "children"),
        Output(ids.SMS_GROUPS, "options"),
        Input(ids.SMS_GRP_SAVE, "n_clicks"),
        Input(ids.SMS_GRP_NEW, "n_clicks"),
        Input({"type": ids.SMS_GRP_EDIT, "gid": ALL}, "n_clicks"),
        Input({"type": ids.SMS_GRP_DELETE, "gid": ALL}, "submit_n_clicks"),
        State(ids.SMS_GRP_NAME, "value"),
        State(ids.SMS_GRP_MEMBERS, "value"),
        State(ids.SMS_GRP_EDITING, "data"),
        prevent_initial_call=True,
    )
    def act(
        _save: Any, _new: Any, _edit: Any, _delete: Any, name: Any, members: Any, editing: Any
    ) -> tuple[Any, ...]:
        skip = (no_update,) * 8
        who = user()
        if who is None:
            return no_update, message(NO_ACCESS, "error"), *skip[2:]
        if not _clicked():
            return skip
        services, tree = context.services, context.tree.get()
        trigger = ctx.triggered_id
        blank: tuple[Any, ...] = ("", [], [], None, "新建分组")
        if trigger == ids.SMS_GRP_NEW:
            return no_update, "", *blank, no_update
        if isinstance(trigger, dict) and trigger.get("type") == ids.SMS_GRP_EDIT:
            found = sms_access.group_for_edit(services, tree, who, trigger.get("gid"))
            if found is None:
                return no_update, message("分组不存在或不在您的管辖范围内", "error"), *skip[2:]
            group_name, options = found
            values = [o["value"] for o in options]
            title = f"编辑分组「{group_name}」"
            return no_update, "", group_name, values, options, trigger.get("gid"), title, no_update
        if isinstance(trigger, dict) and trigger.get("type") == ids.SMS_GRP_DELETE:
            done = sms_access.delete_group(services, tree, who, trigger.get("gid"))
            form: tuple[Any, ...] = blank if done.ok and done.ref == editing else skip[2:7]
        elif trigger == ids.SMS_GRP_SAVE:
            done = sms_access.save_group(services, tree, who, editing, name, members)
            form = blank if done.ok else skip[2:7]
        else:
            return skip
        if not done.ok:
            return no_update, message(done.message, "error"), *skip[2:]
        rows = sms_access.group_rows(services, tree, who) or []
        options = sms_access.group_options(services, tree, who)
        return group_table(rows), message(done.message, "ok"), *form, options


def register_stats(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.SMS_STATS_GRAPH, "figure"),
        Output(ids.SMS_STATS_GRAPH, "style"),
        Output(ids.SMS_STATS_TOTALS, "children"),
        Output(ids.SMS_STATS_EMPTY, "children"),
        Input(ids.SMS_TABS, "value"),
        Input(ids.SMS_STATS_SOURCE, "value"),
        Input(ids.SMS_STATS_DAYS, "value"),
        Input(ids.SMS_TICK, "n_intervals"),
    )
    def show(tab: Any, source: Any, days: Any, _tick: Any) -> tuple[Any, ...]:
        if tab != "stats":
            return (no_update,) * 4
        who = user()
        if who is None:
            return no_update, {"display": "none"}, [], empty_state(NO_ACCESS)
        data = sms_access.daily_stats(context.services, context.tree.get(), who, days, source)
        if data is None:
            return no_update, {"display": "none"}, [], empty_state(NO_ACCESS)
        if data.total == 0:
            span = f"近 {len(data.days)} 天"
            return (
                no_update,
                {"display": "none"},
                stats_totals(data),
                empty_state(f"{span}管辖范围内没有短信记录"),
            )
        return stats_figure(data), GRAPH_STYLE, stats_totals(data), ""


def register_logs(app: Dash, context: AppContext) -> None:
    @app.callback(
        Output(ids.SMS_LOG_TABLE, "children"),
        Output(ids.SMS_LOG_SUMMARY, "children"),
        Output(ids.SMS_LOG_PAGER, "children"),
        Output(ids.SMS_LOG_PREV, "disabled"),
        Output(ids.SMS_LOG_NEXT, "disabled"),
        Output(ids.SMS_LOG_PAGE, "data"),
        Output(ids.SMS_LOG_MSG, "children"),
        Input(ids.SMS_TABS, "value"),
        Input(ids.SMS_LOG_STATE, "value"),
        Input(ids.SMS_LOG_SOURCE, "value"),
        Input(ids.SMS_LOG_PREV, "n_clicks"),
        Input(ids.SMS_LOG_NEXT, "n_clicks"),
        Input(ids.SMS_TICK, "n_intervals"),
        Input({"type": ids.SMS_RESEND, "did": ALL}, "n_clicks"),
        State(ids.SMS_LOG_PAGE, "data"),
    )
    def show(
        tab: Any,
        states: Any,
        source: Any,
        _p: Any,
        _n: Any,
        _tick: Any,
        _resend: Any,
        page: Any,
    ) -> tuple[Any, ...]:
        if tab != "logs":
            return (no_update,) * 7
        who = user()
        if who is None:
            return empty_state(NO_ACCESS), "", "", True, True, 0, ""
        tree = context.tree.get()
        trigger = ctx.triggered_id
        page = _page(page)
        notice: Any = no_update
        if trigger == ids.SMS_LOG_PREV:
            page -= 1
        elif trigger == ids.SMS_LOG_NEXT:
            page += 1
        elif isinstance(trigger, dict) and trigger.get("type") == ids.SMS_RESEND:
            if not _clicked():
                return (no_update,) * 7
            done = sms_access.resend(context.services, tree, who, trigger.get("did"))
            notice = message(done.message, "ok" if done.ok else "error")
        elif trigger != ids.SMS_TICK:
            page, notice = 0, ""
        result = sms_access.log_page(context.services, tree, who, states, source, page)
        if result is None:
            return empty_state("无权查看或筛选条件无效"), "", "", True, True, 0, notice
        label, prev_off, next_off = _pager(result.page, result.pages, result.total)
        failed = sum(1 for r in result.rows if r.state.value == "failed")
        summary = f"共 {result.total} 条短信记录（按时间倒序）" + (
            f"；本页 {failed} 条发送失败，可点「重发」" if failed else ""
        )
        return (
            log_table(result),
            summary,
            label if result.total else "",
            prev_off,
            next_off,
            result.page,
            notice,
        )


def register(app: Dash, context: AppContext) -> None:
    register_client(app)
    register_compose(app, context)
    register_folders(app, context)
    register_templates(app, context)
    register_groups(app, context)
    register_stats(app, context)
    register_logs(app, context)
