"""Audit rows for what a logged-in user did, so every call site records the same facts."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from dashboard.auth.current import SessionUser
from data import audit
from data.models import AuditLog


def record_action(db: Session, who: SessionUser, action: str, **fields: Any) -> AuditLog:
    """One row in the caller's transaction: who, what, and (by default) from where."""
    if "address" not in fields and has_request_context():
        fields["address"] = request.remote_addr
    return audit.record(db, actor=who.username, actor_id=who.id, action=action, **fields)
