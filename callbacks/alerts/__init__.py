"""Callbacks of the alerts page (/duty): the area map, the confirmation before every text,
the live list and detail updated in place, change and lift.

Every callback goes through dashboard/access/alerts.py, which checks the permission
and scope again for the session user. One file per part of the page:

- ``area_map``: picking the area on the map or in 发布区域;
- ``live``: the list, the detail and 事件调度, refreshed in place every few seconds;
- ``changes``: issue, raise/lower and lift through the confirmation, extend directly.

Callbacks are plain functions taking the ``AppContext`` first; each part's ``register``
binds it.
"""

from __future__ import annotations

from dash import Dash
from dash.development.base_component import Component

from callbacks.alerts import area_map, changes, live
from callbacks.alerts.browser_values import new_token
from dashboard.auth.current import SessionUser, scope_root
from dashboard.context import AppContext
from layouts.alerts import alerts_layout
from layouts.shell import app_page
from layouts.tables import empty_state


def alerts_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    """The page for the router, with fresh form tokens for issuing and for changes."""
    scope = scope_root(context.tree.get(), who)
    if scope is None:
        empty = empty_state("尚无组织数据：请先运行 gridwatch seed")
        return app_page(who, "/duty", "值班预警", [empty])
    tile_url = context.services.settings.tile_url
    return alerts_layout(who, tile_url, scope.id, new_token(), new_token())


def register(app: Dash, context: AppContext) -> None:
    area_map.register(app, context)
    live.register(app, context)
    changes.register(app, context)
