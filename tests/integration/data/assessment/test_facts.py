"""Daily facts from the record on SQLite and PostgreSQL: hand-counted, stored, invalidated.

The story happens at 20:00 UTC on 29 November, which is already 30 November in the
display zone (Asia/Shanghai): every fact below belongs to the local day 2026-11-30.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.assessment.facts import (
    compute_facts,
    deduction_incidents,
    load_facts,
    load_staff,
    load_sums,
    refresh_dirty,
)
from data.assessment.periods import Period
from data.assessment.scheme import load_scheme
from data.assessment.scoring import explain, explain_from_store, ranking
from data.incidents import deadlines, workflow
from data.incidents.actors import Actor
from data.incidents.intake import report
from data.models import (
    AssessmentDirtyDay,
    AssessmentFactMonth,
    Delivery,
    NodeKind,
    OrgNode,
    Staff,
)
from data.org_tree import OrgTree
from streams.assessment_refresh import AssessmentRefresh, run_assessment_refresh

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 30)
MINUTE = dt.timedelta(minutes=1)


@dataclass
class City:
    grid_a: OrgNode
    grid_b: OrgNode
    worker: int
    checker: int
    fire: int  # the incident that lapsed in grid B


def _grids(session: Session) -> list[OrgNode]:
    query = select(OrgNode).where(OrgNode.kind == NodeKind.GRID).order_by(OrgNode.id)
    return list(session.scalars(query))


def _staff(session: Session, node_id: int) -> list[int]:
    return list(
        session.scalars(select(Staff.id).where(Staff.node_id == node_id).order_by(Staff.id))
    )


def _desk(node: OrgNode, uid: int = 900) -> Actor:
    return Actor("duty_officer", f"desk-{uid}", node.path, user_id=uid)


def _report(session: Session, grid: OrgNode, **kw: Any) -> int:
    fields: dict[str, Any] = {
        "source": "open311",
        "category": "city_sanitation",
        "title": "路边垃圾",
        "reporter_name": "李四",
        "reporter_phone": "13912345678",
        "lat": grid.center_lat,
        "lon": grid.center_lon,
        "now": T0,
    }
    fields.update(kw)
    return report(session, **fields).id


def _walk(session: Session, incident: int, steps: list[tuple[str, Actor, dict[str, Any]]]) -> None:
    for minutes, (action, actor, kw) in enumerate(steps, start=1):
        workflow.apply(session, incident, action, actor, now=T0 + minutes * MINUTE, **kw)


def _story(sessions: sessionmaker[Session]) -> City:
    """Grid A: one citizen incident closed, one own-staff incident returned; grid B: a lapse."""
    with sessions.begin() as db:
        grid_a, grid_b = _grids(db)[5], _grids(db)[2]
        worker, checker = _staff(db, grid_a.id)[:2]
        desk = _desk(grid_a)
        doer = Actor("grid_staff", "worker", grid_a.path, staff_id=worker)
        first = _report(db, grid_a)
        _walk(db, first, [
            ("accept", desk, {}),
            ("dispatch", desk, {"assignee_staff_id": worker}),
            ("start", doer, {}),
            ("handle", doer, {"note": "已清运"}),
            ("verify", Actor("grid_staff", "checker", grid_a.path, staff_id=checker), {}),
            ("close", _desk(grid_a, 901), {}),
        ])  # fmt: skip
        own = _report(db, grid_a, source="terminal", reporter_staff_id=worker, reporter_name=None)
        _walk(db, own, [
            ("accept", desk, {}),
            ("dispatch", desk, {"assignee_staff_id": worker}),
            ("start", doer, {}),
            ("handle", doer, {"note": "已处理"}),
            ("return", desk, {"note": "照片不清楚"}),
        ])  # fmt: skip
        fire = _report(db, grid_b, category="fire_safety", title="楼道充电")
    for hours in (1, 2):  # fire_safety: 2 h at grid level, yellow at half; then escalated
        with sessions.begin() as db:
            deadlines.sweep(db, T0 + dt.timedelta(hours=hours))
    return City(grid_a, grid_b, worker, checker, fire)


def _alert_grid_a(sessions: sessionmaker[Session], city: City) -> set[int]:
    """An alert to grid A's community; grid A's texts leave at T0+1', the worker acks at T0+11'."""
    with sessions.begin() as db:
        community = db.get(OrgNode, city.grid_a.parent_id)
        assert community is not None
        issued = lifecycle.issue(
            db,
            _desk(community),
            node_id=community.id,
            level="red",
            category="flood",
            title="暴雨红色预警",
            text="请转移低洼住户",
            valid_until=T0 + dt.timedelta(hours=6),
            now=T0,
        )
        in_a = db.scalars(
            update(Delivery)
            .where(Delivery.alert_id == issued.alert.id)
            .where(Delivery.staff_id.in_(_staff(db, city.grid_a.id)))
            .values(sent_at=T0 + MINUTE)
            .returning(Delivery.staff_id)
        ).all()
        assert city.worker in in_a
        lifecycle.acknowledge(db, issued.alert.id, city.worker, now=T0 + 11 * MINUTE)
        return set(in_a)


def _as_dict(facts: Any, node_id: int, staff_id: int = 0) -> dict[str, float]:
    rows = facts[(facts["node_id"] == node_id) & (facts["staff_id"] == staff_id)]
    assert {pd.Timestamp(day).date() for day in rows["day"]} <= {DAY}  # dates or datetime64
    return dict(zip(rows["measure"], rows["value"], strict=True))


@pytest.fixture
def city(sessions: sessionmaker[Session]) -> City:
    return _story(sessions)


def test_facts_of_a_small_story_match_the_hand_count(
    sessions: sessionmaker[Session], city: City
) -> None:
    texted = _alert_grid_a(sessions, city)
    with sessions() as db:
        facts = compute_facts(db, DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1), TZ)
    assert _as_dict(facts, city.grid_a.id) == {
        "reported": 2, "reported_own": 1, "accepted": 2, "dispatched": 2, "handled": 2,
        "handled_on_time": 2, "verified": 1, "closed": 1, "returned": 1,
        "alert_deliveries": len(texted), "alert_acks": 1,
        "ack_seconds_sum": 600, "ack_seconds_p50": 600,
    }  # fmt: skip
    assert _as_dict(facts, city.grid_a.id, city.worker) == {
        "reported": 1, "reported_own": 1, "handled": 2, "handled_on_time": 2,
        "alert_deliveries": 1, "alert_acks": 1, "ack_seconds_sum": 600, "ack_seconds_p50": 600,
    }  # fmt: skip
    checker_texted = {"alert_deliveries": 1} if city.checker in texted else {}
    assert _as_dict(facts, city.grid_a.id, city.checker) == {"verified": 1, **checker_texted}
    assert _as_dict(facts, city.grid_b.id) == {"reported": 1, "yellow": 1, "red": 1, "escalated": 1}
    assert set(facts["node_id"]) == {city.grid_a.id, city.grid_b.id}  # the community is no grid


def test_changes_mark_days_dirty_and_refresh_stores_the_facts(
    sessions: sessionmaker[Session], city: City
) -> None:
    with sessions() as db:
        dirty = set(db.execute(select(AssessmentDirtyDay.day, AssessmentDirtyDay.node_id)).all())
    community_id = city.grid_b.parent_id
    assert {(DAY, city.grid_a.id), (DAY, city.grid_b.id), (DAY, community_id)} <= dirty
    with sessions.begin() as db:
        assert refresh_dirty(db, TZ) == len(dirty)
    with sessions() as db:
        assert db.scalars(select(AssessmentDirtyDay)).all() == []
        stored = load_facts(db, DAY, DAY, city.grid_b.path)
        assert _as_dict(stored, city.grid_b.id) == {
            "reported": 1, "yellow": 1, "red": 1, "escalated": 1
        }  # fmt: skip
        behind = deduction_incidents(db, [city.grid_b.id], DAY, DAY, TZ)
        assert list(behind["measure"]) == ["yellow", "red", "escalated"]
        assert set(behind["incident_id"]) == {city.fire}
        assert behind["tracking_no"].str.startswith("GW20261130-").all()


def test_rankings_and_explain_read_the_stored_facts(
    sessions: sessionmaker[Session], city: City
) -> None:
    with sessions.begin() as db:
        refresh_dirty(db, TZ)
    period = Period(DAY, DAY)
    scheme = load_scheme()
    with sessions() as db:
        tree = OrgTree.load(db)
        root = tree.root
        assert root is not None
        facts = load_facts(db, period.previous().start, period.end, root.path)
        grids = ranking(scheme, tree, facts, period, "grid", root.id)
        assert len(grids) == sum(node.kind == NodeKind.GRID for node in tree.nodes.values())
        lapsed = grids[grids["unit_id"] == city.grid_b.id].iloc[0]
        assert lapsed["cards"].startswith("期内有事件超时（红牌）")
        assert lapsed["score"] < grids[grids["unit_id"] == city.grid_a.id].iloc[0]["score"]
        why = explain(db, scheme, tree, facts, period, "grid", city.grid_b.id, TZ)
        overdue = why.indicators.set_index("code").loc["overdue_deductions"]
        assert (overdue["numerator"], overdue["points"]) == (1 * 1 + 1 * 3, 10 - 4)
        assert list(why.incidents["measure"]) == ["yellow", "red", "escalated"]
        assert set(why.incidents["incident_id"]) == {city.fire}
        staff = load_staff(db, city.grid_a.path)
        worker = explain(db, scheme, tree, facts, period, "staff", city.worker, TZ, staff)
        assert worker.row["name"] in set(staff["name"]) and worker.incidents.empty
        # the rank is the one among its siblings (its community's grids), as the user saw it
        siblings = ranking(scheme, tree, facts, period, "grid", city.grid_b.parent_id)
        seen = siblings[siblings["unit_id"] == city.grid_b.id].iloc[0]["rank"]
        assert why.row["rank"] == seen and seen == len(siblings[siblings["has_data"]])
        stored = explain_from_store(db, scheme, tree, period, "grid", city.grid_b.id, TZ)
        assert (stored.row["rank"], stored.row["score"]) == (seen, lapsed["score"])


def _month_row(
    sessions: sessionmaker[Session], grid: OrgNode, measure: str, month: dt.date = DAY
) -> float | None:
    with sessions() as db:
        return db.scalar(
            select(AssessmentFactMonth.value).where(
                AssessmentFactMonth.month == month.replace(day=1),
                AssessmentFactMonth.node_id == grid.id,
                AssessmentFactMonth.staff_id == 0,
                AssessmentFactMonth.measure == measure,
            )
        )


def test_the_refresh_keeps_the_month_sums_and_a_closure_changes_them(
    sessions: sessionmaker[Session], city: City
) -> None:
    assert _month_row(sessions, city.grid_a, "closed") is None  # nothing refreshed yet
    with sessions.begin() as db:
        refresh_dirty(db, TZ)
    assert _month_row(sessions, city.grid_a, "closed") == 1.0
    assert _month_row(sessions, city.grid_b, "red") == 1.0
    with sessions() as db:  # a median is not summed into a month
        assert (
            db.scalar(
                select(AssessmentFactMonth.value).where(
                    AssessmentFactMonth.measure == "ack_seconds_p50"
                )
            )
            is None
        )
    earlier = T0 - dt.timedelta(days=2)  # local day 28 November: the same month
    with sessions.begin() as db:
        grid = db.get(OrgNode, city.grid_a.id)
        assert grid is not None
        incident = _report(db, grid, now=earlier)
        desk = _desk(grid)
        doer = Actor("grid_staff", "worker", grid.path, staff_id=city.worker)
        for minutes, (action, actor, kw) in enumerate([
            ("accept", desk, {}),
            ("dispatch", desk, {"assignee_staff_id": city.worker}),
            ("start", doer, {}),
            ("handle", doer, {"note": "好了"}),
            ("verify", Actor("grid_staff", "checker", grid.path, staff_id=city.checker), {}),
            ("close", _desk(grid, 901), {}),
        ], start=1):  # fmt: skip
            workflow.apply(db, incident, action, actor, now=earlier + minutes * MINUTE, **kw)
    with sessions() as db:
        marked = set(db.execute(select(AssessmentDirtyDay.day, AssessmentDirtyDay.node_id)))
    assert (dt.date(2026, 11, 28), city.grid_a.id) in marked
    assert _month_row(sessions, city.grid_a, "closed") == 1.0  # until the refresh runs
    with sessions.begin() as db:
        refresh_dirty(db, TZ)
    assert _month_row(sessions, city.grid_a, "closed") == 2.0
    assert _month_row(sessions, city.grid_a, "reported") == 3.0
    with sessions() as db:  # the month as the page reads it: the month row, not the days
        sums = load_sums(db, DAY.replace(day=1), DAY, False, ["closed"], city.grid_a.path)
    assert sums["value"].tolist() == [2.0]


@pytest.fixture
def refresher(sessions: sessionmaker[Session]) -> Iterator[AssessmentRefresh]:
    refresh = AssessmentRefresh(sessions, TZ, interval_s=0.05, recent_every_s=3600)
    stop = threading.Event()
    thread = threading.Thread(target=run_assessment_refresh, args=(refresh, stop), daemon=True)
    thread.start()
    yield refresh
    stop.set()
    thread.join(timeout=10)


def _closed_on(sessions: sessionmaker[Session], grid: OrgNode, day: dt.date) -> float | None:
    with sessions() as db:
        facts = load_facts(db, day, day, grid.path)
    rows = facts[(facts["measure"] == "closed") & (facts["staff_id"] == 0)]
    return None if rows.empty else float(rows["value"].sum())


def test_a_closed_incident_marks_its_day_and_the_loop_updates_the_fact(
    sessions: sessionmaker[Session], city: City, refresher: AssessmentRefresh
) -> None:
    later = T0 + dt.timedelta(days=3)  # local day 3 December
    with sessions.begin() as db:
        grid = db.get(OrgNode, city.grid_a.id)
        assert grid is not None
        incident = _report(db, grid, now=later - dt.timedelta(hours=1))
        desk = _desk(grid)
        doer = Actor("grid_staff", "worker", grid.path, staff_id=city.worker)
        for minutes, (action, actor, kw) in enumerate([
            ("accept", desk, {}),
            ("dispatch", desk, {"assignee_staff_id": city.worker}),
            ("start", doer, {}),
            ("handle", doer, {"note": "好了"}),
            ("verify", Actor("grid_staff", "checker", grid.path, staff_id=city.checker), {}),
            ("close", _desk(grid, 901), {}),
        ], start=1):  # fmt: skip
            workflow.apply(db, incident, action, actor, now=later + minutes * MINUTE, **kw)
    deadline = time.monotonic() + 20
    while _closed_on(sessions, city.grid_a, dt.date(2026, 12, 3)) != 1.0:
        assert time.monotonic() < deadline, "the refresh loop never stored the closure"
        time.sleep(0.05)
    assert _closed_on(sessions, city.grid_a, DAY) == 1.0  # the story's closure, still there
