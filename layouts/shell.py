"""The page frame shared by every page: URL, page container, zh-CN document, top navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from layouts import ids


def html_attrs(attrs: dict[str, str]) -> dict[str, Any]:
    """``data-*`` and ``aria-*`` attributes, which no Python keyword can spell, as keyword
    arguments for a component (``html.Div(..., **html_attrs({"data-x": "1"}))``).

    Dash's typed components take them as extra keyword arguments; a plain ``dict[str, str]``
    unpacked there would claim to fill their typed properties as well.
    """
    return dict(attrs)


INDEX_STRING = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    perm: Perm


#: every page of the app with the permission it needs; the router and the nav both read it
NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("/wall", "大屏", Perm.VIEW_WALL),
    NavItem("/residents", "居民", Perm.VIEW_RESIDENTS),
    NavItem("/events", "事件", Perm.VIEW_INCIDENTS),
    NavItem("/duty", "值班预警", Perm.ISSUE_ALERTS),
    NavItem("/sms", "短信", Perm.SEND_SMS),
    NavItem("/leader", "考核排名", Perm.VIEW_ASSESSMENT),
    NavItem("/stats", "统计报表", Perm.VIEW_ASSESSMENT),
    NavItem("/admin/users", "用户", Perm.MANAGE_USERS),
    NavItem("/admin/devices", "终端", Perm.MANAGE_DEVICES),
    NavItem("/admin/audit", "审计", Perm.VIEW_AUDIT),
)


def shell() -> html.Div:
    return html.Div(
        [dcc.Location(id=ids.URL, refresh=False), html.Div(id=ids.PAGE, className="gw-page")],
        className="gw-root",
    )


def logout_button(class_name: str) -> html.Form:
    """退出 posts the logout (a GET link would let any other site log the person out)."""
    return html.Form(
        html.Button("退出", id=ids.LOGOUT, type="submit", className=class_name),
        method="post",
        action="/logout",
        className="gw-logout-form",
    )


def nav(who: SessionUser, active: str = "") -> html.Nav:
    """The slim top bar: only the pages ``who`` may open, then the user and 退出."""
    links = [
        dcc.Link(
            item.label,
            href=item.path,
            className="gw-nav-link gw-nav-active" if item.path == active else "gw-nav-link",
        )
        for item in NAV_ITEMS
        if who.can(item.perm)
    ]
    return html.Nav(
        [
            html.Div("网格化社会管理指挥中心", className="gw-nav-brand"),
            html.Div(links, className="gw-nav-links"),
            html.Div(
                [
                    html.Span(f"{who.display_name}（{who.role_label}）", className="gw-nav-who"),
                    logout_button("gw-nav-logout"),
                ],
                className="gw-nav-user",
            ),
        ],
        id=ids.NAV,
        className="gw-nav",
    )


def app_page(who: SessionUser, active: str, title: str, body: list[Component]) -> html.Div:
    """A non-wall page: the nav, a title and the page's own content."""
    return html.Div(
        [
            nav(who, active),
            html.Main([html.H1(title, className="gw-app-title"), *body], className="gw-app-main"),
        ],
        className="gw-app",
    )


def forbidden(who: SessionUser, pathname: str) -> html.Div:
    """The 403-like state of a page the user's role may not open."""
    return app_page(
        who,
        "",
        "无权访问此页面",
        [
            html.Div(
                [
                    html.P(f"您的角色（{who.role_label}）没有访问 {pathname} 的权限。"),
                    html.P("如需开通，请联系系统管理员。"),
                ],
                className="gw-app-empty gw-forbidden",
            )
        ],
    )


def not_found(pathname: str) -> html.Div:
    return html.Div(
        [
            html.H1("页面不存在"),
            html.P(f"没有 {pathname} 这个页面。"),
            html.A("返回指挥大屏", href="/wall"),
        ],
        className="gw-empty-page",
    )
