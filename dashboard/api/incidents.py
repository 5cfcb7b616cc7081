"""``/api/v1/events``: grid staff report incidents and feed back from their terminals.

A report or a transition is committed (with its history and outbox rows) before the
2xx answer. ``report_id`` / ``transition_id`` sent by the terminal make a retried
POST return the first result instead of a second incident.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import redis
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from dashboard.api.attachments import AttachmentError, store_photos
from dashboard.api.device_auth import bearer_token
from dashboard.api.errors import api_error, redis_unavailable
from dashboard.api.request_input import BadBody, json_type, parse_json, request_json_object
from dashboard.services import Services
from data.alerts.deliveries import NotARecipient
from data.alerts.lifecycle import acknowledge
from data.alerts.queries import live_alerts_for_staff
from data.devices import hash_token
from data.incidents.actors import Actor
from data.incidents.categories import CategoryConfig
from data.incidents.intake import IntakeError, report
from data.incidents.workflow import (
    IllegalTransition,
    IncidentNotFound,
    InvalidRequest,
    NotPermitted,
    WorkflowError,
    apply,
)
from data.models import (
    INCIDENT_STATE_LABELS,
    Incident,
    IncidentSource,
    IncidentState,
    OrgNode,
    Role,
    Staff,
)
from data.record_ids import MAX_RECORD_ID, record_id
from streams import device_registry

#: what a terminal may do through feedback
TERMINAL_ACTIONS = {"start", "handle", "escalate"}


def _payload() -> tuple[dict[str, Any], list[Any]]:
    """JSON body, or multipart with a ``data`` JSON field and ``photo`` files.

    Raises BadBody (a 400) when the body cannot be read as a JSON object.
    """
    if request.mimetype == "multipart/form-data":
        try:
            data = parse_json(request.form.get("data") or "{}")
        except BadBody as exc:
            raise BadBody(f"data 字段：{exc}") from None
        if not isinstance(data, dict):
            raise BadBody(f"data 字段应为 JSON 对象，收到的是 {json_type(data)}")
        if request.form.getlist("photo"):  # a text field would be silently dropped
            raise AttachmentError("photo 应为图片文件（multipart 文件部分），不能是文本字段")
        return data, request.files.getlist("photo")
    return request_json_object(), []


def bad_body(exc: BadBody) -> Response:
    return api_error(400, "bad_request", str(exc))


def _number(body: dict[str, Any], field: str) -> float | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IntakeError({field: f"{field} 必须是数字"})
    return float(value)


def _text(body: dict[str, Any], field: str) -> str:
    """A text field as sent ("" when absent); any other JSON type is refused, not str()-ed."""
    value = body.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IntakeError({field: f"{field} 应为文本（字符串），收到的是 {json_type(value)}"})
    return value


def workflow_error(exc: WorkflowError) -> Response:
    status = {
        IllegalTransition: 409,
        NotPermitted: 403,
        InvalidRequest: 422,
        IncidentNotFound: 404,
    }.get(type(exc), 422)
    code = {409: "conflict", 403: "forbidden", 404: "not_found"}.get(status, "invalid")
    return api_error(status, code, str(exc))


def events_blueprint(services: Services, config: CategoryConfig) -> Blueprint:
    bp = Blueprint("api_events", __name__)

    def device_staff() -> tuple[Staff, OrgNode] | Response:
        token = bearer_token()
        if token is None:
            return api_error(401, "unauthorized", "缺少设备令牌 (missing Bearer token)")
        try:
            device = device_registry.by_token_hash(services.redis, hash_token(token))
        except (redis.ConnectionError, redis.TimeoutError):
            return redis_unavailable()
        if device is None:
            return api_error(401, "unauthorized", "设备令牌无效或已注销 (unknown or revoked)")
        with services.sessions() as session:
            row = session.execute(
                select(Staff, OrgNode)
                .join(OrgNode, OrgNode.id == Staff.node_id)
                .where(Staff.id == device.staff_id)
            ).first()
            if row is None:
                return api_error(403, "forbidden", "终端所属人员不存在")
            session.expunge_all()
            return row[0], row[1]

    @bp.post("/api/v1/events")
    def post_event() -> Response | tuple[Response, int]:
        found = device_staff()
        if isinstance(found, Response):
            return found
        staff, grid = found
        try:
            body, photos = _payload()
            lat, lon = _number(body, "lat"), _number(body, "lon")
            attachments = store_photos(photos, services.settings.var_dir)
            with services.sessions.begin() as session:
                incident = report(
                    session,
                    source=IncidentSource.TERMINAL,
                    category=_text(body, "category"),
                    title=_text(body, "title"),
                    description=_text(body, "description"),
                    lat=lat,
                    lon=lon,
                    node_id=None if lat is not None else grid.id,
                    address=_text(body, "address") or None,
                    reporter_staff_id=staff.id,
                    attachments=attachments,
                    transition_id=_optional_id(body, "report_id"),
                    categories=config,
                )
                answer = _incident_json(incident)
        except IntakeError as exc:
            return api_error(422, "invalid", str(exc), fields=exc.errors)
        except AttachmentError as exc:
            return api_error(422, "invalid", str(exc), fields={"photo": str(exc)})
        except WorkflowError as exc:
            return workflow_error(exc)
        except BadBody as exc:
            return bad_body(exc)
        return jsonify(answer), 201

    @bp.get("/api/v1/events/assigned")
    def assigned() -> Response:
        """What this terminal's holder has been dispatched to and not yet handed back."""
        found = device_staff()
        if isinstance(found, Response):
            return found
        staff, _grid = found
        with services.sessions() as session:
            rows = session.scalars(
                select(Incident)
                .where(
                    Incident.assignee_staff_id == staff.id,
                    Incident.state.in_([IncidentState.DISPATCHED, IncidentState.IN_PROGRESS]),
                )
                .order_by(Incident.id)
                .limit(50)
            )
            return jsonify([_incident_json(i) | {"title": i.title} for i in rows])

    @bp.get("/api/v1/alerts/assigned")
    def assigned_alerts() -> Response:
        """Live alerts texted to this terminal's holder, and whether they confirmed them."""
        found = device_staff()
        if isinstance(found, Response):
            return found
        staff, _grid = found
        with services.sessions() as session:
            return jsonify(
                [
                    {
                        "alert_id": alert.id,
                        "level": alert.level.value,
                        "title": alert.title,
                        "text": alert.text,
                        "valid_until": _rfc3339(alert.valid_until),
                        "acknowledged": acknowledged,
                    }
                    for alert, acknowledged in live_alerts_for_staff(session, staff.id)
                ]
            )

    @bp.post("/api/v1/alerts/<alert_id>/ack")
    def acknowledge_alert(alert_id: str) -> Response:
        """The terminal's holder confirms they received an alert (stored before the 200)."""
        found = device_staff()
        if isinstance(found, Response):
            return found
        staff, _grid = found
        found_id = record_id(alert_id)  # paths carry text: "²" or 2**64 is no alert
        if found_id is None:
            return api_error(
                404,
                "not_found",
                f"没有编号为 {alert_id[:32]} 的预警（预警编号应为 1 到 {MAX_RECORD_ID} 的整数）",
            )
        try:
            with services.sessions.begin() as session:
                first = acknowledge(session, found_id, staff.id, via="terminal")
        except NotARecipient:
            return api_error(404, "not_found", f"预警 {found_id} 未发送给本终端的持有人")
        return jsonify({"alert_id": found_id, "acknowledged": True, "first": first})

    @bp.post("/api/v1/events/<tracking_no>/feedback")
    def feedback(tracking_no: str) -> Response:
        found = device_staff()
        if isinstance(found, Response):
            return found
        staff, grid = found
        try:
            body, photos = _payload()
            action = _text(body, "action") or "handle"
            if action not in TERMINAL_ACTIONS:
                raise InvalidRequest(
                    f"终端只能执行 {sorted(TERMINAL_ACTIONS)}，不能执行「{action}」"
                )
            lat, lon = _number(body, "lat"), _number(body, "lon")
            attachments = store_photos(photos, services.settings.var_dir)
            actor = Actor(
                role=Role.GRID_STAFF.value,
                name=staff.name,
                scope_path=grid.path,
                staff_id=staff.id,
            )
            with services.sessions.begin() as session:
                incident_id = session.scalar(
                    select(Incident.id).where(Incident.tracking_no == tracking_no)
                )
                if incident_id is None:
                    raise IncidentNotFound(f"没有编号为 {tracking_no} 的事件")
                applied = apply(
                    session,
                    incident_id,
                    action,
                    actor,
                    note=_text(body, "note") or None,
                    lat=lat,
                    lon=lon,
                    attachments=attachments,
                    transition_id=_optional_id(body, "transition_id"),
                    categories=config,
                )
                answer = _incident_json(applied.incident)
        except IntakeError as exc:
            return api_error(422, "invalid", str(exc), fields=exc.errors)
        except AttachmentError as exc:
            return api_error(422, "invalid", str(exc), fields={"photo": str(exc)})
        except WorkflowError as exc:
            return workflow_error(exc)
        except BadBody as exc:
            return bad_body(exc)
        return jsonify(answer)

    return bp


def _optional_id(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not 8 <= len(value) <= 64:
        raise InvalidRequest(f"{field} 应为 8–64 个字符的字符串（建议 UUID）")
    return value


def _incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "tracking_no": incident.tracking_no,
        "state": str(incident.state),
        "state_label": INCIDENT_STATE_LABELS[incident.state],
        "node_id": incident.node_id,
        "deadline_at": _rfc3339(incident.deadline_at),
    }


def _rfc3339(moment: dt.datetime) -> str:
    """With its zone, always: SQLite hands back naive UTC, which clients would misread."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat()
