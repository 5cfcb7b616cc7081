"""Bulk inserts for the generated history: Core's executemany, minus its per-row bookkeeping.

On SQLite, Core's ``executemany`` spends most of its time building each row's
parameters, not in SQLite; here every value goes once through its column type's own
bind processor (so what is stored is exactly what Core would store) and the rows go
to the driver's ``executemany`` as tuples. PostgreSQL keeps Core's "insertmanyvalues"
path, which batches rows into multi-row VALUES and is the faster one there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Date, Table

Processor = Callable[[Any], Any] | None


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table``."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(rows[0]))
    columns: list[list[Any]] = []
    for name in compiled.positiontup or []:
        processor: Processor = (
            table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        )
        values = [row[name] for row in rows]
        if processor is not None and isinstance(table.c[name].type, Date):
            processor = functools.cache(processor)  # a few hundred distinct days
        columns.append(values if processor is None else list(map(processor, values)))
    conn.exec_driver_sql(str(compiled), list(zip(*columns, strict=True)))
