"""Issue, change, extend, lift and expire alerts; every change is an ``alert_action`` row.

Each function works in the caller's transaction and writes, together: the alert, its
action row, one queued delivery per recipient (for notifying actions) and an outbox row
for the alert stream. The caller commits once, so an officer told "issued" is told so
only when the texts are queued and the wall will hear of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.alerts import deliveries, recipients, states, texts
from data.alerts.levels import is_higher
from data.assessment.dirty import mark_acknowledgement_dirty
from data.incidents import outbox
from data.incidents.actors import SYSTEM, Actor
from data.models import (
    Alert,
    AlertAction,
    AlertLevel,
    AlertState,
    Delivery,
    OrgNode,
    Role,
    Staff,
)
from data.outbox_topics import ALERTS_STREAM

#: roles that may issue, change and lift alerts
ISSUING_ROLES = frozenset({Role.DUTY_OFFICER.value, Role.LEADER.value})


class NotAllowed(PermissionError):
    """The actor's role or scope does not cover this node."""


@dataclass(frozen=True)
class ActionResult:
    alert: Alert
    action: AlertAction
    queued: int


def active_key(node_id: int, category: str) -> str:
    return f"{node_id}:{category}"


def _check_actor(actor: Actor, node_path: str) -> None:
    if actor.role not in ISSUING_ROLES:
        raise NotAllowed(f"role {actor.role} may not issue or change alerts")
    if not node_path.startswith(actor.scope_path):
        raise NotAllowed(f"node {node_path} is outside the actor's scope {actor.scope_path}")


def _record(
    session: Session,
    alert: Alert,
    action: str,
    actor_name: str,
    actor_role: str,
    actor_user_id: int | None,
    before: tuple[AlertState | None, AlertLevel | None, dt.datetime | None],
    now: dt.datetime,
    message: str | None,
) -> AlertAction:
    alert.last_seq += 1
    alert.updated_at = now
    row = AlertAction(
        alert_id=alert.id,
        seq=alert.last_seq,
        action=action,
        at=now,
        actor=actor_name,
        actor_role=actor_role,
        actor_user_id=actor_user_id,
        from_state=before[0],
        to_state=alert.state,
        from_level=before[1],
        to_level=alert.level,
        from_valid_until=before[2],
        to_valid_until=alert.valid_until,
        message=message,
    )
    session.add(row)
    session.flush()
    return row


def _publish(session: Session, alert: Alert, row: AlertAction, queued: int) -> None:
    outbox.enqueue(
        session,
        ALERTS_STREAM,
        {
            "kind": "alert",
            "alert_id": alert.id,
            "seq": row.seq,
            "action": row.action,
            "state": alert.state.value,
            "level": alert.level.value,
            "node_id": alert.node_id,
            "node_path": alert.node_path,
            "category": alert.category,
            "title": alert.title,
            "valid_until": alert.valid_until.isoformat(),
            "issued_at": alert.issued_at.isoformat(),
            "at": row.at.isoformat(),
            "recipients": queued,
        },
        row.at,
    )


def _notify(
    session: Session, alert: Alert, row: AlertAction, staff: Sequence[Staff], now: dt.datetime
) -> int:
    queued = deliveries.queue(session, alert, row, staff, row.message or "", now)
    _publish(session, alert, row, queued)
    return queued


def _previous_recipients(session: Session, alert_id: int) -> list[Staff]:
    """Everyone texted about this alert so far: they are the ones to hear of its change."""
    ids = select(Delivery.staff_id).where(Delivery.alert_id == alert_id).distinct()
    return list(session.scalars(select(Staff).where(Staff.id.in_(ids)).order_by(Staff.id)))


def _live(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise LookupError(f"no alert {alert_id}")
    return alert


#: an alert's (state, level, validity) before an action; all None before the issue
_Before = tuple[AlertState | None, AlertLevel | None, dt.datetime | None]


def _snapshot(alert: Alert) -> _Before:
    return (alert.state, alert.level, alert.valid_until)


def _live_for(session: Session, key: str, now: dt.datetime) -> Alert | None:
    """The live alert holding ``key`` (locked); one whose validity has passed is expired
    first, so a new issue starts fresh."""
    alert = session.scalars(
        select(Alert).where(Alert.active_key == key).with_for_update()
    ).one_or_none()
    if alert is not None and alert.valid_until <= now:
        _expire(session, alert, now)
        return None
    return alert


def _new_alert(
    session: Session,
    actor: Actor,
    node: OrgNode,
    category: str,
    level: AlertLevel,
    title: str,
    text: str,
    levels: Sequence[int],
    valid_until: dt.datetime,
    now: dt.datetime,
) -> Alert:
    """A freshly issued alert row, flushed so its id is known."""
    alert = Alert(
        node_id=node.id,
        node_path=node.path,
        category=category,
        level=level,
        title=title,
        text=text,
        target_levels=[str(v) for v in levels],
        state=states.next_state(None, states.ISSUE),
        active_key=active_key(node.id, category),
        valid_until=valid_until,
        issued_at=now,
        issued_by=actor.name,
        updated_at=now,
        last_seq=0,
    )
    session.add(alert)
    session.flush()
    return alert


def issue(
    session: Session,
    actor: Actor,
    *,
    node_id: int,
    level: AlertLevel | str,
    category: str,
    title: str,
    text: str,
    valid_until: dt.datetime,
    target_levels: Sequence[int] | None = None,
    now: dt.datetime,
    tz: dt.tzinfo | None = None,
) -> ActionResult:
    """Issue an alert at ``node_id``, or update the live one for the same node and category.

    An update is recorded as ``reissue`` and texts the new target again; a live alert
    whose validity has passed is expired first, so the new one starts fresh.
    """
    node = session.get(OrgNode, node_id)
    if node is None:
        raise LookupError(f"no node {node_id}")
    _check_actor(actor, node.path)
    if valid_until <= now:
        raise states.IllegalAction("valid_until must be in the future")
    level = AlertLevel(level)
    levels = recipients.normalize_levels(target_levels)
    alert = _live_for(session, active_key(node_id, category), now)
    if alert is None:
        action = states.ISSUE
        alert = _new_alert(
            session, actor, node, category, level, title, text, levels, valid_until, now
        )
        before: _Before = (None, None, None)
    else:
        action = states.REISSUE
        before = _snapshot(alert)
        alert.state = states.next_state(alert.state, action)
        alert.level, alert.title, alert.text = level, title, text
        alert.valid_until = valid_until
        alert.target_levels = [str(v) for v in levels]
        alert.acknowledged_at = None
    staff = recipients.responsible_staff(session, node.path, levels)
    row = _record(
        session,
        alert,
        action,
        actor.name,
        actor.role,
        actor.user_id,
        before,
        now,
        texts.action_text(alert, action, tz),
    )
    return ActionResult(alert, row, _notify(session, alert, row, staff, now))


def change_level(
    session: Session,
    actor: Actor,
    alert_id: int,
    level: AlertLevel | str,
    *,
    now: dt.datetime,
    tz: dt.tzinfo | None = None,
) -> ActionResult:
    """Raise or lower the level (which one follows from the comparison); texts everyone.

    ``tz`` is the display zone the text writes the validity in.
    """
    alert = _live(session, alert_id)
    _check_actor(actor, alert.node_path)
    level = AlertLevel(level)
    if level == alert.level:
        raise states.IllegalAction(f"the alert is already {level}")
    action = states.RAISE if is_higher(level, alert.level) else states.LOWER
    before = _snapshot(alert)
    alert.state = states.next_state(alert.state, action)
    alert.level = level
    alert.acknowledged_at = None
    row = _record(
        session,
        alert,
        action,
        actor.name,
        actor.role,
        actor.user_id,
        before,
        now,
        texts.action_text(alert, action, tz),
    )
    staff = _previous_recipients(session, alert.id)
    return ActionResult(alert, row, _notify(session, alert, row, staff, now))


def extend(
    session: Session, actor: Actor, alert_id: int, valid_until: dt.datetime, *, now: dt.datetime
) -> ActionResult:
    """Move ``valid_until`` later; nobody is texted (nothing they must do changes)."""
    alert = _live(session, alert_id)
    _check_actor(actor, alert.node_path)
    if valid_until <= alert.valid_until:
        raise states.IllegalAction("an extension must end later than the current validity")
    before = _snapshot(alert)
    alert.state = states.next_state(alert.state, states.EXTEND)
    alert.valid_until = valid_until
    row = _record(
        session, alert, states.EXTEND, actor.name, actor.role, actor.user_id, before, now, None
    )
    _publish(session, alert, row, 0)
    return ActionResult(alert, row, 0)


def lift(session: Session, actor: Actor, alert_id: int, *, now: dt.datetime) -> ActionResult:
    """Lift (解除) the alert: final; every earlier recipient gets one lift text."""
    alert = _live(session, alert_id)
    _check_actor(actor, alert.node_path)
    before = _snapshot(alert)
    alert.state = states.next_state(alert.state, states.LIFT)
    alert.lifted_at = now
    alert.active_key = None
    row = _record(
        session,
        alert,
        states.LIFT,
        actor.name,
        actor.role,
        actor.user_id,
        before,
        now,
        texts.action_text(alert, states.LIFT),
    )
    staff = _previous_recipients(session, alert.id)
    return ActionResult(alert, row, _notify(session, alert, row, staff, now))


def _expire(session: Session, alert: Alert, now: dt.datetime) -> AlertAction:
    before = _snapshot(alert)
    alert.state = states.next_state(alert.state, states.EXPIRE)
    alert.expired_at = now
    alert.active_key = None
    row = _record(session, alert, states.EXPIRE, "系统", SYSTEM, None, before, now, None)
    session.flush()  # free active_key before a new alert takes it
    _publish(session, alert, row, 0)
    return row


def expire_due(session: Session, now: dt.datetime) -> list[int]:
    """Expire live alerts whose validity has passed (a sweep; nobody is texted)."""
    due = session.scalars(
        select(Alert)
        .where(Alert.active_key.is_not(None), Alert.valid_until <= now)
        .order_by(Alert.id)
        .with_for_update(skip_locked=True)
    ).all()
    for alert in due:
        _expire(session, alert, now)
    return [alert.id for alert in due]


def acknowledge(
    session: Session,
    alert_id: int,
    staff_id: int,
    via: str = "terminal",
    now: dt.datetime | None = None,
) -> bool:
    """Record that ``staff_id`` acknowledged the alert (from the terminal or by SMS reply).

    Acknowledges the staff member's delivery of the newest notifying action; returns
    False when it was already acknowledged. The first acknowledgement of an active
    alert moves it to ``acknowledged`` (a recorded action). Raises
    ``deliveries.NotARecipient`` for staff the alert never texted.
    """
    now = now or dt.datetime.now(dt.UTC)
    if not deliveries.mark_acknowledged(session, alert_id, staff_id, via, now):
        return False
    mark_acknowledgement_dirty(session, alert_id, staff_id)  # assessment facts of the send day
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is not None and alert.state == AlertState.ACTIVE:
        staff = session.get(Staff, staff_id)
        _record_acknowledgement(session, alert, staff.name if staff else "", now)
    return True


def _record_acknowledgement(
    session: Session, alert: Alert, staff_name: str, now: dt.datetime
) -> AlertAction:
    """The first acknowledgement of an active alert: active -> acknowledged."""
    before = _snapshot(alert)
    alert.state = states.next_state(alert.state, states.ACKNOWLEDGE)
    alert.acknowledged_at = now
    row = _record(session, alert, states.ACKNOWLEDGE, staff_name, "staff", None, before, now, None)
    _publish(session, alert, row, 0)
    return row
