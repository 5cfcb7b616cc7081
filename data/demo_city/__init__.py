"""Deterministic demo city for Zhengzhou (郑州市) and its bulk seeding.

``seed_demo_city`` is the public entry point; ``DemoCity`` is the database-free
generator underneath it (useful for tests and previews).
"""

from __future__ import annotations

from data.demo_city.generator import DemoCity
from data.demo_city.report import SeedReport
from data.demo_city.scales import SCALES
from data.demo_city.seed import ProgressFn, seed_demo_city

__all__ = ["SCALES", "DemoCity", "ProgressFn", "SeedReport", "seed_demo_city"]
