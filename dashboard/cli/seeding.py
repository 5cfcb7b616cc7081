"""Seeding the demo city with a progress bar on the terminal."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from dashboard.settings import Settings
from data.db import make_engine
from data.demo_city.history import DEFAULT_MONTHS


def seed_with_progress(
    settings: Settings, scale: str, seed: int, history_months: int = DEFAULT_MONTHS
) -> object:
    """The demo city and ``history_months`` of generated history (0: none), one bar per stage."""
    from data.demo_city import seed_demo_city

    engine = make_engine(settings.resolved_database_url())
    with Progress(
        TextColumn("[bold cyan]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        result = seed_demo_city(
            engine,
            scale=scale,
            seed=seed,
            progress=report,
            history_months=history_months,
            history_zone=settings.display_zone,
        )
    engine.dispose()
    return result
