"""Reading what the browser sends, and fingerprints of what it shows (alerts page)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any


def as_int(value: Any) -> int | None:
    """An int from the browser, or None (a bool is not an int here)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def new_token() -> str:
    """A fresh form token: a double click under the same token is answered once."""
    return uuid.uuid4().hex


def digest(value: Any) -> str:
    """A short fingerprint of what a panel shows: equal digests, nothing to send."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:20]
