"""/stats/export.csv and .xlsx over HTTP on a running app: the rates and the card list of the
hand-made record (tests/support/assessment.py, November 2026) with Chinese headers, an
audit row per export; a node outside the subtree, an unknown table or a bad period is a
message (400), never a 500; roles without the right get 403."""

from __future__ import annotations

import csv
import io
import logging

from sqlalchemy import select

from dashboard.access.assessment import OUTSIDE
from data.models import AuditLog, OrgNode, Role
from tests.support.accounts import login, make_user
from tests.support.assessment import add_record

NOVEMBER = {"kind": "month", "value": "2026-11"}


def _http(running, role: Role, node_id: int):
    username, password = make_user(running.app.services.sessions, role, node_id)
    return login(running.url, username, password)


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_street_leader_downloads_the_rates_and_the_cards(running):
    record = add_record(running.app.services.sessions)
    http = _http(running, Role.LEADER, record.street)
    rates = http.get(f"{running.url}/stats/export.csv", params=NOVEMBER | {"table": "rates"})
    assert rates.status_code == 200, rates.text
    rows = _csv(rates.text)
    assert rows[0][:4] == ["社区", "发现事件", "结案", "调查发现率·分子"]
    with running.app.services.sessions() as db:
        names = dict(db.execute(select(OrgNode.id, OrgNode.name)).all())
    community_a = next(r for r in rows if r[0] == names[record.community_a])
    assert community_a[1:6] == ["20", "15", "15", "20", "75.0"]
    assert rows[-1][0] == f"{names[record.street]}（合计）"

    cards = http.get(f"{running.url}/stats/export.csv", params=NOVEMBER | {"table": "cards"})
    card_rows = _csv(cards.text)
    assert card_rows[0] == ["层级", "单位", "牌色", "原因"]
    assert card_rows[1] == ["社区", names[record.community_a], "红牌", "期内有事件超时（红牌）"]
    assert len(card_rows) == 1 + 5

    xlsx = http.get(f"{running.url}/stats/export.xlsx", params=NOVEMBER | {"table": "cards"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    with running.app.services.sessions() as db:
        audited = list(db.scalars(select(AuditLog).where(AuditLog.action == "export_assessment")))
    assert [(a.detail["page"], a.detail["table"], a.detail["rows"]) for a in audited] == [
        ("stats", "rates", 5),
        ("stats", "cards", 5),
        ("stats", "cards", 5),
    ]


def test_outside_the_subtree_and_bad_input_are_messages(running, caplog):
    record = add_record(running.app.services.sessions)
    http = _http(running, Role.DUTY_OFFICER, record.community_a)
    caplog.set_level(logging.WARNING, logger="gridwatch.scope")
    for node in (record.community_b, record.street, record.grid_b):
        answer = http.get(
            f"{running.url}/stats/export.csv", params=NOVEMBER | {"node": node, "table": "cards"}
        )
        assert answer.status_code == 400 and answer.text == OUTSIDE
    assert any("asked for assessment" in r.getMessage() for r in caplog.records)
    bad = http.get(f"{running.url}/stats/export.xlsx", params={"kind": "month", "value": "2026-13"})
    assert bad.status_code == 400 and "2026-13" in bad.text
    table = http.get(f"{running.url}/stats/export.csv", params=NOVEMBER | {"table": "x' OR 1"})
    assert table.status_code == 400 and "未知的导出表" in table.text


def test_roles_without_the_right_are_refused(running):
    record = add_record(running.app.services.sessions)
    for role in (Role.ADMIN, Role.GRID_STAFF):
        http = _http(running, role, record.grid_good if role == Role.GRID_STAFF else record.street)
        answer = http.get(f"{running.url}/stats/export.csv", params=NOVEMBER)
        assert answer.status_code == 403
