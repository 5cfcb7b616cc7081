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


# -- free text: every written form of a personal number (security finding 5) ----------

#: characters that may stand next to a number in free text without joining it
BOUNDARY = st.sampled_from(list("，。：；、！？ 电话号码身份证联系人请拨打abcXYZ\n"))
fillers = st.text(
    alphabet="，。：；、！？ 电话号码身份证联系人请拨打abcXYZ\n0123456789-+()", max_size=12
)


@st.composite
def free_text_numbers(draw: st.DrawFn) -> tuple[str, str, list[int]]:
    """(text, the number as written, offsets in the text of the digits that must be hidden)."""
    kind = draw(st.sampled_from(["mobile", "id18", "id15", "landline"]))
    if kind == "mobile":
        digits = draw(mobiles)
        sep = draw(st.sampled_from(["", " ", "-"]))
        written = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
        hidden = [3, 4, 5, 6]  # indices among the number's digits
    elif kind == "id18":
        written = draw(id_numbers)
        hidden = list(range(4, 14))
    elif kind == "id15":
        written = draw(st.text(alphabet="0123456789", min_size=15, max_size=15))
        hidden = list(range(4, 11))
    else:
        area = draw(st.sampled_from(["010", "021", "0371", "0755"]))
        local = draw(st.text(alphabet="0123456789", min_size=7, max_size=8))
        sep = draw(st.sampled_from(["-", " "]))
        written = f"{area}{sep}{local}"
        # the local number: at least 4 digits hidden, never more than the last 4 shown
        hidden = [len(area) + i for i in range(len(local) - min(4, len(local) - 4))]
    prefix = draw(fillers) + draw(BOUNDARY)
    suffix = draw(BOUNDARY) + draw(fillers)
    digit_offsets = [i for i, c in enumerate(written) if c.isdigit() or c in "Xx"]
    offsets = [len(prefix) + digit_offsets[i] for i in hidden]
    return prefix + written + suffix, written, offsets


@given(free_text_numbers())
def test_free_text_never_shows_the_middle_digits(case: tuple[str, str, list[int]]):
    text, written, hidden = case
    masked = mask_text(text)
    assert len(masked) == len(text)  # masking keeps the text's shape
    assert written not in masked
    assert all(masked[i] == MASK for i in hidden), (text, masked)


@given(st.lists(st.one_of(free_text_numbers().map(lambda c: c[0]), st.text(max_size=20))))
def test_masking_free_text_is_idempotent(parts: list[str]):
    text = "".join(parts)
    once = mask_text(text)
    assert mask_text(once) == once


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",))))
def test_text_without_digits_is_left_unchanged(text: str):
    assert mask_text(text) == text


def test_the_written_forms_of_numbers_in_free_text():
    cases = {
        "电话 138 1234 5678 找王师傅": "电话 138 **** 5678 找王师傅",
        "电话138-1234-5678": "电话138-****-5678",
        "+86 138 1234 5678": "+86 138 **** 5678",
        "老身份证410105900101123号": "老身份证4101*******1123号",
        "身份证ID410105199001011234": "身份证ID4101**********1234",
        "座机0371-12345678转": "座机0371-****5678转",
        "座机(0371)6789 1234": "座机(0371)**** 1234",
        "座机010-1234567": "座机010-****567",
        "全角１３８１２３４５６７８": "全角１３８****５６７８",
    }
    for text, expected in cases.items():
        assert mask_text(text) == expected, text
