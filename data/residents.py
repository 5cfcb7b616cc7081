"""Reading residents with their address; every query is bounded by a subtree path.

The path argument always comes from the logged-in user's scope (decided on the
server), so an id sent by a browser can only narrow a query, never widen it.
Rows carry the full identity and phone numbers: callers mask them (see
dashboard/access/residents.py), which is the only module that hands rows out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data.models import (
    RESIDENT_TAG_LABELS,
    Building,
    Compound,
    House,
    Household,
    OrgNode,
    Resident,
)

GENDER_LABELS = {"M": "男", "F": "女"}
#: tags are stored as their values
_TAG_LABELS: dict[str, str] = {tag.value: label for tag, label in RESIDENT_TAG_LABELS.items()}


@dataclass(frozen=True)
class ResidentRow:
    id: int
    household_id: int
    node_id: int
    name: str
    gender: str
    birth_date: dt.date
    id_number: str
    phone: str | None
    relation: str
    tags: list[str]
    compound: str
    building: str
    unit: int
    floor: int
    number: str
    grid: str

    @property
    def gender_label(self) -> str:
        return GENDER_LABELS.get(self.gender, self.gender)

    def age(self, today: dt.date | None = None) -> int:
        today = today or dt.date.today()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday

    @property
    def address(self) -> str:
        return f"{self.compound} {self.building} {self.unit}单元 {self.floor}层 {self.number}室"

    @property
    def tag_labels(self) -> list[str]:
        return [_TAG_LABELS.get(t, t) for t in self.tags or []]


def _rows(path: str) -> Select[*tuple[Any, ...]]:
    grid = OrgNode
    return (
        select(
            Resident.id,
            Resident.household_id,
            Resident.node_id,
            Resident.name,
            Resident.gender,
            Resident.birth_date,
            Resident.id_number,
            Resident.phone,
            Resident.relation,
            Resident.tags,
            Compound.name,
            Building.name,
            House.unit,
            House.floor,
            House.number,
            grid.name,
        )
        .join(grid, grid.id == Resident.node_id)
        .join(Household, Household.id == Resident.household_id)
        .join(House, House.id == Household.house_id)
        .join(Building, Building.id == House.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .where(grid.path.startswith(path, autoescape=True))
    )


def _name_filter(query: Select[*tuple[Any, ...]], name: str | None) -> Select[*tuple[Any, ...]]:
    name = (name or "").strip()
    return query.where(Resident.name.contains(name, autoescape=True)) if name else query


def count_in_subtree(session: Session, path: str, name: str | None = None) -> int:
    query = (
        select(func.count(Resident.id))
        .join(OrgNode, OrgNode.id == Resident.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True))
    )
    return session.scalar(_name_filter(query, name)) or 0


def page_in_subtree(
    session: Session, path: str, offset: int, limit: int, name: str | None = None
) -> list[ResidentRow]:
    """One page of the subtree's residents, household by household."""
    query = _name_filter(_rows(path), name).order_by(Resident.household_id, Resident.id)
    rows = session.execute(query.offset(offset).limit(limit)).all()
    return [ResidentRow(*row) for row in rows]


def resident_in_subtree(session: Session, path: str, resident_id: int) -> ResidentRow | None:
    row = session.execute(_rows(path).where(Resident.id == resident_id)).first()
    return ResidentRow(*row) if row else None


def household_in_subtree(session: Session, path: str, household_id: int) -> list[ResidentRow]:
    """The members of one household, empty when it lies outside ``path``."""
    query = _rows(path).where(Resident.household_id == household_id).order_by(Resident.id)
    return [ResidentRow(*row) for row in session.execute(query).all()]


def iter_subtree(session: Session, path: str, batch: int = 2000) -> Iterator[ResidentRow]:
    """Every resident of the subtree, streamed in batches (for exports)."""
    query = _rows(path).order_by(Resident.household_id, Resident.id)
    for row in session.execute(query.execution_options(yield_per=batch)):
        yield ResidentRow(*row)
