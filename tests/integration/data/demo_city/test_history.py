"""Generated demo history on real SQLite and PostgreSQL: deterministic, legal, varied, bounded."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from data.db import make_engine, make_sessionmaker
from data.demo_city import DemoCity, seed_demo_city
from data.demo_city.history import HISTORY_TABLES, HistoryGenerator
from data.demo_city.history_world import LOCAL_TZ, HistoryWindow
from data.incidents import intake
from data.incidents.categories import default_categories
from data.incidents.limits import deadline_for
from data.incidents.workflow import ACTIONS, CLOCK_RUNNING, RECORD_ACTIONS
from data.models import (
    AssessmentFact,
    Base,
    HandlingLevel,
    Incident,
    IncidentSource,
    IncidentState,
    Staff,
)

END_DAY = dt.date(2026, 11, 20)
MONTHS = 2


def seeded(engine: Engine, seed: int = 5) -> None:
    seed_demo_city(engine, "small", seed, history_months=MONTHS, history_end=END_DAY)


def rows_of(conn: Connection, table: str) -> list[dict[str, Any]]:
    t = Base.metadata.tables[table]
    return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]


def digest(conn: Connection) -> str:
    """One hash over every history table's rows, the same for SQLite and PostgreSQL."""
    h = hashlib.sha256()
    for table in HISTORY_TABLES:
        for row in rows_of(conn, table):
            h.update(json.dumps(row, sort_keys=True, default=str).encode())
    return h.hexdigest()


def test_same_seed_same_rows_on_every_database(engine: Engine, tmp_path: Path) -> None:
    seeded(engine)
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    seeded(reference)
    with engine.connect() as conn, reference.connect() as ref:
        assert digest(conn) == digest(ref)
        assert (
            conn.execute(select(func.count()).select_from(Base.metadata.tables["outbox"])).scalar()
            == 0
        )
    reference.dispose()


def test_a_different_seed_makes_different_history() -> None:
    def rows(seed: int) -> str:
        generator = HistoryGenerator(DemoCity("small", seed), HistoryWindow(END_DAY, 1))
        units = [json.dumps(u.tables, sort_keys=True, default=str) for u in generator.unit_rows()]
        return hashlib.sha256("".join(units).encode()).hexdigest()

    assert rows(5) == rows(5)
    assert rows(5) != rows(6)


def test_every_incident_history_is_a_legal_path(engine: Engine) -> None:
    seeded(engine)
    with engine.connect() as conn:
        incidents = rows_of(conn, "incident")
        history: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows_of(conn, "incident_history"):
            history[row["incident_id"]].append(row)
    assert incidents
    transition_ids = [r["transition_id"] for rows in history.values() for r in rows]
    assert len(transition_ids) == len(set(transition_ids))
    end = dt.datetime(END_DAY.year, END_DAY.month, END_DAY.day, tzinfo=LOCAL_TZ)
    for incident in incidents:
        replay(incident, sorted(history[incident["id"]], key=lambda r: r["seq"]), end)


def replay(incident: dict[str, Any], rows: list[dict[str, Any]], end: dt.datetime) -> None:
    """Walk the rows through the workflow's ACTIONS table: every step must be allowed."""
    config = default_categories()
    assert (
        [r["seq"] for r in rows]
        == list(range(1, len(rows) + 1))
        == list(range(1, incident["last_seq"] + 1))
    )
    first = rows[0]
    assert first["action"] == "report" and first["from_state"] is None
    assert first["to_state"] == IncidentState.REPORTED and first["at"] == incident["created_at"]
    state, assignee, handlers = IncidentState.REPORTED, None, set()
    for previous, row in itertools.pairwise(rows):
        assert previous["at"] <= row["at"] < end
        assert row["from_state"] == state, (incident["id"], row)
        spec = ACTIONS.get(row["action"])
        if spec is None:
            assert row["action"] in RECORD_ACTIONS and row["action"] != "report"
            assert row["to_state"] == state and state in CLOCK_RUNNING
            assert row["actor_role"] == "system"
            continue
        assert state in spec.sources and row["to_state"] == spec.target, (incident["id"], row)
        assert row["actor_role"] in spec.roles
        if row["action"] == "dispatch":
            assignee = row["detail"]["assignee_staff_id"]
        elif row["action"] in ("start", "handle") or (
            row["action"] == "escalate" and row["actor_role"] == "grid_staff"
        ):
            assert row["actor_staff_id"] == assignee  # only the assignee acts
            handlers.add(row["actor_staff_id"])
        elif row["action"] == "verify":
            assert row["actor_staff_id"] not in handlers  # four eyes
        if row["action"] == "escalate":
            assignee = None
        state = spec.target
    assert incident["state"] == state
    assert incident["updated_at"] == rows[-1]["at"]
    level = HandlingLevel(incident["level"])
    assert (incident["yellow_at"], incident["deadline_at"]) == deadline_for(
        config, incident["category"], level, incident["level_started_at"]
    )


def test_live_incidents_follow_the_history(engine: Engine) -> None:
    """After the history the live record goes on: fresh ids, a fresh tracking number."""
    seeded(engine)
    with make_sessionmaker(engine).begin() as session:
        last = session.scalar(select(func.max(Incident.id)))
        staff = session.scalars(select(Staff).order_by(Staff.id).limit(1)).one()
        incident = intake.report(
            session,
            source=IncidentSource.TERMINAL,
            category="civil_relief",
            title="历史之后的新事件",
            node_id=staff.node_id,
            reporter_staff_id=staff.id,
        )
        assert last is not None and incident.id == last + 1
        assert incident.last_seq == 1


def test_counts_per_month_are_within_bounds(engine: Engine) -> None:
    seeded(engine)
    with engine.connect() as conn:
        incidents = rows_of(conn, "incident")
        deliveries = rows_of(conn, "alert_delivery")
        facts = rows_of_facts(conn)
    months = Counter(i["created_at"].astimezone(LOCAL_TZ).strftime("%Y-%m") for i in incidents)
    assert len(months) in (MONTHS, MONTHS + 1)  # windows need not start on the 1st
    assert 40 * 5 * MONTHS * 0.7 <= len(incidents) <= 40 * 5 * MONTHS * 1.3  # 40 grids, ~5 a month
    states = Counter(i["state"] for i in incidents)
    assert states[IncidentState.CLOSED] > 0.8 * len(incidents)
    with engine.connect() as conn:
        actions = Counter(r["action"] for r in rows_of(conn, "incident_history"))
    assert 0 < actions["deadline_red"] < actions["deadline_yellow"] < 0.5 * len(incidents)
    assert 0 < actions["escalate"] < actions["deadline_red"]
    acked = [d for d in deliveries if d["acknowledged_at"] is not None]
    assert 0.3 * len(deliveries) < len(acked) < len(deliveries)
    assert_duty_facts([f for f in facts if f["measure"] in ("duty_seconds", "online_seconds")])
    assert_computed_facts(facts, incidents, deliveries)


def rows_of_facts(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(AssessmentFact))]


def assert_computed_facts(
    facts: list[dict[str, Any]], incidents: list[dict[str, Any]], deliveries: list[dict[str, Any]]
) -> None:
    """The seed computed the window's facts from the record it wrote."""
    grid_totals: Counter[str] = Counter()
    for f in facts:
        if f["staff_id"] == 0:
            grid_totals[f["measure"]] += f["value"]
    assert grid_totals["reported"] == len(incidents)
    assert grid_totals["alert_deliveries"] == len(deliveries)
    acked = sum(1 for d in deliveries if d["acknowledged_at"] is not None)
    assert grid_totals["alert_acks"] == acked
    assert 0 < grid_totals["red"] < grid_totals["yellow"]


def assert_duty_facts(facts: list[dict[str, Any]]) -> None:
    """Per-staff rows add up to the grid's (staff_id 0) rows; online never exceeds duty."""
    assert facts
    sums: dict[tuple[Any, int, str], float] = defaultdict(float)
    grid_rows: dict[tuple[Any, int, str], float] = {}
    for f in facts:
        key = (f["day"], f["node_id"], f["measure"])
        if f["staff_id"] == 0:
            grid_rows[key] = f["value"]
        else:
            sums[key] += f["value"]
    assert grid_rows == pytest.approx(dict(sums))
    for (day, node, measure), value in grid_rows.items():
        if measure == "online_seconds":
            assert value <= grid_rows[(day, node, "duty_seconds")]


def test_areas_differ_so_rankings_differ() -> None:
    """At the city scale the streets' quality shows: the best street lapses least."""
    city = DemoCity("city", 2)
    generator = HistoryGenerator(city, HistoryWindow(END_DAY, 1), duty_facts=False)
    street_of = {
        g.id: generator.world.nodes[g.community_id].parent_id for g in generator.world.grids
    }
    quality: dict[int, list[float]] = defaultdict(list)
    for grid in generator.world.grids:
        quality[street_of[grid.id] or 0].append(grid.quality)
    reported: Counter[int] = Counter()
    red: Counter[int] = Counter()
    for unit in generator.unit_rows():
        for row in unit.tables["incident_history"]:
            street = street_of.get(row["node_after_id"])
            if street is None:
                continue  # escalated above the grid
            if row["action"] == "report":
                reported[street] += 1
            elif row["action"] == "deadline_red":
                red[street] += 1
    rate = {s: red[s] / reported[s] for s in reported}
    mean_quality = {s: sum(q) / len(q) for s, q in quality.items()}
    best = max(mean_quality, key=lambda s: mean_quality[s])
    worst = min(mean_quality, key=lambda s: mean_quality[s])
    assert len(set(rate.values())) > 1
    assert rate[best] < rate[worst]
