"""Open311 GeoReport v2 for citizens: existing Open311 apps work unchanged.

Field names, status values and the error format (``[{"code", "description"}]``)
follow the GeoReport v2 specification; JSON only. Only requests that citizens
filed through Open311 are listed, and never with the reporter's personal data:
the list is public, so numbers typed into the description or the address are
masked (:func:`data.masking.mask_text`); the record keeps what was sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, get_args

import msgspec
from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Select, select

from dashboard.api import schemas
from dashboard.api.request_input import BadBody, FieldRules, ModelReader, request_json_object
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
STATUSES = get_args(schemas.GeoReportStatus)
#: intake's field names as GeoReport calls them
GEOREPORT_NAMES = {"lon": "long", "reporter_phone": "phone", "address": "address_string"}
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))


def open311_error(status: int, description: str) -> Response:
    answer = [schemas.GeoReportError(code=status, description=description)]
    response = jsonify(msgspec.to_builtins(answer))
    response.status_code = status
    return response


def _china_time(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else _china_time(moment)


def service_list(config: CategoryConfig) -> list[schemas.Service]:
    return [
        schemas.Service(
            service_code=c.code,
            service_name=c.name,
            description=c.description,
            metadata=False,
            type="realtime",
            keywords=",".join(c.keywords),
            group=c.group,
        )
        for c in config.categories.values()
    ]


def request_view(incident: Incident, config: CategoryConfig) -> schemas.ServiceRequest:
    """What anyone may read about a request: no reporter, numbers in free text masked."""
    category = config.get(incident.category)
    closed = incident.state in CLOSED_STATES
    return schemas.ServiceRequest(
        service_request_id=incident.tracking_no,
        status="closed" if closed else "open",
        status_notes=INCIDENT_STATE_LABELS[incident.state],
        service_name=category.name if category else incident.category,
        service_code=incident.category,
        description=mask_text(incident.description or incident.title),
        requested_datetime=_china_time(incident.created_at),
        updated_datetime=_iso(incident.updated_at),
        expected_datetime=None if closed else _iso(incident.deadline_at),
        address=mask_text(incident.address) if incident.address else incident.address,
        lat=incident.lat,
        long=incident.lon,
    )


def _form() -> dict[str, Any]:
    """GeoReport clients post form fields; JSON bodies (objects) are accepted too."""
    if request.is_json:
        return request_json_object()
    return request.form.to_dict()


class GeoReportFields(FieldRules):
    """GeoReport's fields: texts stripped, a wrong type a 400; the position may be form text."""

    strip_texts = True

    def number(self, name: str, value: Any) -> float | None:
        """A form field's text or a JSON number; whether it is a usable coordinate is
        intake's call. An empty form field is no position."""
        if value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise IntakeError({name: f"{name} 必须是数字"})
        try:
            return float(value)
        except ValueError:
            raise IntakeError({name: f"{name} 必须是数字"}) from None

    def missing(self, name: str) -> Exception:
        return IntakeError({"lat/long": "请提供位置（lat 与 long）"})


GEOREPORT_FIELDS = GeoReportFields()
POSTED = ModelReader(schemas.GeoReportRequest)


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


class BadQuery(ValueError):
    """A parameter of the request list that cannot be used; the message names it."""


def _comma_list(args: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in args.get(name, "").split(",") if item]


def _filed_between(query: Select[Any], args: Mapping[str, str]) -> Select[Any]:
    for arg, compare in (("start_date", "ge"), ("end_date", "lt")):
        value = args.get(arg)
        if not value:
            continue
        try:
            moment = _query_time(value)
        except ValueError:
            raise BadQuery(f"{arg} 不是 ISO 8601 时间：{value!r}") from None
        except OverflowError:
            raise BadQuery(f"{arg} 超出可表示的时间范围：{value!r}") from None
        column = Incident.created_at
        query = query.where(column >= moment if compare == "ge" else column < moment)
    return query


def request_query(args: Mapping[str, str]) -> Select[Any]:
    """The Open311 requests a list's parameters ask for (``schemas.GeoReportQuery``)."""
    query = select(Incident).where(Incident.source == IncidentSource.OPEN311)
    ids = _comma_list(args, "service_request_id")
    if ids:
        query = query.where(Incident.tracking_no.in_(ids[:MAX_LIST]))
    codes = _comma_list(args, "service_code")
    if codes:
        query = query.where(Incident.category.in_(codes))
    status = args.get("status", "")
    if status and status not in STATUSES:
        raise BadQuery("status 只能是 open 或 closed")
    if status == "open":
        query = query.where(Incident.state.not_in(CLOSED_STATES))
    elif status == "closed":
        query = query.where(Incident.state.in_(CLOSED_STATES))
    query = _filed_between(query, args)
    return query.order_by(Incident.id.desc()).limit(MAX_LIST)


class GeoReport:
    """The GeoReport v2 routes, with the services and categories they need."""

    def __init__(self, services: Services, config: CategoryConfig) -> None:
        self.services = services
        self.config = config

    def services_json(self) -> Response:
        return jsonify(msgspec.to_builtins(service_list(self.config)))

    def _code_problem(self, code: str) -> Response | None:
        if not code:
            return open311_error(400, "service_code 为必填项 (service_code is required)")
        if code not in self.config:
            return open311_error(404, f"未知的 service_code「{code}」")
        return None

    def post_request(self) -> Response | tuple[Response, int]:
        try:
            form = _form()
            sent = POSTED.read(form, GEOREPORT_FIELDS)
        except BadBody as exc:
            return open311_error(400, str(exc))
        except IntakeError as exc:
            # the texts were read; an unknown service code is named before the position
            code = str(form.get("service_code") or "").strip()
            return self._code_problem(code) or open311_error(400, _georeport_message(exc))
        problem = self._code_problem(sent.service_code)
        if problem is not None:
            return problem
        try:
            tracking = self._file(sent)
        except IntakeError as exc:
            return open311_error(400, _georeport_message(exc))
        notice = f"已受理，编号 {tracking}，可凭编号查询办理进度"
        answer = [schemas.ServiceRequestFiled(service_request_id=tracking, service_notice=notice)]
        return jsonify(msgspec.to_builtins(answer)), 201

    def _file(self, sent: schemas.GeoReportRequest) -> str:
        """Store the request (committed before the answer); its tracking number."""
        name = " ".join(p for p in (sent.last_name, sent.first_name) if p)
        with self.services.sessions.begin() as session:
            incident = report(
                session,
                source=IncidentSource.OPEN311,
                category=sent.service_code,
                title=(sent.description or self.config[sent.service_code].name)[:60],
                description=sent.description or "",
                lat=sent.lat,
                lon=sent.long,
                address=sent.address_string or None,
                reporter_name=name or None,
                reporter_phone=sent.phone or None,
                categories=self.config,
            )
            return incident.tracking_no

    def list_requests(self) -> Response:
        try:
            query = request_query(request.args)
        except BadQuery as exc:
            return open311_error(400, str(exc))
        with self.services.sessions() as session:
            found = [request_view(i, self.config) for i in session.scalars(query)]
        return jsonify(msgspec.to_builtins(found))

    def get_request(self, service_request_id: str) -> Response:
        with self.services.sessions() as session:
            incident = session.scalar(
                select(Incident).where(
                    Incident.tracking_no == service_request_id,
                    Incident.source == IncidentSource.OPEN311,
                )
            )
            if incident is None:
                return open311_error(404, f"没有编号为 {service_request_id} 的请求")
            found = [request_view(incident, self.config)]
        return jsonify(msgspec.to_builtins(found))


def open311_blueprint(services: Services, config: CategoryConfig) -> Blueprint:
    bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
    georeport = GeoReport(services, config)
    bp.add_url_rule("/services.json", view_func=georeport.services_json, methods=["GET"])
    bp.add_url_rule("/requests.json", view_func=georeport.post_request, methods=["POST"])
    bp.add_url_rule("/requests.json", view_func=georeport.list_requests, methods=["GET"])
    bp.add_url_rule(
        "/requests/<service_request_id>.json", view_func=georeport.get_request, methods=["GET"]
    )
    return bp


def open311_fallback_blueprint() -> Blueprint:
    """Unknown paths under /open311/ get a GeoReport 404, not the dashboard's page."""
    bp = Blueprint("open311_fallback", __name__)

    @bp.route("/open311/<path:rest>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def unknown(rest: str) -> Response:
        return open311_error(404, f"没有 /open311/{rest} 这个接口")

    return bp
