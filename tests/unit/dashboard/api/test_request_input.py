"""Bounded JSON depth and bounded record ids, decided once for every reader."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from dashboard.api.request_input import (
    MAX_JSON_DEPTH,
    BadBody,
    install_json_provider,
    json_depth,
    parse_json,
)
from data.record_ids import MAX_RECORD_ID, record_id
from data.sms.scope import unique_ints


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ("x", 0), ([], 1), ({}, 1), ({"a": [1, {"b": []}]}, 4), ([[], [[[]]]], 4)],
)
def test_depth_counts_arrays_and_objects(value, depth):
    assert json_depth(value) == depth


def test_depth_of_a_very_deep_value_needs_no_recursion():
    value: list = []
    for _ in range(50_000):
        value = [value]
    assert json_depth(value) == 50_001


def test_the_limit_itself_is_accepted_and_one_more_is_refused():
    assert parse_json(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(BadBody, match="嵌套过深"):
        parse_json(_nested(MAX_JSON_DEPTH + 1))


def test_a_body_past_the_parsers_recursion_limit_is_bad_body_not_recursion_error():
    with pytest.raises(BadBody, match="嵌套过深"):
        parse_json(_nested(100_000))


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe{", b'{"a": 1,}'])
def test_what_is_not_json_is_named(body):
    with pytest.raises(BadBody, match="不是合法的 JSON"):
        parse_json(body)


def test_flask_get_json_answers_400_for_a_body_deeper_than_the_parser_copes_with():
    app = Flask("t")
    install_json_provider(app)

    @app.post("/echo")
    def echo() -> dict:
        from flask import request

        return {"got": request.get_json() is not None}

    client = app.test_client()
    deep = client.post("/echo", data=_nested(100_000), content_type="application/json")
    assert deep.status_code == 400
    fine = client.post("/echo", data=json.dumps({"标题": "中文"}), content_type="application/json")
    assert fine.status_code == 200 and fine.get_json() == {"got": True}
    with app.app_context():
        assert app.json.dumps({"标题": 1}) == '{"标题": 1}'  # still readable Chinese


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (str(MAX_RECORD_ID), MAX_RECORD_ID),
        (MAX_RECORD_ID, MAX_RECORD_ID),
        (7, 7),
        (str(MAX_RECORD_ID + 1), None),
        (MAX_RECORD_ID + 1, None),
        ("9" * 40, None),
        ("0", None),
        (0, None),
        (-5, None),
        ("-5", None),
        ("²", None),
        ("１２", None),
        ("1.0", None),
        (" 1", None),
        ("", None),
        (None, None),
        (True, None),
        (1.0, None),
        ({"id": 1}, None),
    ],
)
def test_record_ids_are_ascii_integers_sql_can_hold(raw, expected):
    assert record_id(raw) == expected


@given(st.text())
def test_record_id_never_raises_on_any_text(text):
    value = record_id(text)
    assert value is None or 1 <= value <= MAX_RECORD_ID


@given(st.integers())
def test_record_id_bounds_any_integer(number):
    assert record_id(number) == (number if 1 <= number <= MAX_RECORD_ID else None)


def test_browser_id_lists_drop_what_cannot_be_a_record():
    assert unique_ints([3, "3", "²", 2**64, "0", -1, True, "7", 7]) == [3, 7]
