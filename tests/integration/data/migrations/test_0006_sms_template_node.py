"""Migration 0006 (templates belong to a node) on SQLite (batch mode) and PostgreSQL.

Templates written before it go to the root node; down to 0005 and up again keeps every
template (names made unique city-wide on the way down), and the schema matches the models.
"""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.db import alembic_config
from data.models import OrgNode, SmsTemplate
from data.sms import templates
from tests.support.city import two_communities

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def _root_path(sessions: sessionmaker[Session]) -> str:
    with sessions() as db:
        path = db.scalar(select(OrgNode.path).where(OrgNode.parent_id.is_(None)))
    assert path is not None
    return path


def test_templates_from_before_go_to_the_root_and_survive_a_round_trip(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    a, b = two_communities(sessions)
    with sessions.begin() as db:
        templates.create_template(db, a.path, "防汛", "甲社区防汛", "甲", T0)
        templates.create_template(db, b.path, "防汛", "乙社区防汛", "乙", T0)

    command.downgrade(alembic_config(engine), "0005")
    assert "scope_path" not in {c["name"] for c in inspect(engine).get_columns("sms_template")}
    with engine.begin() as conn:
        names = dict(conn.execute(text("SELECT text, name FROM sms_template")).all())
        assert names["甲社区防汛"] == "防汛" and names["乙社区防汛"].startswith("防汛（#")
        conn.execute(  # a template written by the 0005 code, which knew no owner
            text(
                "INSERT INTO sms_template (name, text, created_by, created_at, updated_at)"
                " VALUES ('高温', '今日高温', '市值班员', :t, :t)"
            ),
            {"t": T0},
        )

    command.upgrade(alembic_config(engine), "head")
    root = _root_path(sessions)
    with sessions() as db:
        owners = {t.text: t.scope_path for t in db.scalars(select(SmsTemplate))}
    assert owners == {"甲社区防汛": root, "乙社区防汛": root, "今日高温": root}
    with sessions() as db:  # seen from a community, read-only: the city's now
        seen = {t.text: t.editable for t in templates.list_templates(db, a.path)}
    assert seen == {"甲社区防汛": False, "乙社区防汛": False, "今日高温": False}
    with sessions.begin() as db:  # names are unique per node again
        templates.create_template(db, a.path, "高温", "甲社区的高温提醒", "甲", T0)


def test_migration_0006_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data.models import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
