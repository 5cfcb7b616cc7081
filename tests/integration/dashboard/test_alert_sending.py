"""The server sends alert texts by itself: an issued alert's texts reach the outbox gateway."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import create_engine, func, select

from dashboard.settings import Settings
from dashboard.workers import gateway_from
from data.alerts.lifecycle import issue
from data.incidents.actors import Actor
from data.models import NodeKind, OrgNode, SmsMessage


def test_an_issued_alert_is_texted_by_the_running_server(running):
    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
    officer = Actor(role="duty_officer", name="值班员", scope_path="/")
    now = dt.datetime.now(dt.UTC)
    with running.app.services.sessions.begin() as db:
        result = issue(
            db,
            officer,
            node_id=community.id,
            level="orange",
            category="flood",
            title="暴雨橙色预警",
            text="预计未来 6 小时强降雨，请加强巡查",
            valid_until=now + dt.timedelta(hours=6),
            now=now,
        )
        alert_id, queued = result.alert.id, result.queued
    assert queued > 0
    deadline = time.time() + 15
    sent = 0
    while time.time() < deadline and sent < queued:
        with running.app.services.sessions() as db:
            sent = db.scalar(
                select(func.count(SmsMessage.id)).where(SmsMessage.alert_id == alert_id)
            )
        time.sleep(0.2)
    assert sent == queued
    with running.app.services.sessions() as db:
        texts = db.scalars(select(SmsMessage.text).where(SmsMessage.alert_id == alert_id)).all()
    assert all("暴雨橙色预警" in t for t in texts)


def test_an_http_gateway_without_a_url_is_refused_at_start(tmp_path):
    settings = Settings(sms_gateway="http", var_dir=tmp_path)
    with pytest.raises(ValueError, match="GRIDWATCH_SMS_HTTP_URL"):
        gateway_from(settings, engine=create_engine("sqlite://"))  # never connected


def _issue_at_community(running) -> tuple[int, list[tuple[int, str, int]]]:
    """Issue an alert at the first community; returns its id and (staff, phone, delivery)."""
    from data.models import Delivery

    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
    now = dt.datetime.now(dt.UTC)
    with running.app.services.sessions.begin() as db:
        result = issue(
            db,
            Actor(role="duty_officer", name="值班员", scope_path="/"),
            node_id=community.id,
            level="yellow",
            category="heat",
            title="高温黄色预警",
            text="午后高温，请提醒独居老人防暑",
            valid_until=now + dt.timedelta(hours=6),
            now=now,
        )
        alert_id = result.alert.id
    with running.app.services.sessions() as db:
        rows = db.execute(
            select(Delivery.staff_id, Delivery.phone, Delivery.id).where(
                Delivery.alert_id == alert_id
            )
        ).all()
    return alert_id, [tuple(r) for r in rows]


def test_staff_acknowledge_from_the_terminal_and_by_sms_reply(running):
    import requests

    from data.alerts.queries import not_acknowledged

    alert_id, recipients = _issue_at_community(running)
    (first_staff, _p1, _d1), (_s2, second_phone, _d2) = recipients[0], recipients[1]
    from data import devices
    from streams import device_registry

    with running.app.services.sessions.begin() as db:
        issued = devices.add_device(db, "ack-term-1", first_staff)
    device_registry.publish(running.app.services.redis, issued.device)
    auth = {"Authorization": f"Bearer {issued.token}"}
    listed = requests.get(f"{running.url}/api/v1/alerts/assigned", headers=auth).json()
    assert [(a["alert_id"], a["level"], a["acknowledged"]) for a in listed] == [
        (alert_id, "yellow", False)
    ]
    ack = requests.post(f"{running.url}/api/v1/alerts/{alert_id}/ack", headers=auth)
    assert ack.status_code == 200 and ack.json()["acknowledged"] is True
    listed = requests.get(f"{running.url}/api/v1/alerts/assigned", headers=auth).json()
    assert [a["acknowledged"] for a in listed] == [True]
    assert requests.get(f"{running.url}/api/v1/alerts/assigned").status_code == 401
    stranger = requests.post(
        f"{running.url}/api/v1/alerts/999999/ack",
        headers={"Authorization": f"Bearer {issued.token}"},
    )
    assert stranger.status_code == 404

    running.app.services.settings.sms_webhook_token = "tok-123"
    reply = requests.post(
        f"{running.url}/api/v1/sms/inbound",
        json={"from": second_phone, "text": "收到"},
        headers={"X-Gridwatch-Token": "tok-123"},
    )
    assert reply.status_code == 200 and reply.json()["alert_id"] == alert_id
    with running.app.services.sessions() as db:
        missing = {s.id for s in not_acknowledged(db, alert_id)}
    assert first_staff not in missing and recipients[1][0] not in missing
    assert len(missing) == len(recipients) - 2


def test_delivery_receipts_mark_texts_delivered(running):
    import requests

    from data.models import Delivery, DeliveryState

    alert_id, recipients = _issue_at_community(running)
    delivery_id = recipients[0][2]
    deadline = time.time() + 15
    while time.time() < deadline:  # wait for the sender to hand it to the gateway
        with running.app.services.sessions() as db:
            if db.get(Delivery, delivery_id).state == DeliveryState.SENT:
                break
        time.sleep(0.2)
    running.app.services.settings.sms_webhook_token = "tok-123"
    url = f"{running.url}/api/v1/sms/receipts"
    assert requests.post(url, json={"message_id": str(delivery_id)}).status_code == 401
    bad = requests.post(url, json=[{"status": "x"}], headers={"X-Gridwatch-Token": "tok-123"})
    assert bad.status_code == 400
    good = requests.post(
        url,
        json=[{"message_id": str(delivery_id), "status": "DELIVRD"}],
        headers={"X-Gridwatch-Token": "tok-123"},
    )
    assert good.status_code == 200 and good.json() == {"received": 1, "applied": 1}
    with running.app.services.sessions() as db:
        assert db.get(Delivery, delivery_id).state == DeliveryState.DELIVERED
    assert alert_id
