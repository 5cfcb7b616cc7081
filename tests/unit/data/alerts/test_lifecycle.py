"""The alert lifecycle under random actions: never an illegal state, every action recorded.

Runs the real lifecycle functions on an in-memory SQLite with a tiny tree (one street,
two communities, four grids), so the rules are checked where they are enforced.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from data.alerts import lifecycle, queries, states
from data.alerts.levels import LEVEL_ORDER, is_higher, rank
from data.incidents.actors import Actor
from data.models import (
    Alert,
    AlertAction,
    AlertLevel,
    AlertState,
    Base,
    Delivery,
    NodeKind,
    OrgNode,
    Post,
    Staff,
)
from tests.support.hypothesis_profiles import examples

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
OFFICER = Actor(role="duty_officer", name="值班员", scope_path="/1/")


def _node(session: Session, nid: int, parent: int | None, kind: NodeKind, path: str) -> None:
    level = {NodeKind.STREET: 1, NodeKind.COMMUNITY: 2, NodeKind.GRID: 3}[kind]
    session.add(
        OrgNode(
            id=nid,
            parent_id=parent,
            kind=kind,
            grid_level=level,
            code=f"N{nid}",
            name=f"节点{nid}",
            path=path,
            depth=path.count("/") - 2,
            boundary={},
            center_lat=34.7,
            center_lon=113.6,
        )
    )


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        _node(session, 1, None, NodeKind.STREET, "/1/")
        for c in (2, 3):
            _node(session, c, 1, NodeKind.COMMUNITY, f"/1/{c}/")
            session.flush()
            for g in (c * 10, c * 10 + 1):
                _node(session, g, c, NodeKind.GRID, f"/1/{c}/{g}/")
                session.flush()
                for post in Post:
                    session.add(Staff(node_id=g, name=f"{post}{g}", phone=f"139{g:08d}", post=post))
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
        session.rollback()


def test_levels_are_ordered_blue_to_red() -> None:
    assert [level.value for level in LEVEL_ORDER] == ["blue", "yellow", "orange", "red"]
    assert is_higher(AlertLevel.RED, AlertLevel.ORANGE)
    assert not is_higher(AlertLevel.BLUE, AlertLevel.YELLOW)
    assert rank(AlertLevel.YELLOW) == 1


def test_final_states_allow_nothing() -> None:
    for final in states.FINAL_STATES:
        for action in (states.LIFT, states.RAISE, states.EXTEND, states.ACKNOWLEDGE):
            with pytest.raises(states.IllegalAction):
                states.next_state(final, action)


def test_recipients_are_grid_managers_and_assistants_of_the_subtree(session: Session) -> None:
    result = lifecycle.issue(
        session,
        OFFICER,
        node_id=2,
        level="blue",
        category="flood",
        title="暴雨",
        text="注意防范",
        valid_until=T0 + dt.timedelta(hours=2),
        now=T0,
    )
    staff = session.scalars(
        select(Staff)
        .join(Delivery, Delivery.staff_id == Staff.id)
        .where(Delivery.action_id == result.action.id)
    ).all()
    assert result.queued == 4
    assert {s.node_id for s in staff} == {20, 21}
    assert {s.post for s in staff} == {Post.GRID_MANAGER, Post.ASSISTANT}


def test_actor_outside_scope_or_role_is_refused(session: Session) -> None:
    kwargs = dict(
        node_id=2,
        level="red",
        category="fire",
        title="火情",
        text="x",
        valid_until=T0 + dt.timedelta(hours=1),
        now=T0,
    )
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.issue(
            session, Actor(role="duty_officer", name="外", scope_path="/1/3/"), **kwargs
        )
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.issue(session, Actor(role="grid_staff", name="员", scope_path="/"), **kwargs)


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["issue", "level", "extend", "lift", "ack", "tick"]),
        st.sampled_from(list(AlertLevel)),
        st.integers(min_value=1, max_value=120),
    ),
    max_size=15,
)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ACTIONS)
def test_random_actions_keep_the_lifecycle_legal(
    session: Session, steps: list[tuple[str, AlertLevel, int]]
) -> None:
    now = T0
    alert_ids: set[int] = set()
    expected_actions = 0
    try:
        for kind, level, minutes in steps:
            now += dt.timedelta(minutes=minutes)
            live = session.scalars(select(Alert).where(Alert.active_key.is_not(None))).first()
            try:
                if kind == "issue":
                    r = lifecycle.issue(
                        session,
                        OFFICER,
                        node_id=1,
                        level=level,
                        category="flood",
                        title="t",
                        text="x",
                        valid_until=now + dt.timedelta(minutes=60),
                        now=now,
                    )
                elif live is None:
                    continue
                elif kind == "level":
                    r = lifecycle.change_level(session, OFFICER, live.id, level, now=now)
                elif kind == "extend":
                    until = live.valid_until + dt.timedelta(minutes=minutes)
                    r = lifecycle.extend(session, OFFICER, live.id, until, now=now)
                elif kind == "lift":
                    r = lifecycle.lift(session, OFFICER, live.id, now=now)
                elif kind == "ack":
                    staff_id = queries.not_acknowledged(session, live.id)[0].id
                    lifecycle.acknowledge(session, live.id, staff_id, "sms", now=now)
                    continue
                else:
                    lifecycle.expire_due(session, now)
                    continue
                alert_ids.add(r.alert.id)
            except states.IllegalAction:
                continue
        lifecycle.expire_due(session, now)
        session.flush()
        live_count = session.scalar(
            select(func.count(Alert.id)).where(
                Alert.state.in_([AlertState.ACTIVE, AlertState.ACKNOWLEDGED])
            )
        )
        assert (live_count or 0) <= 1
        for alert in session.scalars(select(Alert)):
            rows = queries.actions(session, alert.id)
            assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
            assert rows[0].action == states.ISSUE and rows[0].from_state is None
            for prev, row in itertools.pairwise(rows):
                assert row.from_state == prev.to_state
                assert states.next_state(row.from_state, row.action) == row.to_state
            assert rows[-1].to_state == alert.state and rows[-1].to_level == alert.level
            assert (alert.active_key is None) == (alert.state in states.FINAL_STATES)
            assert (alert.lifted_at is not None) == (alert.state == AlertState.LIFTED)
            assert (alert.expired_at is not None) == (alert.state == AlertState.EXPIRED)
            for row in rows:
                sent = session.scalar(
                    select(func.count(Delivery.id)).where(Delivery.action_id == row.id)
                )
                assert bool(sent) == (row.action in states.NOTIFYING_ACTIONS)
            expected_actions += len(rows)
        assert session.scalar(select(func.count(AlertAction.id))) == expected_actions
    finally:
        session.rollback()
