"""``/api/v1/events`` and ``/api/v1/alerts``: what grid staff do from their terminals.

They report incidents and feed back on those dispatched to them, and list and
acknowledge the alerts texted to them. A report or a transition is committed (with its
history and outbox rows) before the 2xx answer. ``report_id`` / ``transition_id`` sent
by the terminal make a retried POST return the first result instead of a second one.
Bodies are read through their models (``schemas.EventReport``, ``EventFeedback``):
every field's type is checked before a photo is stored or the database is touched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dashboard.api import schemas
from dashboard.api.attachments import AttachmentError, store_photos
from dashboard.api.device_auth import device_staff
from dashboard.api.errors import api_error
from dashboard.api.request_input import (
    BadBody,
    FieldRules,
    ModelReader,
    json_type,
    parse_json,
    request_json_object,
)
from dashboard.services import Services
from data.alerts.deliveries import NotARecipient
from data.alerts.lifecycle import acknowledge
from data.alerts.queries import live_alerts_for_staff
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
    Role,
)
from data.record_ids import MAX_RECORD_ID, record_id

REPORT = ModelReader(schemas.EventReport)
FEEDBACK = ModelReader(schemas.EventFeedback)
#: at most this many dispatched incidents are listed to a terminal
MAX_ASSIGNED = 50


class TerminalFields(FieldRules):
    """A terminal's fields: a wrong type is a 422 naming the field, like intake's own."""

    def refuse(self, name: str, message: str) -> Exception:
        return IntakeError({name: message})

    def key(self, name: str, value: Any) -> str:
        low, high = schemas.KEY_LENGTH
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise InvalidRequest(f"{name} 应为 {low}–{high} 个字符的字符串（建议 UUID）")
        return value

    def choice(self, name: str, value: Any, choices: tuple[str, ...]) -> str | None:
        action = self.text(name, value)
        if action and action not in choices:
            raise InvalidRequest(f"终端只能执行 {sorted(choices)}，不能执行「{action}」")
        return action or None


TERMINAL_FIELDS = TerminalFields()


def _payload() -> tuple[dict[str, Any], list[FileStorage]]:
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


def workflow_error(exc: WorkflowError) -> Response:
    status = {
        IllegalTransition: 409,
        NotPermitted: 403,
        InvalidRequest: 422,
        IncidentNotFound: 404,
    }.get(type(exc), 422)
    code = {409: "conflict", 403: "forbidden", 404: "not_found"}.get(status, "invalid")
    return api_error(status, code, str(exc))


def refused(exc: Exception) -> Response:
    """The answer to a report or feedback that was refused (always a 4xx)."""
    if isinstance(exc, IntakeError):
        return api_error(422, "invalid", str(exc), fields=exc.errors)
    if isinstance(exc, AttachmentError):
        return api_error(422, "invalid", str(exc), fields={"photo": str(exc)})
    if isinstance(exc, WorkflowError):
        return workflow_error(exc)
    return api_error(400, "bad_request", str(exc))


#: what ``refused`` answers
REFUSALS = (IntakeError, AttachmentError, WorkflowError, BadBody)


class TerminalApi:
    """The routes a terminal calls, with the services and categories they need."""

    def __init__(self, services: Services, config: CategoryConfig) -> None:
        self.services = services
        self.config = config

    def post_event(self) -> Response | tuple[Response, int]:
        found = device_staff(self.services)
        if isinstance(found, Response):
            return found
        staff, grid = found
        try:
            body, photos = _payload()
            sent = REPORT.read(body, TERMINAL_FIELDS)
            attachments = store_photos(photos, self.services.settings.var_dir)
            with self.services.sessions.begin() as session:
                incident = report(
                    session,
                    source=IncidentSource.TERMINAL,
                    category=sent.category,
                    title=sent.title,
                    description=sent.description or "",
                    lat=sent.lat,
                    lon=sent.lon,
                    node_id=None if sent.lat is not None else grid.id,
                    address=sent.address or None,
                    reporter_staff_id=staff.id,
                    attachments=attachments,
                    transition_id=sent.report_id,
                    categories=self.config,
                )
                answer = incident_answer(incident)
        except REFUSALS as exc:
            return refused(exc)
        return jsonify(msgspec.to_builtins(answer)), 201

    def feedback(self, tracking_no: str) -> Response:
        found = device_staff(self.services)
        if isinstance(found, Response):
            return found
        staff, grid = found
        actor = Actor(
            role=Role.GRID_STAFF.value, name=staff.name, scope_path=grid.path, staff_id=staff.id
        )
        try:
            body, photos = _payload()
            sent = FEEDBACK.read(body, TERMINAL_FIELDS)
            attachments = store_photos(photos, self.services.settings.var_dir)
            with self.services.sessions.begin() as session:
                incident_id = session.scalar(
                    select(Incident.id).where(Incident.tracking_no == tracking_no)
                )
                if incident_id is None:
                    raise IncidentNotFound(f"没有编号为 {tracking_no} 的事件")
                applied = apply(
                    session,
                    incident_id,
                    sent.action or "handle",
                    actor,
                    note=sent.note or None,
                    lat=sent.lat,
                    lon=sent.lon,
                    attachments=attachments,
                    transition_id=sent.transition_id,
                    categories=self.config,
                )
                answer = incident_answer(applied.incident)
        except REFUSALS as exc:
            return refused(exc)
        return jsonify(msgspec.to_builtins(answer))

    def assigned(self) -> Response:
        """What this terminal's holder has been dispatched to and not yet handed back."""
        found = device_staff(self.services)
        if isinstance(found, Response):
            return found
        staff, _grid = found
        with self.services.sessions() as session:
            rows = session.scalars(
                select(Incident)
                .where(
                    Incident.assignee_staff_id == staff.id,
                    Incident.state.in_([IncidentState.DISPATCHED, IncidentState.IN_PROGRESS]),
                )
                .order_by(Incident.id)
                .limit(MAX_ASSIGNED)
            )
            answer = [
                schemas.AssignedIncident(
                    **msgspec.structs.asdict(incident_answer(i)), title=i.title
                )
                for i in rows
            ]
        return jsonify(msgspec.to_builtins(answer))

    def assigned_alerts(self) -> Response:
        """Live alerts texted to this terminal's holder, and whether they confirmed them."""
        found = device_staff(self.services)
        if isinstance(found, Response):
            return found
        staff, _grid = found
        with self.services.sessions() as session:
            answer = [
                schemas.AssignedAlert(
                    alert_id=alert.id,
                    level=alert.level,
                    title=alert.title,
                    text=alert.text,
                    valid_until=rfc3339(alert.valid_until),
                    acknowledged=acknowledged,
                )
                for alert, acknowledged in live_alerts_for_staff(session, staff.id)
            ]
        return jsonify(msgspec.to_builtins(answer))

    def acknowledge_alert(self, alert_id: str) -> Response:
        """The terminal's holder confirms they received an alert (stored before the 200)."""
        found = device_staff(self.services)
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
            with self.services.sessions.begin() as session:
                first = acknowledge(session, found_id, staff.id, via="terminal")
        except NotARecipient:
            return api_error(404, "not_found", f"预警 {found_id} 未发送给本终端的持有人")
        answer = schemas.AlertAck(alert_id=found_id, acknowledged=True, first=first)
        return jsonify(msgspec.to_builtins(answer))


def events_blueprint(services: Services, config: CategoryConfig) -> Blueprint:
    bp = Blueprint("api_events", __name__)
    api = TerminalApi(services, config)
    bp.add_url_rule("/api/v1/events", view_func=api.post_event, methods=["POST"])
    bp.add_url_rule(
        "/api/v1/events/<tracking_no>/feedback", view_func=api.feedback, methods=["POST"]
    )
    bp.add_url_rule("/api/v1/events/assigned", view_func=api.assigned, methods=["GET"])
    bp.add_url_rule("/api/v1/alerts/assigned", view_func=api.assigned_alerts, methods=["GET"])
    bp.add_url_rule(
        "/api/v1/alerts/<alert_id>/ack", view_func=api.acknowledge_alert, methods=["POST"]
    )
    return bp


def incident_answer(incident: Incident) -> schemas.Incident:
    return schemas.Incident(
        tracking_no=incident.tracking_no,
        state=str(incident.state),
        state_label=INCIDENT_STATE_LABELS[incident.state],
        node_id=incident.node_id,
        deadline_at=rfc3339(incident.deadline_at),
    )


def rfc3339(moment: dt.datetime) -> str:
    """With its zone, always: SQLite hands back naive UTC, which clients would misread."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat()
