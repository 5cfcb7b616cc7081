"""Masking of personal data (PIPL art. 51): what screens, exports and logs show by default.

Pure functions with no I/O, so every path that shows a resident (page, CSV, log,
audit detail) masks the same way. Masking keeps the length, so a masked value
still looks like the kind of number it is; a value too short to mask partially is
masked completely.
"""

from __future__ import annotations

import re

MASK = "*"

#: an 18-character resident identity number (17 digits and a digit or X check character)
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
#: an 11-digit mainland mobile number, alone or after a +86 / 86 country code
MOBILE_RE = re.compile(r"(?<!\d)(?P<cc>\+?86)?(?P<mobile>1[3-9]\d{9})(?!\d)")


def _keep_ends(value: str, head: int, tail: int) -> str:
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str | None) -> str:
    """``410105199001011234`` → ``4101**********1234``.

    Keeps the first 4 (province and city) and last 4 characters when at least 4
    remain hidden; shorter values keep less (8 characters → 2 + 4 + 2); below 8
    characters everything is hidden.
    """
    if not value:
        return ""
    if len(value) < 8:
        return MASK * len(value)
    keep = min(4, (len(value) - 4) // 2)
    return _keep_ends(value, keep, keep)


def mask_phone(value: str | None) -> str:
    """``13812345678`` → ``138****5678``: operator prefix and last 4 stay, at least 4 hidden.

    Shorter numbers (landlines without area code) keep less; below 7 characters
    everything is hidden.
    """
    if not value:
        return ""
    if len(value) < 7:
        return MASK * len(value)
    head = min(3, (len(value) - 4) // 2)
    tail = min(4, len(value) - 4 - head)
    return _keep_ends(value, head, tail)


def mask_name(value: str | None) -> str:
    """``张三丰`` → ``张**``: the family name stays (a one-character name is hidden)."""
    if not value:
        return ""
    if len(value) == 1:
        return MASK
    return value[0] + MASK * (len(value) - 1)


def mask_text(text: str) -> str:
    """Mask every identity number and mobile number found in free text (logs, audit details)."""
    if not text:
        return text
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return MOBILE_RE.sub(lambda m: (m.group("cc") or "") + mask_phone(m.group("mobile")), text)
