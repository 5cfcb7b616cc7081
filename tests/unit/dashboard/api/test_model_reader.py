"""Bodies are read through their models: the declared type picks each field's check.

``ModelReader`` is what keeps the OpenAPI document and the endpoints' checks one
thing; these pin down its rules (order, null, blanks, kinds) without a server.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import pytest

from dashboard.api import schemas
from dashboard.api.incidents import FEEDBACK, REPORT, TERMINAL_FIELDS
from dashboard.api.open311 import GEOREPORT_FIELDS, POSTED
from dashboard.api.request_input import BadBody, FieldRules, ModelReader
from dashboard.api.sms_webhooks import INBOUND, WEBHOOK_FIELDS
from data.incidents.intake import IntakeError
from data.incidents.workflow import InvalidRequest


class Sample(msgspec.Struct, kw_only=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    title: str
    code: schemas.CategoryCode
    key: schemas.ClientKey | None = None
    step: Literal["a", "b"] | None = None
    place: float


SAMPLE = ModelReader(Sample)
RULES = FieldRules()


def _refusal(body: dict[str, Any], reader: ModelReader[Any] = SAMPLE) -> str:
    with pytest.raises(BadBody) as caught:
        reader.read(body, RULES)
    return str(caught.value)


def test_fields_are_read_by_their_declared_type() -> None:
    read = SAMPLE.read(
        {"lat": 34, "title": "t", "code": "fire", "key": "k" * 8, "step": "b", "place": 1},
        RULES,
    )
    assert read == Sample(lat=34.0, title="t", code="fire", key="k" * 8, step="b", place=1.0)
    assert type(read.lat) is float and type(read.code) is schemas.CategoryCode


def test_null_is_absent_and_an_absent_text_is_empty() -> None:
    read = SAMPLE.read({"lat": None, "title": None, "key": None, "place": 2.5}, RULES)
    assert (read.lat, read.title, read.code, read.key, read.step) == (None, "", "", None, None)


def test_a_missing_required_number_is_refused_after_every_type() -> None:
    assert _refusal({"title": "t"}) == "place 为必填项"
    # a wrong type anywhere is named before an absent number
    assert "title" in _refusal({"title": 5})


def test_the_first_field_of_the_wrong_type_is_named_in_model_order() -> None:
    message = _refusal({"title": ["x"], "lat": "north", "place": 1})
    assert message == "lat 必须是数字"
    assert _refusal({"title": {"a": 1}, "place": 1}) == "title 应为文本（字符串），收到的是 对象"
    assert _refusal({"title": "t", "place": True}) == "place 必须是数字"  # a bool is no number


def test_a_choice_outside_its_literal_is_refused_and_empty_is_no_choice() -> None:
    assert "step" in _refusal({"title": "t", "place": 1, "step": "c"})
    assert SAMPLE.read({"title": "t", "place": 1, "step": ""}, RULES).step is None


def test_a_model_with_a_type_the_reader_cannot_check_is_refused_when_built() -> None:
    class Nested(msgspec.Struct):
        inner: list[int]

    with pytest.raises(TypeError, match="inner"):
        ModelReader(Nested)


# -- the endpoints' own rules keep their messages ------------------------------------------


def test_a_terminal_names_a_bad_field_in_fields_like_intake() -> None:
    with pytest.raises(IntakeError) as caught:
        REPORT.read({"category": "fire_safety", "title": "x", "lat": "north"}, TERMINAL_FIELDS)
    assert caught.value.errors == {"lat": "lat 必须是数字"}
    with pytest.raises(IntakeError) as caught:
        REPORT.read({"category": "fire_safety", "title": "x", "address": []}, TERMINAL_FIELDS)
    assert caught.value.errors == {"address": "address 应为文本（字符串），收到的是 数组"}


@pytest.mark.parametrize("key", ["short", 12345678, "x" * 65])
def test_a_terminals_replay_key_keeps_its_own_message(key: object) -> None:
    with pytest.raises(InvalidRequest, match="report_id 应为 8–64 个字符"):
        REPORT.read({"category": "c", "title": "x", "report_id": key}, TERMINAL_FIELDS)


def test_terminal_feedback_reads_its_action_from_the_model() -> None:
    assert FEEDBACK.read({}, TERMINAL_FIELDS).action is None  # the route takes it as handle
    assert FEEDBACK.read({"action": ""}, TERMINAL_FIELDS).action is None
    with pytest.raises(InvalidRequest, match="终端只能执行 \\['escalate', 'handle', 'start'\\]"):
        FEEDBACK.read({"action": "close"}, TERMINAL_FIELDS)


def test_the_sms_webhook_strips_and_reads_from_by_its_wire_name() -> None:
    sms = INBOUND.read({"from": " 13900001111 ", "text": " 燃气泄漏 "}, WEBHOOK_FIELDS)
    assert (sms.sender, sms.text) == ("13900001111", "燃气泄漏")
    with pytest.raises(BadBody, match="from 应为文本"):
        INBOUND.read({"from": 13900001111, "text": "x"}, WEBHOOK_FIELDS)


def test_georeport_takes_a_position_from_form_text() -> None:
    form = {"service_code": "fire_safety", "lat": "34.5", "long": " 113.6 "}
    sent = POSTED.read(form, GEOREPORT_FIELDS)
    assert (sent.lat, sent.long, sent.phone) == (34.5, 113.6, None)
    with pytest.raises(IntakeError) as caught:
        POSTED.read(form | {"lat": "north"}, GEOREPORT_FIELDS)
    assert caught.value.errors == {"lat": "lat 必须是数字"}
    with pytest.raises(IntakeError) as caught:
        POSTED.read(form | {"long": ""}, GEOREPORT_FIELDS)
    assert caught.value.errors == {"lat/long": "请提供位置（lat 与 long）"}
    with pytest.raises(BadBody, match="phone 应为文本"):  # texts before the position
        POSTED.read({"phone": 1, "lat": "x"}, GEOREPORT_FIELDS)
