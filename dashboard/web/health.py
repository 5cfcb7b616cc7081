"""``/healthz``: what is up and what is down, for load balancers and operators.

It answers 200 only when Redis and the database answer and every background loop of
this process beats and is not failing; otherwise 503 with the part that is down named,
so a dead SMS sender or a stuck bridge is visible at once instead of behind an "ok".
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from dashboard.services import Services
from streams.loops import Heartbeats


def _check(probe: Any) -> dict[str, Any]:
    try:
        probe()
    except Exception as exc:  # any failure is an answer here, never a 500
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True}


def health_report(services: Services, heartbeats: Heartbeats) -> tuple[dict[str, Any], bool]:
    """The health document and whether everything is up."""

    def ping_database() -> None:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    redis_state = _check(services.redis.ping)
    database_state = _check(ping_database)
    loops = heartbeats.report()
    down = [
        name
        for name, state in (("redis", redis_state), ("database", database_state))
        if not state["ok"]
    ]
    down += [f"loop:{name}" for name in heartbeats.unhealthy()]
    document = {
        "status": "ok" if not down else "down",
        "down": down,
        "redis": redis_state,
        "database": database_state,
        "loops": loops,
    }
    return document, not down


def health_blueprint(services: Services, heartbeats: Heartbeats) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> tuple[Response, int]:
        document, healthy = health_report(services, heartbeats)
        return jsonify(document), 200 if healthy else 503

    return bp
