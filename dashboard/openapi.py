"""The OpenAPI 3.1 document of the HTTP API, served at ``/api/v1/openapi.json``.

Kept as data beside the routes it describes; tests check that docs/openapi.json
is this document and that the live endpoints answer as it says.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

_ERROR = {"$ref": "#/components/schemas/Error"}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def openapi_document() -> dict[str, Any]:
    number = {"type": "number"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gridwatch terminal API",
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
