"""The map by score on SQLite and PostgreSQL: the seeded small city's boundaries joined to
hand-made ranking rows (the map never computes a score itself), its colours for the best,
the worst and a unit with no data, the staff level without areas, and the scope.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.assessment import OUTSIDE, RankRow
from dashboard.access.assessment_map import NO_AREAS, NO_DATA_FILL, score_map, staff_posts
from dashboard.access.base import Refused
from dashboard.auth.current import SessionUser
from dashboard.services import Services, make_redis
from dashboard.settings import Settings
from data.assessment.scheme import load_scheme
from data.incidents.categories import load_categories
from data.models import NodeKind, OrgNode, Post, Role, Staff
from data.org_tree import OrgTree

RED, AMBER, GREEN = "#dc2626", "#f59e0b", "#16a34a"


@pytest.fixture
def services(engine: Engine, sessions: sessionmaker[Session]) -> Services:
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=make_redis("redis://127.0.0.1:1/0"),  # never contacted by these reads
        categories=load_categories(None),
        scheme=load_scheme(None),
    )


@pytest.fixture
def tree(sessions: sessionmaker[Session]) -> OrgTree:
    with sessions() as db:
        return OrgTree.load(db)


def _who(node_id: int) -> SessionUser:
    return SessionUser(1, "tester", "测试", Role.LEADER, node_id)


def _row(unit_id: int, name: str, score: float | None, rank: int | None) -> RankRow:
    return RankRow(unit_id, name, score, None, rank, None, "flat", 0, 0, 0, "")


def _communities(tree: OrgTree) -> list[int]:
    return sorted(n.id for n in tree.nodes.values() if n.kind == NodeKind.COMMUNITY)


def test_the_grids_of_a_community_are_shaded_by_the_scores_given(services, tree):
    community = tree.get(_communities(tree)[0])
    assert community is not None
    best, middle, worst, *rest = tree.children_of(community.id)
    rows = [
        _row(best.id, best.name, 100.0, 1),
        _row(middle.id, middle.name, 80.0, 2),
        _row(worst.id, worst.name, 60.0, 3),
        *[_row(g.id, g.name, None, None) for g in rest],
    ]
    shaded = score_map(services, tree, _who(community.id), None, rows)

    assert shaded.node_id == community.id and shaded.level == "grid"
    assert shaded.domain == (60.0, 100.0) and shaded.note == ""
    areas = {
        f["properties"]["unit_id"]: f["properties"]
        for f in shaded.geojson["features"]
        if f["properties"]["role"] == "child"
    }
    assert set(areas) == {g.id for g in tree.children_of(community.id)}
    assert (areas[best.id]["fill"], areas[best.id]["score"], areas[best.id]["rank"]) == (
        GREEN,
        100.0,
        1,
    )
    assert areas[middle.id]["fill"] == AMBER
    assert areas[worst.id]["fill"] == RED
    assert areas[worst.id]["tooltip"] == f"{worst.name}\n60.00 分"
    for grid in rest:
        assert areas[grid.id]["fill"] == NO_DATA_FILL
        assert areas[grid.id]["score"] is None and areas[grid.id]["rank"] is None
        assert areas[grid.id]["tooltip"] == f"{grid.name}\n本期无数据"
    # the community's own outline, to fit the map to, is drawn and not filled
    (outline,) = [f for f in shaded.geojson["features"] if f["properties"]["role"] == "focus"]
    assert outline["properties"]["unit_id"] == community.id
    assert outline["geometry"]["type"] in ("Polygon", "MultiPolygon")
    (south, west), (north, east) = shaded.bounds
    assert south < north and west < east


def test_a_unit_missing_from_the_rows_is_grey_and_no_scores_means_no_scale(services, tree):
    community = tree.get(_communities(tree)[0])
    assert community is not None
    shaded = score_map(services, tree, _who(community.id), None, [])
    fills = {
        f["properties"]["fill"]
        for f in shaded.geojson["features"]
        if f["properties"]["role"] == "child"
    }
    assert fills == {NO_DATA_FILL} and shaded.domain is None


def test_a_grid_in_focus_shows_its_outline_and_no_choropleth(services, tree):
    grid = next(n for n in tree.nodes.values() if n.kind == NodeKind.GRID)
    shaded = score_map(services, tree, _who(grid.id), None, [_row(1, "某人", 90.0, 1)])
    assert shaded.level == "staff" and shaded.note == NO_AREAS and shaded.domain is None
    roles = [f["properties"]["role"] for f in shaded.geojson["features"]]
    assert roles == ["focus"]


def test_a_node_outside_the_users_subtree_is_refused(services, tree):
    mine, other = _communities(tree)[:2]
    with pytest.raises(Refused) as refused:
        score_map(services, tree, _who(mine), other, [])
    assert refused.value.message == OUTSIDE


def test_staff_posts_name_each_post_inside_the_subtree_only(services, tree, sessions):
    mine, other = _communities(tree)[:2]
    with sessions() as db:
        staff = db.execute(
            select(Staff.id, Staff.post, OrgNode.parent_id).join(
                OrgNode, OrgNode.id == Staff.node_id
            )
        ).all()
    inside = [(s, post) for s, post, parent in staff if parent == mine]
    outside = [s for s, _, parent in staff if parent == other]
    posts = staff_posts(services, tree, _who(mine), [s for s, _ in inside] + outside[:3])
    labels = {Post.GRID_MANAGER: "网格长", Post.ASSISTANT: "网格员", Post.POLICE: "网格民警"}
    assert set(posts) == {s for s, _ in inside}
    for staff_id, post in inside:
        if post in labels:
            assert posts[staff_id] == labels[post]
    assert len(set(posts.values())) > 1  # not one label for every post
