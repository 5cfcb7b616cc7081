"""What page callbacks may use: the shared services and the org tree cache."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.services import Services
from dashboard.settings import Settings
from dashboard.tree_cache import TreeCache
from streams.live_state import StateRules


def state_rules(settings: Settings) -> StateRules:
    """When a staff member counts as offline or low on battery, from the settings."""
    return StateRules(
        offline_after_s=settings.offline_after_s, low_battery_pct=settings.low_battery_pct
    )


@dataclass(frozen=True)
class AppContext:
    services: Services
    tree: TreeCache

    @property
    def rules(self) -> StateRules:
        return state_rules(self.services.settings)
