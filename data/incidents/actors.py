"""Who acts on an incident: role, identity and the subtree they may act in."""

from __future__ import annotations

from dataclasses import dataclass

from data.models import ROLE_LABELS

#: the sweep that escalates lapsed incidents; not a stored user
SYSTEM = "system"
#: a member of the public reporting through Open311 or SMS; not a stored user
CITIZEN = "citizen"

ACTOR_ROLE_LABELS: dict[str, str] = {
    **{role.value: label for role, label in ROLE_LABELS.items()},
    SYSTEM: "系统",
    CITIZEN: "市民",
}


@dataclass(frozen=True)
class Actor:
    """The acting person as the caller authenticated them; the workflow trusts no request ids.

    ``scope_path`` is the materialized path of the actor's node ("/1/4/"): they may act
    only on incidents whose node lies under it. ``user_id``/``staff_id`` identify the
    person for the assignee and "not the handler" rules.
    """

    role: str
    name: str
    scope_path: str = "/"
    user_id: int | None = None
    staff_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(role=SYSTEM, name="系统", scope_path="/")

    @property
    def role_label(self) -> str:
        return ACTOR_ROLE_LABELS.get(self.role, self.role)

    def same_person(self, user_id: int | None, staff_id: int | None) -> bool:
        """True when either identity matches (a person may act as user or as staff)."""
        return (self.user_id is not None and self.user_id == user_id) or (
            self.staff_id is not None and self.staff_id == staff_id
        )
