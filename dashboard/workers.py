"""Every background loop of a server process, in one list, and what they read from Settings.

The loops themselves live in ``streams/`` (the consumers, the pump, the SMS sender, the
alert expiry) and, where they are the push, auth or the embedded Redis, in their own
rooms; this module only builds them from a built app and the settings (the SMS gateway
and its rate), so that ``GridwatchApp.start_background`` starts each one the same way:
under ``streams.loops.supervise`` with a heartbeat that ``/healthz`` names.
"""

from __future__ import annotations

import os
import socket
from typing import Protocol

from flask_socketio import SocketIO
from sqlalchemy import Engine

from dashboard.auth.socket_sessions import SocketSessions
from dashboard.context import state_rules
from dashboard.realtime.bridge import RealtimeBridge, Roster
from dashboard.runtime.embedded_redis import EmbeddedRedis
from dashboard.services import Services
from dashboard.settings import Settings
from dashboard.tree_cache import TreeCache
from data.org_tree import OrgTree
from data.sms.gateways import Gateway, HttpGateway, OutboxGateway
from data.staff import staff_roster
from streams.alert_expiry import run_alert_expiry
from streams.assessment_refresh import AssessmentRefresh, run_assessment_refresh
from streams.incident_effects import IncidentEffects
from streams.incident_pump import run_pump
from streams.loops import Loop
from streams.position_consumer import PositionConsumer
from streams.sms_sender import SenderConfig, SmsSender, run_sender


def gateway_from(settings: Settings, engine: Engine) -> Gateway:
    """``outbox`` keeps texts in the database (shown in the UI); ``http`` sends them."""
    if settings.sms_gateway == "http":
        if not settings.sms_http_url:
            raise ValueError("GRIDWATCH_SMS_HTTP_URL is required when GRIDWATCH_SMS_GATEWAY=http")
        return HttpGateway(
            url_template=settings.sms_http_url,
            method=settings.sms_http_method,
            body_template=settings.sms_http_body or None,
            body_encoding=settings.sms_http_encoding,
        )
    return OutboxGateway(engine)


def sender_config(settings: Settings) -> SenderConfig:
    """The provider's rate and a burst of one second's worth.

    The lease stays the default (120 s) whatever the rate: a live sender renews it while
    it holds rows (however slow the provider or the rate), so the lease only decides how
    soon a dead or frozen sender's rows are taken over, and shorter is better there.
    """
    rate = settings.sms_rate_per_s
    return SenderConfig(rate_per_s=rate, burst=max(1, int(rate)))


class BuiltApp(Protocol):
    """The parts of a built app the loops run on (``dashboard.app.GridwatchApp``).

    A protocol rather than the class, so that the factory imports this module and this
    module never imports the factory (no circle).
    """

    @property
    def services(self) -> Services: ...
    @property
    def socketio(self) -> SocketIO: ...
    @property
    def tree(self) -> TreeCache: ...
    @property
    def socket_sessions(self) -> SocketSessions | None: ...
    @property
    def embedded_redis(self) -> EmbeddedRedis | None: ...


def background_loops(app: BuiltApp) -> list[Loop]:
    """Every background loop of this process, in start order; ``/healthz`` names them.

    The workers (``every_process=False``) run where ``Settings.run_workers`` is on; the
    deadline sweep, the outbox relay and the expiry sweep are safe in every such process
    (row-level races are rolled back and retried; consumers are idempotent by transition
    id). The push, the socket-session check and the embedded Redis run in every process.
    """
    services = app.services
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    rules = state_rules(services.settings)
    positions = PositionConsumer(services.redis, rules, consumer)
    effects = IncidentEffects(services.redis, consumer)
    sender = SmsSender(
        services.sessions,
        gateway_from(services.settings, services.engine),
        services.redis,
        name=f"sms-{consumer}",
        config=sender_config(services.settings),
    )
    loops = [
        Loop("position-consumer", positions.run, every_process=False),
        Loop("incident-effects", effects.run, every_process=False),
        Loop(
            "incident-pump",
            lambda stop, beat: run_pump(services.sessions, services.redis, stop, beat=beat),
            every_process=False,
        ),
        Loop("sms-sender", lambda stop, beat: run_sender(sender, stop, beat), every_process=False),
        Loop(
            "alert-expiry",
            lambda stop, beat: run_alert_expiry(services.sessions, stop, beat=beat),
            every_process=False,
        ),
        Loop(
            "assessment-refresh",
            lambda stop, beat: run_assessment_refresh(
                AssessmentRefresh(services.sessions, services.settings.display_zone), stop, beat
            ),
            every_process=False,
        ),
        Loop("realtime-bridge", _realtime_bridge(app).run, every_process=True),
    ]
    if app.socket_sessions is not None:
        loops.append(Loop("socket-sessions", app.socket_sessions.run, every_process=True))
    if app.embedded_redis is not None:
        loops.append(Loop("embedded-redis", app.embedded_redis.supervise, every_process=True))
    return loops


def _realtime_bridge(app: BuiltApp) -> RealtimeBridge:
    """The push: batched deltas to the browsers, rooms per org node."""
    services = app.services

    def load_tree() -> OrgTree:
        app.tree.invalidate()
        return app.tree.get()

    def load_roster() -> Roster:
        with services.sessions() as session:
            return staff_roster(session)

    return RealtimeBridge(
        app.socketio,
        services.redis,
        load_tree=load_tree,
        load_roster=load_roster,
        interval_s=services.settings.push_interval_s,
        categories=services.categories,
    )
