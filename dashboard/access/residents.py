"""The only ways resident data leaves the server: masked lists, audited one-record reveals.

Every function takes the logged-in user (from the session, never from the
browser), checks the permission itself and bounds the query by the user's
subtree; an id outside it is answered with nothing and a ``gridwatch.scope``
log line. Full identity and phone numbers leave only through :func:`reveal`,
which writes the audit row in the same transaction as the read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import AuditEntry, Command, scope_path
from dashboard.auth.audit_trail import record_refused_reveal
from dashboard.auth.current import SessionUser, node_in_scope
from dashboard.auth.permissions import Perm
from dashboard.services import Services
from data.masking import mask_id_number, mask_phone
from data.org_tree import NodeInfo, OrgTree
from data.residents import (
    ResidentRow,
    count_in_subtree,
    household_in_subtree,
    page_in_subtree,
    resident_in_subtree,
)

log = logging.getLogger("gridwatch.scope")

PAGE_SIZE = 50
REVEAL_ACTION = "reveal_personal_data"


@dataclass(frozen=True)
class MaskedResident:
    """What a list, a household view and an export show: no full numbers."""

    id: int
    household_id: int
    name: str
    gender: str
    age: int
    relation: str
    address: str
    tags: list[str]
    id_number: str
    phone: str
    grid: str


@dataclass(frozen=True)
class ResidentPage:
    node: NodeInfo
    rows: list[MaskedResident]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class Revealed:
    resident_id: int
    name: str
    id_number: str
    phone: str


def masked(row: ResidentRow) -> MaskedResident:
    return MaskedResident(
        id=row.id,
        household_id=row.household_id,
        name=row.name,
        gender=row.gender_label,
        age=row.age(),
        relation=row.relation,
        address=row.address,
        tags=row.tag_labels,
        id_number=mask_id_number(row.id_number),
        phone=mask_phone(row.phone) or "—",
        grid=row.grid,
    )


def list_page(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    node_id: int | None,
    page: int,
    name: str | None = None,
) -> ResidentPage | None:
    """One page of the node's residents, masked; None without permission or outside scope."""
    if not who.can(Perm.VIEW_RESIDENTS):
        return None
    node = node_in_scope(tree, who, node_id)
    if node is None:
        return None
    name = (name or "").strip()[:32]
    with services.sessions() as db:
        total = count_in_subtree(db, node.path, name)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        rows = page_in_subtree(db, node.path, page * PAGE_SIZE, PAGE_SIZE, name)
    return ResidentPage(node, [masked(r) for r in rows], total, page, pages)


def household(
    services: Services, tree: OrgTree, who: SessionUser, household_id: int
) -> list[MaskedResident]:
    """A household's members, masked; empty without permission or outside scope."""
    path = scope_path(tree, who)
    if path is None or not who.can(Perm.VIEW_RESIDENTS):
        return []
    with services.sessions() as db:
        rows = household_in_subtree(db, path, household_id)
    if not rows:
        log.warning(
            "scope: user %s asked for household %s outside node %s",
            who.username,
            household_id,
            who.node_id,
        )
    return [masked(r) for r in rows]


@dataclass
class RevealResident(Command[Revealed | None]):
    """One resident's full numbers, read and audited in one transaction.

    A refusal is recorded too (a ``denied`` row at the asker's node), so the command
    answers None rather than raising: the refusal's audit row must be committed.
    """

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    resident_id: int
    address: str
    #: the revealed resident's node, for the audit row
    _node_id: int | None = field(default=None, init=False, repr=False)

    def execute(self, db: Session) -> Revealed | None:
        path = scope_path(self.tree, self.who)
        allowed = path is not None and self.who.can(Perm.REVEAL_PERSONAL_DATA)
        row = resident_in_subtree(db, path, self.resident_id) if allowed and path else None
        if row is None:
            reason = "no_permission" if not allowed else "scope"
            _refused(db, self.who, self.resident_id, self.address, reason)
            return None
        self._node_id = row.node_id
        return Revealed(row.id, row.name, row.id_number, row.phone or "—")

    def audit(self, result: Revealed | None) -> AuditEntry | None:
        if result is None:
            return None
        detail = {"fields": ["id_number", "phone"]}
        return AuditEntry(
            REVEAL_ACTION, "resident", result.resident_id, self._node_id, detail, self.address
        )


def reveal(
    services: Services, tree: OrgTree, who: SessionUser, resident_id: int, address: str
) -> Revealed | None:
    """One resident's full numbers, read and audited in one transaction; None when refused."""
    return RevealResident(services.sessions, tree, who, resident_id, address).run()


def _refused(db: Session, who: SessionUser, target_id: Any, address: str, reason: str) -> None:
    record_refused_reveal(db, who, REVEAL_ACTION, "resident", target_id, address, reason)
