"""What the duty officer reads: live alerts in scope, delivery counts and who has not acked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.alerts.deliveries import newest_notifying_action_id
from data.alerts.lifecycle import active_key
from data.alerts.states import LIVE_STATES
from data.models import Alert, AlertAction, Delivery, DeliveryState, Post, Staff


def live_alerts(session: Session, scope_path: str = "/") -> list[Alert]:
    """Active and acknowledged alerts at nodes under ``scope_path``, newest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(
                Alert.state.in_(LIVE_STATES),
                Alert.node_path.startswith(scope_path, autoescape=True),
            )
            .order_by(Alert.issued_at.desc(), Alert.id.desc())
        )
    )


def actions(session: Session, alert_id: int) -> list[AlertAction]:
    return list(
        session.scalars(
            select(AlertAction).where(AlertAction.alert_id == alert_id).order_by(AlertAction.seq)
        )
    )


def delivery_counts(
    session: Session, alert_id: int, action_id: int | None = None
) -> dict[DeliveryState, int]:
    """Deliveries per state for one action (default: the newest notifying one); all states."""
    action_id = action_id or newest_notifying_action_id(session, alert_id)
    counts = dict.fromkeys(DeliveryState, 0)
    rows = session.execute(
        select(Delivery.state, func.count(Delivery.id))
        .where(Delivery.alert_id == alert_id, Delivery.action_id == action_id)
        .group_by(Delivery.state)
    )
    for state, count in rows:
        counts[DeliveryState(state)] = count
    return counts


def not_acknowledged(session: Session, alert_id: int, action_id: int | None = None) -> list[Staff]:
    """Recipients of the action (default: newest notifying one) who have not acknowledged."""
    action_id = action_id or newest_notifying_action_id(session, alert_id)
    return list(
        session.scalars(
            select(Staff)
            .join(Delivery, Delivery.staff_id == Staff.id)
            .where(
                Delivery.alert_id == alert_id,
                Delivery.action_id == action_id,
                Delivery.acknowledged_at.is_(None),
            )
            .order_by(Staff.id)
        )
    )


def live_alerts_for_staff(session: Session, staff_id: int) -> list[tuple[Alert, bool]]:
    """Live alerts texted to ``staff_id``, each with whether they acknowledged the newest text.

    What a terminal lists so its holder can confirm: only the delivery of the newest
    notifying action counts, as a raise must be acknowledged again.
    """
    newest = (
        select(func.max(Delivery.action_id))
        .where(Delivery.alert_id == Alert.id, Delivery.staff_id == staff_id)
        .correlate(Alert)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Alert, Delivery.acknowledged_at)
        .join(Delivery, Delivery.alert_id == Alert.id)
        .where(
            Delivery.staff_id == staff_id,
            Delivery.action_id == newest,
            Alert.state.in_(LIVE_STATES),
        )
        .order_by(Alert.issued_at.desc(), Alert.id.desc())
    )
    return [(alert, acknowledged_at is not None) for alert, acknowledged_at in rows]


def texted_count(session: Session, alert_id: int) -> int:
    """Everyone texted about the alert so far: whom a level change or the lift texts."""
    return (
        session.scalar(
            select(func.count(func.distinct(Delivery.staff_id))).where(
                Delivery.alert_id == alert_id
            )
        )
        or 0
    )


def live_for(session: Session, node_id: int, category: str, now: dt.datetime) -> Alert | None:
    """The still-valid live alert an issue at ``node_id`` of ``category`` would update."""
    return session.scalars(
        select(Alert).where(
            Alert.active_key == active_key(node_id, category), Alert.valid_until > now
        )
    ).one_or_none()


@dataclass(frozen=True)
class Waiting:
    """One person who has not acknowledged the newest text, as the pending list shows them."""

    name: str
    post: Post
    node_id: int
    phone: str
    state: DeliveryState
    error: str | None


def waiting_count(session: Session, alert_id: int) -> int:
    """How many have not acknowledged the newest notifying text of the alert."""
    action_id = newest_notifying_action_id(session, alert_id)
    return (
        session.scalar(select(func.count(Delivery.id)).where(*_waiting(alert_id, action_id))) or 0
    )


def waiting_page(session: Session, alert_id: int, offset: int, limit: int) -> list[Waiting]:
    """One page of them, failed texts first: those people will not hear of it unless called."""
    action_id = newest_notifying_action_id(session, alert_id)
    rows = session.execute(
        select(Staff.name, Staff.post, Staff.node_id, Delivery.phone, Delivery.state)
        .add_columns(Delivery.last_error)
        .join(Staff, Staff.id == Delivery.staff_id)
        .where(*_waiting(alert_id, action_id))
        .order_by((Delivery.state == DeliveryState.FAILED).desc(), Staff.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        Waiting(name, post, node_id, phone, DeliveryState(state), error)
        for name, post, node_id, phone, state, error in rows
    ]


def _waiting(alert_id: int, action_id: int | None) -> tuple[ColumnElement[bool], ...]:
    return (
        Delivery.alert_id == alert_id,
        Delivery.action_id == action_id,
        Delivery.acknowledged_at.is_(None),
    )
