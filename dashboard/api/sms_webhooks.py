"""Inbound SMS: a citizen's text becomes a report, and the answer carries a tracking number.

The SMS gateway posts each received text here (``from``, ``text``) with the shared
token configured as ``GRIDWATCH_SMS_WEBHOOK_TOKEN``; the JSON answer's ``reply`` is
the text the gateway sends back. "查询 GW…" asks for the status of a report.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.api import schemas
from dashboard.api.device_auth import gateway_token_ok
from dashboard.api.errors import api_error
from dashboard.api.request_input import (
    BadBody,
    FieldRules,
    ModelReader,
    json_type,
    request_json,
    request_json_object,
)
from dashboard.services import Services
from data.incidents.categories import CategoryConfig
from data.incidents.intake import IntakeError, report
from data.models import INCIDENT_STATE_LABELS, Incident, IncidentSource, NodeKind, OrgNode
from data.sms.receipts import apply_receipt
from data.sms.replies import apply_reply

QUERY = re.compile(r"^\s*(?:查询|查|CX)\s*(GW\d{8}-\d{6})\s*$", re.IGNORECASE)
FALLBACK_CATEGORY = "other"
INBOUND = ModelReader(schemas.InboundSms)


class WebhookFields(FieldRules):
    """The gateway's fields: stripped; a wrong type is a 400 naming the field."""

    strip_texts = True


WEBHOOK_FIELDS = WebhookFields()


def category_for(text: str, config: CategoryConfig) -> str:
    """The first category whose keyword occurs in the text, else the catch-all."""
    for category in config.categories.values():
        if any(word and word in text for word in category.keywords):
            return category.code
    return FALLBACK_CATEGORY if FALLBACK_CATEGORY in config else next(iter(config.categories))


def sms_blueprint(services: Services, config: CategoryConfig) -> Blueprint:
    bp = Blueprint("api_sms", __name__)
    gateway = SmsGateway(services, config)
    bp.add_url_rule("/api/v1/sms/inbound", view_func=gateway.inbound, methods=["POST"])
    bp.add_url_rule("/api/v1/sms/receipts", view_func=gateway.receipts, methods=["POST"])
    return bp


class SmsGateway:
    """The routes the SMS gateway calls, with the shared token as credential."""

    def __init__(self, services: Services, config: CategoryConfig) -> None:
        self.services = services
        self.settings = services.settings
        self.config = config

    def inbound(self) -> Response | tuple[Response, int]:
        if not self.settings.sms_webhook_token:
            return api_error(
                503, "not_configured", "未配置短信网关令牌 GRIDWATCH_SMS_WEBHOOK_TOKEN"
            )
        if not gateway_token_ok(self.settings):
            return api_error(401, "unauthorized", "短信网关令牌无效")
        try:
            body = request_json_object() if request.is_json else request.form.to_dict()
            sms = INBOUND.read(body, WEBHOOK_FIELDS)
        except BadBody as exc:
            return api_error(400, "bad_request", str(exc))
        if not sms.sender or not sms.text:
            return api_error(400, "bad_request", "from 与 text 为必填项")
        with self.services.sessions.begin() as session:
            try:
                answer = self._answer(session, sms)
            except IntakeError as exc:
                return api_error(422, "invalid", str(exc), fields=exc.errors)
        status = 201 if isinstance(answer, schemas.SmsReport) else 200
        return jsonify(msgspec.to_builtins(answer)), status

    def _answer(
        self, session: Session, sms: schemas.InboundSms
    ) -> schemas.SmsReply | schemas.SmsReport:
        """A status query, an alert confirmation, or else a report."""
        asked = QUERY.match(sms.text)
        if asked:
            tracking = asked.group(1).upper()
            return schemas.SmsReply(reply=_status_reply(session, tracking, sms.sender))
        # a staff member answering an alert text ("1", 确认, 收到) acknowledges it
        acknowledged = apply_reply(session, sms.sender, sms.text, dt.datetime.now(dt.UTC))
        if acknowledged is not None:
            return schemas.SmsReply(reply="已确认收到预警，谢谢。", alert_id=acknowledged)
        # texts carry no position: they go to the configured desk, by default the
        # first district's (the highest handling level)
        node_id = self.settings.sms_intake_node or session.scalar(
            select(OrgNode.id).where(OrgNode.kind == NodeKind.DISTRICT).order_by(OrgNode.id)
        )
        incident = report(
            session,
            source=IncidentSource.SMS,
            category=category_for(sms.text, self.config),
            title=sms.text[:60],
            description=sms.text,
            node_id=node_id,
            reporter_phone=sms.sender,
            categories=self.config,
        )
        tracking = incident.tracking_no
        reply = f"您反映的问题已受理，编号 {tracking}。回复“查询 {tracking}”可了解办理进度。"
        return schemas.SmsReport(tracking_no=tracking, reply=reply)

    def receipts(self) -> Response:
        """Delivery receipts from the provider: ``{"message_id", "status"}`` or a list."""
        if not gateway_token_ok(self.settings):
            return api_error(401, "unauthorized", "短信网关令牌无效")
        try:
            body = request_json()
            items = body if isinstance(body, list) else [body]
            receipts = [_receipt(index, item) for index, item in enumerate(items)]
        except BadBody as exc:
            return api_error(400, "bad_request", str(exc))
        now = dt.datetime.now(dt.UTC)
        with self.services.sessions.begin() as session:
            applied = sum(apply_receipt(session, mid, status, now) for mid, status in receipts)
        answer = schemas.ReceiptsResult(received=len(items), applied=applied)
        return jsonify(msgspec.to_builtins(answer))


def _receipt(index: int, item: Any) -> tuple[str, str]:
    """(message_id, status) of one receipt; ids may come as JSON numbers, nothing else.

    The rules of ``schemas.Receipt``, checked here by hand: each message names the
    item's place in the list, and an id may be a text or a number.
    """
    if not isinstance(item, dict):
        raise BadBody(f"第 {index} 条回执应为 JSON 对象，收到的是 {json_type(item)}")
    message_id, status = item.get("message_id"), item.get("status")
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not isinstance(message_id, str) or not message_id:
        raise BadBody(f"第 {index} 条回执：message_id 应为非空文本")
    if not isinstance(status, str) or not status:
        raise BadBody(f"第 {index} 条回执：status 应为非空文本")
    return message_id, status


def _status_reply(session: Session, tracking: str, sender: str) -> str:
    incident = session.scalar(select(Incident).where(Incident.tracking_no == tracking))
    # only the sender who reported it learns its state
    if incident is None or incident.reporter_phone != sender:
        return f"未找到编号为 {tracking} 的反映，请核对编号。"
    return f"编号 {tracking} 当前状态：{INCIDENT_STATE_LABELS[incident.state]}。"
