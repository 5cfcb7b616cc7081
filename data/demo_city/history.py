"""Generated history for the demo: months of incidents, alerts and duty time, written in bulk.

``HistoryGenerator`` is pure (a city, a window and the category file in; rows out) and
deterministic: the same scale, seed and window make the same rows, because every
grid-month and community-month draws from its own ``random.Random`` and ids are handed
out in a fixed order (month, community, grid). ``write_history`` writes them with Core
``executemany`` inserts in the seed's transaction, community by community, so memory
stays flat at the Zhengzhou scale.

What is generated (see docs/benchmarks.md for the volumes):

* incidents with their whole ``incident_history`` (``history_incidents``), legal under
  the workflow's ACTIONS table, with yellow/red lapses and escalations;
* alerts with their actions, SMS batches and deliveries, acknowledged or not
  (``history_alerts``);
* ``duty_seconds``/``online_seconds`` facts per staff member and day
  (``history_duty``: there is no record of them yet), and then every other daily fact
  computed from the record just written (``data.assessment.facts.refresh_range``),
  and the monthly sums of the window (``rebuild_months``).

No outbox rows are written: the wall is never pushed the past.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from data.demo_city.bulk import insert_rows
from data.demo_city.generator import DemoCity
from data.demo_city.history_alerts import AlertMaker, MonthAlerts
from data.demo_city.history_duty import duty_rows
from data.demo_city.history_incidents import IncidentMaker, MonthIncidents
from data.demo_city.history_world import (
    LOCAL_TZ,
    GridInfo,
    HistoryWindow,
    HistoryWorld,
    build_world,
    history_rng,
)
from data.demo_city.ids import IdCounters
from data.incidents.categories import CategoryConfig, default_categories
from data.models import Base

ProgressFn = Callable[[str, int, int], None]

STAGE_HISTORY = "生成历史记录"
STAGE_FACTS = "计算历史考核数据"
#: days of facts computed at once: a month at Zhengzhou scale took 1.8 GB in pandas
FACT_DAYS = 7
#: the record tables history fills, parents first
HISTORY_TABLES = (
    "incident",
    "incident_history",
    "alert",
    "alert_action",
    "sms_batch",
    "alert_delivery",
)
FACTS = "assessment_fact"
#: rows buffered before they are written (all tables at once, parents first)
FLUSH_ROWS = 20_000
DEFAULT_MONTHS = 12


def default_end_day() -> dt.date:
    """Today in the display zone: history runs up to last midnight."""
    return dt.datetime.now(LOCAL_TZ).date()


@dataclass(frozen=True, slots=True)
class HistoryReport:
    """Rows written per table and the time taken."""

    months: int
    rows: dict[str, int]
    elapsed_s: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def incidents(self) -> int:
        return self.rows.get("incident", 0)


@dataclass(slots=True)
class HistoryUnit:
    """The rows of one community for one month, table by table."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


class HistoryGenerator:
    """Deterministic history rows for one city (scale, seed) and window."""

    def __init__(
        self,
        city: DemoCity,
        window: HistoryWindow,
        *,
        world: HistoryWorld | None = None,
        categories: CategoryConfig | None = None,
        duty_facts: bool = True,
    ) -> None:
        self.city = city
        self.window = window
        self.world = world or build_world(city)
        self.duty_facts = duty_facts
        self.ids = IdCounters()
        self.incidents = IncidentMaker(
            self.world, categories or default_categories(), window.end, self.ids
        )
        self.alerts = AlertMaker(window.end, self.ids)
        self.communities = sorted(self.world.communities().items())

    @property
    def units(self) -> int:
        """How many (month, community) units ``units_rows`` yields."""
        return self.window.months * len(self.communities)

    def unit_rows(self) -> Iterator[HistoryUnit]:
        """Month by month, community by community (ids follow this order)."""
        starts = self.window.month_starts()
        days = self.window.days()
        for month, (start, stop) in enumerate(itertools.pairwise(starts)):
            month_days = [d for d in days if start <= _midnight(d) < stop]
            for community_id, grids in self.communities:
                yield self._unit(month, (start, stop), month_days, community_id, grids)

    def _unit(
        self,
        month: int,
        span: tuple[dt.datetime, dt.datetime],
        days: list[dt.date],
        community_id: int,
        grids: list[GridInfo],
    ) -> HistoryUnit:
        incidents = MonthIncidents()
        facts: list[dict[str, Any]] = []
        for grid in grids:
            rng = history_rng(self.city, "incidents", grid.id, month)
            self.incidents.grid_month(grid, span[0], span[1], rng, incidents)
            if self.duty_facts:
                facts.extend(duty_rows(grid, days, history_rng(self.city, "duty", grid.id, month)))
        alerts = MonthAlerts()
        community = self.world.nodes[community_id]
        rng = history_rng(self.city, "alerts", community_id, month)
        self.alerts.community_month(community, grids, span, rng, alerts)
        tables = {"incident": incidents.incidents, "incident_history": incidents.history}
        tables.update(alerts.tables())
        if self.duty_facts:
            tables[FACTS] = facts
        return HistoryUnit(tables)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def write_history(
    conn: Connection,
    city: DemoCity,
    months: int,
    *,
    end_day: dt.date | None = None,
    staff_rows: list[dict[str, Any]] | None = None,
    progress: ProgressFn | None = None,
    zone: dt.tzinfo = LOCAL_TZ,
) -> HistoryReport:
    """Generate ``months`` of history ending at ``end_day`` (default today) and write it.

    Then the daily facts of the window are computed from what was written, like any
    other day's (``data.assessment.facts``), with days in ``zone`` (the display zone).
    """
    started = time.perf_counter()
    window = HistoryWindow(end_day or default_end_day(), months)
    generator = HistoryGenerator(city, window, world=build_world(city, staff_rows))
    report: ProgressFn = progress or (lambda stage, done, total: None)
    written: dict[str, int] = {}
    buffer = HistoryUnit({})
    done = 0
    report(STAGE_HISTORY, 0, generator.units)
    for unit in generator.unit_rows():
        for name, rows in unit.tables.items():
            buffer.tables.setdefault(name, []).extend(rows)
        done += 1
        if len(buffer) >= FLUSH_ROWS:
            _flush(conn, buffer, written)
            report(STAGE_HISTORY, done, generator.units)
    _flush(conn, buffer, written)
    report(STAGE_HISTORY, done, generator.units)
    computed = compute_facts_of(conn, window, zone, report)
    written[FACTS] = written.get(FACTS, 0) + computed
    return HistoryReport(months, written, round(time.perf_counter() - started, 3))


def compute_facts_of(
    conn: Connection, window: HistoryWindow, zone: dt.tzinfo, report: ProgressFn
) -> int:
    """The computed daily facts of the window's days (and its end day), a week at a time."""
    # pandas: only when history is written
    from data.assessment.facts import rebuild_months, refresh_range

    days = [*window.days(), window.end_day]
    slices = [days[i : i + FACT_DAYS] for i in range(0, len(days), FACT_DAYS)]
    session = Session(bind=conn)  # joins the seed's transaction; never commits it
    rows = 0
    report(STAGE_FACTS, 0, len(slices))
    for done, piece in enumerate(slices, start=1):
        rows += refresh_range(session, piece[0], piece[-1], zone, months=False)
        report(STAGE_FACTS, done, len(slices))
    # every month once at the end (the duty seconds were written without a refresh)
    rebuild_months(session, days[0], days[-1])
    session.close()
    return rows


def _flush(conn: Connection, buffer: HistoryUnit, written: dict[str, int]) -> None:
    """Write every buffered table, parents first, and empty the buffer."""
    for name in (*HISTORY_TABLES, FACTS):
        rows = buffer.tables.get(name)
        if not rows:
            continue
        if name == FACTS:  # in primary-key order: the b-tree is appended to, not split
            rows.sort(key=_fact_key)
        insert_rows(conn, Base.metadata.tables[name], rows)
        written[name] = written.get(name, 0) + len(rows)
        rows.clear()


def _fact_key(row: dict[str, Any]) -> tuple[dt.date, int, int, str]:
    return row["day"], row["node_id"], row["staff_id"], row["measure"]
