"""What every access module shares: scope, permission, actor, form token, refusal, command.

The charter of dashboard/access/: each public function takes the session user, checks
the permission, bounds the work by the user's subtree, runs one transaction that also
writes the audit row, and hands back plain values. The pieces that charter needs live
here once; the domain modules (alerts, incidents, sms, users, devices, residents, audit,
wall) hold only their own rules.

A write is a :class:`Command`: ``validate()`` collects *every* problem before anything
runs (the officer sees them all at once), ``run()`` executes and audits in one
transaction, so a failure anywhere leaves nothing written.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import redis
from sqlalchemy.orm import Session, sessionmaker

from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, scope_root
from dashboard.auth.permissions import Perm
from data.incidents.actors import Actor
from data.org_tree import NodeInfo, OrgTree
from data.record_ids import record_id

log = logging.getLogger("gridwatch.scope")

T = TypeVar("T")

NO_SCOPE = "您的管辖节点不存在"
#: a form submitted twice (a double click): the second is answered, not carried out
DUPLICATE = "该操作已提交，请勿重复点击"
BAD_REQUEST = "无效的请求"
#: a form token is remembered this long: a double click within it is answered, not repeated
TOKEN_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: the item it concerns ("form" for the whole) and why."""

    item: str
    message: str


class Refused(ValueError):
    """A request that was refused; the message (Chinese) is what the user reads."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems) or (Problem("form", message),)

    @classmethod
    def of(cls, problems: Sequence[Problem], separator: str = "；") -> Refused:
        """All problems in one refusal, their messages joined in the order found."""
        return cls(separator.join(p.message for p in problems), problems)


def scope_path(tree: OrgTree, who: SessionUser) -> str | None:
    """The materialized path of the user's own node; None when the node is gone."""
    scope = scope_root(tree, who)
    return scope.path if scope is not None else None


def require(tree: OrgTree, who: SessionUser, perm: Perm, refusal: str) -> NodeInfo:
    """The user's own node if they hold ``perm``; :class:`Refused` otherwise."""
    if not who.can(perm):
        raise Refused(refusal)
    scope = scope_root(tree, who)
    if scope is None:
        raise Refused(NO_SCOPE)
    return scope


def permitted_scope(tree: OrgTree, who: SessionUser | None, perm: Perm) -> NodeInfo | None:
    """The user's own node when they hold ``perm``; None otherwise (and a log line)."""
    if who is None:
        return None
    if not who.can(perm):
        log.warning("access: user %s (%s) lacks %s", who.username, who.role, perm.name)
        return None
    return scope_root(tree, who)


def actor_for(tree: OrgTree, who: SessionUser) -> Actor | None:
    """The workflow's actor for a web user: role, name, their node's path; no staff id."""
    path = scope_path(tree, who)
    if path is None:
        return None
    return Actor(role=who.role.value, name=who.display_name, scope_path=path, user_id=who.id)


def pattern_int(target: dict[str, Any], key: str) -> int:
    """An integer id from a pattern-matching component id; anything else is refused."""
    value = record_id(target.get(key))  # also beyond SQL's integers
    if value is None:
        raise Refused(BAD_REQUEST)
    return value


@dataclass(frozen=True)
class FormToken:
    """A form's one-time token in Redis: the first submit claims it, a double click finds
    it taken; a submit that failed releases it so the user can try again."""

    r: redis.Redis
    namespace: str
    token: str | None

    @property
    def key(self) -> str:
        return f"gw:{self.namespace}:token:{self.token}"

    def claim(self) -> bool:
        """True the first time (and always without a token)."""
        if not self.token:
            return True
        return bool(self.r.set(self.key, "1", nx=True, ex=TOKEN_TTL_S))

    def release(self) -> None:
        if self.token:
            self.r.delete(self.key)


@dataclass(frozen=True)
class AuditEntry:
    """The audit row a command writes in its own transaction."""

    action: str
    target_type: str
    target_id: int | None
    node_id: int | None
    detail: dict[str, Any]
    address: str | None = None


class Command(ABC, Generic[T]):
    """One write: validate everything first, then execute and audit in one transaction.

    Subclasses set ``sessions`` and ``who`` and implement :meth:`execute` (the change,
    in the given session) and :meth:`audit` (the row to record for its result, or None).
    :meth:`validate` returns every problem of the request (not only the first); it must
    not write. A :class:`Refused` raised by ``execute`` rolls everything back.
    """

    sessions: sessionmaker[Session]
    who: SessionUser

    def validate(self) -> list[Problem]:
        """Every problem of the request, in the order a user reads the form; [] when fine."""
        return []

    @abstractmethod
    def execute(self, db: Session) -> T:
        """The change itself, inside the transaction :meth:`run` opened."""

    def audit(self, result: T) -> AuditEntry | None:
        """The audit row for ``result``; None when the change records itself elsewhere."""
        return None

    def run(self, token: FormToken | None = None) -> T:
        """Validate, then execute and write the audit row in one transaction.

        With a form ``token`` a valid request first claims it (a second submit is
        refused with :data:`DUPLICATE`); a failed run releases it for the retry.
        """
        problems = self.validate()
        if problems:
            raise Refused.of(problems)
        if token is not None and not token.claim():
            raise Refused(DUPLICATE)
        try:
            with self.sessions.begin() as db:
                result = self.execute(db)
                entry = self.audit(result)
                if entry is not None:
                    write_audit(db, self.who, entry)
                return result
        except BaseException:
            if token is not None:
                token.release()
            raise


def write_audit(db: Session, who: SessionUser, entry: AuditEntry) -> None:
    """Record ``entry`` for ``who`` in ``db``'s transaction."""
    fields: dict[str, Any] = {
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "node_id": entry.node_id,
        "detail": entry.detail,
    }
    if entry.address is not None:
        fields["address"] = entry.address
    record_action(db, who, entry.action, **fields)
