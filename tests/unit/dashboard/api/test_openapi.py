"""The OpenAPI document is generated from the models and docs/openapi.json is that output.

The served document is compared with docs/openapi.json by a running server
(tests/integration/dashboard/api/test_positions.py) and checked against the live API by
schemathesis (tests/integration/dashboard/api/test_openapi_contract.py); these check the
generation itself, without a server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from dashboard.api import schemas
from dashboard.api.openapi import document_text, main, openapi_document, operations
from data.incidents.categories import default_categories
from streams.codec import FixIn
from tests.support.paths import REPO_ROOT

ROOT = REPO_ROOT
SHIPPED = default_categories().categories


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_docs_openapi_json_is_the_generated_document() -> None:
    written = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert written == document_text(SHIPPED), "run: python -m dashboard.api.openapi"


def test_every_reference_resolves_and_every_component_is_used() -> None:
    document = openapi_document(SHIPPED)
    components = document["components"]["schemas"]
    refs = _refs(document)
    assert {r.rsplit("/", 1)[1] for r in refs} == set(components)
    assert all(r.startswith("#/components/schemas/") for r in refs)


def test_operation_ids_are_unique_and_paths_name_their_parameters() -> None:
    document = openapi_document(SHIPPED)
    ids = [op.operation_id for op in operations()]
    assert len(ids) == len(set(ids))
    for path, methods in document["paths"].items():
        for operation in methods.values():
            in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert in_path == set(re.findall(r"{(\w+)}", path)), path


def test_the_fix_is_the_codecs_struct() -> None:
    """Derived, not restated: a field added to FixIn appears in the document."""
    fix = openapi_document(SHIPPED)["components"]["schemas"][FixIn.__name__]
    assert list(fix["properties"]) == list(FixIn.__struct_fields__)
    assert set(fix["required"]) == {"lat", "lon", "ts"}
    assert fix["properties"]["ts"]["anyOf"][1]["format"] == "date-time"
    assert fix["properties"]["lat"] == {"type": "number", "minimum": -90.0, "maximum": 90.0}


def test_categories_are_listed_when_configured() -> None:
    report = openapi_document(["b", "a"])["components"]["schemas"]["EventReport"]
    assert report["properties"]["category"]["enum"] == ["a", "b"]
    assert (
        "enum"
        not in openapi_document()["components"]["schemas"]["EventReport"]["properties"]["category"]
    )


def test_not_blank_is_what_str_strip_keeps() -> None:
    assert all(re.search(schemas.NOT_BLANK, text) for text in ("x", " y "))
    for blank in ("", " \t", "\x1c\x85\u3000"):  # what str.strip removes
        assert not re.search(schemas.NOT_BLANK, blank), repr(blank)


def test_an_answer_model_encodes_as_the_route_sends_it() -> None:
    error = schemas.Error(error="invalid", message="m")
    assert msgspec.to_builtins(error) == {"error": "invalid", "message": "m"}
    reply = schemas.SmsReply(reply="r")
    assert msgspec.to_builtins(reply) == {"reply": "r"}


@pytest.mark.parametrize("target", ["file", "-"])
def test_the_module_writes_the_document(
    target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "openapi.json" if target == "file" else None
    assert main([str(output) if output else "-"]) == 0
    text = output.read_text(encoding="utf-8") if output else capsys.readouterr().out
    assert json.loads(text)["paths"]["/api/v1/positions"]["post"]["operationId"] == (
        "postPositions"
    )
