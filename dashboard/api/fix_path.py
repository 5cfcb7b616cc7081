"""The path of a fix, in one place: each endpoint's ordered list of named steps.

Like Traccar's ``ProcessingHandler`` pipeline, a request becomes one record that
travels down a tuple of steps; each step fills in what it is for, or refuses the
request with the HTTP answer (status, code, message), and the path stops there.

``POST /api/v1/positions`` (``BATCH_PATH``) and ``/osmand`` (``OSMAND_PATH``):

1. decode   — the body into fixes (``streams/codec.py``; OsmAnd's query and JSON
               forms in ``dashboard/api/ingest.py``); a malformed body or a batch
               over ``max_batch_items`` is refused before any Redis call.
2. resolve  — who sent it: token (or OsmAnd identifier) → device → staff, grid
               (``streams/device_registry.py``).
3. validate — each fix judged on its own (``dashboard/api/ingest.py``): whose it
               is and when it was taken; a bad item is named, never loses the others.
               Accepted fixes become ``StreamFix``es stamped with staff and grid.
4. append   — one script call XADDs the batch (``streams/positions.py``).

Resolve comes before validate because an item naming another device is refused
with the token's device in its reason: validation needs to know the device.
Steps do no HTTP: ``dashboard/api/positions.py`` reads the request into a record,
runs the path and turns a refusal or the outcome into the answer. Redis errors
propagate to it (a 503), as no step can do anything useful about them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec
import redis

from dashboard.api.device_auth import UNKNOWN_TOKEN
from dashboard.api.ingest import (
    IngestLimits,
    ItemError,
    OsmandFix,
    osmand_to_stream,
    parse_osmand_json,
    parse_osmand_query,
    validate_fixes,
    validate_items,
)
from dashboard.api.request_input import BadBody
from data.devices import hash_token
from streams import device_registry
from streams.codec import FixError, FixIn, StreamFix, decode_batch, decode_valid_batch
from streams.device_registry import LiveDevice
from streams.positions import append_fixes


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was turned away, as its HTTP answer."""

    status: int
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FixPathConfig:
    """What every step may use: the Redis client and the deployment's limits."""

    redis: redis.Redis
    limits: IngestLimits
    max_batch_items: int
    retention_s: int


@dataclass(slots=True)
class BatchReport:
    """One ``POST /api/v1/positions``: the token and body in, accepted fixes and errors out."""

    token: str
    body: bytes
    #: every item, when the whole batch passed the schema in one C pass (the common case)
    items: list[FixIn] | None = None
    #: otherwise the raw items, each decoded and named alone by ``validate``
    raw_items: list[msgspec.Raw] = field(default_factory=list)
    device: LiveDevice | None = None
    now: float = 0.0
    accepted: list[StreamFix] = field(default_factory=list)
    rejected: list[ItemError] = field(default_factory=list)

    def answer(self) -> tuple[dict[str, object], int]:
        """The JSON answer and its status: 422 when nothing of a batch with errors was kept."""
        payload: dict[str, object] = {
            "accepted": len(self.accepted),
            "rejected": len(self.rejected),
            "errors": [e.as_dict() for e in self.rejected],
        }
        return payload, 422 if self.rejected and not self.accepted else 200


@dataclass(slots=True)
class OsmandReport:
    """One OsmAnd / Traccar Client request: query string or JSON body, one fix."""

    is_json: bool
    read_json: Callable[[], object]
    read_params: Callable[[], Mapping[str, str]]
    now: float = field(default_factory=time.time)
    parsed: OsmandFix | None = None
    device: LiveDevice | None = None
    accepted: list[StreamFix] = field(default_factory=list)


def _bad_request(message: str) -> Refusal:
    return Refusal(400, "bad_request", message)


# --- POST /api/v1/positions ---------------------------------------------------


def decode_batch_body(config: FixPathConfig, batch: BatchReport) -> Refusal | None:
    """Fast path: the whole batch in one C pass; else item by item, so each bad one is named."""
    batch.items = decode_valid_batch(batch.body)
    if batch.items is None:
        try:
            batch.raw_items = decode_batch(batch.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return _bad_request(f'请求体不是合法的定位批次 (expected {{"fixes": [...]}}): {exc}')
    count = len(batch.raw_items) if batch.items is None else len(batch.items)
    if count > config.max_batch_items:
        return Refusal(
            413, "too_many_items", f"一批最多 {config.max_batch_items} 条，实际 {count} 条"
        )
    return None


def resolve_token(config: FixPathConfig, batch: BatchReport) -> Refusal | None:
    """The device the bearer token belongs to (and so its staff member and grid)."""
    batch.device = device_registry.by_token_hash(config.redis, hash_token(batch.token))
    if batch.device is None:
        return Refusal(401, "unauthorized", UNKNOWN_TOKEN)
    return None


def validate_batch(config: FixPathConfig, batch: BatchReport) -> Refusal | None:
    """Judge every item; a batch never fails as a whole here (``answer`` says 200 or 422)."""
    assert batch.device is not None, "resolve runs first"
    batch.now = time.time()
    if batch.items is None:
        judged = validate_items(batch.raw_items, batch.device, batch.now, config.limits)
    else:
        judged = validate_fixes(batch.items, batch.device, batch.now, config.limits)
    batch.accepted, batch.rejected = judged
    return None


def append_batch(config: FixPathConfig, batch: BatchReport) -> Refusal | None:
    append_fixes(config.redis, batch.accepted, config.retention_s, batch.now)
    return None


# --- /osmand ---------------------------------------------------------------------


def decode_osmand(config: FixPathConfig, report: OsmandReport) -> Refusal | None:
    """Traccar Client 9's JSON body or the classic query string (form fields count too)."""
    try:
        if report.is_json:
            report.parsed = parse_osmand_json(report.read_json(), report.now)
        else:
            report.parsed = parse_osmand_query(report.read_params(), report.now)
    except (FixError, BadBody) as exc:
        return _bad_request(str(exc))
    return None


def resolve_identifier(config: FixPathConfig, report: OsmandReport) -> Refusal | None:
    """OsmAnd has no token: the registered, unrevoked device identifier is the credential."""
    assert report.parsed is not None, "decode runs first"
    identifier = report.parsed.identifier
    report.device = device_registry.by_identifier(config.redis, identifier)
    if report.device is None:
        return Refusal(403, "forbidden", f"设备 {identifier!r} 未登记或已注销 (unknown device)")
    return None


def validate_osmand(config: FixPathConfig, report: OsmandReport) -> Refusal | None:
    """The one fix's time window (the ranges were checked when it was decoded)."""
    assert report.parsed is not None and report.device is not None, "decode, resolve run first"
    try:
        fix = osmand_to_stream(report.parsed, report.device, report.now, config.limits)
    except FixError as exc:
        return _bad_request(str(exc))
    report.accepted = [fix]
    return None


def append_osmand(config: FixPathConfig, report: OsmandReport) -> Refusal | None:
    append_fixes(config.redis, report.accepted, config.retention_s, report.now)
    return None


# --- the paths -------------------------------------------------------------------

Report = TypeVar("Report", BatchReport, OsmandReport)
Step = Callable[[FixPathConfig, Report], Refusal | None]

BATCH_PATH: tuple[Step[BatchReport], ...] = (
    decode_batch_body,
    resolve_token,
    validate_batch,
    append_batch,
)
OSMAND_PATH: tuple[Step[OsmandReport], ...] = (
    decode_osmand,
    resolve_identifier,
    validate_osmand,
    append_osmand,
)


def run_path(
    steps: Sequence[Step[Report]], config: FixPathConfig, report: Report
) -> Refusal | None:
    """Run the steps in order; the first refusal ends the path and is returned."""
    for step in steps:
        refusal = step(config, report)
        if refusal is not None:
            return refusal
    return None
