"""POSTing to /_dash-update-component with explicit (also pattern-matching) ids.

tests/support/dash_calls.py covers plain ids; these helpers let a test name any
component id, e.g. a resident id inside a pattern-matching button, the way a
crafted request would.
"""

from __future__ import annotations

import json
from typing import Any

import requests
from dash import Dash


class DashAnswer:
    """A callback answer; ``text`` is its JSON with Chinese unescaped (Dash sends \\uXXXX)."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.text = (
            json.dumps(response.json(), ensure_ascii=False) if response.ok else response.text
        )


def key_of(app: Dash, *fragments: str) -> str:
    """The callback_map key containing every fragment (exactly one must match)."""
    keys = [k for k in app.callback_map if all(f in k for f in fragments)]
    assert len(keys) == 1, keys
    return keys[0]


def prop_id(component: Any, prop: str) -> str:
    """How the renderer names a changed property (dict ids: sorted, compact JSON)."""
    if isinstance(component, dict):
        component = json.dumps(component, sort_keys=True, separators=(",", ":"))
    return f"{component}.{prop}"


def post(
    http: requests.Session,
    base_url: str,
    key: str,
    outputs: Any,
    inputs: list[Any],
    state: list[Any] | tuple = (),
    changed: str | None = None,
) -> DashAnswer:
    body = {
        "output": key,
        "outputs": outputs,
        "inputs": inputs,
        "state": list(state),
        "changedPropIds": [changed] if changed else [],
    }
    return DashAnswer(http.post(f"{base_url}/_dash-update-component", json=body))
