"""`gridwatch serve` as its own process, as in production, for browser and multi-process tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from dashboard.runtime.processes import free_port
from dashboard.settings import Settings
from tests.support.browser import LiveServer


def start_server(
    redis_url: str, database_url: str, tmp_path: Path, extra_env: dict[str, str] | None = None
) -> LiveServer:
    """Run `gridwatch serve` as its own process, as in production, and wait for health."""
    port = free_port()
    env = {
        **os.environ,
        "GRIDWATCH_REDIS_URL": redis_url,
        "GRIDWATCH_DATABASE_URL": database_url,
        "GRIDWATCH_VAR_DIR": str(tmp_path),
        "GRIDWATCH_PUSH_INTERVAL_S": "0.2",
        **(extra_env or {}),
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            raise RuntimeError(log_path.read_text())
        time.sleep(0.2)
    settings = Settings(redis_url=redis_url, database_url=database_url, var_dir=tmp_path)
    return LiveServer(url, settings, process)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
