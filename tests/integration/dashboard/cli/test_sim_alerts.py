"""The simulated terminal confirms the alerts texted to its holder, once each."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from dashboard.cli.sim_alerts import AlertPlayer
from data.alerts.lifecycle import issue
from data.incidents.actors import Actor
from data.models import Delivery, OrgNode, Staff


def test_player_confirms_an_alert_texted_to_its_holder(running):
    token, staff_id = running.add_device("sim-alert-1")
    with running.app.services.sessions() as db:
        grid = db.scalar(
            select(OrgNode).join(Staff, Staff.node_id == OrgNode.id).where(Staff.id == staff_id)
        )
    player = AlertPlayer(running.url, random.Random(1))
    player.confirm(token)  # nothing texted yet
    assert player.acknowledged == 0

    now = dt.datetime.now(dt.UTC)
    with running.app.services.sessions.begin() as db:
        alert_id = issue(
            db,
            Actor(role="duty_officer", name="值班员", scope_path="/"),
            node_id=grid.id,
            level="blue",
            category="weather",
            title="大风蓝色预警",
            text="请检查高空悬挂物",
            valid_until=now + dt.timedelta(hours=2),
            now=now,
        ).alert.id
    for _ in range(20):  # a person confirms some polls later, not necessarily the first
        player.confirm(token)
    assert player.acknowledged == 1
    with running.app.services.sessions() as db:
        delivery = db.scalar(
            select(Delivery).where(Delivery.alert_id == alert_id, Delivery.staff_id == staff_id)
        )
        assert delivery is not None and delivery.acknowledged_via == "terminal"
