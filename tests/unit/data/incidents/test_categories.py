"""The incident category file: the packaged one is complete, broken ones name the bad entry."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from data.incidents.categories import (
    DEFAULT_PATH,
    ConfigError,
    load_categories,
    parse_categories,
)
from data.models import HandlingLevel

#: the seed platform's domains (原始數據) that must each have a category
SEED_DOMAINS = {
    "民政救济",
    "安全生产",
    "消防安全",
    "治安",
    "信访纠纷",
    "市容环卫",
    "特殊人群",
    "劳动保障",
    "市场商铺",
    "计划生育",
    "志愿服务",
    "党建纪检",
    "工会工作",
}

ENTRY = """
[[category]]
code = "{code}"
name = "{name}"
auto_escalate = true
[category.time_limit_hours]
grid = 4
community = 8
street = 24
district = 48
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "incident_categories.toml"
    path.write_text(text, encoding="utf-8")
    return path


def three_entries() -> str:
    return "".join(
        ENTRY.format(code=code, name=name)
        for code, name in [("civil_relief", "民政救济"), ("work_safety", "安全生产"),
                           ("fire_safety", "消防安全")]
    )  # fmt: skip


def test_packaged_file_covers_the_seed_domains_with_sane_limits() -> None:
    config = load_categories()
    names = {c.name for c in config.categories.values()}
    assert names >= SEED_DOMAINS
    assert len(config.categories) >= 15
    for code, category in config.categories.items():
        hours = [category.time_limit_hours.hours(level) for level in HandlingLevel]
        assert all(h > 0 for h in hours), code
        assert hours == sorted(hours), f"{code}: higher levels get at least as long"
        assert 0 < config.yellow_share(code) < 1
    assert config.limit_hours("fire_safety", HandlingLevel.GRID) < config.limit_hours(
        "family_planning", HandlingLevel.GRID
    )
    assert config.duplicates.radius_m > 0 and config.duplicates.window_hours > 0


def test_packaged_file_is_commented_in_chinese_and_english() -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    for phrase in ("time_limit_hours", "yellow_share", "auto_escalate", "办理时限", "黄牌"):
        assert phrase in text


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    config = load_categories(write(tmp_path, three_entries()))
    assert list(config.categories) == ["civil_relief", "work_safety", "fire_safety"]
    assert config.yellow_share("fire_safety") == 0.8  # the default
    assert config.limit_hours("fire_safety", HandlingLevel.STREET) == 24


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("street = 24", "street = -1", 3),
            "[[category]] #3 'fire_safety': time_limit_hours.street must be > 0",
        ),
        (
            ("street = 24", "street = 0", 3),
            "[[category]] #3 'fire_safety': time_limit_hours.street must be > 0",
        ),
        (
            ('name = "安全生产"\n', "", 1),
            "[[category]] #2 'work_safety': name is required",
        ),
        (
            ("district = 48", "district = 48\nweekly = 3", 1),
            "[[category]] #1 'civil_relief': time_limit_hours.weekly is not a known key",
        ),
        (
            ("auto_escalate = true", "auto_escalate = true\ncolour = 'red'", 2),
            "[[category]] #2 'work_safety': colour is not a known key",
        ),
        (
            ('code = "fire_safety"', 'code = "work_safety"', 1),
            "[[category]] #3 'work_safety': code duplicates #2",
        ),
        (
            ('name = "消防安全"', 'name = "安全生产"', 1),
            "[[category]] #3 'fire_safety': name '安全生产' duplicates #2",
        ),
        (
            ("auto_escalate = true", 'auto_escalate = "yes"', 1),
            "[[category]] #1 'civil_relief': auto_escalate: input should be a valid boolean",
        ),
        (
            ('code = "civil_relief"', 'code = "Civil Relief"', 1),
            "[[category]] #1 'Civil Relief': code must match",
        ),
        (
            ("auto_escalate = true", "auto_escalate = true\nyellow_share = 1.2", 1),
            "[[category]] #1 'civil_relief': yellow_share must be < 1",
        ),
        (
            ("grid = 4\n", "", 1),
            "[[category]] #1 'civil_relief': time_limit_hours.grid is required",
        ),
    ],
)
def test_a_broken_entry_is_named(tmp_path: Path, edit: tuple[str, str, int], message: str) -> None:
    text = _edit(three_entries(), edit)
    with pytest.raises(ConfigError) as caught:
        load_categories(write(tmp_path, text))
    assert str(caught.value).startswith("incident_categories.toml: ")
    assert message in str(caught.value)


def _edit(text: str, edit: tuple[str, str, int]) -> str:
    """Replace the ``n``-th occurrence of ``old`` (1-based) by ``new``."""
    old, new, n = edit
    start = -1
    for _ in range(n):
        start = text.index(old, start + 1)
    return text[:start] + new + text[start + len(old) :]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = _edit(_edit(three_entries(), ("grid = 4", "grid = -4", 1)), ("street = 24", "", 3))
    with pytest.raises(ConfigError) as caught:
        load_categories(write(tmp_path, text))
    lines = str(caught.value).splitlines()
    head = "incident_categories.toml: [[category]]"
    assert lines == [
        f"{head} #1 'civil_relief': time_limit_hours.grid must be > 0",
        f"{head} #3 'fire_safety': time_limit_hours.street is required",
    ]


def test_top_level_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"needs at least one \[\[category\]\] table"):
        load_categories(write(tmp_path, "default_yellow_share = 0.8\n"))
    with pytest.raises(ConfigError, match=r"duplicates\.radius_m must be > 0"):
        load_categories(write(tmp_path, "[duplicates]\nradius_m = 0\n" + three_entries()))
    with pytest.raises(ConfigError, match="colour is not a known key"):
        load_categories(write(tmp_path, "colour = 1\n" + three_entries()))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_categories(write(tmp_path, "[[category]\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load_categories(tmp_path / "missing.toml")


def test_parse_does_not_change_its_input() -> None:
    raw = tomllib.loads(three_entries())
    parse_categories(raw)
    assert len(raw["category"]) == 3
