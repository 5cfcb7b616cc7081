"""The incident pump: every round, sweep incident deadlines, then relay the outbox.

One loop for both because the sweep writes transitions (yellow, red, escalation) whose
outbox rows the relay then publishes in the same round. Safe in every process: a sweep
that loses a row-level race with another process's sweep is rolled back and left to
the next round, and concurrent relays skip each other's locked rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import redis
from sqlalchemy.exc import SQLAlchemyError

from data.incidents.categories import CategoryConfig
from data.incidents.deadlines import SweepReport, sweep
from streams.loops import Heartbeat, supervise
from streams.outbox_relay import RelayReport, SessionFactory, relay_outbox

log = logging.getLogger(__name__)


def pump_once(
    session_factory: SessionFactory,
    r: redis.Redis,
    *,
    now: dt.datetime | None = None,
    categories: CategoryConfig | None = None,
) -> tuple[SweepReport | None, RelayReport]:
    """One round of the incident pump: sweep deadlines (commit), then relay the outbox.

    A sweep that loses a race with another process's sweep is rolled back and left to
    the next round; the relay still runs.
    """
    swept: SweepReport | None = None
    try:
        with session_factory() as session, session.begin():
            swept = sweep(session, now, categories=categories)
    except SQLAlchemyError as exc:
        log.warning("deadline sweep failed, retried next round: %s", exc)
    return swept, relay_outbox(session_factory, r)


def run_pump(
    session_factory: SessionFactory,
    r: redis.Redis,
    stop: threading.Event,
    *,
    interval_s: float = 2.0,
    beat: Heartbeat | None = None,
) -> None:
    """Loop ``pump_once`` until ``stop`` is set (a background thread of the server)."""

    def one_round() -> float:
        pump_once(session_factory, r)
        return interval_s

    supervise(beat or Heartbeat("incident-pump", stale_after_s=60.0), one_round, stop)
