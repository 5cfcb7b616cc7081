"""User accounts in the record: creation, passwords, disabling, look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import OrgNode, Role, User
from data.passwords import check_policy, hash_password, needs_rehash, verify_password


class UserError(ValueError):
    """A user command that cannot be carried out; the message says why."""


def add_user(
    session: Session, username: str, display_name: str, password: str, role: Role, node_id: int
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise UserError("用户名须为 1–64 个字符")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"用户名 {username!r} 已存在")
    if session.get(OrgNode, node_id) is None:
        raise UserError(f"组织节点 {node_id} 不存在")
    check_policy(password)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        node_id=node_id,
    )
    session.add(user)
    session.flush()
    return user


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))


def require(session: Session, username: str) -> User:
    user = by_username(session, username)
    if user is None:
        raise UserError(f"用户 {username!r} 不存在")
    return user


def set_password(session: Session, username: str, password: str) -> User:
    user = require(session, username)
    check_policy(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = dt.datetime.now(dt.UTC)
    return user


def set_active(session: Session, username: str, active: bool) -> User:
    user = require(session, username)
    user.active = active
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, or None (same answer for every failure)."""
    user = by_username(session, username)
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same cost whether the name exists or not
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = dt.datetime.now(dt.UTC)
    return user


def all_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id)).all()


_DUMMY_HASH = hash_password("not-a-real-password-0")
