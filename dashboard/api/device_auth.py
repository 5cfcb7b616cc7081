"""Credentials of machine callers: terminals' bearer tokens and the SMS gateway's token."""

from __future__ import annotations

import secrets

from flask import request

from dashboard.settings import Settings

GATEWAY_TOKEN_HEADER = "X-Gridwatch-Token"


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
