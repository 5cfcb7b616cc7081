"""Validation rules of terminal fixes, over a wide input space."""

from __future__ import annotations

import datetime as dt
import math
from typing import TypeGuard

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from dashboard.api.ingest import (
    IngestLimits,
    parse_osmand_json,
    parse_osmand_query,
    validate_items,
)
from streams.codec import FixError
from streams.device_registry import LiveDevice

DEVICE = LiveDevice(device_id=7, identifier="term-7", staff_id=70, grid_id=700)
LIMITS = IngestLimits(max_future_s=300, max_age_s=7 * 86400)
NOW = 1_800_000_000.0

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
any_value = st.one_of(
    st.none(), st.booleans(), finite, st.integers(), st.text(max_size=5), st.lists(st.integers())
)
fix_like = st.fixed_dictionaries(
    {},
    optional={
        "lat": st.one_of(finite, any_value),
        "lon": st.one_of(finite, any_value),
        "ts": st.one_of(st.floats(NOW - 10 * 86400, NOW + 3600), any_value),
        "device_id": st.one_of(st.just("term-7"), st.text(max_size=8), any_value),
        "speed": st.one_of(finite, any_value),
        "battery": st.one_of(finite, any_value),
    },
)
item = st.one_of(fix_like, any_value)


def _raw(items: list[object]) -> list[msgspec.Raw]:
    return [msgspec.Raw(msgspec.json.encode(i)) for i in items]


def _is_valid(i: object) -> bool:
    if not isinstance(i, dict):
        return False
    lat, lon, ts = i.get("lat"), i.get("lon"), i.get("ts")
    number = (int, float)

    def num(v: object) -> TypeGuard[float]:
        return isinstance(v, number) and not isinstance(v, bool)

    if not (num(lat) and num(lon) and num(ts)):
        return False
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    if not (NOW - LIMITS.max_age_s <= ts <= NOW + LIMITS.max_future_s):
        return False
    dev = i.get("device_id", "term-7")
    if dev is not None and dev != "term-7":
        return False
    for key, low, high in (("speed", 0, math.inf), ("battery", 0, 100)):
        if key in i and i[key] is not None and not (num(i[key]) and low <= i[key] <= high):
            return False
    return True


@given(st.lists(item, max_size=30))
def test_every_item_is_judged_alone_and_accounted_for(items):
    good, bad = validate_items(_raw(items), DEVICE, NOW, LIMITS)
    assert len(good) + len(bad) == len(items)
    bad_indexes = [e.index for e in bad]
    assert bad_indexes == sorted(set(bad_indexes))
    expected_bad = [n for n, i in enumerate(items) if not _is_valid(i)]
    assert bad_indexes == expected_bad
    assert all(e.reason for e in bad)
    assert all(f.staff == 70 and f.grid == 700 and f.device == 7 for f in good)


def test_reasons_name_the_field():
    items = [
        {"lat": 100, "lon": 1, "ts": NOW},
        {"lat": 1, "ts": NOW},
        {"lat": 1, "lon": 1, "ts": "2026-01-01T00:00:00"},
        {"lat": 1, "lon": 1, "ts": NOW, "battery": 140},
    ]
    _, bad = validate_items(_raw(items), DEVICE, NOW, LIMITS)
    reasons = [e.reason for e in bad]
    assert "$.lat" in reasons[0]
    assert "lon" in reasons[1]
    assert "time zone" in reasons[2]
    assert "battery" in reasons[3]


def test_rfc3339_timestamps_are_accepted():
    good, bad = validate_items(
        _raw([{"lat": 1, "lon": 1, "ts": "2027-01-15T08:00:00+08:00"}]), DEVICE, NOW, LIMITS
    )
    assert not bad
    assert good[0].ts == dt.datetime(2027, 1, 15, 0, 0, tzinfo=dt.UTC).timestamp()


def test_osmand_query_units_and_errors():
    parsed = parse_osmand_query(
        {
            "id": "a",
            "lat": "34.7",
            "lon": "113.6",
            "timestamp": str(int(NOW * 1000)),
            "speed": "10",
        },
        NOW,
    )
    assert parsed.identifier == "a"
    assert parsed.fix.ts == NOW  # milliseconds understood
    assert abs(parsed.fix.speed - 5.14444) < 1e-9
    for params, field in [
        ({"lat": "1", "lon": "1"}, "id"),
        ({"id": "a", "lat": "1"}, "lat/lon"),
        ({"id": "a", "lat": "north", "lon": "1"}, "lat"),
        ({"id": "a", "lat": "95", "lon": "1"}, "lat"),
        ({"id": "a", "lat": "1", "lon": "1", "timestamp": "yesterday"}, "timestamp"),
    ]:
        try:
            parse_osmand_query(params, NOW)
        except FixError as exc:
            assert field in str(exc)
        else:
            raise AssertionError(f"{params} should be refused")


def test_osmand_json_battery_and_unknown_values():
    parsed = parse_osmand_json(
        {
            "device_id": "a",
            "location": {
                "timestamp": "2027-01-15T00:00:00.000Z",
                "coords": {"latitude": 1, "longitude": 2, "speed": -1, "heading": -1},
                "battery": {"level": 0.5},
            },
        },
        NOW,
    )
    assert parsed.fix.speed is None and parsed.fix.heading is None
    assert parsed.fix.battery == 50.0
