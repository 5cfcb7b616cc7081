"""18-digit resident identity numbers (GB 11643-1999).

Layout: 6-digit area code, 8-digit birth date, 3-digit sequence (odd for men,
even for women) and an ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import datetime as dt

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def check_char(body17: str) -> str:
    """The check character for the first 17 digits."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError(f"need 17 digits, got {body17!r}")
    total = sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def id_body(area: str, birth: dt.date, seq: int) -> str:
    """The first 17 characters: area code, YYYYMMDD, 3-digit sequence."""
    return f"{area}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"


def make_id_number(area: str, birth: dt.date, seq: int) -> str:
    """A complete identity number; ``seq`` parity encodes gender (odd = male)."""
    body = id_body(area, birth, seq)
    return body + check_char(body)


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character number with a real date and a correct check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return check_char(value[:17]) == value[17]


def gender_of(value: str) -> str:
    """ "M" or "F" as encoded by the sequence digit."""
    return "M" if int(value[16]) % 2 else "F"
