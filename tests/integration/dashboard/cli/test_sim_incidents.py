"""The simulated terminal files reports and hands back what is dispatched to it."""

from __future__ import annotations

import random

from sqlalchemy import select

from dashboard.cli.sim_incidents import IncidentPlayer
from data.incidents.actors import Actor
from data.incidents.workflow import apply
from data.models import Incident, IncidentSource, IncidentState, OrgNode, Staff


def test_player_reports_then_starts_and_hands_back_a_dispatched_incident(running):
    token, staff_id = running.add_device("sim-inc-1")
    with running.app.services.sessions() as db:
        grid = db.scalar(
            select(OrgNode).join(Staff, Staff.node_id == OrgNode.id).where(Staff.id == staff_id)
        )
    player = IncidentPlayer(running.url, random.Random(3))
    player.report(token, grid.center_lat, grid.center_lon)
    assert player.reported == 1
    with running.app.services.sessions.begin() as db:
        incident = db.scalar(select(Incident).where(Incident.reporter_staff_id == staff_id))
        assert incident.source == IncidentSource.TERMINAL and incident.node_id == grid.id
        desk = Actor(role="duty_officer", name="值班员", scope_path="/")
        apply(db, incident.id, "accept", desk)
        apply(db, incident.id, "dispatch", desk, assignee_staff_id=staff_id)
        incident_id = incident.id
    player.advance(token)  # dispatched -> in progress
    player.advance(token)  # in progress -> handled, with a note
    with running.app.services.sessions() as db:
        incident = db.get(Incident, incident_id)
        assert incident.state == IncidentState.HANDLED
    assert player.advanced == 2
    player.advance(token)  # nothing left assigned
    assert player.advanced == 2
