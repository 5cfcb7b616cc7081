"""The workflow as documentation: docs/incidents.md embeds these, a test keeps them equal."""

from __future__ import annotations

from data.incidents.actors import ACTOR_ROLE_LABELS, SYSTEM
from data.incidents.workflow import ACTIONS, ASSIGNEE_ONLY
from data.models import INCIDENT_STATE_LABELS, IncidentState, Role

#: columns of the actions × roles table (admin and wall are there to show they have none)
TABLE_ROLES = (
    Role.DUTY_OFFICER.value,
    Role.LEADER.value,
    Role.GRID_STAFF.value,
    SYSTEM,
    Role.ADMIN.value,
    Role.WALL.value,
)


def mermaid_state_diagram() -> str:
    """``stateDiagram-v2`` source: one arrow per (source state, action)."""
    lines = ["stateDiagram-v2", "    [*] --> reported: 上报 report"]
    for state in IncidentState:
        lines.append(f"    {state.value}: {state.value} {INCIDENT_STATE_LABELS[state]}")
    for name, spec in ACTIONS.items():
        for source in sorted(spec.sources, key=list(IncidentState).index):
            lines.append(f"    {source.value} --> {spec.target.value}: {spec.label} {name}")
    for state in (
        IncidentState.CLOSED,
        IncidentState.REJECTED,
        IncidentState.DUPLICATE,
        IncidentState.TRANSFERRED,
    ):
        lines.append(f"    {state.value} --> [*]")
    return "\n".join(lines)


def actions_markdown_table() -> str:
    """Actions × roles, with the states each action leaves from and leads to."""
    head = ["操作 action", "从 from", "到 to", *(ACTOR_ROLE_LABELS[r] for r in TABLE_ROLES)]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, spec in ACTIONS.items():
        sources = ", ".join(s.value for s in sorted(spec.sources, key=list(IncidentState).index))
        marks = []
        for role in TABLE_ROLES:
            mark = "✓" if role in spec.roles else ""
            if mark and role == Role.GRID_STAFF.value and name in ASSIGNEE_ONLY:
                mark = "✓ (assignee)"
            marks.append(mark)
        cells = [f"{spec.label} `{name}`", sources, spec.target.value, *marks]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
