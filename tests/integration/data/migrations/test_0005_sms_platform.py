"""Migration 0005 (SMS platform) on SQLite (batch mode) and PostgreSQL.

Down to 0004 and up again with data in place: alert deliveries survive and get one
alert batch per action on the way up; manual texts, which 0004 cannot hold, go with
the platform's tables. The schema it builds matches the models.
"""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.db import alembic_config
from data.incidents.actors import Actor
from data.models import Delivery, NodeKind, OrgNode, SmsBatch, SmsFolder, SmsSource, Staff
from data.sms.compose import compose

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
TABLES = {"sms_batch", "sms_template", "sms_group", "sms_group_member"}
OFFICER = Actor(role="duty_officer", name="市值班员", scope_path="/", user_id=1)


def _issue_twice(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """An alert issued and lifted: two notifying actions; returns (alert, issue, lift) ids."""
    with sessions.begin() as db:
        community = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).first()
        assert community is not None
        issued = lifecycle.issue(
            db,
            OFFICER,
            node_id=community.id,
            level="red",
            category="flood",
            title="暴雨红色预警",
            text="请转移低洼住户",
            valid_until=T0 + dt.timedelta(hours=6),
            now=T0,
        )
        lifted = lifecycle.lift(db, OFFICER, issued.alert.id, now=T0 + dt.timedelta(hours=1))
        return issued.alert.id, issued.action.id, lifted.action.id


def test_round_trip_keeps_alert_texts_and_backfills_their_batches(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    alert_id, issue_id, lift_id = _issue_twice(sessions)
    with sessions.begin() as db:
        people = db.scalars(select(Staff.id).order_by(Staff.id).limit(3)).all()
        compose(db, OFFICER, text="手工", staff_ids=people, client_token="before-down", now=T0)
    with sessions() as db:
        alert_texts = db.scalar(select(func.count()).where(Delivery.alert_id == alert_id))
    assert alert_texts and alert_texts > 0

    command.downgrade(alembic_config(engine), "0004")
    names = set(inspect(engine).get_table_names())
    assert not TABLES & names
    columns = {c["name"]: c for c in inspect(engine).get_columns("alert_delivery")}
    assert "batch_id" not in columns and columns["alert_id"]["nullable"] is False
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*), count(alert_id) FROM alert_delivery")).one()
    assert tuple(left) == (alert_texts, alert_texts)  # the manual texts went, alert texts stay

    command.upgrade(alembic_config(engine), "head")
    assert set(inspect(engine).get_table_names()) >= TABLES
    with sessions() as db:
        batches = db.scalars(select(SmsBatch).order_by(SmsBatch.id)).all()
        assert [(b.action_id, b.source, b.folder) for b in batches] == [
            (issue_id, SmsSource.ALERT, SmsFolder.SENT),
            (lift_id, SmsSource.ALERT, SmsFolder.SENT),
        ]
        for batch in batches:
            linked = db.scalar(select(func.count()).where(Delivery.batch_id == batch.id))
            by_action = db.scalar(select(func.count()).where(Delivery.action_id == batch.action_id))
            assert batch.recipient_count == linked == by_action
            assert batch.client_token == f"alert-action-{batch.action_id}"
            assert batch.alert_id == alert_id and batch.author == "市值班员"
            assert batch.created_at is not None and batch.text
        assert db.scalar(select(func.count()).where(Delivery.batch_id.is_(None))) == 0
    # and the platform works on the upgraded schema
    with sessions.begin() as db:
        people = db.scalars(select(Staff.id).order_by(Staff.id).limit(2)).all()
        again = compose(
            db, OFFICER, text="再发", staff_ids=people, client_token="after-up1", now=T0
        )
    assert again.recipients == 2


def test_migration_0005_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data.models import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
