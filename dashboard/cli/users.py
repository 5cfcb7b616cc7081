"""User commands for the CLI: every change is audited with the command line as actor."""

from __future__ import annotations

import getpass
from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker

from dashboard.settings import Settings
from data import audit, users
from data.db import migrated_sessions
from data.models import ROLE_LABELS, Role

CLI_ACTOR = f"cli:{getpass.getuser()}"


def _sessions(settings: Settings) -> sessionmaker[Session]:
    return migrated_sessions(settings.resolved_database_url())


def add(
    settings: Settings, username: str, role: Role, node_id: int, display_name: str, password: str
) -> Iterator[str]:
    with _sessions(settings).begin() as db:
        user = users.add_user(db, username, display_name, password, role, node_id)
        audit.record(
            db,
            actor=CLI_ACTOR,
            action="user_add",
            target_type="user",
            target_id=user.id,
            node_id=node_id,
            detail={"username": username, "role": role.value},
        )
    yield f"用户 {username}（{ROLE_LABELS[role]}）已创建，管辖节点 {node_id}"


def passwd(settings: Settings, username: str, password: str) -> Iterator[str]:
    with _sessions(settings).begin() as db:
        user = users.set_password(db, username, password)
        audit.record(
            db, actor=CLI_ACTOR, action="user_passwd", target_type="user", target_id=user.id
        )
    yield f"用户 {username} 的密码已更新"


def set_active(settings: Settings, username: str, active: bool) -> Iterator[str]:
    with _sessions(settings).begin() as db:
        user = users.set_active(db, username, active)
        audit.record(
            db,
            actor=CLI_ACTOR,
            action="user_enable" if active else "user_disable",
            target_type="user",
            target_id=user.id,
        )
    yield f"用户 {username} 已{'启用' if active else '停用'}"


def list_all(settings: Settings) -> Iterator[str]:
    with _sessions(settings)() as db:
        rows = users.all_users(db)
        if not rows:
            yield "尚无用户"
            return
        yield f"{'用户名':<16} {'姓名':<10} {'角色':<8} {'节点':<8} 状态"
        for u in rows:
            state = "启用" if u.active else "停用"
            role = ROLE_LABELS[u.role]
            yield f"{u.username:<16} {u.display_name:<10} {role:<8} {u.node_id:<8} {state}"
