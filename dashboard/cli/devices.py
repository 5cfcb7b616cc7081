"""Device commands for the CLI (and later the admin page): record first, then the live mirror."""

from __future__ import annotations

from collections.abc import Iterator

import redis
from sqlalchemy.orm import Session, sessionmaker

from dashboard.cli.users import CLI_ACTOR
from dashboard.runtime.embedded_redis import running_embedded_url
from dashboard.services import make_redis
from dashboard.settings import Settings
from data import audit, devices
from data.db import migrated_sessions
from streams import device_registry


def _live_redis(settings: Settings) -> redis.Redis | None:
    """The Redis the servers use, if one is reachable; else they sync at start-up."""
    url = settings.redis_url or running_embedded_url(settings.var_dir / "redis")
    return make_redis(url, settings) if url else None


def _sessions(settings: Settings) -> sessionmaker[Session]:
    return migrated_sessions(settings.resolved_database_url())


def _mirror(settings: Settings, info: devices.DeviceInfo, old_hash: str | None = None) -> str:
    r = _live_redis(settings)
    if r is None:
        return "（服务未运行：下次启动时生效）"
    try:
        device_registry.publish(r, info, old_hash)
    except redis.RedisError as exc:
        return f"（实时库暂不可达，下次启动时生效：{exc}）"
    return "（已即时生效）"


def _audit(session: Session, action: str, info: devices.DeviceInfo) -> None:
    audit.record(
        session,
        actor=CLI_ACTOR,
        action=action,
        target_type="device",
        target_id=info.identifier,
        node_id=info.grid_id,
        detail={"staff_id": info.staff_id},
    )


def add(settings: Settings, identifier: str, staff_id: int) -> Iterator[str]:
    with _sessions(settings).begin() as session:
        issued = devices.add_device(session, identifier, staff_id)
        _audit(session, "device_add", issued.device)
    yield f"设备 {identifier} 已登记给人员 {staff_id} {_mirror(settings, issued.device)}"
    yield f"令牌（只显示这一次，请妥善保存）: {issued.token}"


def rotate(settings: Settings, identifier: str) -> Iterator[str]:
    with _sessions(settings).begin() as session:
        issued, old_hash = devices.rotate_token(session, identifier)
        _audit(session, "device_rotate", issued.device)
    mirrored = _mirror(settings, issued.device, old_hash)
    yield f"设备 {identifier} 已更换令牌，旧令牌立即失效 {mirrored}"
    yield f"新令牌（只显示这一次）: {issued.token}"


def revoke(settings: Settings, identifier: str) -> Iterator[str]:
    with _sessions(settings).begin() as session:
        info = devices.revoke_device(session, identifier)
        _audit(session, "device_revoke", info)
    yield f"设备 {identifier} 已注销 {_mirror(settings, info)}"


def list_all(settings: Settings) -> Iterator[str]:
    with _sessions(settings)() as session:
        rows = devices.list_devices(session)
    if not rows:
        yield "尚无登记设备"
        return
    yield f"{'标识':<20} {'状态':<8} {'人员':<10} 登记时间"
    for device, staff in rows:
        created = f"{device.created_at:%Y-%m-%d %H:%M}"
        yield f"{device.identifier:<20} {device.status.value:<8} {staff.name:<10} {created}"
