"""Writing and reading the audit log (PIPL arts. 51, 56): who, what, which, when, where."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import DateTime, delete, func, or_, select
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.models import AuditLog, OrgNode

#: the shortest retention the law allows (PIPL art. 56: three years); the database's
#: trigger (migration 0007) refuses deleting any younger row, whoever asks
LEGAL_MINIMUM_DAYS = 3 * 365

#: what each audited action is called on /admin/audit and in its export
AUDIT_ACTION_LABELS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出",
    "session_expired": "会话超时",
    "reveal_personal_data": "查看完整个人信息",
    "incident_reveal": "查看事件原文",
    "export_residents": "导出居民信息",
    "export_audit": "导出审计日志",
    "export_assessment": "导出考核排名",
    "user_add": "新建用户",
    "user_enable": "启用用户",
    "user_disable": "停用用户",
    "user_passwd": "重置密码",
    "wall_playlist_set": "设置大屏轮播",
    "device_add": "登记终端",
    "device_rotate": "更换终端令牌",
    "device_revoke": "注销终端",
    "alert_issue": "发布预警",
    "alert_reissue": "更新预警",
    "alert_raise": "预警升级",
    "alert_lower": "预警降级",
    "alert_extend": "延长预警",
    "alert_lift": "解除预警",
    "sms_send": "发送短信",
    "sms_file": "短信备案",
    "sms_delete": "删除短信",
    "sms_restore": "恢复短信",
    "sms_resend": "短信重发",
    "sms_template_add": "新建短信模板",
    "sms_template_edit": "修改短信模板",
    "sms_template_delete": "删除短信模板",
    "sms_group_add": "新建用户分组",
    "sms_group_edit": "修改用户分组",
    "sms_group_delete": "删除用户分组",
}


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    node_id: int | None = None,
    address: str | None = None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one row in the caller's transaction, so the action and its trace commit together."""
    row = AuditLog(
        actor=actor[:64],
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        node_id=node_id,
        address=address,
        outcome=outcome,
        detail=detail or {},
    )
    session.add(row)
    return row


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 500,
) -> Sequence[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditLog.actor.contains(actor, autoescape=True))
    if action:
        query = query.where(AuditLog.action == action)
    if since:
        query = query.where(AuditLog.at >= since)
    if until:
        query = query.where(AuditLog.at < until)
    return session.scalars(query).all()


def database_now(session: Session) -> dt.datetime:
    """The database's clock (UTC): the trigger judges a row's age by it, so the purge does
    too, and an application host whose clock runs ahead never asks for a refused delete."""
    now: dt.datetime | None = session.scalar(
        select(func.current_timestamp(type_=DateTime(timezone=True)))
    )
    assert now is not None
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def purge_older_than(session: Session, retention_days: int) -> int:
    """The only deletion path: rows past the configured retention (≥ 3 years).

    Never asks for a row younger than the legal minimum; if it did, the database would
    refuse the whole statement and delete nothing.
    """
    if retention_days < LEGAL_MINIMUM_DAYS:
        raise ValueError(
            f"audit retention {retention_days} days is below the legal minimum "
            f"of {LEGAL_MINIMUM_DAYS} days"
        )
    cutoff = database_now(session) - dt.timedelta(days=retention_days)
    return rows_changed(session.execute(delete(AuditLog).where(AuditLog.at < cutoff)))


# -- searching inside an org scope (the page and its CSV export share this) -----------------
# Rows are scoped by their ``node_id``: a row belongs to the subtree its node lies in. Rows
# without a node (a failed login for an unknown name, CLI commands) are city-level and shown
# only to users whose scope is the whole tree.


def search_in_scope(
    session: Session,
    *,
    path: str,
    include_unscoped: bool,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 500,
) -> Sequence[tuple[AuditLog, str | None]]:
    """Newest first: (row, name of its node); ``since``/``until`` are aware datetimes."""
    in_scope = OrgNode.path.startswith(path, autoescape=True)
    condition = or_(in_scope, AuditLog.node_id.is_(None)) if include_unscoped else in_scope
    query = (
        select(AuditLog, OrgNode.name)
        .outerjoin(OrgNode, OrgNode.id == AuditLog.node_id)
        .where(condition)
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    if actor and actor.strip():
        query = query.where(AuditLog.actor.contains(actor.strip(), autoescape=True))
    if action:
        query = query.where(AuditLog.action == action)
    if since:
        query = query.where(AuditLog.at >= since.astimezone(dt.UTC))
    if until:
        query = query.where(AuditLog.at < until.astimezone(dt.UTC))
    return [(log_row, node_name) for log_row, node_name in session.execute(query)]


def actions_seen(session: Session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
