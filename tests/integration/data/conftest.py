"""The seeded small city on SQLite and on PostgreSQL, for tests of the record.

Modules that need a different database (their own seed or an empty schema) define
their own ``engine``/``sessions``, which take precedence over these.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_sessionmaker
from data.demo_city import seed_demo_city


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(request.getfixturevalue("small_city_url"))
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        seed_demo_city(engine, "small", 7)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)
