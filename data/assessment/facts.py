"""Daily facts: the raw counts of every grid (and of each staff member in it) per local day.

Computed from the record (incident history, incidents, alert deliveries) with one
query per source and pandas group-bys: no Python loop over rows. Stored in
``assessment_fact`` (delete + insert of the recomputed days in the caller's
transaction, the same on SQLite and PostgreSQL), so a year's ranking reads facts,
not every incident. The months those days lie in are summed again, in SQL and in the
same transaction, into ``assessment_fact_month`` (``rebuild_months``): the reads
(``load_sums`` …) take whole months from there and only the partial edge days from the
daily rows. docs/assessment.md lists every measure and its attribution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Date, Row, case, delete, func, insert, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from data.assessment.scheme import MEASURES
from data.models import (
    AssessmentDirtyDay,
    AssessmentFact,
    AssessmentFactMonth,
    Delivery,
    Incident,
    IncidentHistory,
    NodeKind,
    OrgNode,
    Staff,
)
from data.timezones import start_of_day

COLUMNS = ["day", "node_id", "staff_id", "measure", "value"]
#: not summable: never in ``assessment_fact_month``, read from the daily rows
MEDIAN_MEASURE = "ack_seconds_p50"
MEASURE_DTYPE = pd.CategoricalDtype(MEASURES)

#: history actions counted as they are, attributed to the node after the transition
ACTION_MEASURES = {
    "report": "reported",
    "accept": "accepted",
    "dispatch": "dispatched",
    "handle": "handled",
    "close": "closed",
    "verify": "verified",
    "return": "returned",
    "deadline_yellow": "yellow",
    "deadline_red": "red",
}
#: history actions behind a deduction (explain() lists their incidents)
DEDUCTION_ACTIONS = {"deadline_yellow": "yellow", "deadline_red": "red", "escalate": "escalated"}
DELIVERY_MEASURES = ("alert_deliveries", "alert_acks", "ack_seconds_sum", "ack_seconds_p50")
#: what ``compute_facts`` writes; duty/online seconds come from elsewhere and are kept
COMPUTED_MEASURES: tuple[str, ...] = (
    *ACTION_MEASURES.values(),
    "reported_own",
    "handled_on_time",
    "escalated",
    *DELIVERY_MEASURES,
)


def empty_facts() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=_DTYPES[name]) for name in COLUMNS})


def utc_window(start: dt.date, end: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """Local days ``start`` .. ``end`` as a half-open UTC interval."""
    low = start_of_day(start, tz).astimezone(dt.UTC)
    return low, start_of_day(end + dt.timedelta(days=1), tz).astimezone(dt.UTC)


def compute_facts(
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    grid_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """Every computed measure of the grids (all when None) for local days start .. end.

    Long format (``COLUMNS``); zero counts are left out; ``staff_id`` 0 is the grid.
    """
    grids = _grid_ids(session, grid_ids)
    history = _history_events(session, start, end, tz, grid_ids)
    parts = [_count(history, grids), _delivery_facts(session, start, end, tz, grids)]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return empty_facts()
    facts = pd.concat(parts, ignore_index=True)
    return facts[facts["value"] != 0][COLUMNS].reset_index(drop=True)


def store_facts(
    session: Session,
    facts: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    grid_ids: Collection[int] | None = None,
    months: bool = True,
) -> int:
    """Replace the computed measures of those days (and grids) with ``facts``; returns rows.

    With ``months`` the monthly sums of the grids whose daily rows changed are rebuilt
    too (a refresh that changes nothing rewrites no month). A caller storing many weeks
    (the history seed) passes False and calls ``rebuild_months`` once at the end.
    """
    changed = _changed_grids(session, facts, start, end, grid_ids) if months else set()
    statement = delete(AssessmentFact).where(
        AssessmentFact.day >= start,
        AssessmentFact.day <= end,
        AssessmentFact.measure.in_(COMPUTED_MEASURES),
    )
    if grid_ids is not None:
        statement = statement.where(AssessmentFact.node_id.in_(list(grid_ids)))
    session.execute(statement)
    rows = _records(facts)
    if rows:
        session.execute(insert(AssessmentFact), rows)
    if changed:
        rebuild_months(session, start, end, sorted(changed))
    return len(rows)


def refresh_range(
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    grid_ids: Collection[int] | None = None,
    months: bool = True,
) -> int:
    """Recompute and store the facts of local days start .. end (grids: all when None)."""
    facts = compute_facts(session, start, end, tz, grid_ids)
    return store_facts(session, facts, start, end, grid_ids, months)


def rebuild_months(
    session: Session, start: dt.date, end: dt.date, grid_ids: Collection[int] | None = None
) -> None:
    """Sum again, in SQL, every month that local days start .. end touch (grids: all when
    None) from the daily rows into ``assessment_fact_month``.

    Whoever writes daily facts without ``store_facts`` (the history's duty seconds, the
    bench, tests) calls this after. The median (``ack_seconds_p50``) is left out: a sum of
    medians means nothing; it is read from the daily rows.
    """
    wanted = None if grid_ids is None else list(grid_ids)
    for month in month_starts(start, end):
        following = next_month(month)
        cleared = delete(AssessmentFactMonth).where(AssessmentFactMonth.month == month)
        daily = select(
            literal(month, Date),
            AssessmentFact.node_id,
            AssessmentFact.staff_id,
            AssessmentFact.measure,
            func.sum(AssessmentFact.value),
        ).where(
            AssessmentFact.day >= month,
            AssessmentFact.day < following,
            AssessmentFact.measure != MEDIAN_MEASURE,
        )
        if wanted is not None:
            cleared = cleared.where(AssessmentFactMonth.node_id.in_(wanted))
            daily = daily.where(AssessmentFact.node_id.in_(wanted))
        session.execute(cleared)
        columns = ["month", "node_id", "staff_id", "measure", "value"]
        summed = daily.group_by(
            AssessmentFact.node_id, AssessmentFact.staff_id, AssessmentFact.measure
        )
        session.execute(insert(AssessmentFactMonth).from_select(columns, summed))


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every calendar month that start .. end touches."""
    out: list[dt.date] = []
    month = start.replace(day=1)
    while month <= end:
        out.append(month)
        month = next_month(month)
    return out


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after the one ``month`` lies in."""
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _changed_grids(
    session: Session,
    facts: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    grid_ids: Collection[int] | None,
) -> set[int]:
    """The grids whose stored computed rows of those days differ from ``facts``.

    The refresh of yesterday and today for every grid runs every ten minutes; most grids
    have not changed, and re-summing a month of a city each time would cost seconds.
    """
    query = select(
        AssessmentFact.day,
        AssessmentFact.node_id,
        AssessmentFact.staff_id,
        AssessmentFact.measure,
        AssessmentFact.value,
    ).where(
        AssessmentFact.day >= start,
        AssessmentFact.day <= end,
        AssessmentFact.measure.in_(COMPUTED_MEASURES),
    )
    if grid_ids is not None:
        query = query.where(AssessmentFact.node_id.in_(list(grid_ids)))
    old = _frame_of(session.execute(query).all())
    new = _frame_of(list(facts[COLUMNS].itertuples(index=False, name=None)))
    keys = ["day", "node_id", "staff_id", "measure"]
    both = old.merge(new, on=keys, how="outer", suffixes=("_old", "_new"))
    differs = ~np.isclose(both["value_old"], both["value_new"], rtol=0.0, atol=0.0)
    differs &= ~(both["value_old"].isna() & both["value_new"].isna())
    return {int(n) for n in both.loc[differs, "node_id"].unique()}


def _frame_of(rows: Sequence[Any]) -> pd.DataFrame:
    """Fact rows as a frame with comparable columns (days as ISO text)."""
    values = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    frame = pd.DataFrame(dict(zip(COLUMNS, values, strict=True)))
    return frame.astype(
        {
            "day": "str",
            "node_id": "int64",
            "staff_id": "int64",
            "measure": "str",
            "value": "float64",
        }
    )


def refresh_dirty(session: Session, tz: dt.tzinfo, limit: int = 1000) -> int:
    """Recompute up to ``limit`` dirty (day, grid) pairs, oldest day first; returns how many.

    The pairs are row-locked (others skip them) and deleted with the new facts in the
    caller's transaction; a change that marks one of them meanwhile waits for the lock,
    so its mark is written after, and the next round takes it.
    """
    taken = session.execute(
        select(AssessmentDirtyDay.day, AssessmentDirtyDay.node_id)
        .order_by(AssessmentDirtyDay.day, AssessmentDirtyDay.node_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not taken:
        return 0
    dirty = pd.DataFrame(taken, columns=["day", "node_id"])
    for day, nodes in dirty.groupby("day")["node_id"]:
        refresh_range(session, day, day, tz, [int(n) for n in nodes])
        session.execute(
            delete(AssessmentDirtyDay).where(
                AssessmentDirtyDay.day == day, AssessmentDirtyDay.node_id.in_(nodes.tolist())
            )
        )
    return len(taken)


def load_facts(
    session: Session, start: dt.date, end: dt.date, node_path: str | None = None
) -> pd.DataFrame:
    """The stored facts of local days start .. end, in the subtree at ``node_path`` if given.

    ``day`` comes back as datetime64 (midnight), which ``scoring`` filters quickly.
    """
    query = select(
        AssessmentFact.day,
        AssessmentFact.node_id,
        AssessmentFact.staff_id,
        AssessmentFact.measure,
        AssessmentFact.value,
    ).where(AssessmentFact.day >= start, AssessmentFact.day <= end)
    if node_path is not None:
        query = query.join(OrgNode, OrgNode.id == AssessmentFact.node_id).where(
            OrgNode.path.startswith(node_path, autoescape=True)
        )
    rows = session.execute(query).all()
    facts = pd.DataFrame(rows, columns=COLUMNS) if rows else empty_facts()
    # datetime64 days and categorical measures: scoring filters and groups millions of rows
    return facts.assign(
        day=pd.to_datetime(facts["day"]), measure=facts["measure"].astype(MEASURE_DTYPE)
    )


_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")

#: columns of ``load_sums``: a grid (node_id) or staff member (staff_id), a measure, its sum
SUM_COLUMNS = ["unit", "measure", "value"]
#: the daily rows a count-weighted median needs (``load_daily``)
DAILY_COLUMNS = ["day", "unit", "measure", "value"]


def load_sums(
    session: Session,
    start: dt.date,
    end: dt.date,
    per_staff: bool,
    measures: Collection[str],
    node_path: str | None = None,
) -> pd.DataFrame:
    """Each grid's (or, ``per_staff``, each staff member's) ``measures`` summed in SQL over
    local days start .. end, in the grids under ``node_path`` if given (``SUM_COLUMNS``).

    One row per unit and measure instead of one per day: whole months are read from
    ``assessment_fact_month`` and only the partial months at the edges from the daily
    rows (1 Jan – 15 Mar = January and February summed + 1–15 March), so a month of a
    city is tens of thousands of rows read, not millions. Not for ``ack_seconds_p50``.
    """
    units, wanted, values = load_sum_table(session, start, end, per_staff, measures, node_path)
    present = values != 0.0
    rows, columns = np.nonzero(present.T)  # measure-major, as a melt of the wide table
    long = pd.DataFrame(
        {
            "unit": units[columns],
            "measure": pd.Categorical(np.asarray(wanted, dtype=object)[rows], dtype=MEASURE_DTYPE),
            "value": values.T[present.T],
        }
    )
    return long[SUM_COLUMNS]


def load_sum_table(
    session: Session,
    start: dt.date,
    end: dt.date,
    per_staff: bool,
    measures: Collection[str],
    node_path: str | None = None,
) -> tuple[npt.NDArray[np.int64], list[str], npt.NDArray[np.float64]]:
    """``load_sums`` as a table: the unit ids (ascending), the measures (sorted) and a
    float array of one row per unit and one column per measure, 0 where a unit has none.

    What the ranking reads: no long frame to build and pivot back for 17,350 grids.
    """
    wanted = sorted(set(measures))
    scope = _grid_scope(session, node_path)
    # one statement per part (the whole months, each edge's days), added up here: a
    # single month's rows come in key order and are summed as they stream, where a union
    # of parts would first be copied and sorted (~4× slower for a city's previous month)
    tables = [
        _part_table(session, _summed(part, per_staff, wanted, scope), wanted, part[0] == "days")
        for part in _parts(start, end)
    ]
    tables = [t for t in tables if len(t)]
    if not tables:
        return np.zeros(0, np.int64), wanted, np.zeros((0, len(wanted)), np.float64)
    every = np.concatenate([t[:, 0] for t in tables])
    ids, where = np.unique(every, return_inverse=True)
    values = np.zeros((len(ids), len(wanted)), dtype=np.float64)
    np.add.at(values, where, np.concatenate([t[:, 1:] for t in tables]))
    # a month minus its outside days leaves 0 (or float dust) where only those days had it
    values[np.abs(values) <= 1e-9] = 0.0
    return ids.astype(np.int64), wanted, values


def _part_table(
    session: Session, part: Select[Any], measures: list[str], days: bool = False
) -> npt.NDArray[np.float64]:
    """One part's sums: a float array of unit and ``measures`` columns (0 where none).

    One row per unit with a column per measure: a city's month is 17,350 rows to fetch,
    not 17,350 × 16 (fetching rows into Python is what costs, not summing them).
    """
    rows = part.subquery()
    columns = [func.sum(case((rows.c.measure == measure, rows.c.value))) for measure in measures]
    # daily rows grouped by ``unit + 0``, not ``unit``: else SQLite walks the (node_id,
    # day) index grid by grid to save a sort, one table lookup per row (a city's day
    # 0.3 s, two weeks 10 s, against 0.14 s and 2.7 s through (measure, day) and a sort)
    unit = rows.c.unit + 0 if days else rows.c.unit
    query = select(unit, *columns).group_by(unit)
    # Core, not the ORM: its per-row processing costs more than SQLite's sums here
    result = _driver_rows(session, query)
    if not result:
        return np.zeros((0, len(measures) + 1), np.float64)
    table = np.array(result, dtype=np.float64)
    return np.nan_to_num(table, nan=0.0)


def load_month_totals(
    session: Session, start: dt.date, end: dt.date, measures: Collection[str], node_path: str
) -> pd.DataFrame:
    """The grids under ``node_path`` summed per calendar month and measure over local days
    start .. end (month: its first day, measure, value): a node's KPIs and its monthly
    series without one row per grid or day."""
    scope = _grid_scope(session, node_path)
    parts = [_summed(part, False, measures, scope, by_month=True) for part in _parts(start, end)]
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    query = select(rows.c.month, rows.c.measure, func.sum(rows.c.value)).group_by(
        rows.c.month, rows.c.measure
    )
    frame = _frame(_core_rows(session, query), ["month", "measure", "value"])
    return frame.assign(month=pd.to_datetime(frame["month"]))


def load_unit_months(
    session: Session,
    start: dt.date,
    end: dt.date,
    measures: Collection[str],
    node_path: str,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """One unit's ``measures`` per calendar month (month, measure, value): the grids under
    ``node_path`` together, or with ``staff_id`` that staff member's rows there."""
    scope = _grid_scope(session, node_path)
    parts = [
        _summed(part, staff_id is not None, measures, scope, True, staff_id)
        for part in _parts(start, end)
    ]
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    query = select(rows.c.month, rows.c.measure, func.sum(rows.c.value)).group_by(
        rows.c.month, rows.c.measure
    )
    frame = _frame(_core_rows(session, query), ["month", "measure", "value"])
    return frame.assign(month=pd.to_datetime(frame["month"]))


#: a part of a period: ("months", first month, last month, +1) or ("days", first, last,
#: +1 added / −1 taken away)
_Part = tuple[str, dt.date, dt.date, int]


def _parts(start: dt.date, end: dt.date) -> list[_Part]:
    """start .. end as whole months (monthly sums) and days (daily rows), reading as few
    daily rows as it can: a month mostly inside the range is its monthly sum minus the
    days outside (2–31 October = October − 1 October), a month mostly outside is its
    days inside. Every days part lies in one month."""
    months: list[dt.date] = []
    days: list[_Part] = []
    for month in month_starts(start, end):
        last = next_month(month) - dt.timedelta(days=1)
        low, high = max(start, month), min(end, last)
        inside = (high - low).days + 1
        if inside * 2 <= (last - month).days + 1 and (low, high) != (month, last):
            days.append(("days", low, high, 1))
            continue
        months.append(month)
        if low > month:
            days.append(("days", month, low - dt.timedelta(days=1), -1))
        if high < last:
            days.append(("days", high + dt.timedelta(days=1), last, -1))
    whole: list[_Part] = [("months", months[0], months[-1], 1)] if months else []
    return whole + days


def _summed(
    part: _Part,
    per_staff: bool,
    measures: Collection[str],
    scope: list[int] | Select[Any] | None,
    by_month: bool = False,
    staff_id: int | None = None,
) -> Select[Any]:
    """The rows of one part (unit or month, measure, value) from the month or daily table,
    of the grids in ``scope`` (``_grid_scope``; None: all)."""
    kind, low, high, sign = part
    table: Any = AssessmentFactMonth if kind == "months" else AssessmentFact
    when = table.month if kind == "months" else table.day
    if by_month:
        label = table.month if kind == "months" else literal(low.replace(day=1), Date)
        key = label.label("month")
    else:
        key = (table.staff_id if per_staff else table.node_id).label("unit")
    staff = table.staff_id
    if kind == "months" and isinstance(scope, list) and low.replace(day=1) < high.replace(day=1):
        # a few listed grids over several months: ``staff_id + 0`` keeps SQLite off the
        # key (month, staff_id, …), which it walks for every grid (a community's twelve
        # months 61 ms), and on ``(node_id, month)`` for the grids listed (0.5 ms)
        staff = table.staff_id + 0
    # > 0, not != 0: the month table's key is (month, staff_id, …), a range scan
    everyone = (staff > 0) if per_staff else (staff == 0)
    who = everyone if staff_id is None else (staff == staff_id)
    # months as a list of equal keys, not a range: the key (month, staff_id, …) then
    # finds the grid (or staff) rows of each month without reading the others
    span = when.in_(month_starts(low, high)) if kind == "months" else when.between(low, high)
    value = table.value if sign > 0 else -table.value
    query = select(key, table.measure.label("measure"), value.label("value")).where(
        span, who, table.measure.in_(sorted(set(measures)))
    )
    if scope is not None:
        query = query.where(table.node_id.in_(scope))
    return query


#: up to this many nodes a subtree is bound as a list of ids rather than a subquery
GRID_LIST_MAX = 2000


def _grid_scope(session: Session, node_path: str | None) -> list[int] | Select[Any] | None:
    """The nodes under ``node_path`` as ``_summed`` filters on them: their ids when few
    (SQLite cannot know a subquery's size, and for one grid's twelve months walked every
    grid's rows of those months: 65 ms, against 0.2 ms seeking the listed grids through
    ``(node_id, month)``), else the subquery; None for the whole tree."""
    if node_path is None:
        return None
    nodes = select(OrgNode.id).where(OrgNode.path.startswith(node_path, autoescape=True))
    ids = [int(i) for i in session.connection().execute(nodes.limit(GRID_LIST_MAX + 1)).scalars()]
    return ids if len(ids) <= GRID_LIST_MAX else nodes


def load_daily(
    session: Session,
    start: dt.date,
    end: dt.date,
    per_staff: bool,
    measures: Collection[str],
    node_path: str | None = None,
) -> pd.DataFrame:
    """The daily rows of a few ``measures`` (as ``load_sums`` selects them), for the
    weighted median of daily medians, which a sum cannot give (``DAILY_COLUMNS``)."""
    if not measures:
        return _frame([], DAILY_COLUMNS).assign(day=pd.to_datetime(pd.Series([], dtype=object)))
    unit = AssessmentFact.staff_id if per_staff else AssessmentFact.node_id
    query = _fact_rows(
        select(AssessmentFact.day, unit, AssessmentFact.measure, AssessmentFact.value),
        start,
        end,
        per_staff,
        measures,
        node_path,
    )
    # the driver's tuples: the day as SQLite's text or PostgreSQL's date, to_datetime takes both
    frame = _frame(_driver_rows(session, query), DAILY_COLUMNS)
    return frame.assign(day=pd.to_datetime(frame["day"]))


def _fact_rows(
    query: _Query,
    start: dt.date,
    end: dt.date,
    per_staff: bool,
    measures: Collection[str],
    node_path: str | None,
) -> _Query:
    """``query`` limited to the days, the grid (staff 0) or staff rows, measures and subtree."""
    query = query.where(
        AssessmentFact.day >= start,
        AssessmentFact.day <= end,
        (AssessmentFact.staff_id != 0) if per_staff else (AssessmentFact.staff_id == 0),
        AssessmentFact.measure.in_(sorted(set(measures))),
    )
    if node_path is not None:
        grids = select(OrgNode.id).where(OrgNode.path.startswith(node_path, autoescape=True))
        query = query.where(AssessmentFact.node_id.in_(grids))
    return query


def _core_rows(session: Session, query: Select[*tuple[Any, ...]]) -> Sequence[Row[Any]]:
    """The rows of ``query`` on the session's connection through Core: the ORM's per-row
    processing costs more than SQLite's own work for tens of thousands of sums."""
    session.flush()  # what ``session.execute`` would do first (a no-op when nothing is pending)
    return session.connection().execute(query).all()


def _driver_rows(session: Session, query: Select[*tuple[Any, ...]]) -> Sequence[Any]:
    """The rows of ``query`` as the driver's plain tuples (ints, floats, text or dates as
    the driver returns them): for tens of thousands of numbers SQLAlchemy's ``Row``
    objects cost as much as the query (and numpy reads a ``Row`` element by element)."""
    session.flush()
    result = session.connection().execute(query)
    try:
        cursor = result.cursor
        return result.all() if cursor is None else list(cursor.fetchall())
    finally:
        result.close()


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with float values and categorical measures (as ``load_facts``).

    Built column by column: pandas inspects every row object it is given (~50 µs each).
    """
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    frame = pd.DataFrame(dict(zip(columns, values, strict=True)))
    if "unit" in frame:
        frame["unit"] = frame["unit"].astype("int64")
    return frame.assign(
        value=frame["value"].astype("float64"), measure=frame["measure"].astype(MEASURE_DTYPE)
    )


def load_staff(session: Session, node_path: str) -> pd.DataFrame:
    """Active staff in the subtree at ``node_path``: staff_id, name, node_id (for scoring)."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.node_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Staff.active.is_(True), OrgNode.path.startswith(node_path, autoescape=True))
        .order_by(Staff.id)
    ).all()
    return pd.DataFrame(rows, columns=["staff_id", "name", "node_id"])


def deduction_incidents(
    session: Session,
    grid_ids: Collection[int] | None,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """The incidents behind the deductions of those grids: one row per lapse or escalation.

    Columns: incident_id, tracking_no, measure, at (UTC), node_id — attributed as the
    facts are (lapses to the grid it lay with, escalations to the grid it left); with
    ``staff_id``, only that staff member's (lapses while assigned, escalations made).
    """
    events = _history_events(session, start, end, tz, grid_ids, DEDUCTION_ACTIONS)
    events["measure"] = events["action"].map(DEDUCTION_ACTIONS)
    escalated = events["action"] == "escalate"
    events["node_id"] = events["node_after"].where(~escalated, events["node_before"])
    events["staff"] = events["assignee"].where(~escalated, events["actor_staff"])
    if grid_ids is not None:
        events = events[events["node_id"].isin(list(grid_ids))]
    if staff_id is not None:
        events = events[events["staff"] == staff_id]
    out = events[["incident_id", "tracking_no", "measure", "at", "node_id"]]
    return out.sort_values(["at", "incident_id"]).reset_index(drop=True)


# -- the record, read once per source -------------------------------------------------------

_DTYPES = {"day": "object", "node_id": "int64", "staff_id": "int64", "measure": "object"}
_DTYPES["value"] = "float64"
_HISTORY_COLUMNS = [
    "at",
    "action",
    "node_before",
    "node_after",
    "actor_staff",
    "incident_id",
    "tracking_no",
    "deadline_at",
    "reporter_staff",
    "assignee",
    "reporter_node",
]


def _grid_ids(session: Session, grid_ids: Collection[int] | None) -> set[int]:
    query = select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID)
    if grid_ids is not None:
        query = query.where(OrgNode.id.in_(list(grid_ids)))
    return set(session.scalars(query))


def _history_events(
    session: Session,
    start: dt.date,
    end: dt.date,
    tz: dt.tzinfo,
    grid_ids: Collection[int] | None,
    actions: Collection[str] = (*ACTION_MEASURES, "escalate"),
) -> pd.DataFrame:
    """History rows of the window with what attribution needs, plus their local day."""
    low, high = utc_window(start, end, tz)
    reporter = Staff.__table__.alias("reporter")
    query = (
        select(
            IncidentHistory.at,
            IncidentHistory.action,
            IncidentHistory.node_before_id,
            IncidentHistory.node_after_id,
            IncidentHistory.actor_staff_id,
            Incident.id,
            Incident.tracking_no,
            Incident.deadline_at,
            Incident.reporter_staff_id,
            Incident.assignee_staff_id,
            reporter.c.node_id,
        )
        .join(Incident, Incident.id == IncidentHistory.incident_id)
        .outerjoin(reporter, reporter.c.id == Incident.reporter_staff_id)
        .where(IncidentHistory.at >= low, IncidentHistory.at < high)
        .where(IncidentHistory.action.in_(list(actions)))
    )
    if grid_ids is not None:
        wanted = list(grid_ids)
        query = query.where(
            IncidentHistory.node_after_id.in_(wanted) | IncidentHistory.node_before_id.in_(wanted)
        )
    events = pd.DataFrame(session.execute(query).all(), columns=_HISTORY_COLUMNS)
    events["at"] = pd.to_datetime(events["at"], utc=True)
    events["deadline_at"] = pd.to_datetime(events["deadline_at"], utc=True)
    events["day"] = events["at"].dt.tz_convert(tz).dt.date
    return events


def _count(events: pd.DataFrame, grids: set[int]) -> pd.DataFrame:
    """Each event as (day, node, staff, measure), counted per grid and per staff member."""
    plain = events[events["action"].isin(list(ACTION_MEASURES))]
    lapse = plain["action"].isin(["deadline_yellow", "deadline_red"])
    report = plain["action"] == "report"
    staff = plain["actor_staff"].where(~lapse, plain["assignee"])
    staff = staff.where(~report, plain["reporter_staff"])
    handle = events[events["action"] == "handle"]
    on_time = handle[handle["at"] <= handle["deadline_at"]]
    reports = events[events["action"] == "report"]
    own = reports[reports["reporter_node"] == reports["node_after"]]
    escalate = events[events["action"] == "escalate"]
    parts = [
        _part(plain, plain["action"].map(ACTION_MEASURES), plain["node_after"], staff),
        _part(on_time, "handled_on_time", on_time["node_after"], on_time["actor_staff"]),
        _part(own, "reported_own", own["node_after"], own["reporter_staff"]),
        _part(escalate, "escalated", escalate["node_before"], escalate["actor_staff"]),
    ]
    attributed = pd.concat(parts, ignore_index=True)
    attributed = attributed[attributed["node_id"].isin(list(grids))]
    return _grid_and_staff_counts(attributed)


def _part(events: pd.DataFrame, measure: object, node: pd.Series, staff: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"day": events["day"], "node_id": node, "staff_id": staff, "measure": measure}
    )


def _grid_and_staff_counts(attributed: pd.DataFrame) -> pd.DataFrame:
    """Counts per grid (staff 0) and per staff member with a known id."""
    if attributed.empty:
        return empty_facts()
    attributed = attributed.astype({"node_id": "int64"})
    grid = attributed.groupby(["day", "node_id", "measure"]).size().rename("value").reset_index()
    grid["staff_id"] = 0
    named = attributed.dropna(subset=["staff_id"]).astype({"staff_id": "int64"})
    keys = ["day", "node_id", "staff_id", "measure"]
    per_staff = named.groupby(keys).size().rename("value").reset_index()
    both = pd.concat([grid[COLUMNS], per_staff[COLUMNS]], ignore_index=True)
    return both.astype({"value": "float64"})


def _delivery_facts(
    session: Session, start: dt.date, end: dt.date, tz: dt.tzinfo, grids: set[int]
) -> pd.DataFrame:
    """Alert deliveries sent in the window to staff of the grids, and their acknowledgements."""
    low, high = utc_window(start, end, tz)
    rows = session.execute(
        select(Delivery.sent_at, Delivery.acknowledged_at, Delivery.staff_id, Staff.node_id)
        .join(Staff, Staff.id == Delivery.staff_id)
        .where(Delivery.sent_at >= low, Delivery.sent_at < high)
    ).all()
    sent = pd.DataFrame(rows, columns=["sent_at", "acked_at", "staff_id", "node_id"])
    sent = sent[sent["node_id"].isin(list(grids))]
    if sent.empty:
        return empty_facts()
    sent_at = pd.to_datetime(sent["sent_at"], utc=True)
    acked_at = pd.to_datetime(sent["acked_at"], utc=True)
    sent = sent.assign(
        day=sent_at.dt.tz_convert(tz).dt.date,
        ack=acked_at.notna().astype("int64"),
        seconds=(acked_at - sent_at).dt.total_seconds(),
    )
    whole = sent.assign(staff_id=0)
    return pd.concat([_delivery_measures(whole), _delivery_measures(sent)], ignore_index=True)


def _delivery_measures(sent: pd.DataFrame) -> pd.DataFrame:
    grouped = sent.groupby(["day", "node_id", "staff_id"]).agg(
        alert_deliveries=("ack", "size"),
        alert_acks=("ack", "sum"),
        ack_seconds_sum=("seconds", "sum"),
        ack_seconds_p50=("seconds", "median"),
    )
    long = grouped.reset_index().melt(
        id_vars=["day", "node_id", "staff_id"], var_name="measure", value_name="value"
    )
    return long.dropna(subset=["value"]).astype({"value": "float64"})[COLUMNS]


def _records(facts: pd.DataFrame) -> list[dict[str, object]]:
    """Plain Python values for the insert (``to_dict`` unboxes numpy scalars)."""
    if facts.empty:
        return []
    out = facts[COLUMNS].astype({"node_id": "int64", "staff_id": "int64", "value": "float64"})
    records: list[dict[str, object]] = out.to_dict("records")
    return records
