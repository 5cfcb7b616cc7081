"""The incident state machine, against an independent model of the rules and a real SQLite.

The hypothesis machine drives one incident with random actions by random actors
(every role, inside and outside scope, the handler among them) and random sweeps
of the clock, and after every step compares the database with its own model:
state, responsible node, assignee, deadline, a gap-free history whose every row
continues the previous one, and one outbox event per history row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from data.incidents import deadlines, intake, workflow
from data.incidents.actors import Actor
from data.incidents.categories import default_categories
from data.incidents.diagram import actions_markdown_table, mermaid_state_diagram
from data.incidents.workflow import (
    IllegalTransition,
    InvalidRequest,
    NotPermitted,
    WorkflowError,
)
from data.models import (
    Base,
    HandlingLevel,
    Incident,
    IncidentHistory,
    IncidentState,
    NodeKind,
    OrgNode,
    OutboxMessage,
    Post,
    Staff,
)
from tests.support.hypothesis_profiles import examples
from tests.support.paths import REPO_ROOT

T0 = dt.datetime(2026, 11, 29, 0, 0, tzinfo=dt.UTC)
CONFIG = default_categories()
CATEGORY = "civil_relief"  # auto-escalates; 24 h at the grid, yellow at 80 %

# -- a tiny tree: city 1 > district 2 > street 3 > community 4 > grids 5, 6; community 7 > grid 8
NODES = {
    1: (None, NodeKind.CITY),
    2: (1, NodeKind.DISTRICT),
    3: (2, NodeKind.STREET),
    4: (3, NodeKind.COMMUNITY),
    5: (4, NodeKind.GRID),
    6: (4, NodeKind.GRID),
    7: (3, NodeKind.COMMUNITY),
    8: (7, NodeKind.GRID),
}
PARENT = {n: p for n, (p, _) in NODES.items()}
LEVEL = {
    NodeKind.DISTRICT: HandlingLevel.DISTRICT,
    NodeKind.STREET: HandlingLevel.STREET,
    NodeKind.COMMUNITY: HandlingLevel.COMMUNITY,
    NodeKind.GRID: HandlingLevel.GRID,
}


def path_of(node: int) -> str:
    chain = [node]
    parent = PARENT[node]
    while parent is not None:
        chain.append(parent)
        parent = PARENT[parent]
    return "/" + "/".join(str(n) for n in reversed(chain)) + "/"


PATH = {n: path_of(n) for n in NODES}
STAFF_NODE = {1: 5, 2: 5, 3: 8}

ACTORS = {
    "duty_street": Actor("duty_officer", "值班员·街道", PATH[3], user_id=101),
    "duty_grid": Actor("duty_officer", "值班员·网格", PATH[5], user_id=102),
    "leader_community": Actor("leader", "领导·社区", PATH[4], user_id=103),
    "leader_district": Actor("leader", "领导·区", PATH[2], user_id=104),
    "duty_other_community": Actor("duty_officer", "值班员·二社区", PATH[7], user_id=105),
    # the same person as staff 2, logged in at the desk: may not verify what staff 2 handled
    "duty_is_staff2": Actor("duty_officer", "值班员兼网格员", PATH[4], user_id=108, staff_id=2),
    "staff1": Actor("grid_staff", "网格员一", PATH[5], staff_id=1),
    "staff2": Actor("grid_staff", "网格员二", PATH[5], staff_id=2),
    "staff3": Actor("grid_staff", "网格员三", PATH[8], staff_id=3),
    "admin": Actor("admin", "管理员", PATH[1], user_id=106),
    "wall": Actor("wall", "大屏", PATH[1], user_id=107),
    "system": Actor.system(),
}

# -- the rules, written again independently of data/incidents/workflow.py ---------------------
OFFICERS = {"duty_officer", "leader"}
RULES: dict[str, tuple[set[str], str, set[str]]] = {
    "accept": ({"reported", "escalated"}, "accepted", OFFICERS),
    "reject": ({"reported", "escalated"}, "rejected", OFFICERS),
    "merge": ({"reported", "accepted", "escalated"}, "duplicate", OFFICERS),
    "transfer": ({"reported", "accepted", "escalated"}, "transferred", OFFICERS),
    "dispatch": ({"accepted", "dispatched", "in_progress"}, "dispatched", OFFICERS),
    "start": ({"dispatched"}, "in_progress", {"duty_officer", "grid_staff"}),
    "handle": ({"in_progress"}, "handled", {"duty_officer", "grid_staff"}),
    "return": ({"handled"}, "in_progress", OFFICERS),
    "verify": ({"handled"}, "verified", {"duty_officer", "leader", "grid_staff"}),
    "close": ({"verified"}, "closed", OFFICERS),
    "escalate": (
        {"reported", "accepted", "dispatched", "in_progress", "escalated"},
        "escalated",
        {"duty_officer", "leader", "grid_staff", "system"},
    ),
}
CLOCK_RUNNING = {"reported", "accepted", "dispatched", "in_progress", "escalated"}
TERMINAL = {"closed", "rejected", "duplicate", "transferred"}
ALL_STATES = {s.value for s in IncidentState}


def square(lon0: float) -> dict[str, object]:
    ring = [[lon0, 34.7], [lon0 + 0.01, 34.7], [lon0 + 0.01, 34.71], [lon0, 34.71], [lon0, 34.7]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_engine() -> Engine:
    engine = create_engine("sqlite://", poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _fk(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        for node_id, (parent, kind) in NODES.items():
            lon0 = 113.6 + node_id * 0.01
            session.add(
                OrgNode(
                    id=node_id,
                    parent_id=parent,
                    kind=kind,
                    grid_level=None,
                    code=f"N{node_id}",
                    name=f"节点{node_id}",
                    path=PATH[node_id],
                    depth=PATH[node_id].count("/") - 2,
                    boundary=square(lon0),
                    center_lat=34.705,
                    center_lon=lon0 + 0.005,
                )
            )
            session.flush()
        for staff_id, node_id in STAFF_NODE.items():
            session.add(
                Staff(
                    id=staff_id,
                    node_id=node_id,
                    name=f"员工{staff_id}",
                    phone=f"1380000000{staff_id}",
                    post=Post.ASSISTANT,
                )
            )
    return engine


def new_incident(session: Session, now: dt.datetime, category: str = CATEGORY) -> Incident:
    return intake.report(
        session,
        source="open311",
        category=category,
        title="楼道堆放杂物堵塞消防通道",
        node_id=5,
        reporter_name="张三",
        reporter_phone="13812345678",
        now=now,
    )


@dataclass
class Model:
    """What the incident must look like, derived from RULES alone."""

    state: str = "reported"
    node: int = 5
    assignee: int | None = None
    deadline: dt.datetime = T0
    yellow: dt.datetime = T0
    status: str = "none"
    history: int = 1
    handlers: list[tuple[int | None, int | None]] = field(default_factory=list)

    def place(self, node: int, now: dt.datetime) -> None:
        hours = CONFIG.limit_hours(CATEGORY, LEVEL[NODES[node][1]])
        self.node = node
        self.deadline = now + dt.timedelta(hours=hours)
        self.yellow = now + dt.timedelta(hours=hours) * CONFIG.yellow_share(CATEGORY)
        self.status = "none"

    def handled_by(self, actor: Actor) -> bool:
        return any(
            (actor.user_id is not None and actor.user_id == user)
            or (actor.staff_id is not None and actor.staff_id == staff)
            for user, staff in self.handlers
        )


def expected(
    m: Model,
    actor: Actor,
    action: str,
    assignee: int | None,
    target: int | None,
    original_in_scope: bool,
    merge_self: bool,
    now: dt.datetime,
) -> Model | None:
    """The model after the action, or None when it must be refused."""
    sources, to, roles = RULES[action]
    if not PATH[m.node].startswith(actor.scope_path):
        return None
    if actor.role not in roles or m.state not in sources:
        return None
    new = Model(**{**m.__dict__, "handlers": list(m.handlers)})
    if actor.role == "grid_staff" and action in {"start", "handle", "escalate"}:
        if m.assignee == actor.staff_id:
            pass
        elif action == "start" and m.assignee is None:
            new.assignee = actor.staff_id
        else:
            return None
    if action == "dispatch":
        if assignee is None and target is None:
            return None
        dest = m.node
        if target is not None and target != m.node:
            if not PATH[target].startswith(PATH[m.node]) or NODES[target][1] is NodeKind.CITY:
                return None
            dest = target
        if assignee is not None and not PATH[STAFF_NODE[assignee]].startswith(PATH[dest]):
            return None
        if dest != m.node:
            new.place(dest, now)
        new.assignee = assignee
    elif action == "verify" and m.handled_by(actor):
        return None
    elif action == "merge":
        if merge_self or not original_in_scope:
            return None
    elif action == "escalate":
        parent = PARENT[m.node]
        if parent is None or NODES[parent][1] is NodeKind.CITY:
            return None
        new.place(parent, now)
        new.assignee = None
    elif action == "handle":
        new.handlers.append((actor.user_id, actor.staff_id))
    new.state = to
    new.history += 1
    return new


class IncidentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = make_engine()
        self.session = sessionmaker(self.engine, expire_on_commit=False)()
        self.now = T0
        with self.session.begin():
            # does not auto-escalate, so it stays at grid 5 for the merge scope rule
            self.original = new_incident(self.session, self.now, "family_planning").id
            self.incident = new_incident(self.session, self.now).id
        self.model = Model()
        self.model.place(5, self.now)

    def teardown(self) -> None:
        self.session.close()
        self.engine.dispose()

    @rule(data=st.data(), merge_self=st.booleans(), minutes=st.integers(0, 180))
    def act(self, data: st.DataObject, merge_self: bool, minutes: int) -> None:
        """Any action by any actor, biased towards ones that may succeed so deep states occur."""
        actor, action, assignee, node = self.draw_request(data)
        self.now += dt.timedelta(minutes=minutes)
        who = ACTORS[actor]
        want = expected(
            self.model,
            who,
            action,
            assignee,
            node,
            PATH[5].startswith(who.scope_path),
            merge_self,
            self.now,
        )
        try:
            with self.session.begin():
                workflow.apply(
                    self.session,
                    self.incident,
                    action,
                    who,
                    note="说明",
                    assignee_staff_id=assignee,
                    target_node_id=node,
                    duplicate_of_id=self.incident if merge_self else self.original,
                    lat=34.705,
                    lon=113.655,
                    now=self.now,
                )
        except WorkflowError as exc:
            assert want is None, f"{actor} {action} refused ({exc}) but the rules allow it"
            if action == "verify" and self.model.state == "handled" and self.model.handled_by(who):
                assert isinstance(exc, NotPermitted)
            return
        assert want is not None, f"{actor} {action} in {self.model.state} must be refused"
        self.model = want

    def draw_request(self, data: st.DataObject) -> tuple[str, str, int | None, int | None]:
        m = self.model
        legal = [a for a, (sources, _, _) in RULES.items() if m.state in sources]
        onward = [a for a in legal if a not in {"reject", "merge", "transfer", "escalate"}]
        pick = data.draw(st.integers(0, 19))
        pool = onward if pick < 17 and onward else legal if pick < 18 and legal else sorted(RULES)
        action = data.draw(st.sampled_from(pool))
        able = [
            name
            for name, a in ACTORS.items()
            if a.role in RULES[action][2]
            and PATH[m.node].startswith(a.scope_path)
            and (a.role != "grid_staff" or a.staff_id == m.assignee or action == "verify")
        ]
        actor = data.draw(
            st.sampled_from(able if able and data.draw(st.booleans()) else sorted(ACTORS))
        )
        assignee = data.draw(st.sampled_from([None, 1, 2, 3, m.assignee]))
        node = data.draw(st.sampled_from([None, 1, 2, 3, 4, 5, 6, 8]))
        return actor, action, assignee, node

    @precondition(lambda self: self.model.state == "handled" and self.model.handlers)
    @rule(data=st.data())
    def handler_tries_to_verify(self, data: st.DataObject) -> None:
        """Whoever handled it (by user or staff id, at any attempt) is always refused."""
        user, staff = data.draw(st.sampled_from(self.model.handlers))
        candidates = [
            name
            for name, a in ACTORS.items()
            if (user is not None and a.user_id == user)
            or (staff is not None and a.staff_id == staff)
        ]
        who = ACTORS[data.draw(st.sampled_from(candidates))]
        with pytest.raises(NotPermitted), self.session.begin():
            workflow.apply(self.session, self.incident, "verify", who, now=self.now)

    @rule(hours=st.integers(0, 30))
    def sweep(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)
        m = self.model
        if m.state in CLOCK_RUNNING:
            if self.now >= m.deadline and m.status != "red":
                m.status = "red"
                m.history += 1
                parent = PARENT[m.node]
                if parent is not None and NODES[parent][1] is not NodeKind.CITY:
                    m.place(parent, self.now)
                    m.state, m.assignee = "escalated", None
                    m.history += 1
            elif m.yellow <= self.now < m.deadline and m.status == "none":
                m.status = "yellow"
                m.history += 1
        with self.session.begin():
            deadlines.sweep(self.session, self.now)
        with self.session.begin():
            again = deadlines.sweep(self.session, self.now)
        assert again.changed == 0, "a second sweep at the same moment changes nothing"

    @invariant()
    def database_matches_model(self) -> None:
        with self.session.begin():
            incident = self.session.get(Incident, self.incident, populate_existing=True)
            assert incident is not None
            rows = self.session.scalars(
                select(IncidentHistory)
                .where(IncidentHistory.incident_id == self.incident)
                .order_by(IncidentHistory.seq)
            ).all()
            events = self.session.scalar(select(func.count(OutboxMessage.id)))
            original_rows = self.session.scalar(
                select(func.count(IncidentHistory.id)).where(
                    IncidentHistory.incident_id == self.original
                )
            )
        m = self.model
        assert incident.state.value in ALL_STATES
        assert (incident.state.value, incident.node_id) == (m.state, m.node)
        assert incident.assignee_staff_id == m.assignee
        assert (incident.deadline_at, incident.yellow_at) == (m.deadline, m.yellow)
        assert incident.deadline_status.value == m.status
        assert incident.level == LEVEL[NODES[m.node][1]]
        assert incident.duplicate_of_id == (self.original if m.state == "duplicate" else None)
        # history: complete, gap-free, each row continuing the previous one, every edge legal
        assert (
            [r.seq for r in rows]
            == list(range(1, m.history + 1))
            == list(range(1, incident.last_seq + 1))
        )
        assert rows[0].action == "report" and rows[0].from_state is None
        for before, row in itertools.pairwise(rows):
            assert row.from_state == before.to_state
            assert row.node_before_id == before.node_after_id
            assert row.at >= before.at
        for row in rows[1:]:
            if row.action in RULES:
                sources, to, roles = RULES[row.action]
                assert row.from_state in sources and row.to_state == to
                assert row.actor_role in roles
            else:
                assert row.action in {"deadline_yellow", "deadline_red"}
                assert row.from_state == row.to_state and row.actor_role == "system"
            assert row.from_state not in TERMINAL
        assert rows[-1].to_state == incident.state
        assert events == len(rows) + original_rows  # one outbox event per history row


IncidentMachine.TestCase.settings = settings(
    max_examples=examples(80),
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestIncidentWorkflow = IncidentMachine.TestCase


# -- targeted cases ------------------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[Session]:
    engine = make_engine()
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    engine.dispose()


def run(session: Session, incident: int, action: str, actor: str, **kw: Any) -> None:
    """One request: commit on success, roll back on refusal (as the HTTP layer will)."""
    try:
        workflow.apply(session, incident, action, ACTORS[actor], now=T0, **kw)
    except WorkflowError:
        session.rollback()
        raise
    session.commit()


def test_the_happy_path_and_a_clear_refusal(session: Session) -> None:
    with session.begin():
        incident = new_incident(session, T0)
    steps = [
        ("accept", "duty_grid", {}),
        ("dispatch", "duty_grid", {"assignee_staff_id": 1}),
        ("start", "staff1", {}),
        ("handle", "staff1", {"note": "已清理杂物"}),
        ("verify", "duty_grid", {}),
        ("close", "leader_community", {}),
    ]
    for action, actor, kw in steps:
        run(session, incident.id, action, actor, **kw)
    assert incident.state is IncidentState.CLOSED
    with pytest.raises(IllegalTransition) as caught, session.begin():
        workflow.apply(
            session, incident.id, "dispatch", ACTORS["duty_grid"], assignee_staff_id=1, now=T0
        )
    assert (
        str(caught.value) == f"事件 {incident.tracking_no} 当前状态为「已办结」，不能执行「派遣」"
    )


def test_the_handler_never_verifies_even_after_rework(session: Session) -> None:
    with session.begin():
        incident = new_incident(session, T0)
    run(session, incident.id, "accept", "duty_grid")
    run(session, incident.id, "dispatch", "duty_grid", target_node_id=5)
    run(session, incident.id, "start", "duty_grid")
    run(session, incident.id, "handle", "duty_grid", note="处理完毕")
    with pytest.raises(NotPermitted, match="由您处置，不能由您核查"):
        run(session, incident.id, "verify", "duty_grid")
    run(session, incident.id, "return", "leader_community", note="未处理干净")
    run(session, incident.id, "dispatch", "duty_street", assignee_staff_id=2)
    run(session, incident.id, "start", "staff2")
    run(session, incident.id, "handle", "staff2", note="再次处理")
    with pytest.raises(NotPermitted):  # handled the first attempt
        run(session, incident.id, "verify", "duty_grid")
    with pytest.raises(NotPermitted):  # the same person as staff 2, logged in at the desk
        run(session, incident.id, "verify", "duty_is_staff2")
    run(session, incident.id, "verify", "staff1")
    assert incident.state is IncidentState.VERIFIED


def test_roles_scope_and_assignee(session: Session) -> None:
    with session.begin():
        incident = new_incident(session, T0)
    with pytest.raises(NotPermitted, match="「系统管理员」不能执行「受理」"):
        run(session, incident.id, "accept", "admin")
    with pytest.raises(NotPermitted, match="不在您的管辖范围内"):
        run(session, incident.id, "accept", "duty_other_community")
    run(session, incident.id, "accept", "duty_street")
    run(session, incident.id, "dispatch", "duty_street", assignee_staff_id=1)
    with pytest.raises(NotPermitted, match="未派遣给您"):
        run(session, incident.id, "start", "staff2")
    run(session, incident.id, "escalate", "staff1")
    run(session, incident.id, "accept", "duty_street")
    assert (incident.node_id, incident.assignee_staff_id) == (4, None)
    with pytest.raises(InvalidRequest, match="不在「节点6」范围内"):
        run(session, incident.id, "dispatch", "duty_street", target_node_id=6, assignee_staff_id=1)
    with pytest.raises(InvalidRequest, match="只能派遣到本级或下级节点"):
        run(session, incident.id, "dispatch", "duty_street", target_node_id=3)
    with pytest.raises(InvalidRequest, match="需要填写说明"):
        run(session, incident.id, "transfer", "duty_street", note="  ")


def test_escalation_moves_up_and_restarts_the_clock_until_the_district(session: Session) -> None:
    with session.begin():
        incident = new_incident(session, T0)
    for node, level in [(4, "community"), (3, "street"), (2, "district")]:
        run(session, incident.id, "escalate", "leader_district")
        hours = CONFIG.limit_hours(CATEGORY, HandlingLevel(level))
        assert (incident.node_id, incident.level.value) == (node, level)
        assert incident.deadline_at == T0 + dt.timedelta(hours=hours)
    with pytest.raises(InvalidRequest, match=r"已在最高处置层级（区），不能再上报"):
        run(session, incident.id, "escalate", "leader_district")


def test_a_transition_id_applies_once(session: Session) -> None:
    with session.begin():
        incident = new_incident(session, T0)
    for _ in range(3):
        with session.begin():
            done = workflow.apply(
                session, incident.id, "accept", ACTORS["duty_grid"], transition_id="t-1", now=T0
            )
    assert done.replayed and done.history.seq == 2 and incident.last_seq == 2
    with pytest.raises(InvalidRequest, match="已用于其他操作"):
        run(session, incident.id, "reject", "duty_grid", note="x", transition_id="t-1")


def test_merge_links_to_the_root_original(session: Session) -> None:
    with session.begin():
        first, second, third = (new_incident(session, T0) for _ in range(3))
    run(session, second.id, "merge", "duty_grid", duplicate_of_id=first.id)
    run(session, third.id, "merge", "duty_grid", duplicate_of_id=second.id)
    assert (second.duplicate_of_id, third.duplicate_of_id) == (first.id, first.id)
    with pytest.raises(InvalidRequest, match="不能与自身合并"):
        run(session, first.id, "merge", "duty_grid", duplicate_of_id=second.id)


def test_refusals_name_nothing_outside_the_actors_scope(session: Session) -> None:
    """Security finding 6: a refusal may not tell who or what lies beyond one's subtree."""
    with session.begin():
        mine = new_incident(session, T0)
        theirs = intake.report(
            session, source="open311", category=CATEGORY, title="二社区的事", node_id=8, now=T0
        )
    run(session, mine.id, "accept", "duty_grid")

    def refusal(incident: int, action: str, actor: str, **kw: object) -> str:
        with pytest.raises(WorkflowError) as caught:
            run(session, incident, action, actor, **kw)
        return str(caught.value)

    # staff 3 serves in community 7: neither named nor told apart from a staff id that is not there
    outside = refusal(mine.id, "dispatch", "duty_grid", assignee_staff_id=3)
    missing = refusal(mine.id, "dispatch", "duty_grid", assignee_staff_id=999)
    assert outside == missing == "处置人员不存在或不在您的管辖范围内"
    # inside the scope, naming helps: staff 1 serves in grid 5, not in grid 6
    run(session, mine.id, "escalate", "duty_grid")
    run(session, mine.id, "accept", "duty_street")
    inside = refusal(mine.id, "dispatch", "duty_street", target_node_id=6, assignee_staff_id=1)
    assert inside == "处置人员「员工1」不在「节点6」范围内"

    # the other community's incident: its tracking number is not given away
    with session.begin():
        other = new_incident(session, T0)
    foreign = refusal(other.id, "merge", "duty_grid", duplicate_of_id=theirs.id)
    gone = refusal(other.id, "merge", "duty_grid", duplicate_of_id=99_999)
    assert foreign == gone == "原事件不存在或不在您的管辖范围内"
    acted = refusal(theirs.id, "accept", "duty_grid")
    assert theirs.tracking_no not in acted and "不在您的管辖范围内" in acted


def test_docs_show_the_workflow_as_it_is() -> None:
    docs = (REPO_ROOT / "docs" / "incidents.md").read_text(encoding="utf-8")
    assert "```mermaid\n" + mermaid_state_diagram() + "\n```" in docs
    assert actions_markdown_table() in docs
