"""Delivery receipts: a provider reports a message id as delivered or failed.

The message id is the delivery id the sender handed over. A receipt never moves a
delivery backwards (an acknowledged delivery stays acknowledged).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.models import Delivery, DeliveryState
from data.record_ids import record_id

DELIVERED_STATUSES = frozenset({"delivered", "DELIVRD", "success", "ok"})


def apply_receipt(session: Session, message_id: str, status: str, now: dt.datetime) -> bool:
    """Apply one receipt; returns False for unknown ids or receipts that change nothing."""
    delivery_id = record_id(message_id)  # "²" or beyond SQL's integers: no such text
    if delivery_id is None:
        return False
    if status in DELIVERED_STATUSES:
        stmt = (
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.state.in_([DeliveryState.SENDING, DeliveryState.SENT]),
            )
            .values(state=DeliveryState.DELIVERED, delivered_at=now)
        )
    else:
        stmt = (
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.state.in_([DeliveryState.SENDING, DeliveryState.SENT]),
            )
            .values(state=DeliveryState.FAILED, failed_at=now, last_error=f"receipt: {status}")
        )
    return rows_changed(session.execute(stmt)) > 0
