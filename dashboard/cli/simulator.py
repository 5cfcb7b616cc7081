"""``gridwatch simulate``: staff walking patrols in their grids, reporting like real terminals.

The simulator is an ordinary API client: it registers one terminal per
simulated staff member and sends fixes only through ``POST /api/v1/positions``
(buffered, a few fixes per request) and ``/osmand`` (one GET per fix), so a
demo exercises exactly the path field terminals use — auth, validation, the
stream, the consumer and the wall. It never writes the position stream itself.

Terminals are recorded in SQL and mirrored to the Redis at ``settings.redis_url``
(or the embedded one running under ``var_dir``). When no Redis is reachable the
server picks the terminals up from SQL when it starts, so start the server
*after* the simulator has registered them (the first log lines say so).
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import math
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import msgspec
import redis
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.cli.sim_alerts import AlertPlayer
from dashboard.cli.sim_incidents import IncidentPlayer
from dashboard.runtime.embedded_redis import running_embedded_url
from dashboard.services import make_redis
from dashboard.settings import Settings
from data import devices as device_records
from data.db import make_engine, make_sessionmaker, upgrade
from data.models import Device, DeviceStatus, NodeKind, OrgNode, Staff
from streams import device_registry

log = logging.getLogger(__name__)

METRES_PER_DEG_LAT = 111_320.0
KNOT_MS = 0.514444
#: terminals per HTTP worker thread; the server shares the machine, keep it small
WORKERS = 3
#: share of staff who go quiet (terminal off) at any moment, for "offline" on the wall
QUIET_SHARE = 0.05
REPORT_EVERY_S = 10.0
#: one incident report across the whole fleet about this often (a busy city's pace)
INCIDENT_EVERY_S = 20.0
#: how often a handful of terminals check what was dispatched to them
ADVANCE_EVERY_S = 10.0
ADVANCE_SAMPLE = 12
#: terminals polled for alerts to confirm per advance round
ALERT_SAMPLE = 60
LOW_BATTERY_START_SHARE = 0.1


class SimulatorError(RuntimeError):
    """The simulator cannot start; the message says what to do."""


@dataclass(frozen=True)
class Bounds:
    """An axis-aligned box in degrees (the demo city's grids are rectangles)."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def of_polygon(cls, boundary: dict[str, Any]) -> Bounds:
        ring = boundary["coordinates"][0]
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        return cls(min(lons), min(lats), max(lons), max(lats))

    def inset(self, metres: float) -> Bounds:
        """Shrink by ``metres`` (at most a fifth of the size) so jitter never leaves the grid."""
        mid_lat = (self.min_lat + self.max_lat) / 2
        dlat = min(metres / METRES_PER_DEG_LAT, (self.max_lat - self.min_lat) / 5)
        dlon = min(
            metres / (METRES_PER_DEG_LAT * math.cos(math.radians(mid_lat))),
            (self.max_lon - self.min_lon) / 5,
        )
        return Bounds(
            self.min_lon + dlon, self.min_lat + dlat, self.max_lon - dlon, self.max_lat - dlat
        )

    def clamp(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            min(max(lat, self.min_lat), self.max_lat),
            min(max(lon, self.min_lon), self.max_lon),
        )

    def random_point(self, rng: random.Random) -> tuple[float, float]:
        return rng.uniform(self.min_lat, self.max_lat), rng.uniform(self.min_lon, self.max_lon)


@dataclass(frozen=True)
class Terminal:
    """A provisioned simulated terminal. ``token`` is None for OsmAnd terminals."""

    staff_id: int
    grid_id: int
    identifier: str
    bounds: Bounds
    token: str | None

    @property
    def osmand(self) -> bool:
        return self.token is None

    @property
    def walk_area(self) -> Bounds:
        """Waypoints keep 20 m from the edges: patrols follow streets inside the grid."""
        return self.bounds.inset(20.0)

    @property
    def fix_area(self) -> Bounds:
        """GPS jitter is clamped 1 m inside the boundary: a fix never lands in a neighbour."""
        return self.bounds.inset(1.0)


@dataclass
class Walker:
    """One staff member on patrol: true position, waypoint, battery and report schedule."""

    terminal: Terminal
    rng: random.Random
    walk_area: Bounds
    fix_area: Bounds
    lat: float
    lon: float
    target: tuple[float, float]
    speed_ms: float
    battery: float
    drain_per_s: float
    flush_every: int
    heading: float = 0.0
    dwell_until: float = 0.0
    quiet_until: float = 0.0
    last_step: float = 0.0
    buffer: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, terminal: Terminal, rng: random.Random, now: float) -> Walker:
        walk = terminal.walk_area
        lat, lon = walk.random_point(rng)
        low = rng.random() < LOW_BATTERY_START_SHARE
        return cls(
            terminal=terminal,
            rng=rng,
            walk_area=walk,
            fix_area=terminal.fix_area,
            lat=lat,
            lon=lon,
            target=walk.random_point(rng),
            speed_ms=rng.uniform(1.0, 1.5),
            battery=rng.uniform(12.0, 22.0) if low else rng.uniform(35.0, 100.0),
            drain_per_s=rng.uniform(4.0, 10.0) / 3600.0,
            flush_every=rng.choice((2, 3)),
            heading=rng.uniform(0.0, 360.0),
            last_step=now,
        )

    def step(self, now: float) -> float:
        """Walk towards the waypoint for the time since the last step; returns the speed."""
        dt = max(0.0, now - self.last_step)
        self.last_step = now
        self.battery -= self.drain_per_s * dt
        if self.battery < 3.0:
            self.battery = 100.0  # battery swapped at the station
        if now < self.dwell_until:
            return 0.0
        cos_lat = math.cos(math.radians(self.lat))
        dy = (self.target[0] - self.lat) * METRES_PER_DEG_LAT
        dx = (self.target[1] - self.lon) * METRES_PER_DEG_LAT * cos_lat
        distance = math.hypot(dx, dy)
        travel = self.speed_ms * dt
        if distance > 1e-6:
            self.heading = math.degrees(math.atan2(dx, dy)) % 360.0
        if travel >= distance:
            self.lat, self.lon = self.target
            self.target = self.walk_area.random_point(self.rng)
            # stop a while at a building, a shop, a resident's door
            self.dwell_until = now + self.rng.choice((0.0, 0.0, self.rng.uniform(10.0, 60.0)))
            return distance / dt if dt > 0 else 0.0
        self.lat += dy / distance * travel / METRES_PER_DEG_LAT
        self.lon += dx / distance * travel / (METRES_PER_DEG_LAT * cos_lat)
        return self.speed_ms

    def fix(self, now_wall: float, speed: float) -> dict[str, Any]:
        """A GPS reading of the current position: jittered, but always inside the grid."""
        accuracy = round(self.rng.triangular(3.0, 15.0, 6.0), 1)
        sigma = accuracy / 2.0
        cos_lat = math.cos(math.radians(self.lat))
        lat = self.lat + self.rng.gauss(0.0, sigma) / METRES_PER_DEG_LAT
        lon = self.lon + self.rng.gauss(0.0, sigma) / (METRES_PER_DEG_LAT * cos_lat)
        lat, lon = self.fix_area.clamp(lat, lon)
        return {
            "lat": round(lat, 7),
            "lon": round(lon, 7),
            "ts": round(now_wall, 3),
            "speed": round(max(0.0, speed + self.rng.gauss(0.0, 0.1)), 2),
            "heading": round(self.heading, 1) % 360.0,
            "accuracy": accuracy,
            "battery": round(max(self.battery, 0.0), 1),
        }


# --- provisioning ---------------------------------------------------------------


def _live_redis(settings: Settings) -> redis.Redis | None:
    url = settings.redis_url or running_embedded_url(settings.var_dir / "redis")
    return make_redis(url, settings) if url else None


def provision(
    settings: Settings,
    staff_count: int,
    osmand_share: float,
    seed: int,
    tokens: dict[str, str] | None = None,
) -> list[Terminal]:
    """Pick staff deterministically and give each a registered terminal ``sim-<staff id>``.

    Batch terminals need a plaintext token, which is only known when issued, so an
    existing one is rotated — unless ``tokens`` already holds its current token.
    ``tokens`` (identifier -> token) is filled in for every batch terminal.
    """
    engine = make_engine(settings.resolved_database_url())
    try:
        upgrade(engine)
        with make_sessionmaker(engine).begin() as session:
            chosen, osmand_ids = _choose_staff(session, staff_count, osmand_share, seed)
            existing = {
                d.identifier: d
                for d in session.scalars(
                    select(Device).where(Device.identifier.in_([f"sim-{r[0]}" for r in chosen]))
                )
            }
            terminals: list[Terminal] = []
            published: list[tuple[device_records.DeviceInfo, str | None]] = []
            for staff_id, grid_id, boundary in chosen:
                identifier = f"sim-{staff_id}"
                is_osmand = staff_id in osmand_ids
                registered = _register_terminal(
                    session,
                    existing.get(identifier),
                    identifier,
                    staff_id,
                    grid_id,
                    is_osmand,
                    tokens,
                )
                if registered is None:
                    continue
                token, info, old_hash = registered
                published.append((info, old_hash))
                terminals.append(
                    Terminal(
                        staff_id=staff_id,
                        grid_id=grid_id,
                        identifier=identifier,
                        bounds=Bounds.of_polygon(boundary),
                        token=None if is_osmand else token,
                    )
                )
                if tokens is not None and not is_osmand and token is not None:
                    tokens[identifier] = token
    finally:
        engine.dispose()
    _publish(settings, published)
    return terminals


def _choose_staff(
    session: Session, staff_count: int, osmand_share: float, seed: int
) -> tuple[list[tuple[int, int, Any]], set[int]]:
    """Grid staff picked by ``seed`` (same seed, same people), and which of them use OsmAnd."""
    rows = [
        (staff_id, grid_id, boundary)
        for staff_id, grid_id, boundary in session.execute(
            select(Staff.id, Staff.node_id, OrgNode.boundary)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(Staff.active.is_(True), OrgNode.kind == NodeKind.GRID)
            .order_by(Staff.id)
        )
    ]
    if not rows:
        raise SimulatorError("数据库里没有网格人员，请先运行 gridwatch seed (no grid staff)")
    rng = random.Random(seed)
    chosen = sorted(rng.sample(rows, min(staff_count, len(rows))), key=lambda r: r[0])
    osmand_ids = {row[0] for row in rng.sample(chosen, round(len(chosen) * max(0.0, osmand_share)))}
    return chosen, osmand_ids


def _register_terminal(
    session: Session,
    device: Device | None,
    identifier: str,
    staff_id: int,
    grid_id: int,
    is_osmand: bool,
    tokens: dict[str, str] | None,
) -> tuple[str | None, device_records.DeviceInfo, str | None] | None:
    """(token, device record, replaced token hash) of a staff member's terminal.

    A new terminal is added; one known with its current token (or an OsmAnd one,
    which needs none) is kept; any other is rotated. None for a terminal revoked or
    now someone else's: that one is left alone.
    """
    if device is None:
        issued = device_records.add_device(session, identifier, staff_id)
        return issued.token, issued.device, None
    if device.status != DeviceStatus.ACTIVE or device.staff_id != staff_id:
        log.warning("终端 %s 已注销或另有归属，跳过 (revoked or reassigned)", identifier)
        return None
    known = (tokens or {}).get(identifier)
    if is_osmand or (known and device_records.hash_token(known) == device.token_hash):
        info = device_records.DeviceInfo(
            device.id, identifier, staff_id, grid_id, device.token_hash, True
        )
        return known, info, None
    issued, old_hash = device_records.rotate_token(session, identifier)
    return issued.token, issued.device, old_hash


def _publish(
    settings: Settings, published: list[tuple[device_records.DeviceInfo, str | None]]
) -> None:
    """Mirror the terminals to the servers' Redis, or say that a server start will."""
    r = _live_redis(settings)
    if r is None:
        log.warning(
            "未找到运行中的 Redis：终端已登记到数据库，服务启动时才会同步。"
            "请在模拟器登记完成后再启动服务 (no Redis reachable: start the server after this)"
        )
        return
    try:
        for info, old_hash in published:
            device_registry.publish(r, info, old_hash)
    except redis.RedisError as exc:
        log.warning("实时库不可达，终端将在服务下次启动时同步 (%s)", exc)
    finally:
        r.close()


# --- reporting ------------------------------------------------------------------


@dataclass
class Stats:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sent: int = 0, accepted: int = 0, rejected: int = 0, errors: int = 0) -> None:
        with self.lock:
            self.sent += sent
            self.accepted += accepted
            self.rejected += rejected
            self.errors += errors


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


class Reporter:
    """Sends fixes over keep-alive sessions (one per worker thread), gently.

    Failures are logged (once per kind, then counted) and never stop the
    simulation; a 503 makes every worker wait for its Retry-After. ``halt`` is
    set when the run ends, so no worker sits out a back-off after that.
    """

    def __init__(self, base_url: str, stats: Stats, halt: threading.Event) -> None:
        self.base_url = base_url.rstrip("/")
        self.stats = stats
        self.halt = halt
        self._local = threading.local()
        self._backoff_until = 0.0
        self._logged: set[str] = set()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _note(self, kind: str, message: str) -> None:
        with self._lock:
            first = kind not in self._logged
            self._logged.add(kind)
        (log.warning if first else log.debug)(message)

    def _wait_backoff(self) -> None:
        delay = self._backoff_until - time.monotonic()
        if delay > 0:
            self.halt.wait(delay)

    def _send(self, method: str, path: str, count: int, **kwargs: Any) -> None:
        """One request, retried once after a 503's Retry-After."""
        for attempt in range(2):
            self._wait_backoff()
            if self.halt.is_set():
                return
            try:
                response = self._session().request(
                    method, f"{self.base_url}{path}", timeout=(3.0, 10.0), **kwargs
                )
            except requests.RequestException as exc:
                self.stats.add(errors=1)
                self._note(type(exc).__name__, f"请求失败 (request failed): {exc}")
                return
            if response.status_code == 503 and attempt == 0:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                with self._lock:
                    self._backoff_until = max(self._backoff_until, time.monotonic() + retry_after)
                self._note("503", f"服务暂不可用，{retry_after:g} s 后重试 (503, Retry-After)")
                continue
            self._account(response, count)
            return
        self.stats.add(errors=1)

    def _account(self, response: requests.Response, count: int) -> None:
        status = response.status_code
        if status in (200, 422):
            try:
                body = _decode(response.content)
                self.stats.add(
                    accepted=int(body.get("accepted", 0)), rejected=int(body.get("rejected", 0))
                )
            except (msgspec.DecodeError, ValueError, TypeError):
                self.stats.add(errors=1)
            if status == 422:
                self._note("422", f"定位被拒 (rejected): {response.text[:300]}")
            return
        if 400 <= status < 500:
            self.stats.add(rejected=count)
            hint = ""
            if status in (401, 403):
                hint = "（终端未同步到服务的 Redis？请确认 Redis 地址，或重启服务）"
            self._note(str(status), f"HTTP {status}{hint}: {response.text[:300]}")
            return
        self.stats.add(errors=1)
        self._note(str(status), f"HTTP {status}: {response.text[:300]}")

    def post_batch(self, token: str, fixes: list[dict[str, Any]]) -> None:
        self.stats.add(sent=len(fixes))
        self._send(
            "POST",
            "/api/v1/positions",
            len(fixes),
            data=_encode({"fixes": fixes}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )

    def get_osmand(self, identifier: str, fix: dict[str, Any]) -> None:
        self.stats.add(sent=1)
        params = {
            "id": identifier,
            "lat": fix["lat"],
            "lon": fix["lon"],
            "timestamp": int(fix["ts"]),
            "speed": round(fix["speed"] / KNOT_MS, 2),
            "bearing": fix["heading"],
            "accuracy": fix["accuracy"],
            "batt": fix["battery"],
        }
        self._send("GET", "/osmand", 1, params=params)

    def server_up(self, timeout_s: float, stop: threading.Event) -> bool:
        """Wait (bounded) for ``/healthz`` so a simulator started with the server loses nothing."""
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            try:
                if self._session().get(f"{self.base_url}/healthz", timeout=2.0).ok:
                    return True
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                return False
            stop.wait(0.5)
        return False

    def close(self) -> None:
        """Close every worker's connection, so the server's handler threads end now."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 5), 0.5), 60.0)
    except ValueError:
        return 5.0


# --- the run loop ---------------------------------------------------------------


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """``demo`` terminates the simulator with SIGTERM: stop like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _s, _f: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_simulator(
    settings: Settings,
    base_url: str,
    staff_count: int,
    interval_s: float,
    osmand_share: float,
    seed: int,
    duration_s: float,
    stop: threading.Event | None = None,
    tokens: dict[str, str] | None = None,
) -> None:
    """Provision terminals, then report patrols until ``stop``, ``duration_s`` or Ctrl-C.

    ``tokens`` (identifier -> plaintext token) lets a caller keep tokens across
    runs in one process, and receives the token of every batch terminal.
    """
    stop = stop if stop is not None else threading.Event()  # set by the caller, never by us
    halt = threading.Event()
    interval_s = max(float(interval_s), 0.05)
    stats = Stats()
    reporter = Reporter(base_url, stats, halt)
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sim-http")
    # at most this many requests queued: a slow server slows the simulator, not its memory
    slots = threading.BoundedSemaphore(WORKERS * 16)
    interrupted = False
    with _stop_on_sigterm(stop):
        try:
            # Ctrl-C while the terminals are provisioned ends here too (one transaction)
            terminals = provision(settings, staff_count, osmand_share, seed, tokens)
            n_osmand = sum(t.osmand for t in terminals)
            print(
                f"模拟终端 {len(terminals)} 个（批量接口 {len(terminals) - n_osmand}，"
                f"OsmAnd {n_osmand}），每 {interval_s:g} s 一个定位 → {base_url}",
                flush=True,
            )
            end = time.monotonic() + duration_s if duration_s > 0 else math.inf
            up = reporter.server_up(min(60.0, end - time.monotonic()), stop)
            if not up and not stop.is_set():
                log.warning("服务 %s 未响应 /healthz，仍继续发送 (server not answering)", base_url)
            quiet_mean_s = 1.8 * settings.offline_after_s
            _loop(
                terminals,
                interval_s,
                seed,
                end,
                quiet_mean_s,
                stop,
                reporter,
                pool,
                slots,
                stats,
            )
        except KeyboardInterrupt:
            interrupted = True
        finally:
            with _uninterrupted():  # a second Ctrl-C must not cut the clean-up short
                halt.set()
                pool.shutdown(wait=True, cancel_futures=True)
                reporter.close()
                _print_stats(stats, quiet=0, final=True)
    if interrupted:
        print("已停止", flush=True)


def _loop(
    terminals: list[Terminal],
    interval_s: float,
    seed: int,
    end: float,
    quiet_mean_s: float,
    stop: threading.Event,
    reporter: Reporter,
    pool: ThreadPoolExecutor,
    slots: threading.BoundedSemaphore,
    stats: Stats,
) -> None:
    started = time.monotonic()
    walkers = [
        Walker.start(t, random.Random(seed * 1_000_003 + t.staff_id), started) for t in terminals
    ]
    # first fixes spread over one interval, so the server never sees everyone at once
    schedule = [(started + w.rng.uniform(0, interval_s), i) for i, w in enumerate(walkers)]
    heapq.heapify(schedule)
    # go-quiet chance per fix such that ~QUIET_SHARE of staff are silent at any time;
    # silences last ~1.1-2.5x offline_after_s, so the wall shows them going offline
    quiet_p = QUIET_SHARE / (1 - QUIET_SHARE) * interval_s / quiet_mean_s
    next_report = started + REPORT_EVERY_S
    players = IncidentPlayer(reporter.base_url, random.Random(seed + 7))
    alert_players = AlertPlayer(reporter.base_url, random.Random(seed + 11))
    batch_terminals = [w for w in walkers if w.terminal.token is not None]
    # chance per fix that it comes with a report, so the fleet files one per INCIDENT_EVERY_S
    incident_p = interval_s / (INCIDENT_EVERY_S * max(1, len(batch_terminals)))
    next_advance = started + ADVANCE_EVERY_S

    def submit(fn: Any, *args: Any) -> None:
        while not slots.acquire(timeout=0.5):
            if stop.is_set():
                return
        future = pool.submit(fn, *args)
        future.add_done_callback(lambda _f: slots.release())

    while schedule and not stop.is_set():
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_report:
            next_report = now + REPORT_EVERY_S
            _print_stats(stats, quiet=sum(w.quiet_until > now for w in walkers))
        if now >= next_advance and batch_terminals:
            next_advance = now + ADVANCE_EVERY_S
            _play_cases(players, alert_players, batch_terminals, submit)
        due, index = schedule[0]
        if due > now:
            stop.wait(min(due, next_report, end) - now)
            continue
        heapq.heappop(schedule)
        walker = walkers[index]
        speed = walker.step(now)
        # after a stall (slow server) restart from now instead of bursting to catch up
        base = due if now - due < interval_s else now
        heapq.heappush(schedule, (base + interval_s * walker.rng.uniform(0.9, 1.1), index))
        if now < walker.quiet_until:
            continue
        if walker.rng.random() < quiet_p:
            # terminal switched off / out of coverage for a few minutes
            walker.quiet_until = now + walker.rng.uniform(0.6, 1.4) * quiet_mean_s
            walker.buffer.clear()
            continue
        _send_fix(walker, speed, incident_p, players, reporter, submit)


def _play_cases(
    players: IncidentPlayer,
    alert_players: AlertPlayer,
    batch_terminals: list[Walker],
    submit: Callable[..., None],
) -> None:
    """Move a sample of incidents on, and confirm alerts from a wider sample of terminals."""
    sample = players.rng.sample(batch_terminals, min(ADVANCE_SAMPLE, len(batch_terminals)))
    for chosen in sample:
        submit(players.advance, chosen.terminal.token)
    # an alert concerns many more people than an incident: poll a wider sample
    wider = min(ALERT_SAMPLE, len(batch_terminals))
    for chosen in players.rng.sample(batch_terminals, wider):
        submit(alert_players.confirm, chosen.terminal.token)


def _send_fix(
    walker: Walker,
    speed: float,
    incident_p: float,
    players: IncidentPlayer,
    reporter: Reporter,
    submit: Callable[..., None],
) -> None:
    """One fix of a walker: at once over OsmAnd, or buffered into the next batch."""
    fix = walker.fix(time.time(), speed)
    terminal = walker.terminal
    if terminal.token is None:
        submit(reporter.get_osmand, terminal.identifier, fix)
        return
    if walker.rng.random() < incident_p:
        submit(players.report, terminal.token, fix["lat"], fix["lon"])
    walker.buffer.append(fix)
    if len(walker.buffer) >= walker.flush_every:
        batch, walker.buffer = walker.buffer, []
        submit(reporter.post_batch, terminal.token, batch)


def _print_stats(stats: Stats, quiet: int, final: bool = False) -> None:
    with stats.lock:
        sent, accepted, rejected, errors = stats.sent, stats.accepted, stats.rejected, stats.errors
    head = "模拟结束" if final else "模拟中"
    tail = "" if final else f" | 静默 quiet {quiet}"
    print(
        f"[{head}] 已发送 sent {sent} | 接收 accepted {accepted} | 拒绝 rejected {rejected}"
        f" | 错误 errors {errors}{tail}",
        flush=True,
    )
