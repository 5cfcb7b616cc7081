"""The server sends alert texts by itself: an issued alert's texts reach the outbox gateway."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from dashboard.settings import Settings
from dashboard.sms_setup import gateway_from
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
        gateway_from(settings, engine=None)  # type: ignore[arg-type]
