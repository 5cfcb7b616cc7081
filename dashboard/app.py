"""The app factory: one call builds Flask, Dash, Socket.IO and the background work."""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dash import Dash
from flask import Flask, Response, request
from flask_socketio import SocketIO
from werkzeug.exceptions import HTTPException

from dashboard.api.errors import api_error, install_api_method_guard
from dashboard.api.exports import exports_blueprint
from dashboard.api.incidents import events_blueprint
from dashboard.api.open311 import open311_blueprint, open311_error, open311_fallback_blueprint
from dashboard.api.openapi import openapi_blueprint
from dashboard.api.positions import positions_blueprint
from dashboard.api.request_input import install_dash_body_check, install_json_provider
from dashboard.api.sms_webhooks import sms_blueprint
from dashboard.auth.setup import init_auth
from dashboard.auth.socket_sessions import SocketSessions
from dashboard.context import state_rules
from dashboard.display_time import CONFIG_KEY as DISPLAY_ZONE_KEY
from dashboard.realtime.bridge import RealtimeBridge
from dashboard.realtime.sockets import register_socket_handlers
from dashboard.runtime.embedded_redis import EmbeddedRedis
from dashboard.services import Services, make_services
from dashboard.settings import Settings
from dashboard.tree_cache import TreeCache
from dashboard.web.health import health_blueprint
from dashboard.web.outages import install_outage_answers
from dashboard.web.security_headers import install_security_headers
from dashboard.workers import gateway_from, run_alert_expiry, run_sender, sender_config
from data import devices as device_records
from data.db import SQLITE_COMPANIONS, upgrade
from data.org_tree import OrgTree
from data.private_files import lock_down, private_dir
from data.queries import staff_roster
from streams import device_registry
from streams.incidents import IncidentEffects, run_pump
from streams.live_state import StateRules
from streams.loops import Heartbeat, Heartbeats
from streams.position_consumer import PositionConsumer
from streams.sms_sender import SmsSender

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

    @property
    def rules(self) -> StateRules:
        return state_rules(self.services.settings)

    def start_background(self) -> None:
        """Start the consumers, the incident pump and the realtime bridge (once).

        Each runs under ``supervise`` with a heartbeat that ``/healthz`` reads.
        """
        if self._started:
            return
        self._started = True
        consumer_name = f"{socket.gethostname()}-{os.getpid()}"
        services = self.services
        bridge = RealtimeBridge(
            self.socketio,
            services.redis,
            load_tree=self._load_tree,
            load_roster=self._load_roster,
            rules=self.rules,
            interval_s=services.settings.push_interval_s,
            categories=services.categories,
        )
        if services.settings.run_workers:
            consumer = PositionConsumer(services.redis, self.rules, consumer_name)
            self._loop("position-consumer", consumer.run)
            effects = IncidentEffects(services.redis, consumer_name)
            self._loop("incident-effects", effects.run)
            # deadline sweep + outbox relay: safe in every process (row-level races are
            # rolled back and retried; consumers are idempotent by transition id)
            self._loop(
                "incident-pump",
                lambda stop, beat: run_pump(services.sessions, services.redis, stop, beat=beat),
            )
            sender = SmsSender(
                services.sessions,
                gateway_from(services.settings, services.engine),
                services.redis,
                name=f"sms-{consumer_name}",
                config=sender_config(services.settings),
            )
            self._loop("sms-sender", lambda stop, beat: run_sender(sender, stop, beat))
            self._loop(
                "alert-expiry",
                lambda stop, beat: run_alert_expiry(services.sessions, stop, beat=beat),
            )
        self._loop("realtime-bridge", bridge.run)
        if self.socket_sessions is not None:
            self._loop("socket-sessions", self.socket_sessions.run)
        if self.embedded_redis is not None:
            self._loop("embedded-redis", self.embedded_redis.supervise)

    def _loop(
        self,
        name: str,
        run: Callable[[threading.Event, Heartbeat], None],
    ) -> None:
        beat = self.heartbeats.add(name, self.services.settings.loop_stale_after_s)
        self.socketio.start_background_task(run, self.stop_event, beat)

    def _load_tree(self) -> OrgTree:
        self.tree.invalidate()
        return self.tree.get()

    def _load_roster(self) -> dict:
        with self.services.sessions() as session:
            return staff_roster(session)

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
    server.json.ensure_ascii = False  # type: ignore[attr-defined]
    socket_sessions = init_auth(server, services)
    install_outage_answers(server)  # Redis or the database down: 503, never a 500
    server.register_blueprint(positions_blueprint(services))
    server.register_blueprint(exports_blueprint(services))
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
    def http_error(exc: HTTPException) -> Response:
        if request.path.startswith("/open311/"):
            return open311_error(exc.code or 500, exc.description or exc.name or "error")
        if request.path.startswith(("/api/", "/osmand")):
            code = (exc.name or "error").lower().replace(" ", "_")
            message = exc.description or exc.name or "error"
            if exc.code == 413:
                message = "请求体过大 (request body too large)"
            return api_error(exc.code or 500, code, message)
        return exc.get_response()  # type: ignore[return-value]
