"""Hypothesis profiles: how hard property tests search, chosen per run, not per test.

``ci`` (what ``make test`` and CI run): derandomized, so a green main stays green, and a
quarter of the examples, so the suite stays well under ten minutes on a 2-core machine.
``dev``: hypothesis' own defaults, random. ``thorough``: four times the examples, for a
deliberate deep run (``make test-thorough``). Tests state their example counts for ``dev``
through ``examples()``, which scales them to the active profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

DEV_EXAMPLES = 100

settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def load_profile() -> None:
    """The profile named by HYPOTHESIS_PROFILE (default ``dev``)."""
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(dev_count: int) -> int:
    """``dev_count`` scaled to the active profile (never below 10)."""
    return max(10, round(dev_count * settings.default.max_examples / DEV_EXAMPLES))
