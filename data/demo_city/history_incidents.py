"""Generated incidents with their full workflow history, obeying the workflow's own table.

Each incident is walked through time like the live system would move it: reported,
accepted, dispatched, started, handled, verified (or returned and handled again) and
closed by the roles ``data.incidents.workflow.ACTIONS`` allows, with the yellow and red
marks the deadline sweep would have written when its clock ran past ``yellow_at`` and
``deadline_at`` (``data.incidents.limits``), and the escalation to the parent node
where the category escalates automatically. Nothing is written after the window's
end, so incidents reported late in the window are still open, as they would be.

No outbox rows: the past is not pushed to the wall.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from data.demo_city.history_world import GridInfo, HistoryWorld, StaffInfo
from data.demo_city.ids import IdCounters
from data.demo_city.names import mobile_phone
from data.incidents.actors import CITIZEN, SYSTEM
from data.incidents.categories import CategoryConfig
from data.incidents.intake import tracking_number
from data.incidents.limits import deadline_for
from data.incidents.workflow import ACTIONS, CLOCK_RUNNING
from data.masking import mask_phone
from data.models import (
    HANDLING_LEVEL_OF_KIND,
    DeadlineStatus,
    HandlingLevel,
    IncidentSource,
    IncidentState,
    Post,
    Role,
)

#: incidents per grid per month, on average
INCIDENTS_PER_GRID_MONTH = 5.0
#: share of incidents refused or passed on at intake
REJECT_SHARE, TRANSFER_SHARE = 0.03, 0.015
#: at most this many returns before a result passes verification
MAX_RETURNS = 2

S = IncidentState
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Who:
    """The actor of a history row as the journal stores it."""

    name: str
    role: str
    staff_id: int | None = None


OFFICER = Who("值班员", Role.DUTY_OFFICER.value)
SYSTEM_ACTOR = Who("系统", SYSTEM)


def staff_actor(staff: StaffInfo) -> Who:
    return Who(staff.name, Role.GRID_STAFF.value, staff.id)


@dataclass(slots=True)
class Track:
    """One incident while its history is being written."""

    id: int
    category: str
    grid: GridInfo
    reported_at: dt.datetime
    node_id: int
    level: HandlingLevel
    started: dt.datetime
    yellow_at: dt.datetime
    deadline_at: dt.datetime
    state: IncidentState = S.REPORTED
    status: DeadlineStatus = DeadlineStatus.NONE
    assignee: StaffInfo | None = None
    last_at: dt.datetime = EPOCH
    stopped: bool = False
    returns: int = 0
    transferred_to: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class MonthIncidents:
    incidents: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


class IncidentMaker:
    """Incidents and history rows with sequential ids, for grids and months in a fixed order."""

    def __init__(
        self, world: HistoryWorld, config: CategoryConfig, end: dt.datetime, ids: IdCounters
    ) -> None:
        self.world = world
        self.config = config
        self.end = end
        self.ids = ids
        self.codes = sorted(config.categories)

    def grid_month(
        self,
        grid: GridInfo,
        start: dt.datetime,
        stop: dt.datetime,
        rng: random.Random,
        out: MonthIncidents,
    ) -> None:
        """The incidents reported in ``grid`` between ``start`` and ``stop``, in time order."""
        mean = INCIDENTS_PER_GRID_MONTH * (stop - start).days / 30.4
        count = int(mean * rng.uniform(0.6, 1.4) + rng.random())
        span = (stop - start).total_seconds()
        times = sorted(
            start + dt.timedelta(seconds=_office_second(rng, span)) for _ in range(count)
        )
        for at in times:
            incident, rows = self.incident(grid, at, rng)
            out.incidents.append(incident)
            out.history.extend(rows)

    def incident(
        self, grid: GridInfo, at: dt.datetime, rng: random.Random
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One incident row and its history rows."""
        category = rng.choice(self.codes)
        level = HandlingLevel.GRID
        yellow_at, deadline_at = deadline_for(self.config, category, level, at)
        track = Track(
            self.ids.next("incident"), category, grid, at, grid.id, level, at, yellow_at,
            deadline_at,
        )  # fmt: skip
        source, who, reporter = _reporter(grid, rng)
        lat, lon = grid.point(rng)
        report = self._record(track, "report", who, at, None, detail={"source": source.value})
        report.update(lat=lat, lon=lon)
        report["detail"]["deadline_at"] = deadline_at.isoformat()
        self._lifecycle(track, rng)
        row = {
            "id": track.id,
            "tracking_no": tracking_number(track.id, at),
            "category": category,
            "title": f"{self.config[category].name}：{grid.name}",
            "description": "",
            "source": source.value,
            "reporter_user_id": None,
            "lat": lat,
            "lon": lon,
            "address": None,
            "duplicate_of_id": None,
            "attachments": [],
            "created_at": at,
            **reporter,
            **_current(track),
        }
        return row, track.rows

    # -- the walk ----------------------------------------------------------------------

    def _lifecycle(self, t: Track, rng: random.Random) -> None:
        draw = rng.random()
        at = t.reported_at + dt.timedelta(minutes=rng.uniform(5, 120))
        if draw < REJECT_SHARE:
            self._step(t, "reject", OFFICER, at, note="不属于受理范围，已告知上报人")
            return
        if draw < REJECT_SHARE + TRANSFER_SHARE:
            t.transferred_to = "12345政务服务热线"
            self._step(t, "transfer", OFFICER, at, note=t.transferred_to)
            return
        for _ in range(len(HandlingLevel)):
            self._work_level(t, rng)
            if t.stopped or t.state is not S.ESCALATED:
                return  # closed, or the window ended

    def _work_level(self, t: Track, rng: random.Random) -> None:
        """Accept … close at the current level; returns early when stopped or escalated."""
        quality = t.grid.quality
        median = 0.2 + 0.5 * (1.0 - quality)  # share of the time limit the work takes
        total = (t.deadline_at - t.started) * (median * math.exp(rng.gauss(0.0, 0.4)))
        at = t.last_at
        if t.state in (S.REPORTED, S.ESCALATED):
            at += total * 0.08
            if not self._step(t, "accept", OFFICER, at):
                return
        assignee = t.assignee or _handler(t.grid, rng)
        at += total * 0.12
        if not self._step(t, "dispatch", OFFICER, at, assignee=assignee):
            return
        at += total * 0.15
        if not self._step(t, "start", staff_actor(assignee), at):
            return
        if t.level is HandlingLevel.GRID and rng.random() < 0.04 * (1.0 - quality):
            at += total * 0.2
            self._step(t, "escalate", staff_actor(assignee), at, note="超出网格处置能力，上报社区")
            return
        at += total * 0.65
        if not self._step(t, "handle", staff_actor(assignee), at, note="已按要求处置完毕"):
            return
        self._verify(t, rng, total)

    def _verify(self, t: Track, rng: random.Random, total: dt.timedelta) -> None:
        """Verify (or return and handle again, at most MAX_RETURNS times), then close."""
        assignee = t.assignee
        assert assignee is not None  # handled incidents have a handler
        return_share = 0.03 + 0.15 * (1.0 - t.grid.quality)
        at = t.last_at
        while t.returns < MAX_RETURNS and rng.random() < return_share:
            at += dt.timedelta(hours=rng.uniform(1, 24))
            if not self._step(t, "return", OFFICER, at, note="核查未通过，退回重新处置"):
                return
            t.returns += 1
            at += total * 0.3
            if not self._step(t, "handle", staff_actor(assignee), at, note="已重新处置"):
                return
            at = t.last_at
        at += dt.timedelta(hours=rng.uniform(0.5, 24))
        if self._step(t, "verify", OFFICER, at):
            self._step(t, "close", OFFICER, at + dt.timedelta(hours=rng.uniform(0.2, 12)))

    def _step(
        self,
        t: Track,
        action: str,
        who: Who,
        at: dt.datetime,
        *,
        note: str | None = None,
        assignee: StaffInfo | None = None,
    ) -> bool:
        """Take ``action`` at ``at`` if the clock and the window allow; False when not taken."""
        if t.stopped:
            return False
        until = min(at, self.end - dt.timedelta(microseconds=1))  # nothing at or after the end
        if self._lapse(t, until):
            return False  # escalated by the sweep: the next level takes over
        if at >= self.end:
            t.stopped = True
            return False
        spec = ACTIONS[action]
        if t.state not in spec.sources or who.role not in spec.roles:
            raise RuntimeError(f"history generator broke the workflow: {action} from {t.state}")
        if action == "escalate":
            self._escalate(t, who, at, note)
            return True
        detail: dict[str, Any] = {}
        if action == "dispatch":
            t.assignee = assignee
            detail["assignee_staff_id"] = None if assignee is None else assignee.id
        from_state, t.state = t.state, spec.target
        self._record(t, action, who, at, from_state, note=note, detail=detail)
        return True

    def _lapse(self, t: Track, until: dt.datetime) -> bool:
        """Write the sweep's marks due up to ``until``; True when the red mark escalated."""
        while t.state in CLOCK_RUNNING:
            yellow = max(t.yellow_at, t.last_at)
            if t.status is DeadlineStatus.NONE and yellow <= until and yellow < t.deadline_at:
                self._mark(t, DeadlineStatus.YELLOW, yellow)
                continue
            red = max(t.deadline_at, t.last_at)
            if t.status is not DeadlineStatus.RED and red <= until:
                self._mark(t, DeadlineStatus.RED, red)
                return self._auto_escalate(t, red)
            return False
        return False

    def _mark(self, t: Track, status: DeadlineStatus, at: dt.datetime) -> None:
        t.status = status
        detail = {
            "level": t.level.value,
            "yellow_at": t.yellow_at.isoformat(),
            "deadline_at": t.deadline_at.isoformat(),
        }
        self._record(t, f"deadline_{status.value}", SYSTEM_ACTOR, at, t.state, detail=detail)

    def _auto_escalate(self, t: Track, at: dt.datetime) -> bool:
        category = self.config[t.category]
        if not category.auto_escalate or self._parent_level(t) is None:
            return False
        self._escalate(t, SYSTEM_ACTOR, at, "超过办理时限，系统自动上报上一级")
        return True

    def _parent_level(self, t: Track) -> tuple[int, HandlingLevel] | None:
        parent_id = self.world.nodes[t.node_id].parent_id
        if parent_id is None:
            return None
        level = HANDLING_LEVEL_OF_KIND[self.world.nodes[parent_id].kind]
        return None if level is None else (parent_id, level)

    def _escalate(self, t: Track, who: Who, at: dt.datetime, note: str | None) -> None:
        """Move the incident to the parent node: that level's clock starts afresh."""
        parent = self._parent_level(t)
        if parent is None:
            raise RuntimeError(f"incident {t.id} cannot escalate above {t.level}")
        before, from_state = t.node_id, t.state
        t.node_id, t.level = parent
        t.started = at
        t.yellow_at, t.deadline_at = deadline_for(self.config, t.category, t.level, at)
        t.status, t.state, t.assignee = DeadlineStatus.NONE, S.ESCALATED, None
        detail = {"deadline_at": t.deadline_at.isoformat(), "level": t.level.value}
        self._record(t, "escalate", who, at, from_state, note=note, detail=detail, before=before)

    def _record(
        self,
        t: Track,
        action: str,
        who: Who,
        at: dt.datetime,
        from_state: IncidentState | None,
        *,
        note: str | None = None,
        detail: dict[str, Any] | None = None,
        before: int | None = None,
    ) -> dict[str, Any]:
        """Append the history row for the incident's current state (seq n + 1)."""
        seq = len(t.rows) + 1
        t.last_at = at
        row = {
            "id": self.ids.next("incident_history"),
            "incident_id": t.id,
            "seq": seq,
            "at": at,
            "actor": who.name,
            "actor_role": who.role,
            "actor_user_id": None,
            "actor_staff_id": who.staff_id,
            "action": action,
            "from_state": None if from_state is None else from_state.value,
            "to_state": t.state.value,
            "note": note,
            "lat": None,
            "lon": None,
            "node_before_id": None if from_state is None else (before or t.node_id),
            "node_after_id": t.node_id,
            "transition_id": f"history:{t.id}:{seq}",
            "attachments": [],
            "detail": detail or {},
        }
        t.rows.append(row)
        return row


def _current(t: Track) -> dict[str, Any]:
    """The incident row's fields that follow from where its history stopped."""
    return {
        "state": t.state.value,
        "node_id": t.node_id,
        "level": t.level.value,
        "assignee_staff_id": None if t.assignee is None else t.assignee.id,
        "level_started_at": t.started,
        "yellow_at": t.yellow_at,
        "deadline_at": t.deadline_at,
        "deadline_status": t.status.value,
        "transferred_to": t.transferred_to,
        "last_seq": len(t.rows),
        "updated_at": t.last_at,
    }


def _office_second(rng: random.Random, span: float) -> float:
    """A second of the span, mostly in the daytime (reports come in while people are about)."""
    second = rng.random() * span
    if rng.random() < 0.8:
        day_start = second - second % 86_400
        # 08:00–22:00 local: the window starts at a local midnight
        second = day_start + rng.uniform(8 * 3600, 22 * 3600)
    return round(min(second, span - 1))


def _handler(grid: GridInfo, rng: random.Random) -> StaffInfo:
    """The grid's 网格员 or 网格长 who takes the job."""
    handlers = [s for s in grid.staff if s.post in (Post.ASSISTANT, Post.GRID_MANAGER)]
    return rng.choice(handlers or list(grid.staff))


def _reporter(grid: GridInfo, rng: random.Random) -> tuple[IncidentSource, Who, dict[str, Any]]:
    """Mostly the grid's own staff (调查发现, more in better areas), else the public or the desk."""
    fields: dict[str, Any]
    if grid.staff and rng.random() < 0.45 + 0.4 * grid.quality:
        staff = rng.choice(grid.staff)
        fields = {"reporter_staff_id": staff.id, "reporter_name": None, "reporter_phone": None}
        return IncidentSource.TERMINAL, staff_actor(staff), fields
    draw = rng.random()
    if draw < 0.3:
        fields = {"reporter_staff_id": None, "reporter_name": None, "reporter_phone": None}
        return IncidentSource.DESK, OFFICER, fields
    phone = mobile_phone(rng)
    source = IncidentSource.SMS if draw < 0.55 else IncidentSource.OPEN311
    fields = {"reporter_staff_id": None, "reporter_name": None, "reporter_phone": phone}
    return source, Who(f"市民 {mask_phone(phone)}", CITIZEN), fields
