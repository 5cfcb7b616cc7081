"""URL → page. Pages are plain functions in layouts/; their callbacks register once."""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import Dash, Input, Output
from dash.development.base_component import Component

from dashboard.app_context import AppContext
from dashboard.auth.current import node_in_scope, scope_root, user
from layouts import ids
from layouts.shell import not_found
from layouts.wall import wall_layout


def _node_param(search: str | None) -> int | None:
    values = parse_qs((search or "").lstrip("?")).get("node", [])
    return int(values[0]) if values and values[0].isdigit() else None


def register(app: Dash, context: AppContext) -> None:
    settings = context.services.settings

    @app.callback(
        Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), Input(ids.URL, "search")
    )
    def route(pathname: str | None, search: str | None) -> Component:
        who = user()
        if who is None:  # the guard already refused; belt and braces for callbacks
            return not_found(pathname or "/")
        if pathname in ("/", "/wall", None):
            tree = context.tree.get()
            scope = scope_root(tree, who)
            wanted = _node_param(search)
            focus = (node_in_scope(tree, who, wanted) if wanted is not None else None) or scope
            return wall_layout(
                focus.id if focus else None,
                settings.tile_url,
                settings.tile_attribution,
                who,
            )
        return not_found(pathname)
