"""create_app loads the assessment scheme: a bad file stops the app with the entry named."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.settings import Settings
from data.assessment.scheme import DEFAULT_PATH, SchemeError


def test_an_invalid_scheme_stops_the_app_naming_the_entry(
    redis_url: str, small_city_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "my_scheme.toml"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    bad.write_text(text.replace("weight = 15", "weight = 0", 1), encoding="utf-8")
    settings = Settings(
        redis_url=redis_url,
        database_url=small_city_url,
        var_dir=tmp_path,
        assessment_scheme=bad,
        run_workers=False,
    )
    with pytest.raises(
        SchemeError, match=r"my_scheme.toml: indicators.on_time_rate.weight: must be > 0"
    ):
        create_app(settings)


def test_the_shipped_scheme_is_held_on_services(
    redis_url: str, small_city_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=redis_url, database_url=small_city_url, var_dir=tmp_path, run_workers=False
    )
    app = create_app(settings)
    try:
        assert "closure_rate" in app.services.scheme.indicators
        assert app.services.scheme.source == "scheme.toml"
    finally:
        app.close()
