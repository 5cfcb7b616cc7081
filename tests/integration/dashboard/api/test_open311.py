"""Open311 GeoReport v2: what existing citizen apps send and expect."""

from __future__ import annotations

import requests
from sqlalchemy import select

from data.models import Incident, IncidentSource, IncidentState, NodeKind, OrgNode

REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def _a_grid_center(running) -> tuple[float, float]:
    with running.app.services.sessions() as db:
        grid = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.GRID).order_by(OrgNode.id))
        return grid.center_lat, grid.center_lon


def test_services_list_the_categories(running):
    services = requests.get(f"{running.url}/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"fire_safety", "city_sanitation", "civil_relief"} <= codes
    assert all(
        set(s) >= {"service_code", "service_name", "metadata", "type", "keywords", "group"}
        for s in services
    )


def test_a_request_posted_with_georeport_fields_comes_back_from_list_and_detail(running):
    lat, lon = _a_grid_center(running)
    posted = requests.post(
        f"{running.url}/open311/v2/requests.json",
        data={
            "service_code": "city_sanitation",
            "lat": lat,
            "long": lon,
            "address_string": "金水路 1 号东侧",
            "description": "垃圾桶满溢，三天无人清运",
            "first_name": "明",
            "last_name": "王",
            "phone": "13800138000",
        },
    )
    assert posted.status_code == 201, posted.text
    (answer,) = posted.json()
    tracking = answer["service_request_id"]
    assert tracking.startswith("GW") and tracking in answer["service_notice"]

    (detail,) = requests.get(f"{running.url}/open311/v2/requests/{tracking}.json").json()
    assert set(detail) == REQUEST_FIELDS
    assert detail["status"] == "open"
    assert detail["service_code"] == "city_sanitation"
    assert detail["description"] == "垃圾桶满溢，三天无人清运"
    assert detail["address"] == "金水路 1 号东侧"
    assert abs(detail["lat"] - lat) < 1e-9 and abs(detail["long"] - lon) < 1e-9
    assert "13800138000" not in str(detail) and "王" not in str(detail)

    listed = requests.get(
        f"{running.url}/open311/v2/requests.json", params={"service_request_id": tracking}
    ).json()
    assert [r["service_request_id"] for r in listed] == [tracking]
    assert (
        requests.get(f"{running.url}/open311/v2/requests.json", params={"status": "closed"}).json()
        == []
    )

    with running.app.services.sessions() as db:
        incident = db.scalar(select(Incident).where(Incident.tracking_no == tracking))
        assert incident.source == IncidentSource.OPEN311
        assert incident.state == IncidentState.REPORTED
        assert incident.reporter_phone == "13800138000"  # kept for the duty desk, not shown


def test_bad_requests_get_the_georeport_error_format_never_a_500(running):
    lat, lon = _a_grid_center(running)
    base = f"{running.url}/open311/v2"
    cases = [
        requests.post(f"{base}/requests.json", data={"lat": lat, "long": lon}),
        requests.post(f"{base}/requests.json", data={"service_code": "nope", "lat": 1, "long": 1}),
        requests.post(f"{base}/requests.json", data={"service_code": "fire_safety", "lat": "x"}),
        requests.post(f"{base}/requests.json", data={"service_code": "fire_safety"}),
        requests.post(
            f"{base}/requests.json", data={"service_code": "fire_safety", "lat": 10, "long": 10}
        ),
        requests.post(f"{base}/requests.json", json=["not", "an", "object"]),
        requests.get(f"{base}/requests.json", params={"status": "pending"}),
        requests.get(f"{base}/requests.json", params={"start_date": "yesterday"}),
        requests.get(f"{base}/requests/GW00000000-999999.json"),
        requests.get(f"{base}/nothing-here.json"),
        requests.delete(f"{base}/requests.json"),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.request.url, response.text)
        body = response.json()
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}, body
        assert body[0]["code"] == response.status_code and body[0]["description"]
