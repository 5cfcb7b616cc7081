"""Accepting a report: validate every field, find the responsible grid, start its clock.

``report`` writes the incident, its first history row and its outbox event in the
caller's transaction; the caller commits before answering, so a tracking number
handed out is always in SQL. Every problem is reported per field in one error.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.incidents import journal, limits
from data.incidents.actors import CITIZEN, Actor
from data.incidents.categories import CategoryConfig, default_categories
from data.incidents.locate import coordinate_errors, grid_index
from data.incidents.workflow import (
    InvalidRequest,
    aware,
    check_attachments,
    check_transition_id,
)
from data.masking import mask_name, mask_phone
from data.models import (
    Incident,
    IncidentHistory,
    IncidentSource,
    IncidentState,
    OrgNode,
    Role,
    Staff,
    User,
)

#: tracking numbers carry the reporting date in China Standard Time (no DST)
CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{4,18}[0-9]$")
MAX_TITLE, MAX_DESCRIPTION, MAX_ADDRESS, MAX_NAME = 128, 4000, 128, 64


class IntakeError(ValueError):
    """The report was refused; ``errors`` maps each bad field to a Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("；".join(f"{field}: {message}" for field, message in errors.items()))


def tracking_number(incident_id: int, at: dt.datetime) -> str:
    """``GW20261129-000123``: the reporting date and the incident id, unique and readable."""
    return f"GW{at.astimezone(CHINA_TZ):%Y%m%d}-{incident_id:06d}"


def report(
    session: Session,
    *,
    source: IncidentSource | str,
    category: str,
    title: str,
    description: str = "",
    node_id: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    reporter_staff_id: int | None = None,
    reporter_user_id: int | None = None,
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    attachments: Sequence[str] = (),
    scope_path: str = "/",
    transition_id: str | None = None,
    now: dt.datetime | None = None,
    categories: CategoryConfig | None = None,
) -> Incident:
    """Create an incident in state ``reported`` at its grid (or ``node_id``), or raise IntakeError.

    A repeated ``transition_id`` (a terminal retrying its POST) returns the incident
    created the first time instead of a second one, once the retry's own fields pass
    the same rules (a key is no way around validation).
    """
    config = categories or default_categories()
    now = aware(now)
    errors: dict[str, str] = {}
    if transition_id is not None:
        try:
            check_transition_id(transition_id)
        except InvalidRequest as exc:
            raise IntakeError({"transition_id": str(exc)}) from None
    texts = (title, description, address, reporter_name, reporter_phone)
    fields = _checked_fields(source, category, texts, (lat, lon), attachments, config, errors)
    # a retry gets the first answer only when its own fields pass the same rules
    if transition_id is not None and not errors:
        existing = _replayed(session, transition_id)
        if existing is not None:
            return existing
    node = _responsible_node(session, node_id, lat, lon, scope_path, errors)
    actor = _reporter(
        session,
        fields.kind,
        reporter_staff_id,
        reporter_user_id,
        fields.reporter_name,
        fields.reporter_phone,
        errors,
    )
    if errors or node is None or actor is None or fields.kind is None:
        raise IntakeError(errors)
    reporters = (reporter_staff_id, reporter_user_id)
    return _insert(session, fields, node, actor, reporters, attachments, transition_id, now, config)


def _insert(
    session: Session,
    fields: _Fields,
    node: OrgNode,
    actor: Actor,
    reporters: tuple[int | None, int | None],
    attachments: Sequence[str],
    transition_id: str | None,
    now: dt.datetime,
    config: CategoryConfig,
) -> Incident:
    """The checked report as a numbered incident at its node, with its first history row."""
    assert fields.kind is not None  # report() refused a bad source
    incident = _new_incident(fields, fields.kind, *reporters, now)
    incident.attachments = list(attachments)
    limits.place(incident, node, config, now)
    session.add(incident)
    session.flush()
    incident.tracking_no = tracking_number(incident.id, now)
    journal.record(
        session,
        incident,
        action="report",
        actor=actor,
        from_state=None,
        node_before_id=None,
        now=now,
        transition_id=transition_id,
        lat=fields.lat,
        lon=fields.lon,
        attachments=attachments,
        detail={"source": str(fields.kind), "deadline_at": incident.deadline_at.isoformat()},
    )
    return incident


@dataclass(frozen=True)
class _Fields:
    """A report's fields after the checks (stripped; ``kind`` None when the source is bad)."""

    kind: IncidentSource | None
    category: str
    title: str
    description: str
    address: str | None
    reporter_name: str | None
    reporter_phone: str | None
    lat: float | None
    lon: float | None


def _checked_fields(
    source: IncidentSource | str,
    category: str,
    texts: tuple[str, str, str | None, str | None, str | None],
    point: tuple[float | None, float | None],
    attachments: Sequence[str],
    config: CategoryConfig,
    errors: dict[str, str],
) -> _Fields:
    """Every field checked (each problem into ``errors``, in the form's order), stripped.

    ``texts`` are (title, description, address, reporter name, reporter phone).
    """
    title, description, address, reporter_name, reporter_phone = texts
    fields = _Fields(
        kind=_check_source(source, errors),
        category=_check_category(category, config, errors),
        title=_text(title, "title", "标题", MAX_TITLE, errors, required=True),
        description=_text(description, "description", "描述", MAX_DESCRIPTION, errors),
        address=_text(address, "address", "地址", MAX_ADDRESS, errors) or None,
        reporter_name=_text(reporter_name, "reporter_name", "姓名", MAX_NAME, errors) or None,
        reporter_phone=_check_phone(reporter_phone, errors),
        lat=point[0],
        lon=point[1],
    )
    try:
        check_attachments(attachments)
    except InvalidRequest as exc:
        errors["attachments"] = str(exc)
    errors.update(coordinate_errors(*point))
    return fields


def _check_category(category: str, config: CategoryConfig, errors: dict[str, str]) -> str:
    if not isinstance(category, str) or category not in config:
        errors["category"] = f"未知的事件类别「{category}」"
    return category


def _new_incident(
    fields: _Fields,
    kind: IncidentSource,
    reporter_staff_id: int | None,
    reporter_user_id: int | None,
    now: dt.datetime,
) -> Incident:
    """The incident row in state ``reported``, before it is placed and numbered."""
    return Incident(
        tracking_no=f"PENDING-{uuid.uuid4().hex[:16]}",
        category=fields.category,
        title=fields.title,
        description=fields.description,
        source=kind,
        state=IncidentState.REPORTED,
        reporter_staff_id=reporter_staff_id if kind is IncidentSource.TERMINAL else None,
        reporter_user_id=reporter_user_id if kind is IncidentSource.DESK else None,
        reporter_name=fields.reporter_name,
        reporter_phone=fields.reporter_phone,
        lat=fields.lat,
        lon=fields.lon,
        address=fields.address,
        last_seq=0,
        created_at=now,
        updated_at=now,
    )


def _replayed(session: Session, transition_id: str) -> Incident | None:
    done = session.scalar(
        select(IncidentHistory).where(IncidentHistory.transition_id == transition_id)
    )
    if done is None:
        return None
    if done.action != "report":
        raise IntakeError({"transition_id": f"编号 {transition_id} 已用于其他操作"})
    return session.get(Incident, done.incident_id)


def _check_source(source: IncidentSource | str, errors: dict[str, str]) -> IncidentSource | None:
    try:
        return IncidentSource(source)
    except ValueError:
        errors["source"] = "来源应为 " + " / ".join(s.value for s in IncidentSource)
        return None


def _text(
    value: str | None,
    field: str,
    label: str,
    max_len: int,
    errors: dict[str, str],
    *,
    required: bool = False,
) -> str:
    if value is not None and not isinstance(value, str):
        errors[field] = f"{label}应为文本"
        return ""
    text = (value or "").strip()
    if required and not text:
        errors[field] = f"请填写{label}"
    elif len(text) > max_len:
        errors[field] = f"{label}不能超过 {max_len} 个字符"
    return text


def _check_phone(phone: str | None, errors: dict[str, str]) -> str | None:
    if phone is None or not str(phone).strip():
        return None
    phone = str(phone).strip()
    if not PHONE_RE.match(phone):
        errors["reporter_phone"] = "电话号码格式不正确"
    return phone


def _responsible_node(
    session: Session,
    node_id: int | None,
    lat: float | None,
    lon: float | None,
    scope_path: str,
    errors: dict[str, str],
) -> OrgNode | None:
    """``node_id`` when given (the desk chose it), else the grid containing the point."""
    problems = coordinate_errors(lat, lon)
    if problems:
        errors.update(problems)
        return None
    if node_id is None and lat is None:
        errors["location"] = "需要提供位置（经纬度）或所属网格"
        return None
    if node_id is None:
        assert lat is not None and lon is not None
        node_id = grid_index(session).locate(float(lat), float(lon))
        if node_id is None:
            errors["location"] = "该位置不在任何网格内"
            return None
        field = "location"
    else:
        field = "node_id"
    node = session.get(OrgNode, node_id)
    if node is None or limits.level_of(node) is None:
        errors[field] = "所属节点不存在或不是处置层级（网格、社区、街道、区）"
        return None
    if not node.path.startswith(scope_path):
        errors[field] = "所属节点不在您的管辖范围内"
        return None
    return node


def _reporter(
    session: Session,
    kind: IncidentSource | None,
    staff_id: int | None,
    user_id: int | None,
    name: str | None,
    phone: str | None,
    errors: dict[str, str],
) -> Actor | None:
    """Who the first history row names: the staff member, the desk user or a masked citizen."""
    if kind is IncidentSource.TERMINAL:
        staff = None if staff_id is None else session.get(Staff, staff_id)
        if staff is None or not staff.active:
            errors["reporter_staff_id"] = "终端上报需要有效的网格人员"
            return None
        return Actor(role=Role.GRID_STAFF.value, name=staff.name, staff_id=staff.id)
    if kind is IncidentSource.DESK:
        user = None if user_id is None else session.get(User, user_id)
        if user is None or not user.active:
            errors["reporter_user_id"] = "值班台登记需要有效的登录用户"
            return None
        return Actor(role=user.role.value, name=user.display_name, user_id=user.id)
    if kind is IncidentSource.SMS and phone is None:
        errors["reporter_phone"] = "短信上报需要来信号码"
        return None
    who = mask_name(name) or mask_phone(phone) or "匿名"
    return Actor(role=CITIZEN, name=f"市民 {who}")
