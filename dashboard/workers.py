"""Which SMS gateway this deployment uses, from the settings; the outbox one by default."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.settings import Settings
from data.alerts.lifecycle import expire_due
from data.sms.gateways import Gateway, HttpGateway, OutboxGateway
from streams.loops import Heartbeat, supervise
from streams.sms_sender import SenderConfig, SmsSender

log = logging.getLogger(__name__)


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


def expire_alerts_once(sessions: sessionmaker[Session]) -> None:
    """Expire alerts past their validity (nobody is texted)."""
    with sessions() as session, session.begin():
        expired = expire_due(session, dt.datetime.now(dt.UTC))
    if expired:
        log.info("alerts expired: %s", expired)


def run_alert_expiry(
    sessions: sessionmaker[Session],
    stop: threading.Event,
    interval_s: float = 15.0,
    beat: Heartbeat | None = None,
) -> None:
    """Expire alerts every ``interval_s`` until ``stop`` (a lost race: the next round)."""

    def one_round() -> float:
        expire_alerts_once(sessions)
        return interval_s

    supervise(beat or Heartbeat("alert-expiry", stale_after_s=120.0), one_round, stop)


def run_sender(sender: SmsSender, stop: threading.Event, beat: Heartbeat | None = None) -> None:
    """Send queued texts until ``stop``; no error ends the loop (a pool timeout included)."""
    beat = beat or Heartbeat(sender.name, stale_after_s=120.0)
    sender.on_progress = beat.beat
    supervise(beat, lambda: sender.one_round(stop), stop)
