"""Migration 0009 (monthly sums) on SQLite and PostgreSQL: down, up fills it from the
daily facts already stored (the median left out), matches the models."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import alembic_config
from data.models import AssessmentFact, AssessmentFactMonth, Base, NodeKind, OrgNode

TABLE = "assessment_fact_month"


def test_upgrade_sums_the_stored_days_into_months(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    command.downgrade(alembic_config(engine), "0008")
    assert TABLE not in set(inspect(engine).get_table_names())
    with sessions.begin() as db:
        grid = db.scalars(select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID)).first()
        assert grid is not None
        for day, value in ((dt.date(2026, 11, 3), 2), (dt.date(2026, 11, 30), 3)):
            db.add(AssessmentFact(day=day, node_id=grid, measure="red", value=value))
            db.add(AssessmentFact(day=day, node_id=grid, measure="ack_seconds_p50", value=60))
        db.add(AssessmentFact(day=dt.date(2026, 12, 1), node_id=grid, measure="red", value=7))
    command.upgrade(alembic_config(engine), "head")
    with sessions() as db:
        rows = db.execute(
            select(
                AssessmentFactMonth.month, AssessmentFactMonth.measure, AssessmentFactMonth.value
            ).order_by(AssessmentFactMonth.month)
        ).all()
    assert [tuple(r) for r in rows] == [
        (dt.date(2026, 11, 1), "red", 5.0),
        (dt.date(2026, 12, 1), "red", 7.0),
    ]


def test_migration_0009_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
