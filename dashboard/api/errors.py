"""JSON error answers for the HTTP API: a code, a message, never an HTML page or a 500."""

from __future__ import annotations

import msgspec
from flask import Flask, Response, jsonify, request
from werkzeug.routing import Map, Rule

from dashboard.api.schemas import Error, GeoReportError


def api_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    """The API's error answer (``schemas.Error``); ``fields`` names each bad field on 422."""
    body = Error(error=code, message=message, fields=msgspec.UNSET if fields is None else fields)
    response = jsonify(msgspec.to_builtins(body))
    response.status_code = status
    return response


def redis_unavailable() -> Response:
    response = api_error(503, "unavailable", "实时数据服务暂不可用，请稍后重试 (Redis unreachable)")
    response.headers["Retry-After"] = "5"
    return response


#: paths that belong to the HTTP API (machine callers), never to Dash's pages
API_PREFIXES = ("/api/", "/osmand", "/open311/")
#: blueprints whose routes are the HTTP API the OpenAPI document describes
API_BLUEPRINTS = frozenset({"api_positions", "api_events", "api_sms", "open311", "openapi"})


def install_api_method_guard(server: Flask) -> None:
    """API paths answer only the methods their routes have: 405 with ``Allow``, or 404.

    Without it Dash's catch-all page route answered ``GET /api/v1/positions`` with
    200 and HTML, ``OPTIONS`` advertised that GET, a 405 lacked ``Allow`` and the
    Open311 fallback turned ``PUT`` on a real path into a 404.
    """
    rules = [r for r in server.url_map.iter_rules() if r.endpoint.split(".")[0] in API_BLUEPRINTS]
    api_map = Map(
        [Rule(r.rule, endpoint=r.endpoint, methods=r.methods) for r in rules],
        converters=server.url_map.converters,
    )
    server.before_request(lambda: _only_api_methods(api_map))


def _only_api_methods(api_map: Map) -> Response | None:
    path = request.path
    if not path.startswith(API_PREFIXES):
        return None
    rule = request.url_rule
    own = rule is not None and rule.endpoint.split(".")[0] in API_BLUEPRINTS
    if own and request.method != "OPTIONS":
        return None
    adapter = api_map.bind("localhost")
    allowed = sorted(adapter.allowed_methods(path))
    if not allowed:
        return _not_found(path)
    if request.method == "OPTIONS":
        response = Response(status=200)
    else:
        response = _error_for(path, 405, "method_not_allowed", _not_allowed(allowed))
    response.headers["Allow"] = ", ".join(allowed)
    return response


def _not_allowed(allowed: list[str]) -> str:
    return f"{request.method} 不适用于此接口，可用方法：{', '.join(allowed)}"


def _not_found(path: str) -> Response:
    return _error_for(path, 404, "not_found", f"没有 {path[:120]} 这个接口")


def _error_for(path: str, status: int, code: str, message: str) -> Response:
    """The API's error format, or GeoReport's list under /open311/."""
    if path.startswith("/open311/"):
        response = jsonify(msgspec.to_builtins([GeoReportError(code=status, description=message)]))
        response.status_code = status
        return response
    return api_error(status, code, message)
