"""短信日志: one row per text (delivery), newest first, and 重发 for a failed one.

Rows are bounded by where the recipient serves (like the statistics), so an officer
sees every text that reached their subtree, alert or manual. Phones leave this module
masked: the log is for "did it arrive", not for reading numbers. So do numbers typed
into a text or echoed in a gateway's error: the sender's own words are not third-party
data, but a phone or identity number in them is (the delivery row keeps the text as sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.masking import mask_phone, mask_text
from data.models import Delivery, DeliveryState, OrgNode, SmsSource, Staff
from data.sms.scope import path_under

PAGE_SIZE = 50


class LogError(LookupError):
    """The delivery is not there for this user, or cannot be resent; Chinese reason."""


@dataclass(frozen=True)
class LogRow:
    id: int
    queued_at: dt.datetime
    staff_name: str
    phone: str
    source: SmsSource
    state: DeliveryState
    attempts: int
    last_error: str | None
    text: str
    batch_id: int | None
    node_id: int


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Resent:
    delivery_id: int
    staff_name: str
    node_id: int
    previous_attempts: int
    previous_error: str | None


NOT_FOUND = "短信记录不存在或不在您的管辖范围内"


def _filters(
    scope_path: str,
    states: Sequence[DeliveryState | str],
    source: SmsSource | str | None,
    batch_id: int | None,
) -> list[ColumnElement[bool]]:
    where = [path_under(OrgNode.path, scope_path)]
    if states:
        where.append(Delivery.state.in_([DeliveryState(s) for s in states]))
    if source:
        manual = SmsSource(source) == SmsSource.MANUAL
        where.append(Delivery.alert_id.is_(None) if manual else Delivery.alert_id.is_not(None))
    if batch_id is not None:
        where.append(Delivery.batch_id == batch_id)
    return where


def list_deliveries(
    session: Session,
    scope_path: str,
    *,
    states: Sequence[DeliveryState | str] = (),
    source: SmsSource | str | None = None,
    batch_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> LogPage:
    """One page of texts to staff under ``scope_path``; ValueError for unknown states."""
    where = _filters(scope_path, states, source, batch_id)
    total = (
        session.scalar(
            select(func.count(Delivery.id))
            .join(Staff, Staff.id == Delivery.staff_id)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(*where)
        )
        or 0
    )
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    found = session.execute(
        select(Delivery, Staff.name, Staff.node_id)
        .join(Staff, Staff.id == Delivery.staff_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(*where)
        .order_by(Delivery.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    rows = [
        LogRow(
            id=d.id,
            queued_at=d.queued_at,
            staff_name=name,
            phone=mask_phone(d.phone),
            source=SmsSource.MANUAL if d.alert_id is None else SmsSource.ALERT,
            state=d.state,
            attempts=d.attempts,
            last_error=mask_text(d.last_error) if d.last_error else d.last_error,
            text=mask_text(d.text),
            batch_id=d.batch_id,
            node_id=node_id,
        )
        for d, name, node_id in found
    ]
    return LogPage(rows, total, page, pages)


def resend(session: Session, scope_path: str, delivery_id: int, now: dt.datetime) -> Resent:
    """Queue a failed text again with its attempts reset (same id, so no double text).

    The last error stays on the row until the next attempt replaces it. A second click
    finds the row no longer failed and is refused with a reason, not applied twice.
    """
    row = session.execute(
        select(Delivery, Staff.name, Staff.node_id)
        .join(Staff, Staff.id == Delivery.staff_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Delivery.id == delivery_id, path_under(OrgNode.path, scope_path))
    ).first()
    if row is None:
        raise LogError(NOT_FOUND)
    delivery, name, node_id = row
    before = Resent(delivery.id, name, node_id, delivery.attempts, delivery.last_error)
    changed = rows_changed(
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.FAILED)
            .values(
                state=DeliveryState.QUEUED,
                attempts=0,
                next_attempt_at=now,
                claimed_by=None,
                claimed_at=None,
                failed_at=None,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if not changed:
        raise LogError("只有发送失败的短信可以重发（该短信可能已重新排队）")
    session.expire(delivery)
    return before
