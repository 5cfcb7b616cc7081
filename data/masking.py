"""Masking of personal data (PIPL art. 51): what screens, exports and logs show by default.

Pure functions with no I/O, so every path that shows a resident (page, CSV, log,
audit detail) masks the same way. Masking keeps the length, so a masked value
still looks like the kind of number it is; a value too short to mask partially is
masked completely. :func:`mask_text` finds the numbers people type into free text
(incident descriptions, notes, SMS texts) in the ways they write them; everything
that shows, exports or publishes such text calls it, and the record keeps the original.
"""

from __future__ import annotations

import re
import unicodedata

MASK = "*"


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


#: Free text is searched on a copy with every decimal digit (full-width ``１``, …) and the
#: full-width ``Ｘ + - ( )`` and ideographic space turned into ASCII, one character for
#: one, so offsets match the original and the masks land on what the person typed.
_FULL_WIDTH = str.maketrans("Ｘｘ＋－（）\u3000", "Xx+-() ")
_DIGIT = re.compile(r"\d")
#: identity numbers and mobiles; a digit may not stand right before or after one. Inside a
#: lookahead, so ``finditer`` tries every start: overlapping readings are all masked.
_PERSONAL_RE = re.compile(
    r"""
    (?=(?P<whole>
        (?<![0-9])
        (?:
            (?P<id18>[0-9]{6}\ ?[0-9]{8}\ ?[0-9]{3}[0-9Xx])      # 18-character ID number
          | (?P<id15>[0-9]{15})                                 # 15-digit ID number (pre-1999)
          | (?:(?:00|\+)?86[\ -]?)?(?P<mobile>1[3-9][0-9][\ -]?[0-9]{4}[\ -]?[0-9]{4})
        )
        (?![0-9])
    ))
    """,
    re.VERBOSE,
)
#: landlines: an area code (010, 0371, …; in brackets or not) and a 7–8 digit local number
_LANDLINE_RE = re.compile(
    r"""
    (?=(?<![0-9])
        (?P<area>\(?0[1-9][0-9]{1,2}\)?)[\ -]?
        (?P<local>[0-9]{3,4}[\ -]?[0-9]{4})
        (?![0-9])
    )
    """,
    re.VERBOSE,
)


def _ascii_probe(text: str) -> str:
    """``text`` with the same length, full-width digits and signs as ASCII (for the regexes)."""
    if text.isascii():
        return text
    text = text.translate(_FULL_WIDTH)
    return _DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0), 0)), text)


def _hide(chars: list[str], probe: str, start: int, end: int, head: int, tail: int) -> None:
    """Replace the digits in ``[start, end)`` by MASK except the first ``head`` and last ``tail``.

    Separators (spaces, hyphens, brackets) stay, so ``138 1234 5678`` reads ``138 **** 5678``.
    """
    positions = [i for i in range(start, end) if probe[i] in "0123456789Xx"]
    for i in positions[head : len(positions) - tail]:
        chars[i] = MASK


def _mask_pass(text: str) -> str:
    """One pass: identity numbers and mobiles first, then landlines in what is left.

    Every reading of the digits is masked (a space may end one number or sit inside the
    next), so a number is hidden whichever way the text around it can be read.
    """
    probe = _ascii_probe(text)
    chars = list(text)
    for m in _PERSONAL_RE.finditer(probe):
        if m.group("mobile") is not None:
            _hide(chars, probe, m.start("mobile"), m.end("mobile"), 3, 4)
        else:
            _hide(chars, probe, m.start("whole"), m.end("whole"), 4, 4)
    text = "".join(chars)
    probe = _ascii_probe(text)
    for m in _LANDLINE_RE.finditer(probe):
        local = sum(c.isdigit() for c in m.group("local"))
        _hide(chars, probe, m.start("local"), m.end("local"), 0, min(4, local - 4))
    return "".join(chars)


def mask_text(text: str) -> str:
    """Mask every identity, mobile and landline number found in free text.

    What a citizen or officer types reaches pages, pushes, exports and logs: 18- and
    15-digit identity numbers keep 4 + 4 characters, mobiles (also written
    ``138 1234 5678``, ``138-1234-5678``, after +86, in full-width digits) keep 3 + 4
    digits, landlines keep the area code and the last 4 digits. Repeated until nothing
    changes, so masking masked text changes nothing (a mask can expose a number that
    an overlapping match had hidden from the first pass).
    """
    if not text:
        return text
    while True:
        masked = _mask_pass(text)
        if masked == text:
            return masked
        text = masked
