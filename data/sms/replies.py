"""SMS replies: a staff member answering "1" (or 确认/收到) acknowledges their newest alert.

The reply carries only the sender's phone, so it acknowledges the newest live alert
that texted that phone; anything else is left for a person to read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.alerts.lifecycle import acknowledge
from data.alerts.states import LIVE_STATES
from data.models import Alert, Delivery

ACK_WORDS = frozenset({"1", "确认", "收到", "ok", "OK"})


def apply_reply(session: Session, phone: str, text: str, now: dt.datetime) -> int | None:
    """Acknowledge by SMS; returns the alert id acknowledged, or None when nothing matched."""
    if text.strip() not in ACK_WORDS:
        return None
    row = session.execute(
        select(Delivery.alert_id, Delivery.staff_id)
        .join(Alert, Alert.id == Delivery.alert_id)
        .where(Delivery.phone == phone, Alert.state.in_(LIVE_STATES))
        .order_by(Delivery.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    acknowledge(session, row.alert_id, row.staff_id, "sms", now)
    return int(row.alert_id)
