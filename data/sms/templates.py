"""短信模板: named texts that fill the compose box. Shared by everyone who may send.

Templates carry no personal data and no scope: a flood warning worded well in one
district is worded well in the next. Names are unique so the picker is unambiguous.
Deleting a template removes only the template; texts sent with it are kept as sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import SmsTemplate
from data.sms.compose import ComposeError, check_text

MAX_NAME_CHARS = 32


class TemplateError(ValueError):
    """A template cannot be saved or found; ``str()`` is the Chinese reason."""


@dataclass(frozen=True)
class TemplateRow:
    id: int
    name: str
    text: str
    created_by: str
    updated_at: dt.datetime


def _row(t: SmsTemplate) -> TemplateRow:
    return TemplateRow(t.id, t.name, t.text, t.created_by, t.updated_at)


def list_templates(session: Session) -> list[TemplateRow]:
    return [_row(t) for t in session.scalars(select(SmsTemplate).order_by(SmsTemplate.name))]


def get_template(session: Session, template_id: int) -> TemplateRow | None:
    found = session.get(SmsTemplate, template_id)
    return None if found is None else _row(found)


def _checked(
    session: Session, name: str | None, text: str | None, keep_id: int | None
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
        select(SmsTemplate.id).where(func.lower(SmsTemplate.name) == name.lower())
    )
    if clash is not None and clash != keep_id:
        raise TemplateError(f"已有名为「{name}」的模板")
    return name, body


def create_template(
    session: Session, name: str | None, text: str | None, by: str, now: dt.datetime
) -> TemplateRow:
    name, body = _checked(session, name, text, None)
    row = SmsTemplate(name=name, text=body, created_by=by, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return _row(row)


def update_template(
    session: Session, template_id: int, name: str | None, text: str | None, now: dt.datetime
) -> TemplateRow:
    row = session.get(SmsTemplate, template_id, with_for_update=True)
    if row is None:
        raise TemplateError("模板不存在（可能已被删除）")
    row.name, row.text = _checked(session, name, text, template_id)
    row.updated_at = now
    session.flush()
    return _row(row)


def delete_template(session: Session, template_id: int) -> TemplateRow:
    row = session.get(SmsTemplate, template_id, with_for_update=True)
    if row is None:
        raise TemplateError("模板不存在（可能已被删除）")
    gone = _row(row)
    session.delete(row)
    session.flush()
    return gone
