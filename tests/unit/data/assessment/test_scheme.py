"""The assessment scheme: the shipped file is complete, broken ones name the bad entry."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from data.assessment.scheme import (
    DEFAULT_PATH,
    MEASURES,
    RatioIndicator,
    SchemeError,
    load_scheme,
    parse_scheme,
)

SHIPPED_INDICATORS = {
    "discovery_rate",
    "dispatch_rate",
    "feedback_rate",
    "on_time_rate",
    "closure_rate",
    "verification_pass_rate",
    "overdue_deductions",
    "escalations",
    "alert_ack_rate",
    "median_ack_time",
    "staff_online_rate",
}


def _shipped() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(raw)
    return str(caught.value).splitlines()


def test_shipped_scheme_has_every_indicator_and_only_known_measures() -> None:
    scheme = load_scheme()
    assert set(scheme.indicators) == SHIPPED_INDICATORS
    for indicator in scheme.indicators.values():
        assert set(indicator.measures()) <= set(MEASURES)
    assert {card.color for card in scheme.cards} == {"red", "yellow"}
    assert "dispatch_rate" not in scheme.for_level("staff")
    assert "dispatch_rate" in scheme.for_level("grid")
    closure = scheme.indicators["closure_rate"]
    assert isinstance(closure, RatioIndicator) and closure.label == "结案率"


def test_a_zero_weight_names_the_indicator_and_the_field() -> None:
    raw = _shipped()
    raw["indicators"]["closure_rate"]["weight"] = 0
    assert _problems(raw) == ["scheme.toml: indicators.closure_rate.weight: must be > 0"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: r["indicators"]["dispatch_rate"].update(numerator=["dispached"]),
            "scheme.toml: indicators.dispatch_rate: unknown measure 'dispached'",
        ),
        (
            lambda r: r["indicators"]["escalations"].update(kind="penalty"),
            "scheme.toml: indicators.escalations.kind: must be one of ratio, deduction, median",
        ),
        (
            lambda r: r["indicators"]["feedback_rate"].update(levels=["province"]),
            "scheme.toml: indicators.feedback_rate.levels.0: input should be 'district', "
            "'street', 'community', 'grid' or 'staff'",
        ),
        (
            lambda r: r["indicators"]["median_ack_time"].update(bad_seconds=10),
            "scheme.toml: indicators.median_ack_time.bad_seconds: must be > good_seconds",
        ),
        (
            lambda r: r["indicators"]["overdue_deductions"]["per"].update(red=-1),
            "scheme.toml: indicators.overdue_deductions.per.red: must be > 0",
        ),
        (
            lambda r: r["indicators"]["closure_rate"].update(colour="red"),
            "scheme.toml: indicators.closure_rate.colour: is not a known key",
        ),
        (
            lambda r: r["cards"][1].update(indicator="escalations"),
            "scheme.toml: cards[2].indicator: 'escalations' is not a ratio indicator",
        ),
        (
            lambda r: r["cards"][0].update(indicator="closure_rate", below=0.5),
            "scheme.toml: cards[1]: needs exactly one of measure + at_least or indicator + below",
        ),
        (
            lambda r: r["cards"][0].pop("reason"),
            "scheme.toml: cards[1].reason: is required",
        ),
    ],
)
def test_each_bad_entry_is_named(change: Any, expected: str) -> None:
    raw = _shipped()
    change(raw)
    assert _problems(raw) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    raw = _shipped()
    raw["indicators"]["closure_rate"]["weight"] = -1
    raw["indicators"]["on_time_rate"].pop("label")
    assert len(_problems(raw)) == 2


def test_missing_and_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(SchemeError, match=r"nothing\.toml: file not found"):
        load_scheme(tmp_path / "nothing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[indicators\n", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"broken\.toml: not valid TOML"):
        load_scheme(broken)
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SchemeError, match="indicators: needs at least one"):
        load_scheme(empty)
