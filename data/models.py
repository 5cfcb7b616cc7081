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
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
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


# -- incidents (issue 4) ----------------------------------------------------------------


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp that comes back aware (UTC) on SQLite as on PostgreSQL.

    SQLite keeps no offset, so values are normalised to UTC on the way in (naive
    values are refused) and get UTC attached on the way out; deadlines are compared
    in SQL, which is only right when every stored value is in the same zone.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class IncidentState(enum.StrEnum):
    """States of the one incident workflow (data/incidents/workflow.py holds the transitions)."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"
    VERIFIED = "verified"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    TRANSFERRED = "transferred"
    ESCALATED = "escalated"


INCIDENT_STATE_LABELS: dict[IncidentState, str] = {
    IncidentState.REPORTED: "待受理",
    IncidentState.ACCEPTED: "已受理",
    IncidentState.DISPATCHED: "已派遣",
    IncidentState.IN_PROGRESS: "处置中",
    IncidentState.HANDLED: "已处置",
    IncidentState.VERIFIED: "已核查",
    IncidentState.CLOSED: "已办结",
    IncidentState.REJECTED: "不予受理",
    IncidentState.DUPLICATE: "重复事件",
    IncidentState.TRANSFERRED: "已转办",
    IncidentState.ESCALATED: "已上报上级",
}


class IncidentSource(enum.StrEnum):
    TERMINAL = "terminal"
    DESK = "desk"
    OPEN311 = "open311"
    SMS = "sms"


INCIDENT_SOURCE_LABELS: dict[IncidentSource, str] = {
    IncidentSource.TERMINAL: "终端上报",
    IncidentSource.DESK: "值班台登记",
    IncidentSource.OPEN311: "市民上报",
    IncidentSource.SMS: "短信上报",
}


class HandlingLevel(enum.StrEnum):
    """The level that owns an incident's time limit: the kind of its responsible node."""

    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"


HANDLING_LEVEL_LABELS: dict[HandlingLevel, str] = {
    HandlingLevel.GRID: "网格",
    HandlingLevel.COMMUNITY: "社区",
    HandlingLevel.STREET: "街道",
    HandlingLevel.DISTRICT: "区",
}

#: handling level of each node kind; the city has none (the district is the top handling level)
HANDLING_LEVEL_OF_KIND: dict[NodeKind, HandlingLevel | None] = {
    NodeKind.CITY: None,
    NodeKind.DISTRICT: HandlingLevel.DISTRICT,
    NodeKind.STREET: HandlingLevel.STREET,
    NodeKind.COMMUNITY: HandlingLevel.COMMUNITY,
    NodeKind.GRID: HandlingLevel.GRID,
}


class DeadlineStatus(enum.StrEnum):
    NONE = "none"
    YELLOW = "yellow"
    RED = "red"


DEADLINE_STATUS_LABELS: dict[DeadlineStatus, str] = {
    DeadlineStatus.NONE: "正常",
    DeadlineStatus.YELLOW: "黄牌预警",
    DeadlineStatus.RED: "红牌超时",
}


class Incident(Base):
    """A reported problem (事件) and where it stands; its history explains how it got there.

    ``node_id`` is the node currently responsible and ``level`` its handling level;
    ``yellow_at``/``deadline_at`` are stored (not derived) so a sweep after a restart
    finds exactly what was promised, even if the category file changed since.
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(24), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[IncidentSource] = mapped_column(_enum(IncidentSource))
    state: Mapped[IncidentState] = mapped_column(_enum(IncidentState), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    level: Mapped[HandlingLevel] = mapped_column(_enum(HandlingLevel))
    reporter_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(128))
    assignee_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    level_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    yellow_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    deadline_status: Mapped[DeadlineStatus] = mapped_column(
        _enum(DeadlineStatus), default=DeadlineStatus.NONE
    )
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    transferred_to: Mapped[str | None] = mapped_column(String(128))
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: seq of the newest history row; the next transition writes last_seq + 1
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_utcnow)

    @property
    def reporter_phone_masked(self) -> str:
        """What screens show; the full number is revealed only through the audited path."""
        from data.masking import mask_phone

        return mask_phone(self.reporter_phone)


class IncidentHistory(Base):
    """One transition of one incident: who, when, from, to, why and where. Never updated.

    ``seq`` runs 1..n per incident without gaps and each row's ``from_state`` is the
    previous row's ``to_state``; ``transition_id`` is the idempotency key, so applying
    the same transition twice writes one row.
    """

    __tablename__ = "incident_history"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(24))
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_staff_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[IncidentState | None] = mapped_column(_enum(IncidentState))
    to_state: Mapped[IncidentState] = mapped_column(_enum(IncidentState))
    note: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    node_before_id: Mapped[int | None] = mapped_column(Integer)
    node_after_id: Mapped[int] = mapped_column(Integer)
    transition_id: Mapped[str] = mapped_column(String(64), unique=True)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """An event committed with the change it announces, published to Redis afterwards.

    The relay (streams/outbox_relay.py) publishes rows with ``published_at`` unset and
    then sets it; a Redis outage only leaves rows waiting (``attempts``, ``last_error``).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_utcnow)
    stream: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


Index("ix_incident_category_created", Incident.category, Incident.created_at)
Index(
    "ix_outbox_unpublished",
    OutboxMessage.id,
    postgresql_where=OutboxMessage.published_at.is_(None),
    sqlite_where=OutboxMessage.published_at.is_(None),
)


# -- alerts and SMS (issue 5) -----------------------------------------------------------


class AlertLevel(enum.StrEnum):
    """Four warning levels, low to high; the order is the declaration order."""

    BLUE = "blue"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"


class AlertState(enum.StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    LIFTED = "lifted"
    EXPIRED = "expired"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"


#: one table for every delivery (alert texts and manual SMS alike)
DELIVERY_STATE_LABELS: dict[DeliveryState, str] = {
    DeliveryState.QUEUED: "待发送",
    DeliveryState.SENDING: "发送中",
    DeliveryState.SENT: "已发送",
    DeliveryState.DELIVERED: "已送达",
    DeliveryState.ACKNOWLEDGED: "已签收",
    DeliveryState.FAILED: "发送失败",
}


class Alert(Base):
    """A four-level warning issued at a node; its history is in ``alert_action``.

    ``active_key`` is ``"<node id>:<category>"`` while the alert is active or
    acknowledged and NULL afterwards: a unique column that allows many NULLs is the
    portable way to say "at most one live alert per node and category".
    """

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), index=True)
    node_path: Mapped[str] = mapped_column(String(255), index=True)
    category: Mapped[str] = mapped_column(String(32))
    level: Mapped[AlertLevel] = mapped_column(_enum(AlertLevel))
    title: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    #: grid levels (1/2/3) beneath the node to reach; empty: the whole subtree
    target_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[AlertState] = mapped_column(_enum(AlertState), index=True)
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: seq of the newest action row
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class AlertAction(Base):
    """One recorded change of an alert (issue, reissue, raise, lower, extend, lift, expire)."""

    __tablename__ = "alert_action"
    __table_args__ = (UniqueConstraint("alert_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(24))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[AlertState | None] = mapped_column(_enum(AlertState))
    to_state: Mapped[AlertState] = mapped_column(_enum(AlertState))
    from_level: Mapped[AlertLevel | None] = mapped_column(_enum(AlertLevel))
    to_level: Mapped[AlertLevel] = mapped_column(_enum(AlertLevel))
    from_valid_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    to_valid_until: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    #: the SMS text sent for this action (None: an action that notifies nobody)
    message: Mapped[str | None] = mapped_column(Text)


class SmsSource(enum.StrEnum):
    """Where a composed text came from: typed on /sms, or an alert's notifying action."""

    MANUAL = "manual"
    ALERT = "alert"


class SmsFolder(enum.StrEnum):
    """Folders of the SMS platform; moving is a value change, never a deletion (the record)."""

    SENT = "sent"
    FILED = "filed"
    DELETED = "deleted"


class SmsBatch(Base):
    """One composed text and who it went to (what the 已发/备案/已删除 folders list).

    The texts themselves are ``alert_delivery`` rows (one per recipient, ``batch_id``), so
    the one sender sends manual and alert texts alike. ``client_token`` is minted by the
    page when the form opens: a double click or a retried request finds the first batch
    instead of texting everyone twice. Alert batches use ``alert-action-<action id>``.
    """

    __tablename__ = "sms_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[SmsSource] = mapped_column(_enum(SmsSource))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    author_user_id: Mapped[int | None] = mapped_column(Integer)
    #: the author's scope (an alert's node path): who may list and move this batch
    scope_path: Mapped[str] = mapped_column(String(255), index=True)
    folder: Mapped[SmsFolder] = mapped_column(_enum(SmsFolder), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    folder_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    client_token: Mapped[str] = mapped_column(String(64), unique=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("alert_action.id"), index=True)


class SmsTemplate(Base):
    """A reusable text (短信模板) owned by a node; picking one fills the compose box.

    ``scope_path`` is the owner node's path. Users see the templates of their node, its
    ancestors (to use, read-only) and its subtree, and change only those in their subtree,
    so a district officer cannot overwrite the city's wording. Names are unique per node.
    """

    __tablename__ = "sms_template"
    __table_args__ = (UniqueConstraint("scope_path", "name", name="uq_sms_template_scope_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    scope_path: Mapped[str] = mapped_column(String(255), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SmsGroup(Base):
    """A named list of staff (用户分组) inside the creator's scope; names unique per scope."""

    __tablename__ = "sms_group"
    __table_args__ = (UniqueConstraint("scope_path", "name", name="uq_sms_group_scope_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    scope_path: Mapped[str] = mapped_column(String(255), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SmsGroupMember(Base):
    __tablename__ = "sms_group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("sms_group.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True, index=True)


class Delivery(Base):
    """One text to one staff member: for an alert action, or for a batch composed on /sms.

    The SMS idempotency unit. A sender claims a row with a conditional UPDATE
    (``state='queued'``), so two senders never hold it at once; ``id`` is the message id
    handed to the gateway. Alert deliveries carry ``alert_id``/``action_id`` (NULL for
    manual texts); every delivery since migration 0005 carries ``batch_id``, unique per
    staff member so one compose never texts a person twice.
    """

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("action_id", "staff_id"),
        UniqueConstraint("batch_id", "staff_id", name="uq_alert_delivery_batch_staff"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("alert_action.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("sms_batch.id", name="fk_alert_delivery_batch_id"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_via: Mapped[str | None] = mapped_column(String(16))
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SmsMessage(Base):
    """A text handed to the outbox gateway: stored, never sent off the machine.

    ``message_id`` (the delivery id) is unique, so a sender that resends after a crash
    inserts nothing the second time.
    """

    __tablename__ = "sms_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    to: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="stored")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    alert_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action_id: Mapped[int | None] = mapped_column(Integer, index=True)
    delivery_id: Mapped[int | None] = mapped_column(Integer, index=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, index=True)


Index("ix_alert_delivery_due", Delivery.state, Delivery.next_attempt_at)


# -- assessment (issue 11) ---------------------------------------------------------------


class AssessmentFact(Base):
    """One raw daily count (a measure) of one grid, or of one staff member in that grid.

    ``day`` is the local day in the display zone; ``staff_id`` 0 is the grid as a whole.
    Scores are computed from these (data/assessment/scoring.py), never stored; see
    docs/assessment.md for every measure.
    """

    __tablename__ = "assessment_fact"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0, server_default="0")
    measure: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float] = mapped_column(Float)


Index("ix_assessment_fact_day", AssessmentFact.day)
Index("ix_assessment_fact_node_day", AssessmentFact.node_id, AssessmentFact.day)
#: the few daily rows the ack median needs (a month of a city: 40 k of 6 M), migration 0009
Index("ix_assessment_fact_measure_day", AssessmentFact.measure, AssessmentFact.day)


class AssessmentFactMonth(Base):
    """The daily facts of one calendar month summed: what a month's ranking reads.

    ``month`` is the month's first day. Kept in step with ``assessment_fact`` in the
    transaction that stores the days (data/assessment/facts.py ``rebuild_months``), so a
    city-wide month is 17,350 × 16 rows, not millions. ``ack_seconds_p50`` (a median) is
    not summable and never stored here; it is read from the daily rows.
    """

    __tablename__ = "assessment_fact_month"
    #: month, then grid rows (staff 0) or staff rows: "one month, all grids" is one range
    #: of the key; on SQLite the table is that key (no rowid), so the range holds values
    __table_args__ = (
        PrimaryKeyConstraint("month", "staff_id", "node_id", "measure"),
        {"sqlite_with_rowid": False},
    )

    month: Mapped[dt.date] = mapped_column(Date)
    node_id: Mapped[int] = mapped_column(ForeignKey("org_node.id"))
    staff_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    measure: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)


#: "one subtree" (a drill-down, a unit's twelve months) reads the grids' rows by this index
Index("ix_assessment_fact_month_node", AssessmentFactMonth.node_id, AssessmentFactMonth.month)


class AssessmentDirtyDay(Base):
    """A grid's day whose facts must be recomputed; written with the change that made it so."""

    __tablename__ = "assessment_dirty_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    node_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class WallPlaylist(Base):
    """A wall account's timed rotation (playlist): its views in order and seconds per view.

    Data, not code, so a remote control can later change it; no row or ``enabled`` off
    means the wall shows its live map only (dashboard/access/wall_playlist.py).
    """

    __tablename__ = "wall_playlist"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    views: Mapped[list[str]] = mapped_column(JSON, default=list)
    seconds: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
