"""The audit log as admins read it: scoped search, Chinese labels, personal data masked.

The page (callbacks/admin_audit.py) and the CSV export (dashboard/api/exports.py)
both go through :func:`search`, so they always show the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dashboard.display_time import display_day_start, display_time
from data.audit import AUDIT_ACTION_LABELS, search_in_scope
from data.masking import mask_text
from data.models import AuditLog
from data.timezones import SECONDS

MAX_ROWS = 500
MAX_EXPORT_ROWS = 50_000

OUTCOME_LABELS = {"ok": "成功", "denied": "拒绝", "locked": "锁定"}
TARGET_LABELS = {
    "user": "用户",
    "resident": "居民",
    "incident": "事件",
    "device": "终端",
    "org_node": "组织节点",
    "audit_log": "审计日志",
    "alert": "预警",
    "sms_batch": "短信",
    "sms_template": "短信模板",
    "sms_group": "用户分组",
    "sms_delivery": "短信记录",
}


@dataclass(frozen=True)
class AuditQuery:
    actor: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive

    def as_params(self) -> dict[str, str]:
        params = {"actor": self.actor, "action": self.action}
        params["since"] = self.since.isoformat() if self.since else ""
        params["until"] = self.until.isoformat() if self.until else ""
        return {k: v for k, v in params.items() if v}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    action_label: str
    target: str
    node: str
    address: str
    outcome: str
    detail: str


def _date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_query(args: Mapping[str, object]) -> AuditQuery:
    """From URL parameters or page inputs; anything malformed is simply left out."""
    actor = args.get("actor")
    action = args.get("action")
    return AuditQuery(
        actor=actor.strip()[:64] if isinstance(actor, str) else "",
        action=action.strip()[:48] if isinstance(action, str) else "",
        since=_date(args.get("since")),
        until=_date(args.get("until")),
    )


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the display zone (never the server's own zone)."""
    return display_day_start(day)


def _local(moment: dt.datetime) -> str:
    return display_time(moment, SECONDS)


def entry(row: AuditLog, node_name: str | None) -> AuditEntry:
    target = ""
    if row.target_type:
        kind = TARGET_LABELS.get(row.target_type, row.target_type)
        target = f"{kind} #{row.target_id}" if row.target_id else kind
    detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True) if row.detail else ""
    return AuditEntry(
        id=row.id,
        at=_local(row.at),
        actor=mask_text(row.actor),
        action=row.action,
        action_label=AUDIT_ACTION_LABELS.get(row.action, row.action),
        target=mask_text(target),
        node=node_name or ("—" if row.node_id is None else str(row.node_id)),
        address=row.address or "",
        outcome=OUTCOME_LABELS.get(row.outcome, row.outcome),
        detail=mask_text(detail),
    )


def search(
    db: Session, *, path: str, is_city: bool, query: AuditQuery, limit: int = MAX_ROWS
) -> list[AuditEntry]:
    rows = search_in_scope(
        db,
        path=path,
        include_unscoped=is_city,
        actor=query.actor or None,
        action=query.action or None,
        since=_start_of(query.since) if query.since else None,
        until=_start_of(query.until + dt.timedelta(days=1)) if query.until else None,
        limit=limit,
    )
    return [entry(row, node_name) for row, node_name in rows]
