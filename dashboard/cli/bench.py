"""``gridwatch bench ingest``: fixes/s through the real HTTP endpoint vs raw Redis.

Everything runs against throw-away state (an embedded Redis and a SQLite file
in a temp dir), so the bench can be pointed at any configuration without
touching real data. The server runs in a thread of this process, and the
clients are separate interpreters by default: client threads would share the
server's GIL and take its time, so the figure would be what one interpreter can
both send and serve, not what the server can take.
"""

from __future__ import annotations

import contextlib
import cProfile
import http.client
import io
import json
import logging
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import msgspec

from dashboard.settings import Settings

HOST = "127.0.0.1"
#: Zhengzhou, where the demo city lies
_LAT, _LON = 34.7466, 113.6253


@dataclass(frozen=True)
class _Target:
    port: int
    token: str
    body: bytes
    seconds: float


def _batch_body(batch: int, now: float) -> bytes:
    """One realistic batch: every optional field set, timestamps spread over the last minutes."""
    fixes = [
        {
            "lat": _LAT + (i % 97) * 1e-5,
            "lon": _LON + (i % 89) * 1e-5,
            "ts": round(now - (batch - i) * 0.2, 3),
            "speed": 1.2,
            "heading": float(i % 360),
            "accuracy": 6.5,
            "battery": 80.0,
        }
        for i in range(batch)
    ]
    return msgspec.json.encode({"fixes": fixes})


def _post_loop(target: _Target, go: Any) -> tuple[int, int]:
    """Post the same batch over one keep-alive connection until the time is up.

    Returns (accepted fixes, failed requests). ``go`` is waited on so every
    client starts at once and connection set-up is not timed.
    """
    conn = http.client.HTTPConnection(HOST, target.port, timeout=30)
    headers = {
        "Authorization": f"Bearer {target.token}",
        "Content-Type": "application/json",
        "Content-Length": str(len(target.body)),
    }
    conn.connect()
    go.wait()
    deadline = time.monotonic() + target.seconds
    accepted = failed = 0
    decode = msgspec.json.Decoder(dict[str, Any]).decode
    while time.monotonic() < deadline:
        conn.request("POST", "/api/v1/positions", target.body, headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status == 200:
            accepted += int(decode(payload)["accepted"])
        else:
            failed += 1
    conn.close()
    return accepted, failed


def _client_main() -> None:
    """Entry point of one client process: ``ready`` on stdout, ``go`` on stdin, JSON result."""
    port, token, batch, now, seconds = json.loads(sys.argv[1])
    target = _Target(port, token, _batch_body(batch, now), seconds)
    go = threading.Event()

    def wait_for_go() -> None:
        sys.stdin.readline()
        go.set()

    threading.Thread(target=wait_for_go, daemon=True).start()
    print("ready", flush=True)
    accepted, failed = _post_loop(target, go)
    print(json.dumps([accepted, failed]), flush=True)


def _run_http_clients(
    target: _Target, batch: int, now: float, clients: int, mode: str
) -> tuple[int, int, float]:
    """Run the clients; returns (accepted, failed requests, wall seconds)."""
    if mode == "thread":
        go_t = threading.Event()
        out: list[tuple[int, int]] = []
        lock = threading.Lock()

        def run() -> None:
            result = _post_loop(target, go_t)
            with lock:
                out.append(result)

        threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        started = time.monotonic()
        go_t.set()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        return sum(a for a, _ in out), sum(f for _, f in out), elapsed

    # Plain child interpreters (not multiprocessing): nothing of this process is
    # inherited or re-imported, and they die with it (die_with_parent).
    from dashboard.runtime.processes import die_with_parent

    arg = json.dumps([target.port, target.token, batch, now, target.seconds])
    code = "from dashboard.cli.bench import _client_main; _client_main()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, arg],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=die_with_parent,
        )
        for _ in range(clients)
    ]
    try:
        for p in procs:
            if _pipes(p)[1].readline().strip() != "ready":
                raise RuntimeError(f"bench client exited early ({p.wait()})")
        started = time.monotonic()
        for p in procs:
            stdin = _pipes(p)[0]
            stdin.write("go\n")
            stdin.flush()
        results = []
        for p in procs:
            line = _pipes(p)[1].readline()
            if not line:
                raise RuntimeError(f"bench client failed ({p.wait()})")
            results.append(json.loads(line))
        elapsed = time.monotonic() - started
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
            p.wait()
            for stream in (p.stdin, p.stdout):
                if stream is not None:
                    stream.close()
    return sum(a for a, _ in results), sum(f for _, f in results), elapsed


def _pipes(proc: subprocess.Popen[str]) -> tuple[IO[str], IO[str]]:
    """The stdin and stdout of a client started with both piped."""
    assert proc.stdin is not None and proc.stdout is not None, "started with PIPE"
    return proc.stdin, proc.stdout


def _redis_cpu(r: Any) -> float:
    """CPU seconds redis-server has used (main thread and children), from INFO."""
    info = r.info("cpu")
    return sum(
        float(info.get(k, 0.0))
        for k in (
            "used_cpu_sys",
            "used_cpu_user",
            "used_cpu_sys_children",
            "used_cpu_user_children",
        )
    )


def _timed(seconds: float, step: Callable[[], int]) -> tuple[int, float]:
    """Call ``step`` (returns items done) until ``seconds`` are up."""
    done = 0
    started = time.monotonic()
    deadline = started + seconds
    while time.monotonic() < deadline:
        done += step()
    return done, time.monotonic() - started


class _ProfiledWsgi:
    """WSGI middleware that profiles each request in its own thread's profiler.

    cProfile hooks one thread; the threaded server gives each connection a
    thread, so a profiler per thread is kept and merged at the end.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.profiles: dict[int, cProfile.Profile] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        prof = self.profiles.setdefault(threading.get_ident(), cProfile.Profile())
        prof.enable()
        try:
            return list(self.app(environ, start_response))
        finally:
            prof.disable()

    def report(self, top: int = 25) -> str:
        out = io.StringIO()
        profiles = list(self.profiles.values())
        if not profiles:
            return "(no requests profiled)"
        stats = pstats.Stats(profiles[0], stream=out)
        for prof in profiles[1:]:
            stats.add(prof)
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()


@contextlib.contextmanager
def _bench_world(settings: Settings, batch: int) -> Iterator[tuple[Any, str, Path]]:
    """Temp Redis + SQLite with one grid, one staff member and one device; the built app."""
    from sqlalchemy import select

    from dashboard.app import create_app
    from dashboard.runtime.embedded_redis import EmbeddedRedis
    from data import devices
    from data.db import make_engine, make_sessionmaker, upgrade
    from data.models import NodeKind, OrgNode, Post, Staff

    tmp = Path(tempfile.mkdtemp(prefix="gridwatch-bench-"))
    redis_server = EmbeddedRedis(tmp / "redis").start()
    app = None
    try:
        db_url = f"sqlite:///{tmp / 'bench.db'}"
        engine = make_engine(db_url)
        upgrade(engine)
        with make_sessionmaker(engine).begin() as session:
            d = 0.005
            ring = [
                [_LON - d, _LAT - d],
                [_LON + d, _LAT - d],
                [_LON + d, _LAT + d],
                [_LON - d, _LAT + d],
                [_LON - d, _LAT - d],
            ]
            node = OrgNode(
                kind=NodeKind.GRID,
                grid_level=3,
                code="BENCH-001",
                name="压测网格",
                path="/",
                depth=0,
                boundary={"type": "Polygon", "coordinates": [ring]},
                center_lat=_LAT,
                center_lon=_LON,
            )
            session.add(node)
            session.flush()
            node.path = f"/{node.id}/"
            staff = Staff(node_id=node.id, name="压测员", phone="13800000000", post=Post.ASSISTANT)
            session.add(staff)
            session.flush()
            staff_id = session.scalars(select(Staff.id)).one()
            token = devices.add_device(session, "bench-1", staff_id).token
        engine.dispose()
        body_guess = 200 * batch + 1024
        bench_settings = settings.model_copy(
            update={
                "redis_url": redis_server.url,
                "database_url": db_url,
                "run_workers": False,
                "var_dir": tmp,
                "max_batch_items": max(settings.max_batch_items, batch),
                "max_body_bytes": max(settings.max_body_bytes, body_guess),
            }
        )
        # create_app mirrors the device (made above) into Redis at start-up
        app = create_app(bench_settings)
        yield app, token, tmp
    finally:
        if app is not None:
            app.close()
        redis_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def bench_ingest(
    settings: Settings,
    seconds: float,
    batch: int,
    clients: int,
    *,
    mode: str = "process",
    profile: bool = False,
    quiet: bool = False,
) -> dict[str, float]:
    """Measure fixes/s through ``POST /api/v1/positions`` and raw stream appends; print a table.

    ``mode`` is ``"process"`` (default, see the module docstring) or ``"thread"``.
    ``profile`` prints where the server spends its time (cProfile per request thread).
    """
    from rich.console import Console

    if mode not in ("process", "thread"):
        raise ValueError(f"mode must be 'process' or 'thread', not {mode!r}")
    console = Console(quiet=quiet)
    # as ``gridwatch serve`` does: no access log line per request
    werkzeug_log = logging.getLogger("werkzeug")
    old_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    try:
        figures = _measure(settings, seconds, batch, clients, mode, profile, console)
    finally:
        werkzeug_log.setLevel(old_level)
    return figures


def _measure(
    settings: Settings,
    seconds: float,
    batch: int,
    clients: int,
    mode: str,
    profile: bool,
    console: Any,
) -> dict[str, float]:
    """Run every measurement in one throw-away world and print the table."""
    import redis

    with _bench_world(settings, batch) as (app, token, _tmp), _served(app, profile) as served:
        port, profiler = served
        r = redis.Redis.from_url(app.services.settings.redis_url)
        try:
            figures = _http_figures(
                r, _Target(port, token, b"", seconds), batch, clients, mode, console
            )
            retention = app.services.settings.position_retention_s
            figures.update(_redis_figures(r, batch, seconds, retention, console))
            figures.update(_consumer_figures(r, app.services.settings, seconds, console))
        finally:
            r.close()
    figures["ratio"] = (
        figures["http_fixes_per_s"] / figures["raw_xadd_per_s"]
        if figures["raw_xadd_per_s"]
        else 0.0
    )
    figures.update(batch=float(batch), clients=float(clients), cores=float(os.cpu_count() or 1))
    _print_table(figures, mode, console)
    if profiler is not None:
        print(profiler.report())  # plain: rich would wrap pstats' wide lines
    return figures


@contextlib.contextmanager
def _served(app: Any, profile: bool) -> Iterator[tuple[int, _ProfiledWsgi | None]]:
    """The app's WSGI server in a thread of this process: (port, profiler if asked)."""
    from werkzeug.serving import make_server

    from dashboard.runtime.processes import free_port
    from dashboard.web.server import KeepAliveHandler

    port = free_port(HOST)
    profiler = _ProfiledWsgi(app.server) if profile else None
    wsgi: Any = profiler if profiler is not None else app.server
    server = make_server(HOST, port, wsgi, threaded=True, request_handler=KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, name="bench-http", daemon=True)
    thread.start()
    try:
        yield port, profiler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _http_figures(
    r: Any, target: _Target, batch: int, clients: int, mode: str, console: Any
) -> dict[str, float]:
    """Fixes/s through ``POST /api/v1/positions`` and the CPU it took (server, Redis)."""
    started_at = time.time()
    target = _Target(target.port, target.token, _batch_body(batch, started_at), target.seconds)
    kind = "进程" if mode == "process" else "线程"
    console.print(f"[cyan]HTTP: {clients} 个客户端{kind}，每批 {batch} 条，{target.seconds:g} s …")
    cpu_before, redis_before = time.process_time(), _redis_cpu(r)
    accepted, failed, elapsed = _run_http_clients(target, batch, started_at, clients, mode)
    # CPU seconds per wall second: what is saturated (1.0 = one full core)
    return {
        "http_fixes_per_s": accepted / elapsed,
        "failed_requests": float(failed),
        "server_cpu_cores": (time.process_time() - cpu_before) / elapsed,
        "redis_cpu_cores": (_redis_cpu(r) - redis_before) / elapsed,
    }


def _stream_fixes(batch: int, staff: int = 1) -> list[Any]:
    """``batch`` stream fixes of ``staff`` staff members (round robin), newest last."""
    from streams.codec import StreamFix

    now = time.time()
    return [
        StreamFix(1 + i % staff, 1, _LAT, _LON, now - (batch - i) * 0.2, 1.2, 90.0, 6.5, 80.0, 1)
        for i in range(batch)
    ]


def _redis_figures(
    r: Any, batch: int, seconds: float, retention: int, console: Any
) -> dict[str, float]:
    """Appends/s of ``append_fixes`` alone, and of one XADD per fix (the reference)."""
    from streams.codec import encode_stream_fix
    from streams.keys import POSITIONS_STREAM
    from streams.positions import append_fixes

    fixes = _stream_fixes(batch)
    console.print(f"[cyan]Redis: append_fixes，每批 {batch} 条，{seconds:g} s …")
    raw_done, raw_elapsed = _timed(
        seconds, lambda: len(append_fixes(r, fixes, retention, time.time()))
    )
    payloads = [encode_stream_fix(f) for f in fixes]

    def plain_pipeline() -> int:
        pipe = r.pipeline(transaction=False)
        min_id = f"{int((time.time() - retention) * 1000)}-0"
        for p in payloads:
            pipe.xadd(POSITIONS_STREAM, {"f": p}, minid=min_id, approximate=True)
        return len(pipe.execute())

    console.print("[cyan]Redis: 逐条 XADD 流水线（参照）…")
    plain_done, plain_elapsed = _timed(min(seconds, 3.0), plain_pipeline)
    return {
        "raw_xadd_per_s": raw_done / raw_elapsed,
        "plain_pipeline_xadd_per_s": plain_done / plain_elapsed,
        "stream_length": float(r.xlen(POSITIONS_STREAM)),
    }


#: what the consumer bench feeds per call: one read's worth of entries, many staff
_CONSUMER_BATCH, _CONSUMER_STAFF = 500, 1000


def _consumer_figures(r: Any, settings: Settings, seconds: float, console: Any) -> dict[str, float]:
    """Fixes/s through the position consumer's ``handle``: live state and the push's feed.

    Entries are built outside the timed calls; each batch is newer than the last, so
    every fix is applied and published (the dearest case).
    """
    from dashboard.context import state_rules
    from streams.codec import encode_stream_fix
    from streams.position_consumer import PositionConsumer

    consumer = PositionConsumer(r, state_rules(settings), "bench")
    console.print(
        f"[cyan]消费者: handle，每批 {_CONSUMER_BATCH} 条，{_CONSUMER_STAFF} 人，{seconds:g} s …"
    )
    done, spent = 0, 0.0
    deadline = time.monotonic() + min(seconds, 5.0)
    while time.monotonic() < deadline:
        fixes = _stream_fixes(_CONSUMER_BATCH, _CONSUMER_STAFF)
        entries = [(b"0-0", {b"f": encode_stream_fix(fix)}) for fix in fixes]
        started = time.monotonic()
        consumer.handle(entries)
        spent += time.monotonic() - started
        done += len(entries)
    return {"consumer_fixes_per_s": done / spent if spent else 0.0}


def _print_table(figures: dict[str, float], mode: str, console: Any) -> None:
    from rich.table import Table

    table = Table(title="定位写入吞吐 (ingest throughput)")
    table.add_column("指标 (figure)")
    table.add_column("值 (value)", justify="right")
    server_label = "server process" if mode == "process" else "server + client threads"
    rows = [
        ("HTTP fixes/s (POST /api/v1/positions)", f"{figures['http_fixes_per_s']:,.0f}"),
        ("raw XADD/s (append_fixes, same batches)", f"{figures['raw_xadd_per_s']:,.0f}"),
        ("ratio HTTP / raw", f"{figures['ratio']:.2f}"),
        (
            "plain pipelined XADD/s (one command per fix)",
            f"{figures['plain_pipeline_xadd_per_s']:,.0f}",
        ),
        ("consumer fixes/s (live state + push feed)", f"{figures['consumer_fixes_per_s']:,.0f}"),
        ("batch size", f"{figures['batch']:.0f}"),
        (f"clients ({mode})", f"{figures['clients']:.0f}"),
        ("cores (os.cpu_count())", f"{figures['cores']:.0f}"),
        ("failed requests", f"{figures['failed_requests']:.0f}"),
        (f"CPU during HTTP: {server_label} (cores)", f"{figures['server_cpu_cores']:.2f}"),
        ("CPU during HTTP: redis-server (cores)", f"{figures['redis_cpu_cores']:.2f}"),
        ("stream length at end", f"{figures['stream_length']:,.0f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
