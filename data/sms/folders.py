"""The folders 已发短信 / 备案短信 / 已删除短信: listing batches and moving them.

A batch is listed to everyone whose scope contains the batch's scope (the author's
node, or an alert's node). Moving changes ``folder`` and ``folder_changed_at`` only:
the texts are the record, so "删除" is a folder too and every move can be undone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.models import Delivery, DeliveryState, SmsBatch, SmsFolder, SmsSource
from data.sms.scope import path_under

PAGE_SIZE = 20


class FolderError(LookupError):
    """The batch is not there for this user, or the move does not apply; Chinese reason."""


@dataclass(frozen=True)
class Move:
    label: str
    to: SmsFolder
    #: folders a batch may be moved from with this action
    sources: frozenset[SmsFolder]


#: 备案: keep for the record; 删除: out of the way (still kept); 恢复: back to 已发短信
MOVES: dict[str, Move] = {
    "file": Move("备案", SmsFolder.FILED, frozenset({SmsFolder.SENT})),
    "delete": Move("删除", SmsFolder.DELETED, frozenset({SmsFolder.SENT, SmsFolder.FILED})),
    "restore": Move("恢复", SmsFolder.SENT, frozenset({SmsFolder.FILED, SmsFolder.DELETED})),
}

#: the buttons each folder's rows carry, in order
FOLDER_ACTIONS: dict[SmsFolder, tuple[str, ...]] = {
    SmsFolder.SENT: ("file", "delete"),
    SmsFolder.FILED: ("restore", "delete"),
    SmsFolder.DELETED: ("restore",),
}


@dataclass(frozen=True)
class BatchRow:
    id: int
    created_at: dt.datetime
    source: SmsSource
    text: str
    author: str
    recipient_count: int
    folder: SmsFolder
    folder_changed_at: dt.datetime | None
    #: delivery state value → how many of this batch's texts are in it now
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchPage:
    rows: list[BatchRow]
    total: int
    page: int
    pages: int


def _visible(scope_path: str) -> ColumnElement[bool]:
    return path_under(SmsBatch.scope_path, scope_path)


def list_batches(
    session: Session,
    scope_path: str,
    folder: SmsFolder | str,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> BatchPage:
    """One page of a folder, newest first, with the current state counts of each batch."""
    folder = SmsFolder(folder)
    where = (_visible(scope_path), SmsBatch.folder == folder)
    total = session.scalar(select(func.count(SmsBatch.id)).where(*where)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    batches = session.scalars(
        select(SmsBatch)
        .where(*where)
        .order_by(SmsBatch.created_at.desc(), SmsBatch.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    counts: dict[int, dict[str, int]] = {b.id: {} for b in batches}
    if batches:
        for batch_id, state, n in session.execute(
            select(Delivery.batch_id, Delivery.state, func.count(Delivery.id))
            .where(Delivery.batch_id.in_(list(counts)))
            .group_by(Delivery.batch_id, Delivery.state)
        ):
            if batch_id is not None:  # the IN above: always one of these batches
                counts[batch_id][DeliveryState(state).value] = n
    rows = [
        BatchRow(
            id=b.id,
            created_at=b.created_at,
            source=b.source,
            text=b.text,
            author=b.author,
            recipient_count=b.recipient_count,
            folder=b.folder,
            folder_changed_at=b.folder_changed_at,
            counts=counts[b.id],
        )
        for b in batches
    ]
    return BatchPage(rows, total, page, pages)


def folder_counts(session: Session, scope_path: str) -> dict[SmsFolder, int]:
    """How many batches each folder holds for this scope (the tab badges)."""
    found = dict(
        session.execute(
            select(SmsBatch.folder, func.count(SmsBatch.id))
            .where(_visible(scope_path))
            .group_by(SmsBatch.folder)
        ).all()
    )
    return {folder: int(found.get(folder, 0)) for folder in SmsFolder}


def move(
    session: Session, scope_path: str, batch_id: int, action: str, now: dt.datetime
) -> tuple[SmsBatch, bool]:
    """Apply 备案 / 删除 / 恢复 to one batch in scope; returns (batch, changed).

    Repeating a move that already happened (a double click) changes nothing and is not
    an error; a move that does not apply to the batch's folder is.
    """
    spec = MOVES.get(action)
    if spec is None:
        raise FolderError(f"未知操作「{action}」")
    batch = session.scalar(
        select(SmsBatch).where(SmsBatch.id == batch_id, _visible(scope_path)).with_for_update()
    )
    if batch is None:
        raise FolderError("短信不存在或不在您的管辖范围内")
    if batch.folder == spec.to:
        return batch, False
    if batch.folder not in spec.sources:
        raise FolderError(f"该短信在当前文件夹中不能{spec.label}")
    batch.folder = spec.to
    batch.folder_changed_at = now
    session.flush()
    return batch, True
