"""The audit log is append-only at the database and kept for the configured retention.

Every check goes through raw SQL on the engine as well as through Gridwatch's code:
the triggers must refuse any client, not only ours. Rows with old timestamps are
inserted directly (the log accepts any ``at`` on insert; only DELETE and UPDATE are
guarded), which is how rows written years ago look to the purge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import DatabaseError

from data import audit
from data.db import alembic_config, make_engine, make_sessionmaker, upgrade
from data.models import AuditLog

DAY = dt.timedelta(days=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def add_rows(engine: Engine, **ages_in_days: float) -> dict[str, int]:
    """One row per actor name, ``age`` days old; returns actor → id."""
    now = dt.datetime.now(dt.UTC)
    ids = {}
    with engine.begin() as conn:
        for actor, age in ages_in_days.items():
            ids[actor] = conn.execute(
                insert(AuditLog)
                .values(at=now - age * DAY, actor=actor, action="login", outcome="ok", detail={})
                .returning(AuditLog.id)
            ).scalar_one()
    return ids


def actors(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.scalars(select(AuditLog.actor)))


def test_update_is_refused_and_purge_keeps_what_is_younger(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=1200)
    with sessions.begin() as db:
        audit.record(db, actor="alice", action="login", address="10.0.0.1")
        db.execute(
            insert(AuditLog).values(at=old, actor="bob", action="login", outcome="ok", detail={})
        )
    with pytest.raises(DatabaseError, match="append-only"), sessions.begin() as db:
        db.execute(update(AuditLog).values(actor="mallory"))
    with sessions.begin() as db:
        assert audit.purge_older_than(db, 1098) == 1
    with sessions() as db:
        assert db.scalars(select(AuditLog.actor)).all() == ["alice"]
        assert db.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1


def test_a_fresh_row_cannot_be_deleted_by_any_client(engine: Engine) -> None:
    """Issue 9, finding 7: a plain DELETE of a fresh row used to succeed."""
    with make_sessionmaker(engine).begin() as db:
        fresh = audit.record(db, actor="alice", action="reveal_personal_data")
    # one day short of the legal minimum of three years is still protected
    ids = add_rows(engine, nearly=3 * 365 - 1)
    for row_id in (fresh.id, ids["nearly"]):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": row_id})
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    assert actors(engine) == ["alice", "nearly"]


def test_a_delete_that_touches_one_fresh_row_deletes_nothing(engine: Engine) -> None:
    add_rows(engine, ancient=2000, fresh=0)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE actor IN ('ancient', 'fresh')"))
    assert actors(engine) == ["ancient", "fresh"]


def test_rows_past_the_retention_cannot_be_altered_either(engine: Engine) -> None:
    ids = add_rows(engine, ancient=2000)
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET at = :now WHERE id = :id"),
            {"now": dt.datetime.now(dt.UTC), "id": ids["ancient"]},
        )
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory'"))
    assert actors(engine) == ["ancient"]


def test_purge_deletes_rows_past_the_retention_and_never_a_younger_one(engine: Engine) -> None:
    add_rows(engine, y2000=2000, y1099=1099, y1097=1097, y1094=1094, today=0)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as db:
        assert audit.purge_older_than(db, 1098) == 2
    assert actors(engine) == ["today", "y1094", "y1097"]
    with sessions.begin() as db:
        assert audit.purge_older_than(db, 1098) == 0
        assert audit.purge_older_than(db, 3 * 365) == 1
    assert actors(engine) == ["today", "y1094"]


def test_purge_below_the_legal_minimum_is_refused(engine: Engine) -> None:
    add_rows(engine, y2=730)
    with pytest.raises(ValueError, match="1095"), make_sessionmaker(engine).begin() as db:
        audit.purge_older_than(db, 365)
    # the same purge written by hand is refused by the database
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(AuditLog).where(AuditLog.at < dt.datetime.now(dt.UTC) - 365 * DAY))
    assert actors(engine) == ["y2"]


def test_any_client_may_delete_rows_past_the_legal_minimum(engine: Engine) -> None:
    """The trigger knows only the legal floor (3 × 365 days); a longer configured
    retention is kept by ``gridwatch audit purge`` choosing what to delete."""
    ids = add_rows(engine, ancient=1200, recent=10)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids["ancient"]})
    assert actors(engine) == ["recent"]


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        add_rows(engine, fresh=0)
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
        assert actors(engine) == ["fresh"]
    finally:
        engine.dispose()


def test_gridwatch_audit_purge_deletes_only_what_is_past_the_retention(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from dashboard.cli import main

    add_rows(engine, y2000=2000, y1097=1097)
    monkeypatch.setenv("GRIDWATCH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GRIDWATCH_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("GRIDWATCH_AUDIT_RETENTION_DAYS", "1098")
    result = CliRunner().invoke(main, ["audit", "purge"])
    assert result.exit_code == 0, result.output
    assert "已删除 1 条超过 1098 天的审计记录" in result.output
    assert actors(engine) == ["cli:purge", "y1097"]


def test_downgrade_restores_the_previous_triggers(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0006")
    ids = add_rows(engine, fresh=0, other=0)
    with engine.begin() as conn:  # before 0007 only UPDATE was refused
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids["fresh"]})
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory'"))
    command.upgrade(config, "head")
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids["other"]})
    assert actors(engine) == ["other"]


def test_retention_below_three_years_is_refused():
    from pydantic import ValidationError

    from dashboard.settings import Settings

    with pytest.raises(ValidationError, match="audit_retention_days"):
        Settings(audit_retention_days=365)
