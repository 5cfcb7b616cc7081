"""Incidents on the small demo city, in real SQLite and PostgreSQL databases."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessionmaker
from data.demo_city.geometry import rect_from_polygon
from data.incidents import deadlines, duplicates, queries, workflow
from data.incidents.actors import Actor
from data.incidents.categories import default_categories
from data.incidents.intake import IntakeError, report
from data.incidents.locate import grid_index, haversine_m
from data.models import (
    DeadlineStatus,
    HandlingLevel,
    Incident,
    IncidentHistory,
    IncidentSource,
    IncidentState,
    NodeKind,
    OrgNode,
    OutboxMessage,
    Role,
    Staff,
)
from data.users import add_user
from streams.keys import EVENTS_STREAM

CONFIG = default_categories()
#: 20:00 UTC is already the next day in China: the tracking number says 20261130
T0 = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
TRACKING_RE = re.compile(r"^GW20261130-\d{6}$")


def grids(session: Session) -> list[OrgNode]:
    query = select(OrgNode).where(OrgNode.kind == NodeKind.GRID).order_by(OrgNode.id)
    return list(session.scalars(query))


def node(session: Session, node_id: int) -> OrgNode:
    found = session.get(OrgNode, node_id)
    assert found is not None
    return found


def staff_of(session: Session, node_id: int) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.node_id == node_id).order_by(Staff.id)))


def officer(session: Session, node_id: int, role: str = "duty_officer", uid: int = 900) -> Actor:
    return Actor(role, f"{role}-{uid}", node(session, node_id).path, user_id=uid)


def citizen_report(session: Session, **kw: object) -> Incident:
    fields: dict[str, Any] = {  # keyword arguments of report(), checked by it
        "source": "open311",
        "category": "city_sanitation",
        "title": "路边垃圾堆放",
        "description": "小区门口垃圾三天没人清运",
        "reporter_name": "李四",
        "reporter_phone": "13912345678",
        "now": T0,
    }
    fields.update(kw)
    return report(session, **fields)


def test_a_point_lands_in_its_grid_with_deadline_history_and_event(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        index = grid_index(session)
        for grid in grids(session):
            rect = rect_from_polygon(grid.boundary)
            west, south = rect.x0 / 1e6, rect.y0 / 1e6
            assert index.locate(grid.center_lat, grid.center_lon) == grid.id
            assert index.locate(south, west) == grid.id  # the south-west corner is its own
        grid = grids(session)[7]
        incident = citizen_report(session, lat=grid.center_lat, lon=grid.center_lon)
        incident_id = incident.id

    with sessions() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        assert TRACKING_RE.match(incident.tracking_no), incident.tracking_no
        assert (incident.node_id, incident.level) == (grid.id, HandlingLevel.GRID)
        assert (
            incident.state is IncidentState.REPORTED and incident.source is IncidentSource.OPEN311
        )
        hours = CONFIG.limit_hours("city_sanitation", HandlingLevel.GRID)
        assert incident.deadline_at == T0 + dt.timedelta(hours=hours)
        assert incident.yellow_at == T0 + dt.timedelta(
            hours=hours * CONFIG.yellow_share("city_sanitation")
        )
        assert incident.deadline_status is DeadlineStatus.NONE
        assert incident.reporter_phone == "13912345678"
        assert incident.reporter_phone_masked == "139****5678"
        [row] = queries.timeline(session, incident_id)
        assert (row.seq, row.action, row.from_state, row.to_state) == (
            1,
            "report",
            None,
            "reported",
        )
        assert row.actor == "市民 李*" and row.actor_role == "citizen"
        [event] = session.scalars(select(OutboxMessage)).all()
        assert event.stream == EVENTS_STREAM and event.published_at is None
        payload = event.payload
        assert payload["incident_id"] == incident_id and payload["seq"] == 1
        assert payload["transition_id"] == row.transition_id and payload["history_id"] == row.id
        assert payload["node_path"] == grid.path and payload["to_state"] == "reported"
        assert "13912345678" not in str(payload) and "李四" not in str(payload)


def test_a_failure_after_intake_rolls_back_incident_history_and_event(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        with session.begin():
            grid = grids(session)[0]
        with pytest.raises(RuntimeError, match="after intake"), session.begin():
            citizen_report(session, lat=grid.center_lat, lon=grid.center_lon)
            assert session.scalar(select(func.count(OutboxMessage.id))) == 1
            raise RuntimeError("something failed after intake")
        for model in (Incident, IncidentHistory, OutboxMessage):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_bad_fields_are_each_named(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        with pytest.raises(IntakeError) as caught:
            report(
                session,
                source="fax",
                category="unicorns",
                title="   ",
                lat=34.8,
                reporter_phone="call me",
                attachments=["x" * 300],
                now=T0,
            )
        assert set(caught.value.errors) == {
            "source", "category", "title", "location", "reporter_phone", "attachments"
        }  # fmt: skip
        with pytest.raises(IntakeError) as caught:
            citizen_report(session, lat=10.0, lon=10.0)
        assert caught.value.errors == {"location": "该位置不在任何网格内"}
        with pytest.raises(IntakeError) as caught:
            citizen_report(session, source="terminal")
        assert set(caught.value.errors) == {"location", "reporter_staff_id"}
        with pytest.raises(IntakeError) as caught:
            city = session.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.CITY))
            assert city is not None
            citizen_report(session, node_id=city.id)
        assert "node_id" in caught.value.errors
        assert session.scalar(select(func.count(Incident.id))) == 0


def test_a_terminal_retry_returns_the_first_incident(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        grid = grids(session)[3]
        reporter = staff_of(session, grid.id)[0]
        kw = {
            "source": "terminal",
            "reporter_staff_id": reporter.id,
            "lat": grid.center_lat,
            "lon": grid.center_lon,
            "transition_id": "device-7:report-42",
            "attachments": ["sha256/ab/abcdef.jpg"],
        }
        first = citizen_report(session, **kw)
        again = citizen_report(session, **kw)
        assert first.id == again.id
        assert session.scalar(select(func.count(Incident.id))) == 1
        assert first.attachments == ["sha256/ab/abcdef.jpg"]
        assert queries.timeline(session, first.id)[0].actor == reporter.name


def test_report_to_close_with_scope_and_lists(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        grid = grids(session)[5]
        community = node(session, grid.parent_id or 0)
        street = node(session, community.parent_id or 0)
        worker, checker = staff_of(session, grid.id)[:2]
        incident = citizen_report(session, lat=grid.center_lat, lon=grid.center_lon)
        other_grid = next(g for g in grids(session) if g.parent_id != community.id)
        stranger = officer(session, other_grid.parent_id or 0, uid=901)
        with pytest.raises(workflow.NotPermitted, match="不在您的管辖范围内"):
            workflow.apply(session, incident.id, "accept", stranger, now=T0)
        desk = officer(session, street.id)
        worker_actor = Actor("grid_staff", worker.name, grid.path, staff_id=worker.id)
        position = {"lat": grid.center_lat, "lon": grid.center_lon}
        photo = ["sha256/cd/after.jpg"]
        steps = [
            ("accept", desk, {}),
            ("dispatch", desk, {"assignee_staff_id": worker.id}),
            ("start", worker_actor, {}),
            ("handle", worker_actor, {"note": "已清运", **position, "attachments": photo}),
            ("verify", Actor("grid_staff", checker.name, grid.path, staff_id=checker.id), {}),
            ("close", officer(session, community.id, "leader", 902), {}),
        ]
        for minutes, (action, actor, kw) in enumerate(steps, start=1):
            workflow.apply(
                session, incident.id, action, actor, now=T0 + dt.timedelta(minutes=minutes), **kw
            )
        incident_id = incident.id

    with sessions() as session:
        rows = queries.timeline(session, incident_id)
        assert [r.action for r in rows] == [
            "report", "accept", "dispatch", "start", "handle", "verify", "close"
        ]  # fmt: skip
        assert [r.seq for r in rows] == list(range(1, 8))
        assert all(b.from_state == a.to_state for a, b in itertools.pairwise(rows))
        handle = rows[4]
        assert handle.note == "已清运" and handle.attachments == ["sha256/cd/after.jpg"]
        assert (handle.lat, handle.lon) == (grid.center_lat, grid.center_lon)
        assert session.scalar(select(func.count(OutboxMessage.id))) == 7
        assert queries.get_incident(session, street.path, incident_id) is not None
        assert queries.get_incident(session, stranger.scope_path, incident_id) is None
        closed = queries.list_incidents(session, street.path, states=["closed"])
        assert [i.id for i in closed] == [incident_id]
        assert queries.list_incidents(session, street.path, states=["reported"]) == []
        assert queries.count_incidents(session, "/", node_id=community.id) == 1
        assert queries.count_incidents(session, "/", node_id=other_grid.id) == 0
        assert queries.count_incidents(session, "/", sources=["sms"]) == 0
        assert queries.count_incidents(session, "/", overdue=False, since=T0) == 1
        assert queries.by_tracking_no(session, closed[0].tracking_no) is not None


def test_sweep_marks_yellow_then_red_escalates_and_survives_a_restart(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        grid = grids(session)[2]
        at = {"lat": grid.center_lat, "lon": grid.center_lon}
        fire = citizen_report(session, category="fire_safety", title="电动车楼道充电", **at).id
        shop = citizen_report(session, category="market_shops", title="商铺占道", **at).id
        community_id = grid.parent_id

    fire_h = CONFIG.limit_hours("fire_safety", HandlingLevel.GRID)  # yellow at 50 %
    shop_h = CONFIG.limit_hours("market_shops", HandlingLevel.GRID)  # yellow at 80 %

    def sweep_at(hours: float) -> deadlines.SweepReport:
        with sessions() as session, session.begin():
            return deadlines.sweep(session, T0 + dt.timedelta(hours=hours))

    assert sweep_at(fire_h * 0.5 - 0.01).changed == 0
    first = sweep_at(fire_h * 0.5)
    assert (first.yellow, first.red, first.escalated) == ([fire], [], [])
    assert sweep_at(fire_h * 0.5).changed == 0  # idempotent at the same moment
    lapse = sweep_at(fire_h)
    assert (lapse.yellow, lapse.red, lapse.escalated) == ([], [fire], [fire])
    assert sweep_at(fire_h).changed == 0

    with sessions() as session:
        incident = session.get(Incident, fire)
        assert incident is not None
        assert (incident.node_id, incident.level) == (community_id, HandlingLevel.COMMUNITY)
        assert incident.state is IncidentState.ESCALATED
        assert incident.deadline_status is DeadlineStatus.NONE
        community_h = CONFIG.limit_hours("fire_safety", HandlingLevel.COMMUNITY)
        new_deadline = T0 + dt.timedelta(hours=fire_h + community_h)
        assert incident.deadline_at == new_deadline
        actions = [r.action for r in queries.timeline(session, fire)]
        assert actions == ["report", "deadline_yellow", "deadline_red", "escalate"]
        escalation = queries.timeline(session, fire)[-1]
        assert escalation.actor_role == "system" and escalation.node_before_id == grid.id

    engine.dispose()  # "restart": a new engine and sessions read the stored deadlines
    again = make_engine(engine.url.render_as_string(hide_password=False))
    restarted = make_sessionmaker(again)
    try:
        with restarted() as session, session.begin():
            later = deadlines.sweep(session, new_deadline)
        assert (later.red, later.escalated) == ([fire], [fire])
        with restarted() as session, session.begin():
            day = deadlines.sweep(session, T0 + dt.timedelta(hours=shop_h))
        # the shop incident skips yellow (already lapsed) and never auto-escalates
        assert (day.yellow, day.red, day.escalated) == ([], [fire, shop], [fire])
        with restarted() as session:
            shop_row, fire_row = session.get(Incident, shop), session.get(Incident, fire)
            assert shop_row is not None and fire_row is not None
            assert shop_row.deadline_status is DeadlineStatus.RED and shop_row.node_id == grid.id
            assert shop_row.deadline_at == T0 + dt.timedelta(hours=shop_h)
            assert fire_row.level is HandlingLevel.DISTRICT
            assert queries.count_incidents(session, "/", overdue=True) == 1
            events = session.scalar(select(func.count(OutboxMessage.id)))
            histories = session.scalar(select(func.count(IncidentHistory.id)))
            assert events == histories  # every mark went out as an event
    finally:
        again.dispose()


def test_duplicates_are_suggested_and_merged(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        grid = grids(session)[10]
        lat, lon = grid.center_lat, grid.center_lon
        north_50m = lat + 50 / 111_320
        original = citizen_report(session, lat=lat, lon=lon)
        far = citizen_report(session, lat=lat + 400 / 111_320, lon=lon)
        other_kind = citizen_report(session, lat=lat, lon=lon, category="public_facilities")
        old = citizen_report(session, lat=lat, lon=lon, now=T0 - dt.timedelta(days=4))
        refused = citizen_report(session, lat=lat, lon=lon)
        desk = officer(session, grid.parent_id or 0)
        workflow.apply(session, refused.id, "reject", desk, note="不属实", now=T0)
        fresh = citizen_report(session, lat=north_50m, lon=lon, now=T0 + dt.timedelta(hours=1))

        found = duplicates.suggest_for(session, fresh)
        assert [c.incident_id for c in found] == [original.id]
        assert found[0].distance_m == pytest.approx(haversine_m(north_50m, lon, lat, lon), abs=0.1)
        assert 49 < (found[0].distance_m or 0) < 51
        assert {far.id, other_kind.id, old.id, refused.id}.isdisjoint(c.incident_id for c in found)
        wider = duplicates.suggest(
            session, category="city_sanitation", lat=north_50m, lon=lon, at=T0, radius_m=1000
        )
        assert [c.incident_id for c in wider] == [fresh.id, original.id, far.id]
        assert duplicates.suggest_for(session, fresh, scope_path="/999999/") == []

        merged = duplicates.merge(session, fresh.id, original.id, desk, now=T0)
        assert merged.history.action == "merge" and merged.history.detail["duplicate_of_id"]
        assert fresh.state is IncidentState.DUPLICATE and fresh.duplicate_of_id == original.id
        assert duplicates.suggest_for(session, original) == []  # the duplicate is closed


def test_desk_and_sms_reports_name_their_reporter(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        district = session.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.DISTRICT))
        assert district is not None
        desk_user = add_user(session, "desk1", "值班员王五", "Zhiban-2026!", Role.DUTY_OFFICER,
                             district.id)  # fmt: skip
        grid = grids(session)[1]
        by_desk = citizen_report(
            session, source="desk", reporter_user_id=desk_user.id, node_id=grid.id,
            reporter_name=None, reporter_phone=None,
        )  # fmt: skip
        assert queries.timeline(session, by_desk.id)[0].actor == "值班员王五"
        assert by_desk.reporter_user_id == desk_user.id and by_desk.lat is None
        # an SMS carries no position: it is filed at the district, whose desk hands it down
        by_sms = citizen_report(session, source="sms", node_id=district.id, reporter_name=None)
        assert by_sms.level is HandlingLevel.DISTRICT
        assert queries.timeline(session, by_sms.id)[0].actor == "市民 139****5678"
        with pytest.raises(IntakeError) as caught:
            citizen_report(session, source="sms", node_id=district.id, reporter_phone=None)
        assert set(caught.value.errors) == {"reporter_phone"}
        with pytest.raises(IntakeError) as caught:
            citizen_report(session, node_id=grid.id, scope_path="/999999/")
        assert caught.value.errors == {"node_id": "所属节点不在您的管辖范围内"}
