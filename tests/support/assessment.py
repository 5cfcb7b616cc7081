"""A small hand-made assessment record in the seeded small city, for the leader page tests.

Community A's first grid is perfect in November 2026; its second grid lapsed (score
72.94 by hand: see tests/integration/dashboard/access/test_assessment.py), after a
perfect October. Every other grid has no activity (only the deductions apply: 100).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.assessment.facts import rebuild_months
from data.models import AssessmentFact, NodeKind, OrgNode, Staff

NOVEMBER = dt.date(2026, 11, 10)
OCTOBER = dt.date(2026, 10, 10)
PERFECT = {
    "reported": 10,
    "reported_own": 10,
    "accepted": 10,
    "dispatched": 10,
    "handled": 10,
    "handled_on_time": 10,
    "closed": 10,
    "verified": 10,
}
LAPSED = {
    "reported": 10,
    "reported_own": 5,
    "accepted": 10,
    "dispatched": 10,
    "handled": 10,
    "handled_on_time": 5,
    "closed": 5,
    "verified": 5,
    "red": 1,
}


@dataclass(frozen=True)
class Record:
    street: int
    community_a: int
    community_b: int
    grid_good: int
    grid_lapsed: int
    grid_b: int
    staff_good: int
    staff_b: int


def _facts(
    day: dt.date, node_id: int, staff_id: int, counts: dict[str, int]
) -> list[AssessmentFact]:
    return [
        AssessmentFact(day=day, node_id=node_id, staff_id=staff_id, measure=m, value=float(v))
        for m, v in counts.items()
    ]


def _first_staff(db: Session, node_id: int) -> int:
    staff = db.scalar(select(Staff.id).where(Staff.node_id == node_id).order_by(Staff.id))
    assert staff is not None
    return staff


def add_record(sessions: sessionmaker[Session]) -> Record:
    """Write the facts; return the ids the tests need."""
    with sessions.begin() as db:
        street = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.STREET))
        assert street is not None
        communities = list(
            db.scalars(
                select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.code)
            )
        )
        a, b = communities[0], communities[1]
        grids_a = list(
            db.scalars(select(OrgNode).where(OrgNode.parent_id == a.id).order_by(OrgNode.code))
        )
        grid_b = db.scalars(select(OrgNode).where(OrgNode.parent_id == b.id)).first()
        assert grid_b is not None
        good, lapsed = grids_a[0], grids_a[1]
        staff_good = _first_staff(db, good.id)
        rows = (
            _facts(NOVEMBER, good.id, 0, PERFECT)
            + _facts(NOVEMBER, good.id, staff_good, PERFECT)
            + _facts(NOVEMBER, lapsed.id, 0, LAPSED)
            + _facts(OCTOBER, lapsed.id, 0, PERFECT)
        )
        db.add_all(rows)
        db.flush()
        rebuild_months(db, OCTOBER, NOVEMBER)  # written by hand: sum the months as a refresh
        return Record(
            street=street.id,
            community_a=a.id,
            community_b=b.id,
            grid_good=good.id,
            grid_lapsed=lapsed.id,
            grid_b=grid_b.id,
            staff_good=staff_good,
            staff_b=_first_staff(db, grid_b.id),
        )
