"""The ``gridwatch`` command: serve, demo, seed, devices, simulate, bench."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable
from types import FrameType

STOPPED = "已停止"


def _stopped_while_importing(_signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C before any command has started: nothing to clean up, so no traceback."""
    os.write(2, f"{STOPPED}\n".encode())
    os._exit(130)


# first, before the slow imports below (a second or more on a busy machine)
signal.signal(signal.SIGINT, _stopped_while_importing)

import logging  # noqa: E402

import click  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from dashboard.settings import Settings, load_settings  # noqa: E402
from data.models import Role  # noqa: E402


class GridwatchGroup(click.Group):
    """Ctrl-C in any command ends it with "已停止" instead of a traceback or "Aborted!".

    Commands that start processes (serve, demo, simulate) stop them in their own
    ``finally`` blocks first; this only turns what is left into a clean exit.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C changes nothing
            click.echo(STOPPED, err=True)
            ctx.exit(130)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


@click.group(cls=GridwatchGroup)
@click.option("--log-level", default="INFO", show_default=True)
@click.pass_context
def main(ctx: click.Context, log_level: str) -> None:
    """Gridwatch: real-time command center for grid-based community governance."""
    # the command line is imported: from now on Ctrl-C is a KeyboardInterrupt that the
    # running command cleans up after (and GridwatchGroup reports)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from dashboard.runtime.log_masking import install_on_root_handlers

    install_on_root_handlers()  # identity and mobile numbers are masked in every log line
    for noisy in ("werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.ensure_object(dict)
    try:
        ctx.obj["settings"] = load_settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "GRIDWATCH_" + "_".join(str(p) for p in error["loc"]).upper()
            click.echo(f"配置错误 {name}: {error['msg']}", err=True)
        sys.exit(2)


@main.command()
@click.option("--host", default=None, help="Bind address (default GRIDWATCH_HOST).")
@click.option("--port", type=int, default=None, help="Port (default GRIDWATCH_PORT).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the web server (dashboard, API, Socket.IO) and its background workers."""
    from dashboard.web.server import serve_forever

    settings = _settings(ctx)
    serve_forever(settings, host or settings.host, port or settings.port)


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database schema to the newest migration."""
    from data.db import make_engine, upgrade

    upgrade(make_engine(_settings(ctx).resolved_database_url()))
    click.echo("数据库结构已是最新 (schema up to date)")


@main.command()
@click.option("--scale", type=click.Choice(["small", "city", "zhengzhou"]), default="city")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
@click.option(
    "--history-months",
    type=click.IntRange(0, 120),
    default=12,
    show_default=True,
    help="Months of generated history up to today (0: none).",
)
@click.pass_context
def seed(ctx: click.Context, scale: str, seed_value: int, history_months: int) -> None:
    """Generate the demo city and its history (deterministic for a seed) into the database."""
    from dashboard.cli.seeding import seed_with_progress

    report = seed_with_progress(_settings(ctx), scale, seed_value, history_months)
    click.echo(report)


@main.group()
def device() -> None:
    """Register terminals and manage their tokens."""


@device.command("add")
@click.argument("identifier")
@click.option("--staff", "staff_id", type=int, required=True, help="Staff id of the holder.")
@click.pass_context
def device_add(ctx: click.Context, identifier: str, staff_id: int) -> None:
    """Register a terminal; prints its token once."""
    from dashboard.cli.devices import add

    _run_device_command(lambda: add(_settings(ctx), identifier, staff_id))


@device.command("rotate")
@click.argument("identifier")
@click.pass_context
def device_rotate(ctx: click.Context, identifier: str) -> None:
    """Issue a new token; the old one stops working at once."""
    from dashboard.cli.devices import rotate

    _run_device_command(lambda: rotate(_settings(ctx), identifier))


@device.command("revoke")
@click.argument("identifier")
@click.pass_context
def device_revoke(ctx: click.Context, identifier: str) -> None:
    """Revoke a terminal; its token and identifier are refused at once."""
    from dashboard.cli.devices import revoke

    _run_device_command(lambda: revoke(_settings(ctx), identifier))


@device.command("list")
@click.pass_context
def device_list(ctx: click.Context) -> None:
    """List registered terminals."""
    from dashboard.cli.devices import list_all

    _run_device_command(lambda: list_all(_settings(ctx)))


def _run_device_command(action: Callable[[], Iterable[str]]) -> None:
    from data.devices import DeviceError

    try:
        for line in action():
            click.echo(line)
    except DeviceError as exc:
        click.echo(f"错误: {exc}", err=True)
        sys.exit(2)


@main.group()
def user() -> None:
    """Accounts: add, change password, disable, list."""


def _new_password(password: str | None) -> str:
    if password:
        return password
    return click.prompt("新密码", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--node", "node_id", type=int, required=True, help="Org node the user governs.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password", default=None, help="Prompted for when omitted.")
@click.pass_context
def user_add(
    ctx: click.Context,
    username: str,
    role: str,
    node_id: int,
    display_name: str,
    password: str | None,
) -> None:
    """Create an account scoped to an org node."""
    from dashboard.cli.users import add

    _run_user_command(
        lambda: add(
            _settings(ctx), username, Role(role), node_id, display_name, _new_password(password)
        )
    )


@user.command("passwd")
@click.argument("username")
@click.option("--password", default=None, help="Prompted for when omitted.")
@click.pass_context
def user_passwd(ctx: click.Context, username: str, password: str | None) -> None:
    """Set a new password."""
    from dashboard.cli.users import passwd

    _run_user_command(lambda: passwd(_settings(ctx), username, _new_password(password)))


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """Disable an account; its sessions end at their next request."""
    from dashboard.cli.users import set_active

    _run_user_command(lambda: set_active(_settings(ctx), username, False))


@user.command("enable")
@click.argument("username")
@click.pass_context
def user_enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled account again."""
    from dashboard.cli.users import set_active

    _run_user_command(lambda: set_active(_settings(ctx), username, True))


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List accounts."""
    from dashboard.cli.users import list_all

    _run_user_command(lambda: list_all(_settings(ctx)))


def _run_user_command(action: Callable[[], Iterable[str]]) -> None:
    from data.passwords import PasswordPolicyError
    from data.users import UserError

    try:
        for line in action():
            click.echo(line)
    except (UserError, PasswordPolicyError) as exc:
        click.echo(f"错误: {exc}", err=True)
        sys.exit(2)


@main.command()
@click.option("--url", default=None, help="Server base URL (default http://HOST:PORT).")
@click.option("--staff", "staff_count", type=int, default=300, show_default=True)
@click.option("--interval", type=float, default=5.0, show_default=True, help="Seconds per fix.")
@click.option("--osmand-share", type=float, default=0.2, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
@click.option("--duration", type=float, default=0.0, help="Stop after N seconds (0: never).")
@click.pass_context
def simulate(
    ctx: click.Context,
    url: str | None,
    staff_count: int,
    interval: float,
    osmand_share: float,
    seed_value: int,
    duration: float,
) -> None:
    """Move staff along patrol paths in their grids, reporting through the HTTP API."""
    from dashboard.cli.simulator import run_simulator

    settings = _settings(ctx)
    run_simulator(
        settings,
        base_url=url or f"http://{settings.host}:{settings.port}",
        staff_count=staff_count,
        interval_s=interval,
        osmand_share=osmand_share,
        seed=seed_value,
        duration_s=duration,
    )


@main.command()
@click.option("--scale", type=click.Choice(["small", "city", "zhengzhou"]), default="city")
@click.option("--simulated-staff", type=int, default=600, show_default=True)
@click.option("--port", type=int, default=None)
@click.option(
    "--history-months",
    type=click.IntRange(0, 120),
    default=12,
    show_default=True,
    help="Months of generated history seeded on the first run (0: none).",
)
@click.pass_context
def demo(
    ctx: click.Context, scale: str, simulated_staff: int, port: int | None, history_months: int
) -> None:
    """Embedded Redis + SQLite + demo city with its history + simulator + server, all in one."""
    from dashboard.cli.demo import run_demo

    run_demo(
        _settings(ctx),
        scale=scale,
        simulated_staff=simulated_staff,
        port=port,
        history_months=history_months,
    )


@main.group()
def audit() -> None:
    """The audit log (kept GRIDWATCH_AUDIT_RETENTION_DAYS, at least 3 years)."""


@audit.command("purge")
@click.pass_context
def audit_purge(ctx: click.Context) -> None:
    """Delete audit rows older than the configured retention; nothing younger."""
    from data import audit as audit_records
    from data.db import migrated_sessions

    settings = _settings(ctx)
    with migrated_sessions(settings.resolved_database_url()).begin() as db:
        removed = audit_records.purge_older_than(db, settings.audit_retention_days)
        audit_records.record(
            db,
            actor="cli:purge",
            action="audit_purge",
            detail={"removed": removed, "retention_days": settings.audit_retention_days},
        )
    click.echo(f"已删除 {removed} 条超过 {settings.audit_retention_days} 天的审计记录")


@main.group()
def bench() -> None:
    """Benchmarks that print figures."""


@bench.command("ingest")
@click.option("--seconds", type=float, default=10.0, show_default=True)
@click.option("--batch", type=int, default=1000, show_default=True)
@click.option("--clients", type=int, default=2, show_default=True)
@click.pass_context
def bench_ingest_cmd(ctx: click.Context, seconds: float, batch: int, clients: int) -> None:
    """Fixes/s through POST /api/v1/positions vs raw pipelined XADD/s."""
    from dashboard.cli.bench import bench_ingest

    bench_ingest(_settings(ctx), seconds=seconds, batch=batch, clients=clients)


@bench.command("rankings")
@click.option("--scale", default="zhengzhou", show_default=True)
@click.option("--months", type=int, default=12, show_default=True, help="months of facts written")
@click.option("--incidents", type=int, default=1_000_000, show_default=True, help="per year")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--db", "database", default=None, help="SQLite file or URL (kept; reused if seeded)")
@click.option("--compare", is_flag=True, help="also time the old path (every daily row in pandas)")
def bench_rankings_cmd(
    scale: str, months: int, incidents: int, seed: int, database: str | None, compare: bool
) -> None:
    """A month's ranking of every level, drill-downs and the leader callback, with peak memory."""
    from dashboard.cli.bench_rankings import bench_rankings

    bench_rankings(scale, months, incidents, seed, database, compare)


@bench.command("history")
@click.option("--scale", type=click.Choice(["small", "city", "zhengzhou"]), default="city")
@click.option("--history-months", type=click.IntRange(1, 120), default=12, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
@click.option("--database", "database_url", default=None, help="Default: a throw-away SQLite file.")
def bench_history_cmd(
    scale: str, history_months: int, seed_value: int, database_url: str | None
) -> None:
    """Rows/s, time and peak memory of generating and writing N months of history."""
    from dashboard.cli.bench_history import bench_history

    bench_history(scale, history_months, seed_value, database_url)


if __name__ == "__main__":
    main()
