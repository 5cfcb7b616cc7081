"""The audit log is append-only and kept for the configured retention."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DatabaseError

from data import audit
from data.db import make_engine, make_sessionmaker, upgrade
from data.models import AuditLog


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_update_is_refused_and_purge_keeps_what_is_younger(database, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if database == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = make_engine(url)
    upgrade(engine)
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
    engine.dispose()


def test_retention_below_three_years_is_refused():
    from pydantic import ValidationError

    from dashboard.settings import Settings

    with pytest.raises(ValidationError, match="audit_retention_days"):
        Settings(audit_retention_days=365)
