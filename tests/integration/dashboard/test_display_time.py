"""Every page, text and admin screen reads the configured display zone, not the server's.

Built with GRIDWATCH_DISPLAY_TIMEZONE=America/New_York (UTC-5 in winter), the duty
console, the alert's SMS text, the audit page and the login lockout all read New York
time: the zone is the deployment's choice, and China time is only its default.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dashboard.access import alerts as alert_access
from dashboard.access import audit as audit_access
from dashboard.access.alerts import IssueForm
from dashboard.auth.current import SessionUser
from data.models import AuditLog, Delivery, NodeKind, OrgNode, Role, User
from tests.support.accounts import make_user
from tests.support.running import Running

NEW_YORK = ZoneInfo("America/New_York")


def _officer(running: Running, node_id: int) -> SessionUser:
    username, _ = make_user(running.app.services.sessions, Role.DUTY_OFFICER, node_id)
    with running.app.services.sessions() as db:
        row = db.scalars(select(User).where(User.username == username)).one()
        return SessionUser(row.id, row.username, row.display_name, row.role, row.node_id)


@pytest.mark.parametrize("running", [{"display_timezone": "America/New_York"}], indirect=True)
def test_pages_and_texts_read_the_configured_zone(running: Running) -> None:
    services, tree = running.app.services, running.app.tree.get()
    with services.sessions() as db:
        community = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).first()
    assert community is not None
    who = _officer(running, community.id)
    form = IssueForm(
        node_id=community.id,
        level="yellow",
        category="flood",
        title="时区",
        text="核对",
        hours=24,
        target_levels=[],
    )
    with running.app.server.test_request_context("/duty"):
        outcome = alert_access.issue(services, tree, who, form, "zone-token-1")
        assert outcome.ok, outcome.message
        (summary,) = alert_access.live_alerts(services, tree, who) or []
        with services.sessions() as db:
            delivery = db.scalars(select(Delivery).where(Delivery.alert_id == outcome.alert_id))
            first = delivery.first()
            assert first is not None
            text = first.text
            audit = db.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
            assert audit is not None
            shown = audit_access.entry(audit, None)

    with services.sessions() as db:
        alert_until = db.scalar(
            select(Delivery.queued_at).where(Delivery.alert_id == outcome.alert_id)
        )
    assert alert_until is not None
    queued = alert_until.replace(tzinfo=dt.UTC) if alert_until.tzinfo is None else alert_until
    until_ny = (queued + dt.timedelta(hours=24)).astimezone(NEW_YORK)
    # the validity on the console and in the text, in New York time (a minute's slack)
    near = {(until_ny + dt.timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M") for m in (-1, 0, 1)}
    assert summary.valid_until in near, (summary.valid_until, near)
    assert any(f"有效至{moment[5:]}" in text for moment in near), text
    audit_at = audit.at.replace(tzinfo=dt.UTC) if audit.at.tzinfo is None else audit.at
    assert shown.at == audit_at.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M:%S")
