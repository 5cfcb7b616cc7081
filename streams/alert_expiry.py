"""The alert expiry loop: alerts whose validity has passed are expired (nobody is texted).

A sweep rather than a timer per alert, so an alert issued in one process and a restart
in another cannot lose its expiry; ``expire_due`` skips rows another process's sweep
holds, so the loop is safe in every process (a lost race: the next round).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from data.alerts.lifecycle import expire_due
from streams.loops import Heartbeat, supervise

log = logging.getLogger(__name__)


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
