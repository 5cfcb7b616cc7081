"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/v1/openapi.json``.

Kept as data beside the routes it describes; tests check that docs/openapi.json
is this document and that the live endpoints answer as it says.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

_ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, where: str, kind: str = "string") -> dict[str, Any]:
    """A required path parameter or header."""
    return {"name": name, "in": where, "required": True, "schema": {"type": kind}}


def _incident_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Incident"}}},
    }


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def openapi_document() -> dict[str, Any]:
    number = {"type": "number"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gridwatch HTTP API (terminals, SMS gateway, Open311)",
            "version": "1.0.0",
            "description": (
                "How handheld terminals report positions. Every item of a batch is judged "
                "on its own: valid items are stored even when others are rejected."
            ),
        },
        "paths": {
            "/api/v1/positions": {
                "post": {
                    "summary": "Report a batch of GPS fixes",
                    "operationId": "postPositions",
                    "security": [{"deviceToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "At least one fix stored; rejected items are listed",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/BatchResult"}
                                }
                            },
                        },
                        "400": _error_response("Body is not a JSON batch"),
                        "401": _error_response("Missing, unknown or revoked device token"),
                        "413": _error_response("Body or batch too large"),
                        "422": {
                            "description": "No fix of the batch was valid",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/BatchResult"}
                                }
                            },
                        },
                        "503": _error_response("Live store unreachable; retry after Retry-After"),
                    },
                }
            },
            "/osmand": {
                "get": _osmand_operation("getOsmand", body=False),
                "post": _osmand_operation("postOsmand", body=True),
            },
            "/api/v1/events": {
                "post": {
                    "summary": "Report an incident from a terminal (JSON, or multipart with "
                    "a `data` JSON field and up to 5 `photo` files)",
                    "operationId": "postEvent",
                    "security": [{"deviceToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/EventReport"}
                            },
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "data": {"type": "string", "description": "EventReport"},
                                        "photo": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        },
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "201": _incident_response("Stored (or the same report_id again)"),
                        "401": _error_response("Missing, unknown or revoked device token"),
                        "422": _error_response("A field is invalid; `fields` names each one"),
                        "503": _error_response("Live store unreachable; retry after Retry-After"),
                    },
                }
            },
            "/api/v1/events/{tracking_no}/feedback": {
                "post": {
                    "summary": "The assignee starts, hands back (handle) or escalates",
                    "operationId": "postEventFeedback",
                    "security": [{"deviceToken": []}],
                    "parameters": [_param("tracking_no", "path", "string")],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/EventFeedback"}
                            }
                        },
                    },
                    "responses": {
                        "200": _incident_response("Transition stored"),
                        "403": _error_response("Not this terminal's incident or scope"),
                        "404": _error_response("No such incident"),
                        "409": _error_response("Not allowed from the incident's state"),
                        "422": _error_response("Invalid action or field"),
                    },
                }
            },
            "/api/v1/sms/inbound": {
                "post": {
                    "summary": "SMS gateway webhook: a text becomes a report; 查询 GW… asks status",
                    "operationId": "postInboundSms",
                    "parameters": [_param("X-Gridwatch-Token", "header", "string")],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["from", "text"],
                                    "properties": {
                                        "from": {"type": "string"},
                                        "text": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": "Status query answered: `reply`"},
                        "201": {"description": "Report stored: `tracking_no`, `reply`"},
                        "400": _error_response("from/text missing"),
                        "401": _error_response("Wrong gateway token"),
                        "503": _error_response("Webhook not configured"),
                    },
                }
            },
            "/api/v1/events/assigned": {
                "get": {
                    "summary": "Incidents dispatched to this terminal's holder, not handed back",
                    "operationId": "getAssignedEvents",
                    "security": [{"deviceToken": []}],
                    "responses": {
                        "200": {"description": "List of {tracking_no, state, title, …}"},
                        "401": _error_response("Missing, unknown or revoked device token"),
                    },
                }
            },
            "/api/v1/alerts/assigned": {
                "get": {
                    "summary": "Live alerts texted to this terminal's holder, with whether "
                    "they acknowledged the newest text",
                    "operationId": "getAssignedAlerts",
                    "security": [{"deviceToken": []}],
                    "responses": {
                        "200": {
                            "description": "List of {alert_id, level, title, text, "
                            "valid_until, acknowledged}"
                        },
                        "401": _error_response("Missing, unknown or revoked device token"),
                    },
                }
            },
            "/api/v1/alerts/{alert_id}/ack": {
                "post": {
                    "summary": "The terminal's holder acknowledges an alert texted to them",
                    "operationId": "postAlertAck",
                    "security": [{"deviceToken": []}],
                    "parameters": [_param("alert_id", "path", "integer")],
                    "responses": {
                        "200": {"description": "Stored: `acknowledged`, `first`"},
                        "401": _error_response("Missing, unknown or revoked device token"),
                        "404": _error_response("The alert was not sent to this holder"),
                    },
                }
            },
            "/api/v1/sms/receipts": {
                "post": {
                    "summary": "SMS provider delivery receipts: {message_id, status} or a list",
                    "operationId": "postSmsReceipts",
                    "parameters": [_param("X-Gridwatch-Token", "header", "string")],
                    "responses": {
                        "200": {"description": "`received`, `applied`"},
                        "400": _error_response("An item lacks message_id or status"),
                        "401": _error_response("Wrong gateway token"),
                    },
                }
            },
            "/open311/v2/services.json": {
                "get": {
                    "summary": "Open311 GeoReport v2: the service (category) list",
                    "operationId": "open311Services",
                    "responses": {"200": {"description": "GeoReport v2 service list"}},
                }
            },
            "/open311/v2/requests.json": {
                "get": {
                    "summary": "Open311 GeoReport v2: citizens' requests (service_request_id, "
                    "service_code, status=open|closed, start_date, end_date)",
                    "operationId": "open311Requests",
                    "responses": {
                        "200": {"description": "GeoReport v2 request list"},
                        "400": {"description": "GeoReport error list [{code, description}]"},
                    },
                },
                "post": {
                    "summary": "Open311 GeoReport v2: file a request (service_code, lat, long, "
                    "address_string, description, first_name, last_name, phone)",
                    "operationId": "open311PostRequest",
                    "responses": {
                        "201": {"description": "[{service_request_id, service_notice}]"},
                        "400": {"description": "GeoReport error list [{code, description}]"},
                        "404": {"description": "Unknown service_code"},
                    },
                },
            },
            "/open311/v2/requests/{service_request_id}.json": {
                "get": {
                    "summary": "Open311 GeoReport v2: one request",
                    "operationId": "open311Request",
                    "parameters": [_param("service_request_id", "path", "string")],
                    "responses": {
                        "200": {"description": "[request]"},
                        "404": {"description": "GeoReport error list"},
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness and Redis reachability",
                    "operationId": "healthz",
                    "responses": {"200": {"description": "Healthy"}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "deviceToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token issued by `gridwatch device add|rotate`.",
                }
            },
            "schemas": {
                "Fix": {
                    "type": "object",
                    "required": ["lat", "lon", "ts"],
                    "properties": {
                        "device_id": {
                            "type": "string",
                            "description": "Optional; must be the token's device",
                        },
                        "lat": {**number, "minimum": -90, "maximum": 90},
                        "lon": {**number, "minimum": -180, "maximum": 180},
                        "ts": {
                            "oneOf": [number, {"type": "string", "format": "date-time"}],
                            "description": "Unix seconds or RFC 3339 with zone; not more "
                            "than 5 min ahead nor 7 days old",
                        },
                        "speed": {**number, "minimum": 0, "description": "m/s"},
                        "heading": {**number, "minimum": 0, "maximum": 360},
                        "accuracy": {**number, "minimum": 0, "description": "metres"},
                        "battery": {**number, "minimum": 0, "maximum": 100, "description": "%"},
                    },
                },
                "Batch": {
                    "type": "object",
                    "required": ["fixes"],
                    "properties": {
                        "fixes": {
                            "type": "array",
                            "maxItems": 5000,
                            "items": {"$ref": "#/components/schemas/Fix"},
                        }
                    },
                },
                "BatchResult": {
                    "type": "object",
                    "required": ["accepted", "rejected", "errors"],
                    "properties": {
                        "accepted": {"type": "integer"},
                        "rejected": {"type": "integer"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["index", "reason"],
                                "properties": {
                                    "index": {"type": "integer"},
                                    "reason": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "EventReport": {
                    "type": "object",
                    "required": ["category", "title"],
                    "properties": {
                        "report_id": {
                            "type": "string",
                            "description": "Client UUID: a retried POST returns the first result",
                        },
                        "category": {"type": "string", "description": "A category code"},
                        "title": {"type": "string", "maxLength": 128},
                        "description": {"type": "string"},
                        "lat": number,
                        "lon": number,
                        "address": {"type": "string"},
                    },
                },
                "EventFeedback": {
                    "type": "object",
                    "properties": {
                        "action": {"enum": ["start", "handle", "escalate"]},
                        "note": {"type": "string"},
                        "lat": number,
                        "lon": number,
                        "transition_id": {"type": "string"},
                    },
                },
                "Incident": {
                    "type": "object",
                    "properties": {
                        "tracking_no": {"type": "string"},
                        "state": {"type": "string"},
                        "state_label": {"type": "string"},
                        "node_id": {"type": "integer"},
                        "deadline_at": {"type": "string", "format": "date-time"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
    }


def _osmand_operation(operation_id: str, *, body: bool) -> dict[str, Any]:
    def query(name: str, description: str, required: bool = False) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": required,
            "description": description,
            "schema": {"type": "string"},
        }

    operation: dict[str, Any] = {
        "summary": "OsmAnd / Traccar Client protocol: one fix, the device identifier is the "
        "credential",
        "operationId": operation_id,
        "parameters": [
            query("id", "Registered device identifier", required=not body),
            query("lat", "Latitude"),
            query("lon", "Longitude"),
            query("timestamp", "Unix seconds, milliseconds or ISO date-time"),
            query("speed", "Knots"),
            query("bearing", "Degrees"),
            query("altitude", "Metres"),
            query("accuracy", "Metres"),
            query("batt", "Battery %"),
        ],
        "responses": {
            "200": {"description": "Stored"},
            "400": _error_response("Missing or invalid field"),
            "403": _error_response("Unknown or revoked device identifier"),
            "503": _error_response("Live store unreachable; retry after Retry-After"),
        },
    }
    if body:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "Traccar Client JSON: device_id, location.coords "
                        "(latitude, longitude, speed m/s, heading, accuracy), "
                        "location.timestamp, location.battery.level (0-1)",
                    }
                }
            },
        }
    return operation


def openapi_blueprint() -> Blueprint:
    bp = Blueprint("openapi", __name__)

    @bp.get("/api/v1/openapi.json")
    def openapi_json() -> Response:
        return jsonify(openapi_document())

    return bp
