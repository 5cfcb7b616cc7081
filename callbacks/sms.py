"""Callbacks of /sms and the page builder the router calls."""

from __future__ import annotations

from dash import Dash
from dash.development.base_component import Component

from dashboard.app_context import AppContext
from dashboard.auth.current import SessionUser
from layouts.shell import app_page
from layouts.tables import empty_state


def sms_page(context: AppContext, who: SessionUser, search: str | None) -> Component:
    return app_page(who, "/sms", "短信平台", [empty_state("建设中")])


def register(app: Dash, context: AppContext) -> None:
    return None
