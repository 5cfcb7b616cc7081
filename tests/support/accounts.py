"""Accounts and logged-in HTTP sessions for tests."""

from __future__ import annotations

import re
import secrets

import requests
from sqlalchemy.orm import Session, sessionmaker

from data import users
from data.models import Role


def make_user(
    sessions: sessionmaker[Session], role: Role, node_id: int, name: str = ""
) -> tuple[str, str]:
    """Create a user of ``role`` governing ``node_id``; returns (username, password)."""
    username = name or f"{role.value}-{secrets.token_hex(3)}"
    password = "Pw-" + secrets.token_urlsafe(12)
    with sessions.begin() as db:
        users.add_user(db, username, username, password, role, node_id)
    return username, password


def login_form(base_url: str) -> tuple[requests.Session, str]:
    """A browser that opened the login page: its pre-login session and the form's token.

    Like a browser, the session names the page's origin on its requests: state-changing
    requests with the session cookie and no Origin/Referer are refused.
    """
    http = requests.Session()
    http.headers["Origin"] = base_url
    token = re.search(r'name="csrf" value="([^"]+)"', http.get(f"{base_url}/login").text)
    assert token, "login form has no CSRF token"
    return http, token.group(1)


def login(base_url: str, username: str, password: str) -> requests.Session:
    """Log in through the real login form (CSRF token included)."""
    http, token = login_form(base_url)
    response = http.post(
        f"{base_url}/login",
        data={"username": username, "password": password, "csrf": token},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return http


def cookie_header(http: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)
