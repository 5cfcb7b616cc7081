"""Resident data stays inside the asker's subtree, masked unless revealed, and on record.

A second street (B) with known residents is added next to the seeded street (A);
users of street A then ask for B through the CSV route and straight through the
Dash callback endpoint, naming B's ids the way a crafted request would.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pytest
import requests
import sqlalchemy as sa
from dash._utils import split_callback_id
from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError

from data import audit
from data.demo_city.idcard import make_id_number
from data.masking import mask_id_number, mask_phone
from data.models import (
    AuditLog,
    Building,
    Compound,
    House,
    Household,
    NodeKind,
    OrgNode,
    Resident,
    Role,
)
from layouts import ids
from tests.support.accounts import login, make_user
from tests.support.city import add_child_node
from tests.support.dash_patterns import DashAnswer, key_of, post, prop_id

B_NAMES = ["乙街甲", "乙街乙", "乙街丙"]
B_PHONES = ["13900001111", "13900002222", "13900003333"]


@dataclass
class StreetB:
    street: int
    community: int
    grid: int
    household: int
    residents: list[int]
    id_numbers: list[str]


@pytest.fixture
def street_b(running) -> StreetB:
    """A second street under the same district, with one household of three residents."""
    with running.app.services.sessions.begin() as db:
        district = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.DISTRICT))
        street = add_child_node(db, district, NodeKind.STREET, "乙街道", "T-B")
        community = add_child_node(db, street, NodeKind.COMMUNITY, "乙社区", "T-B-1")
        grid = add_child_node(db, community, NodeKind.GRID, "乙第1网格", "T-B-1-1")
        compound = Compound(node_id=grid.id, name="乙小区", address="乙路1号", boundary={})
        db.add(compound)
        db.flush()
        building = Building(
            compound_id=compound.id,
            node_id=grid.id,
            name="1号楼",
            address="乙路1号1号楼",
            footprint={},
            floors=6,
            units=1,
        )
        db.add(building)
        db.flush()
        house = House(building_id=building.id, unit=1, floor=3, number="301")
        db.add(house)
        db.flush()
        household = Household(house_id=house.id, node_id=grid.id, registration="户籍")
        db.add(household)
        db.flush()
        people = []
        for i, (name, phone) in enumerate(zip(B_NAMES, B_PHONES, strict=True)):
            number = make_id_number("410105", dt.date(1970 + i, 5, 17), 300 + i)
            person = Resident(
                household_id=household.id,
                node_id=grid.id,
                name=name,
                gender="M",
                birth_date=dt.date(1970 + i, 5, 17),
                id_number=number,
                phone=phone,
                relation="户主" if i == 0 else "子女",
                tags=["elderly"],
            )
            db.add(person)
            people.append(person)
        db.flush()
        made = StreetB(
            street.id,
            community.id,
            grid.id,
            household.id,
            [p.id for p in people],
            [p.id_number for p in people],
        )
    running.app.tree.invalidate()
    return made


def _street_a(running) -> OrgNode:
    with running.app.services.sessions() as db:
        return db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.STREET).order_by(OrgNode.id)
        )


def _user(running, role: Role, node_id: int) -> tuple[str, requests.Session]:
    username, password = make_user(running.app.services.sessions, role, node_id)
    return username, login(running.url, username, password)


def _leaks_b(text: str, b: StreetB) -> list[str]:
    return [s for s in [*B_NAMES, *B_PHONES, *b.id_numbers, "乙小区"] if s in text]


# --- the Dash callback endpoint, called the way a crafted request would -------------------


def _key(running, *fragments: str) -> str:
    return key_of(running.app.dash, *fragments)


def _dash(http: requests.Session, running, key: str, outputs, inputs, state=(), changed=None):
    return post(http, running.url, key, outputs, inputs, state, changed)


def _list_residents(http, running, node_id: int) -> DashAnswer:
    key = _key(running, f"{ids.RES_TABLE}.children")
    outputs = split_callback_id(key)
    inputs = [
        {"id": ids.RES_NODE, "property": "value", "value": node_id},
        {"id": ids.RES_SEARCH, "property": "value", "value": None},
        {"id": ids.RES_PREV, "property": "n_clicks", "value": None},
        {"id": ids.RES_NEXT, "property": "n_clicks", "value": None},
    ]
    state = [{"id": ids.RES_PAGE, "property": "data", "value": 0}]
    return _dash(http, running, key, outputs, inputs, state, f"{ids.RES_NODE}.value")


def _reveal(http, running, resident_id: int) -> DashAnswer:
    key = _key(running, ids.RES_IDNO, ids.RES_REVEAL, "disabled")
    button = {"type": ids.RES_REVEAL, "rid": resident_id}
    outputs = [
        {"id": {"type": ids.RES_IDNO, "rid": resident_id}, "property": "children"},
        {"id": {"type": ids.RES_PHONE, "rid": resident_id}, "property": "children"},
        {"id": button, "property": "children"},
        {"id": button, "property": "disabled"},
    ]
    inputs = [{"id": button, "property": "n_clicks", "value": 1}]
    return _dash(http, running, key, outputs, inputs, changed=prop_id(button, "n_clicks"))


def _household(http, running, household_id: int) -> DashAnswer:
    key = _key(running, f"{ids.RES_HOUSEHOLD}.children")
    button = {"type": ids.RES_HOUSEHOLD_OPEN, "hid": household_id, "rid": 1}
    outputs = [
        {"id": ids.RES_HOUSEHOLD, "property": "children"},
        {"id": ids.RES_HOUSEHOLD, "property": "className"},
    ]
    inputs = [[{"id": button, "property": "n_clicks", "value": 1}], []]
    return _dash(http, running, key, outputs, inputs, changed=prop_id(button, "n_clicks"))


def _route(http, running, pathname: str) -> DashAnswer:
    key = _key(running, f"{ids.PAGE}.children")
    outputs = {"id": ids.PAGE, "property": "children"}
    inputs = [
        {"id": ids.URL, "property": "pathname", "value": pathname},
        {"id": ids.URL, "property": "search", "value": ""},
    ]
    return _dash(http, running, key, outputs, inputs, changed=f"{ids.URL}.pathname")


def _audit_rows(running, action: str) -> list[AuditLog]:
    with running.app.services.sessions() as db:
        return list(
            db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


# --- tests -------------------------------------------------------------------------------------


def test_street_a_user_gets_nothing_of_street_b_from_the_csv_route(running, street_b, caplog):
    _, http = _user(running, Role.LEADER, _street_a(running).id)
    caplog.set_level(logging.WARNING, logger="gridwatch.scope")
    for node in (street_b.street, street_b.community, street_b.grid):
        response = http.get(f"{running.url}/residents/export.csv", params={"node": node})
        assert response.status_code == 404
        assert _leaks_b(response.text, street_b) == []
    assert any("outside node" in r.getMessage() for r in caplog.records)
    own = http.get(f"{running.url}/residents/export.csv")  # no node: the user's own street
    assert own.status_code == 200
    assert _leaks_b(own.content.decode("utf-8-sig"), street_b) == []


def test_street_a_user_gets_nothing_of_street_b_from_dash_callbacks(running, street_b, caplog):
    _, http = _user(running, Role.LEADER, _street_a(running).id)
    caplog.set_level(logging.WARNING, logger="gridwatch.scope")

    listed = _list_residents(http, running, street_b.street)
    assert listed.status_code == 200, listed.text[:500]
    assert "无权查看该范围" in listed.text
    assert _leaks_b(listed.text, street_b) == []

    members = _household(http, running, street_b.household)
    assert members.status_code == 200
    assert _leaks_b(members.text, street_b) == []

    revealed = _reveal(http, running, street_b.residents[0])
    assert revealed.status_code == 200
    assert _leaks_b(revealed.text, street_b) == []
    assert mask_id_number(street_b.id_numbers[0]) not in revealed.text

    messages = [r.getMessage() for r in caplog.records if r.name == "gridwatch.scope"]
    assert any(f"node {street_b.street} outside" in m for m in messages)
    assert any(f"household {street_b.household} outside" in m for m in messages)
    assert any(f"resident {street_b.residents[0]}" in m for m in messages)
    denied = _audit_rows(running, "reveal_personal_data")
    assert [(r.outcome, r.target_id) for r in denied] == [("denied", str(street_b.residents[0]))]


def test_the_same_callbacks_do_answer_inside_the_scope(running, street_b):
    """The refusals above are the scope at work, not a broken request."""
    _, http = _user(running, Role.LEADER, street_b.street)
    listed = _list_residents(http, running, street_b.grid)
    assert all(name in listed.text for name in B_NAMES)
    assert all(mask_id_number(n) in listed.text for n in street_b.id_numbers)
    assert not any(n in listed.text for n in street_b.id_numbers)
    assert mask_phone(B_PHONES[0]) in listed.text and B_PHONES[0] not in listed.text
    assert "高龄老人" in listed.text
    members = _household(http, running, street_b.household)
    assert all(name in members.text for name in B_NAMES)
    assert not any(n in members.text for n in street_b.id_numbers)


def test_the_export_is_masked_utf8_with_bom_and_audited(running, street_b):
    street_a = _street_a(running)
    username, http = _user(running, Role.LEADER, street_a.id)
    response = http.get(f"{running.url}/residents/export.csv", params={"node": street_a.id})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    body = response.content.decode("utf-8-sig")
    lines = body.splitlines()
    assert lines[0].startswith("姓名,性别,年龄")
    with running.app.services.sessions() as db:
        seeded = db.execute(select(Resident.id_number, Resident.phone)).all()
        in_a = db.scalar(
            select(func.count(Resident.id))
            .join(OrgNode, OrgNode.id == Resident.node_id)
            .where(OrgNode.path.startswith(street_a.path))
        )
    assert len(lines) - 1 == in_a > 0
    leaked = [n for n, p in seeded if n in body] + [p for _, p in seeded if p and p in body]
    assert leaked == []
    assert body.count("**********") == in_a  # one masked id number per row
    rows = _audit_rows(running, "export_residents")
    assert len(rows) == 1
    assert rows[0].actor == username and rows[0].detail["rows"] == in_a
    assert rows[0].node_id == street_a.id and rows[0].address == "127.0.0.1"


def test_a_leader_reveals_one_record_and_leaves_one_audit_row(running, street_b):
    username, http = _user(running, Role.LEADER, street_b.community)
    target = street_b.residents[1]
    response = _reveal(http, running, target)
    assert response.status_code == 200
    assert street_b.id_numbers[1] in response.text and B_PHONES[1] in response.text
    assert street_b.id_numbers[0] not in response.text  # one record, not the household
    rows = _audit_rows(running, "reveal_personal_data")
    assert len(rows) == 1
    row = rows[0]
    assert (row.actor, row.target_type, row.target_id) == (username, "resident", str(target))
    assert (row.node_id, row.outcome, row.address) == (street_b.grid, "ok", "127.0.0.1")


def test_grid_staff_may_list_masked_but_not_reveal(running, street_b):
    _, http = _user(running, Role.GRID_STAFF, street_b.grid)
    listed = _list_residents(http, running, street_b.grid)
    assert B_NAMES[0] in listed.text
    assert "显示完整信息" not in listed.text  # no reveal button is offered
    response = _reveal(http, running, street_b.residents[0])  # asked for anyway
    assert response.status_code == 200
    assert not any(n in response.text for n in street_b.id_numbers)
    assert not any(p in response.text for p in B_PHONES)
    rows = _audit_rows(running, "reveal_personal_data")
    assert [(r.outcome, r.detail["reason"]) for r in rows] == [("denied", "no_permission")]
    export = http.get(f"{running.url}/residents/export.csv", params={"node": street_b.grid})
    assert export.status_code == 403


def test_pages_a_role_may_not_open_render_the_forbidden_state(running, street_b):
    _, http = _user(running, Role.GRID_STAFF, street_b.grid)
    for path in ("/admin/users", "/admin/devices", "/admin/audit"):
        response = _route(http, running, path)
        assert response.status_code == 200
        assert "无权访问此页面" in response.text
    assert "居民信息" in _route(http, running, "/residents").text
    audit_csv = http.get(f"{running.url}/admin/audit/export.csv")
    assert audit_csv.status_code == 403


def test_audit_search_and_export_stay_in_scope(running, street_b):
    street_a = _street_a(running)
    _, leader_b = _user(running, Role.LEADER, street_b.street)
    _reveal(leader_b, running, street_b.residents[2])  # a row at street B's grid
    admin_a, http = _user(running, Role.ADMIN, street_a.id)
    response = http.get(f"{running.url}/admin/audit/export.csv")
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "查看完整个人信息" not in body  # street B's reveal is not street A's business
    assert admin_a in body  # its own login is
    with running.app.services.sessions() as db:
        city = db.scalar(select(OrgNode).where(OrgNode.parent_id.is_(None)))
    _, city_admin = _user(running, Role.ADMIN, city.id)
    everything = city_admin.get(
        f"{running.url}/admin/audit/export.csv", params={"action": "reveal_personal_data"}
    )
    text = everything.content.decode("utf-8-sig")
    assert "查看完整个人信息" in text and f"居民 #{street_b.residents[2]}" in text
    assert _audit_rows(running, "export_audit")[-1].detail["filters"] == {
        "action": "reveal_personal_data"
    }


def test_the_audit_log_refuses_update_on_sqlite(running):
    """(PostgreSQL: tests/integration/data/test_audit.py.)"""
    with running.app.services.sessions.begin() as db:
        audit.record(db, actor="t", action="probe")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        running.app.services.engine.begin() as conn,
    ):
        conn.execute(sa.text("UPDATE audit_log SET actor = 'forged' WHERE action = 'probe'"))
