"""The one scope rule of the SMS platform, as SQL: a staff member's grid lies under a path.

Recipients, logs and statistics are all bounded by where the *staff member* serves
(``staff.node_id`` → ``org_node.path``), not by who sent the text: a district officer
sees every text that reached the district's staff.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from data.models import OrgNode, Staff
from data.record_ids import record_id


def path_under(
    column: InstrumentedAttribute[str] | ColumnElement[str], scope_path: str
) -> ColumnElement[bool]:
    """``column LIKE '<scope_path>%'`` with the path's own ``%``/``_`` escaped."""
    return column.startswith(scope_path, autoescape=True)


def staff_in_scope(scope_path: str) -> Select[int]:
    """Ids of the staff whose grid lies under ``scope_path`` (a subquery to ``IN``)."""
    return (
        select(Staff.id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(path_under(OrgNode.path, scope_path))
    )


def unique_ints(values: Iterable[object]) -> list[int]:
    """Integers from a browser list, de-duplicated in order; anything else is dropped."""
    seen: dict[int, None] = {}
    for value in values:
        number = record_id(value)  # bounded: "²" or 2**64 is dropped, not a 500
        if number is not None:
            seen.setdefault(number, None)
    return list(seen)
