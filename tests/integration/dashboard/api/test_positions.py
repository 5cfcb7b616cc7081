"""The terminal API against a real server, Redis and database."""

from __future__ import annotations

import time

import redis
import requests

from streams.codec import decode_stream_fix
from streams.keys import POSITIONS_STREAM
from tests.support.paths import REPO_ROOT
from tests.support.running import Running


def _fix(lat: float = 34.78, lon: float = 113.66, **extra: object) -> dict[str, object]:
    return {"lat": lat, "lon": lon, "ts": time.time(), **extra}


def _post(url: str, token: str, body: object) -> requests.Response:
    return requests.post(
        f"{url}/api/v1/positions", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def test_batch_with_bad_items_stores_every_good_item_and_names_every_bad_one(running, r):
    token, staff_id = running.add_device("t-100")
    batch = {
        "fixes": [
            _fix(battery=80),
            _fix(lat=91.0),  # out of range
            _fix(ts=time.time() + 3600),  # an hour in the future
            {"lat": 34.7, "lon": "east", "ts": time.time()},  # wrong type
            _fix(device_id="someone-else"),  # not this token's device
            "not an object",
            _fix(speed=1.2, heading=90, accuracy=5),
        ]
    }
    response = _post(running.url, token, batch)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == 5
    reasons = {e["index"]: e["reason"] for e in body["errors"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5]
    assert "lat" in reasons[1]
    assert "future" in reasons[2]
    assert "lon" in reasons[3]
    assert "device_id" in reasons[4]
    entries = r.xrange(POSITIONS_STREAM)
    assert len(entries) == 2
    stored = [decode_stream_fix(fields[b"f"]) for _, fields in entries]
    assert {f.staff for f in stored} == {staff_id}
    assert stored[0].battery == 80


def test_all_bad_items_answer_422_and_store_nothing(running, r):
    token, _ = running.add_device("t-101")
    response = _post(running.url, token, {"fixes": [_fix(lat=-100), _fix(lon=200)]})
    assert response.status_code == 422
    assert response.json()["accepted"] == 0
    assert r.xlen(POSITIONS_STREAM) == 0


def test_malformed_json_unknown_token_and_oversized_bodies_are_clear_4xx(running):
    token, _ = running.add_device("t-102")
    url = f"{running.url}/api/v1/positions"
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    malformed = requests.post(url, data=b"{not json", headers=auth)
    assert malformed.status_code == 400
    assert malformed.json()["error"] == "bad_request"

    wrong_shape = requests.post(url, json=[1, 2], headers=auth)
    assert wrong_shape.status_code == 400

    unknown = _post(running.url, "gwt_nope", {"fixes": [_fix()]})
    assert unknown.status_code == 401

    missing = requests.post(url, json={"fixes": [_fix()]})
    assert missing.status_code == 401

    too_many = _post(running.url, token, {"fixes": [_fix()] * 5001})
    assert too_many.status_code == 413
    assert "5000" in too_many.json()["message"]

    huge = requests.post(url, data=b"[" + b" " * (5 * 1024 * 1024) + b"]", headers=auth)
    assert huge.status_code == 413
    assert huge.json()["error"] == "request_entity_too_large"


def test_revoked_device_is_refused_at_once(running):
    from dashboard.cli.devices import revoke

    token, _ = running.add_device("t-103")
    assert _post(running.url, token, {"fixes": [_fix()]}).status_code == 200
    list(revoke(running.app.services.settings, "t-103"))
    assert _post(running.url, token, {"fixes": [_fix()]}).status_code == 401
    params = {"id": "t-103", "lat": 34.7, "lon": 113.6}
    osmand = requests.get(f"{running.url}/osmand", params=params)
    assert osmand.status_code == 403


def test_osmand_query_and_json_forms(running, r):
    _, staff_id = running.add_device("t-104", staff_index=3)
    now = int(time.time())
    query = requests.get(
        f"{running.url}/osmand",
        params={
            "id": "t-104",
            "lat": 34.77,
            "lon": 113.65,
            "timestamp": now,
            "speed": 2,
            "bearing": 45,
            "accuracy": 8,
            "batt": 55,
        },
    )
    assert query.status_code == 200, query.text
    traccar_json = {
        "device_id": "t-104",
        "location": {
            "timestamp": "2026-11-29T08:00:00Z"
            if False
            else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "coords": {
                "latitude": 34.771,
                "longitude": 113.651,
                "speed": 1.5,
                "heading": -1,
                "accuracy": 6,
            },
            "battery": {"level": 0.42},
        },
    }
    posted = requests.post(f"{running.url}/osmand", json=traccar_json)
    assert posted.status_code == 200, posted.text
    stored = [decode_stream_fix(f[b"f"]) for _, f in r.xrange(POSITIONS_STREAM)]
    assert [f.staff for f in stored] == [staff_id, staff_id]
    assert abs(stored[0].speed - 2 * 0.514444) < 1e-6  # knots -> m/s
    assert stored[1].heading is None and abs(stored[1].battery - 42.0) < 1e-9

    bad = requests.get(f"{running.url}/osmand", params={"id": "t-104", "lat": "x", "lon": 1})
    assert bad.status_code == 400 and "lat" in bad.json()["message"]
    unknown = requests.get(f"{running.url}/osmand", params={"id": "nobody", "lat": 1, "lon": 1})
    assert unknown.status_code == 403


def test_redis_down_answers_503_with_retry_after(small_city_url, tmp_path):
    from dashboard.app import create_app
    from dashboard.runtime.embedded_redis import EmbeddedRedis
    from dashboard.settings import Settings
    from dashboard.web.server import ServerThread

    doomed = EmbeddedRedis(tmp_path / "doomed").start()
    app = create_app(Settings(redis_url=doomed.url, database_url=small_city_url, var_dir=tmp_path))
    server = ServerThread(app).start()
    try:
        token, _ = Running(app, server).add_device("t-105")
        assert _post(server.url, token, {"fixes": [_fix()]}).status_code == 200
        doomed.stop()  # Redis dies under a running server
        response = _post(server.url, token, {"fixes": [_fix()]})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        osmand = requests.get(f"{server.url}/osmand", params={"id": "t-105", "lat": 1, "lon": 1})
        assert osmand.status_code == 503
    finally:
        server.stop()
        app.close()
        doomed.stop()


def test_position_consumer_keeps_latest_fix_and_state(running, r):
    token, staff_id = running.add_device("t-106")
    now = time.time()
    _post(
        running.url,
        token,
        {"fixes": [_fix(ts=now - 10, lat=34.70), _fix(ts=now, lat=34.71, battery=10)]},
    )
    _post(running.url, token, {"fixes": [_fix(ts=now - 60, lat=34.60)]})  # late, older fix
    deadline = time.time() + 5
    while time.time() < deadline and not r.hexists("gw:staff:last", staff_id):
        time.sleep(0.05)
    time.sleep(0.5)
    latest = running.app.services.redis.hget("gw:staff:last", staff_id)
    assert latest is not None
    fix = decode_stream_fix(latest)
    assert fix.lat == 34.71
    assert r.hget("gw:staff:state", staff_id) == b"low_battery"


def test_openapi_document_is_served_and_matches_docs(running):
    import json

    served = requests.get(f"{running.url}/api/v1/openapi.json").json()
    assert set(served["paths"]) >= {"/api/v1/positions", "/osmand"}
    docs = REPO_ROOT / "docs" / "openapi.json"
    assert json.loads(docs.read_text()) == served, "docs/openapi.json is out of date"


def test_healthz(running):
    answer = requests.get(f"{running.url}/healthz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ok"
    assert isinstance(running.app.services.redis, redis.Redis)
