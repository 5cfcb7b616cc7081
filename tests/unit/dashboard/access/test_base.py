"""The access layer's Command: every problem before anything runs, one transaction after.

Real SQLite (a file per test) and the real audit writer; the commands here are tiny
stand-ins for the domain ones (they add org nodes, the change, and an audit row).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import (
    AuditEntry,
    Command,
    FormToken,
    Problem,
    Refused,
    pattern_int,
)
from dashboard.auth.current import SessionUser
from data.models import AuditLog, Base, NodeKind, OrgNode, Role
from tests.support.hypothesis_profiles import examples

WHO = SessionUser(id=7, username="admin", display_name="管理员", role=Role.ADMIN, node_id=1)
FIELDS = ["username", "role", "node", "password", "phone"]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    path: Path = tmp_path_factory.mktemp("command") / "command.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as db:
        nodes = db.scalar(select(func.count(OrgNode.id))) or 0
        audits = db.scalar(select(func.count(AuditLog.id))) or 0
    return nodes, audits


class Boom(RuntimeError):
    """A failure in the middle of a command."""


@dataclass
class AddNodes(Command[list[int]]):
    """Adds ``count`` nodes; fails after ``fail_after`` of them, or in its audit row."""

    sessions: sessionmaker[Session]
    who: SessionUser
    count: int
    bad: list[str] = field(default_factory=list)
    fail_after: int | None = None
    fail_in_audit: bool = False
    executed: bool = False

    def validate(self) -> list[Problem]:
        return [Problem(item, f"{item} 有误") for item in FIELDS if item in self.bad]

    def execute(self, db: Session) -> list[int]:
        self.executed = True
        made = []
        for i in range(self.count):
            if self.fail_after is not None and i == self.fail_after:
                raise Boom("stopped halfway")
            node = OrgNode(
                kind=NodeKind.STREET,
                grid_level=1,
                code=f"T{id(self)}-{i}",
                name=f"节点{i}",
                path="/",
                depth=0,
                boundary={},
                center_lat=34.7,
                center_lon=113.6,
            )
            db.add(node)
            db.flush()
            made.append(node.id)
        return made

    def audit(self, result: list[int]) -> AuditEntry:
        if self.fail_in_audit:
            raise Boom("audit failed")
        return AuditEntry("node_add", "node", result[0] if result else None, None, {"n": 1})


@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.lists(st.sampled_from(FIELDS), unique=True, min_size=1))
def test_validate_names_every_problem_and_nothing_runs(
    sessions: sessionmaker[Session], bad: list[str]
) -> None:
    before = _counts(sessions)
    command = AddNodes(sessions, WHO, count=2, bad=bad)
    with pytest.raises(Refused) as refused:
        command.run()
    wanted = [item for item in FIELDS if item in bad]
    assert [p.item for p in refused.value.problems] == wanted
    assert refused.value.message == "；".join(f"{item} 有误" for item in wanted)
    assert not command.executed
    assert _counts(sessions) == before


def test_a_valid_command_commits_the_change_with_its_audit_row(
    sessions: sessionmaker[Session],
) -> None:
    nodes, audits = _counts(sessions)
    made = AddNodes(sessions, WHO, count=3).run()
    assert len(made) == 3
    assert _counts(sessions) == (nodes + 3, audits + 1)
    with sessions() as db:
        row = db.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert row is not None
    assert (row.actor, row.action, row.target_id) == ("admin", "node_add", str(made[0]))


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(1, 6), data=st.data())
def test_a_failure_in_run_leaves_nothing_written(
    sessions: sessionmaker[Session], count: int, data: st.DataObject
) -> None:
    fail_after = data.draw(st.one_of(st.none(), st.integers(0, count - 1)))
    before = _counts(sessions)
    command = AddNodes(
        sessions, WHO, count=count, fail_after=fail_after, fail_in_audit=fail_after is None
    )
    with pytest.raises(Boom):
        command.run()
    assert _counts(sessions) == before


def test_a_refusal_inside_run_rolls_back_too(sessions: sessionmaker[Session]) -> None:
    @dataclass
    class RefuseHalfway(AddNodes):
        def execute(self, db: Session) -> list[int]:
            super().execute(db)
            raise Refused("该用户不存在或不在您的管辖范围内")

    before = _counts(sessions)
    with pytest.raises(Refused, match="管辖范围"):
        RefuseHalfway(sessions, WHO, count=2).run()
    assert _counts(sessions) == before


def test_refused_keeps_the_message_and_one_problem() -> None:
    refused = Refused("无权管理用户")
    assert str(refused) == "无权管理用户"
    assert refused.problems == (Problem("form", "无权管理用户"),)


@given(value=st.one_of(st.none(), st.text(max_size=5), st.integers(), st.floats()))
def test_pattern_int_takes_only_record_ids(value: object) -> None:
    try:
        got = pattern_int({"uid": value}, "uid")
    except Refused as exc:
        assert str(exc) == "无效的请求"
    else:
        assert isinstance(value, (int, str)) and got == int(value) >= 1


def test_a_form_token_is_claimed_once_and_released_for_a_retry(r: redis.Redis) -> None:
    token = FormToken(r, "duty", "abc")
    assert token.claim()
    assert not FormToken(r, "duty", "abc").claim()
    assert FormToken(r, "sms", "abc").claim()  # namespaces do not collide
    token.release()
    assert token.claim()
    assert FormToken(r, "duty", None).claim() and FormToken(r, "duty", None).claim()


def test_a_form_token_makes_a_second_submit_a_refusal_and_a_failure_frees_it(
    sessions: sessionmaker[Session], r: redis.Redis
) -> None:
    nodes, audits = _counts(sessions)
    with pytest.raises(Boom):
        AddNodes(sessions, WHO, count=2, fail_after=1).run(FormToken(r, "t", "once"))
    assert _counts(sessions) == (nodes, audits)  # nothing written, the token free again
    AddNodes(sessions, WHO, count=1).run(FormToken(r, "t", "once"))
    with pytest.raises(Refused, match="请勿重复点击"):
        AddNodes(sessions, WHO, count=1).run(FormToken(r, "t", "once"))
    assert _counts(sessions) == (nodes + 1, audits + 1)
    with pytest.raises(Refused):  # an invalid request never takes the token
        AddNodes(sessions, WHO, count=1, bad=["role"]).run(FormToken(r, "t", "other"))
    assert FormToken(r, "t", "other").claim()
