"""A log line naming a resident's identity and mobile numbers is written masked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from dashboard.runtime.log_masking import PersonalDataFilter
from data.masking import mask_id_number, mask_phone

ID_NUMBER = "41010519900101123X"
PHONE = "13812345678"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A child logger whose records reach a handler carrying the filter (as on root)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalDataFilter())
    parent = logging.getLogger("gw-test-masking")
    parent.addHandler(handler)
    parent.setLevel(logging.DEBUG)
    yield logging.getLogger("gw-test-masking.child"), stream
    parent.removeHandler(handler)


def test_args_are_masked(captured: tuple[logging.Logger, io.StringIO]):
    log, stream = captured
    log.warning("resident %s phone %s moved to grid %d", ID_NUMBER, PHONE, 17)
    line = stream.getvalue()
    assert ID_NUMBER not in line and PHONE not in line
    assert mask_id_number(ID_NUMBER) in line and mask_phone(PHONE) in line
    assert "grid 17" in line


def test_message_text_and_dicts_are_masked(captured: tuple[logging.Logger, io.StringIO]):
    log, stream = captured
    log.info(f"payload {{'id_number': '{ID_NUMBER}', 'phone': '+86{PHONE}'}}")
    log.info("payload %r", {"id_number": ID_NUMBER.lower(), "phone": PHONE})
    text = stream.getvalue()
    assert ID_NUMBER not in text and ID_NUMBER.lower() not in text and PHONE not in text


def test_tracebacks_are_masked(captured: tuple[logging.Logger, io.StringIO]):
    log, stream = captured
    try:
        raise ValueError(f"bad resident {ID_NUMBER} / {PHONE}")
    except ValueError:
        log.exception("import failed")
    text = stream.getvalue()
    assert "ValueError" in text
    assert ID_NUMBER not in text and PHONE not in text


def test_other_numbers_pass_unchanged(captured: tuple[logging.Logger, io.StringIO]):
    log, stream = captured
    log.info("staff %d fix at %d, 4096 bytes", 1234, 1796000000)
    assert stream.getvalue().strip().endswith("staff 1234 fix at 1796000000, 4096 bytes")
