"""Why a session ended, kept briefly in Redis so a late request can say so.

A page's own requests may still be in flight when its session ends (the person pressed
退出 while the wall was loading): they come back 401 and the browser goes to the login
page. Telling it *why* (``logout``, ``expired``, ``revoked``) keeps it from claiming
"会话已超时" for a session the person ended themselves, in any tab and any process.
"""

from __future__ import annotations

import redis

ENDED_PREFIX = "gw:session-ended:"

#: the login page's notice for each reason (see views.NOTICES)
LOGIN_AFTER = {
    "logout": "/login?notice=logout",
    "expired": "/login?notice=expired",
    "revoked": "/login?notice=revoked",
}
#: a request without any session cookie cannot tell how its session ended
UNKNOWN_END = "/login?notice=ended"


def mark_ended(r: redis.Redis, session_id: str, reason: str, keep_s: float) -> None:
    """Remember for ``keep_s`` (the cookie's lifetime) why this session ended."""
    r.set(f"{ENDED_PREFIX}{session_id}", reason, ex=max(1, int(keep_s)))


def why_ended(r: redis.Redis, session_id: str) -> str | None:
    value = r.get(f"{ENDED_PREFIX}{session_id}")
    if isinstance(value, bytes):
        return value.decode()
    return value or None
