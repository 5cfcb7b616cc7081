"""Credentials of machine callers: terminals' bearer tokens and the SMS gateway's token."""

from __future__ import annotations

import secrets

import redis
from flask import Response, request
from sqlalchemy import select

from dashboard.api.errors import api_error, redis_unavailable
from dashboard.services import Services
from dashboard.settings import Settings
from data.devices import hash_token
from data.models import OrgNode, Staff
from streams import device_registry

GATEWAY_TOKEN_HEADER = "X-Gridwatch-Token"
#: what a terminal without a usable token is told, by every endpoint it calls (401)
MISSING_TOKEN = "缺少设备令牌 (missing Bearer token)"
UNKNOWN_TOKEN = "设备令牌无效或已注销 (unknown or revoked)"


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def gateway_token_ok(settings: Settings) -> bool:
    """True when the webhook token is configured and the request carries it."""
    expected = settings.sms_webhook_token
    given = request.headers.get(GATEWAY_TOKEN_HEADER, "")
    return bool(expected) and secrets.compare_digest(given, expected)


def device_staff(services: Services) -> tuple[Staff, OrgNode] | Response:
    """The staff member whose terminal sent this request, and their grid; or the answer.

    The token is looked up in Redis (the device registry), the staff member in SQL:
    a token of a staff member deleted since is a 403, not a report nobody owns.
    """
    token = bearer_token()
    if token is None:
        return api_error(401, "unauthorized", MISSING_TOKEN)
    try:
        device = device_registry.by_token_hash(services.redis, hash_token(token))
    except (redis.ConnectionError, redis.TimeoutError):
        return redis_unavailable()
    if device is None:
        return api_error(401, "unauthorized", UNKNOWN_TOKEN)
    with services.sessions() as session:
        row = session.execute(
            select(Staff, OrgNode)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(Staff.id == device.staff_id)
        ).first()
        if row is None:
            return api_error(403, "forbidden", "终端所属人员不存在")
        session.expunge_all()
        return row[0], row[1]
