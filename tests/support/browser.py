"""Browser-test helpers: the served app's coordinates and screenshots to look at."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

from dashboard.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class LiveServer:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]


def screenshot(page: Page, name: str) -> Path:
    """Save a PNG under tests/artifacts/ (not committed) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
