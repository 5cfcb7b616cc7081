"""SQLAlchemy models: the record of the organisation tree, staff, terminals and places.

The hierarchy is one self-referencing tree. Kinds and grid levels follow the
Zhengzhou platform's figures: a street (街道) is a level-1 grid, a community (社区)
a level-2 grid and a ``grid`` node the level-3 unit grid staffed by "一格四员".
``path`` is a materialized path (``/1/4/17/``) so "the subtree under a node" is a
single indexed prefix query on every database.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class NodeKind(enum.StrEnum):
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


#: grid level carried by each kind (None: not a grid)
GRID_LEVEL_OF_KIND: dict[NodeKind, int | None] = {
    NodeKind.CITY: None,
    NodeKind.DISTRICT: None,
    NodeKind.STREET: 1,
    NodeKind.COMMUNITY: 2,
    NodeKind.GRID: 3,
}

NODE_KIND_LABELS: dict[NodeKind, str] = {
    NodeKind.CITY: "市",
    NodeKind.DISTRICT: "区",
    NodeKind.STREET: "街道",
    NodeKind.COMMUNITY: "社区",
    NodeKind.GRID: "网格",
}


class Post(enum.StrEnum):
    """Posts of the "3+X" / 一格四员 staffing."""

    GRID_MANAGER = "grid_manager"
    ASSISTANT = "assistant"
    POLICE = "police"
    SUPERVISOR = "supervisor"
    VOLUNTEER = "volunteer"


POST_LABELS: dict[Post, str] = {
    Post.GRID_MANAGER: "网格长",
    Post.ASSISTANT: "网格员",
    Post.POLICE: "网格民警",
    Post.SUPERVISOR: "网格督导员",
    Post.VOLUNTEER: "志愿者",
}


class ResidentTag(enum.StrEnum):
    ELDERLY = "elderly"
    DISABLED = "disabled"
    SPECIAL = "special_population"
    RELIEF = "relief_recipient"
    FLOATING = "floating_population"


RESIDENT_TAG_LABELS: dict[ResidentTag, str] = {
    ResidentTag.ELDERLY: "高龄老人",
    ResidentTag.DISABLED: "残疾人",
    ResidentTag.SPECIAL: "特殊人群",
    ResidentTag.RELIEF: "低保救助",
    ResidentTag.FLOATING: "流动人口",
}


def _enum(cls: type[enum.Enum]) -> Enum:
    """Store enum values (``"grid"``), not member names, as portable strings."""
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OrgNode(Base):
    __tablename__ = "org_node"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_node.id"), index=True)
    kind: Mapped[NodeKind] = mapped_column(_enum(NodeKind))
    grid_level: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255), index=True)
    depth: Mapped[int] = mapped_column(Integer)
    boundary: Mapped[dict[str, Any]] = mapped_column(JSON)
    center_lat: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)

    parent: Mapped[OrgNode | None] = relationship(remote_side=[id])


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    post: Mapped[Post] = mapped_column(_enum(Post))
    active: Mapped[bool] = mapped_column(default=True)

    node: Mapped[OrgNode] = relationship()


class DeviceStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Device(Base):
    """A handheld terminal. The bearer token is stored only as its SHA-256 hash."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[DeviceStatus] = mapped_column(_enum(DeviceStatus), default=DeviceStatus.ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    staff: Mapped[Staff] = relationship()


class Compound(Base):
    """A residential compound (小区)."""

    __tablename__ = "compound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(128))
    boundary: Mapped[dict[str, Any]] = mapped_column(JSON)


class Building(Base):
    """A building (楼栋) with its footprint polygon."""

    __tablename__ = "building"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(128))
    footprint: Mapped[dict[str, Any]] = mapped_column(JSON)
    floors: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)


class House(Base):
    """A dwelling (户) addressed by unit, floor and number inside a building."""

    __tablename__ = "house"
    __table_args__ = (UniqueConstraint("building_id", "unit", "floor", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    unit: Mapped[int] = mapped_column(Integer)
    floor: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    area_m2: Mapped[float | None] = mapped_column(Float)


class Household(Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    registration: Mapped[str] = mapped_column(String(16))  # 户籍 / 流动 / 寄住


class Resident(Base):
    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    gender: Mapped[str] = mapped_column(String(1))  # M / F
    birth_date: Mapped[dt.date] = mapped_column(Date)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(16))  # 户主 / 配偶 / 子女 / 父母 / 其他
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class Role(enum.StrEnum):
    """Who a user is; what each role may do is the table in dashboard/auth/permissions.py."""

    ADMIN = "admin"
    LEADER = "leader"
    DUTY_OFFICER = "duty_officer"
    GRID_STAFF = "grid_staff"
    WALL = "wall"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.LEADER: "领导",
    Role.DUTY_OFFICER: "值班员",
    Role.GRID_STAFF: "网格员",
    Role.WALL: "大屏显示",
}


class User(Base):
    """A person (or a wall display) who logs in; sees only the subtree under ``node_id``."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    node: Mapped[OrgNode] = relationship()


class AuditLog(Base):
    """Append-only record of who did what to which record, when and from where.

    A database trigger refuses UPDATE; rows are deleted only by the retention purge.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    node_id: Mapped[int | None] = mapped_column(Integer, index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Meta(Base):
    """Small key/value facts about the database (e.g. which demo seed built it)."""

    __tablename__ = "gw_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)


Index("ix_org_node_kind_path", OrgNode.kind, OrgNode.path)
