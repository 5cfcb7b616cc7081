"""Validation of terminal fixes: every item judged on its own, none lost for another.

Pure functions (no Redis, no Flask), so the rules are unit-tested over a wide
input space; the steps of ``dashboard/api/fix_path.py`` call them in order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from streams.codec import (
    FixError,
    FixIn,
    StreamFix,
    check_time,
    decode_fix,
    fix_timestamp,
)
from streams.device_registry import LiveDevice


@dataclass(frozen=True)
class IngestLimits:
    max_future_s: float
    max_age_s: float


@dataclass(frozen=True)
class ItemError:
    index: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"index": self.index, "reason": self.reason}


def _to_stream(fix: FixIn, ts: float, device: LiveDevice) -> StreamFix:
    return StreamFix(
        staff=device.staff_id,
        grid=device.grid_id,
        lat=fix.lat,
        lon=fix.lon,
        ts=ts,
        speed=fix.speed,
        heading=fix.heading,
        accuracy=fix.accuracy,
        battery=fix.battery,
        device=device.device_id,
    )


def validate_fixes(
    fixes: list[FixIn], device: LiveDevice, now: float, limits: IngestLimits
) -> tuple[list[StreamFix], list[ItemError]]:
    """Like ``validate_items`` for items already decoded (``decode_valid_batch``).

    The hot path of ingest: a fix with a float time inside the window and no
    foreign ``device_id`` is accepted inline; any other goes through the same
    checks, in the same order, as ``validate_items``, so reasons are identical.
    """
    good: list[StreamFix] = []
    bad: list[ItemError] = []
    append = good.append
    staff, grid, device_id, identifier = (
        device.staff_id,
        device.grid_id,
        device.device_id,
        device.identifier,
    )
    earliest = now - limits.max_age_s
    latest = now + limits.max_future_s
    for index, fix in enumerate(fixes):
        ts = fix.ts
        if (
            type(ts) is float
            and earliest <= ts <= latest
            and (fix.device_id is None or fix.device_id == identifier)
        ):
            append(
                StreamFix(
                    staff,
                    grid,
                    fix.lat,
                    fix.lon,
                    ts,
                    fix.speed,
                    fix.heading,
                    fix.accuracy,
                    fix.battery,
                    device_id,
                )
            )
            continue
        try:
            ts = _judge(fix, device, now, limits)
        except FixError as exc:
            bad.append(ItemError(index, str(exc)))
            continue
        append(_to_stream(fix, ts, device))
    return good, bad


def _judge(fix: FixIn, device: LiveDevice, now: float, limits: IngestLimits) -> float:
    """The checks after the schema: whose fix it is and when it was taken."""
    if fix.device_id is not None and fix.device_id != device.identifier:
        raise FixError(
            f"device_id: {fix.device_id!r} does not match the token's device {device.identifier!r}"
        )
    ts = fix_timestamp(fix)
    check_time(ts, now, limits.max_future_s, limits.max_age_s)
    return ts


def validate_items(
    raw_items: list[msgspec.Raw], device: LiveDevice, now: float, limits: IngestLimits
) -> tuple[list[StreamFix], list[ItemError]]:
    """Judge each item of a batch sent with ``device``'s token."""
    good: list[StreamFix] = []
    bad: list[ItemError] = []
    for index, raw in enumerate(raw_items):
        try:
            fix = decode_fix(raw)
            ts = _judge(fix, device, now, limits)
        except FixError as exc:
            bad.append(ItemError(index, str(exc)))
            continue
        good.append(_to_stream(fix, ts, device))
    return good, bad


# --- OsmAnd / Traccar Client ------------------------------------------------

KNOT_MS = 0.514444


def _number(params: Mapping[str, object], *names: str) -> float | None:
    for name in names:
        value = params.get(name)
        if value is None or value == "":
            continue
        try:
            if not isinstance(value, str | int | float):  # JSON lists, objects
                raise TypeError(value)
            number = float(value)
        except (TypeError, ValueError):
            raise FixError(f"{name}: {value!r} is not a number") from None
        if not math.isfinite(number):
            raise FixError(f"{name}: not a finite number")
        return number
    return None


def _osmand_time(value: object, now: float) -> float:
    """OsmAnd sends Unix seconds, Unix milliseconds or an ISO date-time."""
    if value is None or value == "":
        return now
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        number = float(value)
        return number / 1000.0 if number > 1e11 else number
    if isinstance(value, str):
        text = value.strip().upper().replace(" ", "T")
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FixError(f"timestamp: {value!r} is not a time") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
    raise FixError(f"timestamp: {value!r} is not a time")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class OsmandFix:
    identifier: str
    fix: FixIn


def parse_osmand_query(params: Mapping[str, str], now: float) -> OsmandFix:
    """The classic query-string form (speed in knots, as Traccar reads it)."""
    identifier = (params.get("id") or params.get("deviceid") or "").strip()
    if not identifier:
        raise FixError("id: missing device identifier")
    lat = _number(params, "lat")
    lon = _number(params, "lon")
    if lat is None or lon is None:
        raise FixError("lat/lon: both are required")
    speed_kn = _number(params, "speed")
    fix = _checked_fix(
        lat=lat,
        lon=lon,
        ts=_osmand_time(params.get("timestamp"), now),
        speed=None if speed_kn is None else speed_kn * KNOT_MS,
        heading=_number(params, "bearing", "heading"),
        accuracy=_number(params, "accuracy"),
        battery=_number(params, "batt"),
    )
    return OsmandFix(identifier, fix)


def parse_osmand_json(body: object, now: float) -> OsmandFix:
    """The JSON body Traccar Client 9 sends: ``{"device_id", "location": {...}}``."""
    if not isinstance(body, dict):
        raise FixError("body: expected a JSON object")
    identifier = str(body.get("device_id") or "").strip()
    if not identifier:
        raise FixError("device_id: missing device identifier")
    location = body.get("location")
    if not isinstance(location, dict) or not isinstance(location.get("coords"), dict):
        raise FixError("location.coords: missing")
    coords = location["coords"]
    lat = _number(coords, "latitude")
    lon = _number(coords, "longitude")
    if lat is None or lon is None:
        raise FixError("location.coords: latitude and longitude are required")
    battery = location.get("battery")
    level = _number(battery, "level") if isinstance(battery, dict) else None
    fix = _checked_fix(
        lat=lat,
        lon=lon,
        ts=_osmand_time(location.get("timestamp"), now),
        speed=_positive_or_none(_number(coords, "speed")),
        heading=_positive_or_none(_number(coords, "heading")),
        accuracy=_positive_or_none(_number(coords, "accuracy")),
        battery=None if level is None or level < 0 else min(level * 100.0, 100.0),
    )
    return OsmandFix(identifier, fix)


def _positive_or_none(value: float | None) -> float | None:
    """Phones report -1 for "unknown" speed/heading."""
    return None if value is None or value < 0 else value


_fix_roundtrip = msgspec.json.Encoder()


def _checked_fix(**fields: object) -> FixIn:
    """Run the same range rules as the batch endpoint."""
    clean = {k: v for k, v in fields.items() if v is not None}
    return decode_fix(_fix_roundtrip.encode(clean))


def osmand_to_stream(
    parsed: OsmandFix, device: LiveDevice, now: float, limits: IngestLimits
) -> StreamFix:
    ts = fix_timestamp(parsed.fix)
    check_time(ts, now, limits.max_future_s, limits.max_age_s)
    return _to_stream(parsed.fix, ts, device)
