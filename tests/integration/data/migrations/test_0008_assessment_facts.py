"""Migration 0008 (assessment facts) on SQLite and PostgreSQL: down, up, matches the models."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import alembic_config
from data.models import AssessmentFact, Base, NodeKind, OrgNode

TABLES = {"assessment_fact", "assessment_dirty_day"}


def test_downgrade_drops_and_upgrade_restores_the_tables(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    command.downgrade(alembic_config(engine), "0007")
    assert not TABLES & set(inspect(engine).get_table_names())
    command.upgrade(alembic_config(engine), "head")
    assert set(inspect(engine).get_table_names()) >= TABLES
    with sessions.begin() as db:
        grid = db.scalars(select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID)).first()
        assert grid is not None
        db.add(AssessmentFact(day=dt.date(2026, 12, 1), node_id=grid, measure="red", value=2))
    with sessions() as db:
        fact = db.scalars(select(AssessmentFact)).one()
        assert (fact.staff_id, fact.value) == (0, 2.0)  # staff 0: the grid as a whole


def test_migration_0008_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
