"""The live copy of the device table in Redis, read on every ingest request.

SQL stays the record; this mirror lets every server process authenticate a
terminal with one HGET, and makes a revocation effective everywhere at once.
"""

from __future__ import annotations

import msgspec
import redis
from redis.typing import EncodableT, FieldT

from data.devices import DeviceInfo
from streams.keys import DEVICE_BY_IDENTIFIER, DEVICE_BY_TOKEN


class LiveDevice(msgspec.Struct, array_like=True):
    device_id: int
    identifier: str
    staff_id: int
    grid_id: int


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(LiveDevice)


def _live(info: DeviceInfo) -> bytes:
    return _encoder.encode(LiveDevice(info.device_id, info.identifier, info.staff_id, info.grid_id))


def publish(r: redis.Redis, info: DeviceInfo, old_token_hash: str | None = None) -> None:
    pipe = r.pipeline(transaction=True)
    if old_token_hash:
        pipe.hdel(DEVICE_BY_TOKEN, old_token_hash)
    if info.active:
        payload = _live(info)
        pipe.hset(DEVICE_BY_TOKEN, info.token_hash, payload)
        pipe.hset(DEVICE_BY_IDENTIFIER, info.identifier, payload)
    else:
        pipe.hdel(DEVICE_BY_TOKEN, info.token_hash)
        pipe.hdel(DEVICE_BY_IDENTIFIER, info.identifier)
    pipe.execute()


def sync_all(r: redis.Redis, devices: list[DeviceInfo]) -> None:
    """Replace the mirror with the given active devices (at start-up)."""
    pipe = r.pipeline(transaction=True)
    pipe.delete(DEVICE_BY_TOKEN, DEVICE_BY_IDENTIFIER)
    for start in range(0, len(devices), 5000):
        chunk = devices[start : start + 5000]
        by_token: dict[FieldT, EncodableT] = {d.token_hash: _live(d) for d in chunk if d.active}
        by_ident: dict[FieldT, EncodableT] = {d.identifier: _live(d) for d in chunk if d.active}
        if by_token:
            pipe.hset(DEVICE_BY_TOKEN, mapping=by_token)
            pipe.hset(DEVICE_BY_IDENTIFIER, mapping=by_ident)
    pipe.execute()


def by_token_hash(r: redis.Redis, token_hash: str) -> LiveDevice | None:
    raw = r.hget(DEVICE_BY_TOKEN, token_hash)
    return _decoder.decode(raw) if raw else None


def by_identifier(r: redis.Redis, identifier: str) -> LiveDevice | None:
    raw = r.hget(DEVICE_BY_IDENTIFIER, identifier)
    return _decoder.decode(raw) if raw else None


def by_identifiers(r: redis.Redis, identifiers: list[str]) -> dict[str, LiveDevice]:
    if not identifiers:
        return {}
    raws = r.hmget(DEVICE_BY_IDENTIFIER, identifiers)
    return {i: _decoder.decode(raw) for i, raw in zip(identifiers, raws, strict=True) if raw}
