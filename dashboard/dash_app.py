"""The Dash app on the Flask server: shell layout, local assets, page callbacks.

Pages by URL (the URLs stay as bookmarked; modules are named after what the page shows):
/ and /wall → wall, /events → incidents, /duty → alerts, /sms → sms, /residents →
residents, /admin/users|devices|audit → admin_*; layouts/<page>.py builds each page and
callbacks/<page>(.py or package) registers its callbacks.
"""

from __future__ import annotations

from pathlib import Path

from dash import Dash
from flask import Flask

from callbacks import (
    admin_audit,
    admin_devices,
    admin_users,
    alerts,
    incidents,
    leader,
    residents,
    router,
    sms,
    stats,
    wall,
)
from dashboard.context import AppContext
from dashboard.services import Services
from dashboard.tree_cache import TreeCache
from layouts.shell import INDEX_STRING, shell

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def build_dash(server: Flask, services: Services, tree: TreeCache) -> Dash:
    app = Dash(
        "gridwatch",
        # Dash documents a Flask app here, but annotates only bool | Callable[[], Any]
        server=server,  # type: ignore[arg-type]
        url_base_pathname="/",
        assets_folder=str(ASSETS_DIR),
        serve_locally=True,
        title="Gridwatch 网格化指挥中心",
        # None turns the "Updating..." title off (documented); the annotation says str
        update_title=None,  # type: ignore[arg-type]
        suppress_callback_exceptions=True,
        index_string=INDEX_STRING,
        # the browser shows every time in this zone, not in the wall PC's own
        meta_tags=[{"name": "gw-timezone", "content": services.settings.display_timezone}],
    )
    app.layout = shell
    context = AppContext(services=services, tree=tree)
    router.register(app, context)
    for page in (
        wall,
        residents,
        incidents,
        alerts,
        sms,
        admin_users,
        admin_devices,
        admin_audit,
        leader,
        stats,
    ):
        page.register(app, context)
    return app
