"""A wall account's timed rotation (playlist): which views, in which order, how long each.

Like a Grafana playlist: the wall page reads its own playlist when it loads (and again
with its rankings refresh, so a change reaches a running wall within minutes) and
rotates in the browser. The playlist is data (``WallPlaylist``), set by an admin on
/admin/users for wall-role accounts in the admin's subtree — a remote control could
later write the same row through the same command. No row, or ``enabled`` off, means
the live map only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import AuditEntry, Command, Problem, Refused, require
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.services import Services
from data import users
from data.models import Role, User, WallPlaylist
from data.org_tree import OrgTree

log = logging.getLogger("gridwatch.scope")

#: the wall's views a playlist may name, with the label the admin reads
VIEWS: dict[str, str] = {"map": "实时地图", "rankings": "排名统计"}
#: seconds per view: long enough to read a screen from across the room, short enough to rotate
MIN_SECONDS = 10
MAX_SECONDS = 3600
#: a playlist longer than this is a mistake, not a rotation
MAX_ENTRIES = 12

NO_RIGHT = "无权设置大屏轮播"
NOT_FOUND = "该用户不存在或不在您的管辖范围内"
NOT_WALL = "只能为“大屏显示”角色的账号设置轮播"


@dataclass(frozen=True)
class Playlist:
    """The views in order, seconds per view, and whether the wall rotates at all."""

    views: tuple[str, ...]
    seconds: int
    enabled: bool

    @property
    def active(self) -> bool:
        """An enabled playlist with a view; one view alone is shown without rotating."""
        return self.enabled and bool(self.views)

    def as_data(self) -> dict[str, object]:
        """What the wall page keeps in its store (plain JSON)."""
        return {"views": list(self.views), "seconds": self.seconds, "enabled": self.enabled}


@dataclass(frozen=True)
class WallAccount:
    """A wall-role account the admin may give a playlist, with its current one."""

    user_id: int
    username: str
    display_name: str
    playlist: Playlist | None


def playlist_problems(views: Sequence[object] | None, seconds: object) -> list[Problem]:
    """Every problem of a playlist as submitted (all at once, nothing stored)."""
    problems: list[Problem] = []
    chosen = list(views or [])
    if not chosen:
        problems.append(Problem("views", "请至少选择一个轮播画面"))
    unknown = [str(v) for v in chosen if v not in VIEWS]
    if unknown:
        names = "、".join(VIEWS.values())
        problems.append(Problem("views", f"未知的轮播画面：{'、'.join(unknown)}（可选：{names}）"))
    if len(chosen) > MAX_ENTRIES:
        problems.append(Problem("views", f"轮播画面最多 {MAX_ENTRIES} 个"))
    number = _whole_seconds(seconds)
    if number is None or not MIN_SECONDS <= number <= MAX_SECONDS:
        problems.append(
            Problem("seconds", f"每屏停留时间须为 {MIN_SECONDS}–{MAX_SECONDS} 秒之间的整数")
        )
    return problems


def _whole_seconds(value: object) -> int | None:
    """An integer number of seconds from a form field (2, "2", 2.0); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


def _from_row(row: WallPlaylist) -> Playlist:
    views = tuple(v for v in row.views if v in VIEWS)
    return Playlist(views, row.seconds, row.enabled)


@dataclass
class SetWallPlaylist(Command[Playlist]):
    """Store a wall account's playlist (audited as wall_playlist_set); replaces any before."""

    sessions: sessionmaker[Session]
    tree: OrgTree
    who: SessionUser
    user_id: int
    views: Sequence[object] | None
    seconds: object
    enabled: bool
    address: str | None = None
    #: the target's node, for the audit row (set by execute)
    node_id: int | None = field(default=None, init=False)

    def validate(self) -> list[Problem]:
        require(self.tree, self.who, Perm.MANAGE_USERS, NO_RIGHT)  # refused before anything
        return playlist_problems(self.views, self.seconds)

    def execute(self, db: Session) -> Playlist:
        scope = require(self.tree, self.who, Perm.MANAGE_USERS, NO_RIGHT)
        found = users.user_in_subtree(db, scope.path, self.user_id)
        if found is None:
            who, wanted = self.who.username, self.user_id
            log.warning("scope: admin %s asked for wall playlist of user %s", who, wanted)
            raise Refused(NOT_FOUND)
        target = found[0]
        if target.role != Role.WALL:
            raise Refused(NOT_WALL)
        number = _whole_seconds(self.seconds)
        assert number is not None  # validate() saw to it
        row = db.get(WallPlaylist, target.id)
        if row is None:
            row = WallPlaylist(user_id=target.id)
            db.add(row)
        row.views = [str(v) for v in self.views or []]
        row.seconds = number
        row.enabled = self.enabled
        row.updated_at = dt.datetime.now(dt.UTC)
        self.node_id = target.node_id
        return Playlist(tuple(row.views), number, self.enabled)

    def audit(self, result: Playlist) -> AuditEntry:
        return AuditEntry(
            "wall_playlist_set",
            "user",
            self.user_id,
            self.node_id,
            result.as_data(),
            self.address,
        )


def set_wall_playlist(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    user_id: int,
    views: Sequence[object] | None,
    seconds: object,
    enabled: bool,
    address: str | None = None,
) -> Playlist:
    """Validate and store the playlist; :class:`Refused` with every problem otherwise."""
    command = SetWallPlaylist(
        services.sessions, tree, who, user_id, views, seconds, enabled, address
    )
    return command.run()


def wall_accounts(services: Services, tree: OrgTree, who: SessionUser) -> list[WallAccount]:
    """The wall-role accounts in the admin's subtree with their playlists, oldest first."""
    scope = require(tree, who, Perm.MANAGE_USERS, NO_RIGHT)
    with services.sessions() as db:
        rows = users.users_in_subtree(db, scope.path, 1000)
        walls = [u for u, _ in rows if u.role == Role.WALL]
        stored = _playlists(db, [u.id for u in walls])
    return [WallAccount(u.id, u.username, u.display_name, stored.get(u.id)) for u in walls]


def _playlists(db: Session, user_ids: list[int]) -> dict[int, Playlist]:
    if not user_ids:
        return {}
    rows = db.scalars(select(WallPlaylist).where(WallPlaylist.user_id.in_(user_ids)))
    return {row.user_id: _from_row(row) for row in rows}


def own_playlist(services: Services, who: SessionUser | None) -> Playlist | None:
    """The signed-in wall's own playlist when it is on; None means the map only."""
    if who is None or not who.can(Perm.VIEW_WALL):
        return None
    with services.sessions() as db:
        row = db.scalar(
            select(WallPlaylist)
            .join(User, User.id == WallPlaylist.user_id)
            .where(WallPlaylist.user_id == who.id, User.active.is_(True))
        )
        playlist = _from_row(row) if row is not None else None
    return playlist if playlist is not None and playlist.active else None
