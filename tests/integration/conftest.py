"""Integration fixtures: a running Gridwatch (real HTTP server thread, real Redis, seeded
SQLite) and the shared database fixtures of tests/support/database.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.settings import Settings
from dashboard.web.server import ServerThread
from tests.support.database import engine, sessions
from tests.support.running import Running
from tests.support.sms_provider import FailingProvider

__all__ = ["engine", "sessions"]  # the shared database fixtures, for every integration test


@pytest.fixture
def running(
    request: pytest.FixtureRequest, redis_url: str, small_city_url: str, tmp_path: Path
) -> Iterator[Running]:
    """Settings can be overridden with indirect parametrization: ``{"wall_max_markers": 5}``."""
    overrides = getattr(request, "param", {})
    settings = Settings(
        redis_url=redis_url,
        database_url=small_city_url,
        var_dir=tmp_path,
        push_interval_s=0.1,
        **overrides,
    )
    app = create_app(settings)
    app.start_background()
    server = ServerThread(app).start()
    yield Running(app, server)
    server.stop()
    app.close()


@pytest.fixture
def failing() -> Iterator[FailingProvider]:
    """A local SMS provider that answers every text with HTTP 500."""
    provider = FailingProvider()
    yield provider
    provider.close()
