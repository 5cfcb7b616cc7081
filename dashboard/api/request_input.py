"""Reading what callers send: JSON of bounded depth, and fields by their models' types.

JSON nested so deep that the parser ran out of recursion used to reach a 500
(``RecursionError`` is not a ``ValueError``, so Flask's ``get_json`` let it
through). Record ids are read by ``data.record_ids``. ``ModelReader`` reads a body
into its model (``dashboard.api.schemas``), so the check is the documented type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

#: the deepest nesting an API body may have; the deepest legitimate one is 3
#: (Traccar's ``location.coords``), so 32 leaves room without inviting abuse
MAX_JSON_DEPTH = 32


class BadBody(ValueError):
    """A request body that cannot be read; the message says why, in Chinese."""


def too_deep_message(limit: int = MAX_JSON_DEPTH) -> str:
    return f"请求体 JSON 嵌套过深（最多 {limit} 层）"


def parse_json(data: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON text as Python values, or BadBody naming what is wrong."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadBody(too_deep_message(max_depth)) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise BadBody(f"请求体不是合法的 JSON：{exc}") from None
    if json_depth(value) > max_depth:
        raise BadBody(too_deep_message(max_depth))
    return value


def json_depth(value: Any) -> int:
    """How many arrays/objects deep ``value`` goes (a scalar is 0); no recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def request_json() -> Any:
    """The current request's body as JSON of bounded depth (any type), or BadBody."""
    return parse_json(request.get_data(cache=True))


def request_json_object() -> dict[str, Any]:
    """Like ``request_json`` for endpoints whose body must be a JSON object."""
    body = request_json()
    if not isinstance(body, dict):
        raise BadBody(f"请求体应为 JSON 对象，收到的是 {json_type(body)}")
    return body


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages ("数组", "字符串", …)."""
    names = {dict: "对象", list: "数组", str: "字符串", bool: "布尔值", type(None): "null"}
    return names.get(type(value), "数字" if isinstance(value, int | float) else "未知类型")


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that too deep a body is a 400 instead of a 500.

    ``request.get_json`` turns a ``ValueError`` into 400 Bad Request, but the
    parser's ``RecursionError`` escaped as a 500: Dash callbacks and every other
    reader of ``get_json`` now get the 400 as well.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise BadBody("请求体 JSON 嵌套过深") from None


def install_json_provider(app: Flask) -> None:
    """Use ``BoundedJSONProvider`` for ``app``, keeping non-ASCII output readable."""
    provider = BoundedJSONProvider(app)
    provider.ensure_ascii = False
    app.json = provider


class FieldRules:
    """How one endpoint refuses a field whose JSON type is not its model's.

    ``ModelReader`` picks each field's check by the type the model declares; an
    endpoint's rules say which error that is (the messages and statuses predate the
    models and are kept). Absent and JSON null are the same: the field's default.
    """

    #: texts of forms and webhooks are stripped; terminal reports are stripped by intake
    strip_texts = False

    def refuse(self, name: str, message: str) -> Exception:
        return BadBody(message)

    def text(self, name: str, value: Any) -> str:
        """A text as sent; another JSON type is refused by name, never ``str()``-ed."""
        if not isinstance(value, str):
            raise self.refuse(name, f"{name} 应为文本（字符串），收到的是 {json_type(value)}")
        return value.strip() if self.strip_texts else value

    def number(self, name: str, value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.refuse(name, f"{name} 必须是数字")
        return float(value)

    def key(self, name: str, value: Any) -> str:
        return self.text(name, value)

    def choice(self, name: str, value: Any, choices: tuple[str, ...]) -> str | None:
        """One of ``choices``; an empty text is no choice (the default)."""
        text = self.text(name, value)
        if text and text not in choices:
            raise self.refuse(name, f"{name} 只能是 {'、'.join(choices)}，不能是「{text}」")
        return text or None

    def missing(self, name: str) -> Exception:
        """A required number that is absent (a required text is read as empty)."""
        return self.refuse(name, f"{name} 为必填项")


@dataclass(frozen=True)
class _Field:
    name: str
    wire: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    wrap: type | None = None


S = TypeVar("S", bound=msgspec.Struct)


class ModelReader(Generic[S]):
    """Reads a JSON object or form into ``model``, checking each field by its declared type.

    Built once per model (msgspec's type inspection is not free). Types are checked in
    the model's field order and the first wrong one is named; then absent required
    numbers; values (lengths, ranges) are for the rules that follow.
    """

    def __init__(self, model: type[S]) -> None:
        self.model = model
        info = msgspec.inspect.type_info(model)
        if not isinstance(info, msgspec.inspect.StructType):
            raise TypeError(f"{model!r} is not a msgspec Struct")
        self.fields = tuple(_plan(f) for f in info.fields)

    def read(self, body: Mapping[str, Any], rules: FieldRules) -> S:
        values: dict[str, Any] = {}
        for field in self.fields:
            raw = body.get(field.wire)
            value = None if raw is None else _read(field, raw, rules)
            if value is not None:
                values[field.name] = field.wrap(value) if field.wrap else value
        for field in self.fields:
            if field.required and field.name not in values:
                if field.kind != "text":
                    raise rules.missing(field.wire)
                values[field.name] = field.wrap("") if field.wrap else ""
        return self.model(**values)


def _read(field: _Field, raw: Any, rules: FieldRules) -> Any:
    if field.kind == "number":
        return rules.number(field.wire, raw)
    if field.kind == "key":
        return rules.key(field.wire, raw)
    if field.kind == "choice":
        return rules.choice(field.wire, raw, field.choices)
    return rules.text(field.wire, raw)


def _bare(kind: msgspec.inspect.Type) -> msgspec.inspect.Type | None:
    """A field's type without its metadata and without ``| None``; None for other unions."""
    while True:
        if isinstance(kind, msgspec.inspect.Metadata):
            kind = kind.type
        elif isinstance(kind, msgspec.inspect.UnionType):
            types = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
            if len(types) != 1:
                return None
            kind = types[0]
        else:
            return kind


def _plan(field: msgspec.inspect.Field) -> _Field:
    """What to check for one field, from its declared type."""
    kind = _bare(field.type)
    check = ""
    choices: tuple[str, ...] = ()
    wrap: type | None = None
    if isinstance(kind, msgspec.inspect.StrType):
        check = "text"
    elif isinstance(kind, msgspec.inspect.FloatType | msgspec.inspect.IntType):
        check = "number"
    elif isinstance(kind, msgspec.inspect.LiteralType):
        check, choices = "choice", tuple(str(v) for v in kind.values)
    elif isinstance(kind, msgspec.inspect.CustomType) and issubclass(kind.cls, str):
        # a text type of the models' own (a category code, a client's key) says its kind
        check, wrap = getattr(kind.cls, "reader_kind", "text"), kind.cls
    if not check:
        raise TypeError(f"{field.name}: no reader for {field.type}")
    return _Field(field.name, field.encode_name, check, field.required, choices, wrap)


#: where the browser sends every Dash callback
DASH_UPDATE_PATH = "/_dash-update-component"


def _is_prop(item: Any) -> bool:
    return isinstance(item, dict) and "id" in item and isinstance(item.get("property"), str)


def dash_body_problem(body: Any, callback_map: dict[str, Any]) -> str | None:
    """What is wrong with a callback body's shape, or None (Dash checks the rest).

    Dash reads these keys and counts without checking them, so a crafted body used to
    end in a KeyError, TypeError or IndexError inside Dash: a 500 for a bad request.
    """
    if not isinstance(body, dict):
        return "回调请求体须为 JSON 对象"
    if not isinstance(body.get("output"), str):
        return "回调请求缺少 output"
    spec = callback_map.get(body["output"])
    if spec is None:
        return "回调不存在"
    outputs, expected = body.get("outputs"), spec.get("outputs_indices")
    if not isinstance(outputs, dict | list):
        return "回调请求缺少 outputs"
    if not isinstance(body.get("inputs"), list):
        return "回调请求缺少 inputs"
    if isinstance(expected, list) and (
        not isinstance(outputs, list) or len(outputs) != len(expected)
    ):
        return "回调请求的 outputs 与页面定义不符"
    for key in ("state", "changedPropIds"):
        if key in body and not isinstance(body[key], list):
            return f"回调请求的 {key} 须为数组"
    for key in ("inputs", "state"):
        sent = body.get(key, [])
        if len(sent) != len(spec.get(key, [])):
            return f"回调请求的 {key} 与页面定义不符"
        for item in sent:  # one property, or the list a pattern (ALL) matched
            items = item if isinstance(item, list) else [item]
            if not all(_is_prop(i) for i in items):
                return f"回调请求的 {key} 项须含 id 与 property"
    return None


def install_dash_body_check(app: Flask, callback_map: dict[str, Any]) -> None:
    """Malformed or mismatched callback bodies are a 400 naming the problem, never a 500."""
    from dash.exceptions import CallbackException

    from dashboard.api.errors import api_error

    @app.before_request
    def check_dash_body() -> Any:
        if request.path != DASH_UPDATE_PATH or request.method != "POST":
            return None
        problem = dash_body_problem(request.get_json(silent=True), callback_map)
        return api_error(400, "bad_callback", problem) if problem else None

    @app.errorhandler(CallbackException)
    def callback_mismatch(exc: CallbackException) -> Any:
        # only Dash's own request checks raise the bare class ("Output does not match
        # callback definition"); its subclasses mean a callback of ours misbehaved
        if type(exc) is not CallbackException or request.path != DASH_UPDATE_PATH:
            raise exc
        return api_error(400, "bad_callback", f"回调请求与页面定义不符：{exc}")
