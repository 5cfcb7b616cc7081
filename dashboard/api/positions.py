"""``/api/v1/positions`` and ``/osmand``: how terminals report where they are.

Only HTTP lives here: each route reads its request into a report, runs its path
(``dashboard/api/fix_path.py``, where the steps are listed in order) and turns a
refusal or the outcome into the answer.
"""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify, request

from dashboard.api.device_auth import MISSING_TOKEN, bearer_token
from dashboard.api.errors import api_error, redis_unavailable
from dashboard.api.fix_path import (
    BATCH_PATH,
    OSMAND_PATH,
    BatchReport,
    FixPathConfig,
    OsmandReport,
    Refusal,
    run_path,
)
from dashboard.api.ingest import IngestLimits
from dashboard.api.request_input import request_json
from dashboard.services import Services

_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


def _refused(refusal: Refusal) -> Response:
    return api_error(refusal.status, refusal.code, refusal.message)


def _form_and_query() -> dict[str, str]:
    """OsmAnd's fields, from the query string or a form body (the query wins)."""
    return {**request.form.to_dict(), **request.args.to_dict()}


def positions_blueprint(services: Services) -> Blueprint:
    bp = Blueprint("api_positions", __name__)
    settings = services.settings
    config = FixPathConfig(
        redis=services.redis,
        limits=IngestLimits(settings.max_future_skew_s, settings.max_fix_age_s),
        max_batch_items=settings.max_batch_items,
        retention_s=settings.position_retention_s,
    )

    @bp.post("/api/v1/positions")
    def post_positions() -> Response | tuple[Response, int]:
        token = bearer_token()
        if token is None:  # before the body is read: no credentials, no work
            return api_error(401, "unauthorized", MISSING_TOKEN)
        batch = BatchReport(token=token, body=request.get_data(cache=False))
        try:
            refusal = run_path(BATCH_PATH, config, batch)
        except _REDIS_DOWN:
            return redis_unavailable()
        if refusal is not None:
            return _refused(refusal)
        payload, status = batch.answer()
        return jsonify(payload), status

    @bp.route("/osmand", methods=["GET", "POST"])
    @bp.route("/osmand/", methods=["GET", "POST"])
    def osmand() -> Response | tuple[Response, int]:
        report = OsmandReport(
            is_json=request.is_json, read_json=request_json, read_params=_form_and_query
        )
        try:
            refusal = run_path(OSMAND_PATH, config, report)
        except _REDIS_DOWN:
            return redis_unavailable()
        if refusal is not None:
            return _refused(refusal)
        return jsonify({"accepted": 1}), 200

    return bp
