"""What the /duty callbacks may do with alerts, checked here on every call.

Callbacks pass the session user; every function checks the permission, bounds the
query by the user's subtree and returns plain values. Changes commit the alert, its
deliveries, its outbox row and the audit row in one transaction, and only then is
the officer told "已发布"; the outbox is relayed at once afterwards so the walls hear
of it within a second (the server's pump relays it anyway if that attempt fails).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import (
    AuditEntry,
    Command,
    FormToken,
    Problem,
    Refused,
    actor_for,
    scope_path,
)
from dashboard.access.wall import polygon_bounds
from dashboard.auth.current import SessionUser, node_in_scope, scope_root
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time, display_zone
from dashboard.services import Services
from data.alerts import lifecycle, queries, recipients, states
from data.alerts.categories import ALERT_CATEGORIES, category_label
from data.alerts.levels import LEVEL_LABELS, rank
from data.alerts.states import ALERT_ACTION_LABELS, ALERT_STATE_LABELS
from data.incidents.queries import count_incidents, list_incidents
from data.masking import mask_phone, mask_text
from data.models import (
    DELIVERY_STATE_LABELS,
    POST_LABELS,
    Alert,
    AlertAction,
    AlertLevel,
    DeadlineStatus,
    DeliveryState,
    IncidentState,
)
from data.org_tree import NodeInfo, OrgTree, boundaries
from data.record_ids import record_id
from streams.outbox_relay import relay_outbox

log = logging.getLogger("gridwatch.scope")

NO_ALERTS = "您的角色无权发布或调整预警"
NOT_FOUND = "预警不存在或不在您的管辖范围内"
TITLE_MAX = 64
TEXT_MAX = 300
#: validity choices (hours) offered for issuing and extending
DURATIONS_H: tuple[int, ...] = (2, 6, 12, 24, 48, 72)
#: 未签收人员 are shown a page at a time (the count is always exact): a city-wide alert
#: has 36k of them, and a page that re-renders hundreds of rows moves under the pointer
PENDING_PAGE_SIZE = 50
#: at most this many areas answer a typed search
MAX_NODE_MATCHES = 40

LEVEL_TARGET_LABELS = {1: "一级网格（街道）", 2: "二级网格（社区）", 3: "三级网格"}


@dataclass(frozen=True)
class Progress:
    """Deliveries of the newest notifying action, as the officer reads them."""

    total: int = 0
    pending: int = 0
    sent: int = 0
    delivered: int = 0
    acknowledged: int = 0
    failed: int = 0

    @classmethod
    def of(cls, counts: dict[DeliveryState, int]) -> Progress:
        return cls(
            total=sum(counts.values()),
            pending=counts[DeliveryState.QUEUED] + counts[DeliveryState.SENDING],
            sent=counts[DeliveryState.SENT],
            delivered=counts[DeliveryState.DELIVERED],
            acknowledged=counts[DeliveryState.ACKNOWLEDGED],
            failed=counts[DeliveryState.FAILED],
        )

    @property
    def reached(self) -> int:
        """Texts that left (sent, delivered or already acknowledged)."""
        return self.sent + self.delivered + self.acknowledged


@dataclass(frozen=True)
class AlertSummary:
    id: int
    level: str
    level_label: str
    state: str
    state_label: str
    title: str
    text: str
    category_label: str
    node_name: str
    target_label: str
    issued_at: str
    issued_by: str
    valid_until: str
    progress: Progress


@dataclass(frozen=True)
class ActionRow:
    at: str
    label: str
    actor: str
    change: str


@dataclass(frozen=True)
class PendingRow:
    name: str
    post: str
    place: str
    phone: str
    state_label: str
    error: str


@dataclass(frozen=True)
class AlertDetail:
    summary: AlertSummary
    live: bool
    actions: list[ActionRow] = field(default_factory=list)
    #: one page of 未签收人员 (``page`` 0-based, clamped to the last page)
    pending: list[PendingRow] = field(default_factory=list)
    pending_total: int = 0
    page: int = 0
    pages: int = 1


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    alert_id: int | None = None


@dataclass(frozen=True)
class IssueForm:
    node_id: int | None
    level: str | None
    category: str | None
    title: str
    text: str
    hours: int | None
    target_levels: list[int] = field(default_factory=list)


def can_issue(who: SessionUser) -> bool:
    return who.can(Perm.ISSUE_ALERTS)


def _target_label(alert: Alert) -> str:
    levels = [int(v) for v in alert.target_levels or []]
    if not levels:
        return "全部下级网格"
    return "、".join(LEVEL_TARGET_LABELS.get(v, str(v)) for v in levels)


def _summary(db: Session, tree: OrgTree, alert: Alert) -> AlertSummary:
    return AlertSummary(
        id=alert.id,
        level=alert.level.value,
        level_label=LEVEL_LABELS[alert.level],
        state=alert.state.value,
        state_label=ALERT_STATE_LABELS[alert.state],
        title=alert.title,
        text=alert.text,
        category_label=category_label(alert.category),
        node_name=tree.place_name(alert.node_id),
        target_label=_target_label(alert),
        issued_at=display_time(alert.issued_at),
        issued_by=alert.issued_by,
        valid_until=display_time(alert.valid_until),
        progress=Progress.of(queries.delivery_counts(db, alert.id)),
    )


def live_alerts(services: Services, tree: OrgTree, who: SessionUser) -> list[AlertSummary] | None:
    """Live alerts in the user's subtree, highest level first; None if refused."""
    path = scope_path(tree, who)
    if path is None or not can_issue(who):
        return None
    with services.sessions() as db:
        rows = [_summary(db, tree, alert) for alert in queries.live_alerts(db, path)]
    return sorted(rows, key=lambda row: -rank(AlertLevel(row.level)))


def _in_scope(db: Session, tree: OrgTree, who: SessionUser, alert_id: object) -> Alert | None:
    if record_id(alert_id) is None:  # also beyond SQL's integers
        return None
    path = scope_path(tree, who)
    alert = db.get(Alert, alert_id)
    if alert is None or path is None or not alert.node_path.startswith(path):
        if alert is not None:
            log.warning("duty: user %s asked for alert %s outside scope", who.username, alert_id)
        return None
    return alert


def _change(row: AlertAction) -> str:
    """What an action changed, in a few words (level, validity)."""
    parts = []
    if row.from_level and row.to_level and row.from_level != row.to_level:
        parts.append(f"{LEVEL_LABELS[row.from_level]} → {LEVEL_LABELS[row.to_level]}")
    elif row.action in (states.ISSUE, states.REISSUE) and row.to_level:
        parts.append(LEVEL_LABELS[row.to_level])
    if row.action == states.EXTEND and row.to_valid_until:
        parts.append(f"有效至 {display_time(row.to_valid_until)}")
    return "；".join(parts)


def _pages(total: int) -> int:
    return max(1, -(-total // PENDING_PAGE_SIZE))


def _pending_page(
    db: Session, tree: OrgTree, alert_id: int, page: int
) -> tuple[list[PendingRow], int, int, int]:
    """One page of who has not acknowledged the newest text: (rows, total, page, pages)."""
    total = queries.waiting_count(db, alert_id)
    pages = _pages(total)
    page = min(max(page, 0), pages - 1)
    rows = queries.waiting_page(db, alert_id, page * PENDING_PAGE_SIZE, PENDING_PAGE_SIZE)
    pending = [
        PendingRow(
            name=row.name,
            post=POST_LABELS[row.post],
            place=tree.place_name(row.node_id),
            phone=mask_phone(row.phone),
            state_label=DELIVERY_STATE_LABELS[row.state],
            error=row.error or "",
        )
        for row in rows
    ]
    return pending, total, page, pages


def detail(
    services: Services, tree: OrgTree, who: SessionUser, alert_id: object, page: int = 0
) -> AlertDetail | None:
    """One alert with its history and one page of who has not acknowledged the newest text."""
    if not can_issue(who):
        return None
    with services.sessions() as db:
        alert = _in_scope(db, tree, who, alert_id)
        if alert is None:
            return None
        action_rows = [
            ActionRow(
                at=display_time(row.at),
                label=ALERT_ACTION_LABELS.get(row.action, row.action),
                actor=row.actor,
                change=_change(row),
            )
            for row in queries.actions(db, alert.id)
        ]
        pending, total, page, pages = _pending_page(db, tree, alert.id, page)
        live = alert.state in states.LIVE_STATES
        return AlertDetail(
            _summary(db, tree, alert), live, action_rows, pending, total, page, pages
        )


def _form_token(services: Services, token: str | None) -> FormToken:
    """The console's one-time form token: a double click is answered, not repeated."""
    return FormToken(services.redis, "duty", token)


def _relay(services: Services) -> None:
    try:
        relay_outbox(services.sessions, services.redis)
    except Exception:  # the pump relays it within seconds; the alert is already committed
        log.warning("duty: immediate outbox relay failed; the pump will publish", exc_info=True)


def validate_issue(form: IssueForm) -> list[str]:
    """Every problem of the form, in the officer's words (empty: fine)."""
    problems = []
    if form.node_id is None:
        problems.append("请选择预警发布的区域（在地图上点选或在下拉框中选择）")
    if form.level not in {level.value for level in AlertLevel}:
        problems.append("请选择预警级别（蓝、黄、橙、红）")
    if form.category not in ALERT_CATEGORIES:
        problems.append("请选择预警类别")
    title = form.title.strip()
    if not title:
        problems.append("请填写预警标题")
    elif len(title) > TITLE_MAX:
        problems.append(f"标题过长：{len(title)} 字，最多 {TITLE_MAX} 字")
    text = form.text.strip()
    if not text:
        problems.append("请填写预警内容")
    elif len(text) > TEXT_MAX:
        problems.append(f"内容过长：{len(text)} 字，最多 {TEXT_MAX} 字")
    if form.hours not in DURATIONS_H:
        problems.append("请选择有效时长")
    if any(level not in LEVEL_TARGET_LABELS for level in form.target_levels):
        problems.append("下发范围只能是一级、二级或三级网格")
    return problems


@dataclass(frozen=True)
class Preview:
    """What the officer confirms before anything is sent: where, how severe, how many texts.

    ``recipients`` comes from the query the action itself uses (the issue's
    ``responsible_staff``; everyone texted so far for a level change or the lift).
    """

    action: str
    heading: str
    confirm_label: str
    place: str
    level: str
    level_label: str
    from_level: str | None
    from_level_label: str
    category_label: str
    title: str
    validity: str
    target_label: str
    recipients: int
    texted: str
    note: str
    geojson: dict[str, Any]
    bounds: list[list[float]] | None


def _preview_map(
    db: Session, tree: OrgTree, who: SessionUser, node: NodeInfo, level: str
) -> dict[str, Any]:
    """The area filled in the level's colour inside its parent's outline (when in scope)."""
    scope = scope_root(tree, who)
    parent = tree.get(node.parent_id)
    in_scope = parent is not None and scope is not None and tree.is_within(parent.id, scope.id)
    context = parent if in_scope else None
    shapes = boundaries(db, [node.id] + ([context.id] if context else []))
    features = []
    if context is not None and shapes.get(context.id):
        features.append(
            {
                "type": "Feature",
                "geometry": shapes[context.id],
                "properties": {"id": context.id, "name": context.name, "role": "context"},
            }
        )
    if shapes.get(node.id):
        features.append(
            {
                "type": "Feature",
                "geometry": shapes[node.id],
                "properties": {"id": node.id, "name": node.name, "role": "target", "level": level},
            }
        )
    frame = shapes.get(context.id) if context is not None else None
    return {
        "geojson": {"type": "FeatureCollection", "features": features},
        "bounds": _bounds(frame or shapes.get(node.id)),
    }


def _place(tree: OrgTree, who: SessionUser, node_id: int) -> str:
    return " › ".join(n.name for n in trail(tree, who, node_id)) or tree.place_name(node_id)


def preview_issue(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    form: IssueForm,
    now: dt.datetime | None = None,
) -> Preview | Outcome:
    """The confirmation of an issue, or the refusal ``issue`` would give; sends nothing."""
    command = IssueAlert(services.sessions, tree, who, form, now)
    problems = command.validate()
    if problems:
        return Outcome(False, Refused.of(problems).message)
    node = command.node()
    assert (
        node is not None
        and form.level is not None
        and form.category is not None
        and form.hours is not None
    )
    now = now or dt.datetime.now(dt.UTC)
    level = AlertLevel(form.level)
    with services.sessions() as db:
        count = recipients.count_responsible(db, node.path, form.target_levels)
        live = queries.live_for(db, node.id, form.category, now)
        shown = _preview_map(db, tree, who, node, level.value)
    note = ""
    if live is not None:
        note = (
            f"该区域已有生效的{category_label(form.category)}预警"
            f"「{live.title}」（{LEVEL_LABELS[live.level]}），确认后将更新该预警并重新通知。"
        )
    elif count == 0:
        note = "该区域没有登记的网格长或网格员，不会发送短信。"
    until = display_time(now + dt.timedelta(hours=form.hours))
    return Preview(
        action="issue",
        heading="确认发布预警",
        confirm_label="确认发布",
        place=_place(tree, who, node.id),
        level=level.value,
        level_label=f"{LEVEL_LABELS[level]}预警",
        from_level=None,
        from_level_label="",
        category_label=category_label(form.category),
        title=form.title.strip(),
        validity=f"{form.hours} 小时（至 {until}）",
        target_label=(
            "、".join(LEVEL_TARGET_LABELS[v] for v in sorted(set(form.target_levels)))
            or "全部下级网格"
        ),
        recipients=count,
        texted=f"将短信通知 {count:,} 人",
        note=note,
        **shown,
    )


def preview_change(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    alert_id: object,
    action: str,
    level: str | None = None,
) -> Preview | Outcome:
    """The confirmation of a level change or the lift, or the refusal; sends nothing."""
    if actor_for(tree, who) is None or not can_issue(who):
        return Outcome(False, NO_ALERTS)
    if action not in ("level", "lift"):
        return Outcome(False, f"未知操作：{action}")
    if action == "level" and level not in {lv.value for lv in AlertLevel}:
        return Outcome(False, "请选择新的预警级别")
    with services.sessions() as db:
        alert = _in_scope(db, tree, who, alert_id)
        node = tree.get(alert.node_id) if alert is not None else None
        if alert is None or node is None:
            return Outcome(False, NOT_FOUND)
        if alert.state not in states.LIVE_STATES:
            return Outcome(False, "该预警已解除或已过期")
        current = alert.level
        target = AlertLevel(level) if action == "level" and level else current
        if action == "level" and target == current:
            return Outcome(False, f"该预警已是{LEVEL_LABELS[current]}预警，请选择其他级别")
        count = queries.texted_count(db, alert.id)
        shown = _preview_map(db, tree, who, node, target.value)
        title, category, valid_until = alert.title, alert.category, alert.valid_until
        target_text = _target_label(alert)
    if action == "lift":
        heading, confirm, texted = "确认解除预警", "确认解除", f"将向 {count:,} 人发送解除短信"
    else:
        verb = "升级" if rank(target) > rank(current) else "降级"
        heading, confirm = f"确认{verb}预警", f"确认{verb}"
        texted = f"将短信通知 {count:,} 人（此前收到该预警的全部人员，需重新签收）"
    return Preview(
        action=action,
        heading=heading,
        confirm_label=confirm,
        place=_place(tree, who, node.id),
        level=target.value,
        level_label=f"{LEVEL_LABELS[target]}预警",
        from_level=current.value if action == "level" else None,
        from_level_label=f"{LEVEL_LABELS[current]}预警" if action == "level" else "",
        category_label=category_label(category),
        title=title,
        validity=f"至 {display_time(valid_until)}",
        target_label=target_text,
        recipients=count,
        texted=texted,
        note="",
        **shown,
    )


@dataclass(frozen=True)
class _Done:
    """What a committed alert action did, for the officer's message and the audit row."""

    alert_id: int
    node_id: int
    action: str
    queued: int
    level: AlertLevel


def _done(result: lifecycle.ActionResult) -> _Done:
    alert = result.alert
    return _Done(alert.id, alert.node_id, result.action.action, result.queued, alert.level)


@dataclass
class IssueAlert(Command[_Done]):
    """Issue an alert (or update the live one of the same area and category)."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    form: IssueForm
    now: dt.datetime | None = None

    def validate(self) -> list[Problem]:
        if actor_for(self.tree, self.who) is None or not can_issue(self.who):
            return [Problem("form", NO_ALERTS)]
        problems = [Problem("form", message) for message in validate_issue(self.form)]
        if not problems and self.node() is None:
            problems.append(Problem("node_id", "所选区域不在您的管辖范围内"))
        return problems

    def node(self) -> NodeInfo | None:
        return node_in_scope(self.tree, self.who, self.form.node_id)

    def execute(self, db: Session) -> _Done:
        actor, node, form = actor_for(self.tree, self.who), self.node(), self.form
        assert actor is not None and node is not None  # validate() saw to both
        assert form.hours is not None and form.level is not None and form.category is not None
        now = self.now or dt.datetime.now(dt.UTC)
        result = lifecycle.issue(
            db,
            actor,
            node_id=node.id,
            level=form.level,
            category=form.category,
            title=form.title.strip(),
            text=form.text.strip(),
            valid_until=now + dt.timedelta(hours=form.hours),
            target_levels=form.target_levels,
            now=now,
            tz=display_zone(),
        )
        return _done(result)

    def audit(self, result: _Done) -> AuditEntry:
        detail = {
            "level": self.form.level,
            "category": self.form.category,
            "recipients": result.queued,
        }
        return AuditEntry(
            f"alert_{result.action}", "alert", result.alert_id, result.node_id, detail
        )


#: what the lifecycle refuses with (its message is shown after 未能发布 / 未能完成)
LIFECYCLE_REFUSALS = (lifecycle.NotAllowed, states.IllegalAction, ValueError, LookupError)


def issue(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    form: IssueForm,
    token: str | None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Issue (or update the live one of the same area and category) and relay at once."""
    try:
        done = IssueAlert(services.sessions, tree, who, form, now).run(_form_token(services, token))
    except Refused as exc:
        return Outcome(False, exc.message)
    except LIFECYCLE_REFUSALS as exc:
        return Outcome(False, f"未能发布：{exc}")
    _relay(services)
    verb = "已更新同区域同类别的生效预警" if done.action == states.REISSUE else "已发布"
    text = f"{verb}：{LEVEL_LABELS[done.level]}预警，短信通知 {done.queued} 人"
    return Outcome(True, text, done.alert_id)


@dataclass
class ChangeAlert(Command[_Done]):
    """Change the level of, extend or lift one live alert in the officer's scope."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    alert_id: object
    action: str
    level: str | None = None
    hours: int | None = None
    now: dt.datetime | None = None

    def validate(self) -> list[Problem]:
        if actor_for(self.tree, self.who) is None or not can_issue(self.who):
            return [Problem("form", NO_ALERTS)]
        problems = []
        if self.action == "level" and self.level not in {lv.value for lv in AlertLevel}:
            problems.append(Problem("level", "请选择新的预警级别"))
        if self.action == "extend" and self.hours not in DURATIONS_H:
            problems.append(Problem("hours", "请选择延长的时长"))
        if self.action not in ("level", "extend", "lift"):
            problems.append(Problem("action", f"未知操作：{self.action}"))
        if not problems:
            with self.sessions() as db:
                if _in_scope(db, self.tree, self.who, self.alert_id) is None:
                    problems.append(Problem("alert", NOT_FOUND))
        return problems

    def execute(self, db: Session) -> _Done:
        actor = actor_for(self.tree, self.who)
        assert actor is not None and isinstance(self.alert_id, int)  # validate() saw to both
        now = self.now or dt.datetime.now(dt.UTC)
        if self.action == "level":
            assert self.level is not None
            tz = display_zone()
            result = lifecycle.change_level(db, actor, self.alert_id, self.level, now=now, tz=tz)
        elif self.action == "extend":
            assert self.hours is not None
            current = db.get(Alert, self.alert_id)
            assert current is not None
            until = max(current.valid_until, now) + dt.timedelta(hours=self.hours)
            result = lifecycle.extend(db, actor, self.alert_id, until, now=now)
        else:
            result = lifecycle.lift(db, actor, self.alert_id, now=now)
        return _done(result)

    def audit(self, result: _Done) -> AuditEntry:
        detail = {"level": result.level.value, "recipients": result.queued}
        return AuditEntry(
            f"alert_{result.action}", "alert", result.alert_id, result.node_id, detail
        )


def change(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    alert_id: object,
    action: str,
    token: str | None,
    *,
    level: str | None = None,
    hours: int | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Change the level, extend or lift one live alert in scope."""
    command = ChangeAlert(services.sessions, tree, who, alert_id, action, level, hours, now)
    try:
        done = command.run(_form_token(services, token))
    except Refused as exc:
        return Outcome(False, exc.message)
    except LIFECYCLE_REFUSALS as exc:
        return Outcome(False, f"未能完成：{exc}")
    _relay(services)
    label = ALERT_ACTION_LABELS.get(done.action, done.action)
    texted = f"，短信通知 {done.queued} 人" if done.queued else ""
    return Outcome(True, f"已{label}（当前{LEVEL_LABELS[done.level]}预警）{texted}", done.alert_id)


def trail(tree: OrgTree, who: SessionUser, node_id: int) -> list[NodeInfo]:
    """The breadcrumb from the user's own node down to ``node_id``."""
    scope = scope_root(tree, who)
    if scope is None:
        return []
    return [n for n in tree.breadcrumb(node_id) if tree.is_within(n.id, scope.id)]


def node_choices(
    tree: OrgTree,
    who: SessionUser,
    node_id: int | None,
    search: str = "",
    picked: int | None = None,
    limit: int = MAX_NODE_MATCHES,
) -> list[NodeInfo]:
    """Areas to pick: the map's trail and children, or names matching ``search`` in scope."""
    scope = scope_root(tree, who)
    if scope is None or not can_issue(who):
        return []
    here = node_in_scope(tree, who, node_id) or scope
    if search.strip():
        wanted = search.strip()
        nodes = [
            n for n in tree.nodes.values() if wanted in n.name and n.path.startswith(scope.path)
        ]
        nodes.sort(key=lambda n: (n.depth, n.name))
        nodes = nodes[:limit]
    else:
        nodes = [*trail(tree, who, here.id), *tree.children_of(here.id)]
    kept = node_in_scope(tree, who, picked) if picked is not None else None
    if kept is not None and kept not in nodes:
        nodes.insert(0, kept)  # the current choice stays selectable
    return nodes


def area_map(
    services: Services, tree: OrgTree, who: SessionUser, node_id: int | None
) -> dict[str, Any] | None:
    """Outline of ``node_id`` (default: the user's own) and its children, to click on.

    Each area carries ``alert``: the highest level of the live alerts that concern it
    (issued at the area, above it or inside it), so the map shows what is in force.
    """
    scope = scope_root(tree, who)
    if scope is None or not can_issue(who):
        return None
    node = node_in_scope(tree, who, node_id) if node_id is not None else scope
    node = node or scope
    children = tree.children_of(node.id)
    with services.sessions() as db:
        shapes = boundaries(db, [node.id] + [c.id for c in children])
        live = [(a.node_path, a.level) for a in queries.live_alerts(db, scope.path)]

    def feature(area: NodeInfo, role: str) -> dict[str, Any]:
        concerning = [
            level
            for path, level in live
            if area.path.startswith(path) or path.startswith(area.path)
        ]
        top = max(concerning, key=rank).value if concerning else None
        return {
            "type": "Feature",
            "geometry": shapes[area.id],
            "properties": {
                "id": area.id,
                "name": area.name,
                "kind": area.kind_label,
                "role": role,
                "alert": top,
            },
        }

    features = [feature(c, "child") for c in children if shapes.get(c.id)]
    if shapes.get(node.id):
        features.append(feature(node, "focus"))
    return {
        "node": node.id,
        "geojson": {"type": "FeatureCollection", "features": features},
        "bounds": _bounds(shapes.get(node.id)),
    }


def _bounds(geometry: dict[str, Any] | None) -> list[list[float]] | None:
    return polygon_bounds(geometry) if geometry else None


def pending_incidents(services: Services, tree: OrgTree, who: SessionUser) -> dict[str, Any] | None:
    """Incidents waiting for the desk (reported or accepted, or overdue) in scope, newest first."""
    path = scope_path(tree, who)
    if path is None or not who.can(Perm.HANDLE_INCIDENTS):
        return None
    waiting = [IncidentState.REPORTED, IncidentState.ACCEPTED]
    with services.sessions() as db:
        rows = list_incidents(db, scope_path=path, states=waiting, limit=8)
        total = count_incidents(db, scope_path=path, states=waiting)
        overdue = count_incidents(db, scope_path=path, overdue=True)
        items = [
            {
                "no": row.tracking_no,
                # free text: a reporter may type a phone or ID number into it
                "title": mask_text(row.title),
                "state": row.state.value,
                "red": row.deadline_status == DeadlineStatus.RED,
                "place": tree.place_name(row.node_id),
            }
            for row in rows
        ]
    return {"total": total, "overdue": overdue, "items": items}
