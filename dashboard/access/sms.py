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
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access import base
from dashboard.access.base import AuditEntry, Command, Problem, Refused, T, permitted_scope
from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time, display_zone
from dashboard.services import Services
from data.incidents.actors import Actor
from data.masking import mask_text
from data.models import POST_LABELS, SmsFolder, SmsSource
from data.org_tree import NodeInfo, OrgTree
from data.sms import folders, groups, logs, stats, templates
from data.sms.compose import (
    Composed,
    ComposeError,
    OutsideScope,
    chosen_staff,
    compose,
    find_batch,
    resolve_recipients,
    search_staff,
    segments,
)
from data.sms.scope import unique_ints

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


@dataclass
class _SmsCommand(Command[T]):
    """A change on the SMS platform: refused without ``Perm.SEND_SMS``; audited in its
    own transaction at the user's node."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser

    def validate(self) -> list[Problem]:
        return [] if scope_of(self.tree, self.who) is not None else [Problem("form", NO_SMS)]

    @property
    def scope_path(self) -> str:
        scope = scope_of(self.tree, self.who)
        assert scope is not None  # validate() saw to it
        return scope.path

    @property
    def actor(self) -> Actor:
        actor = actor_for(self.tree, self.who)
        assert actor is not None  # validate() saw to it
        return actor

    def entry(self, action: str, target: str, target_id: int | None, **detail: Any) -> AuditEntry:
        return AuditEntry(action, target, target_id, self.who.node_id, detail)


def _first_id(value: Any) -> int | None:
    ids = unique_ints([value])
    return ids[0] if ids else None


# -- pickers -------------------------------------------------------------------------


def _staff_option(
    tree: OrgTree, sid: int, name: str, post: Any, node_id: int, phone: str
) -> dict[str, Any]:
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
) -> list[dict[str, Any]]:
    """Active staff in scope whose name (or grid) contains ``search``, plus the chosen ones.

    Never the whole subtree: a city has 85,000 staff, so the picker searches as one
    types and shows at most ``limit``. Chosen ids outside the scope are dropped.
    """
    scope = scope_of(tree, who)
    if scope is None:
        return []
    keep = unique_ints(chosen or [])
    search = (search or "").strip()
    with services.sessions() as db:
        rows = chosen_staff(db, scope.path, keep)
        if search:
            found = search_staff(db, scope.path, search, limit)
            rows += [r for r in found if r[0] not in keep]
    return [_staff_option(tree, *row) for row in rows]


def group_options(services: Services, tree: OrgTree, who: SessionUser) -> list[dict[str, Any]]:
    scope = scope_of(tree, who)
    if scope is None:
        return []
    with services.sessions() as db:
        rows = groups.list_groups(db, scope.path)
    return [{"label": f"{g.name}（{g.member_count} 人）", "value": g.id} for g in rows]


def template_options(services: Services, tree: OrgTree, who: SessionUser) -> list[dict[str, Any]]:
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


@dataclass
class SendSms(_SmsCommand[Composed]):
    """Queue one text: the batch, its deliveries and the audit row are one commit."""

    text: str = ""
    staff_ids: list[Any] = field(default_factory=list)
    group_ids: list[Any] = field(default_factory=list)
    token: str | None = None
    now: dt.datetime | None = None

    def execute(self, db: Session) -> Composed:
        return compose(
            db,
            self.actor,
            text=self.text,
            staff_ids=self.staff_ids,
            group_ids=self.group_ids,
            client_token=self.token,
            now=_now(self.now),
        )

    def audit(self, result: Composed) -> AuditEntry | None:
        if result.replayed:
            return None
        body = self.text.strip()
        return self.entry(
            "sms_send",
            "sms_batch",
            result.batch_id,
            recipients=result.recipients,
            skipped=len(result.skipped),
            groups=unique_ints(self.group_ids),
            chars=len(body),
            segments=segments(body),
        )


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
    token = token if isinstance(token, str) else None
    command = SendSms(
        services.sessions,
        tree,
        who,
        text if isinstance(text, str) else "",
        staff_ids if isinstance(staff_ids, list) else [],
        group_ids if isinstance(group_ids, list) else [],
        token,
        now,
    )
    try:
        done = command.run()
    except Refused as exc:
        return Outcome(False, exc.message)
    except OutsideScope as exc:
        _record_outside_scope(services, who, exc)
        return Outcome(False, str(exc))
    except ComposeError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:  # the same token committed by a concurrent request
        with services.sessions() as db:
            first = find_batch(db, command.actor, token)
        if first is None:
            raise
        return Outcome(True, f"已提交发送 {first.recipient_count} 人（重复提交已忽略）", first.id)
    if done.replayed:
        return Outcome(True, f"已提交发送 {done.recipients} 人（重复提交已忽略）", done.batch_id)
    tail = (
        f"；{len(done.skipped)} 人未发送（{_skipped_text(done.skipped)}）" if done.skipped else ""
    )
    return Outcome(True, f"已提交发送 {done.recipients} 人{tail}", done.batch_id)


def _record_outside_scope(services: Services, who: SessionUser, exc: OutsideScope) -> None:
    """A send naming recipients outside the scope: a log line and a ``denied`` audit row."""
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


@dataclass
class MoveBatch(_SmsCommand[tuple[int, str, bool]]):
    """备案 / 删除 / 恢复 one batch in scope; (batch id, its folder now, whether it moved)."""

    batch_id: Any = None
    action: Any = None
    now: dt.datetime | None = None

    def validate(self) -> list[Problem]:
        problems = super().validate()
        if not problems and (_first_id(self.batch_id) is None or self.action not in folders.MOVES):
            problems.append(Problem("action", "无效的操作"))
        return problems

    def execute(self, db: Session) -> tuple[int, str, bool]:
        batch_id = _first_id(self.batch_id)
        assert batch_id is not None  # validate() saw to it
        batch, changed = folders.move(db, self.scope_path, batch_id, self.action, _now(self.now))
        return batch.id, batch.folder.value, changed

    def audit(self, result: tuple[int, str, bool]) -> AuditEntry | None:
        batch_id, folder, changed = result
        if not changed:
            return None
        return self.entry(f"sms_{self.action}", "sms_batch", batch_id, folder=folder)


def move(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    batch_id: Any,
    action: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    """备案 / 删除 / 恢复 one batch in scope (audited as sms_file / sms_delete / sms_restore)."""
    try:
        moved, _folder, changed = MoveBatch(
            services.sessions, tree, who, batch_id, action, now
        ).run()
    except Refused as exc:
        return Outcome(False, exc.message)
    except folders.FolderError as exc:
        return Outcome(False, str(exc))
    if not changed:
        return Outcome(True, f"该短信已{folders.MOVES[action].label}（重复操作已忽略）", moved)
    where = {"file": "已移入备案短信", "delete": "已移入已删除短信", "restore": "已恢复到已发短信"}
    return Outcome(True, f"短信 #{moved} {where[action]}", moved)


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


@dataclass
class SaveTemplate(_SmsCommand[templates.TemplateRow]):
    """A new template at the user's node, or an edit of one in their subtree."""

    template_id: Any = None
    name: str = ""
    text: str = ""
    now: dt.datetime | None = None

    @property
    def editing(self) -> int | None:
        return _first_id(self.template_id)

    def execute(self, db: Session) -> templates.TemplateRow:
        now = _now(self.now)
        if self.editing is not None:
            return templates.update_template(
                db, self.scope_path, self.editing, self.name, self.text, now
            )
        return templates.create_template(
            db, self.scope_path, self.name, self.text, self.who.display_name, now
        )

    def audit(self, result: templates.TemplateRow) -> AuditEntry:
        action = "sms_template_edit" if self.editing is not None else "sms_template_add"
        return self.entry(
            action, "sms_template", result.id, name=result.name, owner=result.scope_path
        )


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
    name = name if isinstance(name, str) else ""
    text = text if isinstance(text, str) else ""
    command = SaveTemplate(services.sessions, tree, who, template_id, name, text, now)
    try:
        row = command.run()
    except Refused as exc:
        return Outcome(False, exc.message)
    except templates.TemplateError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:  # the same name saved concurrently at the same node
        return Outcome(False, f"已有名为「{name.strip()}」的模板")
    verb = "已保存" if command.editing is not None else "已新建"
    return Outcome(True, f"模板「{row.name}」{verb}", row.id)


@dataclass
class DeleteTemplate(_SmsCommand[templates.TemplateRow]):
    """Delete a template in the user's subtree (audited with its text)."""

    template_id: Any = None

    def validate(self) -> list[Problem]:
        problems = super().validate()
        if not problems and _first_id(self.template_id) is None:
            problems.append(Problem("template", templates.NOT_FOUND))
        return problems

    def execute(self, db: Session) -> templates.TemplateRow:
        template_id = _first_id(self.template_id)
        assert template_id is not None  # validate() saw to it
        return templates.delete_template(db, self.scope_path, template_id)

    def audit(self, result: templates.TemplateRow) -> AuditEntry:
        return self.entry(
            "sms_template_delete",
            "sms_template",
            result.id,
            name=result.name,
            text=result.text,
            owner=result.scope_path,
        )


def delete_template(
    services: Services, tree: OrgTree, who: SessionUser, template_id: Any
) -> Outcome:
    """Delete a template in the user's subtree (audited with its text); others are refused."""
    try:
        gone = DeleteTemplate(services.sessions, tree, who, template_id).run()
    except Refused as exc:
        return Outcome(False, exc.message)
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
) -> tuple[str, list[dict[str, Any]]] | None:
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


@dataclass
class SaveGroup(_SmsCommand[groups.GroupRow]):
    """A new recipient group at the user's node, or an edit of one in their subtree."""

    group_id: Any = None
    name: str = ""
    staff_ids: list[Any] = field(default_factory=list)
    now: dt.datetime | None = None

    @property
    def editing(self) -> int | None:
        return _first_id(self.group_id)

    def execute(self, db: Session) -> groups.GroupRow:
        if self.editing is not None:
            return groups.update_group(db, self.actor, self.editing, self.name, self.staff_ids)
        return groups.create_group(db, self.actor, self.name, self.staff_ids, _now(self.now))

    def audit(self, result: groups.GroupRow) -> AuditEntry:
        action = "sms_group_edit" if self.editing is not None else "sms_group_add"
        return self.entry(
            action, "sms_group", result.id, name=result.name, members=result.member_count
        )


def save_group(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    group_id: Any,
    name: Any,
    staff_ids: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    name = name if isinstance(name, str) else ""
    members = staff_ids if isinstance(staff_ids, list) else []
    command = SaveGroup(services.sessions, tree, who, group_id, name, members, now)
    try:
        row = command.run()
    except Refused as exc:
        return Outcome(False, exc.message)
    except groups.GroupError as exc:
        return Outcome(False, str(exc))
    except IntegrityError:
        return Outcome(False, f"已有名为「{name.strip()}」的分组")
    verb = "已保存" if command.editing is not None else "已新建"
    return Outcome(True, f"分组「{row.name}」{verb}（{row.member_count} 人）", row.id)


@dataclass
class DeleteGroup(_SmsCommand[groups.GroupRow]):
    """Delete a recipient group in the user's subtree."""

    group_id: Any = None

    def validate(self) -> list[Problem]:
        problems = super().validate()
        if not problems and _first_id(self.group_id) is None:
            problems.append(Problem("group", groups.NOT_FOUND))
        return problems

    def execute(self, db: Session) -> groups.GroupRow:
        group_id = _first_id(self.group_id)
        assert group_id is not None  # validate() saw to it
        return groups.delete_group(db, self.actor, group_id)

    def audit(self, result: groups.GroupRow) -> AuditEntry:
        return self.entry(
            "sms_group_delete",
            "sms_group",
            result.id,
            name=result.name,
            members=result.member_count,
        )


def delete_group(services: Services, tree: OrgTree, who: SessionUser, group_id: Any) -> Outcome:
    try:
        gone = DeleteGroup(services.sessions, tree, who, group_id).run()
    except Refused as exc:
        return Outcome(False, exc.message)
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


@dataclass
class ResendText(_SmsCommand[logs.Resent]):
    """重发 one failed text in scope (audited with the error it had)."""

    delivery_id: Any = None
    now: dt.datetime | None = None

    def validate(self) -> list[Problem]:
        problems = super().validate()
        if not problems and _first_id(self.delivery_id) is None:
            problems.append(Problem("delivery", logs.NOT_FOUND))
        return problems

    def execute(self, db: Session) -> logs.Resent:
        delivery_id = _first_id(self.delivery_id)
        assert delivery_id is not None  # validate() saw to it
        return logs.resend(db, self.scope_path, delivery_id, _now(self.now))

    def audit(self, result: logs.Resent) -> AuditEntry:
        detail = {
            "previous_attempts": result.previous_attempts,
            "previous_error": result.previous_error,
        }
        return AuditEntry("sms_resend", "sms_delivery", result.delivery_id, result.node_id, detail)


def resend(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    delivery_id: Any,
    now: dt.datetime | None = None,
) -> Outcome:
    """重发 one failed text in scope (audited as sms_resend, with the error it had)."""
    try:
        before = ResendText(services.sessions, tree, who, delivery_id, now).run()
    except Refused as exc:
        return Outcome(False, exc.message)
    except logs.LogError as exc:
        return Outcome(False, str(exc))
    return Outcome(
        True, f"已重新排队：发给 {before.staff_name} 的短信将再次发送", before.delivery_id
    )
