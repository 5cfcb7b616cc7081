"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/v1/openapi.json``.

Generated, not written by hand: every body, parameter and answer is a typed model in
``dashboard.api.schemas`` (the fix is the codec's own Struct), turned into JSON Schema
by msgspec. What stays here is what no type says: each operation's path, summary,
credential and the statuses it answers. The document has to be true, not only
helpful, and a schemathesis run in the test suite
(tests/integration/dashboard/api/test_openapi_contract.py) checks the live server against
it. ``python -m dashboard.api.openapi`` writes docs/openapi.json with the shipped
categories; a test keeps it equal to the served document.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from flask import Blueprint, Response, jsonify

from dashboard.api import schemas as s
from dashboard.api.device_auth import GATEWAY_TOKEN_HEADER

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
REF = "#/components/schemas/{name}"
DEVICE, GATEWAY = "deviceToken", "gatewayToken"
DEFAULT_OUTPUT = Path("docs/openapi.json")

INFO = {
    "title": "Gridwatch HTTP API (terminals, SMS gateway, Open311)",
    "version": "1.1.0",
    "description": (
        "How handheld terminals report positions and incidents, how the SMS gateway "
        "delivers texts and receipts, and how citizens' Open311 apps file reports. "
        "Every item of a position batch is judged on its own: valid items are stored "
        "even when others are rejected. Bad input is a 4xx naming the item and what "
        "is wrong; a method a path does not have is a 405 with `Allow`."
    ),
}
SECURITY_SCHEMES = {
    DEVICE: {
        "type": "http",
        "scheme": "bearer",
        "description": "The token issued by `gridwatch device add|rotate`.",
    },
    GATEWAY: {
        "type": "apiKey",
        "in": "header",
        "name": GATEWAY_TOKEN_HEADER,
        "description": "The shared secret GRIDWATCH_SMS_WEBHOOK_TOKEN.",
    },
}


@dataclass(frozen=True)
class Answer:
    """One status of an operation: what it means and the model of its body."""

    description: str
    model: Any = None
    headers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Body:
    """A request body: its model per media type."""

    content: Mapping[str, Any]
    required: bool = True


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the document lists it."""

    method: str
    path: str
    operation_id: str
    summary: str
    answers: Mapping[str, Answer]
    description: str = ""
    security: str = ""
    body: Body | None = None
    #: (where, model): each field of the model is one parameter ("query" or "path")
    parameters: Sequence[tuple[str, type]] = ()


# -- answers every route shares ------------------------------------------------------------


def _error(description: str) -> Answer:
    return Answer(description, s.Error)


def _georeport_error(description: str) -> Answer:
    return Answer(description, s.GeoReportErrors)


def _unavailable() -> Answer:
    retry = {"Retry-After": {"schema": {"type": "integer"}, "required": True}}
    return Answer("Redis unreachable; retry after `Retry-After` seconds", s.Error, retry)


def _device_errors() -> dict[str, Answer]:
    """What every device-token route can answer besides its own results."""
    return {
        "401": _error("Missing, unknown or revoked device token"),
        "403": _error("The token's staff member no longer exists"),
        "503": _unavailable(),
    }


def _body_errors() -> dict[str, Answer]:
    """What every route with a body can answer when the body cannot be read."""
    return {
        "400": _error(
            "Body is not JSON, is not an object where one is required, nests deeper than "
            "32 levels, or a field has the wrong JSON type; `message` says which"
        ),
        "413": _error("Body larger than GRIDWATCH_MAX_BODY_BYTES (default 4 MiB)"),
    }


# -- the operations ------------------------------------------------------------------------


def _position_operations() -> list[Operation]:
    batch = Operation(
        "post",
        "/api/v1/positions",
        "postPositions",
        "Report a batch of GPS fixes",
        description=(
            "At most GRIDWATCH_MAX_BATCH_ITEMS fixes (default 5000); more is a 413. "
            "A fix must also be the token's device's and be taken at most 5 min ahead "
            "and at most 7 days ago: rules no schema can state, judged per item."
        ),
        security=DEVICE,
        body=Body({JSON: s.Batch}),
        answers={
            "200": Answer("At least one fix stored; rejected items listed", s.BatchResult),
            "400": _error('Body is not a JSON batch `{"fixes": [...]}`'),
            "401": _error("Missing, unknown or revoked device token"),
            "413": _error("Body or batch too large"),
            "422": Answer("No fix of the batch was valid", s.BatchResult),
            "503": _unavailable(),
        },
    )
    return [batch, _osmand("get", "getOsmand"), _osmand("post", "postOsmand")]


def _osmand(method: str, operation_id: str) -> Operation:
    answers = {
        "200": Answer("Stored", s.OsmandResult),
        "400": _error("Missing or invalid field, or a time outside the accepted window"),
        "403": _error("Unknown or revoked device identifier"),
        "503": _unavailable(),
    }
    if method == "post":
        answers["413"] = _error("Body too large")
    return Operation(
        method,
        "/osmand",
        operation_id,
        "OsmAnd / Traccar Client protocol: one fix; the device identifier is the credential",
        description=(
            "Query (or form) parameters. With `Content-Type: application/json` the body "
            "(Traccar Client 9) is read instead and the query is ignored."
        ),
        parameters=[("query", s.OsmandQuery)],
        body=Body({JSON: s.TraccarFix}, required=False) if method == "post" else None,
        answers=answers,
    )


def _with_photos(json_model: type, form_model: type) -> Body:
    return Body({JSON: json_model, MULTIPART: form_model})


def _incident_operations() -> list[Operation]:
    report = Operation(
        "post",
        "/api/v1/events",
        "postEvent",
        "Report an incident from a terminal (JSON, or multipart with a `data` JSON part "
        "and up to 5 `photo` files)",
        description=(
            "Without a position the report goes to the reporter's grid; with one, to the "
            "grid containing it (422 when no grid does). Photos are JPEG, PNG or WebP, "
            "checked by content, at most 5 MB each."
        ),
        security=DEVICE,
        body=_with_photos(s.EventReport, s.EventReportForm),
        answers={
            "201": Answer("Stored (or the same report_id again)", s.Incident),
            **_body_errors(),
            **_device_errors(),
            "422": _error("A field is invalid; `fields` names each one"),
        },
    )
    feedback = Operation(
        "post",
        "/api/v1/events/{tracking_no}/feedback",
        "postEventFeedback",
        "The assignee starts, hands back (handle) or escalates",
        security=DEVICE,
        parameters=[("path", s.IncidentPath)],
        body=_with_photos(s.EventFeedback, s.EventFeedbackForm),
        answers={
            "200": Answer("Transition stored", s.Incident),
            **_body_errors(),
            **_device_errors(),
            "403": _error("Not this terminal's incident, not permitted, or the staff is gone"),
            "404": _error("No such incident"),
            "409": _error("Not allowed from the incident's state"),
            "422": _error("Invalid action or field"),
        },
    )
    assigned = Operation(
        "get",
        "/api/v1/events/assigned",
        "getAssignedEvents",
        "Incidents dispatched to this terminal's holder, not handed back",
        security=DEVICE,
        answers={"200": Answer("At most 50", list[s.AssignedIncident]), **_device_errors()},
    )
    return [report, feedback, assigned]


def _alert_operations() -> list[Operation]:
    assigned = Operation(
        "get",
        "/api/v1/alerts/assigned",
        "getAssignedAlerts",
        "Live alerts texted to this terminal's holder, with whether they acknowledged "
        "the newest text",
        security=DEVICE,
        answers={"200": Answer("Newest first", list[s.AssignedAlert]), **_device_errors()},
    )
    ack = Operation(
        "post",
        "/api/v1/alerts/{alert_id}/ack",
        "postAlertAck",
        "The terminal's holder acknowledges an alert texted to them",
        security=DEVICE,
        parameters=[("path", s.AlertPath)],
        answers={
            "200": Answer("Stored before the answer", s.AlertAck),
            **_device_errors(),
            "404": _error("No such alert, or it was not sent to this holder"),
        },
    )
    return [assigned, ack]


def _sms_operations() -> list[Operation]:
    inbound = Operation(
        "post",
        "/api/v1/sms/inbound",
        "postInboundSms",
        "SMS gateway webhook: a text becomes a report; 查询 GW… asks status",
        security=GATEWAY,
        body=Body({JSON: s.InboundSms, FORM: s.InboundSms}),
        answers={
            "200": Answer("A status query or an alert confirmation answered", s.SmsReply),
            "201": Answer("Report stored: `tracking_no`, `reply`", s.SmsReport),
            **_body_errors(),
            "401": _error("Wrong gateway token"),
            "422": _error("The report was refused; `fields` names each reason"),
            "503": _error("Webhook not configured (GRIDWATCH_SMS_WEBHOOK_TOKEN)"),
        },
    )
    receipts = Operation(
        "post",
        "/api/v1/sms/receipts",
        "postSmsReceipts",
        "SMS provider delivery receipts: {message_id, status} or a list",
        security=GATEWAY,
        body=Body({JSON: s.Receipt | list[s.Receipt]}),
        answers={
            "200": Answer("`received`, `applied`", s.ReceiptsResult),
            **_body_errors(),
            "401": _error("Wrong or unconfigured gateway token"),
        },
    )
    return [inbound, receipts]


def _open311_operations() -> list[Operation]:
    prefix = "/open311/v2"
    services = Operation(
        "get",
        f"{prefix}/services.json",
        "open311Services",
        "Open311 GeoReport v2: the service (category) list",
        answers={"200": Answer("GeoReport v2 services", list[s.Service])},
    )
    listed = Operation(
        "get",
        f"{prefix}/requests.json",
        "open311Requests",
        "Open311 GeoReport v2: citizens' requests",
        parameters=[("query", s.GeoReportQuery)],
        answers={
            "200": Answer("At most 1000", list[s.ServiceRequest]),
            "400": _georeport_error("A parameter is invalid"),
        },
    )
    filed = Operation(
        "post",
        f"{prefix}/requests.json",
        "open311PostRequest",
        "Open311 GeoReport v2: file a request",
        description="400 also when no grid contains the position.",
        body=Body({FORM: s.GeoReportRequest, JSON: s.GeoReportRequest}),
        answers={
            "201": Answer("Filed", list[s.ServiceRequestFiled]),
            "400": _georeport_error("A field is invalid, missing or outside every grid"),
            "404": _georeport_error("Unknown service_code"),
            "413": _georeport_error("Body too large"),
        },
    )
    one = Operation(
        "get",
        f"{prefix}/requests/{{service_request_id}}.json",
        "open311Request",
        "Open311 GeoReport v2: one request",
        parameters=[("path", s.ServiceRequestPath)],
        answers={
            "200": Answer("[request]", list[s.ServiceRequest]),
            "404": _georeport_error("No such request filed through Open311"),
        },
    )
    return [services, listed, filed, one]


def _service_operations() -> list[Operation]:
    document = Operation(
        "get",
        "/api/v1/openapi.json",
        "getOpenApi",
        "This document",
        answers={"200": Answer("The OpenAPI 3.1 document", dict[str, Any])},
    )
    health = Operation(
        "get",
        "/healthz",
        "healthz",
        "Liveness and Redis reachability",
        answers={
            "200": Answer("Healthy", s.Health),
            "503": Answer("Something it depends on is down", s.Health),
        },
    )
    return [document, health]


def operations() -> list[Operation]:
    """Every operation of the HTTP API, in the document's order."""
    return [
        *_position_operations(),
        *_incident_operations(),
        *_alert_operations(),
        *_sms_operations(),
        *_open311_operations(),
        *_service_operations(),
    ]


# -- assembly ------------------------------------------------------------------------------

Hook = Callable[[type], dict[str, Any]]


class _Schemas:
    """JSON Schemas of the operations' models, with one component per Struct and Enum."""

    def __init__(self, models: list[Any], hook: Hook) -> None:
        self.models = models
        refs, self.components = msgspec.json.schema_components(
            models, schema_hook=hook, ref_template=REF
        )
        self.refs = list(refs)
        for model, notes in s.SCHEMA_NOTES.items():
            _merge(self.components[model.__name__], notes)

    def of(self, model: Any) -> dict[str, Any]:
        return self.refs[self.models.index(model)]


def _merge(schema: dict[str, Any], notes: Mapping[str, Any]) -> None:
    """Add ``notes`` to a component; a property's notes replace what they name."""
    for key, value in copy.deepcopy(dict(notes)).items():
        if key == "properties":
            for name, extra in value.items():
                schema["properties"][name].update(extra)
        else:
            schema[key] = value


def _models(ops: Iterable[Operation]) -> list[Any]:
    """Every body and answer model the operations use, each once, in order."""
    found: list[Any] = []
    for op in ops:
        bodies = list(op.body.content.values()) if op.body else []
        answers = [a.model for a in op.answers.values() if a.model is not None]
        found.extend(m for m in [*bodies, *answers] if m not in found)
    return found


def _parameters(where: str, model: type, hook: Hook) -> list[dict[str, Any]]:
    """One parameter per field of ``model``; its description moves up to the parameter."""
    _, components = msgspec.json.schema_components([model], schema_hook=hook, ref_template=REF)
    schema = components[model.__name__]
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        parameters.append(
            {
                "name": name,
                "in": where,
                "required": where == "path" or name in required,
                "description": prop.pop("description", ""),
                "schema": prop,
            }
        )
    return parameters


def _request_body(body: Body, schemas: _Schemas) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for media, model in body.content.items():
        content[media] = {"schema": schemas.of(model)}
        if media == MULTIPART:  # the report or feedback itself is the JSON part `data`
            content[media]["encoding"] = {"data": {"contentType": JSON}}
    return {"required": body.required, "content": content}


def _answer(answer: Answer, schemas: _Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.model is not None:
        out["content"] = {JSON: {"schema": schemas.of(answer.model)}}
    if answer.headers:
        out["headers"] = dict(answer.headers)
    return out


def _operation(op: Operation, schemas: _Schemas, hook: Hook) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary}
    if op.description:
        out["description"] = op.description
    out["operationId"] = op.operation_id
    if op.security:
        out["security"] = [{op.security: []}]
    if op.parameters:
        out["parameters"] = [p for where, m in op.parameters for p in _parameters(where, m, hook)]
    if op.body:
        out["requestBody"] = _request_body(op.body, schemas)
    out["responses"] = {status: _answer(a, schemas) for status, a in op.answers.items()}
    return out


def openapi_document(categories: Iterable[str] = ()) -> dict[str, Any]:
    """The document; ``categories`` are the configured incident category codes."""
    ops = operations()
    hook = s.schema_hook(categories)
    schemas = _Schemas(_models(ops), hook)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method] = _operation(op, schemas, hook)
    return {
        "openapi": "3.1.0",
        "info": dict(INFO),
        "paths": paths,
        "components": {
            "securitySchemes": copy.deepcopy(SECURITY_SCHEMES),
            "schemas": schemas.components,
        },
    }


def document_text(categories: Iterable[str] = ()) -> str:
    """The document as docs/openapi.json holds it."""
    return json.dumps(openapi_document(categories), ensure_ascii=False, indent=2) + "\n"


def openapi_blueprint(categories: Iterable[str] = ()) -> Blueprint:
    bp = Blueprint("openapi", __name__)
    document = openapi_document(categories)

    @bp.get("/api/v1/openapi.json")
    def openapi_json() -> Response:
        return jsonify(document)

    return bp


def main(argv: Sequence[str] | None = None) -> int:
    """Write the document with the shipped categories (docs/openapi.json, or - for stdout)."""
    from data.incidents.categories import default_categories

    parser = argparse.ArgumentParser("python -m dashboard.api.openapi", description=main.__doc__)
    parser.add_argument("output", nargs="?", default=str(DEFAULT_OUTPUT))
    output = parser.parse_args(argv).output
    text = document_text(default_categories().categories)
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
