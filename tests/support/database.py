"""The seeded small city on SQLite and on PostgreSQL: the one home of the database fixtures.

``tests/integration/conftest.py`` imports these, so every integration test can ask for
``engine`` (parametrized: SQLite, and PostgreSQL when the ``postgres`` mark runs) and
``sessions``. A module that needs a different database (its own seed, an empty or
migrated schema) defines its own ``engine``, which takes precedence over this one.
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
    """The small demo city (seed 7): a copy of the seeded SQLite file, or seeded anew."""
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
