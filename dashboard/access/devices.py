"""Terminal administration from the web: scope-bounded, audited, live at once.

Like the CLI (dashboard/cli/devices.py) the record changes first and the Redis
mirror is updated after the commit, so a revoked token is refused by every
server process at once. A token is returned exactly once, to be shown once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.access.users import AdminError, place
from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, scope_root
from dashboard.auth.permissions import Perm
from dashboard.display_time import display_time
from dashboard.services import Services
from data import devices
from data.models import POST_LABELS, Device, DeviceStatus, OrgNode, Staff
from data.org_tree import OrgTree
from streams import device_registry

log = logging.getLogger("gridwatch.scope")

MAX_LISTED = 1000
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
    if not who.can(Perm.MANAGE_DEVICES):
        raise AdminError("无权管理终端")
    scope = scope_root(tree, who)
    if scope is None:
        raise AdminError("您的管辖节点不存在")
    return scope.path


def _local(moment: dt.datetime | None) -> str:
    return display_time(moment, empty="")


def devices_in_scope(services: Services, tree: OrgTree, who: SessionUser) -> list[DeviceView]:
    path = _scope_path(tree, who)
    with services.sessions() as db:
        rows = db.execute(
            select(Device, Staff, OrgNode.name)
            .join(Staff, Staff.id == Device.staff_id)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(path, autoescape=True))
            .order_by(Device.id.desc())
            .limit(MAX_LISTED)
        ).all()
    return [
        DeviceView(
            d.id,
            d.identifier,
            f"{s.name}（{POST_LABELS[s.post]}）",
            place(tree, s.node_id, grid),
            d.status == DeviceStatus.ACTIVE,
            _local(d.created_at),
            _local(d.revoked_at or d.rotated_at),
        )
        for d, s, grid in rows
    ]


def staff_options(
    services: Services, tree: OrgTree, who: SessionUser, search: str = "", limit: int = 50
) -> list[dict]:
    """Staff in scope for the holder picker: name, post and grid; searched by name or id."""
    path = _scope_path(tree, who)
    query = (
        select(Staff.id, Staff.name, Staff.post, Staff.node_id, OrgNode.name)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True), Staff.active.is_(True))
        .order_by(Staff.id)
        .limit(limit)
    )
    search = (search or "").strip()
    if search.isdigit():
        query = query.where(Staff.id == int(search))
    elif search:
        query = query.where(Staff.name.contains(search, autoescape=True))
    with services.sessions() as db:
        rows = db.execute(query).all()
    return [
        {
            "label": f"{name} · {POST_LABELS[post]} · {place(tree, node_id, grid)}（{sid}）",
            "value": sid,
        }
        for sid, name, post, node_id, grid in rows
    ]


def _staff_in_scope(db: Session, who: SessionUser, path: str, staff_id: int | None) -> Staff:
    staff = db.scalar(
        select(Staff)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Staff.id == staff_id, OrgNode.path.startswith(path, autoescape=True))
    )
    if staff is None:
        log.warning(
            "scope: admin %s asked for staff %s outside node %s",
            who.username,
            staff_id,
            who.node_id,
        )
        raise AdminError("请选择您管辖范围内的持有人")
    return staff


def _device_in_scope(db: Session, who: SessionUser, path: str, device_id: int) -> Device:
    device = db.scalar(
        select(Device)
        .join(Staff, Staff.id == Device.staff_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Device.id == device_id, OrgNode.path.startswith(path, autoescape=True))
    )
    if device is None:
        log.warning(
            "scope: admin %s asked for device %s outside node %s",
            who.username,
            device_id,
            who.node_id,
        )
        raise AdminError("该终端不存在或不在您的管辖范围内")
    return device


def _publish(services: Services, info: devices.DeviceInfo, old_hash: str | None = None) -> bool:
    """Update the live mirror after the commit; False when Redis is unreachable."""
    try:
        device_registry.publish(services.redis, info, old_hash)
    except redis.RedisError:
        log.exception("device mirror update failed for %s", info.identifier)
        return False
    return True


def _audit(db: Session, who: SessionUser, action: str, device: Device, node_id: int, address: str):  # type: ignore[no-untyped-def]
    record_action(
        db,
        who,
        action,
        target_type="device",
        target_id=device.id,
        node_id=node_id,
        address=address,
        detail={"identifier": device.identifier, "staff_id": device.staff_id},
    )


def add_device(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    identifier: str,
    staff_id: int | None,
    address: str,
) -> TokenShownOnce:
    path = _scope_path(tree, who)
    try:
        with services.sessions.begin() as db:
            staff = _staff_in_scope(db, who, path, staff_id)
            issued = devices.add_device(db, identifier or "", staff.id)
            device = db.get(Device, issued.device.device_id)
            _audit(db, who, "device_add", device, staff.node_id, address)  # type: ignore[arg-type]
    except devices.DeviceError as exc:
        raise AdminError(str(exc)) from exc
    live = _publish(services, issued.device)
    return TokenShownOnce(issued.device.identifier, issued.token, live)


def rotate_device(
    services: Services, tree: OrgTree, who: SessionUser, device_id: int, address: str
) -> TokenShownOnce:
    path = _scope_path(tree, who)
    try:
        with services.sessions.begin() as db:
            device = _device_in_scope(db, who, path, device_id)
            issued, old_hash = devices.rotate_token(db, device.identifier)
            _audit(db, who, "device_rotate", device, issued.device.grid_id, address)
    except devices.DeviceError as exc:
        raise AdminError(str(exc)) from exc
    live = _publish(services, issued.device, old_hash)
    return TokenShownOnce(issued.device.identifier, issued.token, live)


def revoke_device(
    services: Services, tree: OrgTree, who: SessionUser, device_id: int, address: str
) -> tuple[str, bool]:
    """Revoke; returns (identifier, whether the live mirror refuses it already)."""
    path = _scope_path(tree, who)
    try:
        with services.sessions.begin() as db:
            device = _device_in_scope(db, who, path, device_id)
            info = devices.revoke_device(db, device.identifier)
            _audit(db, who, "device_revoke", device, info.grid_id, address)
    except devices.DeviceError as exc:
        raise AdminError(str(exc)) from exc
    return info.identifier, _publish(services, info)
