"""What a text costs and how its length is checked (pure functions, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.sms.compose import (
    MAX_TEXT_CHARS,
    MULTI_SEGMENT_CHARS,
    SINGLE_SEGMENT_CHARS,
    ComposeError,
    check_text,
    segments,
)
from layouts.sms import counter_text


@pytest.mark.parametrize(
    ("length", "parts"),
    [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4), (500, 8)],
)
def test_segments_at_the_boundaries(length: int, parts: int) -> None:
    assert segments("汛" * length) == parts


@given(st.text(min_size=1, max_size=MAX_TEXT_CHARS))
def test_segments_hold_the_whole_text(text: str) -> None:
    parts = segments(text)
    if len(text) <= SINGLE_SEGMENT_CHARS:
        assert parts == 1
    else:
        assert (parts - 1) * MULTI_SEGMENT_CHARS < len(text) <= parts * MULTI_SEGMENT_CHARS


def test_check_text_strips_and_names_the_problem() -> None:
    assert check_text("  请到岗 \n") == "请到岗"
    with pytest.raises(ComposeError, match=r"^短信内容不能为空$"):
        check_text(" \n\t")
    with pytest.raises(ComposeError, match="超过 500 字（当前 502 字）"):
        check_text("字" * 502)
    assert check_text("字" * 500) == "字" * 500


def test_the_counter_says_chars_and_parts() -> None:
    assert counter_text("") == "0 / 500 字 · 每人 0 条短信"
    assert counter_text("字" * 71) == "71 / 500 字 · 每人 2 条短信"
    assert counter_text("字" * 503) == "503 / 500 字 · 超出 3 字，请删减"
