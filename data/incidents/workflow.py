"""The incident state machine, written once as data, and ``apply`` that enforces it.

``ACTIONS`` says, for every action, which states it leaves from, the state it
leads to and which roles may take it; ``apply`` checks scope, role, state and the
action's own rules *before* changing anything, then writes the history row and
the outbox event through the journal in the caller's transaction. A transition
id makes a retried request harmless: the second application is a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from data.incidents import journal, limits
from data.incidents.actors import SYSTEM, Actor
from data.incidents.categories import CategoryConfig, default_categories
from data.incidents.locate import coordinate_errors, coordinate_message
from data.models import (
    HANDLING_LEVEL_LABELS,
    INCIDENT_STATE_LABELS,
    Incident,
    IncidentHistory,
    IncidentState,
    OrgNode,
    Role,
    Staff,
)

S = IncidentState
DUTY, LEADER, GRID = Role.DUTY_OFFICER.value, Role.LEADER.value, Role.GRID_STAFF.value
OFFICERS = frozenset({DUTY, LEADER})

#: states an incident never leaves
TERMINAL: frozenset[IncidentState] = frozenset({S.CLOSED, S.REJECTED, S.DUPLICATE, S.TRANSFERRED})
#: states in which the level's clock runs (handled/verified wait on the checker, not the handler)
CLOCK_RUNNING: frozenset[IncidentState] = frozenset(
    {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.ESCALATED}
)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    sources: frozenset[IncidentState]
    target: IncidentState
    roles: frozenset[str]
    needs_note: bool = False


def _spec(
    name: str,
    label: str,
    sources: set[IncidentState],
    target: IncidentState,
    roles: set[str] | frozenset[str],
    needs_note: bool = False,
) -> ActionSpec:
    return ActionSpec(name, label, frozenset(sources), target, frozenset(roles), needs_note)


#: The workflow. docs/incidents.md shows it as a diagram and a table; a test keeps them equal.
ACTIONS: dict[str, ActionSpec] = {
    s.name: s
    for s in (
        _spec("accept", "受理", {S.REPORTED, S.ESCALATED}, S.ACCEPTED, OFFICERS),
        _spec("reject", "不予受理", {S.REPORTED, S.ESCALATED}, S.REJECTED, OFFICERS, True),
        _spec("merge", "合并重复", {S.REPORTED, S.ACCEPTED, S.ESCALATED}, S.DUPLICATE, OFFICERS),
        _spec(
            "transfer", "转办", {S.REPORTED, S.ACCEPTED, S.ESCALATED}, S.TRANSFERRED, OFFICERS, True
        ),
        _spec(
            "dispatch", "派遣", {S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS}, S.DISPATCHED, OFFICERS
        ),
        _spec("start", "开始处置", {S.DISPATCHED}, S.IN_PROGRESS, {DUTY, GRID}),
        _spec("handle", "处置反馈", {S.IN_PROGRESS}, S.HANDLED, {DUTY, GRID}, True),
        _spec("return", "退回重办", {S.HANDLED}, S.IN_PROGRESS, OFFICERS, True),
        _spec("verify", "核查通过", {S.HANDLED}, S.VERIFIED, {DUTY, LEADER, GRID}),
        _spec("close", "结案", {S.VERIFIED}, S.CLOSED, OFFICERS),
        _spec(
            "escalate",
            "上报上级",
            {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.ESCALATED},
            S.ESCALATED,
            {DUTY, LEADER, GRID, SYSTEM},
        ),
    )
}

#: history actions that are not transitions: intake and the deadline marks (state unchanged)
RECORD_ACTIONS: dict[str, str] = {
    "report": "上报",
    "deadline_yellow": "黄牌预警",
    "deadline_red": "红牌超时",
}

INCIDENT_ACTION_LABELS: dict[str, str] = {
    **{a: s.label for a, s in ACTIONS.items()},
    **RECORD_ACTIONS,
}

#: actions a grid staff member may take only on incidents dispatched to them
ASSIGNEE_ONLY = frozenset({"start", "handle", "escalate"})


class WorkflowError(Exception):
    """A transition was refused; the message is Chinese and fit to show to the user.

    It names nothing outside the actor's scope (no staff name, no tracking number): an
    id that is not there and one beyond the subtree get the same answer.
    """


class IncidentNotFound(WorkflowError):
    pass


class IllegalTransition(WorkflowError):
    """The incident's state does not allow the action."""


class NotPermitted(WorkflowError):
    """The actor may not take this action here (role, scope, assignee, own handling)."""


class InvalidRequest(WorkflowError):
    """The action lacks something it needs (note, target) or names something wrong."""


@dataclass(frozen=True)
class Applied:
    incident: Incident
    history: IncidentHistory
    #: True when the transition id had been applied before and nothing was written
    replayed: bool = False


@dataclass(frozen=True)
class _Request:
    note: str | None
    target_node_id: int | None
    assignee_staff_id: int | None
    duplicate_of_id: int | None
    now: dt.datetime
    config: CategoryConfig
    detail: dict[str, Any] = field(default_factory=dict)


def apply(
    session: Session,
    incident_id: int,
    action: str,
    actor: Actor,
    *,
    note: str | None = None,
    target_node_id: int | None = None,
    assignee_staff_id: int | None = None,
    duplicate_of_id: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    attachments: Sequence[str] = (),
    transition_id: str | None = None,
    now: dt.datetime | None = None,
    categories: CategoryConfig | None = None,
) -> Applied:
    """Take ``action`` on the incident as ``actor``, or raise a WorkflowError changing nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise InvalidRequest(f"未知操作「{action}」")
    if transition_id is not None:
        check_transition_id(transition_id)
        replay = _replayed(session, incident_id, action, transition_id)
        if replay is not None:
            return replay
    now = aware(now)
    incident = _load_locked(session, incident_id)
    node = session.get(OrgNode, incident.node_id)
    assert node is not None  # foreign key
    if not node.path.startswith(actor.scope_path):
        raise NotPermitted(OUTSIDE_INCIDENT)
    if actor.role not in spec.roles:
        raise NotPermitted(f"「{actor.role_label}」不能执行「{spec.label}」")
    if incident.state not in spec.sources:
        raise IllegalTransition(
            f"事件 {incident.tracking_no} 当前状态为「{INCIDENT_STATE_LABELS[incident.state]}」，"
            f"不能执行「{spec.label}」"
        )
    clean_note = (note or "").strip() or None
    if spec.needs_note and clean_note is None:
        raise InvalidRequest(f"执行「{spec.label}」需要填写说明")
    check_position(lat, lon)
    check_attachments(attachments)
    request = _Request(
        clean_note,
        target_node_id,
        assignee_staff_id,
        duplicate_of_id,
        now,
        categories or default_categories(),
    )
    if actor.role == GRID and action in ASSIGNEE_ONLY:
        _check_assignee(incident, actor, spec, claim=action == "start")
    _RULES.get(action, _no_rule)(session, incident, node, actor, request)
    from_state, incident.state = incident.state, spec.target
    row = journal.record(
        session,
        incident,
        action=action,
        actor=actor,
        from_state=from_state,
        node_before_id=node.id,
        now=now,
        transition_id=transition_id,
        note=clean_note,
        lat=lat,
        lon=lon,
        attachments=attachments,
        detail=request.detail,
    )
    return Applied(incident, row)


def allowed_actions(incident: Incident, node_path: str, actor: Actor) -> list[str]:
    """Actions worth offering this actor (scope, role and state); ``apply`` has the last word."""
    if not node_path.startswith(actor.scope_path):
        return []
    return [
        name
        for name, spec in ACTIONS.items()
        if actor.role in spec.roles and incident.state in spec.sources
    ]


def aware(now: dt.datetime | None) -> dt.datetime:
    """``now`` as an aware UTC time; naive values are refused rather than guessed."""
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(dt.UTC)


def check_position(lat: float | None, lon: float | None) -> None:
    """The same coordinate rule as intake (finite first, then the range)."""
    problems = coordinate_errors(lat, lon)
    if problems:
        raise InvalidRequest(coordinate_message(problems))


def check_transition_id(transition_id: str) -> None:
    if not isinstance(transition_id, str) or not 1 <= len(transition_id) <= 64:
        raise InvalidRequest("操作编号应为 1–64 个字符")


def check_attachments(attachments: Sequence[str]) -> None:
    if isinstance(attachments, str) or len(attachments) > 20:
        raise InvalidRequest("附件应为不超过 20 个文件引用的列表")
    if any(not isinstance(a, str) or not a or len(a) > 255 for a in attachments):
        raise InvalidRequest("附件引用应为 1–255 个字符的字符串")


# -- internals --------------------------------------------------------------------------

OUTSIDE_INCIDENT = "该事件不在您的管辖范围内"
OUTSIDE_STAFF = "处置人员不存在或不在您的管辖范围内"
OUTSIDE_ORIGINAL = "原事件不存在或不在您的管辖范围内"


def _replayed(
    session: Session, incident_id: int, action: str, transition_id: str
) -> Applied | None:
    done = session.scalar(
        select(IncidentHistory).where(IncidentHistory.transition_id == transition_id)
    )
    if done is None:
        return None
    if done.incident_id != incident_id or done.action != action:
        raise InvalidRequest(f"操作编号 {transition_id} 已用于其他操作")
    incident = session.get(Incident, incident_id)
    assert incident is not None
    return Applied(incident, done, replayed=True)


def _load_locked(session: Session, incident_id: int) -> Incident:
    """The incident, row-locked on PostgreSQL so two transitions serialise (SQLite: one writer)."""
    incident = session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if incident is None:
        raise IncidentNotFound(f"事件 {incident_id} 不存在")
    return incident


def _check_assignee(incident: Incident, actor: Actor, spec: ActionSpec, *, claim: bool) -> None:
    """Grid staff act only on what was dispatched to them; an unassigned dispatch can be claimed."""
    if actor.staff_id is None:
        raise NotPermitted(f"执行「{spec.label}」需要网格员身份（终端账号）")
    if incident.assignee_staff_id == actor.staff_id:
        return
    if claim and incident.assignee_staff_id is None:
        incident.assignee_staff_id = actor.staff_id
        return
    raise NotPermitted(
        f"事件 {incident.tracking_no} 未派遣给您，只有被派遣的网格员可以执行「{spec.label}」"
    )


Rule = Callable[[Session, Incident, OrgNode, Actor, _Request], None]


def _no_rule(
    session: Session, incident: Incident, node: OrgNode, actor: Actor, r: _Request
) -> None:
    return None


def _dispatch(
    session: Session, incident: Incident, node: OrgNode, actor: Actor, r: _Request
) -> None:
    if r.assignee_staff_id is None and r.target_node_id is None:
        raise InvalidRequest("派遣需要指定处置人员或责任节点")
    target = node
    if r.target_node_id is not None and r.target_node_id != node.id:
        found = session.get(OrgNode, r.target_node_id)
        if found is None or not found.path.startswith(node.path):
            raise InvalidRequest("只能派遣到本级或下级节点")
        if limits.level_of(found) is None:
            raise InvalidRequest(f"节点「{found.name}」不是处置层级")
        target = found
    staff = None
    if r.assignee_staff_id is not None:
        staff = session.get(Staff, r.assignee_staff_id)
        staff_node = None if staff is None else session.get(OrgNode, staff.node_id)
        if staff is None or staff_node is None or not staff_node.path.startswith(actor.scope_path):
            raise InvalidRequest(OUTSIDE_STAFF)
        if not staff.active:
            raise InvalidRequest(f"处置人员「{staff.name}」已停用")
        if not staff_node.path.startswith(target.path):
            raise InvalidRequest(f"处置人员「{staff.name}」不在「{target.name}」范围内")
    if target.id != node.id:
        limits.place(incident, target, r.config, r.now)
        r.detail["deadline_at"] = incident.deadline_at.isoformat()
    incident.assignee_staff_id = None if staff is None else staff.id
    r.detail["assignee_staff_id"] = incident.assignee_staff_id


def _verify(session: Session, incident: Incident, node: OrgNode, actor: Actor, r: _Request) -> None:
    """Whoever handled it (at any attempt) cannot verify it: the four-eyes rule."""
    handled_by_actor = exists().where(
        IncidentHistory.incident_id == incident.id,
        IncidentHistory.action == "handle",
        _same_person(actor),
    )
    if session.scalar(select(handled_by_actor)):
        raise NotPermitted(f"事件 {incident.tracking_no} 由您处置，不能由您核查")


def _same_person(actor: Actor) -> Any:
    clauses = []
    if actor.user_id is not None:
        clauses.append(IncidentHistory.actor_user_id == actor.user_id)
    if actor.staff_id is not None:
        clauses.append(IncidentHistory.actor_staff_id == actor.staff_id)
    if not clauses:
        return IncidentHistory.actor == actor.name
    return clauses[0] if len(clauses) == 1 else clauses[0] | clauses[1]


def _merge(session: Session, incident: Incident, node: OrgNode, actor: Actor, r: _Request) -> None:
    if r.duplicate_of_id is None:
        raise InvalidRequest("合并需要指定原事件")
    original = session.get(Incident, r.duplicate_of_id)
    if original is not None and original.duplicate_of_id is not None:
        original = session.get(Incident, original.duplicate_of_id)  # link to the root
    original_node = None if original is None else session.get(OrgNode, original.node_id)
    # one answer (and one error class) for "not there" and "not yours": no way to probe
    if (
        original is None
        or original_node is None
        or not original_node.path.startswith(actor.scope_path)
    ):
        raise InvalidRequest(OUTSIDE_ORIGINAL)
    if original.id == incident.id:
        raise InvalidRequest("事件不能与自身合并")
    incident.duplicate_of_id = original.id
    r.detail["duplicate_of_id"] = original.id
    r.detail["duplicate_of"] = original.tracking_no


def _transfer(
    session: Session, incident: Incident, node: OrgNode, actor: Actor, r: _Request
) -> None:
    incident.transferred_to = (r.note or "")[:128]


def _escalate(
    session: Session, incident: Incident, node: OrgNode, actor: Actor, r: _Request
) -> None:
    parent = None if node.parent_id is None else session.get(OrgNode, node.parent_id)
    if parent is None or limits.level_of(parent) is None:
        level = HANDLING_LEVEL_LABELS[incident.level]
        raise InvalidRequest(f"事件 {incident.tracking_no} 已在最高处置层级（{level}），不能再上报")
    limits.place(incident, parent, r.config, r.now)
    incident.assignee_staff_id = None
    r.detail["deadline_at"] = incident.deadline_at.isoformat()
    r.detail["level"] = str(incident.level)


_RULES: dict[str, Rule] = {
    "dispatch": _dispatch,
    "verify": _verify,
    "merge": _merge,
    "transfer": _transfer,
    "escalate": _escalate,
}
