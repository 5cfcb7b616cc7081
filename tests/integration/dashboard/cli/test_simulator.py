"""The simulator against a real server, Redis and seeded city: fixes arrive, inside their grids."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, make_server

from dashboard.app import GridwatchApp, create_app
from dashboard.cli.simulator import Bounds, run_simulator
from dashboard.runtime.embedded_redis import EmbeddedRedis
from dashboard.runtime.processes import free_port
from dashboard.settings import Settings
from dashboard.web.server import KeepAliveHandler
from data.db import make_engine
from data.models import Device, OrgNode, Staff
from streams.codec import decode_stream_fix
from streams.keys import POSITIONS_STREAM, STAFF_LAST_FIX


@dataclass
class Served:
    app: GridwatchApp
    url: str
    redis_url: str
    settings: Settings


@pytest.fixture(scope="module")
def sim_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A redis-server of this module's own (flushed per test), on a free port."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("sim-redis")).start()
    yield server
    server.stop()


@pytest.fixture
def served(sim_redis: EmbeddedRedis, tmp_path: Path) -> Iterator[Served]:
    """Small demo city in SQLite, the full app (consumer included) behind a real HTTP server."""
    from data.demo_city import seed_demo_city

    client = redis.Redis.from_url(sim_redis.url)
    client.flushall()  # the stream must hold only what this test's simulator sent
    client.close()

    db_url = f"sqlite:///{tmp_path / 'city.db'}"
    engine = make_engine(db_url)
    seed_demo_city(engine, scale="small", seed=3)
    engine.dispose()
    settings = Settings(redis_url=sim_redis.url, database_url=db_url, var_dir=tmp_path)
    app = create_app(settings)
    app.start_background()
    port = free_port()
    httpd: BaseWSGIServer = make_server(
        "127.0.0.1", port, app.server, threaded=True, request_handler=KeepAliveHandler
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(app, f"http://127.0.0.1:{port}", sim_redis.url, settings)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
        # let the consumer and the bridge leave their blocking reads before Redis goes
        app.stop_event.set()
        time.sleep(0.7)
        app.close()


def _run(served: Served, seconds: float, tokens: dict[str, str]) -> None:
    run_simulator(
        served.settings,
        base_url=served.url,
        staff_count=20,
        interval_s=0.3,
        osmand_share=0.3,
        seed=5,
        duration_s=seconds,
        tokens=tokens,
    )


def test_simulated_staff_report_through_both_protocols_inside_their_own_grids(served):
    tokens: dict[str, str] = {}
    _run(served, 6.0, tokens)

    r = redis.Redis.from_url(served.redis_url)
    try:
        assert r.xlen(POSITIONS_STREAM) > 0
        fixes = [decode_stream_fix(fields[b"f"]) for _, fields in r.xrange(POSITIONS_STREAM)]
        with served.app.services.sessions() as session:
            sim = {
                d.id: (d.identifier, d.staff_id)
                for d in session.scalars(select(Device).where(Device.identifier.like("sim-%")))
            }
            grid_of = {s: g for s, g in session.execute(select(Staff.id, Staff.node_id))}
            boundary_of = {n: b for n, b in session.execute(select(OrgNode.id, OrgNode.boundary))}
        assert len(sim) == 20

        reported = {sim[f.device][0] for f in fixes}
        batch_ids = set(tokens)
        osmand_ids = {ident for ident, _ in sim.values()} - batch_ids
        assert len(batch_ids) == 14 and len(osmand_ids) == 6
        assert reported & batch_ids, "no fix came through POST /api/v1/positions"
        assert reported & osmand_ids, "no fix came through /osmand"

        for f in fixes:
            identifier, staff_id = sim[f.device]
            assert f.staff == staff_id
            assert f.grid == grid_of[staff_id]
            box = Bounds.of_polygon(boundary_of[f.grid])
            assert box.min_lat <= f.lat <= box.max_lat, (identifier, f)
            assert box.min_lon <= f.lon <= box.max_lon, (identifier, f)
            assert f.battery is not None and 0 <= f.battery <= 100
            assert f.accuracy is not None and 3 <= f.accuracy <= 15

        # the position consumer (start_background) turned the stream into latest fixes
        deadline = 50
        while not r.hlen(STAFF_LAST_FIX) and deadline:
            time.sleep(0.1)
            deadline -= 1
        assert r.hlen(STAFF_LAST_FIX) > 0
    finally:
        r.close()


def test_a_second_run_reuses_known_tokens_and_stops_on_the_event(served):
    tokens: dict[str, str] = {}
    _run(served, 1.5, tokens)
    first = dict(tokens)
    stop = threading.Event()
    runner = threading.Thread(
        target=run_simulator,
        args=(served.settings, served.url, 20, 0.3, 0.3, 5, 0.0),
        kwargs={"stop": stop, "tokens": tokens},
    )
    r = redis.Redis.from_url(served.redis_url)
    try:
        before = r.xlen(POSITIONS_STREAM)
        runner.start()
        time.sleep(2.5)
        stop.set()
        runner.join(15)
        assert not runner.is_alive(), "the simulator did not stop on its event"
        assert tokens == first  # still valid, so not rotated
        assert r.xlen(POSITIONS_STREAM) > before
    finally:
        r.close()
