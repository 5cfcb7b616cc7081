"""The assessment refresh loop: dirty days are recomputed, and today's facts kept fresh.

Every change that alters a grid's facts marks its day dirty in its own transaction
(data/assessment/dirty.py); this loop recomputes the marked (day, grid) pairs every
``interval_s`` (at once again while a backlog remains). Every ``recent_every_s`` it
also recomputes yesterday and today for all grids, which catches what no transition
marks (an alert text leaving the SMS sender). Each recompute also rewrites, in its
transaction, the monthly sums of the grids whose days changed (``store_facts`` →
``rebuild_months``), which the rankings read. Safe in several processes: dirty rows
are taken with ``SKIP LOCKED`` on PostgreSQL, and SQLite has one writer.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from data.assessment.facts import refresh_dirty, refresh_range
from streams.loops import Heartbeat, supervise

log = logging.getLogger(__name__)


@dataclass
class AssessmentRefresh:
    """One process's refresher; ``one_round`` is what the supervised loop repeats."""

    sessions: sessionmaker[Session]
    tz: dt.tzinfo
    interval_s: float = 30.0
    recent_every_s: float = 600.0
    #: dirty (day, grid) pairs taken per transaction
    batch: int = 1000
    clock: Callable[[], float] = time.monotonic
    _recent_due: float = 0.0

    def refresh_dirty_once(self) -> int:
        """Recompute one batch of dirty pairs; returns how many were taken."""
        with self.sessions() as session, session.begin():
            return refresh_dirty(session, self.tz, self.batch)

    def refresh_recent(self, now: dt.datetime | None = None) -> int:
        """Recompute yesterday and today (local days) for every grid; returns fact rows."""
        today = (now or dt.datetime.now(dt.UTC)).astimezone(self.tz).date()
        with self.sessions() as session, session.begin():
            return refresh_range(session, today - dt.timedelta(days=1), today, self.tz)

    def one_round(self) -> float:
        if self.clock() >= self._recent_due:
            self.refresh_recent()
            self._recent_due = self.clock() + self.recent_every_s
        taken = self.refresh_dirty_once()
        if taken:
            log.info("assessment facts refreshed for %d dirty grid days", taken)
        return 0.0 if taken >= self.batch else self.interval_s


def run_assessment_refresh(
    refresher: AssessmentRefresh, stop: threading.Event, beat: Heartbeat | None = None
) -> None:
    """Refresh until ``stop`` (an error is logged and the next round tries again)."""
    supervise(
        beat or Heartbeat("assessment-refresh", stale_after_s=120.0), refresher.one_round, stop
    )
