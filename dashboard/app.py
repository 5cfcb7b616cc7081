"""The app factory: one call builds Flask, Dash, Socket.IO and the background work."""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from dash import Dash
from flask import Flask, request
from flask_socketio import SocketIO
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from dashboard.api.errors import api_error, install_api_method_guard
from dashboard.api.exports import exports_blueprint
from dashboard.api.incidents import events_blueprint
from dashboard.api.open311 import open311_blueprint, open311_error, open311_fallback_blueprint
from dashboard.api.openapi import openapi_blueprint
from dashboard.api.positions import positions_blueprint
from dashboard.api.request_input import install_dash_body_check, install_json_provider
from dashboard.api.sms_webhooks import sms_blueprint
from dashboard.api.stats_exports import stats_exports_blueprint
from dashboard.auth.setup import init_auth
from dashboard.auth.socket_sessions import SocketSessions
from dashboard.display_time import CONFIG_KEY as DISPLAY_ZONE_KEY
from dashboard.realtime.sockets import register_socket_handlers
from dashboard.runtime.embedded_redis import EmbeddedRedis
from dashboard.services import Services, make_services
from dashboard.settings import Settings
from dashboard.tree_cache import TreeCache
from dashboard.web.health import health_blueprint
from dashboard.web.outages import install_outage_answers
from dashboard.web.security_headers import install_security_headers
from dashboard.workers import background_loops, gateway_from
from data import devices as device_records
from data.db import SQLITE_COMPANIONS, upgrade
from data.private_files import lock_down, private_dir
from streams import device_registry
from streams.loops import Heartbeats, Loop

log = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


@dataclass
class GridwatchApp:
    server: Flask
    dash: Dash
    socketio: SocketIO
    services: Services
    tree: TreeCache
    embedded_redis: EmbeddedRedis | None = None
    #: open sockets and the sessions that opened them (ended with them)
    socket_sessions: SocketSessions | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    heartbeats: Heartbeats = field(default_factory=Heartbeats)
    _started: bool = False

    def start_background(self) -> None:
        """Start every background loop of this process (once), from the one list.

        Each runs under ``supervise`` with a heartbeat that ``/healthz`` reads; the
        workers only where ``Settings.run_workers`` is on.
        """
        if self._started:
            return
        self._started = True
        run_workers = self.services.settings.run_workers
        for loop in background_loops(self):
            if loop.every_process or run_workers:
                self._start(loop)

    def _start(self, loop: Loop) -> None:
        beat = self.heartbeats.add(loop.name, self.services.settings.loop_stale_after_s)
        self.socketio.start_background_task(loop.run, self.stop_event, beat)

    def close(self) -> None:
        self.stop_event.set()
        self.services.redis.close()
        self.services.engine.dispose()
        if self.embedded_redis is not None:
            self.embedded_redis.stop()
            self.embedded_redis = None


def create_app(settings: Settings) -> GridwatchApp:
    """Build a complete Gridwatch instance from ``settings`` (nothing global)."""
    _lock_down_var(settings.var_dir)
    embedded: EmbeddedRedis | None = None
    redis_url = settings.redis_url
    if settings.embedded_redis:
        embedded = EmbeddedRedis(settings.var_dir / "redis").start()
        atexit.register(embedded.stop)
        redis_url = embedded.url
    services = make_services(settings, redis_url)
    gateway_from(settings, services.engine)  # a bad SMS configuration stops here, not later
    upgrade(services.engine)
    with services.sessions() as session:
        device_registry.sync_all(services.redis, device_records.active_devices(session))

    server = Flask("gridwatch", static_folder=None)  # assets are served by Dash only
    server.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_AS_ASCII=False,
    )
    server.config[DISPLAY_ZONE_KEY] = settings.display_zone
    install_json_provider(server)  # a too deep JSON body is a 400, not a 500
    socket_sessions = init_auth(server, services)
    install_outage_answers(server)  # Redis or the database down: 503, never a 500
    server.register_blueprint(positions_blueprint(services))
    server.register_blueprint(exports_blueprint(services))
    server.register_blueprint(stats_exports_blueprint(services))
    categories = services.categories
    server.register_blueprint(openapi_blueprint(categories.categories))
    server.register_blueprint(open311_blueprint(services, categories))
    server.register_blueprint(open311_fallback_blueprint())
    server.register_blueprint(events_blueprint(services, categories))
    server.register_blueprint(sms_blueprint(services, categories))
    _register_http_errors(server)
    install_api_method_guard(server)

    heartbeats = Heartbeats()
    server.register_blueprint(health_blueprint(services, heartbeats))

    socketio = SocketIO(
        server,
        async_mode="threading",
        manage_session=False,  # server-side sessions: Socket.IO reads the same one
        cors_allowed_origins=settings.allowed_origins or None,  # None: same origin only
    )
    tree = TreeCache(services)
    register_socket_handlers(socketio, tree.get, settings, socket_sessions)

    from dashboard.dash_app import build_dash  # Dash pages import heavy modules

    dash_app = build_dash(server, services, tree)
    install_dash_body_check(server, dash_app.callback_map)  # crafted callback body: 400
    install_security_headers(server, dash_app, settings.tile_url)  # last: sees every callback
    return GridwatchApp(
        server=server,
        dash=dash_app,
        socketio=socketio,
        services=services,
        tree=tree,
        embedded_redis=embedded,
        socket_sessions=socket_sessions,
        heartbeats=heartbeats,
    )


#: what Gridwatch keeps under var/: the embedded Redis, the SQLite database, photos
VAR_ENTRIES = (
    "redis",
    "attachments",
    "gridwatch.db",
    *(f"gridwatch.db{s}" for s in SQLITE_COMPANIONS),
)


def _lock_down_var(var_dir: Path) -> None:
    """var/ holds personal data: owner-only, including what an older install left there
    (also when this configuration uses an external Redis or database)."""
    private_dir(var_dir)
    for entry in VAR_ENTRIES:
        lock_down(var_dir / entry)


def _register_http_errors(server: Flask) -> None:
    """API paths answer errors in JSON (oversized bodies included)."""

    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> BaseResponse:
        if request.path.startswith("/open311/"):
            return open311_error(exc.code or 500, exc.description or exc.name or "error")
        if request.path.startswith(("/api/", "/osmand")):
            code = (exc.name or "error").lower().replace(" ", "_")
            message = exc.description or exc.name or "error"
            if exc.code == 413:
                message = "请求体过大 (request body too large)"
            return api_error(exc.code or 500, code, message)
        return exc.get_response()
