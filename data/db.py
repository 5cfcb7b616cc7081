"""Engine creation and schema migration for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Engine, Result, create_engine, event, inspect, make_url
from sqlalchemy.orm import Session, sessionmaker

from data.private_files import PRIVATE_DIR, lock_down, touch_private

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: files SQLite keeps next to the database; they hold the same personal data
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _private_sqlite_file(database: str | None) -> None:
    """Create the database file 0600 before SQLite does, so its WAL and SHM (which SQLite
    gives the database file's mode) are owner-only too; fix files of older installs."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    touch_private(path)
    for suffix in SQLITE_COMPANIONS:
        lock_down(path.with_name(path.name + suffix))


def make_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 30.0
) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and owner-only files.

    Both kinds get a bounded connection pool: a request that cannot get a connection
    within ``pool_timeout`` fails instead of queueing for ever.
    """
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if url.startswith("sqlite"):
        database = make_url(url).database
        _private_sqlite_file(database)
        in_memory = not database or database == ":memory:"  # one shared connection, no pool
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **({} if in_memory else pool),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


def migrated_sessions(url: str) -> sessionmaker[Session]:
    """Sessions on an up-to-date schema, for one-off commands outside a running app."""
    engine = make_engine(url)
    upgrade(engine)
    return make_sessionmaker(engine)


def is_empty(engine: Engine) -> bool:
    """True when no org tree has been loaded yet."""
    if not inspect(engine).has_table("org_node"):
        return True
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM org_node LIMIT 1").first() is None


def rows_changed(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE touched: ``session.execute`` of a DML statement returns a
    CursorResult, which SQLAlchemy's ``Result`` type does not promise."""
    return cast(CursorResult[Any], result).rowcount or 0
