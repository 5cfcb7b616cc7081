"""Composing a text on /sms: recipients, checks and the batch with its deliveries.

A composed text is one ``sms_batch`` and one queued ``alert_delivery`` per recipient,
added in the caller's transaction: the page says "已提交发送 N 人" only after the
commit, and the SMS sender (the same one that sends alert texts) picks the rows up
from SQL. Nothing here commits.

Rules, each with a Chinese message the page shows as it is:
- recipients are the chosen staff plus the members of the chosen groups, each once;
- every one of them must serve under the sender's scope, or nothing is sent and the
  message says how many are not (a crafted request or a stale group is refused whole,
  not quietly trimmed); it names nobody beyond the scope, and an id that does not exist
  gets the same answer as one that lies elsewhere;
- staff without a phone number, or no longer active, are skipped and reported;
- the text is required and at most ``MAX_TEXT_CHARS`` characters;
- the same client token (minted when the form opens) returns the first batch, so a
  double click or a retried request never texts anyone twice.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.orm import Session

from data.incidents.actors import Actor
from data.models import (
    Delivery,
    DeliveryState,
    OrgNode,
    Post,
    SmsBatch,
    SmsFolder,
    SmsGroup,
    SmsGroupMember,
    SmsSource,
    Staff,
)
from data.sms.scope import path_under, unique_ints

MAX_TEXT_CHARS = 500
#: a text of up to 70 Chinese characters (UCS-2) is one SMS ...
SINGLE_SEGMENT_CHARS = 70
#: ... a longer one is split into parts of 67 (3 characters go to the concatenation header)
MULTI_SEGMENT_CHARS = 67
#: a page mints a token per form; other shapes are refused (it becomes part of a key)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
#: at most this many people named in one refusal message
MAX_NAMED = 10


class ComposeError(ValueError):
    """The text cannot be sent as composed; ``str()`` is the Chinese reason."""


class OutsideScope(ComposeError):
    """Someone named lies outside the sender's scope (a crafted request or a moved member)."""


@dataclass(frozen=True)
class Skipped:
    staff_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class Composed:
    batch_id: int
    recipients: int
    skipped: list[Skipped] = field(default_factory=list)
    #: True when the client token had been used: nothing new was queued
    replayed: bool = False


def segments(text: str) -> int:
    """How many SMS a text costs per recipient (what the counter under the box shows)."""
    n = len(text)
    if n == 0:
        return 0
    if n <= SINGLE_SEGMENT_CHARS:
        return 1
    return math.ceil(n / MULTI_SEGMENT_CHARS)


def check_text(text: str | None) -> str:
    """The text to send (surrounding blanks removed), or ComposeError saying what is wrong."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise ComposeError("短信内容不能为空")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise ComposeError(
            f"短信内容超过 {MAX_TEXT_CHARS} 字（当前 {len(cleaned)} 字），请删减后再发送"
        )
    return cleaned


def token_key(actor: Actor, client_token: str | None) -> str:
    """The stored key: per user, so a token can only ever find its own user's batch."""
    token = client_token or ""
    if not TOKEN_RE.match(token):
        raise ComposeError("表单已失效，请刷新页面后重试")
    return f"manual:{actor.user_id or 0}:{token}"


def find_batch(session: Session, actor: Actor, client_token: str | None) -> SmsBatch | None:
    """The batch this user already sent with this token, if any."""
    return session.scalar(
        select(SmsBatch).where(SmsBatch.client_token == token_key(actor, client_token))
    )


def visible_groups(session: Session, scope_path: str, group_ids: Sequence[int]) -> list[SmsGroup]:
    """The groups among ``group_ids`` created inside ``scope_path``; others are not found."""
    if not group_ids:
        return []
    return list(
        session.scalars(
            select(SmsGroup)
            .where(SmsGroup.id.in_(group_ids), path_under(SmsGroup.scope_path, scope_path))
            .order_by(SmsGroup.id)
        )
    )


def outside_message(count: int) -> str:
    """The refusal for recipients that are not there or not the sender's: a count only."""
    return f"所选收件人中有 {count} 人不存在或不在您的管辖范围内，未发送；请刷新后重新选择"


def resolve_recipients(
    session: Session, scope_path: str, staff_ids: Sequence[object], group_ids: Sequence[object]
) -> tuple[list[Staff], list[Skipped]]:
    """Chosen staff and group members, each once: (those to text, those skipped).

    Raises ComposeError when a group is not visible, or OutsideScope when a staff id
    does not exist or anyone lies outside ``scope_path`` (counted, never named).
    """
    chosen_groups = unique_ints(group_ids)
    groups = visible_groups(session, scope_path, chosen_groups)
    if len(groups) != len(chosen_groups):
        raise OutsideScope("所选分组不存在或不在您的管辖范围内，请刷新后重新选择")
    wanted = unique_ints(staff_ids)
    if groups:
        members = session.scalars(
            select(SmsGroupMember.staff_id)
            .where(SmsGroupMember.group_id.in_([g.id for g in groups]))
            .order_by(SmsGroupMember.group_id, SmsGroupMember.staff_id)
        )
        wanted = unique_ints([*wanted, *members])
    if not wanted:
        raise ComposeError("请选择收件人（人员或用户分组）")
    rows = {
        staff.id: (staff, path)
        for staff, path in session.execute(
            select(Staff, OrgNode.path)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(Staff.id.in_(wanted))
        ).all()
    }
    outside = [sid for sid in wanted if sid not in rows or not rows[sid][1].startswith(scope_path)]
    if outside:
        raise OutsideScope(outside_message(len(outside)))
    send: list[Staff] = []
    skipped: list[Skipped] = []
    for sid in wanted:
        staff = rows[sid][0]
        if not staff.active:
            skipped.append(Skipped(sid, staff.name, "已停用"))
        elif not (staff.phone or "").strip():
            skipped.append(Skipped(sid, staff.name, "无手机号"))
        else:
            send.append(staff)
    if not send:
        reasons = "、".join(f"{s.name}（{s.reason}）" for s in skipped[:MAX_NAMED])
        raise ComposeError(f"所选人员均无法接收短信：{reasons}")
    return send, skipped


def compose(
    session: Session,
    actor: Actor,
    *,
    text: str | None,
    staff_ids: Sequence[object] = (),
    group_ids: Sequence[object] = (),
    client_token: str | None,
    now: dt.datetime,
) -> Composed:
    """Queue one text to the chosen staff and groups, in the caller's transaction.

    The same ``client_token`` again returns the first batch (``replayed``) without
    queueing anything. Two requests racing with one token: the second commit fails on
    the unique token and the caller answers with ``find_batch``.
    """
    key = token_key(actor, client_token)
    earlier = session.scalar(select(SmsBatch).where(SmsBatch.client_token == key))
    if earlier is not None:
        return Composed(earlier.id, earlier.recipient_count, replayed=True)
    body = check_text(text)
    send, skipped = resolve_recipients(session, actor.scope_path, staff_ids, group_ids)
    batch = SmsBatch(
        source=SmsSource.MANUAL,
        text=body,
        author=actor.name,
        author_user_id=actor.user_id,
        scope_path=actor.scope_path,
        folder=SmsFolder.SENT,
        created_at=now,
        recipient_count=len(send),
        client_token=key,
    )
    session.add(batch)
    session.flush()
    session.execute(
        insert(Delivery),
        [
            {
                "batch_id": batch.id,
                "staff_id": staff.id,
                "phone": staff.phone.strip(),
                "text": body,
                "state": DeliveryState.QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
                "queued_at": now,
            }
            for staff in send
        ],
    )
    return Composed(batch.id, len(send), skipped)


# -- the recipient picker --------------------------------------------------------------

#: (id, name, post, node id, phone) of one staff member the picker offers
PickerRow = tuple[int, str, Post, int, str]


def _picker_base(scope_path: str) -> Select[int, str, Post, int, str]:
    return (
        select(Staff.id, Staff.name, Staff.post, Staff.node_id, Staff.phone)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(path_under(OrgNode.path, scope_path))
    )


def chosen_staff(session: Session, scope_path: str, staff_ids: list[int]) -> list[PickerRow]:
    """The chosen staff that lie in the scope, in the order chosen; others are dropped."""
    if not staff_ids:
        return []
    rows = session.execute(_picker_base(scope_path).where(Staff.id.in_(staff_ids)))
    by_id = {row[0]: (row[0], row[1], row[2], row[3], row[4]) for row in rows}
    return [by_id[s] for s in staff_ids if s in by_id]


def search_staff(session: Session, scope_path: str, search: str, limit: int) -> list[PickerRow]:
    """Active staff in scope by id (digits) or whose name or grid contains ``search``."""
    query = _picker_base(scope_path).where(Staff.active.is_(True)).order_by(Staff.id).limit(limit)
    if search.isdigit():
        query = query.where(Staff.id == int(search))
    else:
        query = query.where(
            or_(
                Staff.name.contains(search, autoescape=True),
                OrgNode.name.contains(search, autoescape=True),
            )
        )
    return [
        (sid, name, post, node_id, phone)
        for sid, name, post, node_id, phone in session.execute(query)
    ]
