"""The outbox relay and the incident-effects consumer against real Redis and SQL.

No event is lost while Redis is down, none is published twice by a healthy relay,
and a consumer killed between applying effects and acking them leaves nothing
counted twice once another consumer reclaims its entries.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from dashboard.runtime.embedded_redis import EmbeddedRedis
from data.db import make_engine, make_sessionmaker
from data.incidents import outbox, workflow
from data.incidents.actors import Actor
from data.incidents.categories import default_categories
from data.incidents.intake import report
from data.models import Incident, NodeKind, OrgNode, OutboxMessage
from streams import keys
from streams.incident_effects import IncidentEffects
from streams.outbox_relay import relay_outbox
from tests.support.paths import REPO_ROOT

REPO = REPO_ROOT
T0 = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)
CATEGORIES = list(default_categories().categories)


@pytest.fixture
def sqlite_engine(small_city_url: str) -> Iterator[Engine]:
    engine = make_engine(small_city_url)
    yield engine
    engine.dispose()


def file_reports(sessions: sessionmaker[Session], count: int, seed: int) -> list[int]:
    """``count`` citizen reports at grid centres, in one transaction."""
    rng = random.Random(seed)
    with sessions() as session, session.begin():
        grids = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.GRID)).all()
        ids = []
        for n in range(count):
            grid = rng.choice(grids)
            incident = report(
                session,
                source="open311",
                category=rng.choice(CATEGORIES),
                title=f"问题 {seed}-{n}",
                lat=grid.center_lat,
                lon=grid.center_lon,
                now=T0 + dt.timedelta(seconds=n),
            )
            ids.append(incident.id)
    return ids


def outbox_rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_relay_keeps_events_through_a_redis_outage_and_publishes_each_once(
    engine: Engine, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(engine)
    server = EmbeddedRedis(tmp_path / "redis").start()
    client = redis.Redis.from_url(server.url, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        file_reports(sessions, 5, seed=1)
        assert relay_outbox(sessions, client, batch=2).published == 5
        file_reports(sessions, 4, seed=2)

        server.stop()
        for attempt in (1, 2):
            down = relay_outbox(sessions, client, batch=3)
            assert (down.published, down.failed) == (0, 3) and down.error
            waiting = [row for row in outbox_rows(sessions) if row.published_at is None]
            assert len(waiting) == 4
            assert [row.attempts for row in waiting] == [attempt] * 3 + [0]
            assert all(row.last_error for row in waiting[:3]) and waiting[3].last_error is None

        server = EmbeddedRedis(tmp_path / "redis", port=server.port).start()  # AOF kept the stream
        assert relay_outbox(sessions, client, batch=3).published == 4
        assert relay_outbox(sessions, client, batch=3).published == 0

        rows = outbox_rows(sessions)
        assert all(row.published_at is not None for row in rows)
        entries = client.xrange(keys.EVENTS_STREAM)
        assert [int(fields[b"outbox_id"]) for _id, fields in entries] == [row.id for row in rows]
        for (_id, fields), row in zip(entries, rows, strict=True):
            assert fields[b"kind"] == b"incident"
            assert int(fields[b"incident_id"]) == row.payload["incident_id"]
            assert fields[b"transition_id"].decode() == row.payload["transition_id"]
        with sessions() as session:
            assert outbox.unpublished_count(session) == 0
    finally:
        client.close()
        server.stop()


def test_a_republished_event_changes_nothing(sqlite_engine: Engine, r: redis.Redis) -> None:
    """A relay that died after XADD but before its commit publishes again: counted once."""
    sessions = make_sessionmaker(sqlite_engine)
    file_reports(sessions, 20, seed=3)
    assert relay_outbox(sessions, r).published == 20
    with sessions() as session, session.begin():
        session.execute(update(OutboxMessage).values(published_at=None))
    assert relay_outbox(sessions, r).published == 20
    assert r.xlen(keys.EVENTS_STREAM) == 40

    worker = IncidentEffects(r, "c1", block_ms=10)
    worker.ensure_group()
    while worker.run_once():
        pass
    assert (worker.applied, worker.repeated) == (20, 20)
    assert int(r.hget(keys.INCIDENT_ACTION_COUNT, "report") or 0) == 20
    assert int(r.hget(keys.INCIDENT_STATE_COUNT, "reported") or 0) == 20


DYING_CONSUMER = textwrap.dedent(
    """
    import os, signal, sys, threading
    import redis
    from streams.incident_effects import IncidentEffects

    class Dying(IncidentEffects):
        batches = 0

        def _process(self, entries):
            if not entries:
                return 0
            self.handle(entries)  # effects applied ...
            Dying.batches += 1
            if Dying.batches == int(sys.argv[2]):
                os.kill(os.getpid(), signal.SIGKILL)  # ... and killed before the ack
            self.r.xack(self.stream, self.group, *[entry_id for entry_id, _ in entries])
            return len(entries)

    worker = Dying(redis.Redis.from_url(sys.argv[1]), "doomed", batch=50, block_ms=50)
    worker.ensure_group()
    print("ready", flush=True)
    worker.run(threading.Event())
    """
)


def test_killing_the_consumer_mid_burst_applies_every_effect_once(
    sqlite_engine: Engine, r: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(sqlite_engine)
    script = tmp_path / "dying_consumer.py"
    script.write_text(DYING_CONSUMER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(script), redis_url, "5"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        ids: list[int] = []
        for part in range(5):  # the first half of the burst, relayed as it is filed
            ids += file_reports(sessions, 100, seed=100 + part)
            relay_outbox(sessions, r)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    pending = r.xpending(keys.EVENTS_STREAM, keys.INCIDENT_EFFECTS_GROUP)
    assert pending["pending"] > 0, "the consumer died holding applied but unacked entries"
    [group] = r.xinfo_groups(keys.EVENTS_STREAM)
    delivered = len(r.xrange(keys.EVENTS_STREAM, "-", group["last-delivered-id"]))
    applied = int(r.hget(keys.INCIDENT_ACTION_COUNT, "report") or 0)
    assert 5 <= applied == delivered <= 250  # every batch it read was applied, the last unacked

    for part in range(5, 10):  # the second half, with no consumer running
        ids += file_reports(sessions, 100, seed=100 + part)
        relay_outbox(sessions, r)
    accepted = ids[::10]
    with sessions() as session, session.begin():
        for incident_id in accepted:
            node_path = session.scalar(
                select(OrgNode.path)
                .join(Incident, Incident.node_id == OrgNode.id)
                .where(Incident.id == incident_id)
            )
            desk = Actor("duty_officer", "值班员", node_path or "/", user_id=1)
            workflow.apply(session, incident_id, "accept", desk, now=T0 + dt.timedelta(hours=1))
    relay_outbox(sessions, r)
    assert r.xlen(keys.EVENTS_STREAM) == 1_100

    heir = IncidentEffects(r, "heir", batch=200, block_ms=20, claim_idle_ms=100, claim_every_s=0)
    heir.ensure_group()
    time.sleep(0.2)  # let the dead consumer's entries go idle
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        heir.run_once()
        if r.xpending(keys.EVENTS_STREAM, keys.INCIDENT_EFFECTS_GROUP)["pending"] == 0 and (
            int(r.hget(keys.INCIDENT_ACTION_COUNT, "accept") or 0) == len(accepted)
        ):
            break
    assert heir.repeated > 0, "the heir saw entries whose effects were already applied"
    actions = {k.decode(): int(v) for k, v in r.hgetall(keys.INCIDENT_ACTION_COUNT).items()}
    assert actions == {"report": 1_000, "accept": 100}
    states = {k.decode(): int(v) for k, v in r.hgetall(keys.INCIDENT_STATE_COUNT).items()}
    assert states == {"reported": 900, "accepted": 100}
    last = {int(k): v.decode().split("|") for k, v in r.hgetall(keys.INCIDENT_LAST).items()}
    assert sorted(last) == sorted(ids)
    assert all(last[i][:2] == ["2", "accepted"] for i in accepted)
    assert all(last[i][:2] == ["1", "reported"] for i in set(ids) - set(accepted))
    assert r.xpending(keys.EVENTS_STREAM, keys.INCIDENT_EFFECTS_GROUP)["pending"] == 0
