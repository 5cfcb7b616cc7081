"""Wire formats of fixes: what terminals send and what the position stream carries.

msgspec decodes and validates in C, which is what lets one process accept a
six-figure number of fixes per second; pydantic would cost ~10x more here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

import msgspec

Lat = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
Lon = Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
NonNeg = Annotated[float, msgspec.Meta(ge=0.0)]
Heading = Annotated[float, msgspec.Meta(ge=0.0, le=360.0)]
Percent = Annotated[float, msgspec.Meta(ge=0.0, le=100.0)]
DeviceId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class FixIn(msgspec.Struct, forbid_unknown_fields=False):
    """One fix as a terminal sends it in a batch.

    ``ts`` is Unix seconds or an RFC 3339 string with a time zone.
    """

    lat: Lat
    lon: Lon
    ts: float | dt.datetime
    device_id: DeviceId | None = None
    speed: NonNeg | None = None
    heading: Heading | None = None
    accuracy: NonNeg | None = None
    battery: Percent | None = None


class BatchIn(msgspec.Struct):
    fixes: list[msgspec.Raw]


class _ValidBatchIn(msgspec.Struct):
    """The same body with every item decoded in one C pass (the common, all-valid case)."""

    fixes: list[FixIn]


class StreamFix(msgspec.Struct, array_like=True, omit_defaults=False):
    """A fix as stored in the position stream: compact and self-describing enough.

    ``staff`` and ``grid`` are resolved at ingest from the device registry so
    that consumers and the browser bridge need no database lookup per fix.
    """

    staff: int
    grid: int
    lat: float
    lon: float
    ts: float
    speed: float | None
    heading: float | None
    accuracy: float | None
    battery: float | None
    device: int


_fix_decoder = msgspec.json.Decoder(FixIn)
_batch_decoder = msgspec.json.Decoder(BatchIn)
_valid_batch_decoder = msgspec.json.Decoder(_ValidBatchIn)
_stream_encoder = msgspec.json.Encoder()
_stream_decoder = msgspec.json.Decoder(StreamFix)


class FixError(ValueError):
    """A fix that cannot be accepted; the message names what is wrong."""


#: what a body nested past the decoder's recursion limit is told (msgspec raises
#: RecursionError there, which is no DecodeError and used to become a 500)
TOO_DEEP = "JSON 嵌套过深 (nested too deeply)"


def decode_batch(body: bytes) -> list[msgspec.Raw]:
    """Split a batch body into raw items; raises msgspec.ValidationError/DecodeError."""
    try:
        return _batch_decoder.decode(body).fixes
    except RecursionError:
        raise msgspec.DecodeError(TOO_DEEP) from None


def decode_valid_batch(body: bytes) -> list[FixIn] | None:
    """Every item of a batch when all pass the schema; None when any fails (or the body does).

    One C call instead of one per item. On None, callers fall back to
    ``decode_batch`` + ``decode_fix``, which judge and name each item alone, so
    the answer for a batch with bad items is the same as without this shortcut.
    """
    try:
        return _valid_batch_decoder.decode(body).fixes
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


def decode_fix(raw: bytes | msgspec.Raw) -> FixIn:
    try:
        return _fix_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise FixError(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise FixError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise FixError(TOO_DEEP) from None


def fix_timestamp(fix: FixIn) -> float:
    ts = fix.ts
    if isinstance(ts, dt.datetime):
        if ts.tzinfo is None:
            raise FixError("ts: a date-time needs a time zone (e.g. 2026-11-29T08:00:00+08:00)")
        return ts.timestamp()
    if not math.isfinite(ts):
        raise FixError("ts: not a finite number")
    return float(ts)


def check_time(ts: float, now: float, max_future_s: float, max_age_s: float) -> None:
    if ts > now + max_future_s:
        raise FixError(f"ts: {ts:.0f} is {ts - now:.0f} s in the future")
    if ts < now - max_age_s:
        raise FixError(f"ts: {ts:.0f} is older than {max_age_s:.0f} s")


def encode_stream_fix(fix: StreamFix) -> bytes:
    return _stream_encoder.encode(fix)


def decode_stream_fix(payload: bytes) -> StreamFix:
    return _stream_decoder.decode(payload)
