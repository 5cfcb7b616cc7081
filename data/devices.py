"""Terminal registration in the record: tokens are shown once and stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Device, DeviceStatus, OrgNode, Post, Staff


class DeviceError(ValueError):
    """A device command that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class DeviceInfo:
    """What the ingest path needs to know about a terminal."""

    device_id: int
    identifier: str
    staff_id: int
    grid_id: int
    token_hash: str
    active: bool


@dataclass(frozen=True)
class IssuedToken:
    device: DeviceInfo
    token: str  # plaintext: shown once, never stored


def hash_token(token: str) -> str:
    """SHA-256 is right for 256-bit random tokens (unlike passwords, no stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "gwt_" + secrets.token_urlsafe(32)


def _info(device: Device, grid_id: int) -> DeviceInfo:
    return DeviceInfo(
        device_id=device.id,
        identifier=device.identifier,
        staff_id=device.staff_id,
        grid_id=grid_id,
        token_hash=device.token_hash,
        active=device.status == DeviceStatus.ACTIVE,
    )


def _grid_of(session: Session, device: Device) -> int:
    """The grid of the device's holder (a foreign key: the holder always exists)."""
    holder = session.get(Staff, device.staff_id)
    assert holder is not None
    return holder.node_id


def add_device(session: Session, identifier: str, staff_id: int) -> IssuedToken:
    identifier = identifier.strip()
    if not identifier or len(identifier) > 64:
        raise DeviceError("设备标识必须为 1–64 个字符 (identifier must be 1-64 characters)")
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise DeviceError(f"人员 {staff_id} 不存在 (no staff with id {staff_id})")
    if session.scalar(select(Device.id).where(Device.identifier == identifier)) is not None:
        raise DeviceError(f"设备标识 {identifier!r} 已登记 (identifier already registered)")
    token = new_token()
    device = Device(identifier=identifier, token_hash=hash_token(token), staff_id=staff_id)
    session.add(device)
    session.flush()
    return IssuedToken(_info(device, staff.node_id), token)


def _get(session: Session, identifier: str) -> Device:
    device = session.scalar(select(Device).where(Device.identifier == identifier))
    if device is None:
        raise DeviceError(f"设备 {identifier!r} 未登记 (unknown device)")
    return device


def rotate_token(session: Session, identifier: str) -> tuple[IssuedToken, str]:
    """Give a device a new token; returns it and the old hash (to drop from caches)."""
    device = _get(session, identifier)
    if device.status != DeviceStatus.ACTIVE:
        raise DeviceError(f"设备 {identifier!r} 已注销 (device is revoked)")
    old_hash = device.token_hash
    token = new_token()
    device.token_hash = hash_token(token)
    device.rotated_at = dt.datetime.now(dt.UTC)
    session.flush()
    grid_id = _grid_of(session, device)
    return IssuedToken(_info(device, grid_id), token), old_hash


def revoke_device(session: Session, identifier: str) -> DeviceInfo:
    device = _get(session, identifier)
    device.status = DeviceStatus.REVOKED
    device.revoked_at = dt.datetime.now(dt.UTC)
    session.flush()
    grid_id = _grid_of(session, device)
    return _info(device, grid_id)


def active_devices(session: Session) -> list[DeviceInfo]:
    rows = session.execute(
        select(Device, Staff.node_id)
        .join(Staff, Staff.id == Device.staff_id)
        .where(Device.status == DeviceStatus.ACTIVE)
        .order_by(Device.id)
    ).all()
    return [_info(device, grid_id) for device, grid_id in rows]


def list_devices(session: Session) -> list[tuple[Device, Staff]]:
    return list(session.execute(select(Device, Staff).join(Staff).order_by(Device.id)).tuples())


# -- scoped look-ups (the admin page): a terminal or holder is found only under a node ------


def devices_in_subtree(session: Session, path: str, limit: int) -> list[tuple[Device, Staff, str]]:
    """Terminals whose holder's grid lies under ``path``, newest first, with the grid's name."""
    rows = session.execute(
        select(Device, Staff, OrgNode.name)
        .join(Staff, Staff.id == Device.staff_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True))
        .order_by(Device.id.desc())
        .limit(limit)
    )
    return [(device, staff, grid) for device, staff, grid in rows]


def holders_in_subtree(
    session: Session, path: str, search: str, limit: int
) -> list[tuple[int, str, Post, int, str]]:
    """Active staff under ``path`` to hold a terminal: by id when ``search`` is digits,
    else by name; (id, name, post, node id, node name)."""
    query = (
        select(Staff.id, Staff.name, Staff.post, Staff.node_id, OrgNode.name)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(OrgNode.path.startswith(path, autoescape=True), Staff.active.is_(True))
        .order_by(Staff.id)
        .limit(limit)
    )
    if search.isdigit():
        query = query.where(Staff.id == int(search))
    elif search:
        query = query.where(Staff.name.contains(search, autoescape=True))
    return [(sid, name, post, node, grid) for sid, name, post, node, grid in session.execute(query)]


def staff_in_subtree(session: Session, path: str, staff_id: int | None) -> Staff | None:
    return session.scalar(
        select(Staff)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Staff.id == staff_id, OrgNode.path.startswith(path, autoescape=True))
    )


def device_in_subtree(session: Session, path: str, device_id: int) -> Device | None:
    return session.scalar(
        select(Device)
        .join(Staff, Staff.id == Device.staff_id)
        .join(OrgNode, OrgNode.id == Staff.node_id)
        .where(Device.id == device_id, OrgNode.path.startswith(path, autoescape=True))
    )
