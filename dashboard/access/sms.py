"""What the /sms callbacks may do, checked here on every call for the session user.

The callbacks pass the logged-in user (never ids the browser claims about itself);
each function checks ``Perm.SEND_SMS``, takes the scope from the user's node, lets
the data layer (data/sms/) bound every query by it, and turns rows into plain values
before the session closes. Changes and their audit rows commit in one transaction.
Refusals come back as the data layer's own Chinese messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from dashboard.access import base
from dashboard.access.base import permitted_scope
from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time, display_zone
from dashboard.services import Services
from data.incidents.actors import Actor
from data.masking import mask_text
from data.models import POST_LABELS, OrgNode, SmsFolder, SmsSource, Staff
from data.org_tree import NodeInfo, OrgTree
from data.sms import folders, groups, logs, stats, templates
from data.sms.compose import (
    ComposeError,
    OutsideScope,
    compose,
    find_batch,
    resolve_recipients,
    segments,
)
from data.sms.scope import path_under, unique_ints

log = logging.getLogger("gridwatch.scope")

NO_SMS = "您的角色无权使用短信平台"
STAFF_OPTION_LIMIT = 30


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    #: the id the change concerns (batch, template, group, delivery), when there is one
    ref: int | None = None


def scope_of(tree: OrgTree, who: SessionUser | None) -> NodeInfo | None:
    """The user's node when they may use the SMS platform; None otherwise (and logged)."""
    return permitted_scope(tree, who, Perm.SEND_SMS)


def actor_for(tree: OrgTree, who: SessionUser) -> Actor | None:
    """The sender as the data layer knows them; None without the SMS permission."""
    return base.actor_for(tree, who) if scope_of(tree, who) is not None else None


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


# -- pickers -------------------------------------------------------------------------


def _staff_option(tree: OrgTree, sid: int, name: str, post: Any, node_id: int, phone: str) -> dict:
    label = f"{name} · {POST_LABELS.get(post, str(post))} · {tree.place_name(node_id)}"
    if not (phone or "").strip():
        label += "（无手机号）"
    return {"label": label, "value": sid}


def staff_options(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    search: str = "",
    chosen: list[Any] | None = None,
    limit: int = STAFF_OPTION_LIMIT,
) -> list[dict]:
    """Active staff in scope whose name (or grid) contains ``search``, plus the chosen ones.

    Never the whole subtree: a city has 85,000 staff, so the picker searches as one
    types and shows at most ``limit``. Chosen ids outside the scope are dropped.
    """
    scope = scope_of(tree, who)
    if scope is None:
        return []
    base = (
        select(Staff.id, Staff.name, Staff.post, Staff.node_id, Staff.phone)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(path_under(OrgNode.path, scope.path))
    )
    keep = unique_ints(chosen or [])
    out: list[dict] = []
    with services.sessions() as db:
        if keep:
            rows = db.execute(base.where(Staff.id.in_(keep))).all()
            by_id = {r[0]: r for r in rows}
            out = [_staff_option(tree, *by_id[s]) for s in keep if s in by_id]
        search = (search or "").strip()
        if search:
            query = base.where(Staff.active.is_(True)).order_by(Staff.id).limit(limit)
            if search.isdigit():
                query = query.where(Staff.id == int(search))
            else:
                query = query.where(
                    or_(
                        Staff.name.contains(search, autoescape=True),
                        OrgNode.name.contains(search, autoescape=True),
                    )
                )
            out += [_staff_option(tree, *r) for r in db.execute(query) if r[0] not in keep]
    return out


def group_options(services: Services, tree: OrgTree, who: SessionUser) -> list[dict]:
    scope = scope_of(tree, who)
    if scope is None:
        return []
    with services.sessions() as db:
        rows = groups.list_groups(db, scope.path)
    return [{"label": f"{g.name}（{g.member_count} 人）", "value": g.id} for g in rows]


def template_options(services: Services, tree: OrgTree, who: SessionUser) -> list[dict]:
    """The templates the user may use: their node's, their ancestors' and their subtree's."""
    scope = scope_of(tree, who)
    if scope is None:
        return []
    with services.sessions() as db:
        rows = templates.list_templates(db, scope.path)
    return [
        {"label": f"{t.name}（{_place_of_path(tree, t.scope_path)}）", "value": t.id} for t in rows
    ]


def template_text(services: Services, tree: OrgTree, who: SessionUser, template_id: Any) -> str:
    scope = scope_of(tree, who)
    if scope is None or not unique_ints([template_id]):
        return ""
    with services.sessions() as db:
        found = templates.get_template(db, scope.path, unique_ints([template_id])[0])
    return found.text if found else ""


# -- compose -------------------------------------------------------------------------


def preview(
    services: Services, tree: OrgTree, who: SessionUser, staff_ids: Any, group_ids: Any
) -> str:
    """ "将发送给 N 人" for the chosen people and groups, before anything is sent."""
    scope = scope_of(tree, who)
    if scope is None:
        return NO_SMS
    staff, chosen_groups = unique_ints(staff_ids or []), unique_ints(group_ids or [])
    if not staff and not chosen_groups:
        return "尚未选择收件人"
    with services.sessions() as db:
        try:
            send, skipped = resolve_recipients(db, scope.path, staff, chosen_groups)
        except ComposeError as exc:
            return str(exc)
    tail = f"，{len(skipped)} 人将跳过（{_skipped_text(skipped)}）" if skipped else ""
    return f"将发送给 {len(send)} 人{tail}"


def _skipped_text(skipped: list[Any], limit: int = 5) -> str:
    named = "、".join(f"{s.name}：{s.reason}" for s in skipped[:limit])
    return named + (f" 等 {len(skipped)} 人" if len(skipped) > limit else "")


def send(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    text: Any,
    staff_ids: Any,
    group_ids: Any,
    token: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    """Queue one text; the batch, its deliveries and the audit row are one commit."""
    actor = actor_for(tree, who)
    if actor is None:
        return Outcome(False, NO_SMS)
    token = token if isinstance(token, str) else None
    now = _now(now)
    body = text if isinstance(text, str) else ""
    try:
        with services.sessions.begin() as db:
            done = compose(
                db,
                actor,
                text=body,
                staff_ids=staff_ids if isinstance(staff_ids, list) else [],
                group_ids=group_ids if isinstance(group_ids, list) else [],
                client_token=token,
                now=now,
            )
            if not done.replayed:
                record_action(
                    db,
                    who,
                    "sms_send",
                    target_type="sms_batch",
                    target_id=done.batch_id,
                    node_id=who.node_id,
                    detail={
                        "recipients": done.recipients,
                        "skipped": len(done.skipped),
                        "groups": unique_ints(group_ids or []),
                        "chars": len(body.strip()),
                        "segments": segments(body.strip()),
                    },
                )
    except OutsideScope as exc:
        log.warning("sms: user %s named recipients outside node %s", who.username, who.node_id)
        with services.sessions.begin() as db:
            record_action(
                db,
                who,
                "sms_send",
                target_type="sms_batch",
                node_id=who.node_id,
                outcome="denied",
                detail={"reason": str(exc)},
            )
        return Outcome(False, str(exc))
    except ComposeError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:  # the same token committed by a concurrent request
        with services.sessions() as db:
            first = find_batch(db, actor, token)
        if first is None:
            raise
        return Outcome(True, f"已提交发送 {first.recipient_count} 人（重复提交已忽略）", first.id)
    if done.replayed:
        return Outcome(True, f"已提交发送 {done.recipients} 人（重复提交已忽略）", done.batch_id)
    tail = (
        f"；{len(done.skipped)} 人未发送（{_skipped_text(done.skipped)}）" if done.skipped else ""
    )
    return Outcome(True, f"已提交发送 {done.recipients} 人{tail}", done.batch_id)


# -- folders -------------------------------------------------------------------------


def folder_page(
    services: Services, tree: OrgTree, who: SessionUser, folder: str, page: int
) -> folders.BatchPage | None:
    scope = scope_of(tree, who)
    if scope is None or folder not in {f.value for f in SmsFolder}:
        return None
    with services.sessions() as db:
        found = folders.list_batches(db, scope.path, folder, page)
    # a phone or identity number typed into a text is shown masked (the batch keeps it)
    rows = [dataclasses.replace(r, text=mask_text(r.text)) for r in found.rows]
    return dataclasses.replace(found, rows=rows)


def move(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    batch_id: Any,
    action: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    """备案 / 删除 / 恢复 one batch in scope (audited as sms_file / sms_delete / sms_restore)."""
    scope = scope_of(tree, who)
    if scope is None:
        return Outcome(False, NO_SMS)
    ids = unique_ints([batch_id])
    if not ids or action not in folders.MOVES:
        return Outcome(False, "无效的操作")
    spec = folders.MOVES[action]
    try:
        with services.sessions.begin() as db:
            batch, changed = folders.move(db, scope.path, ids[0], action, _now(now))
            if changed:
                record_action(
                    db,
                    who,
                    f"sms_{action}",
                    target_type="sms_batch",
                    target_id=batch.id,
                    node_id=who.node_id,
                    detail={"folder": batch.folder.value},
                )
    except folders.FolderError as exc:
        return Outcome(False, str(exc))
    if not changed:
        return Outcome(True, f"该短信已{spec.label}（重复操作已忽略）", ids[0])
    where = {"file": "已移入备案短信", "delete": "已移入已删除短信", "restore": "已恢复到已发短信"}
    return Outcome(True, f"短信 #{ids[0]} {where[action]}", ids[0])


# -- templates -----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateView:
    """A template row as /sms shows it: whose it is, and whether this user may change it."""

    id: int
    name: str
    text: str
    place: str
    created_by: str
    updated: str
    editable: bool


def template_rows(services: Services, tree: OrgTree, who: SessionUser) -> list[TemplateView] | None:
    scope = scope_of(tree, who)
    if scope is None:
        return None
    with services.sessions() as db:
        rows = templates.list_templates(db, scope.path)
    return [
        TemplateView(
            t.id,
            t.name,
            t.text,
            _place_of_path(tree, t.scope_path),
            t.created_by,
            display_time(t.updated_at),
            t.editable,
        )
        for t in rows
    ]


def template_for_edit(
    services: Services, tree: OrgTree, who: SessionUser, template_id: Any
) -> templates.TemplateRow | str:
    """The template to fill the edit form, or why it cannot be edited (Chinese)."""
    scope = scope_of(tree, who)
    if scope is None:
        return NO_SMS
    if not unique_ints([template_id]):
        return templates.NOT_FOUND
    with services.sessions() as db:
        found = templates.get_template(db, scope.path, unique_ints([template_id])[0])
    if found is None:
        return templates.NOT_FOUND
    return found if found.editable else templates.READ_ONLY


def save_template(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    template_id: Any,
    name: Any,
    text: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    """A new template at the user's node, or an edit of one in their subtree (audited)."""
    scope = scope_of(tree, who)
    if scope is None:
        return Outcome(False, NO_SMS)
    editing = unique_ints([template_id])
    name = name if isinstance(name, str) else ""
    text = text if isinstance(text, str) else ""
    try:
        with services.sessions.begin() as db:
            if editing:
                row = templates.update_template(db, scope.path, editing[0], name, text, _now(now))
                action, verb = "sms_template_edit", "已保存"
            else:
                row = templates.create_template(
                    db, scope.path, name, text, who.display_name, _now(now)
                )
                action, verb = "sms_template_add", "已新建"
            record_action(
                db,
                who,
                action,
                target_type="sms_template",
                target_id=row.id,
                node_id=who.node_id,
                detail={"name": row.name, "owner": row.scope_path},
            )
    except templates.TemplateError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:  # the same name saved concurrently at the same node
        return Outcome(False, f"已有名为「{name.strip()}」的模板")
    return Outcome(True, f"模板「{row.name}」{verb}", row.id)


def delete_template(
    services: Services, tree: OrgTree, who: SessionUser, template_id: Any
) -> Outcome:
    """Delete a template in the user's subtree (audited with its text); others are refused."""
    scope = scope_of(tree, who)
    if scope is None:
        return Outcome(False, NO_SMS)
    ids = unique_ints([template_id])
    if not ids:
        return Outcome(False, templates.NOT_FOUND)
    try:
        with services.sessions.begin() as db:
            gone = templates.delete_template(db, scope.path, ids[0])
            record_action(
                db,
                who,
                "sms_template_delete",
                target_type="sms_template",
                target_id=gone.id,
                node_id=who.node_id,
                detail={"name": gone.name, "text": gone.text, "owner": gone.scope_path},
            )
    except templates.TemplateError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"模板「{gone.name}」已删除", gone.id)


# -- groups --------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    place: str
    member_count: int
    created_by: str
    created: str


def group_rows(services: Services, tree: OrgTree, who: SessionUser) -> list[GroupView] | None:
    scope = scope_of(tree, who)
    if scope is None:
        return None
    with services.sessions() as db:
        rows = groups.list_groups(db, scope.path)
    return [
        GroupView(
            g.id,
            g.name,
            _place_of_path(tree, g.scope_path),
            g.member_count,
            g.created_by,
            display_time(g.created_at),
        )
        for g in rows
    ]


def _place_of_path(tree: OrgTree, path: str) -> str:
    """The node a materialized path ends in ("/1/4/17/" → node 17), by name."""
    last = path.strip("/").rsplit("/", 1)[-1]
    return tree.place_name(int(last)) if last.isdigit() else path


def group_for_edit(
    services: Services, tree: OrgTree, who: SessionUser, group_id: Any
) -> tuple[str, list[dict]] | None:
    """(name, member options) of a group in scope, to fill the edit form."""
    scope = scope_of(tree, who)
    ids = unique_ints([group_id])
    if scope is None or not ids:
        return None
    try:
        with services.sessions() as db:
            members = groups.member_ids(db, scope.path, ids[0])
            name = next(g.name for g in groups.list_groups(db, scope.path) if g.id == ids[0])
    except (groups.GroupError, StopIteration):
        return None
    return name, staff_options(services, tree, who, "", members, limit=0)


def save_group(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    group_id: Any,
    name: Any,
    staff_ids: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    actor = actor_for(tree, who)
    if actor is None:
        return Outcome(False, NO_SMS)
    editing = unique_ints([group_id])
    members = staff_ids if isinstance(staff_ids, list) else []
    name = name if isinstance(name, str) else ""
    try:
        with services.sessions.begin() as db:
            if editing:
                row = groups.update_group(db, actor, editing[0], name, members)
                action, verb = "sms_group_edit", "已保存"
            else:
                row = groups.create_group(db, actor, name, members, _now(now))
                action, verb = "sms_group_add", "已新建"
            record_action(
                db,
                who,
                action,
                target_type="sms_group",
                target_id=row.id,
                node_id=who.node_id,
                detail={"name": row.name, "members": row.member_count},
            )
    except groups.GroupError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:
        return Outcome(False, f"已有名为「{name.strip()}」的分组")
    return Outcome(True, f"分组「{row.name}」{verb}（{row.member_count} 人）", row.id)


def delete_group(services: Services, tree: OrgTree, who: SessionUser, group_id: Any) -> Outcome:
    actor = actor_for(tree, who)
    if actor is None:
        return Outcome(False, NO_SMS)
    ids = unique_ints([group_id])
    if not ids:
        return Outcome(False, groups.NOT_FOUND)
    try:
        with services.sessions.begin() as db:
            gone = groups.delete_group(db, actor, ids[0])
            record_action(
                db,
                who,
                "sms_group_delete",
                target_type="sms_group",
                target_id=gone.id,
                node_id=who.node_id,
                detail={"name": gone.name, "members": gone.member_count},
            )
    except groups.GroupError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"分组「{gone.name}」已删除", gone.id)


# -- statistics and logs -------------------------------------------------------------


def daily_stats(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    days: Any,
    source: Any,
    now: dt.datetime | None = None,
) -> stats.DailyStats | None:
    scope = scope_of(tree, who)
    if scope is None:
        return None
    span = days if days in (7, 30) else stats.DEFAULT_DAYS
    chosen = source if source in {s.value for s in SmsSource} else None
    with services.sessions() as db:
        return stats.daily_counts(db, scope.path, _now(now), span, chosen, tz=display_zone())


def log_page(
    services: Services, tree: OrgTree, who: SessionUser, states: Any, source: Any, page: int
) -> logs.LogPage | None:
    """One page of the delivery log in scope; None when refused or asked for nonsense."""
    scope = scope_of(tree, who)
    if scope is None:
        return None
    wanted = [s for s in states if isinstance(s, str)] if isinstance(states, list) else []
    chosen = source if source in {s.value for s in SmsSource} else None
    try:
        with services.sessions() as db:
            return logs.list_deliveries(db, scope.path, states=wanted, source=chosen, page=page)
    except ValueError:  # a crafted state value
        return None


def resend(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    delivery_id: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    """重发 one failed text in scope (audited as sms_resend, with the error it had)."""
    scope = scope_of(tree, who)
    if scope is None:
        return Outcome(False, NO_SMS)
    ids = unique_ints([delivery_id])
    if not ids:
        return Outcome(False, logs.NOT_FOUND)
    try:
        with services.sessions.begin() as db:
            before = logs.resend(db, scope.path, ids[0], _now(now))
            record_action(
                db,
                who,
                "sms_resend",
                target_type="sms_delivery",
                target_id=before.delivery_id,
                node_id=before.node_id,
                detail={
                    "previous_attempts": before.previous_attempts,
                    "previous_error": before.previous_error,
                },
            )
    except logs.LogError as exc:
        return Outcome(False, str(exc))
    return Outcome(True, f"已重新排队：发给 {before.staff_name} 的短信将再次发送", ids[0])
