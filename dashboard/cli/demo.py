"""``gridwatch demo``: everything on one machine, stopped cleanly by Ctrl-C.

Ctrl-C (or SIGTERM) may come at any moment, also while the city is being seeded or the
simulator is still starting: whatever has been started by then is stopped in order
(simulator, server, Redis) and the demo says "已停止", without a traceback. The
simulator and redis-server run in sessions of their own, so a terminal's Ctrl-C reaches
only the demo, which stops them; they still die with it if it is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console
from rich.table import Table

from dashboard.app import GridwatchApp, create_app
from dashboard.cli.demo_accounts import DemoAccount, ensure_demo_accounts
from dashboard.cli.seeding import seed_with_progress
from dashboard.runtime.processes import die_with_parent
from dashboard.settings import Settings
from dashboard.web.server import _sigterm_as_interrupt, run_app
from data.db import is_empty, make_engine
from data.demo_city.history import DEFAULT_MONTHS
from data.models import ROLE_LABELS

console = Console()


def _start_simulator(
    settings: Settings, redis_url: str, base_url: str, staff: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GRIDWATCH_REDIS_URL": redis_url,  # the environment is readable by this user only
        "GRIDWATCH_DATABASE_URL": settings.resolved_database_url(),
    }
    args = [sys.executable, "-m", "dashboard.cli", "simulate", "--url", base_url]
    args += ["--staff", str(staff)]
    return subprocess.Popen(
        args,
        env=env,
        preexec_fn=die_with_parent,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches the demo only; the demo stops it
    )


def _stop_simulator(simulator: subprocess.Popen[bytes] | None) -> None:
    if simulator is None or simulator.poll() is not None:
        return
    simulator.terminate()
    try:
        simulator.wait(10)
    except subprocess.TimeoutExpired:
        simulator.kill()
        simulator.wait()


def redacted(url: str) -> str:
    """``url`` without its password, for the console."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _print_accounts(accounts: list[DemoAccount]) -> None:
    table = Table(title="演示账号（每次启动重新生成密码）")
    for column in ("用户名", "密码", "角色", "管辖范围"):
        table.add_column(column)
    for a in accounts:
        table.add_row(a.username, a.password, ROLE_LABELS[a.role], a.node_name)
    console.print(table)


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Stopping must not be cut short by a second Ctrl-C (it would leave Redis running)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_demo(
    settings: Settings,
    scale: str,
    simulated_staff: int,
    port: int | None,
    history_months: int = DEFAULT_MONTHS,
) -> None:
    port = port or settings.port
    _sigterm_as_interrupt()
    app: GridwatchApp | None = None
    simulator: subprocess.Popen[bytes] | None = None
    try:
        engine = make_engine(settings.resolved_database_url())
        if is_empty(engine):
            console.print(
                f"[bold]首次运行：生成演示城市（规模 {scale}）及 {history_months} 个月历史…[/bold]"
            )
            # one transaction: all or nothing
            seed_with_progress(settings, scale, seed=1, history_months=history_months)
        engine.dispose()

        app = create_app(settings)
        with app.services.sessions.begin() as session:
            accounts = ensure_demo_accounts(session)
        redis_url = app.embedded_redis.url if app.embedded_redis else settings.redis_url
        base_url = f"http://{settings.host}:{port}"
        simulator = _start_simulator(settings, redis_url, base_url, simulated_staff)
        console.print(f"[bold green]Gridwatch 演示已启动[/bold green]  指挥大屏: {base_url}/wall")
        console.print(f"Redis: {redacted(redis_url)}   数据库: {settings.resolved_database_url()}")
        _print_accounts(accounts)
        console.print("按 Ctrl-C 停止全部进程。")
        run_app(app, settings.host, port)
    except KeyboardInterrupt:
        pass
    finally:
        with _uninterrupted():
            _stop_simulator(simulator)
            if app is not None:
                app.close()
            console.print("已停止：服务、模拟终端和 Redis 均已退出。")
