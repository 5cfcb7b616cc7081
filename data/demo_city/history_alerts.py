"""Generated alerts of the past: issued at communities, texted to their staff, acknowledged.

Each alert is issued by the duty desk, texted to every staff member of the community
(one ``sms_batch`` and one delivery each, as ``data.alerts.deliveries.queue`` writes
them), acknowledged by most — quickly in good areas, late or never in poor ones — and
lifted or left to expire. Only alerts whose whole life lies inside the window are
made, so none is still live (``active_key`` stays NULL) and nothing needs the sweep.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from data.alerts.categories import ALERT_CATEGORIES
from data.alerts.states import ACKNOWLEDGE, EXPIRE, ISSUE, LIFT
from data.demo_city.history_world import GridInfo, NodeInfo
from data.demo_city.ids import IdCounters
from data.incidents.actors import SYSTEM
from data.models import AlertLevel, AlertState, DeliveryState, Role

#: alerts per community per month, on average
ALERTS_PER_COMMUNITY_MONTH = 1.2
LEVEL_WEIGHTS = {
    AlertLevel.BLUE: 40,
    AlertLevel.YELLOW: 33,
    AlertLevel.ORANGE: 19,
    AlertLevel.RED: 8,
}
VALID_HOURS = (6, 12, 24, 48)
ISSUER = "值班员"


@dataclass(slots=True)
class MonthAlerts:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    batches: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Rows per table, parents first."""
        return {
            "alert": self.alerts,
            "alert_action": self.actions,
            "sms_batch": self.batches,
            "alert_delivery": self.deliveries,
        }


@dataclass(frozen=True, slots=True)
class _Alert:
    id: int
    community: NodeInfo
    category: str
    level: AlertLevel
    issued: dt.datetime
    valid_until: dt.datetime
    #: lifted (True) at ``closed`` or expired there
    lifted: bool
    closed: dt.datetime

    @property
    def title(self) -> str:
        return f"{self.community.name}{ALERT_CATEGORIES[self.category]}预警"


class AlertMaker:
    def __init__(self, end: dt.datetime, ids: IdCounters) -> None:
        self.end = end
        self.ids = ids
        self.levels = list(LEVEL_WEIGHTS)
        self.weights = list(LEVEL_WEIGHTS.values())

    def community_month(
        self,
        community: NodeInfo,
        grids: list[GridInfo],
        span: tuple[dt.datetime, dt.datetime],
        rng: random.Random,
        out: MonthAlerts,
    ) -> None:
        """The alerts issued at ``community`` during ``span``, each with its texts."""
        start, stop = span
        count = int(ALERTS_PER_COMMUNITY_MONTH * rng.uniform(0.3, 1.7) + rng.random())
        seconds = (stop - start).total_seconds()
        for issued in sorted(
            start + dt.timedelta(seconds=round(rng.random() * seconds)) for _ in range(count)
        ):
            hours = rng.choice(VALID_HOURS)
            valid_until = issued + dt.timedelta(hours=hours)
            lifted = rng.random() < 0.6
            closed = (
                issued + dt.timedelta(hours=hours * rng.uniform(0.3, 0.9))
                if lifted
                else valid_until
            )
            if valid_until >= self.end:
                continue  # would still be live at the end of the window
            alert = _Alert(
                self.ids.next("alert"),
                community,
                rng.choice(sorted(ALERT_CATEGORIES)),
                rng.choices(self.levels, self.weights)[0],
                issued,
                valid_until,
                lifted,
                closed,
            )
            self._alert(alert, grids, rng, out)

    def _alert(
        self, alert: _Alert, grids: list[GridInfo], rng: random.Random, out: MonthAlerts
    ) -> None:
        issue = self._action(alert, ISSUE, (ISSUER, Role.DUTY_OFFICER.value), alert.issued, None)
        issue["to_state"] = AlertState.ACTIVE.value
        text = f"【{alert.title}】{alert.level.value}级预警，请立即核实并回复签收。"
        batch_id = self.ids.next("sms_batch")
        deliveries = [
            self._delivery(alert, issue["id"], batch_id, grid, staff_index, text, rng)
            for grid in grids
            for staff_index in range(len(grid.staff))
        ]
        acks = sorted(
            (d["acknowledged_at"], d["staff_name"]) for d in deliveries if d["acknowledged_at"]
        )
        actions = [issue]
        state = AlertState.ACTIVE
        if acks:
            first = self._action(alert, ACKNOWLEDGE, (acks[0][1], "staff"), acks[0][0], state)
            state = AlertState.ACKNOWLEDGED
            first["to_state"] = state.value
            actions.append(first)
        closing = (ISSUER, Role.DUTY_OFFICER.value) if alert.lifted else ("系统", SYSTEM)
        last = self._action(alert, LIFT if alert.lifted else EXPIRE, closing, alert.closed, state)
        final = AlertState.LIFTED if alert.lifted else AlertState.EXPIRED
        last["to_state"] = final.value
        actions.append(last)
        for seq, action in enumerate(actions, start=1):
            action["seq"] = seq
        for d in deliveries:
            del d["staff_name"]
        out.alerts.append(_alert_row(alert, final, acks[0][0] if acks else None, len(actions)))
        out.actions.extend(actions)
        out.batches.append(_batch_row(alert, batch_id, issue["id"], text, len(deliveries)))
        out.deliveries.extend(deliveries)

    def _action(
        self,
        alert: _Alert,
        action: str,
        actor: tuple[str, str],
        at: dt.datetime,
        before: AlertState | None,
    ) -> dict[str, Any]:
        return {
            "id": self.ids.next("alert_action"),
            "alert_id": alert.id,
            "seq": 0,
            "action": action,
            "at": at,
            "actor": actor[0],
            "actor_role": actor[1],
            "actor_user_id": None,
            "from_state": None if before is None else before.value,
            "to_state": "",
            "from_level": None if before is None else alert.level.value,
            "to_level": alert.level.value,
            "from_valid_until": None if before is None else alert.valid_until,
            "to_valid_until": alert.valid_until,
            "message": None,
        }

    def _delivery(
        self,
        alert: _Alert,
        action_id: int,
        batch_id: int,
        grid: GridInfo,
        staff_index: int,
        text: str,
        rng: random.Random,
    ) -> dict[str, Any]:
        """One text: sent within seconds, acknowledged by most (late in poor areas), or never."""
        staff = grid.staff[staff_index]
        sent = alert.issued + dt.timedelta(seconds=rng.uniform(2, 30))
        delivered = sent + dt.timedelta(seconds=rng.uniform(1, 20))
        acked: dt.datetime | None = None
        if rng.random() < 0.45 + 0.5 * grid.quality:
            median = 240 * (2.3 - 1.6 * grid.quality)
            acked = delivered + dt.timedelta(seconds=median * math.exp(rng.gauss(0.0, 1.0)))
            if acked >= alert.closed:
                acked = None  # too late: the alert was over
        return {
            "id": self.ids.next("alert_delivery"),
            "alert_id": alert.id,
            "action_id": action_id,
            "batch_id": batch_id,
            "staff_id": staff.id,
            "phone": staff.phone,
            "text": text,
            "state": (DeliveryState.ACKNOWLEDGED if acked else DeliveryState.DELIVERED).value,
            "attempts": 1,
            "next_attempt_at": alert.issued,
            "claimed_by": None,
            "claimed_at": None,
            "last_error": None,
            "queued_at": alert.issued,
            "sent_at": sent,
            "delivered_at": delivered,
            "acknowledged_at": acked,
            "acknowledged_via": None if acked is None else rng.choice(("terminal", "sms")),
            "failed_at": None,
            "staff_name": staff.name,
        }


def _alert_row(
    alert: _Alert, state: AlertState, acknowledged_at: dt.datetime | None, last_seq: int
) -> dict[str, Any]:
    return {
        "id": alert.id,
        "node_id": alert.community.id,
        "node_path": alert.community.path,
        "category": alert.category,
        "level": alert.level.value,
        "title": alert.title,
        "text": f"{alert.title}：请各网格加强巡查，发现险情立即上报。",
        "target_levels": [],
        "state": state.value,
        "active_key": None,
        "valid_until": alert.valid_until,
        "issued_at": alert.issued,
        "issued_by": ISSUER,
        "acknowledged_at": acknowledged_at,
        "lifted_at": alert.closed if alert.lifted else None,
        "expired_at": None if alert.lifted else alert.closed,
        "updated_at": alert.closed,
        "last_seq": last_seq,
    }


def _batch_row(
    alert: _Alert, batch_id: int, action_id: int, text: str, recipients: int
) -> dict[str, Any]:
    return {
        "id": batch_id,
        "source": "alert",
        "text": text,
        "author": ISSUER,
        "author_user_id": None,
        "scope_path": alert.community.path,
        "folder": "sent",
        "created_at": alert.issued,
        "folder_changed_at": None,
        "recipient_count": recipients,
        "client_token": f"history-alert-action-{action_id}",
        "alert_id": alert.id,
        "action_id": action_id,
    }
