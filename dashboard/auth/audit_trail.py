"""Audit rows for what a logged-in user did, so every call site records the same facts."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from dashboard.auth.current import SessionUser
from data import audit
from data.models import AuditLog

scope_log = logging.getLogger("gridwatch.scope")


def record_action(db: Session, who: SessionUser, action: str, **fields: Any) -> AuditLog:
    """One row in the caller's transaction: who, what, and (by default) from where."""
    if "address" not in fields and has_request_context():
        fields["address"] = request.remote_addr
    return audit.record(db, actor=who.username, actor_id=who.id, action=action, **fields)


def record_refused_reveal(
    db: Session,
    who: SessionUser,
    action: str,
    target_type: str,
    target_id: Any,
    address: str,
    reason: str,
) -> AuditLog:
    """A refused reveal of personal data: a ``gridwatch.scope`` warning and a ``denied``
    audit row at the asker's node (the target may not exist or lie outside the scope)."""
    scope_log.warning(
        "scope: user %s refused %s of %s %s (%s, node %s)",
        who.username,
        action,
        target_type,
        target_id,
        reason,
        who.node_id,
    )
    return record_action(
        db,
        who,
        action,
        target_type=target_type,
        target_id=target_id if isinstance(target_id, int) else None,
        node_id=who.node_id,
        address=address,
        outcome="denied",
        detail={"reason": reason},
    )
