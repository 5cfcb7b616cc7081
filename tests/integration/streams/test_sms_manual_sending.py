"""Texts composed on /sms go through the existing sender, unchanged, like alert texts.

Real SQL, real Redis (the rate-limit bucket) and, for the failing case, a real local
HTTP server that answers 500: the delivery is retried with growing gaps, ends failed
with the provider's error, shows in the log with it, and 重发 queues it again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import redis
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.incidents.actors import Actor
from data.models import Delivery, DeliveryState, SmsMessage, Staff
from data.sms import logs
from data.sms.compose import compose
from data.sms.gateways import HttpGateway, OutboxGateway
from streams.sms_sender import SenderConfig, SmsSender
from tests.support.sms_provider import FailingProvider

FAST = SenderConfig(batch=50, rate_per_s=100_000, burst=100_000, idle_s=0.05)
OFFICER = Actor(role="duty_officer", name="值班员", scope_path="/", user_id=1)


def _compose(sessions: sessionmaker[Session], n: int, token: str) -> tuple[int, list[int]]:
    with sessions.begin() as db:
        people = list(db.scalars(select(Staff.id).order_by(Staff.id).limit(n)))
        done = compose(
            db,
            OFFICER,
            text="今晚 8 点前完成辖区巡查，并在终端上报。",
            staff_ids=people,
            client_token=token,
            now=dt.datetime.now(dt.UTC),
        )
    return done.batch_id, people


def _settle(sender: SmsSender, sessions: sessionmaker[Session], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sender.run_once()
        with sessions() as db:
            left = db.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING])
                )
            )
        if not left:
            return
        time.sleep(0.02)
    raise AssertionError(f"{left} deliveries still pending after {timeout}s")


def test_manual_texts_go_out_through_the_outbox_gateway(
    engine: Engine, sessions: sessionmaker[Session], r: redis.Redis
) -> None:
    batch_id, people = _compose(sessions, 5, "outbox-send-1")
    sender = SmsSender(sessions, OutboxGateway(engine), r, config=FAST)
    _settle(sender, sessions, 10)
    with sessions() as db:
        rows = db.scalars(select(Delivery).where(Delivery.batch_id == batch_id)).all()
        assert {d.state for d in rows} == {DeliveryState.SENT}
        stored = db.scalars(select(SmsMessage).order_by(SmsMessage.id)).all()
        assert Counter(m.staff_id for m in stored) == Counter(people)
        assert {m.message_id for m in stored} == {str(d.id) for d in rows}
        assert {(m.alert_id, m.action_id) for m in stored} == {(None, None)}
        assert {m.text for m in stored} == {"今晚 8 点前完成辖区巡查，并在终端上报。"}
    # a second run finds nothing to do: one text per person
    assert sender.run_once() == 0


def test_a_failing_gateway_is_retried_then_failed_and_logged(
    sessions: sessionmaker[Session], r: redis.Redis, failing: FailingProvider
) -> None:
    batch_id, _ = _compose(sessions, 1, "failing-http1")
    gateway = HttpGateway(
        url_template=f"http://127.0.0.1:{failing.port}/send",
        body_template='{"mobile": "$phone", "content": "$text", "id": "$message_id"}',
        timeout_s=5,
    )
    config = SenderConfig(
        batch=10,
        rate_per_s=100_000,
        burst=100_000,
        max_attempts=3,
        base_backoff_s=0.2,
        max_backoff_s=5,
    )
    sender = SmsSender(sessions, gateway, r, config=config)
    _settle(sender, sessions, 15)

    assert len(failing.times) == 3
    gaps = [b - a for a, b in zip(failing.times, failing.times[1:], strict=False)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # base·2^(n-1)
    with sessions() as db:
        delivery = db.scalars(select(Delivery).where(Delivery.batch_id == batch_id)).one()
        assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3
        assert delivery.last_error == "HTTP 500" and delivery.failed_at is not None
        page = logs.list_deliveries(db, "/", states=[DeliveryState.FAILED])
    assert [(row.id, row.last_error, row.attempts) for row in page.rows] == [
        (delivery.id, "HTTP 500", 3)
    ]

    with sessions.begin() as db:
        logs.resend(db, "/", delivery.id, dt.datetime.now(dt.UTC))
    sender.run_once()
    assert len(failing.times) == 4  # resent with the same message id, attempts from zero
    with sessions() as db:
        again = db.get(Delivery, delivery.id)
        assert again is not None and again.attempts == 1 and again.state == DeliveryState.QUEUED
