"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/v1/openapi.json``.

Kept as data beside the routes it describes. It has to be true, not only helpful:
every status and content type a route answers, the response bodies, the limits a
request must keep and both credentials are declared, and a schemathesis run in the
test suite (tests/integration/dashboard/test_openapi_contract.py) checks the live
server against it. docs/openapi.json is this document with the shipped categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify

from data.incidents.intake import MAX_ADDRESS, MAX_DESCRIPTION, MAX_NAME, MAX_TITLE
from data.record_ids import MAX_RECORD_ID

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

_ERROR = {"$ref": "#/components/schemas/Error"}
_GEOREPORT_ERRORS = {"$ref": "#/components/schemas/GeoReportErrors"}
_NUMBER = {"type": "number"}
#: what intake's phone check accepts (data/incidents/intake.py PHONE_RE)
PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,18}[0-9]$"
#: at least one character Python's ``str.strip`` keeps: texts are stripped before they
#: are checked, and Python strips more than a regex's ``\s`` (\x1c-\x1f, \x85)
NOT_BLANK = (
    "[^\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
DEVICE = [{"deviceToken": []}]
GATEWAY = [{"gatewayToken": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


def _georeport_error(description: str) -> dict[str, Any]:
    return _json(_GEOREPORT_ERRORS, description)


def _unavailable() -> dict[str, Any]:
    answer = _error("Redis unreachable; retry after `Retry-After` seconds")
    answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": True}}
    return answer


def _device_errors() -> dict[str, Any]:
    """What every device-token route can answer besides its own results."""
    return {
        "401": _error("Missing, unknown or revoked device token"),
        "403": _error("The token's staff member no longer exists"),
        "503": _unavailable(),
    }


def _body_errors() -> dict[str, Any]:
    """What every route with a body can answer when the body cannot be read."""
    return {
        "400": _error(
            "Body is not JSON, is not an object where one is required, nests deeper than "
            "32 levels, or a field has the wrong JSON type; `message` says which"
        ),
        "413": _error("Body larger than GRIDWATCH_MAX_BODY_BYTES (default 4 MiB)"),
    }


def _body(content: dict[str, dict[str, Any]], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": content}


def _coordinate(bound: float) -> dict[str, Any]:
    return {"type": "number", "minimum": -bound, "maximum": bound}


def _text(max_length: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, **extra}


def _query(name: str, schema: dict[str, Any], description: str, *, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def openapi_document(categories: Iterable[str] = ()) -> dict[str, Any]:
    """The document; ``categories`` are the configured incident category codes."""
    codes = sorted(categories)
    category = {"type": "string", "description": "A configured incident category code"}
    if codes:
        category["enum"] = codes
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gridwatch HTTP API (terminals, SMS gateway, Open311)",
            "version": "1.1.0",
            "description": (
                "How handheld terminals report positions and incidents, how the SMS gateway "
                "delivers texts and receipts, and how citizens' Open311 apps file reports. "
                "Every item of a position batch is judged on its own: valid items are stored "
                "even when others are rejected. Bad input is a 4xx naming the item and what "
                "is wrong; a method a path does not have is a 405 with `Allow`."
            ),
        },
        "paths": _paths(category),
        "components": {
            "securitySchemes": {
                "deviceToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token issued by `gridwatch device add|rotate`.",
                },
                "gatewayToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Gridwatch-Token",
                    "description": "The shared secret GRIDWATCH_SMS_WEBHOOK_TOKEN.",
                },
            },
            "schemas": _schemas(category),
        },
    }


def _paths(category: dict[str, Any]) -> dict[str, Any]:
    return {
        "/api/v1/positions": {"post": _post_positions()},
        "/osmand": {"get": _osmand("getOsmand", body=False), "post": _osmand("postOsmand")},
        "/api/v1/events": {"post": _post_event()},
        "/api/v1/events/{tracking_no}/feedback": {"post": _post_feedback()},
        "/api/v1/events/assigned": {"get": _get_assigned_events()},
        "/api/v1/alerts/assigned": {"get": _get_assigned_alerts()},
        "/api/v1/alerts/{alert_id}/ack": {"post": _post_alert_ack()},
        "/api/v1/sms/inbound": {"post": _post_inbound_sms()},
        "/api/v1/sms/receipts": {"post": _post_receipts()},
        "/open311/v2/services.json": {"get": _open311_services()},
        "/open311/v2/requests.json": {
            "get": _open311_list(),
            "post": _open311_post(category),
        },
        "/open311/v2/requests/{service_request_id}.json": {"get": _open311_one()},
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "getOpenApi",
                "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document")},
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness and Redis reachability",
                "operationId": "healthz",
                "responses": {
                    "200": _json(_ref("Health"), "Healthy"),
                    "503": _json(_ref("Health"), "Something it depends on is down"),
                },
            }
        },
    }


def _post_positions() -> dict[str, Any]:
    return {
        "summary": "Report a batch of GPS fixes",
        "description": (
            "At most GRIDWATCH_MAX_BATCH_ITEMS fixes (default 5000); more is a 413. "
            "A fix must also be the token's device's and be taken at most 5 min ahead "
            "and at most 7 days ago: rules no schema can state, judged per item."
        ),
        "operationId": "postPositions",
        "security": DEVICE,
        "requestBody": _body({JSON: {"schema": _ref("Batch")}}),
        "responses": {
            "200": _json(_ref("BatchResult"), "At least one fix stored; rejected items listed"),
            "400": _error('Body is not a JSON batch `{"fixes": [...]}`'),
            "401": _error("Missing, unknown or revoked device token"),
            "413": _error("Body or batch too large"),
            "422": _json(_ref("BatchResult"), "No fix of the batch was valid"),
            "503": _unavailable(),
        },
    }


def _osmand(operation_id: str, *, body: bool = True) -> dict[str, Any]:
    def number(name: str, description: str, **bounds: float) -> dict[str, Any]:
        return _query(name, {"type": "number", **bounds}, description)

    operation: dict[str, Any] = {
        "summary": "OsmAnd / Traccar Client protocol: one fix; the device identifier is the "
        "credential",
        "description": (
            "Query (or form) parameters. With `Content-Type: application/json` the body "
            "(Traccar Client 9) is read instead and the query is ignored."
        ),
        "operationId": operation_id,
        "parameters": [
            _query(
                "id", {"type": "string", "pattern": NOT_BLANK}, "Device identifier", required=True
            ),
            _query("lat", _coordinate(90), "Latitude", required=True),
            _query("lon", _coordinate(180), "Longitude", required=True),
            _query("timestamp", _ref("OsmandTime"), "Unix seconds or milliseconds, or RFC 3339"),
            number("speed", "Knots", minimum=0),
            number("bearing", "Degrees", minimum=0, maximum=360),
            number("heading", "Degrees (when `bearing` is absent)", minimum=0, maximum=360),
            number("altitude", "Metres (checked, not stored)"),
            number("accuracy", "Metres", minimum=0),
            number("batt", "Battery %", minimum=0, maximum=100),
        ],
        "responses": {
            "200": _json(_ref("OsmandResult"), "Stored"),
            "400": _error("Missing or invalid field, or a time outside the accepted window"),
            "403": _error("Unknown or revoked device identifier"),
            "503": _unavailable(),
        },
    }
    if body:
        operation["requestBody"] = _body({JSON: {"schema": _ref("TraccarFix")}}, required=False)
        operation["responses"]["413"] = _error("Body too large")
    return operation


def _post_event() -> dict[str, Any]:
    return {
        "summary": "Report an incident from a terminal (JSON, or multipart with a `data` "
        "JSON part and up to 5 `photo` files)",
        "description": (
            "Without a position the report goes to the reporter's grid; with one, to the "
            "grid containing it (422 when no grid does). Photos are JPEG, PNG or WebP, "
            "checked by content, at most 5 MB each."
        ),
        "operationId": "postEvent",
        "security": DEVICE,
        "requestBody": _body(
            {
                JSON: {"schema": _ref("EventReport")},
                MULTIPART: {
                    "schema": _multipart("EventReport"),
                    "encoding": {"data": {"contentType": JSON}},
                },
            }
        ),
        "responses": {
            "201": _json(_ref("Incident"), "Stored (or the same report_id again)"),
            **_body_errors(),
            **_device_errors(),
            "422": _error("A field is invalid; `fields` names each one"),
        },
    }


def _multipart(data_schema: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": _ref(data_schema),
            "photo": {
                "type": "array",
                "maxItems": 5,
                "items": {"type": "string", "format": "binary"},
            },
        },
    }


def _post_feedback() -> dict[str, Any]:
    return {
        "summary": "The assignee starts, hands back (handle) or escalates",
        "operationId": "postEventFeedback",
        "security": DEVICE,
        "parameters": [
            _path(
                "tracking_no",
                {"type": "string", "pattern": r"^GW[0-9]{8}-[0-9]{6,}$"},
                "The incident's tracking number",
            )
        ],
        "requestBody": _body(
            {
                JSON: {"schema": _ref("EventFeedback")},
                MULTIPART: {
                    "schema": _multipart("EventFeedback"),
                    "encoding": {"data": {"contentType": JSON}},
                },
            }
        ),
        "responses": {
            "200": _json(_ref("Incident"), "Transition stored"),
            **_body_errors(),
            **_device_errors(),
            "403": _error("Not this terminal's incident, not permitted, or the staff is gone"),
            "404": _error("No such incident"),
            "409": _error("Not allowed from the incident's state"),
            "422": _error("Invalid action or field"),
        },
    }


def _get_assigned_events() -> dict[str, Any]:
    return {
        "summary": "Incidents dispatched to this terminal's holder, not handed back",
        "operationId": "getAssignedEvents",
        "security": DEVICE,
        "responses": {
            "200": _json({"type": "array", "items": _ref("AssignedIncident")}, "At most 50"),
            **_device_errors(),
        },
    }


def _get_assigned_alerts() -> dict[str, Any]:
    return {
        "summary": "Live alerts texted to this terminal's holder, with whether they "
        "acknowledged the newest text",
        "operationId": "getAssignedAlerts",
        "security": DEVICE,
        "responses": {
            "200": _json({"type": "array", "items": _ref("AssignedAlert")}, "Newest first"),
            **_device_errors(),
        },
    }


def _post_alert_ack() -> dict[str, Any]:
    return {
        "summary": "The terminal's holder acknowledges an alert texted to them",
        "operationId": "postAlertAck",
        "security": DEVICE,
        "parameters": [
            _path(
                "alert_id",
                {"type": "integer", "minimum": 1, "maximum": MAX_RECORD_ID},
                "The alert's id",
            )
        ],
        "responses": {
            "200": _json(_ref("AlertAck"), "Stored before the answer"),
            **_device_errors(),
            "404": _error("No such alert, or it was not sent to this holder"),
        },
    }


def _post_inbound_sms() -> dict[str, Any]:
    return {
        "summary": "SMS gateway webhook: a text becomes a report; 查询 GW… asks status",
        "operationId": "postInboundSms",
        "security": GATEWAY,
        "requestBody": _body(
            {JSON: {"schema": _ref("InboundSms")}, FORM: {"schema": _ref("InboundSms")}}
        ),
        "responses": {
            "200": _json(_ref("SmsReply"), "A status query or an alert confirmation answered"),
            "201": _json(_ref("SmsReport"), "Report stored: `tracking_no`, `reply`"),
            **_body_errors(),
            "401": _error("Wrong gateway token"),
            "422": _error("The report was refused; `fields` names each reason"),
            "503": _error("Webhook not configured (GRIDWATCH_SMS_WEBHOOK_TOKEN)"),
        },
    }


def _post_receipts() -> dict[str, Any]:
    receipts = {"oneOf": [_ref("Receipt"), {"type": "array", "items": _ref("Receipt")}]}
    return {
        "summary": "SMS provider delivery receipts: {message_id, status} or a list",
        "operationId": "postSmsReceipts",
        "security": GATEWAY,
        "requestBody": _body({JSON: {"schema": receipts}}),
        "responses": {
            "200": _json(_ref("ReceiptsResult"), "`received`, `applied`"),
            **_body_errors(),
            "401": _error("Wrong or unconfigured gateway token"),
        },
    }


def _open311_services() -> dict[str, Any]:
    return {
        "summary": "Open311 GeoReport v2: the service (category) list",
        "operationId": "open311Services",
        "responses": {
            "200": _json({"type": "array", "items": _ref("Service")}, "GeoReport v2 services")
        },
    }


def _open311_list() -> dict[str, Any]:
    comma_list = {"type": "string", "description": "Comma-separated"}
    date = {
        "anyOf": [{"type": "string", "format": "date-time"}, {"const": ""}],
        "description": "RFC 3339; empty: no bound",
    }
    return {
        "summary": "Open311 GeoReport v2: citizens' requests",
        "operationId": "open311Requests",
        "parameters": [
            _query("service_request_id", comma_list, "Tracking numbers"),
            _query("service_code", comma_list, "Category codes"),
            _query("status", {"enum": ["open", "closed", ""]}, "Open or closed; empty: both"),
            _query("start_date", date, "Filed at or after (China time when no zone)"),
            _query("end_date", date, "Filed before (China time when no zone)"),
        ],
        "responses": {
            "200": _json({"type": "array", "items": _ref("ServiceRequest")}, "At most 1000"),
            "400": _georeport_error("A parameter is invalid"),
        },
    }


def _open311_post(category: dict[str, Any]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": ["service_code", "lat", "long"],
        "properties": {
            "service_code": category,
            "lat": _coordinate(90),
            "long": _coordinate(180),
            "address_string": _text(MAX_ADDRESS),
            "description": _text(MAX_DESCRIPTION),
            "first_name": _text(MAX_NAME // 2 - 1),
            "last_name": _text(MAX_NAME // 2 - 1),
            "phone": {"type": "string", "pattern": PHONE_PATTERN},
        },
    }
    return {
        "summary": "Open311 GeoReport v2: file a request",
        "description": "400 also when no grid contains the position.",
        "operationId": "open311PostRequest",
        "requestBody": _body({FORM: {"schema": schema}, JSON: {"schema": schema}}),
        "responses": {
            "201": _json({"type": "array", "items": _ref("ServiceRequestFiled")}, "Filed"),
            "400": _georeport_error("A field is invalid, missing or outside every grid"),
            "404": _georeport_error("Unknown service_code"),
            "413": _georeport_error("Body too large"),
        },
    }


def _open311_one() -> dict[str, Any]:
    return {
        "summary": "Open311 GeoReport v2: one request",
        "operationId": "open311Request",
        "parameters": [_path("service_request_id", {"type": "string"}, "The tracking number")],
        "responses": {
            "200": _json({"type": "array", "items": _ref("ServiceRequest")}, "[request]"),
            "404": _georeport_error("No such request filed through Open311"),
        },
    }


def _schemas(category: dict[str, Any]) -> dict[str, Any]:
    nullable_number = {"type": ["number", "null"]}
    nullable_string = {"type": ["string", "null"]}
    return {
        "Fix": {
            "type": "object",
            "required": ["lat", "lon", "ts"],
            "properties": {
                "device_id": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 64,
                    "description": "Optional; must be the token's device",
                },
                "lat": _coordinate(90),
                "lon": _coordinate(180),
                "ts": {
                    "oneOf": [_NUMBER, {"type": "string", "format": "date-time"}],
                    "description": "Unix seconds or RFC 3339 with zone; not more "
                    "than 5 min ahead nor 7 days old",
                },
                "speed": {**_NUMBER, "minimum": 0, "description": "m/s"},
                "heading": {**_NUMBER, "minimum": 0, "maximum": 360},
                "accuracy": {**_NUMBER, "minimum": 0, "description": "metres"},
                "battery": {**_NUMBER, "minimum": 0, "maximum": 100, "description": "%"},
            },
        },
        "Batch": {
            "type": "object",
            "required": ["fixes"],
            "properties": {"fixes": {"type": "array", "items": _ref("Fix")}},
        },
        "BatchResult": {
            "type": "object",
            "required": ["accepted", "rejected", "errors"],
            "properties": {
                "accepted": {"type": "integer", "minimum": 0},
                "rejected": {"type": "integer", "minimum": 0},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "reason"],
                        "properties": {
                            "index": {"type": "integer", "minimum": 0},
                            "reason": {"type": "string"},
                        },
                    },
                },
            },
        },
        "OsmandTime": {
            "oneOf": [_NUMBER, {"type": "string", "format": "date-time"}],
            "description": "Unix seconds, Unix milliseconds (above 1e11) or RFC 3339",
        },
        "TraccarFix": {
            "type": "object",
            "required": ["device_id", "location"],
            "properties": {
                "device_id": {"type": "string", "pattern": NOT_BLANK},
                "location": {
                    "type": "object",
                    "required": ["coords"],
                    "properties": {
                        "timestamp": _ref("OsmandTime"),
                        "coords": {
                            "type": "object",
                            "required": ["latitude", "longitude"],
                            "properties": {
                                "latitude": _coordinate(90),
                                "longitude": _coordinate(180),
                                "speed": {**_NUMBER, "description": "m/s; negative: unknown"},
                                "heading": {
                                    **_NUMBER,
                                    "maximum": 360,
                                    "description": "Degrees; negative: unknown",
                                },
                                "accuracy": {**_NUMBER, "description": "negative: unknown"},
                            },
                        },
                        "battery": {
                            "type": "object",
                            "properties": {"level": {**_NUMBER, "description": "0 to 1"}},
                        },
                    },
                },
            },
        },
        "OsmandResult": {
            "type": "object",
            "required": ["accepted"],
            "properties": {"accepted": {"const": 1}},
        },
        "EventReport": {
            "type": "object",
            "required": ["category", "title"],
            "properties": {
                "report_id": {
                    "type": "string",
                    "minLength": 8,
                    "maxLength": 64,
                    "description": "Client UUID: a retried POST returns the first result",
                },
                "category": category,
                "title": _text(MAX_TITLE, pattern=NOT_BLANK),
                "description": _text(MAX_DESCRIPTION),
                "lat": _coordinate(90),
                "lon": _coordinate(180),
                "address": _text(MAX_ADDRESS),
            },
            "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
        },
        "EventFeedback": {
            "type": "object",
            "properties": {
                "action": {"enum": ["start", "handle", "escalate"], "default": "handle"},
                "note": {"type": "string"},
                "lat": _coordinate(90),
                "lon": _coordinate(180),
                "transition_id": {"type": "string", "minLength": 8, "maxLength": 64},
            },
            "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
        },
        "Incident": {
            "type": "object",
            "required": ["tracking_no", "state", "state_label", "node_id", "deadline_at"],
            "properties": {
                "tracking_no": {"type": "string"},
                "state": {"type": "string"},
                "state_label": {"type": "string"},
                "node_id": {"type": "integer"},
                "deadline_at": {"type": "string", "format": "date-time"},
            },
        },
        "AssignedIncident": {
            "allOf": [
                _ref("Incident"),
                {
                    "type": "object",
                    "required": ["title"],
                    "properties": {"title": {"type": "string"}},
                },
            ]
        },
        "AssignedAlert": {
            "type": "object",
            "required": ["alert_id", "level", "title", "text", "valid_until", "acknowledged"],
            "properties": {
                "alert_id": {"type": "integer"},
                "level": {"enum": ["blue", "yellow", "orange", "red"]},
                "title": {"type": "string"},
                "text": {"type": "string"},
                "valid_until": {"type": "string", "format": "date-time"},
                "acknowledged": {"type": "boolean"},
            },
        },
        "AlertAck": {
            "type": "object",
            "required": ["alert_id", "acknowledged", "first"],
            "properties": {
                "alert_id": {"type": "integer"},
                "acknowledged": {"const": True},
                "first": {"type": "boolean", "description": "False when acknowledged before"},
            },
        },
        "InboundSms": {
            "type": "object",
            "required": ["from", "text"],
            "properties": {
                "from": {"type": "string", "pattern": PHONE_PATTERN},
                "text": _text(MAX_DESCRIPTION, pattern=NOT_BLANK),
            },
        },
        "SmsReply": {
            "type": "object",
            "required": ["reply"],
            "properties": {"reply": {"type": "string"}, "alert_id": {"type": "integer"}},
        },
        "SmsReport": {
            "type": "object",
            "required": ["tracking_no", "reply"],
            "properties": {"tracking_no": {"type": "string"}, "reply": {"type": "string"}},
        },
        "Receipt": {
            "type": "object",
            "required": ["message_id", "status"],
            "properties": {
                "message_id": {
                    "oneOf": [{"type": "string", "minLength": 1}, {"type": "integer"}],
                    "description": "The id Gridwatch sent with the text ($message_id)",
                },
                "status": {"type": "string", "minLength": 1},
            },
        },
        "ReceiptsResult": {
            "type": "object",
            "required": ["received", "applied"],
            "properties": {
                "received": {"type": "integer", "minimum": 0},
                "applied": {"type": "integer", "minimum": 0},
            },
        },
        "Service": {
            "type": "object",
            "required": ["service_code", "service_name", "metadata", "type"],
            "properties": {
                "service_code": {"type": "string"},
                "service_name": {"type": "string"},
                "description": nullable_string,
                "metadata": {"type": "boolean"},
                "type": {"enum": ["realtime", "batch", "blackbox"]},
                "keywords": nullable_string,
                "group": nullable_string,
            },
        },
        "ServiceRequest": {
            "type": "object",
            "required": ["service_request_id", "status", "service_code", "requested_datetime"],
            "properties": {
                "service_request_id": {"type": "string"},
                "status": {"enum": ["open", "closed"]},
                "status_notes": nullable_string,
                "service_name": nullable_string,
                "service_code": {"type": "string"},
                "description": nullable_string,
                "agency_responsible": nullable_string,
                "service_notice": nullable_string,
                "requested_datetime": {"type": "string", "format": "date-time"},
                "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
                "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
                "address": nullable_string,
                "address_id": nullable_string,
                "zipcode": nullable_string,
                "lat": nullable_number,
                "long": nullable_number,
                "media_url": nullable_string,
            },
        },
        "ServiceRequestFiled": {
            "type": "object",
            "required": ["service_request_id", "service_notice"],
            "properties": {
                "service_request_id": {"type": "string"},
                "service_notice": {"type": "string"},
                "account_id": nullable_string,
            },
        },
        "GeoReportErrors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "description"],
                "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string"}},
        },
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "On 422: each bad field and what is wrong with it",
                },
            },
        },
    }


def openapi_blueprint(categories: Iterable[str] = ()) -> Blueprint:
    bp = Blueprint("openapi", __name__)
    document = openapi_document(categories)

    @bp.get("/api/v1/openapi.json")
    def openapi_json() -> Response:
        return jsonify(document)

    return bp


if __name__ == "__main__":  # python -m dashboard.api.openapi > docs/openapi.json
    import json

    from data.incidents.categories import default_categories

    document = openapi_document(default_categories().categories)
    print(json.dumps(document, ensure_ascii=False, indent=2))
