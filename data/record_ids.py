"""Record ids as they come from outside (paths, queries, callback payloads): 1 … 2^63-1.

An id beyond SQL's 64-bit integers made SQLite raise ``OverflowError`` (a 500), and
``str.isdigit`` accepts "²", which ``int`` then refuses. Every id a caller sends is
read here first; anything that cannot be a record is None, which callers answer
as "not found".
"""

from __future__ import annotations

#: the largest id SQL stores (BIGINT / SQLite INTEGER); ids start at 1
MAX_RECORD_ID = 2**63 - 1


def record_id(raw: object) -> int | None:
    """An int, or a string of ASCII digits, in 1 … 2^63-1; otherwise None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        value = int(raw)
    else:
        return None
    return value if 1 <= value <= MAX_RECORD_ID else None
