"""What a seeding run produced, for the CLI to print and tests to check."""

from __future__ import annotations

from dataclasses import dataclass

from data.demo_city.history import HistoryReport


@dataclass(frozen=True, slots=True)
class SeedReport:
    """Row counts per table (org nodes per kind) and the wall-clock time taken."""

    scale: str
    seed: int
    cities: int
    districts: int
    streets: int
    communities: int
    grids: int
    staff: int
    compounds: int
    buildings: int
    houses: int
    households: int
    residents: int
    elapsed_s: float
    #: what the generated history wrote (None: no history asked for)
    history: HistoryReport | None = None

    @property
    def nodes(self) -> int:
        """All org_node rows."""
        return self.cities + self.districts + self.streets + self.communities + self.grids

    @property
    def nodes_by_kind(self) -> dict[str, int]:
        """org_node rows keyed by NodeKind value."""
        return {
            "city": self.cities,
            "district": self.districts,
            "street": self.streets,
            "community": self.communities,
            "grid": self.grids,
        }

    @property
    def total_rows(self) -> int:
        """Every row of the city written (gw_meta and the history excluded)."""
        return (
            self.nodes
            + self.staff
            + self.compounds
            + self.buildings
            + self.houses
            + self.households
            + self.residents
        )
