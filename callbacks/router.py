"""URL → page. Pages are plain functions in layouts/; their callbacks register once.

Every page names the permission it needs (layouts/shell.py NAV_ITEMS); a user
without it gets the "无权访问此页面" state, never the page or a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import parse_qs

from dash import Dash, Input, Output
from dash.development.base_component import Component

from callbacks.alerts import alerts_page
from callbacks.leader import leader_page
from callbacks.sms import sms_page
from callbacks.stats import stats_page
from dashboard.access.devices import devices_in_scope, staff_options
from dashboard.access.incidents import category_options
from dashboard.access.users import users_in_scope
from dashboard.auth.current import SessionUser, node_in_scope, scope_root, user
from dashboard.context import AppContext
from data.audit import AUDIT_ACTION_LABELS, actions_seen
from data.record_ids import record_id
from layouts import ids
from layouts.admin_audit import audit_layout
from layouts.admin_devices import devices_layout
from layouts.admin_users import users_layout
from layouts.incidents import incidents_layout
from layouts.pickers import node_options
from layouts.residents import residents_layout
from layouts.shell import NAV_ITEMS, forbidden, not_found
from layouts.tables import empty_state
from layouts.wall import wall_layout

PAGE_PERMS = {item.path: item.perm for item in NAV_ITEMS} | {"/": NAV_ITEMS[0].perm}


def _node_param(search: str | None) -> int | None:
    values = parse_qs((search or "").lstrip("?")).get("node", [])
    return record_id(values[0]) if values else None


NO_ORG_DATA = "尚无组织数据：请先运行 gridwatch seed"

#: builds one page for the signed-in user (the URL's query string is the last argument)
PageBuilder = Callable[[AppContext, SessionUser, str | None], Component]


def register(app: Dash, context: AppContext) -> None:
    app.callback(
        Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), Input(ids.URL, "search")
    )(partial(route, context))


def route(context: AppContext, pathname: str | None, search: str | None) -> Component:
    """The page at ``pathname``, or 无权访问 / 页面不存在."""
    who = user()
    if who is None:  # the guard already refused; belt and braces for callbacks
        return not_found(pathname or "/")
    path = (pathname or "/").rstrip("/") or "/"
    page = PAGES.get(path)
    if page is None:
        return not_found(path)
    if not who.can(PAGE_PERMS[path]):
        return forbidden(who, path)
    return page(context, who, search)


def wall(context: AppContext, who: SessionUser, search: str | None) -> Component:
    """The wall, focused on ``?node=`` when it lies in the user's scope."""
    settings = context.services.settings
    tree = context.tree.get()
    scope = scope_root(tree, who)
    wanted = _node_param(search)
    focus = (node_in_scope(tree, who, wanted) if wanted is not None else None) or scope
    return wall_layout(
        focus.id if focus else None, settings.tile_url, settings.tile_attribution, who
    )


def residents(context: AppContext, who: SessionUser, search: str | None) -> Component:
    tree = context.tree.get()
    scope = scope_root(tree, who)
    if scope is None:
        return empty_state(NO_ORG_DATA)
    return residents_layout(who, scope, node_options(tree, scope))


def incidents(context: AppContext, who: SessionUser, search: str | None) -> Component:
    tree = context.tree.get()
    scope = scope_root(tree, who)
    if scope is None:
        return empty_state(NO_ORG_DATA)
    categories = category_options(context.services.categories)
    return incidents_layout(who, node_options(tree, scope), categories)


def admin_users(context: AppContext, who: SessionUser, search: str | None) -> Component:
    tree = context.tree.get()
    scope = scope_root(tree, who)
    if scope is None:
        return empty_state(NO_ORG_DATA)
    rows = users_in_scope(context.services, tree, who)
    return users_layout(who, rows, node_options(tree, scope), scope.id)


def admin_devices(context: AppContext, who: SessionUser, search: str | None) -> Component:
    tree = context.tree.get()
    rows = devices_in_scope(context.services, tree, who)
    return devices_layout(who, rows, staff_options(context.services, tree, who))


def admin_audit(context: AppContext, who: SessionUser, search: str | None) -> Component:
    with context.services.sessions() as db:
        seen = actions_seen(db)
    return audit_layout(who, sorted(set(AUDIT_ACTION_LABELS) | set(seen)))


#: URL → page. The URLs stay as bookmarked: /events is the incidents page
#: (layouts/incidents.py, callbacks/incidents.py), /duty the alerts page (layouts/alerts.py,
#: callbacks/alerts/).
PAGES: dict[str, PageBuilder] = {
    "/": wall,
    "/wall": wall,
    "/residents": residents,
    "/events": incidents,
    "/admin/users": admin_users,
    "/admin/devices": admin_devices,
    "/admin/audit": admin_audit,
    "/duty": alerts_page,
    "/sms": sms_page,
    "/leader": leader_page,
    "/stats": stats_page,
}
