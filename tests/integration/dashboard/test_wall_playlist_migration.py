"""Migration 0010 (wall playlist) on SQLite and PostgreSQL: down, up, matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import alembic_config
from data.models import Base, Role, User, WallPlaylist
from data.org_tree import OrgTree
from tests.support.accounts import make_user


def test_downgrade_drops_and_upgrade_restores_the_playlist_table(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    assert "wall_playlist" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(engine), "-1")
    assert "wall_playlist" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(engine), "head")
    with sessions() as db:
        root = OrgTree.load(db).root
    assert root is not None
    username, _ = make_user(sessions, Role.WALL, root.id)
    with sessions.begin() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
        db.add(WallPlaylist(user_id=user_id, views=["map", "rankings"], seconds=30))
    with sessions() as db:
        row = db.scalars(select(WallPlaylist)).one()
        assert (row.views, row.seconds, row.enabled) == (["map", "rankings"], 30, True)


def test_migration_0010_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
