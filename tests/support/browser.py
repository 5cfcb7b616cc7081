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


#: where an element's box is read in one step, so a re-render between "found" and
#: "measured" cannot hand back a detached element's None (a flake under load)
_BOX_JS = """([selector, first]) => {
    const els = document.querySelectorAll(selector);
    const el = first ? els[0] : els[els.length - 1];
    if (!el) return null;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return null;
    return {x: r.x, y: r.y, width: r.width, height: r.height};
}"""


def settled_box(page: Page, selector: str, timeout_ms: float = 10_000) -> dict[str, float]:
    """The on-screen box of the first element matching the CSS ``selector``, once rendered.

    Waits for the condition (an attached, laid-out element) instead of assuming the
    element found a moment ago still exists: pages re-render on their own timers.
    """
    handle = page.wait_for_function(_BOX_JS, arg=[selector, True], timeout=timeout_ms)
    box: dict[str, float] | None = handle.json_value()
    assert box is not None
    return box
