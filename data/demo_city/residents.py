"""Households and residents of one level-3 grid.

A grid's resident total is fixed by the tree (exact city totals), so household
sizes are drawn until they add up to it. Members are composed around a 户主 (head)
so relations, ages, surnames, genders and identity numbers hang together. Ages are
taken on the fixed ``REFERENCE_DATE`` (never "today"), which keeps data reproducible.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from data.demo_city.idcard import check_char, id_body
from data.demo_city.ids import IdCounters
from data.demo_city.names import mobile_phone, person_name, surname_for
from data.demo_city.scales import ZHENGZHOU_DISTRICT_CODES
from data.demo_city.tree import GridPlan
from data.models import ResidentTag

#: the date ages and tags refer to
REFERENCE_DATE = dt.date(2026, 1, 1)

HEAD, SPOUSE, CHILD, PARENT, OTHER = "户主", "配偶", "子女", "父母", "其他"
REGISTRATIONS = ("户籍", "流动", "寄住")
_REGISTRATION_WEIGHTS = (0.74, 0.2, 0.06)
_SIZES = (1, 2, 3, 4, 5, 6)
_SIZE_WEIGHTS = (0.2, 0.28, 0.27, 0.14, 0.08, 0.03)
# (youngest, oldest, weight) bands for the age of a 户籍 head of household
_HEAD_AGE_BANDS = ((22, 34, 0.22), (35, 49, 0.3), (50, 64, 0.27), (65, 79, 0.16), (80, 96, 0.05))

ELDERLY_AGE = 80


@dataclass(slots=True)
class GridPeople:
    households: list[dict[str, Any]] = field(default_factory=list)
    residents: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Member:
    relation: str
    age: int
    male: bool
    surname: str


class IdNumberRegistry:
    """Keeps identity numbers unique across the whole city (membership probes only)."""

    __slots__ = ("_bodies",)

    def __init__(self) -> None:
        self._bodies: set[str] = set()

    def issue(self, rng: random.Random, area: str, birth: dt.date, male: bool) -> str:
        """A fresh, valid number; the sequence's parity encodes the gender."""
        parity = 1 if male else 0
        for attempt in range(1000):
            half = rng.randrange(500) if attempt < 20 else (attempt - 20) % 500
            body = id_body(area, birth, half * 2 + parity)
            if body not in self._bodies:
                self._bodies.add(body)
                return body + check_char(body)
        raise RuntimeError(f"identity numbers exhausted for {area} {birth}")


def household_sizes(rng: random.Random, residents: int) -> list[int]:
    """Household sizes that add up to exactly ``residents``."""
    sizes: list[int] = []
    left = residents
    while left > 0:
        size = min(left, rng.choices(_SIZES, _SIZE_WEIGHTS)[0])
        sizes.append(size)
        left -= size
    return sizes


def build_people(
    grid: GridPlan,
    sizes: list[int],
    house_ids: list[int],
    rng: random.Random,
    ids: IdCounters,
    registry: IdNumberRegistry,
) -> GridPeople:
    """One household per occupied house, filled with ``sizes[i]`` residents."""
    out = GridPeople()
    for size, house_id in zip(sizes, house_ids, strict=True):
        household_id = ids.next("household")
        registration = rng.choices(REGISTRATIONS, _REGISTRATION_WEIGHTS)[0]
        out.households.append(
            {
                "id": household_id,
                "house_id": house_id,
                "node_id": grid.id,
                "registration": registration,
            }
        )
        relief = registration == "户籍" and rng.random() < 0.035
        floating = registration == "流动"
        for m in _compose(rng, size, registration):
            birth = _birth_date(rng, m.age)
            area = (
                grid.district_code
                if registration == "户籍"
                else rng.choice(ZHENGZHOU_DISTRICT_CODES)
            )
            out.residents.append(
                {
                    "id": ids.next("resident"),
                    "household_id": household_id,
                    "node_id": grid.id,
                    "name": person_name(rng, m.male, m.surname),
                    "gender": "M" if m.male else "F",
                    "birth_date": birth,
                    "id_number": registry.issue(rng, area, birth, m.male),
                    "phone": _phone(rng, m.age),
                    "relation": m.relation,
                    "tags": _tags(rng, m.age, relief, floating),
                }
            )
    return out


def _compose(rng: random.Random, size: int, registration: str) -> list[_Member]:
    head_male = rng.random() < 0.6
    if registration == "流动":
        head_age = rng.randint(19, 52)
    elif registration == "寄住":
        head_age = rng.randint(18, 75)
    else:
        lo, hi, _ = rng.choices(_HEAD_AGE_BANDS, [b[2] for b in _HEAD_AGE_BANDS])[0]
        head_age = rng.randint(lo, hi)
    family = surname_for(rng)
    members = [_Member(HEAD, head_age, head_male, family)]
    spouse_surname: str | None = None
    if len(members) < size and rng.random() < 0.85:
        gap = rng.randint(-3, 6)
        age = max(18, min(99, head_age - gap if head_male else head_age + gap))
        spouse_surname = surname_for(rng)
        members.append(_Member(SPOUSE, age, not head_male, spouse_surname))
    if len(members) < size and head_age <= 60 and rng.random() < 0.22:
        for male in (True, False)[: min(rng.randint(1, 2), size - len(members))]:
            age = min(99, head_age + rng.randint(22, 35))
            members.append(_Member(PARENT, age, male, family if male else surname_for(rng)))
    while len(members) < size:
        child_age = head_age - rng.randint(22, 38)
        male = rng.random() < 0.51
        if child_age < 0 or rng.random() < 0.06:
            age = rng.randint(16, 75)
            members.append(_Member(OTHER, age, male, surname_for(rng)))
            continue
        surname = family
        if not head_male and spouse_surname is not None and rng.random() < 0.8:
            surname = spouse_surname
        members.append(_Member(CHILD, child_age, male, surname))
    return members


_YEAR_START: dict[int, int] = {}


def _birth_date(rng: random.Random, age: int) -> dt.date:
    """A birthday making the person exactly ``age`` on REFERENCE_DATE (Jan 1)."""
    year = REFERENCE_DATE.year - age - 1
    start = _YEAR_START.get(year)
    if start is None:
        start = _YEAR_START[year] = dt.date(year, 1, 2).toordinal()
    return dt.date.fromordinal(start + rng.randrange(364))


def _phone(rng: random.Random, age: int) -> str | None:
    if age < 12:
        return None
    if age < 18:
        return mobile_phone(rng) if rng.random() < 0.4 else None
    return mobile_phone(rng) if rng.random() < 0.96 else None


def _tags(rng: random.Random, age: int, relief: bool, floating: bool) -> list[str]:
    """Tags in ResidentTag order; elderly means 80 or older (高龄老人)."""
    tags: list[str] = []
    if age >= ELDERLY_AGE:
        tags.append(ResidentTag.ELDERLY.value)
    if rng.random() < (0.09 if age >= 60 else 0.03):
        tags.append(ResidentTag.DISABLED.value)
    if 18 <= age <= 70 and rng.random() < 0.005:
        tags.append(ResidentTag.SPECIAL.value)
    if relief:
        tags.append(ResidentTag.RELIEF.value)
    if floating:
        tags.append(ResidentTag.FLOATING.value)
    return tags
