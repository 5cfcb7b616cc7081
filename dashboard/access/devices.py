"""Terminal administration from the web: scope-bounded, audited, live at once.

Like the CLI (dashboard/cli/devices.py) the record changes first and the Redis
mirror is updated after the commit, so a revoked token is refused by every
server process at once. A token is returned exactly once, to be shown once. The
writes are commands (dashboard/access/base.py); the SQL lives in data/devices.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import redis
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import AuditEntry, Command, FormToken, Problem, Refused, require
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time
from dashboard.services import Services
from data import devices
from data.models import POST_LABELS, Device, DeviceStatus, Staff
from data.org_tree import OrgTree
from streams import device_registry

log = logging.getLogger("gridwatch.scope")

MAX_LISTED = 1000
NO_DEVICES = "无权管理终端"
STATUS_LABELS = {DeviceStatus.ACTIVE: "在用", DeviceStatus.REVOKED: "已注销"}


@dataclass(frozen=True)
class DeviceView:
    id: int
    identifier: str
    staff: str
    grid: str
    active: bool
    created: str
    changed: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[DeviceStatus.ACTIVE if self.active else DeviceStatus.REVOKED]


@dataclass(frozen=True)
class TokenShownOnce:
    identifier: str
    token: str
    live: bool


def _scope_path(tree: OrgTree, who: SessionUser) -> str:
    return require(tree, who, Perm.MANAGE_DEVICES, NO_DEVICES).path


def _local(moment: dt.datetime | None) -> str:
    return display_time(moment, empty="")


def devices_in_scope(services: Services, tree: OrgTree, who: SessionUser) -> list[DeviceView]:
    path = _scope_path(tree, who)
    with services.sessions() as db:
        rows = devices.devices_in_subtree(db, path, MAX_LISTED)
    return [
        DeviceView(
            d.id,
            d.identifier,
            f"{s.name}（{POST_LABELS[s.post]}）",
            tree.place_name(s.node_id, fallback=grid),
            d.status == DeviceStatus.ACTIVE,
            _local(d.created_at),
            _local(d.revoked_at or d.rotated_at),
        )
        for d, s, grid in rows
    ]


def staff_options(
    services: Services, tree: OrgTree, who: SessionUser, search: str = "", limit: int = 50
) -> list[dict[str, object]]:
    """Staff in scope for the holder picker: name, post and grid; searched by name or id."""
    path = _scope_path(tree, who)
    with services.sessions() as db:
        rows = devices.holders_in_subtree(db, path, (search or "").strip(), limit)
    return [
        {
            "label": f"{name} · {POST_LABELS[post]} · "
            f"{tree.place_name(node_id, fallback=grid)}（{sid}）",
            "value": sid,
        }
        for sid, name, post, node_id, grid in rows
    ]


def _refused(who: SessionUser, what: str, asked: object, message: str) -> Refused:
    log.warning(
        "scope: admin %s asked for %s %s outside node %s", who.username, what, asked, who.node_id
    )
    return Refused(message)


def _staff_in_scope(db: Session, who: SessionUser, path: str, staff_id: int | None) -> Staff:
    staff = devices.staff_in_subtree(db, path, staff_id)
    if staff is None:
        raise _refused(who, "staff", staff_id, "请选择您管辖范围内的持有人")
    return staff


def _device_in_scope(db: Session, who: SessionUser, path: str, device_id: int) -> Device:
    device = devices.device_in_subtree(db, path, device_id)
    if device is None:
        raise _refused(who, "device", device_id, "该终端不存在或不在您的管辖范围内")
    return device


def _publish(services: Services, info: devices.DeviceInfo, old_hash: str | None = None) -> bool:
    """Update the live mirror after the commit; False when Redis is unreachable."""
    try:
        device_registry.publish(services.redis, info, old_hash)
    except redis.RedisError:
        log.exception("device mirror update failed for %s", info.identifier)
        return False
    return True


@dataclass(frozen=True)
class Changed:
    """What a device command did: the record (for the mirror), the new token, the audit facts."""

    info: devices.DeviceInfo
    token: str
    device_id: int
    staff_id: int
    old_hash: str | None = None


@dataclass
class _DeviceCommand(Command[Changed]):
    """A terminal change in the admin's subtree, audited as ``action``."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    address: str

    action = ""

    def validate(self) -> list[Problem]:
        _scope_path(self.tree, self.who)  # no permission: refused before anything else
        return []

    def run(self, token: FormToken | None = None) -> Changed:
        """The record's own refusals (a taken identifier, a revoked device) as :class:`Refused`."""
        try:
            return super().run(token)
        except devices.DeviceError as exc:
            raise Refused(str(exc)) from exc

    def audit(self, result: Changed) -> AuditEntry:
        detail = {"identifier": result.info.identifier, "staff_id": result.staff_id}
        return AuditEntry(
            self.action, "device", result.device_id, result.info.grid_id, detail, self.address
        )


@dataclass
class EnrolDevice(_DeviceCommand):
    identifier: str = ""
    staff_id: int | None = None
    action = "device_add"

    def execute(self, db: Session) -> Changed:
        staff = _staff_in_scope(db, self.who, _scope_path(self.tree, self.who), self.staff_id)
        issued = devices.add_device(db, self.identifier or "", staff.id)
        return Changed(issued.device, issued.token, issued.device.device_id, staff.id)


@dataclass
class RotateDevice(_DeviceCommand):
    device_id: int = 0
    action = "device_rotate"

    def execute(self, db: Session) -> Changed:
        device = _device_in_scope(db, self.who, _scope_path(self.tree, self.who), self.device_id)
        issued, old_hash = devices.rotate_token(db, device.identifier)
        return Changed(issued.device, issued.token, device.id, device.staff_id, old_hash)


@dataclass
class RevokeDevice(_DeviceCommand):
    device_id: int = 0
    action = "device_revoke"

    def execute(self, db: Session) -> Changed:
        device = _device_in_scope(db, self.who, _scope_path(self.tree, self.who), self.device_id)
        info = devices.revoke_device(db, device.identifier)
        return Changed(info, "", device.id, device.staff_id)


def add_device(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    identifier: str,
    staff_id: int | None,
    address: str,
) -> TokenShownOnce:
    done = EnrolDevice(services.sessions, tree, who, address, identifier, staff_id).run()
    return TokenShownOnce(done.info.identifier, done.token, _publish(services, done.info))


def rotate_device(
    services: Services, tree: OrgTree, who: SessionUser, device_id: int, address: str
) -> TokenShownOnce:
    done = RotateDevice(services.sessions, tree, who, address, device_id).run()
    live = _publish(services, done.info, done.old_hash)
    return TokenShownOnce(done.info.identifier, done.token, live)


def revoke_device(
    services: Services, tree: OrgTree, who: SessionUser, device_id: int, address: str
) -> tuple[str, bool]:
    """Revoke; returns (identifier, whether the live mirror refuses it already)."""
    done = RevokeDevice(services.sessions, tree, who, address, device_id).run()
    return done.info.identifier, _publish(services, done.info)
