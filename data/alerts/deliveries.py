"""Delivery rows: one per recipient per notifying action, written with the action itself.

Rows are inserted in the caller's transaction, so "issued" is never answered for an
alert whose texts are not queued; the SMS sender picks them up from SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from data.alerts import states
from data.models import (
    Alert,
    AlertAction,
    Delivery,
    DeliveryState,
    SmsBatch,
    SmsFolder,
    SmsSource,
    Staff,
)


class NotARecipient(LookupError):
    """The staff member was not texted for this alert, so there is nothing to acknowledge."""


#: why a recipient without a phone number has a failed delivery from the start
NO_PHONE = "未登记手机号，无法发送短信"


def _first_state(staff: Staff, now: dt.datetime) -> dict[str, object]:
    """Queued, or failed at once for staff without a phone: still a recipient (they may
    acknowledge from the terminal) and shown to the officer as not reached by text."""
    if (staff.phone or "").strip():
        return {"state": DeliveryState.QUEUED}
    return {"state": DeliveryState.FAILED, "failed_at": now, "last_error": NO_PHONE}


def queue(
    session: Session,
    alert: Alert,
    action: AlertAction,
    recipients: Sequence[Staff],
    text: str,
    now: dt.datetime,
) -> int:
    """Insert one queued delivery per recipient, under one ``sms_batch``; returns how many.

    The batch (source ``alert``) is what the SMS platform's 已发短信 folder lists, so
    alert texts and texts composed by hand are kept and counted in the same place.
    """
    if not recipients:
        return 0
    batch = SmsBatch(
        source=SmsSource.ALERT,
        text=text,
        author=action.actor,
        author_user_id=action.actor_user_id,
        scope_path=alert.node_path,
        folder=SmsFolder.SENT,
        created_at=now,
        recipient_count=len(recipients),
        client_token=f"alert-action-{action.id}",
        alert_id=alert.id,
        action_id=action.id,
    )
    session.add(batch)
    session.flush()
    rows = [
        {
            "alert_id": alert.id,
            "action_id": action.id,
            "batch_id": batch.id,
            "staff_id": staff.id,
            "phone": staff.phone or "",
            "text": text,
            "attempts": 0,
            "next_attempt_at": now,
            "queued_at": now,
            **_first_state(staff, now),
        }
        for staff in recipients
    ]
    session.execute(insert(Delivery), rows)
    return len(rows)


def mark_acknowledged(
    session: Session, alert_id: int, staff_id: int, via: str, now: dt.datetime
) -> bool:
    """Mark ``staff_id``'s delivery of the newest notifying action acknowledged.

    Only the delivery row: what the acknowledgement does to the alert itself is
    ``lifecycle.acknowledge``'s (the one entry point), so this module never needs the
    lifecycle. Returns False when the delivery was acknowledged already.
    """
    if via not in ("terminal", "sms"):
        raise ValueError(f"via must be 'terminal' or 'sms', not {via!r}")
    delivery = session.scalars(
        select(Delivery)
        .where(Delivery.alert_id == alert_id, Delivery.staff_id == staff_id)
        .order_by(Delivery.action_id.desc())
        .limit(1)
    ).first()
    if delivery is None:
        raise NotARecipient(f"staff {staff_id} has no delivery for alert {alert_id}")
    if delivery.acknowledged_at is not None:
        return False
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.acknowledged_at.is_(None))
        .values(state=DeliveryState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_via=via)
    )
    session.expire(delivery)
    return True


def newest_notifying_action_id(session: Session, alert_id: int) -> int | None:
    return session.scalar(
        select(AlertAction.id)
        .where(
            AlertAction.alert_id == alert_id,
            AlertAction.action.in_(states.NOTIFYING_ACTIONS),
        )
        .order_by(AlertAction.seq.desc())
        .limit(1)
    )
