"""Incident intake from terminals and SMS, and feedback from the terminal."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import select

from data.incidents.actors import Actor
from data.incidents.workflow import apply
from data.models import Incident, IncidentHistory, IncidentState, OrgNode, OutboxMessage, Staff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_terminal_report_is_stored_with_history_and_outbox_before_the_answer(running):
    token, staff_id = running.add_device("ev-1")
    report_id = str(uuid.uuid4())
    body = {
        "report_id": report_id,
        "category": "fire_safety",
        "title": "楼道堆放杂物堵塞消防通道",
        "description": "3 号楼 2 单元一楼",
    }
    first = requests.post(f"{running.url}/api/v1/events", json=body, headers=_auth(token))
    assert first.status_code == 201, first.text
    tracking = first.json()["tracking_no"]
    again = requests.post(f"{running.url}/api/v1/events", json=body, headers=_auth(token))
    assert again.json()["tracking_no"] == tracking  # a retried POST is not a second incident
    with running.app.services.sessions() as db:
        incident = db.scalar(select(Incident).where(Incident.tracking_no == tracking))
        staff = db.get(Staff, staff_id)
        assert incident.node_id == staff.node_id and incident.reporter_staff_id == staff_id
        assert incident.state == IncidentState.REPORTED
        assert (
            db.scalar(
                select(IncidentHistory.action).where(IncidentHistory.incident_id == incident.id)
            )
            == "report"
        )
        assert (
            db.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.payload["incident_id"].as_integer() == incident.id
                )
            )
            is not None
        )
        assert (
            db.scalar(select(Incident.id).where(Incident.title == body["title"]).offset(1)) is None
        )


def test_terminal_report_with_photo_and_position(running):
    token, _ = running.add_device("ev-2")
    with running.app.services.sessions() as db:
        grid = db.scalar(select(OrgNode).where(OrgNode.kind == "grid").order_by(OrgNode.id.desc()))
    data = {
        "category": "city_sanitation",
        "title": "垃圾未清运",
        "lat": grid.center_lat,
        "lon": grid.center_lon,
    }
    import json

    response = requests.post(
        f"{running.url}/api/v1/events",
        data={"data": json.dumps(data)},
        files={"photo": ("a.png", PNG, "image/png")},
        headers=_auth(token),
    )
    assert response.status_code == 201, response.text
    with running.app.services.sessions() as db:
        incident = db.scalar(
            select(Incident).where(Incident.tracking_no == response.json()["tracking_no"])
        )
        assert incident.node_id == grid.id  # located by position, not by the reporter's grid
        (ref,) = incident.attachments
    assert (running.app.services.settings.var_dir / "attachments" / ref.split("/", 1)[1]).exists()

    fake = requests.post(
        f"{running.url}/api/v1/events",
        data={"data": json.dumps(data)},
        files={"photo": ("a.png", b"not an image", "image/png")},
        headers=_auth(token),
    )
    assert fake.status_code == 422 and "图片" in fake.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "nope", "title": "x"}, "category"),
        ({"category": "fire_safety", "title": ""}, "title"),
        ({"category": "fire_safety", "title": "x", "lat": "north", "lon": 1}, "lat"),
        ({"category": "fire_safety", "title": "x", "lat": 10.0, "lon": 10.0}, "location"),
    ],
)
def test_bad_reports_name_the_field(running, body, field):
    token, _ = running.add_device(f"ev-bad-{field}-{len(body)}-{body.get('lat')}")
    response = requests.post(f"{running.url}/api/v1/events", json=body, headers=_auth(token))
    assert response.status_code == 422, response.text
    assert any(field in key for key in response.json()["fields"]), response.json()


def test_feedback_from_the_assignees_terminal(running):
    token, staff_id = running.add_device("ev-3")
    created = requests.post(
        f"{running.url}/api/v1/events",
        json={"category": "public_facilities", "title": "路灯不亮"},
        headers=_auth(token),
    ).json()
    tracking = created["tracking_no"]
    with running.app.services.sessions.begin() as db:
        incident = db.scalar(select(Incident).where(Incident.tracking_no == tracking))
        desk = Actor(role="duty_officer", name="值班员", scope_path="/", user_id=None)
        apply(db, incident.id, "accept", desk)
        apply(db, incident.id, "dispatch", desk, assignee_staff_id=staff_id)
    listed = requests.get(f"{running.url}/api/v1/events/assigned", headers=_auth(token)).json()
    assert [i["tracking_no"] for i in listed] == [tracking]
    url = f"{running.url}/api/v1/events/{tracking}/feedback"
    early = requests.post(url, json={"action": "handle", "note": "已修复"}, headers=_auth(token))
    assert early.status_code == 409  # must start before handling
    started = requests.post(url, json={"action": "start"}, headers=_auth(token))
    assert started.status_code == 200 and started.json()["state"] == "in_progress"
    done = requests.post(
        url,
        json={"action": "handle", "note": "已更换灯泡", "lat": 34.78, "lon": 113.68},
        headers=_auth(token),
    )
    assert done.status_code == 200 and done.json()["state"] == "handled"
    closing = requests.post(url, json={"action": "close"}, headers=_auth(token))
    assert closing.status_code == 422
    missing = requests.post(
        f"{running.url}/api/v1/events/GW00000000-000000/feedback",
        json={"action": "start"},
        headers=_auth(token),
    )
    assert missing.status_code == 404


def test_sms_becomes_a_report_and_answers_with_a_tracking_number(running):
    running.app.services.settings.sms_webhook_token = "s3cret-token"
    url = f"{running.url}/api/v1/sms/inbound"
    refused = requests.post(url, json={"from": "13900001111", "text": "x"})
    assert refused.status_code == 401
    answer = requests.post(
        url,
        json={"from": "13900001111", "text": "小区燃气管道有异味，存在安全隐患"},
        headers={"X-Gridwatch-Token": "s3cret-token"},
    )
    assert answer.status_code == 201, answer.text
    tracking = answer.json()["tracking_no"]
    assert tracking in answer.json()["reply"]
    with running.app.services.sessions() as db:
        incident = db.scalar(select(Incident).where(Incident.tracking_no == tracking))
        assert incident.category == "work_safety"  # keyword 安全隐患 / 燃气
        assert incident.reporter_phone == "13900001111"
    status = requests.post(
        url,
        json={"from": "13900001111", "text": f"查询 {tracking}"},
        headers={"X-Gridwatch-Token": "s3cret-token"},
    ).json()
    assert "待受理" in status["reply"]
    stranger = requests.post(
        url,
        json={"from": "13700000000", "text": f"查询 {tracking}"},
        headers={"X-Gridwatch-Token": "s3cret-token"},
    ).json()
    assert "未找到" in stranger["reply"]


def test_a_report_refused_for_a_fields_type_stores_no_photo(running):
    """Every field's type is checked before a photo is written (none left behind)."""
    import json

    token, _ = running.add_device("ev-no-orphan")
    response = requests.post(
        f"{running.url}/api/v1/events",
        data={"data": json.dumps({"category": "fire_safety", "title": 5})},
        files={"photo": ("a.png", PNG, "image/png")},
        headers=_auth(token),
    )
    assert response.status_code == 422 and "title" in response.json()["fields"], response.text
    stored = running.app.services.settings.var_dir / "attachments"
    assert not [p for p in stored.rglob("*") if p.is_file()]


def test_null_is_an_absent_field_as_the_document_says(running):
    token, staff_id = running.add_device("ev-null")
    body = {"category": "fire_safety", "title": "楼道堆物", "lat": None, "lon": None}
    body |= {"description": None, "address": None, "report_id": None}
    response = requests.post(f"{running.url}/api/v1/events", json=body, headers=_auth(token))
    assert response.status_code == 201, response.text
    with running.app.services.sessions() as db:
        incident = db.scalar(
            select(Incident).where(Incident.tracking_no == response.json()["tracking_no"])
        )
        assert incident.node_id == db.get(Staff, staff_id).node_id  # the reporter's grid
        assert incident.description == "" and incident.address is None
