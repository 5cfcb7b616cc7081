"""A wall account's playlist on SQLite and PostgreSQL: the admin's command stores it and
audits it in one transaction; bad input stores nothing; the wall reads its own.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import Refused
from dashboard.access.wall_playlist import (
    NO_RIGHT,
    NOT_FOUND,
    NOT_WALL,
    Playlist,
    own_playlist,
    set_wall_playlist,
    wall_accounts,
)
from dashboard.auth.current import SessionUser
from dashboard.services import Services, make_redis
from dashboard.settings import Settings
from data.assessment.scheme import load_scheme
from data.incidents.categories import load_categories
from data.models import AuditLog, Role, User, WallPlaylist
from data.org_tree import OrgTree
from tests.support.accounts import make_user
from tests.support.city import two_communities


@pytest.fixture
def services(engine: Engine, sessions: sessionmaker[Session]) -> Services:
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=make_redis("redis://127.0.0.1:1/0"),  # never contacted
        categories=load_categories(None),
        scheme=load_scheme(None),
    )


def _account(sessions: sessionmaker[Session], role: Role, node_id: int) -> SessionUser:
    username, _ = make_user(sessions, role, node_id)
    with sessions() as db:
        row = db.scalars(select(User).where(User.username == username)).one()
        return SessionUser(row.id, row.username, row.display_name, row.role, row.node_id)


@pytest.fixture
def setup(sessions: sessionmaker[Session]) -> tuple[OrgTree, SessionUser, SessionUser, int]:
    """(tree, admin of community A, the wall account in A, a community B id)."""
    a, b = two_communities(sessions)
    admin = _account(sessions, Role.ADMIN, a.id)
    wall = _account(sessions, Role.WALL, a.id)
    with sessions() as db:
        tree = OrgTree.load(db)
    return tree, admin, wall, b.id


def _audits(sessions: sessionmaker[Session]) -> list[AuditLog]:
    with sessions() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == "wall_playlist_set")))


def test_an_admin_sets_a_wall_playlist_it_is_audited_and_the_wall_reads_it(
    services, sessions, setup
):
    tree, admin, wall, _ = setup
    saved = set_wall_playlist(services, tree, admin, wall.id, ["map", "rankings"], "30", True)
    assert saved == Playlist(("map", "rankings"), 30, True)
    assert own_playlist(services, wall) == saved
    (row,) = _audits(sessions)
    assert (row.actor, row.target_id, row.node_id) == (admin.username, str(wall.id), wall.node_id)
    assert row.detail == {"views": ["map", "rankings"], "seconds": 30, "enabled": True}
    # a second save replaces the first; the admin's list shows the wall with it
    set_wall_playlist(services, tree, admin, wall.id, ["rankings", "map"], 600, False)
    (listed,) = wall_accounts(services, tree, admin)
    assert listed.user_id == wall.id
    assert listed.playlist == Playlist(("rankings", "map"), 600, False)
    assert own_playlist(services, wall) is None  # disabled: the map only
    assert len(_audits(sessions)) == 2


def test_bad_input_is_refused_with_every_problem_and_nothing_is_stored(services, sessions, setup):
    tree, admin, wall, _ = setup
    with pytest.raises(Refused) as refused:
        set_wall_playlist(services, tree, admin, wall.id, ["map", "weather"], 5, True)
    items = [p.item for p in refused.value.problems]
    assert items == ["views", "seconds"]
    assert "weather" in refused.value.message and "10–3600" in refused.value.message
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(WallPlaylist)) == 0
    assert _audits(sessions) == []


def test_only_wall_accounts_inside_the_admins_subtree_get_a_playlist(services, sessions, setup):
    tree, admin, wall, community_b = setup
    leader = _account(sessions, Role.LEADER, admin.node_id)
    with pytest.raises(Refused, match=NOT_WALL):
        set_wall_playlist(services, tree, admin, leader.id, ["map"], 60, True)
    outsider = _account(sessions, Role.WALL, community_b)
    with pytest.raises(Refused, match=NOT_FOUND):
        set_wall_playlist(services, tree, admin, outsider.id, ["map"], 60, True)
    with pytest.raises(Refused, match=NO_RIGHT):  # a wall account manages no one
        set_wall_playlist(services, tree, wall, wall.id, ["map"], 60, True)
    assert [w.user_id for w in wall_accounts(services, tree, admin)] == [wall.id]
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(WallPlaylist)) == 0
    assert own_playlist(services, outsider) is None
