"""What page callbacks may use: the shared services and the org tree cache."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dashboard.services import Services
from streams.live_state import StateRules

if TYPE_CHECKING:
    from dashboard.app import TreeCache


@dataclass(frozen=True)
class AppContext:
    services: Services
    tree: TreeCache

    @property
    def rules(self) -> StateRules:
        s = self.services.settings
        return StateRules(offline_after_s=s.offline_after_s, low_battery_pct=s.low_battery_pct)
