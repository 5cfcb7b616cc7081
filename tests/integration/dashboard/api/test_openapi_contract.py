"""The live API keeps its OpenAPI document: schemathesis, every check, bounded examples.

A real server thread with real Redis and the seeded small city, a registered device
and the SMS webhook token, so the authorised paths are exercised too. Schemathesis
runs as its own command line, exactly as a person runs it against a demo: its
settings (credentials, determinism, the rules no schema can state) are
schemathesis.toml's. Its pytest plugin cannot load a schema from a fixture under
pytest 9 (``Function._nodeid`` is gone), so the command line is also the stable way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import select

from dashboard.app import create_app
from dashboard.runtime.embedded_redis import EmbeddedRedis
from dashboard.settings import Settings
from dashboard.web.server import ServerThread
from data import devices
from data.alerts.lifecycle import issue
from data.incidents.actors import Actor
from data.incidents.intake import report
from data.incidents.workflow import apply
from data.models import Delivery, NodeKind, OrgNode, Staff
from streams import device_registry
from tests.support.paths import REPO_ROOT
from tests.support.running import Running

ROOT = REPO_ROOT
SMS_TOKEN = "contract-sms-token"
#: fuzzed cases per operation on top of the coverage phase's boundary cases: enough to
#: reach every branch the document describes, bounded for a busy 2-core machine
EXAMPLES = 10
SEED = 20261129


@pytest.fixture
def contract_server(
    redis_server: EmbeddedRedis, small_city_template: Path, tmp_path: Path
) -> Iterator[Running]:
    """A running Gridwatch whose positions land in the test's own Redis."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    shutil.copy(small_city_template, tmp_path / "gridwatch.db")
    app = create_app(
        Settings(
            redis_url=redis_server.url,
            database_url=f"sqlite:///{tmp_path / 'gridwatch.db'}",
            var_dir=tmp_path,
            sms_webhook_token=SMS_TOKEN,
        )
    )
    app.start_background()
    server = ServerThread(app).start()
    yield Running(app, server)
    server.stop()
    app.close()


def _known_records(running: Running) -> tuple[str, dict[str, dict[str, object]]]:
    """A terminal whose holder was texted an alert and dispatched an incident, and an
    Open311 request: ids schemathesis cannot invent, so those routes answer 200 too."""
    with running.app.services.sessions() as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
        grid = db.scalar(
            select(OrgNode)
            .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(community.path))
            .order_by(OrgNode.id)
        )
    desk = Actor(role="duty_officer", name="值班员", scope_path="/")
    now = dt.datetime.now(dt.UTC)
    with running.app.services.sessions.begin() as db:
        alert = issue(
            db,
            desk,
            node_id=community.id,
            level="yellow",
            category="heat",
            title="高温黄色预警",
            text="午后高温，请提醒独居老人防暑",
            valid_until=now + dt.timedelta(hours=6),
            now=now,
        ).alert
        staff_id = db.scalar(select(Delivery.staff_id).where(Delivery.alert_id == alert.id))
        issued = devices.add_device(db, "contract-terminal", staff_id)
        incident = report(
            db,
            source="open311",
            category="public_facilities",
            title="路灯不亮",
            node_id=db.get(Staff, staff_id).node_id,
        )
        db.flush()
        apply(db, incident.id, "accept", desk)
        apply(db, incident.id, "dispatch", desk, assignee_staff_id=staff_id)
        alert_id, tracking = alert.id, incident.tracking_no
    device_registry.publish(running.app.services.redis, issued.device)
    filed = requests.post(
        f"{running.url}/open311/v2/requests.json",
        data={"service_code": "fire_safety", "lat": grid.center_lat, "long": grid.center_lon},
    )
    assert filed.status_code == 201, filed.text
    return issued.token, {
        "postAlertAck": {"path.alert_id": alert_id},
        "postEventFeedback": {"path.tracking_no": tracking},
        "open311Request": {"path.service_request_id": filed.json()[0]["service_request_id"]},
    }


def _config(parameters: dict[str, dict[str, object]], path: Path) -> Path:
    """schemathesis.toml plus the known ids of this run's records, per operation."""
    text = (ROOT / "schemathesis.toml").read_text()
    for operation, values in parameters.items():
        pairs = ", ".join(f'"{name}" = {json.dumps(value)}' for name, value in values.items())
        text += f'\n[[operations]]\ninclude-operation-id = "{operation}"\n'
        text += f"parameters = {{ {pairs} }}\n"
    path.write_text(text)
    return path


def test_the_api_answers_as_its_document_says(contract_server: Running, tmp_path: Path) -> None:
    token, parameters = _known_records(contract_server)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(_config(parameters, tmp_path / "schemathesis.toml")),
        "run",
        f"{contract_server.url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--continue-on-failure",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    env = os.environ | {
        "GRIDWATCH_ST_DEVICE_TOKEN": token,
        "GRIDWATCH_ST_SMS_TOKEN": SMS_TOKEN,
    }
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-20_000:]
    # the credentials reached every route that takes them; only /osmand's identifiers
    # (credentials in the query, unknown to schemathesis) are answered 403
    assert [op for op in _unauthorised(report) if "/osmand" not in op] == [], report[-20_000:]


def _unauthorised(report: str) -> list[str]:
    """Operations schemathesis says answered only 401/403 (it lists them under a warning)."""
    warnings = report.partition("WARNINGS ===")[2].partition("SUMMARY ===")[0]
    block = warnings.partition("Authentication failed")[2].partition("💡")[0]
    return [line.strip()[2:] for line in block.splitlines() if line.strip().startswith("- ")]
