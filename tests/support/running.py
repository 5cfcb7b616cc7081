"""A running Gridwatch for integration tests: app, real HTTP server thread, helpers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dashboard.app import GridwatchApp
from dashboard.web.server import ServerThread
from data import devices
from data.models import Staff
from streams import device_registry


@dataclass
class Running:
    app: GridwatchApp
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.url

    def add_device(self, identifier: str, staff_index: int = 0) -> tuple[str, int]:
        """Register a terminal for the n-th staff member; returns (token, staff id)."""
        with self.app.services.sessions.begin() as session:
            staff_id = session.scalars(select(Staff.id).order_by(Staff.id)).all()[staff_index]
            issued = devices.add_device(session, identifier, staff_id)
        device_registry.publish(self.app.services.redis, issued.device)
        return issued.token, staff_id
