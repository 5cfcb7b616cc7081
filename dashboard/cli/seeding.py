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


def seed_with_progress(settings: Settings, scale: str, seed: int) -> object:
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

        result = seed_demo_city(engine, scale=scale, seed=seed, progress=report)
    engine.dispose()
    return result
