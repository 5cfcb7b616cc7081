"""What the /events callbacks may do with incidents, checked here on every call.

The callbacks pass the session user (never ids the browser claims about itself);
each function checks the permission, bounds every query by the user's subtree
and turns ORM rows into plain values before the session closes. An incident
outside the subtree is answered with nothing and a ``gridwatch.scope`` log line.
Workflow refusals come back as the workflow's own Chinese messages: the rules
live in data/incidents/workflow.py, not here.

Free text (title, description, address, history notes) may hold a citizen's phone
or identity number: every view built here masks it (:func:`data.masking.mask_text`),
and only :func:`reveal` hands out the original, one incident at a time, audited in
the transaction that reads it (like a resident's reveal on /residents).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import (
    DUPLICATE,
    AuditEntry,
    Command,
    Problem,
    Refused,
    actor_for,
)
from dashboard.auth.audit_trail import record_refused_reveal
from dashboard.auth.current import SessionUser, node_in_scope, scope_root
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_day_start, display_time
from dashboard.services import Services
from data.incidents.actors import ACTOR_ROLE_LABELS
from data.incidents.categories import CategoryConfig
from data.incidents.duplicates import suggest_for
from data.incidents.intake import IntakeError, report
from data.incidents.queries import (
    count_incidents,
    get_incident,
    list_incidents,
    staff_under,
    timeline,
)
from data.incidents.workflow import (
    ACTIONS,
    CLOCK_RUNNING,
    INCIDENT_ACTION_LABELS,
    WorkflowError,
    allowed_actions,
    apply,
)
from data.masking import mask_name, mask_phone, mask_text
from data.models import (
    HANDLING_LEVEL_LABELS,
    INCIDENT_SOURCE_LABELS,
    INCIDENT_STATE_LABELS,
    DeadlineStatus,
    Incident,
    IncidentState,
    Staff,
)
from data.org_tree import OrgTree, node_label
from data.record_ids import record_id
from streams.nearest import nearest_staff

log = logging.getLogger("gridwatch.scope")

PAGE_SIZE = 25
NOT_FOUND = "事件不存在或不在您的管辖范围内"
NO_HANDLE = "您的角色无权在值班台处理事件"
REVEAL_ACTION = "incident_reveal"


@dataclass(frozen=True)
class EventFilters:
    states: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    node_id: int | None = None
    overdue: bool = False
    #: dates (YYYY-MM-DD) in China time, both inclusive
    start_date: str | None = None
    end_date: str | None = None


@dataclass(frozen=True)
class EventRow:
    id: int
    tracking_no: str
    category: str
    title: str
    state: str
    state_label: str
    node_name: str
    level_label: str
    deadline: str
    #: none / yellow / red, only while the clock runs ("" otherwise: no badge)
    deadline_status: str
    source_label: str
    reported: str


@dataclass(frozen=True)
class EventPage:
    rows: list[EventRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Step:
    seq: int
    at: str
    actor: str
    role_label: str
    from_label: str
    to_label: str
    action_label: str
    note: str


@dataclass(frozen=True)
class Option:
    label: str
    value: int


@dataclass(frozen=True)
class EventDetail:
    row: EventRow
    description: str
    address: str
    reporter: str
    reporter_phone: str
    lat: float | None
    lon: float | None
    assignee: str
    linked: str
    steps: list[Step]
    duplicates: list[Option]
    nearest: list[str]
    actions: list[tuple[str, str]]
    targets: list[Option]
    assignees: list[Option]
    #: the user may see this incident's original text (audited, :func:`reveal`)
    can_reveal: bool = False


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def category_label(code: str, categories: CategoryConfig) -> str:
    """The configured category's name (``GRIDWATCH_INCIDENT_CATEGORIES``), else the code."""
    found = categories.get(code)
    return found.name if found else code


def category_options(categories: CategoryConfig) -> list[dict[str, str]]:
    return [{"label": c.name, "value": c.code} for c in categories.categories.values()]


def _period(start: str | None, end: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Inclusive dates of the display zone → [since, until) instants."""

    def day(value: str | None) -> dt.datetime | None:
        if not isinstance(value, str):  # None, or whatever a crafted request sent
            return None
        try:
            return display_day_start(dt.date.fromisoformat(value[:10]))
        except (TypeError, ValueError):
            return None

    since, until = day(start), day(end)
    return since, None if until is None else until + dt.timedelta(days=1)


def _row(incident: Incident, node_name: str, categories: CategoryConfig) -> EventRow:
    running = incident.state in CLOCK_RUNNING
    return EventRow(
        id=incident.id,
        tracking_no=incident.tracking_no,
        category=category_label(incident.category, categories),
        title=mask_text(incident.title),
        state=incident.state.value,
        state_label=INCIDENT_STATE_LABELS[incident.state],
        node_name=node_name,
        level_label=HANDLING_LEVEL_LABELS[incident.level],
        deadline=display_time(incident.deadline_at) if running else "—",
        deadline_status=incident.deadline_status.value if running else "",
        source_label=INCIDENT_SOURCE_LABELS[incident.source],
        reported=display_time(incident.created_at),
    )


def _node_names(tree: OrgTree, node_ids: set[int]) -> dict[int, str]:
    return {n: tree.place_name(n) for n in node_ids}


def list_page(
    services: Services, tree: OrgTree, who: SessionUser, filters: EventFilters, page: int
) -> EventPage | None:
    """One page of incidents in the user's subtree (or the chosen node in it); None if refused."""
    scope = scope_root(tree, who)
    if scope is None or not who.can(Perm.VIEW_INCIDENTS):
        return None
    node_id = None
    if filters.node_id is not None and filters.node_id != scope.id:
        if node_in_scope(tree, who, filters.node_id) is None:
            return None
        node_id = filters.node_id
    since, until = _period(filters.start_date, filters.end_date)
    try:
        query: dict[str, Any] = {
            "states": [IncidentState(s) for s in filters.states],
            "categories": filters.categories,
            "sources": filters.sources,
            "node_id": node_id,
            "overdue": True if filters.overdue else None,
            "since": since,
            "until": until,
        }
        with services.sessions() as db:
            total = count_incidents(db, scope.path, **query)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(page, 0), pages - 1)
            found = list_incidents(
                db, scope.path, **query, limit=PAGE_SIZE, offset=page * PAGE_SIZE
            )
            names = _node_names(tree, {i.node_id for i in found})
            rows = [_row(i, names[i.node_id], services.categories) for i in found]
    except ValueError:  # a crafted state or source value
        return None
    return EventPage(rows, total, page, pages)


def _in_scope(db: Session, tree: OrgTree, who: SessionUser, incident_id: Any) -> Incident | None:
    scope = scope_root(tree, who)
    if scope is None or record_id(incident_id) is None:  # also beyond SQL's integers
        return None
    incident = get_incident(db, scope.path, incident_id)
    if incident is None:
        log.warning(
            "scope: user %s asked for incident %s outside node %s",
            who.username,
            incident_id,
            who.node_id,
        )
    return incident


def _steps(db: Session, incident_id: int) -> list[Step]:
    return [
        Step(
            seq=h.seq,
            at=display_time(h.at),
            actor=h.actor,
            role_label=ACTOR_ROLE_LABELS.get(h.actor_role, h.actor_role),
            from_label=INCIDENT_STATE_LABELS[h.from_state] if h.from_state else "—",
            to_label=INCIDENT_STATE_LABELS[h.to_state],
            action_label=INCIDENT_ACTION_LABELS.get(h.action, h.action),
            note=mask_text(h.note or ""),
        )
        for h in timeline(db, incident_id)
    ]


def _staff_choices(
    r: redis.Redis, db: Session, incident: Incident, node_path: str, scope_path: str
) -> tuple[list[str], list[Option]]:
    """Nearest on-duty staff (for the eye) and who can be dispatched (under the node)."""
    nearest: list[str] = []
    assignees: list[Option] = []
    if incident.lat is not None and incident.lon is not None:
        try:
            near = nearest_staff(r, db, incident.lat, incident.lon, scope_path)
        except redis.RedisError:
            near = []
            nearest.append("位置服务暂不可用")
        for s in near:
            nearest.append(f"{s.name} · {s.node_name} · {s.distance_m:,.0f} 米")
            if s.node_path.startswith(node_path):
                assignees.append(Option(f"{s.name}（{s.distance_m:,.0f} 米）", s.staff_id))
    taken = {o.value for o in assignees}
    others = staff_under(db, node_path, limit=40)
    assignees += [Option(f"{n}（{g}）", i) for i, n, g in others if i not in taken]
    return nearest, assignees


def detail(
    services: Services, tree: OrgTree, who: SessionUser, incident_id: Any
) -> EventDetail | None:
    """Everything the side panel shows; None when refused or outside the subtree."""
    actor = actor_for(tree, who)
    if actor is None or not who.can(Perm.VIEW_INCIDENTS):
        return None
    with services.sessions() as db:
        incident = _in_scope(db, tree, who, incident_id)
        if incident is None:
            return None
        node = tree.get(incident.node_id)
        node_path = node.path if node else "\0"
        actions = allowed_actions(incident, node_path, actor)
        if not who.can(Perm.HANDLE_INCIDENTS):
            actions = []
        assignee = db.get(Staff, incident.assignee_staff_id) if incident.assignee_staff_id else None
        original = db.get(Incident, incident.duplicate_of_id) if incident.duplicate_of_id else None
        duplicates = [
            Option(f"{c.tracking_no} {mask_text(c.title)}" + _metres(c.distance_m), c.incident_id)
            for c in suggest_for(db, incident, scope_path=actor.scope_path)
        ]
        nearest, assignees = _staff_choices(
            services.redis, db, incident, node_path, actor.scope_path
        )
        targets = (
            [Option(tree_label(tree, n), n) for n in _subtree(tree, incident.node_id)]
            if "dispatch" in actions
            else []
        )
        reporter = incident.reporter_name or ""
        return EventDetail(
            row=_row(incident, tree.place_name(incident.node_id), services.categories),
            description=mask_text(incident.description),
            address=mask_text(incident.address or ""),
            reporter=_masked_name(reporter),
            reporter_phone=mask_phone(incident.reporter_phone) or "—",
            lat=incident.lat,
            lon=incident.lon,
            assignee=assignee.name if assignee else "—",
            linked=(
                f"重复于 {original.tracking_no}"
                if original
                else f"转办至 {mask_text(incident.transferred_to)}"
                if incident.transferred_to
                else ""
            ),
            steps=_steps(db, incident.id),
            duplicates=duplicates if "merge" in actions else [],
            nearest=nearest,
            actions=[(a, ACTIONS[a].label) for a in actions if a != "merge"],
            targets=targets,
            assignees=assignees if "dispatch" in actions else [],
            can_reveal=who.can(Perm.REVEAL_PERSONAL_DATA),
        )


@dataclass(frozen=True)
class RevealedIncident:
    """One incident's free text as it was typed, with the reporter's full name and phone."""

    incident_id: int
    title: str
    description: str
    address: str
    reporter: str
    #: "处置反馈 2026-12-01 10:00：…" per history row that has a note
    notes: list[str]


REVEALED_FIELDS = ["title", "description", "address", "notes", "reporter_name", "reporter_phone"]


@dataclass
class RevealIncident(Command[RevealedIncident | None]):
    """The original text of one incident in scope, read and audited in one transaction.

    A refusal is recorded too (a ``denied`` row at the asker's node), so the command
    answers None rather than raising: the refusal's audit row must be committed.
    """

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    incident_id: Any
    address: str
    #: the revealed incident's node, for the audit row
    _node_id: int | None = field(default=None, init=False, repr=False)

    def execute(self, db: Session) -> RevealedIncident | None:
        who = self.who
        allowed = who.can(Perm.VIEW_INCIDENTS) and who.can(Perm.REVEAL_PERSONAL_DATA)
        incident = _in_scope(db, self.tree, who, self.incident_id) if allowed else None
        if incident is None:
            reason = "scope" if allowed else "no_permission"
            _refused(db, who, self.incident_id, self.address, reason)
            return None
        self._node_id = incident.node_id
        notes = [
            f"{INCIDENT_ACTION_LABELS.get(h.action, h.action)} {display_time(h.at)}：{h.note}"
            for h in timeline(db, incident.id)
            if h.note
        ]
        reporter = " ".join(p for p in (incident.reporter_name, incident.reporter_phone) if p)
        return RevealedIncident(
            incident_id=incident.id,
            title=incident.title,
            description=incident.description,
            address=incident.address or "",
            reporter=reporter or "—",
            notes=notes,
        )

    def audit(self, result: RevealedIncident | None) -> AuditEntry | None:
        if result is None:
            return None
        detail: dict[str, Any] = {"fields": REVEALED_FIELDS}
        return AuditEntry(
            REVEAL_ACTION, "incident", result.incident_id, self._node_id, detail, self.address
        )


def reveal(
    services: Services, tree: OrgTree, who: SessionUser, incident_id: Any, address: str
) -> RevealedIncident | None:
    """The original text of one incident in scope, read and audited in one transaction.

    Needs ``Perm.REVEAL_PERSONAL_DATA`` (leaders, duty officers); anything else, or an
    incident outside the subtree, is refused with a ``denied`` audit row at the asker's node.
    """
    return RevealIncident(services.sessions, tree, who, incident_id, address).run()


def _refused(db: Session, who: SessionUser, target_id: Any, address: str, reason: str) -> None:
    record_refused_reveal(db, who, REVEAL_ACTION, "incident", target_id, address, reason)


def _metres(distance: float | None) -> str:
    return "" if distance is None else f"（{distance:,.0f} 米）"


def _masked_name(name: str) -> str:
    return mask_name(name) or "—"


def tree_label(tree: OrgTree, node_id: int) -> str:
    node = tree.get(node_id)
    return node_label(tree, node) if node else str(node_id)


def _subtree(tree: OrgTree, node_id: int, limit: int = 300) -> list[int]:
    out: list[int] = []
    queue = [node_id]
    while queue and len(out) < limit:
        current = queue.pop(0)
        out.append(current)
        queue.extend(tree.children.get(current, []))
    return out


@dataclass
class ActOnIncident(Command[tuple[str, str, bool]]):
    """One workflow transition; the history row it writes is the record (no audit row)."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    incident_id: Any
    action: str
    transition_id: str
    categories: CategoryConfig
    note: str | None = None
    target_node_id: int | None = None
    assignee_staff_id: int | None = None
    duplicate_of_id: int | None = None

    def validate(self) -> list[Problem]:
        who = self.who
        if actor_for(self.tree, who) is None or not who.can(Perm.HANDLE_INCIDENTS):
            log.warning(
                "events: user %s (%s) refused action %s", who.username, who.role, self.action
            )
            return [Problem("form", NO_HANDLE)]
        if self.action not in ACTIONS:
            return [Problem("action", f"未知操作「{self.action}」")]
        return []

    def execute(self, db: Session) -> tuple[str, str, bool]:
        """(action label, tracking number, whether it was a replay)."""
        actor = actor_for(self.tree, self.who)
        assert actor is not None  # validate() saw to it
        if _in_scope(db, self.tree, self.who, self.incident_id) is None:
            raise Refused(NOT_FOUND)
        done = apply(
            db,
            self.incident_id,
            self.action,
            actor,
            note=self.note,
            target_node_id=self.target_node_id,
            assignee_staff_id=self.assignee_staff_id,
            duplicate_of_id=self.duplicate_of_id,
            transition_id=self.transition_id,
            categories=self.categories,
        )
        return ACTIONS[self.action].label, done.incident.tracking_no, done.replayed


def act(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    incident_id: Any,
    action: str,
    *,
    transition_id: str,
    note: str | None = None,
    target_node_id: int | None = None,
    assignee_staff_id: int | None = None,
    duplicate_of_id: int | None = None,
) -> Outcome:
    """One workflow transition in one transaction; the history row is the record (no audit)."""
    command = ActOnIncident(
        services.sessions,
        tree,
        who,
        incident_id,
        action,
        transition_id,
        services.categories,
        note,
        target_node_id,
        assignee_staff_id,
        duplicate_of_id,
    )
    try:
        label, tracking, replayed = command.run()
    except Refused as exc:
        return Outcome(False, exc.message)
    except WorkflowError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:  # the same transition id committed concurrently (double click)
        return Outcome(True, DUPLICATE)
    if replayed:
        return Outcome(True, f"「{label}」已执行（重复提交已忽略）")
    return Outcome(True, f"事件 {tracking} 已{label}")


@dataclass(frozen=True)
class Registered:
    incident_id: int | None
    tracking_no: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0


def _number(value: Any, name: str, errors: dict[str, str]) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        errors[name] = "应为数字"
        return None


@dataclass
class RegisterIncident(Command[Registered]):
    """The duty desk's 登记事件: intake with source "desk", bounded by the user's subtree."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    form: dict[str, Any]
    categories: CategoryConfig

    def validate(self) -> list[Problem]:
        if actor_for(self.tree, self.who) is None or not self.who.can(Perm.HANDLE_INCIDENTS):
            return [Problem("form", NO_HANDLE)]
        errors: dict[str, str] = {}
        _number(self.form.get("lat"), "lat", errors)
        _number(self.form.get("lon"), "lon", errors)
        node_id = self.form.get("node_id")
        if node_id is not None and node_in_scope(self.tree, self.who, node_id) is None:
            errors["node_id"] = "所选节点不在您的管辖范围内"
        return [Problem(item, message) for item, message in errors.items()]

    def execute(self, db: Session) -> Registered:
        actor = actor_for(self.tree, self.who)
        assert actor is not None  # validate() saw to it
        form, ignored = self.form, dict[str, str]()
        incident = report(
            db,
            source="desk",
            category=form.get("category") or "",
            title=form.get("title") or "",
            description=form.get("description") or "",
            node_id=form.get("node_id"),
            lat=_number(form.get("lat"), "lat", ignored),
            lon=_number(form.get("lon"), "lon", ignored),
            reporter_user_id=self.who.id,
            reporter_name=(form.get("reporter_name") or "").strip() or None,
            reporter_phone=(form.get("reporter_phone") or "").strip() or None,
            scope_path=actor.scope_path,
            categories=self.categories,
        )
        found = len(suggest_for(db, incident, scope_path=actor.scope_path))
        return Registered(incident.id, incident.tracking_no, duplicates=found)


def register(
    services: Services, tree: OrgTree, who: SessionUser, form: dict[str, Any]
) -> Registered:
    """The duty desk's 登记事件: intake with source "desk", bounded by the user's subtree."""
    try:
        return RegisterIncident(services.sessions, tree, who, form, services.categories).run()
    except Refused as exc:
        return Registered(None, errors={p.item: p.message for p in exc.problems})
    except IntakeError as exc:
        return Registered(None, errors=exc.errors)


def deadline_badge_class(status: str) -> str:
    return {
        DeadlineStatus.YELLOW.value: "gw-badge gw-badge-yellow",
        DeadlineStatus.RED.value: "gw-badge gw-badge-red",
    }.get(status, "")
