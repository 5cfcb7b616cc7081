"""Local hardening: the embedded Redis needs its password, and var/ is readable by its owner only.

A local user once forged a ``gw:session:*`` entry in the password-less embedded Redis and
got the leader's pages; every file under var/ (database, AOF, logs) was world-readable.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from dashboard.app import create_app
from dashboard.runtime.embedded_redis import PASSWORD_FILE, EmbeddedRedis, running_embedded_url
from dashboard.settings import Settings
from dashboard.web.server import ServerThread
from tests.support.running import Running

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a careless shell: whatever Gridwatch creates must still be private."""
    previous = os.umask(0o000)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _not_private(root: Path) -> list[str]:
    """Every directory under ``root`` that is not 0700 and every file that is not 0600."""
    wrong = []
    for path in [root, *root.rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600
        if _mode(path) != expected:
            wrong.append(f"{path.relative_to(root.parent)} {oct(_mode(path))}")
    return wrong


def test_the_embedded_redis_refuses_clients_without_its_password(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "redis") as server:
        anonymous = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=2)
        with pytest.raises(redis.AuthenticationError):
            anonymous.set("gw:session:forged", "{}")  # the forged session of the review
        anonymous.close()

        owner = redis.Redis.from_url(server.url)
        assert owner.ping()
        owner.close()
        # every other gridwatch process on the same var dir finds it, password included
        assert running_embedded_url(tmp_path / "redis") == server.url

        password_file = tmp_path / "redis" / PASSWORD_FILE
        assert _mode(password_file) == 0o600
        password = password_file.read_text().strip()
        assert len(password) >= 32 and f":{password}@" in server.url
        # not readable from the process list either
        assert server.process is not None
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        assert password.encode() not in cmdline
    # started again on the same data directory, it keeps its password (and its AOF)
    assert EmbeddedRedis(tmp_path / "redis").password == password


def test_a_stolen_port_file_is_not_enough(tmp_path: Path) -> None:
    """Without the password file, the port alone gives nothing (and is no URL)."""
    with EmbeddedRedis(tmp_path / "redis"):
        (tmp_path / "redis" / PASSWORD_FILE).unlink()
        assert running_embedded_url(tmp_path / "redis") is None


def test_var_is_owner_only_whatever_the_umask(
    small_city_template: Path, tmp_path: Path, loose_umask: None
) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    # files left by an older Gridwatch, world-readable
    shutil.copy(small_city_template, var / "gridwatch.db")
    (var / "gridwatch.db").chmod(0o644)
    old_photo = var / "attachments" / "20260101" / "old.png"
    old_photo.parent.mkdir(parents=True)
    old_photo.write_bytes(PNG)
    old_photo.chmod(0o644)
    for folder in (var / "attachments", old_photo.parent):
        folder.chmod(0o755)
    var.chmod(0o755)

    settings = Settings(redis_url="", database_url="", var_dir=var, push_interval_s=0.1)
    app = create_app(settings)
    app.start_background()
    server = ServerThread(app).start()
    try:
        running = Running(app, server)
        token, _ = running.add_device("perm-1")
        answer = requests.post(
            f"{server.url}/api/v1/events",
            data={"data": json.dumps({"category": "city_sanitation", "title": "垃圾未清运"})},
            files={"photo": ("a.png", PNG, "image/png")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        names = {p.name for p in var.rglob("*")}
        # the database with its WAL, Redis' AOF, log, port and password, the new photo
        assert {"gridwatch.db", "gridwatch.db-wal", "appendonly.aof", "redis.log"} <= names
        assert {"redis.port", PASSWORD_FILE} <= names
        assert len(list((var / "attachments").rglob("*.png"))) == 2
        assert _not_private(var) == []
    finally:
        server.stop()
        app.close()
    assert _not_private(var) == []
