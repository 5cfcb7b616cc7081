"""Bad input gets a 4xx that names the item and what is wrong, never a 500.

Every case here answered 500 before (issue 9, "Bad input"): NaN or infinite
coordinates, JSON nested 100,000 levels deep, an SMS webhook body that is not an
object, ids beyond what SQL can hold. Each runs against a real server, Redis and
seeded SQLite, the way a terminal, a citizen's app or a crafted request sends it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from data.incidents.actors import Actor
from data.incidents.workflow import apply
from data.models import Incident, NodeKind, OrgNode, Role
from layouts import ids
from tests.support.accounts import login, make_user
from tests.support.dash_calls import call
from tests.support.dash_patterns import DashAnswer, key_of, post, prop_id

SMS_TOKEN = "bad-input-sms-token"
DEEP = 100_000


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _incidents(running) -> int:
    with running.app.services.sessions() as db:
        return db.scalar(select(func.count(Incident.id))) or 0


def _a_grid(running) -> OrgNode:
    with running.app.services.sessions() as db:
        grid = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.GRID).order_by(OrgNode.id))
        db.expunge_all()
        return grid


def _refused(response: requests.Response, *words: str) -> str:
    """The response is a 4xx whose text names every word; returns that text."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    text = json.dumps(response.json(), ensure_ascii=False)
    for word in words:
        assert word in text, (word, text)
    return text


# -- coordinates ------------------------------------------------------------------------

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999"]


@pytest.mark.parametrize("literal", NON_FINITE)
def test_a_terminal_report_with_a_non_finite_coordinate_names_it(running, literal):
    token, _ = running.add_device(f"nan-ev-{NON_FINITE.index(literal)}")
    before = _incidents(running)
    lat_bad = f'{{"category": "fire_safety", "title": "x", "lat": {literal}, "lon": 113.66}}'
    lon_bad = f'{{"category": "fire_safety", "title": "x", "lat": 34.78, "lon": {literal}}}'
    for body, field in ((lat_bad, "lat"), (lon_bad, "lon")):
        response = requests.post(
            f"{running.url}/api/v1/events",
            data=body,
            headers=_auth(token) | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert field in response.json()["fields"], response.json()
        multipart = requests.post(
            f"{running.url}/api/v1/events", files={"data": (None, body)}, headers=_auth(token)
        )
        assert multipart.status_code == 422 and field in multipart.json()["fields"]
    assert _incidents(running) == before


def test_terminal_feedback_with_a_non_finite_position_names_it(running):
    token, staff_id = running.add_device("nan-fb")
    created = requests.post(
        f"{running.url}/api/v1/events",
        json={"category": "public_facilities", "title": "路灯不亮"},
        headers=_auth(token),
    ).json()
    with running.app.services.sessions.begin() as db:
        incident_id = db.scalar(
            select(Incident.id).where(Incident.tracking_no == created["tracking_no"])
        )
        desk = Actor(role="duty_officer", name="值班员", scope_path="/", user_id=None)
        apply(db, incident_id, "accept", desk)
        apply(db, incident_id, "dispatch", desk, assignee_staff_id=staff_id)
    url = f"{running.url}/api/v1/events/{created['tracking_no']}/feedback"
    for body, label in (
        ('{"action": "start", "lat": NaN, "lon": 113.66}', "纬度"),
        ('{"action": "start", "lat": 34.78, "lon": -Infinity}', "经度"),
    ):
        response = requests.post(
            url, data=body, headers=_auth(token) | {"Content-Type": "application/json"}
        )
        assert response.status_code == 422, response.text
        _refused(response, label)
    started = requests.post(url, json={"action": "start"}, headers=_auth(token))
    assert started.status_code == 200, started.text  # nothing was half-applied


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_an_open311_request_with_a_non_finite_coordinate_names_it(running, value):
    grid = _a_grid(running)
    before = _incidents(running)
    url = f"{running.url}/open311/v2/requests.json"
    lat_bad = {"service_code": "fire_safety", "lat": value, "long": grid.center_lon}
    long_bad = {"service_code": "fire_safety", "lat": grid.center_lat, "long": value}
    for form, field in ((lat_bad, "lat"), (long_bad, "long")):
        response = requests.post(url, data=form)
        text = _refused(response, field)
        assert response.json()[0]["code"] == 400, text
    as_json = f'{{"service_code": "fire_safety", "lat": NaN, "long": {grid.center_lon}}}'
    _refused(requests.post(url, data=as_json, headers={"Content-Type": "application/json"}), "lat")
    assert _incidents(running) == before
    fine = requests.post(
        url, data={"service_code": "fire_safety", "lat": grid.center_lat, "long": grid.center_lon}
    )
    assert fine.status_code == 201, fine.text


def test_the_desk_form_names_a_non_finite_coordinate(running):
    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
    username, password = make_user(running.app.services.sessions, Role.DUTY_OFFICER, community.id)
    http = login(running.url, username, password)
    before = _incidents(running)
    for lat, lon, label in (("nan", "113.66", "纬度"), ("34.78", "Infinity", "经度")):
        answer = DashAnswer(
            call(
                http,
                running.url,
                running.app.dash,
                f"{ids.INCIDENTS_NEW_MSG}.children",
                {f"{ids.INCIDENTS_NEW_SUBMIT}.n_clicks": 1},
                {
                    f"{ids.INCIDENTS_NEW_CATEGORY}.value": "fire_safety",
                    f"{ids.INCIDENTS_NEW_TITLE}.value": "占道经营",
                    f"{ids.INCIDENTS_NEW_LAT}.value": lat,
                    f"{ids.INCIDENTS_NEW_LON}.value": lon,
                },
            )
        )
        assert answer.status_code == 200, answer.text[:300]
        assert "登记未成功" in answer.text and label in answer.text, answer.text
    assert _incidents(running) == before


# -- nesting ------------------------------------------------------------------------------


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_deeply_nested_json_is_a_400_on_every_json_endpoint(running):
    token, _ = running.add_device("deep-1")
    running.app.services.settings.sms_webhook_token = SMS_TOKEN
    headers = _auth(token) | {"X-Gridwatch-Token": SMS_TOKEN, "Content-Type": "application/json"}
    nested_fixes = '{"fixes": ' + _deep(DEEP) + "}"
    nested_field = '{"category": "fire_safety", "title": "x", "extra": ' + _deep(DEEP) + "}"
    cases = {
        "/api/v1/positions": nested_fixes,
        "/api/v1/events": nested_field,
        "/api/v1/events/GW00000000-000001/feedback": nested_field,
        "/api/v1/sms/inbound": _deep(DEEP),
        "/api/v1/sms/receipts": _deep(DEEP),
        "/open311/v2/requests.json": _deep(DEEP),
        "/osmand": _deep(DEEP),
    }
    for path, body in cases.items():
        response = requests.post(f"{running.url}{path}", data=body, headers=headers)
        assert response.status_code == 400, (path, response.status_code, response.text[:200])
        _refused(response, "嵌套")


def test_nesting_past_the_limit_is_refused_even_when_the_parser_copes(running):
    """40 levels parse fine in Python, but no API body has a reason to be that deep."""
    token, _ = running.add_device("deep-2")
    body = '{"category": "fire_safety", "title": "x", "extra": ' + _deep(40) + "}"
    response = requests.post(
        f"{running.url}/api/v1/events",
        data=body,
        headers=_auth(token) | {"Content-Type": "application/json"},
    )
    _refused(response, "嵌套")
    assert response.status_code == 400


def test_a_deep_dash_callback_body_is_a_400(running):
    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
    username, password = make_user(running.app.services.sessions, Role.DUTY_OFFICER, community.id)
    http = login(running.url, username, password)
    response = http.post(
        f"{running.url}/_dash-update-component",
        data=_deep(DEEP),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, (response.status_code, response.text[:200])


# -- the SMS webhook ----------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[1, 2]", "true", '"AAA"', "null", "42"])
def test_an_sms_body_that_is_not_an_object_is_a_400(running, body):
    running.app.services.settings.sms_webhook_token = SMS_TOKEN
    response = requests.post(
        f"{running.url}/api/v1/sms/inbound",
        data=body,
        headers={"X-Gridwatch-Token": SMS_TOKEN, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    _refused(response, "JSON 对象")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "13900001111", "text": {"a": 1}}, "text"),
        ({"from": "13900001111", "text": ["燃气泄漏"]}, "text"),
        ({"from": 13900001111, "text": "燃气泄漏"}, "from"),
        ({"from": {"n": "13900001111"}, "text": "燃气泄漏"}, "from"),
    ],
)
def test_sms_fields_are_type_checked_not_coerced(running, body, field):
    running.app.services.settings.sms_webhook_token = SMS_TOKEN
    before = _incidents(running)
    response = requests.post(
        f"{running.url}/api/v1/sms/inbound", json=body, headers={"X-Gridwatch-Token": SMS_TOKEN}
    )
    assert response.status_code == 400, response.text
    _refused(response, field, "文本")
    assert _incidents(running) == before  # nothing titled "{'a': 1}"


def test_sms_receipts_are_type_checked(running):
    running.app.services.settings.sms_webhook_token = SMS_TOKEN
    url = f"{running.url}/api/v1/sms/receipts"
    headers = {"X-Gridwatch-Token": SMS_TOKEN}
    for body in (
        [{"message_id": {"a": 1}, "status": "delivered"}],
        {"message_id": "m-1", "status": ["delivered"]},
        "delivered",
    ):
        response = requests.post(url, json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
    for message_id in (2**77, "9" * 40, "²", -4):  # no such text, and no 500 either
        response = requests.post(
            url, json={"message_id": message_id, "status": "DELIVRD"}, headers=headers
        )
        assert response.status_code == 200, (message_id, response.text)
        assert response.json() == {"received": 1, "applied": 0}


# -- ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [str(2**63), str(2**64 + 5), "9" * 30, "0", "-1", "abc", "１２", "²", "1.5"]
)
def test_an_alert_id_that_cannot_be_a_record_is_a_404(running, raw):
    token, _ = running.add_device(f"ack-{abs(hash(raw)) % 10_000_000}")
    response = requests.post(f"{running.url}/api/v1/alerts/{raw}/ack", headers=_auth(token))
    assert response.status_code == 404, (raw, response.status_code, response.text)
    _refused(response, "预警")


def test_the_largest_alert_id_is_looked_up_and_not_found(running):
    token, _ = running.add_device("ack-max")
    response = requests.post(f"{running.url}/api/v1/alerts/{2**63 - 1}/ack", headers=_auth(token))
    assert response.status_code == 404
    assert str(2**63 - 1) in response.json()["message"]


@pytest.mark.parametrize("raw", ["²", str(2**63), "9" * 40, "-3", "x"])
def test_a_node_id_in_an_export_query_that_cannot_be_a_record_is_a_404(running, raw):
    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
    username, password = make_user(running.app.services.sessions, Role.LEADER, community.id)
    http = login(running.url, username, password)
    response = http.get(f"{running.url}/residents/export.csv", params={"node": raw})
    assert response.status_code == 404, (raw, response.status_code, response.text[:200])


def _page(http: requests.Session, running: Any, search: str) -> DashAnswer:
    return DashAnswer(
        call(
            http,
            running.url,
            running.app.dash,
            f"{ids.PAGE}.children",
            {f"{ids.URL}.pathname": "/wall", f"{ids.URL}.search": search},
        )
    )


def test_a_node_id_in_the_wall_query_that_cannot_be_a_record_opens_the_scope(running):
    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
    username, password = make_user(running.app.services.sessions, Role.LEADER, community.id)
    http = login(running.url, username, password)
    for search in ("?node=²", f"?node={2**64}", "?node=-1"):
        answer = _page(http, running, search)
        assert answer.status_code == 200, (search, answer.text[:200])


def test_ids_beyond_sql_in_callback_payloads_are_not_found_not_a_500(running):
    """Crafted callback bodies: an incident, an alert and a resident id of 2**70."""
    with running.app.services.sessions() as db:
        district = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.DISTRICT))
    username, password = make_user(running.app.services.sessions, Role.LEADER, district.id)
    http = login(running.url, username, password)
    huge = 2**70
    dash = running.app.dash
    detail = DashAnswer(
        call(
            http,
            running.url,
            dash,
            f"{ids.INCIDENTS_DETAIL}.children",
            {f"{ids.INCIDENTS_SELECTED}.data": {"id": huge, "tid": "t"}},
        )
    )
    assert detail.status_code == 200, detail.text[:300]  # the panel's "pick an incident" state
    from callbacks.alerts.live import DETAIL_OUTPUTS

    outputs = [
        []
        if isinstance(o.component_id, dict)
        else {"id": o.component_id, "property": o.component_property}
        for o in DETAIL_OUTPUTS
    ]
    alert = post(
        http,
        running.url,
        key_of(dash, f"{ids.ALERTS_DETAIL_SHOWN}.data"),
        outputs,
        [
            {"id": ids.ALERTS_TICK, "property": "n_intervals", "value": 1},
            {"id": ids.ALERTS_SELECTED, "property": "data", "value": huge},
            {"id": ids.ALERTS_REFRESH, "property": "data", "value": None},
            {"id": ids.ALERTS_PAGE, "property": "data", "value": 0},
        ],
        [{"id": ids.ALERTS_DETAIL_SHOWN, "property": "data", "value": None}],
        changed=f"{ids.ALERTS_SELECTED}.data",
    )
    assert alert.status_code == 200, alert.text[:300]
    key = key_of(dash, ids.RES_IDNO, ids.RES_REVEAL, "disabled")
    button = {"type": ids.RES_REVEAL, "rid": huge}
    outputs = [
        {"id": {"type": ids.RES_IDNO, "rid": huge}, "property": "children"},
        {"id": {"type": ids.RES_PHONE, "rid": huge}, "property": "children"},
        {"id": button, "property": "children"},
        {"id": button, "property": "disabled"},
    ]
    inputs = [{"id": button, "property": "n_clicks", "value": 1}]
    reveal = post(http, running.url, key, outputs, inputs, changed=prop_id(button, "n_clicks"))
    assert reveal.status_code in (200, 204), reveal.text[:300]


# -- methods ------------------------------------------------------------------------------


def _allow(response: requests.Response) -> set[str]:
    return {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}


def test_an_api_path_answers_only_its_own_methods(running):
    """Dash's catch-all page used to answer GET on every API path with 200 and HTML."""
    url = running.url
    for path in ("/api/v1/positions", "/api/v1/events", "/api/v1/sms/inbound"):
        page = requests.get(f"{url}{path}")
        assert page.status_code in (404, 405), (path, page.status_code)
        assert page.headers["Content-Type"].startswith("application/json"), path
    wrong = requests.get(f"{url}/api/v1/positions")
    assert wrong.status_code == 405 and _allow(wrong) == {"POST", "OPTIONS"}
    assert "GET" in wrong.json()["message"]
    traced = requests.request("TRACE", f"{url}/api/v1/alerts/assigned")
    assert traced.status_code == 405 and _allow(traced) == {"GET", "HEAD", "OPTIONS"}
    options = requests.options(f"{url}/api/v1/events")
    assert options.status_code == 200 and _allow(options) == {"POST", "OPTIONS"}
    ack = requests.get(f"{url}/api/v1/alerts/12/ack")
    assert ack.status_code == 405 and _allow(ack) == {"POST", "OPTIONS"}


def test_open311_paths_answer_405_with_allow_in_georeport_format(running):
    base = f"{running.url}/open311/v2"
    put = requests.put(f"{base}/requests.json")
    assert put.status_code == 405, put.text
    assert _allow(put) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert put.json()[0]["code"] == 405
    options = requests.options(f"{base}/services.json")
    assert _allow(options) == {"GET", "HEAD", "OPTIONS"}
    missing = requests.get(f"{base}/nothing-here.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    for method in ("PUT", "DELETE", "PATCH"):
        one = requests.request(method, f"{base}/requests/GW20260101-000001.json")
        assert one.status_code == 405 and one.json()[0]["code"] == 405, (method, one.text)


def test_a_retried_report_with_a_bad_field_is_refused(running):
    """The report_id replay used to answer 201 before the body was looked at."""
    token, _ = running.add_device("replay-types")
    body = {"category": "fire_safety", "title": "楼道堆物", "report_id": "replay-0001"}
    first = requests.post(f"{running.url}/api/v1/events", json=body, headers=_auth(token))
    assert first.status_code == 201, first.text
    again = requests.post(
        f"{running.url}/api/v1/events", json=body | {"address": []}, headers=_auth(token)
    )
    assert again.status_code == 422 and "address" in again.json()["fields"], again.text
    for field, change in (
        ("address", {"address": "长" * 200}),
        ("category", {"category": "nope"}),
        ("lat", {"lat": 91.5, "lon": 113.6}),
    ):
        bad = requests.post(
            f"{running.url}/api/v1/events", json=body | change, headers=_auth(token)
        )
        assert bad.status_code == 422 and field in bad.json()["fields"], (field, bad.text)
    same = requests.post(f"{running.url}/api/v1/events", json=body, headers=_auth(token))
    assert same.status_code == 201 and same.json() == first.json()  # a true retry


def test_a_photo_sent_as_a_text_field_is_refused_not_dropped(running):
    token, _ = running.add_device("photo-text")
    response = requests.post(
        f"{running.url}/api/v1/events",
        files={
            "data": (None, '{"category": "fire_safety", "title": "x"}'),
            "photo": (None, "not a file"),
        },
        headers=_auth(token),
    )
    assert response.status_code == 422 and "photo" in response.json()["fields"], response.text


@pytest.mark.parametrize(
    "moment", ["0001-01-01T23:21:55+23:37", "9999-12-31T23:59:59-23:59", "yesterday"]
)
def test_an_open311_date_that_cannot_be_stored_is_a_400(running, moment):
    for arg in ("start_date", "end_date"):
        response = requests.get(f"{running.url}/open311/v2/requests.json", params={arg: moment})
        assert response.status_code == 400, (arg, moment, response.text)
        assert arg in response.json()[0]["description"]
    fine = requests.get(
        f"{running.url}/open311/v2/requests.json", params={"start_date": "2026-01-01t00:00:00z"}
    )
    assert fine.status_code == 200, fine.text  # RFC 3339 allows lower-case t and z


def test_crafted_callback_bodies_are_a_400_that_says_why(running):
    """Dash reads a callback body's keys unchecked: these used to end in a 500."""
    with running.app.services.sessions() as db:
        district = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.DISTRICT))
    username, password = make_user(running.app.services.sessions, Role.LEADER, district.id)
    http = login(running.url, username, password)
    url = f"{running.url}/_dash-update-component"
    from callbacks.alerts.live import DETAIL_OUTPUTS

    key = key_of(running.app.dash, f"{ids.ALERTS_DETAIL_SHOWN}.data")
    outputs = [[] for _ in DETAIL_OUTPUTS]
    for body, reason in (
        ([], "JSON 对象"),
        ({}, "output"),
        ({"output": key}, "outputs"),
        ({"output": key, "outputs": {"id": "x", "property": "y"}}, "inputs"),
        ({"output": "no-such.children", "outputs": [], "inputs": []}, "不存在"),
        ({"output": key, "outputs": [], "inputs": "all"}, "inputs"),
        ({"output": key, "outputs": [], "inputs": []}, "不符"),
        ({"output": key, "outputs": outputs, "inputs": [1, 2, 3, 4]}, "id 与 property"),
        (
            {
                "output": key,
                "outputs": [{"id": "x", "property": "y"}] * len(DETAIL_OUTPUTS),
                "inputs": [{"id": "a", "property": "b", "value": 1}] * 4,
                "state": [{"id": "c", "property": "d", "value": None}],
            },
            "不符",
        ),
    ):
        answer = http.post(url, json=body)
        assert answer.status_code == 400, (body, answer.status_code, answer.text[:200])
        assert reason in answer.json()["message"], answer.text
