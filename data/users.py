"""User accounts in the record: creation, passwords, disabling, look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class LoginRecord:
    """What a password check needs, read in a short session: checking the hash (argon2,
    tenths of a second) must never hold a pooled database connection."""

    id: int
    username: str
    display_name: str
    role: Role
    node_id: int
    active: bool
    password_hash: str


def login_record(session: Session, username: str) -> LoginRecord | None:
    row = session.execute(
        select(
            User.id,
            User.username,
            User.display_name,
            User.role,
            User.node_id,
            User.active,
            User.password_hash,
        ).where(User.username == username.strip())
    ).first()
    return LoginRecord(*row) if row is not None else None


def password_matches(record: LoginRecord | None, password: str) -> bool:
    """The argon2 check, with no connection held; the same answer and cost for an
    unknown name, a wrong password and a disabled account."""
    if record is None:
        verify_password(_DUMMY_HASH, password)  # same cost whether the name exists or not
        return False
    return verify_password(record.password_hash, password) and record.active


def upgraded_hash(record: LoginRecord, password: str) -> str | None:
    """A new hash when the stored one uses old parameters (computed outside any transaction)."""
    return hash_password(password) if needs_rehash(record.password_hash) else None


def record_login(session: Session, record: LoginRecord, new_hash: str | None) -> bool:
    """Mark a successful check in the caller's short transaction.

    False when the account changed since it was read (disabled, or a new password set
    while the old one was being checked): the check no longer counts.
    """
    user = session.get(User, record.id)
    if user is None or not user.active or user.password_hash != record.password_hash:
        return False
    if new_hash is not None:
        user.password_hash = new_hash
    user.last_login_at = dt.datetime.now(dt.UTC)
    return True


def password_changed_after(changed_at: dt.datetime | None, login_at: object) -> bool:
    """True when the password was set after a session logged in (that session must end)."""
    if changed_at is None or not isinstance(login_at, int | float):
        return False
    if changed_at.tzinfo is None:  # SQLite hands back naive UTC
        changed_at = changed_at.replace(tzinfo=dt.UTC)
    return changed_at.timestamp() > login_at


def all_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id)).all()


_DUMMY_HASH = hash_password("not-a-real-password-0")


# -- scoped look-ups (the admin pages): a user is found only under the asker's node ---------


def users_in_subtree(session: Session, path: str, limit: int) -> list[tuple[User, str]]:
    """Users whose node lies under ``path`` with their node's name, oldest first."""
    rows = session.execute(
        select(User, OrgNode.name)
        .join(OrgNode, OrgNode.id == User.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True))
        .order_by(User.id)
        .limit(limit)
    )
    return [(user, node_name) for user, node_name in rows]


def user_in_subtree(session: Session, path: str, user_id: int) -> tuple[User, str] | None:
    """One user with their node's name, if their node lies under ``path``."""
    row = session.execute(
        select(User, OrgNode.name)
        .join(OrgNode, OrgNode.id == User.node_id)
        .where(User.id == user_id, OrgNode.path.startswith(path, autoescape=True))
    ).first()
    return None if row is None else (row[0], row[1])
