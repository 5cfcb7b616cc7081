"""Calling a Dash callback over HTTP exactly as the browser does, to test what it returns."""

from __future__ import annotations

from typing import Any

import requests
from dash import Dash


def _parse_outputs(key: str) -> list[dict[str, str]]:
    parts = [p for p in key.strip(".").split("...") if p] if key.startswith("..") else [key]
    outputs = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        outputs.append({"id": component, "property": prop})
    return outputs


def callback_key(app: Dash, first_output: str) -> str:
    """The callback_map key of the callback whose outputs include ``first_output``."""
    for key in app.callback_map:
        if first_output in key:
            return key
    raise KeyError(first_output)


def call(
    http: requests.Session | Any,
    base_url: str,
    app: Dash,
    first_output: str,
    inputs: dict[str, Any],
    state: dict[str, Any] | None = None,
) -> requests.Response:
    """POST /_dash-update-component for the callback producing ``first_output``."""
    key = callback_key(app, first_output)
    spec = app.callback_map[key]
    outputs = _parse_outputs(key)
    payload = {
        "output": key,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [
            {
                "id": i["id"],
                "property": i["property"],
                "value": inputs.get(f"{i['id']}.{i['property']}"),
            }
            for i in spec["inputs"]
        ],
        "state": [
            {
                "id": s["id"],
                "property": s["property"],
                "value": (state or {}).get(f"{s['id']}.{s['property']}"),
            }
            for s in spec["state"]
        ],
        "changedPropIds": [f"{k}" for k in inputs],
    }
    return http.post(f"{base_url}/_dash-update-component", json=payload)
