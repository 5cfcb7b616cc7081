"""Gridwatch on a Redis that wants a password and TLS (``rediss://``), end to end.

The server is Debian's redis-server (built with TLS) started here with ``--requirepass``
and ``--tls-port`` and client-certificate checks; the certificates are made here with
the ``openssl`` command line.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from pydantic import ValidationError

from dashboard.app import create_app
from dashboard.runtime.processes import free_port
from dashboard.settings import Settings
from dashboard.web.server import ServerThread
from data.models import Role
from data.private_files import write_private
from streams.keys import STAFF_LAST_FIX
from tests.support.accounts import login, make_user
from tests.support.running import Running

REDIS_SERVER = "/usr/bin/redis-server"


@dataclass
class TlsRedis:
    port: int
    password: str
    ca: Path
    client_cert: Path
    client_key: Path

    @property
    def url(self) -> str:
        return f"rediss://:{self.password}@127.0.0.1:{self.port}/0"


def _openssl(certs: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=certs, check=True, capture_output=True)


def _signed(certs: Path, name: str, subject: str, extension: str) -> None:
    """A key and a certificate for ``name`` signed by the test CA."""
    _openssl(certs, "req", "-new", "-nodes", "-newkey", "rsa:2048", "-keyout", f"{name}.key",
             "-out", f"{name}.csr", "-subj", subject)  # fmt: skip
    (certs / f"{name}.ext").write_text(extension + "\n")
    _openssl(certs, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
             "-extfile", f"{name}.ext")  # fmt: skip


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[TlsRedis]:
    if not Path(REDIS_SERVER).exists() or shutil.which("openssl") is None:
        pytest.fail(f"{REDIS_SERVER} (Debian's redis-server, with TLS) and openssl are needed")
    certs = tmp_path / "certs"
    certs.mkdir()
    _openssl(certs, "req", "-x509", "-new", "-nodes", "-newkey", "rsa:2048",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Gridwatch test CA")  # fmt: skip
    _signed(certs, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1")
    _signed(certs, "client", "/CN=gridwatch", "extendedKeyUsage=clientAuth")
    password = secrets.token_urlsafe(24)
    config = tmp_path / "tls-redis.conf"
    write_private(config, f"requirepass {password}\n")
    port = free_port()
    args = [
        REDIS_SERVER, str(config),
        "--port", "0",  # TLS only: no plain-text port at all
        "--tls-port", str(port),
        "--bind", "127.0.0.1",
        "--tls-cert-file", str(certs / "server.pem"),
        "--tls-key-file", str(certs / "server.key"),
        "--tls-ca-cert-file", str(certs / "ca.pem"),
        "--tls-auth-clients", "yes",
        "--save", "", "--appendonly", "no",
        "--dir", str(tmp_path),
        "--logfile", str(tmp_path / "tls-redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL)
    server = TlsRedis(port, password, certs / "ca.pem", certs / "client.pem", certs / "client.key")
    probe = redis.Redis.from_url(
        server.url,
        ssl_ca_certs=str(server.ca),
        ssl_certfile=str(server.client_cert),
        ssl_keyfile=str(server.client_key),
        socket_connect_timeout=0.5,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            probe.ping()
            break
        except redis.ConnectionError:
            log = tmp_path / "tls-redis.log"
            assert process.poll() is None, log.read_text() if log.exists() else "exited"
            assert time.monotonic() < deadline, "TLS redis-server did not answer"
            time.sleep(0.1)
    probe.close()
    yield server
    process.terminate()
    process.wait(10)


def test_gridwatch_runs_on_a_redis_with_password_and_tls(
    tls_redis: TlsRedis, small_city_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=tls_redis.url,
        redis_tls_ca_file=tls_redis.ca,
        redis_tls_cert_file=tls_redis.client_cert,
        redis_tls_key_file=tls_redis.client_key,
        database_url=small_city_url,
        var_dir=tmp_path,
        push_interval_s=0.1,
    )
    app = create_app(settings)
    app.start_background()
    server = ServerThread(app).start()
    try:
        running = Running(app, server)
        token, staff_id = running.add_device("tls-1")
        fix = {"lat": 34.78, "lon": 113.66, "ts": time.time(), "battery": 80}
        accepted = requests.post(
            f"{server.url}/api/v1/positions",
            json={"fixes": [fix]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert accepted.status_code == 200 and accepted.json()["accepted"] == 1, accepted.text
        deadline = time.monotonic() + 15
        while not app.services.redis.hexists(STAFF_LAST_FIX, staff_id):
            assert time.monotonic() < deadline, "the position consumer did not take the fix"
            time.sleep(0.05)

        # sessions live in this Redis too: log in and open a page
        username, password = make_user(app.services.sessions, Role.LEADER, 1)
        http = login(server.url, username, password)
        assert http.get(f"{server.url}/wall", timeout=10).status_code == 200

        health = requests.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["redis"]["ok"]
    finally:
        server.stop()
        app.close()


def test_tls_settings_name_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(redis_url="rediss://127.0.0.1:6380/0", redis_tls_ca_file=tmp_path / "nope.pem")
    assert "redis_tls_ca_file" in str(raised.value)
    assert Settings(redis_tls_ca_file="").redis_tls_ca_file is None  # empty: not set
