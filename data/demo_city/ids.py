"""Sequential primary keys handed out by the generator itself.

Assigning ids up front (instead of letting the database do it) means paths and
foreign keys are known before anything is written, so rows go out in plain bulk
inserts and two databases seeded alike hold identical keys.
"""

from __future__ import annotations


class IdCounters:
    """One counter per table, each starting at 1."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, table: str) -> int:
        """The next id for ``table``."""
        value = self._last.get(table, 0) + 1
        self._last[table] = value
        return value

    def count(self, table: str) -> int:
        """How many ids ``table`` has been given so far."""
        return self._last.get(table, 0)
