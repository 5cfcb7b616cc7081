"""Browser-test helpers: the served app's coordinates and screenshots to look at."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import select

from dashboard.settings import Settings
from data.db import make_engine, make_sessionmaker
from data.models import OrgNode, Role
from tests.support.accounts import make_user

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class LiveServer:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]


def login_in_browser(page: Page, server: LiveServer, role: Role, node_id: int | None = None) -> str:
    """Create an account of ``role`` and log in through the login page; returns username."""
    engine = make_engine(server.settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    if node_id is None:
        with sessions() as db:
            node_id = db.scalar(select(OrgNode.id).where(OrgNode.parent_id.is_(None)))
    username, password = make_user(sessions, role, node_id)
    engine.dispose()
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url("**/wall**")
    return username


def screenshot(page: Page, name: str) -> Path:
    """Save a PNG under tests/artifacts/ (not committed) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
