"""JSON error answers for the HTTP API: a code, a message, never an HTML page or a 500."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def api_error(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def redis_unavailable() -> Response:
    response = api_error(503, "unavailable", "实时数据服务暂不可用，请稍后重试 (Redis unreachable)")
    response.headers["Retry-After"] = "5"
    return response
