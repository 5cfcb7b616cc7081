"""The SMS sender against real SQL, real Redis and a real HTTP server.

A provider that answers 500 is retried with growing gaps and then the delivery is
failed; a sender killed (SIGKILL) in the middle of a 2,000-recipient alert and one
that dies right after a send but before recording it leave, once another sender has
reclaimed the work, exactly one text per recipient and alert action.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, func, select
from sqlalchemy import update as sa_update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.db import make_sessionmaker
from data.incidents.actors import Actor
from data.models import Delivery, DeliveryState, NodeKind, OrgNode, Post, SmsMessage, Staff
from data.sms.gateways import HttpGateway, OutboxGateway, OutgoingSms, SendResult
from data.sms.receipts import apply_receipt
from streams.sms_sender import SenderConfig, SmsSender, backoff
from tests.support.paths import REPO_ROOT

REPO = REPO_ROOT
OFFICER = Actor(role="duty_officer", name="值班员", scope_path="/")
FAST = SenderConfig(batch=200, rate_per_s=100_000, burst=100_000, idle_s=0.05)


class Provider:
    """A local SMS provider: records every request when it arrives (that is when a real
    provider texts), waits ``delay`` seconds, then answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with provider.lock:
                    provider.requests.append(
                        {
                            "at": time.monotonic(),
                            "path": self.path,
                            "body": body.decode("utf-8"),
                            "key": self.headers.get("Idempotency-Key"),
                            "sender": self.headers.get("X-Sender"),
                        }
                    )
                if provider.delay:
                    time.sleep(provider.delay)
                self.send_response(provider.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)

    def keys(self) -> Counter[str]:
        """Requests per message id: what a provider that does not dedupe would text."""
        return Counter(q["key"] for q in self.snapshot())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    yield p
    p.close()


BODY = '{"mobile": "$phone", "content": "$text", "msgid": "$message_id"}'


def gateway_for(provider: Provider, sender: str = "test") -> HttpGateway:
    return HttpGateway(
        url_template=f"http://127.0.0.1:{provider.port}/send?to=$phone&id=$message_id",
        method="POST",
        body_template=BODY,
        body_encoding="json",
        headers={"X-Sender": sender},
        timeout_s=5,
    )


def issue_at(sessions: sessionmaker[Session], kind: NodeKind) -> lifecycle.ActionResult:
    now = dt.datetime.now(dt.UTC)
    with sessions() as session, session.begin():
        node = session.scalars(
            select(OrgNode).where(OrgNode.kind == kind).order_by(OrgNode.id)
        ).first()
        assert node is not None, kind
        return lifecycle.issue(
            session,
            OFFICER,
            node_id=node.id,
            level="red",
            category="flood",
            title="暴雨红色预警",
            text='今晚有"特大暴雨"，请转移低洼住户',
            valid_until=now + dt.timedelta(hours=6),
            now=now,
        )


def run_until_settled(sender: SmsSender, sessions: sessionmaker[Session], timeout: float) -> None:
    """Run the sender until no delivery is queued or sending (or fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sender.run_once()
        with sessions() as session:
            left = session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING])
                )
            )
        if not left:
            return
        time.sleep(0.02)
    raise AssertionError(f"{left} deliveries still queued after {timeout}s")


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 5, 30) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]


def test_http_gateway_texts_arrive_with_the_templated_body(
    sessions: sessionmaker[Session], r: redis.Redis, provider: Provider
) -> None:
    issued = issue_at(sessions, NodeKind.COMMUNITY)
    sender = SmsSender(sessions, gateway_for(provider), r, config=FAST)
    run_until_settled(sender, sessions, timeout=30)
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.action_id == issued.action.id))
        by_id = {str(d.id): d for d in rows}
    assert len(provider.requests) == issued.queued == len(by_id) > 5
    for request in provider.requests:
        body = json.loads(request["body"])
        delivery = by_id[body["msgid"]]
        assert body == {"mobile": delivery.phone, "content": delivery.text, "msgid": body["msgid"]}
        assert '"特大暴雨"' in body["content"]
        assert request["path"] == f"/send?to={delivery.phone}&id={delivery.id}"
        assert request["key"] == str(delivery.id)
        assert delivery.state == DeliveryState.SENT and delivery.attempts == 1
    first = next(iter(by_id))
    with sessions() as session, session.begin():
        assert apply_receipt(session, first, "DELIVRD", dt.datetime.now(dt.UTC))
        assert not apply_receipt(session, "not-an-id", "DELIVRD", dt.datetime.now(dt.UTC))
    with sessions() as session:
        delivered = session.get(Delivery, int(first))
        assert delivered is not None and delivered.state == DeliveryState.DELIVERED
        assert delivered.delivered_at is not None


def test_failing_gateway_is_retried_with_backoff_then_failed(
    sessions: sessionmaker[Session], r: redis.Redis, provider: Provider
) -> None:
    provider.status = 500
    issued = issue_at(sessions, NodeKind.GRID)
    config = SenderConfig(max_attempts=3, base_backoff_s=0.3, rate_per_s=1000, burst=1000)
    sender = SmsSender(sessions, gateway_for(provider), r, config=config)
    run_until_settled(sender, sessions, timeout=20)
    with sessions() as session:
        rows = list(session.scalars(select(Delivery).where(Delivery.action_id == issued.action.id)))
    assert len(rows) == issued.queued >= 1
    for delivery in rows:
        assert delivery.state == DeliveryState.FAILED and delivery.failed_at is not None
        assert delivery.attempts == 3 and delivery.last_error == "HTTP 500"
        hits = [q["at"] for q in provider.requests if q["key"] == str(delivery.id)]
        assert len(hits) == 3
        gaps = [b - a for a, b in itertools.pairwise(hits)]
        assert gaps[0] >= 0.3 - 0.05 and gaps[1] >= 0.6 - 0.05


def test_rate_limit_spaces_the_texts(
    sessions: sessionmaker[Session], r: redis.Redis, provider: Provider
) -> None:
    issued = issue_at(sessions, NodeKind.COMMUNITY)
    config = SenderConfig(batch=500, rate_per_s=40, burst=1)
    sender = SmsSender(sessions, gateway_for(provider), r, config=config)
    started = time.monotonic()
    run_until_settled(sender, sessions, timeout=30)
    elapsed = time.monotonic() - started
    assert issued.queued >= 15
    assert elapsed >= (issued.queued - 1) / 40 * 0.9


class Crash(BaseException):
    """A sender dying between the gateway taking a text and the row being marked sent."""


class CrashAfter:
    def __init__(self, inner: OutboxGateway, sends: int) -> None:
        self.inner, self.left, self.name = inner, sends, inner.name

    def send(self, sms: OutgoingSms) -> SendResult:
        result = self.inner.send(sms)
        self.left -= 1
        if self.left <= 0:
            raise Crash
        return result


def assert_one_text_each(sessions: sessionmaker[Session], action_id: int, expected: int) -> None:
    with sessions() as session:
        per_person = session.execute(
            select(SmsMessage.staff_id, func.count(SmsMessage.id))
            .where(SmsMessage.action_id == action_id)
            .group_by(SmsMessage.staff_id)
        ).all()
        states = session.execute(
            select(Delivery.state, func.count(Delivery.id))
            .where(Delivery.action_id == action_id)
            .group_by(Delivery.state)
        ).all()
    assert len(per_person) == expected
    assert {count for _, count in per_person} == {1}
    assert dict(states) == {DeliveryState.SENT: expected}


def test_sender_dying_after_a_send_never_texts_twice(
    sessions: sessionmaker[Session], engine: Engine, r: redis.Redis
) -> None:
    issued = issue_at(sessions, NodeKind.STREET)
    dying = SmsSender(sessions, CrashAfter(OutboxGateway(engine), 17), r, config=FAST)
    with pytest.raises(Crash):
        dying.run_once()
    with sessions() as session:
        stranded = session.scalar(
            select(func.count(Delivery.id)).where(Delivery.state == DeliveryState.SENDING)
        )
    assert stranded and stranded > 1  # the 17th was stored but never marked sent
    config = SenderConfig(batch=200, rate_per_s=100_000, burst=100_000, lease_s=0.2)
    time.sleep(0.3)
    restarted = SmsSender(sessions, OutboxGateway(engine), r, name="second", config=config)
    run_until_settled(restarted, sessions, timeout=60)
    assert_one_text_each(sessions, issued.action.id, issued.queued)


def add_assistants(sessions: sessionmaker[Session], count: int) -> None:
    """``count`` extra assistants spread over the grids (explicit ids, as the seed writes)."""
    with sessions() as session, session.begin():
        grids = list(session.scalars(select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID)))
        first = (session.scalar(select(func.max(Staff.id))) or 0) + 1
        session.add_all(
            Staff(
                id=first + n,
                node_id=grids[n % len(grids)],
                name=f"助理{n}",
                phone=f"137{n:08d}",
                post=Post.ASSISTANT,
            )
            for n in range(count)
        )


SENDER_PROCESS = textwrap.dedent(
    """
    import os, signal, sys, threading
    import redis
    from data.db import make_engine, make_sessionmaker
    from data.sms.gateways import OutboxGateway
    from streams.sms_sender import SenderConfig, SmsSender, run_sender

    class DiesMidway(OutboxGateway):
        # SIGKILLs its own process right after storing text number N: the worst moment,
        # the text exists but its delivery is still 'sending'
        sent = 0

        def send(self, sms):
            result = super().send(sms)
            DiesMidway.sent += 1
            if DiesMidway.sent == int(sys.argv[3]):
                os.kill(os.getpid(), signal.SIGKILL)
            return result

    engine = make_engine(sys.argv[1])
    config = SenderConfig(batch=100, rate_per_s=100_000, burst=100_000, idle_s=0.05)
    sender = SmsSender(make_sessionmaker(engine), DiesMidway(engine),
                       redis.Redis.from_url(sys.argv[2]), name="doomed", config=config)
    run_sender(sender, threading.Event())
    """
)


def test_sigkilled_sender_mid_2000_recipient_alert_texts_everyone_once(
    sessions: sessionmaker[Session], engine: Engine, r: redis.Redis, redis_url: str
) -> None:
    add_assistants(sessions, 2000)
    issued = issue_at(sessions, NodeKind.STREET)
    assert issued.queued >= 2000
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-c", SENDER_PROCESS, url, redis_url, "750"]
    proc = subprocess.Popen(args, cwd=REPO, env=env)
    try:
        assert proc.wait(timeout=120) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with sessions() as session:
        stored = session.scalar(select(func.count(SmsMessage.id))) or 0
        sending = session.scalar(
            select(func.count(Delivery.id)).where(Delivery.state == DeliveryState.SENDING)
        )
    assert stored == 750 < issued.queued, "the kill must land in the middle of the alert"
    assert sending, "the dead sender must have left claimed rows behind"
    config = SenderConfig(batch=500, rate_per_s=100_000, burst=100_000, lease_s=0.5)
    time.sleep(0.6)
    restarted = SmsSender(sessions, OutboxGateway(engine), r, name="restarted", config=config)
    run_until_settled(restarted, sessions, timeout=120)
    assert_one_text_each(sessions, issued.action.id, issued.queued)


def test_alert_actions_reach_the_alert_stream_through_the_outbox(
    sessions: sessionmaker[Session], r: redis.Redis
) -> None:
    from streams.keys import ALERTS_STREAM
    from streams.outbox_relay import relay_outbox

    issued = issue_at(sessions, NodeKind.COMMUNITY)
    with sessions() as session, session.begin():
        lifecycle.lift(session, OFFICER, issued.alert.id, now=dt.datetime.now(dt.UTC))
    relay_outbox(sessions, r)
    entries = r.xrange(ALERTS_STREAM)
    payloads = [json.loads(fields[b"data"]) for _, fields in entries]
    assert [(p["alert_id"], p["action"], p["seq"]) for p in payloads] == [
        (issued.alert.id, "issue", 1),
        (issued.alert.id, "lift", 2),
    ]
    assert payloads[0]["recipients"] == issued.queued and payloads[1]["state"] == "lifted"


def test_sender_loop_outlives_an_exhausted_connection_pool(
    engine: Engine, sessions: sessionmaker[Session], r: redis.Redis
) -> None:
    """Issue 9: a pool timeout once killed the sender's thread and every later text stayed
    queued. The loop now backs off, shows the failure on its heartbeat and sends afterwards."""
    from sqlalchemy import create_engine

    from streams.loops import Heartbeat
    from streams.sms_sender import run_sender

    tiny = create_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    tiny_sessions = make_sessionmaker(tiny)
    sender = SmsSender(tiny_sessions, OutboxGateway(engine), r, name="pool", config=FAST)
    beat = Heartbeat("sms-sender", stale_after_s=60)
    stop = threading.Event()
    held = tiny.connect()  # a burst of logins holds the only pooled connection
    thread = threading.Thread(target=run_sender, args=(sender, stop, beat), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while beat.total_failures == 0:
            assert time.monotonic() < deadline, "the sender never hit the pool timeout"
            time.sleep(0.05)
        assert "TimeoutError" in (beat.last_error or "")
        held.close()
        issued = issue_at(sessions, NodeKind.COMMUNITY)
        deadline = time.monotonic() + 30
        while True:
            with sessions() as session:
                waiting = session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        Delivery.action_id == issued.action.id,
                        Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
                    )
                )
            if waiting == 0:
                break
            assert thread.is_alive(), "the sender's thread died"
            assert time.monotonic() < deadline, f"{waiting} texts still waiting"
            time.sleep(0.1)
        assert beat.state() == "ok"
    finally:
        stop.set()
        thread.join(10)
        tiny.dispose()


# -- a slow provider and senders that outlive their lease (issue 9, finding 7) ----------


def add_staff_to_first_grid(sessions: sessionmaker[Session], count: int) -> None:
    """``count`` extra assistants in the grid ``issue_at(…, GRID)`` targets."""
    with sessions() as session, session.begin():
        grid = session.scalars(
            select(OrgNode.id).where(OrgNode.kind == NodeKind.GRID).order_by(OrgNode.id)
        ).first()
        first = (session.scalar(select(func.max(Staff.id))) or 0) + 1
        session.add_all(
            Staff(
                id=first + n,
                node_id=grid,
                name=f"协管{n}",
                phone=f"136{n:08d}",
                post=Post.ASSISTANT,
            )
            for n in range(count)
        )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.02)


def settled(sessions: sessionmaker[Session], action_id: int) -> bool:
    with sessions() as session:
        waiting = session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.action_id == action_id,
                Delivery.state.in_([DeliveryState.QUEUED, DeliveryState.SENDING]),
            )
        )
    return waiting == 0


def delivery_ids(sessions: sessionmaker[Session], action_id: int) -> set[str]:
    """Message ids of the action's deliveries, all of which must be marked sent."""
    with sessions() as session:
        rows = list(session.scalars(select(Delivery).where(Delivery.action_id == action_id)))
    assert {d.state for d in rows} == {DeliveryState.SENT}
    return {str(d.id) for d in rows}


def test_a_claim_takes_at_most_one_batch(
    sessions: sessionmaker[Session], engine: Engine, r: redis.Redis
) -> None:
    """On PostgreSQL ``UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``
    claimed every due row; a second sender then found nothing to do."""
    issued = issue_at(sessions, NodeKind.COMMUNITY)
    assert issued.queued > 4
    config = SenderConfig(batch=2)
    first = SmsSender(sessions, OutboxGateway(engine), r, name="a", config=config)
    second = SmsSender(sessions, OutboxGateway(engine), r, name="b", config=config)
    _, mine = first.claim()
    _, theirs = second.claim()
    assert len(mine) == len(theirs) == 2
    assert not {d.id for d in mine} & {d.id for d in theirs}


# row locks and the idle-in-transaction limit are PostgreSQL's: this case runs there only
@pytest.mark.parametrize(
    "engine", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_sender_frozen_inside_a_transaction_blocks_no_take_over(
    sessions: sessionmaker[Session], engine: Engine, r: redis.Redis
) -> None:
    """A sender stopped between a statement and its commit (here: a renewal left open)
    holds its rows' locks. The take-over skips them instead of waiting for ever, and on
    PostgreSQL the frozen session is ended after the lease, so the next round takes them.
    (Seen once in the full suite: the SIGSTOP test hung in ``reclaim_stale``.)"""
    issue_at(sessions, NodeKind.GRID)
    config = SenderConfig(batch=100, lease_s=1.0)
    frozen = SmsSender(sessions, OutboxGateway(engine), r, name="frozen", config=config)
    token, held = frozen.claim()
    assert held
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    frozen_moment = frozen._transaction()  # entered and never left: the sender froze here
    open_renewal = frozen_moment.__enter__()
    open_renewal.execute(
        sa_update(Delivery).where(Delivery.claimed_by == token).values(claimed_at=stale)
    )
    taker = SmsSender(sessions, OutboxGateway(engine), r, name="taker", config=config)
    assert taker.reclaim_stale() == 0  # locked rows are skipped, not waited on
    wait_until(lambda: taker.reclaim_stale() > 0, 30, "the frozen session's end")
    with sessions() as session:
        held_ids = [d.id for d in held]
        states = set(session.scalars(select(Delivery.state).where(Delivery.id.in_(held_ids))))
    assert states == {DeliveryState.QUEUED}
    with pytest.raises(DBAPIError):  # resumed, the frozen sender finds its session gone
        frozen_moment.__exit__(None, None, None)


def test_live_senders_racing_on_a_provider_slower_than_the_lease_text_each_person_once(
    sessions: sessionmaker[Session], r: redis.Redis, provider: Provider
) -> None:
    """Each request takes longer than the lease; a live sender keeps its rows (it renews
    its lease while it holds them), so the other never takes one over and sends it again."""
    add_staff_to_first_grid(sessions, 3)
    issued = issue_at(sessions, NodeKind.GRID)
    assert issued.queued >= 5
    provider.delay = 2.0
    config = SenderConfig(batch=2, rate_per_s=100_000, burst=100_000, lease_s=1.5, idle_s=0.05)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run(sender: SmsSender) -> None:
        try:
            while not stop.is_set():
                if sender.run_once(stop) == 0:
                    stop.wait(config.idle_s)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(
            target=run,
            args=(SmsSender(sessions, gateway_for(provider, name), r, name=name, config=config),),
        )
        for name in ("a", "b")
    ]
    for thread in threads:
        thread.start()
    try:
        wait_until(
            lambda: (
                settled(sessions, issued.action.id) or max(provider.keys().values(), default=0) > 1
            ),
            120,
            "all texts sent (or one sent twice)",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert errors == []
    expected = delivery_ids(sessions, issued.action.id)
    assert len(expected) == issued.queued
    per_key = provider.keys()
    assert set(per_key) == expected
    assert {k: n for k, n in per_key.items() if n > 1} == {}, "somebody was texted twice"
    assert {q["sender"] for q in provider.snapshot()} == {"a", "b"}, "the senders did not race"


def test_a_rate_limited_batch_longer_than_the_lease_is_not_taken_over(
    sessions: sessionmaker[Session], r: redis.Redis, provider: Provider
) -> None:
    """A batch that the rate limit stretches past the lease stays with its live sender."""
    issued = issue_at(sessions, NodeKind.COMMUNITY)
    config = SenderConfig(batch=100, rate_per_s=10, burst=1, lease_s=0.6, idle_s=0.02)
    assert issued.queued / config.rate_per_s > 2 * config.lease_s
    slow = SmsSender(sessions, gateway_for(provider, "slow"), r, name="slow", config=config)
    other = SmsSender(sessions, gateway_for(provider, "other"), r, name="other", config=config)
    stop = threading.Event()
    thread = threading.Thread(target=slow.run_once, args=(stop,))
    thread.start()
    try:
        wait_until(lambda: bool(provider.keys()), 30, "the slow sender's first text")
        while thread.is_alive():
            other.run_once(stop)  # a reclaim of the slow sender's rows would send them here
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(30)
    assert settled(sessions, issued.action.id)
    per_key = provider.keys()
    assert set(per_key) == delivery_ids(sessions, issued.action.id)
    assert set(per_key.values()) == {1}
    assert {q["sender"] for q in provider.snapshot()} == {"slow"}


def test_a_stopping_sender_gives_back_what_it_has_not_sent(
    sessions: sessionmaker[Session], r: redis.Redis, provider: Provider
) -> None:
    """On shutdown the unsent rest of a batch is queued again at once (no attempt counted),
    instead of waiting out the lease in another process."""
    issued = issue_at(sessions, NodeKind.COMMUNITY)
    config = SenderConfig(batch=100, rate_per_s=5, burst=1)
    sender = SmsSender(sessions, gateway_for(provider), r, config=config)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run_once, args=(stop,))
    thread.start()
    wait_until(lambda: bool(provider.keys()), 30, "the first text")
    stop.set()
    thread.join(30)
    sent = set(provider.keys())
    with sessions() as session:
        rows = list(session.scalars(select(Delivery).where(Delivery.action_id == issued.action.id)))
    assert 0 < len(sent) < len(rows)
    for delivery in rows:
        if str(delivery.id) in sent:
            assert delivery.state == DeliveryState.SENT and delivery.attempts == 1
        else:
            assert delivery.state == DeliveryState.QUEUED and delivery.attempts == 0
            assert delivery.claimed_by is None and delivery.claimed_at is None


FROZEN_SENDER = textwrap.dedent(
    """
    import sys, time
    import redis
    from data.db import make_engine, make_sessionmaker
    from data.sms.gateways import HttpGateway
    from streams.sms_sender import SenderConfig, SmsSender

    db_url, redis_url, url, body, lease = sys.argv[1:6]
    gateway = HttpGateway(url_template=url, body_template=body,
                          headers={"X-Sender": "frozen"}, timeout_s=60)
    config = SenderConfig(batch=100, rate_per_s=100_000, burst=100_000, lease_s=float(lease))
    sender = SmsSender(make_sessionmaker(make_engine(db_url)), gateway,
                       redis.Redis.from_url(redis_url), name="frozen", config=config)
    while True:  # as the supervised loop does: a failed round is logged, the next one runs
        try:
            sent = sender.run_once()
        except Exception as err:
            print(f"failed {err!r}", flush=True)
            sent = 0
        print(f"round {sent}", flush=True)
        if not sent:
            time.sleep(0.05)
    """
)


def test_a_sender_frozen_longer_than_the_lease_is_taken_over_and_sends_nothing_twice(
    sessions: sessionmaker[Session],
    engine: Engine,
    r: redis.Redis,
    redis_url: str,
    provider: Provider,
) -> None:
    """SIGSTOP a sender in the middle of a slow alert: once its lease has passed another
    sender takes its rows over; resumed, the frozen one sends none of them again. The one
    text it had in flight when it froze is the documented limit: the taker resends it
    with the same message id, which a provider that dedupes texts once."""
    add_staff_to_first_grid(sessions, 5)
    issued = issue_at(sessions, NodeKind.GRID)
    assert issued.queued >= 7
    provider.delay = 0.5
    lease = 1.0
    url = engine.url.render_as_string(hide_password=False)
    template = gateway_for(provider).url_template
    args = [sys.executable, "-c", FROZEN_SENDER, url, redis_url, template, BODY, str(lease)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    rounds: list[float] = []

    def read_rounds() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("round"):
                rounds.append(time.monotonic())

    threading.Thread(target=read_rounds, daemon=True).start()
    try:

        def frozen_sent() -> int:
            return sum(q["sender"] == "frozen" for q in provider.snapshot())

        wait_until(lambda: frozen_sent() >= 2, 60, "the doomed sender's first texts")
        assert not rounds, "the frozen sender must be in the middle of its batch"
        os.kill(proc.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        taker_config = SenderConfig(
            batch=100, rate_per_s=100_000, burst=100_000, lease_s=lease, idle_s=0.05
        )
        taker = SmsSender(
            sessions, gateway_for(provider, "taker"), r, name="taker", config=taker_config
        )
        run_until_settled(taker, sessions, timeout=60)
        assert time.monotonic() - frozen_at > lease
        resumed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGCONT)
        wait_until(
            lambda: any(t > resumed_at for t in rounds), 30, "the resumed sender's round end"
        )
    finally:
        proc.kill()
        proc.wait()
    requests = provider.snapshot()
    per_key = Counter(q["key"] for q in requests)
    twice = {key for key, n in per_key.items() if n > 1}
    assert set(per_key) == delivery_ids(sessions, issued.action.id)
    assert any(q["sender"] == "taker" for q in requests), "the taker took nothing over"
    # at most the one text in flight at the freeze went twice, with the same message id
    assert len(twice) <= 1 and max(per_key.values()) <= 2, per_key
    for key in twice:
        pair = [q for q in requests if q["key"] == key]
        assert [q["sender"] for q in pair] == ["frozen", "taker"]
        assert len({json.loads(q["body"])["msgid"] for q in pair}) == 1
    resent = {q["key"] for q in requests if q["sender"] == "frozen" and q["at"] > resumed_at}
    assert resent <= twice, f"the resumed sender sent {resent} again"
