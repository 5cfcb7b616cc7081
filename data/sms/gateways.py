"""SMS gateways: where a text goes. Outbox (default, stored only) or HTTP (any provider).

Every send carries ``message_id`` (the delivery id): the outbox gateway stores it under
a unique key and the HTTP gateway passes it to the provider, so a resend after a crash
is recognised as the same message instead of becoming a second text.
"""

from __future__ import annotations

import datetime as dt
import json
import string
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from data.models import SmsMessage


@dataclass(frozen=True)
class OutgoingSms:
    message_id: str
    phone: str
    text: str
    alert_id: int | None = None
    action_id: int | None = None
    delivery_id: int | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class SendResult:
    """``ok``: the gateway took the message. Not ok and ``retryable``: try again later."""

    ok: bool
    retryable: bool = False
    error: str | None = None
    duplicate: bool = False


class Gateway(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> SendResult: ...


class OutboxGateway:
    """Stores each text as an ``SmsMessage`` row; nothing leaves the machine.

    The insert is its own transaction and ``message_id`` is unique, so a message that
    was stored before its sender crashed is reported as a duplicate, not stored twice.
    """

    name = "outbox"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def send(self, sms: OutgoingSms) -> SendResult:
        row = {
            "message_id": sms.message_id,
            "to": sms.phone,
            "text": sms.text,
            "state": "stored",
            "created_at": dt.datetime.now(dt.UTC),
            "alert_id": sms.alert_id,
            "action_id": sms.action_id,
            "delivery_id": sms.delivery_id,
            "staff_id": sms.staff_id,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(SmsMessage), [row])
        except IntegrityError:
            return SendResult(ok=True, duplicate=True)
        return SendResult(ok=True)


def _escape(value: str, encoding: str) -> str:
    if encoding == "json":
        return json.dumps(value, ensure_ascii=False)[1:-1]
    if encoding == "form":
        return urllib.parse.quote_plus(value)
    return value


@dataclass
class HttpGateway:
    """A provider reached over HTTP, configured without code.

    ``url_template`` and ``body_template`` are ``string.Template`` strings with the
    fields ``$phone``, ``$text`` and ``$message_id``; URL values are percent-encoded,
    body values escaped per ``body_encoding`` ("json", "form" or "raw"). 2xx is success,
    429 and 5xx and network errors are retried, other statuses fail the delivery.
    """

    url_template: str
    method: str = "POST"
    body_template: str | None = None
    body_encoding: str = "json"
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 10.0
    name: str = "http"

    def render(self, sms: OutgoingSms) -> tuple[str, bytes | None]:
        fields = {"phone": sms.phone, "text": sms.text, "message_id": sms.message_id}
        url = string.Template(self.url_template).substitute(
            {k: urllib.parse.quote(v, safe="") for k, v in fields.items()}
        )
        if self.body_template is None:
            return url, None
        body = string.Template(self.body_template).substitute(
            {k: _escape(v, self.body_encoding) for k, v in fields.items()}
        )
        return url, body.encode("utf-8")

    def send(self, sms: OutgoingSms) -> SendResult:
        url, body = self.render(sms)
        headers = {"Idempotency-Key": sms.message_id, **self.headers}
        if body is not None and "Content-Type" not in headers:
            headers["Content-Type"] = (
                "application/json; charset=utf-8"
                if self.body_encoding == "json"
                else "application/x-www-form-urlencoded; charset=utf-8"
            )
        request = urllib.request.Request(url, data=body, method=self.method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            retryable = exc.code == 429 or exc.code >= 500
            return SendResult(ok=False, retryable=retryable, error=f"HTTP {exc.code}")
        except (urllib.error.URLError, OSError) as exc:
            return SendResult(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")
        return SendResult(ok=True)
