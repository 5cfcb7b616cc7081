"""``/api/v1/positions`` and ``/osmand``: how terminals report where they are."""

from __future__ import annotations

import time

import msgspec
import redis
from flask import Blueprint, Response, jsonify, request

from dashboard.api.device_auth import bearer_token
from dashboard.api.errors import api_error, redis_unavailable
from dashboard.api.ingest import (
    IngestLimits,
    osmand_to_stream,
    parse_osmand_json,
    parse_osmand_query,
    validate_fixes,
    validate_items,
)
from dashboard.api.request_input import BadBody, request_json
from dashboard.services import Services
from data.devices import hash_token
from streams import device_registry
from streams.codec import FixError, decode_batch, decode_valid_batch
from streams.positions import append_fixes


def positions_blueprint(services: Services) -> Blueprint:
    bp = Blueprint("api_positions", __name__)
    settings = services.settings
    limits = IngestLimits(settings.max_future_skew_s, settings.max_fix_age_s)
    r = services.redis

    @bp.post("/api/v1/positions")
    def post_positions() -> Response | tuple[Response, int]:
        token = bearer_token()
        if token is None:
            return api_error(401, "unauthorized", "缺少设备令牌 (missing Bearer token)")
        body = request.get_data(cache=False)
        # Fast path: the whole batch decoded in one C pass when every item is
        # well-formed; otherwise item by item, so each bad one is named alone.
        valid_items = decode_valid_batch(body)
        raw_items: list[msgspec.Raw] = []
        if valid_items is None:
            try:
                raw_items = decode_batch(body)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                return api_error(
                    400,
                    "bad_request",
                    f'请求体不是合法的定位批次 (expected {{"fixes": [...]}}): {exc}',
                )
        count = len(raw_items) if valid_items is None else len(valid_items)
        if count > settings.max_batch_items:
            return api_error(
                413,
                "too_many_items",
                f"一批最多 {settings.max_batch_items} 条，实际 {count} 条",
            )
        try:
            device = device_registry.by_token_hash(r, hash_token(token))
            if device is None:
                return api_error(401, "unauthorized", "设备令牌无效或已注销 (unknown or revoked)")
            now = time.time()
            if valid_items is None:
                good, bad = validate_items(raw_items, device, now, limits)
            else:
                good, bad = validate_fixes(valid_items, device, now, limits)
            append_fixes(r, good, settings.position_retention_s, now)
        except (redis.ConnectionError, redis.TimeoutError):
            return redis_unavailable()
        payload = {
            "accepted": len(good),
            "rejected": len(bad),
            "errors": [e.as_dict() for e in bad],
        }
        status = 422 if bad and not good else 200
        return jsonify(payload), status

    @bp.route("/osmand", methods=["GET", "POST"])
    @bp.route("/osmand/", methods=["GET", "POST"])
    def osmand() -> Response | tuple[Response, int]:
        now = time.time()
        try:
            if request.is_json:
                parsed = parse_osmand_json(request_json(), now)
            else:
                params = {**request.form.to_dict(), **request.args.to_dict()}
                parsed = parse_osmand_query(params, now)
        except (FixError, BadBody) as exc:
            return api_error(400, "bad_request", str(exc))
        try:
            device = device_registry.by_identifier(r, parsed.identifier)
            if device is None:
                return api_error(
                    403, "forbidden", f"设备 {parsed.identifier!r} 未登记或已注销 (unknown device)"
                )
            try:
                fix = osmand_to_stream(parsed, device, now, limits)
            except FixError as exc:
                return api_error(400, "bad_request", str(exc))
            append_fixes(r, [fix], settings.position_retention_s, now)
        except (redis.ConnectionError, redis.TimeoutError):
            return redis_unavailable()
        return jsonify({"accepted": 1}), 200

    return bp
