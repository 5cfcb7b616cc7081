"""Alerts on the real record (SQLite and PostgreSQL): targeting, lifting, one live alert.

The small demo city has one street, so a second street with its own community, grids
and staff is added next to it: an alert at the first must not reach the second's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import deliveries, lifecycle, queries
from data.alerts.recipients import RESPONSIBLE_POSTS
from data.db import alembic_config
from data.incidents.actors import Actor
from data.models import (
    Alert,
    AlertAction,
    AlertState,
    Delivery,
    DeliveryState,
    NodeKind,
    OrgNode,
    OutboxMessage,
    Post,
    Staff,
)
from streams.keys import ALERTS_STREAM

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
CITY_OFFICER = Actor(role="duty_officer", name="市值班员", scope_path="/1/")


def add_second_street(sessions: sessionmaker[Session]) -> int:
    """A neighbouring street under the same district: 1 community, 2 grids, full staff."""
    with sessions() as session, session.begin():
        first = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        district = session.get(OrgNode, first.parent_id)
        assert district is not None
        # the seed writes explicit ids (PostgreSQL sequences stay at 1), so do the same
        next_node = (session.scalar(select(func.max(OrgNode.id))) or 0) + 1
        next_staff = (session.scalar(select(func.max(Staff.id))) or 0) + 1

        def node(parent: OrgNode, kind: NodeKind, level: int, code: str) -> OrgNode:
            nonlocal next_node
            next_node += 1
            row = OrgNode(
                id=next_node,
                parent_id=parent.id,
                kind=kind,
                grid_level=level,
                code=code,
                name=code,
                path="",
                depth=parent.depth + 1,
                boundary={},
                center_lat=parent.center_lat,
                center_lon=parent.center_lon,
            )
            session.add(row)
            session.flush()
            row.path = f"{parent.path}{row.id}/"
            return row

        street = node(district, NodeKind.STREET, 1, "T-ST2")
        community = node(street, NodeKind.COMMUNITY, 2, "T-ST2-C1")
        for g in range(2):
            grid = node(community, NodeKind.GRID, 3, f"T-ST2-C1-G{g}")
            for post in Post:
                next_staff += 1
                name = f"邻{g}{post}"
                session.add(
                    Staff(id=next_staff, node_id=grid.id, name=name, phone="139", post=post)
                )
        return street.id


def expected_recipients(session: Session, path: str) -> set[int]:
    """Computed in Python from the whole staff list, independently of the SQL query."""
    rows = session.execute(select(Staff, OrgNode).join(OrgNode, OrgNode.id == Staff.node_id)).all()
    return {
        staff.id
        for staff, grid in rows
        if grid.path.startswith(path) and staff.post in RESPONSIBLE_POSTS and staff.active
    }


def issue(session: Session, node_id: int, **kw: object) -> lifecycle.ActionResult:
    args: dict[str, Any] = {  # keyword arguments of lifecycle.issue(), checked by it
        "level": "orange",
        "category": "flood",
        "title": "暴雨橙色预警",
        "text": "请立即排查低洼地段",
        "valid_until": T0 + dt.timedelta(hours=6),
        "now": T0,
    }
    args.update(kw)
    return lifecycle.issue(session, CITY_OFFICER, node_id=node_id, **args)


def recipients_of(session: Session, action_id: int) -> list[int]:
    return list(session.scalars(select(Delivery.staff_id).where(Delivery.action_id == action_id)))


def test_street_alert_reaches_exactly_its_grids_staff(sessions: sessionmaker[Session]) -> None:
    second = add_second_street(sessions)
    with sessions() as session, session.begin():
        street = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.STREET, OrgNode.id != second)
        ).one()
        other = session.get(OrgNode, second)
        assert other is not None
        result = issue(session, street.id)
        want = expected_recipients(session, street.path)
        neighbours = expected_recipients(session, other.path)
        got = recipients_of(session, result.action.id)
    assert len(got) == len(set(got)) == result.queued
    assert set(got) == want
    assert len(want) > 50 and len(neighbours) == 4
    assert not set(got) & neighbours
    with sessions() as session:
        states = set(
            session.scalars(select(Delivery.state).where(Delivery.alert_id == result.alert.id))
        )
        assert states == {DeliveryState.QUEUED}
        published = session.scalars(
            select(OutboxMessage).where(OutboxMessage.stream == ALERTS_STREAM)
        ).all()
        assert [m.payload["alert_id"] for m in published] == [result.alert.id]
        assert published[0].payload["recipients"] == len(want)


def test_chosen_grid_levels_and_community_target(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        community = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).first()
        assert community is not None
        result = issue(session, community.id, target_levels=[3])
        got = set(recipients_of(session, result.action.id))
        assert got == expected_recipients(session, community.path)
        siblings = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY, OrgNode.id != community.id)
        ).all()
        for sibling in siblings:
            assert not got & expected_recipients(session, sibling.path)


def test_lifting_queues_one_lift_text_each(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        street = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        issued = issue(session, street.id)
    with sessions() as session, session.begin():
        lifted = lifecycle.lift(
            session, CITY_OFFICER, issued.alert.id, now=T0 + dt.timedelta(hours=1)
        )
    with sessions() as session:
        lift_to = recipients_of(session, lifted.action.id)
        issue_to = recipients_of(session, issued.action.id)
        assert sorted(lift_to) == sorted(set(lift_to)) == sorted(issue_to)
        texts = set(
            session.scalars(select(Delivery.text).where(Delivery.action_id == lifted.action.id))
        )
        assert len(texts) == 1 and "解除" in texts.pop()
        alert = session.get(Alert, issued.alert.id)
        assert alert is not None and alert.state == AlertState.LIFTED
        assert alert.lifted_at == T0 + dt.timedelta(hours=1) and alert.active_key is None
        assert [a.action for a in queries.actions(session, alert.id)] == ["issue", "lift"]
        assert queries.live_alerts(session) == []


def test_one_live_alert_per_node_and_category(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        community = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY)
        ).first()
        assert community is not None
        first = issue(session, community.id, level="blue")
        again = issue(session, community.id, level="red", now=T0 + dt.timedelta(minutes=5))
        other = issue(session, community.id, category="fire")
    assert again.alert.id == first.alert.id and other.alert.id != first.alert.id
    with sessions() as session:
        rows = queries.actions(session, first.alert.id)
        assert [(a.action, a.from_level, a.to_level) for a in rows] == [
            ("issue", None, "blue"),
            ("reissue", "blue", "red"),
        ]
        assert len(queries.live_alerts(session, community.path)) == 2
    with pytest.raises(IntegrityError), sessions() as session, session.begin():
        dup = session.get(Alert, first.alert.id)
        assert dup is not None
        session.add(
            Alert(
                node_id=dup.node_id,
                node_path=dup.node_path,
                category=dup.category,
                level=dup.level,
                title="x",
                text="x",
                target_levels=[],
                state=AlertState.ACTIVE,
                active_key=dup.active_key,
                valid_until=dup.valid_until,
                issued_at=T0,
                issued_by="x",
                updated_at=T0,
                last_seq=0,
            )
        )
    # once lifted, the same node and category can be issued anew
    with sessions() as session, session.begin():
        lifecycle.lift(session, CITY_OFFICER, first.alert.id, now=T0 + dt.timedelta(minutes=9))
        fresh = issue(session, community.id, now=T0 + dt.timedelta(minutes=10))
    assert fresh.alert.id != first.alert.id


def test_acknowledgement_counts_and_who_is_missing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        community = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY)
        ).first()
        assert community is not None
        result = issue(session, community.id)
        staff = recipients_of(session, result.action.id)
    with sessions() as session, session.begin():
        assert lifecycle.acknowledge(session, result.alert.id, staff[0], "terminal", now=T0)
        assert not lifecycle.acknowledge(session, result.alert.id, staff[0], "sms", now=T0)
        assert lifecycle.acknowledge(session, result.alert.id, staff[1], "sms", now=T0)
        with pytest.raises(deliveries.NotARecipient):
            lifecycle.acknowledge(session, result.alert.id, -1, now=T0)
    with sessions() as session:
        counts = queries.delivery_counts(session, result.alert.id)
        assert counts[DeliveryState.ACKNOWLEDGED] == 2
        assert counts[DeliveryState.QUEUED] == len(staff) - 2
        missing = [s.id for s in queries.not_acknowledged(session, result.alert.id)]
        assert missing == sorted(staff[2:])
        alert = session.get(Alert, result.alert.id)
        assert alert is not None and alert.state == AlertState.ACKNOWLEDGED
        assert [a.action for a in queries.actions(session, alert.id)] == ["issue", "acknowledge"]


def test_marking_a_delivery_leaves_the_alert_to_the_lifecycle(
    sessions: sessionmaker[Session],
) -> None:
    """deliveries.mark_acknowledged touches the delivery row only (it no longer reaches
    back into the lifecycle: no circle); the alert's state and its action row are
    lifecycle.acknowledge's."""
    with sessions() as session, session.begin():
        community = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY)
        ).first()
        assert community is not None
        result = issue(session, community.id)
        staff = recipients_of(session, result.action.id)
    with sessions() as session, session.begin():
        assert deliveries.mark_acknowledged(session, result.alert.id, staff[0], "sms", T0)
        assert not deliveries.mark_acknowledged(session, result.alert.id, staff[0], "sms", T0)
        with pytest.raises(ValueError, match="via"):
            deliveries.mark_acknowledged(session, result.alert.id, staff[1], "fax", T0)
    with sessions() as session:
        alert = session.get(Alert, result.alert.id)
        assert alert is not None and alert.state == AlertState.ACTIVE
        assert [a.action for a in queries.actions(session, alert.id)] == ["issue"]
        assert queries.delivery_counts(session, alert.id)[DeliveryState.ACKNOWLEDGED] == 1


def test_nothing_is_left_when_the_transaction_rolls_back(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        street = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        issue(session, street.id)
        session.rollback()
    with sessions() as session:
        for model in (Alert, AlertAction, Delivery, OutboxMessage):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_expired_alerts_free_their_node_and_category(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        street = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        first = issue(session, street.id, valid_until=T0 + dt.timedelta(hours=1))
        assert lifecycle.expire_due(session, T0 + dt.timedelta(hours=2)) == [first.alert.id]
        assert lifecycle.expire_due(session, T0 + dt.timedelta(hours=3)) == []
        second = issue(session, street.id, now=T0 + dt.timedelta(hours=3))
    assert second.alert.id != first.alert.id and second.action.action == "issue"


def test_migration_0004_round_trip(engine: Engine) -> None:
    tables = {"alert", "alert_action", "alert_delivery", "sms_message"}
    assert tables <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(engine), "0003")
    assert not tables & set(inspect(engine).get_table_names())
    command.upgrade(alembic_config(engine), "head")
    assert tables <= set(inspect(engine).get_table_names())


def test_sms_reply_acknowledges_the_newest_live_alert(sessions: sessionmaker[Session]) -> None:
    from data.sms.replies import apply_reply

    with sessions() as session, session.begin():
        community = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY)
        ).first()
        assert community is not None
        result = issue(session, community.id)
        delivery = session.scalars(
            select(Delivery).where(Delivery.action_id == result.action.id).order_by(Delivery.id)
        ).first()
        assert delivery is not None
        phone, staff_id = delivery.phone, delivery.staff_id
    with sessions() as session, session.begin():
        assert apply_reply(session, phone, "你好", T0) is None
        assert apply_reply(session, "00000000000", "1", T0) is None
        assert apply_reply(session, phone, " 1 ", T0) == result.alert.id
    with sessions() as session:
        done = session.scalars(
            select(Delivery).where(
                Delivery.action_id == result.action.id, Delivery.staff_id == staff_id
            )
        ).one()
        assert done.state == DeliveryState.ACKNOWLEDGED and done.acknowledged_via == "sms"


def test_migration_0004_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data.models import Base

    tables = ("alert", "alert_action", "alert_delivery", "sms_message")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diff if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in tables)]
    assert mine == []


def test_staff_without_a_phone_are_recipients_whose_text_failed_at_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        street = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        silent_id = sorted(expected_recipients(session, street.path))[0]
        silent = session.get(Staff, silent_id)
        assert silent is not None
        silent.phone = ""
    with sessions() as session, session.begin():
        issued = issue(session, street.id)
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.action_id == issued.action.id)).all()
        states = {row.staff_id: row.state for row in rows}
        assert states.pop(silent_id) == DeliveryState.FAILED
        assert set(states.values()) == {DeliveryState.QUEUED}
        failed = next(row for row in rows if row.staff_id == silent_id)
        assert failed.last_error == deliveries.NO_PHONE and failed.failed_at == T0
        counts = queries.delivery_counts(session, issued.alert.id)
        assert counts[DeliveryState.FAILED] == 1
