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
from types import MappingProxyType

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


#: Free text is searched on a copy with full-width digits and ``Ｘ＋－（）`` and the
#: ideographic space (what a Chinese input method types) turned into ASCII, one character
#: for one, so offsets match the original and the masks land on what the person typed.
_FULL_WIDTH = MappingProxyType(
    {chr(0xFF10 + d): str(d) for d in range(10)}
    | {"Ｘ": "X", "ｘ": "x", "＋": "+", "－": "-", "（": "(", "）": ")", "\u3000": " "}
)
_FULL_WIDTH_RE = re.compile("[" + "".join(_FULL_WIDTH) + "]")
_DIGIT = re.compile(r"[0-9\uff10-\uff19]")
#: identity numbers and mobiles; a digit may not stand right before or after one. Matched
#: (as a lookahead, taking no text) at every place a number can start, so readings that
#: overlap are all found and all masked.
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


#: where a number can start: the first digit of a run, a "+" (country code), a "(" (area code)
_STARTS = re.compile(r"[0-9+(]")
_ASCII_DIGITS = frozenset("0123456789")
#: the fewest digits any number above has (a 3-digit area code and a 7-digit local number)
_MIN_DIGITS = 10


def _readings(pattern: re.Pattern[str], probe: str) -> list[re.Match[str]]:
    """Every match of the lookahead ``pattern`` in ``probe``, tried only where one can start.

    What ``pattern.finditer`` finds, without trying the positions no number can start at:
    a page of descriptions goes through here on every refresh.
    """
    found = []
    for start in _STARTS.finditer(probe):
        at = start.start()
        if at and probe[at - 1] in _ASCII_DIGITS and probe[at] in _ASCII_DIGITS:
            continue  # inside a run of digits: no number starts here
        m = pattern.match(probe, at)
        if m is not None:
            found.append(m)
    return found


def _ascii_probe(text: str) -> str:
    """``text`` with the same length, full-width digits and signs as ASCII (for the regexes)."""
    if text.isascii():
        return text
    return _FULL_WIDTH_RE.sub(lambda m: _FULL_WIDTH[m.group(0)], text)


def _hide(
    chars: list[str], probe: list[str], view: str, start: int, end: int, head: int, tail: int
) -> bool:
    """Mask the digits in ``[start, end)`` except the first ``head`` and last ``tail``.

    ``view`` is ``probe`` as a string (what the regexes searched); both ``chars`` (the
    text) and ``probe`` get the masks. Separators (spaces, hyphens, brackets) stay, so
    ``138 1234 5678`` reads ``138 **** 5678``. True when a digit was masked just now.
    """
    positions = [i for i in range(start, end) if view[i] in "0123456789Xx"]
    hidden = positions[head : len(positions) - tail]
    for i in hidden:
        chars[i] = probe[i] = MASK
    return bool(hidden)


def _mask_pass(chars: list[str], probe: list[str]) -> bool:
    """One pass: identity numbers and mobiles first, then landlines in what is left.

    Every reading of the digits is masked (a space may end one number or sit inside the
    next), so a number is hidden whichever way the text around it can be read.
    """
    changed = False
    view = "".join(probe)
    for m in _readings(_PERSONAL_RE, view):
        if m.group("mobile") is not None:
            span = m.start("mobile"), m.end("mobile")
            changed |= _hide(chars, probe, view, *span, 3, 4)
        else:
            changed |= _hide(chars, probe, view, m.start("whole"), m.end("whole"), 4, 4)
    view = "".join(probe)
    for m in _readings(_LANDLINE_RE, view):
        local = sum(c.isdigit() for c in m.group("local"))
        span = m.start("local"), m.end("local")
        changed |= _hide(chars, probe, view, *span, 0, min(4, local - 4))
    return changed


def mask_text(text: str) -> str:
    """Mask every identity, mobile and landline number found in free text.

    What a citizen or officer types reaches pages, pushes, exports and logs: 18- and
    15-digit identity numbers keep 4 + 4 characters, mobiles (also written
    ``138 1234 5678``, ``138-1234-5678``, after +86, in full-width digits) keep 3 + 4
    digits, landlines keep the area code and the last 4 digits. Passes repeat until one
    masks nothing, so masking masked text changes nothing (a mask can expose a number
    that an overlapping reading had kept from the pass before).
    """
    if not text or len(_DIGIT.findall(text)) < _MIN_DIGITS:
        return text
    chars, probe = list(text), list(_ascii_probe(text))
    while _mask_pass(chars, probe):
        pass
    return "".join(chars)
