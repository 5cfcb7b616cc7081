"""短信模板: named texts that fill the compose box, owned by a node of the tree.

Templates carry no personal data, but they are the city's wording: a district officer
must not overwrite or delete the city's. So a template belongs to the node of whoever
created it (``scope_path``, like a 用户分组) and follows the scope rule: a user sees the
templates of their node and its ancestors (to use; read-only) and of their subtree, and
may create, edit and delete only those inside their own subtree. Names are unique per
node, so a community may word its own "防汛通知" next to the city's. Deleting a template
removes only the template; texts sent with it are kept as sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from data.models import SmsTemplate
from data.sms.compose import ComposeError, check_text
from data.sms.scope import path_under

MAX_NAME_CHARS = 32
NOT_FOUND = "模板不存在或不在您的管辖范围内（可能已被删除）"
READ_ONLY = "上级单位的模板只能查看和使用，不能修改或删除"


class TemplateError(ValueError):
    """A template cannot be saved or found; ``str()`` is the Chinese reason."""


@dataclass(frozen=True)
class TemplateRow:
    id: int
    name: str
    text: str
    created_by: str
    updated_at: dt.datetime
    #: the owner node's path
    scope_path: str
    #: whether the viewer may edit or delete it (the owner lies in the viewer's subtree)
    editable: bool


def ancestor_paths(scope_path: str) -> list[str]:
    """ "/1/4/17/" → ["/1/", "/1/4/", "/1/4/17/"]: the node and every node above it."""
    parts = [p for p in scope_path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _visible(scope_path: str) -> ColumnElement[bool]:
    """Templates of the viewer's ancestors (and own node) or of their subtree."""
    return or_(
        SmsTemplate.scope_path.in_(ancestor_paths(scope_path)),
        path_under(SmsTemplate.scope_path, scope_path),
    )


def _row(t: SmsTemplate, scope_path: str) -> TemplateRow:
    editable = t.scope_path.startswith(scope_path)
    return TemplateRow(t.id, t.name, t.text, t.created_by, t.updated_at, t.scope_path, editable)


def list_templates(session: Session, scope_path: str) -> list[TemplateRow]:
    """What a user at ``scope_path`` sees: from the root down to their subtree, by name."""
    query = (
        select(SmsTemplate)
        .where(_visible(scope_path))
        .order_by(SmsTemplate.name, func.length(SmsTemplate.scope_path), SmsTemplate.id)
    )
    return [_row(t, scope_path) for t in session.scalars(query)]


def get_template(session: Session, scope_path: str, template_id: int) -> TemplateRow | None:
    """One template the user at ``scope_path`` may see (to use or to edit), else None."""
    found = session.scalar(
        select(SmsTemplate).where(SmsTemplate.id == template_id, _visible(scope_path))
    )
    return None if found is None else _row(found, scope_path)


def _owned(session: Session, scope_path: str, template_id: int) -> SmsTemplate:
    """The template, locked, if the user may change it; a reason why not otherwise."""
    row = session.scalar(
        select(SmsTemplate)
        .where(SmsTemplate.id == template_id, _visible(scope_path))
        .with_for_update()
    )
    if row is None:
        raise TemplateError(NOT_FOUND)
    if not row.scope_path.startswith(scope_path):
        raise TemplateError(READ_ONLY)
    return row


def _checked(
    session: Session, owner_path: str, name: str | None, text: str | None, keep_id: int | None
) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise TemplateError("模板名称不能为空")
    if len(name) > MAX_NAME_CHARS:
        raise TemplateError(f"模板名称不能超过 {MAX_NAME_CHARS} 字")
    try:
        body = check_text(text)
    except ComposeError as exc:
        raise TemplateError(str(exc).replace("短信内容", "模板内容")) from None
    clash = session.scalar(
        select(SmsTemplate.id).where(
            SmsTemplate.scope_path == owner_path, func.lower(SmsTemplate.name) == name.lower()
        )
    )
    if clash is not None and clash != keep_id:
        raise TemplateError(f"已有名为「{name}」的模板")
    return name, body


def create_template(
    session: Session,
    scope_path: str,
    name: str | None,
    text: str | None,
    by: str,
    now: dt.datetime,
) -> TemplateRow:
    """A template owned by the creator's own node (``scope_path``)."""
    name, body = _checked(session, scope_path, name, text, None)
    row = SmsTemplate(
        name=name,
        scope_path=scope_path,
        text=body,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return _row(row, scope_path)


def update_template(
    session: Session,
    scope_path: str,
    template_id: int,
    name: str | None,
    text: str | None,
    now: dt.datetime,
) -> TemplateRow:
    """Rename and reword a template in the user's subtree; it keeps its owner node."""
    row = _owned(session, scope_path, template_id)
    row.name, row.text = _checked(session, row.scope_path, name, text, template_id)
    row.updated_at = now
    session.flush()
    return _row(row, scope_path)


def delete_template(session: Session, scope_path: str, template_id: int) -> TemplateRow:
    """Remove a template in the user's subtree; texts sent with it stay as sent."""
    row = _owned(session, scope_path, template_id)
    gone = _row(row, scope_path)
    session.delete(row)
    session.flush()
    return gone
