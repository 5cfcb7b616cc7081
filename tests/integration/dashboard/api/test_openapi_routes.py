"""Every route of the HTTP API is in the OpenAPI document, and every operation is a route.

The document is generated from models, but its list of operations is written beside
them; this holds that list to the routes the app really registers.
"""

from __future__ import annotations

import re

import requests

from dashboard.api.errors import API_BLUEPRINTS
from dashboard.api.openapi import openapi_document
from tests.support.running import Running

#: the same routes under another spelling, not documented on their own
ALIASES = {("/osmand/", "get"), ("/osmand/", "post")}


def _routes(running: Running) -> set[tuple[str, str]]:
    routes = set()
    for rule in running.app.server.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in API_BLUEPRINTS | {"health"}:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routes |= {(path, m.lower()) for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    return routes - ALIASES


def test_the_document_lists_exactly_the_apps_api_routes(running: Running) -> None:
    document = openapi_document(running.app.services.categories.categories)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert _routes(running) == documented


def test_the_served_document_lists_the_configured_categories(running: Running) -> None:
    served = requests.get(f"{running.url}/api/v1/openapi.json", timeout=10).json()
    codes = sorted(running.app.services.categories.categories)
    category = served["components"]["schemas"]["EventReport"]["properties"]["category"]
    assert category["enum"] == codes
    service_code = served["components"]["schemas"]["GeoReportRequest"]["properties"]
    assert service_code["service_code"]["enum"] == codes
