"""Open311 GeoReport v2 for citizens: existing Open311 apps work unchanged.

Field names, status values and the error format (``[{"code", "description"}]``)
follow the GeoReport v2 specification; JSON only. Only requests that citizens
filed through Open311 are listed, and never with the reporter's personal data:
the list is public, so numbers typed into the description or the address are
masked (:func:`data.masking.mask_text`); the record keeps what was sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.api.request_input import BadBody, request_json_object, text_field
from dashboard.services import Services
from data.incidents.categories import CategoryConfig
from data.incidents.intake import IntakeError, report
from data.masking import mask_text
from data.models import INCIDENT_STATE_LABELS, Incident, IncidentSource, IncidentState

#: states in which the city is done with a request, as GeoReport's "closed"
CLOSED_STATES = {
    IncidentState.CLOSED,
    IncidentState.REJECTED,
    IncidentState.DUPLICATE,
    IncidentState.TRANSFERRED,
}
MAX_LIST = 1000
#: intake's field names as GeoReport calls them
GEOREPORT_NAMES = {"lon": "long", "reporter_phone": "phone", "address": "address_string"}
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))


def open311_error(status: int, description: str) -> Response:
    response = jsonify([{"code": status, "description": description}])
    response.status_code = status
    return response


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def service_list(config: CategoryConfig) -> list[dict[str, Any]]:
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description,
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(c.keywords),
            "group": c.group,
        }
        for c in config.categories.values()
    ]


def request_view(incident: Incident, config: CategoryConfig) -> dict[str, Any]:
    """What anyone may read about a request: no reporter, numbers in free text masked."""
    category = config.get(incident.category)
    closed = incident.state in CLOSED_STATES
    return {
        "service_request_id": incident.tracking_no,
        "status": "closed" if closed else "open",
        "status_notes": INCIDENT_STATE_LABELS[incident.state],
        "service_name": category.name if category else incident.category,
        "service_code": incident.category,
        "description": mask_text(incident.description or incident.title),
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": _iso(incident.created_at),
        "updated_datetime": _iso(incident.updated_at),
        "expected_datetime": None if closed else _iso(incident.deadline_at),
        "address": mask_text(incident.address) if incident.address else incident.address,
        "address_id": None,
        "zipcode": None,
        "lat": incident.lat,
        "long": incident.lon,
        "media_url": None,
    }


def _form() -> dict[str, Any]:
    """GeoReport clients post form fields; JSON bodies (objects) are accepted too."""
    if request.is_json:
        return request_json_object()
    return request.form.to_dict()


def _float(value: Any, field: str) -> float | None:
    """A form field's text or a JSON number; whether it is a usable coordinate is intake's call."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise IntakeError({field: f"{field} 必须是数字"})
    try:
        return float(value)
    except ValueError:
        raise IntakeError({field: f"{field} 必须是数字"}) from None


def _georeport_message(exc: IntakeError) -> str:
    """Intake's per-field errors under GeoReport's field names (``long``, not ``lon``)."""
    return "；".join(f"{GEOREPORT_NAMES.get(k, k)}: {v}" for k, v in exc.errors.items())


def _query_time(value: str) -> dt.datetime:
    """An ISO 8601 / RFC 3339 time in UTC (China time when it has no zone).

    Converting now, not in the SQL driver: 0001-01-01T00:00+23:00 is a valid RFC 3339
    time whose UTC lies before year 1, which raised OverflowError (a 500) there.
    """
    moment = dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(dt.UTC)


def open311_blueprint(services: Services, config: CategoryConfig) -> Blueprint:
    bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

    @bp.get("/services.json")
    def services_json() -> Response:
        return jsonify(service_list(config))

    @bp.post("/requests.json")
    def post_request() -> Response | tuple[Response, int]:
        try:
            form = _form()
            code, description = text_field(form, "service_code"), text_field(form, "description")
            name = " ".join(
                p for p in (text_field(form, "last_name"), text_field(form, "first_name")) if p
            )
            address, phone = text_field(form, "address_string"), text_field(form, "phone")
        except BadBody as exc:
            return open311_error(400, str(exc))
        if not code:
            return open311_error(400, "service_code 为必填项 (service_code is required)")
        if code not in config:
            return open311_error(404, f"未知的 service_code「{code}」")
        try:
            lat = _float(form.get("lat"), "lat")
            lon = _float(form.get("long"), "long")
            if lat is None or lon is None:
                raise IntakeError({"lat/long": "请提供位置（lat 与 long）"})
            with services.sessions.begin() as session:
                incident = report(
                    session,
                    source=IncidentSource.OPEN311,
                    category=code,
                    title=(description or config[code].name)[:60],
                    description=description,
                    lat=lat,
                    lon=lon,
                    address=address or None,
                    reporter_name=name or None,
                    reporter_phone=phone or None,
                    categories=config,
                )
                tracking = incident.tracking_no
        except IntakeError as exc:
            return open311_error(400, _georeport_message(exc))
        notice = f"已受理，编号 {tracking}，可凭编号查询办理进度"
        return jsonify(
            [{"service_request_id": tracking, "service_notice": notice, "account_id": None}]
        ), 201

    @bp.get("/requests.json")
    def list_requests() -> Response:
        query = select(Incident).where(Incident.source == IncidentSource.OPEN311)
        ids = [i.strip() for i in request.args.get("service_request_id", "").split(",") if i]
        if ids:
            query = query.where(Incident.tracking_no.in_(ids[:MAX_LIST]))
        codes = [c.strip() for c in request.args.get("service_code", "").split(",") if c]
        if codes:
            query = query.where(Incident.category.in_(codes))
        status = request.args.get("status", "")
        if status not in ("", "open", "closed"):
            return open311_error(400, "status 只能是 open 或 closed")
        if status == "open":
            query = query.where(Incident.state.not_in(CLOSED_STATES))
        elif status == "closed":
            query = query.where(Incident.state.in_(CLOSED_STATES))
        for arg, compare in (("start_date", "ge"), ("end_date", "lt")):
            value = request.args.get(arg)
            if value:
                try:
                    moment = _query_time(value)
                except ValueError:
                    return open311_error(400, f"{arg} 不是 ISO 8601 时间：{value!r}")
                except OverflowError:
                    return open311_error(400, f"{arg} 超出可表示的时间范围：{value!r}")
                column = Incident.created_at
                query = query.where(column >= moment if compare == "ge" else column < moment)
        query = query.order_by(Incident.id.desc()).limit(MAX_LIST)
        with services.sessions() as session:
            return jsonify([request_view(i, config) for i in _all(session, query)])

    @bp.get("/requests/<service_request_id>.json")
    def get_request(service_request_id: str) -> Response:
        with services.sessions() as session:
            incident = session.scalar(
                select(Incident).where(
                    Incident.tracking_no == service_request_id,
                    Incident.source == IncidentSource.OPEN311,
                )
            )
            if incident is None:
                return open311_error(404, f"没有编号为 {service_request_id} 的请求")
            return jsonify([request_view(incident, config)])

    return bp


def open311_fallback_blueprint() -> Blueprint:
    """Unknown paths under /open311/ get a GeoReport 404, not the dashboard's page."""
    bp = Blueprint("open311_fallback", __name__)

    @bp.route("/open311/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def unknown(rest: str) -> Response:
        return open311_error(404, f"没有 /open311/{rest} 这个接口")

    return bp


def _all(session: Session, query: Any) -> list[Incident]:
    return list(session.scalars(query))
