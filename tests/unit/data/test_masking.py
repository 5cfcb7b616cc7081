"""Masking never gives the number back, keeps its shape and keeps only the stated ends."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from data.demo_city.idcard import make_id_number
from data.masking import MASK, mask_id_number, mask_name, mask_phone, mask_text

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
id_numbers = st.builds(
    lambda body, check: body + check,
    st.text(alphabet="0123456789", min_size=17, max_size=17),
    st.sampled_from(list("0123456789X")),
)
valid_id_numbers = st.builds(
    make_id_number,
    st.sampled_from(["410105", "410102", "410173", "110101"]),
    st.dates(dt.date(1920, 1, 1), dt.date(2025, 12, 31)),
    st.integers(0, 999),
)
mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from(list("3456789")),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
names = st.text(alphabet="张王李赵欧阳娜丽华明伟芳", min_size=1, max_size=6)


def test_the_documented_examples():
    assert mask_id_number("410105199001011234") == "4101**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_id_number(None) == "" and mask_phone("") == ""


@given(id_numbers)
def test_id_number_keeps_4_and_4_and_hides_the_middle(value: str):
    masked = mask_id_number(value)
    assert masked != value
    assert len(masked) == len(value)
    assert masked[:4] == value[:4] and masked[-4:] == value[-4:]
    assert masked[4:-4] == MASK * 10


@given(valid_id_numbers)
def test_a_valid_id_number_loses_its_birth_date(value: str):
    masked = mask_id_number(value)
    assert value[6:14] not in masked  # the birth date is gone


@given(st.text(alphabet="0123456789X", min_size=8, max_size=40))
def test_any_length_from_8_hides_at_least_4_characters(value: str):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert masked.count(MASK) >= 4
    keep = min(4, (len(value) - 4) // 2)
    assert masked.startswith(value[:keep]) and masked.endswith(value[len(value) - keep :])


@given(st.text(alphabet="0123456789X", min_size=1, max_size=7))
def test_short_values_are_hidden_entirely(value: str):
    assert mask_id_number(value) == MASK * len(value)


@given(mobiles)
def test_mobile_keeps_3_and_4(value: str):
    masked = mask_phone(value)
    assert masked != value
    assert len(masked) == 11
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:]
    assert masked[3:7] == MASK * 4


@given(st.text(alphabet="0123456789-+ ", min_size=7, max_size=20))
def test_other_phone_numbers_hide_at_least_4(value: str):
    masked = mask_phone(value)
    assert len(masked) == len(value)
    assert masked.count(MASK) >= 4 + value.count(MASK)


@given(names.filter(lambda n: len(n) > 0))
def test_name_keeps_only_the_family_name(value: str):
    masked = mask_name(value)
    assert len(masked) == len(value)
    assert masked != value
    assert masked[1:] == MASK * (len(value) - 1)


@given(id_numbers, mobiles, st.text(alphabet="居民身份证手机号：,. ", max_size=20))
def test_text_masking_finds_numbers_anywhere(id_number: str, phone: str, filler: str):
    text = f"{filler}身份证 {id_number}{filler}，电话:{phone}。"
    masked = mask_text(text)
    assert id_number not in masked
    assert phone not in masked
    assert mask_id_number(id_number) in masked
    assert mask_phone(phone) in masked


def test_text_masking_leaves_other_numbers_alone():
    text = "node 1234 staff 42 ts 1796000000 order 123456789012345678901"
    assert mask_text(text) == text


@given(mobiles, st.sampled_from(["+86", "86", "+86 ", "0086-"]))
def test_text_masking_sees_mobiles_after_a_country_code(phone: str, prefix: str):
    masked = mask_text(f"电话 {prefix}{phone}")
    assert phone not in masked
    assert masked.endswith(mask_phone(phone))
