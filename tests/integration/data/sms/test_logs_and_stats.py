"""发送统计 and 短信日志 on the real record (SQLite and PostgreSQL), and 重发.

Deliveries are given known states and queued times, including ones around China-time
midnight, and the counts are compared with what the same rows say when tallied here.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.incidents.actors import Actor
from data.models import Delivery, DeliveryState, OrgNode, SmsSource, Staff
from data.sms import logs, stats
from data.sms.compose import compose
from tests.support.city import two_communities

CHINA = ZoneInfo("Asia/Shanghai")
#: 2026-12-10 10:00 in Beijing
NOW = dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC)


def staff_ids(sessions: sessionmaker[Session], path: str, n: int) -> list[int]:
    with sessions() as db:
        return list(
            db.scalars(
                select(Staff.id)
                .join(OrgNode, OrgNode.id == Staff.node_id)
                .where(OrgNode.path.startswith(path), Staff.active.is_(True))
                .order_by(Staff.id)
                .limit(n)
            )
        )


def send(
    sessions: sessionmaker[Session], path: str, people: list[int], at: dt.datetime, token: str
) -> int:
    me = Actor(role="duty_officer", name="值班员", scope_path=path, user_id=1)
    with sessions.begin() as db:
        return compose(db, me, text="通知", staff_ids=people, client_token=token, now=at).batch_id


def set_states(sessions: sessionmaker[Session], batch_id: int, states: list[str]) -> None:
    with sessions.begin() as db:
        ids = db.scalars(
            select(Delivery.id).where(Delivery.batch_id == batch_id).order_by(Delivery.id)
        ).all()
        for delivery_id, state in zip(ids, states, strict=True):
            extra = {"last_error": "HTTP 500", "attempts": 5} if state == "failed" else {}
            db.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(state=DeliveryState(state), **extra)
            )


def china(y: int, m: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=CHINA)


def test_daily_counts_by_state_on_china_days(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    people = staff_ids(sessions, a.path, 4)
    # 2026-12-09 23:30 Beijing is 15:30 UTC the same day; 00:30 on the 10th is 16:30 UTC
    # on the 9th: a UTC day would put both on the 9th
    late = send(sessions, a.path, people[:3], china(2026, 12, 9, 23, 30), "late-night")
    early = send(sessions, a.path, people, china(2026, 12, 10, 0, 30), "early-morning")
    send(sessions, a.path, people[:1], china(2026, 11, 1, 12), "too-old-01")
    send(sessions, b.path, staff_ids(sessions, b.path, 2), china(2026, 12, 10, 9), "other-com")
    set_states(sessions, late, ["sent", "delivered", "failed"])
    set_states(sessions, early, ["queued", "failed", "failed", "acknowledged"])

    with sessions() as db:
        got = stats.daily_counts(db, a.path, NOW)
    assert len(got.days) == 30 and got.days[-1] == dt.date(2026, 12, 10)
    assert got.days[0] == dt.date(2026, 11, 11)
    i9, i10 = got.days.index(dt.date(2026, 12, 9)), got.days.index(dt.date(2026, 12, 10))
    day = {state: (counts[i9], counts[i10]) for state, counts in got.by_state.items()}
    assert day["sent"] == (1, 0) and day["delivered"] == (1, 0)
    assert day["failed"] == (1, 2) and day["queued"] == (0, 1) and day["acknowledged"] == (0, 1)
    assert got.total == 7  # the November text is outside the 30 days, B is outside the scope
    assert (got.succeeded, got.failed, got.pending) == (3, 3, 1)
    assert sum(sum(c) for c in got.by_state.values()) == got.total

    with sessions() as db:
        city = stats.daily_counts(db, "/", NOW)
        alerts_only = stats.daily_counts(db, "/", NOW, source=SmsSource.ALERT)
        seven = stats.daily_counts(db, a.path, NOW, days=7)
    assert city.total == 9 and alerts_only.total == 0
    assert len(seven.days) == 7 and seven.total == 7


def test_daily_counts_follow_the_display_zone_across_a_dst_change(
    sessions: sessionmaker[Session],
) -> None:
    """Another display zone, with a daylight-saving change inside the 30 days (Berlin,
    2026-10-25): days are that zone's calendar days on both databases."""
    berlin = ZoneInfo("Europe/Berlin")
    a, _ = two_communities(sessions)
    people = staff_ids(sessions, a.path, 3)
    # 23:50 Berlin on 10-24 (summer time, 21:50 UTC) and 00:10 on 10-26 (winter, 23:10 UTC
    # on the 25th): a fixed offset would put one of them on the wrong day
    send(
        sessions,
        a.path,
        people[:1],
        dt.datetime(2026, 10, 24, 23, 50, tzinfo=berlin),
        "berlin-summer",
    )
    send(
        sessions,
        a.path,
        people[:2],
        dt.datetime(2026, 10, 26, 0, 10, tzinfo=berlin),
        "berlin-winter",
    )
    send(
        sessions, a.path, people, dt.datetime(2026, 11, 9, 23, 59, tzinfo=berlin), "berlin-november"
    )
    now = dt.datetime(2026, 11, 10, 12, 0, tzinfo=berlin)
    with sessions() as db:
        got = stats.daily_counts(db, a.path, now, tz=berlin)
    per_day = {day: sum(c[i] for c in got.by_state.values()) for i, day in enumerate(got.days)}
    assert per_day[dt.date(2026, 10, 24)] == 1
    assert per_day[dt.date(2026, 10, 25)] == 0
    assert per_day[dt.date(2026, 10, 26)] == 2
    assert per_day[dt.date(2026, 11, 9)] == 3
    assert got.total == 6


def test_alert_texts_count_as_alert_source(sessions: sessionmaker[Session]) -> None:
    a, _ = two_communities(sessions)
    boss = Actor(role="duty_officer", name="市值班员", scope_path="/", user_id=2)
    with sessions.begin() as db:
        issued = lifecycle.issue(
            db,
            boss,
            node_id=a.id,
            level="yellow",
            category="heat",
            title="高温黄色预警",
            text="注意防暑",
            valid_until=NOW + dt.timedelta(hours=3),
            now=NOW - dt.timedelta(hours=1),
        )
    send(sessions, a.path, staff_ids(sessions, a.path, 2), NOW, "manual-two")
    with sessions() as db:
        assert stats.daily_counts(db, a.path, NOW, source="alert").total == issued.queued
        assert stats.daily_counts(db, a.path, NOW, source="manual").total == 2
        page = logs.list_deliveries(db, a.path, source="alert", page_size=500)
    assert page.total == issued.queued and {r.source for r in page.rows} == {SmsSource.ALERT}


def test_log_rows_newest_first_filtered_and_masked(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    people = staff_ids(sessions, a.path, 3)
    first = send(sessions, a.path, people, NOW - dt.timedelta(hours=2), "log-first")
    second = send(sessions, a.path, people[:2], NOW, "log-second")
    send(sessions, b.path, staff_ids(sessions, b.path, 1), NOW, "log-other")
    set_states(sessions, first, ["sent", "failed", "delivered"])

    with sessions() as db:
        everything = logs.list_deliveries(db, a.path)
        failed = logs.list_deliveries(db, a.path, states=["failed"])
        paged = logs.list_deliveries(db, a.path, page=1, page_size=2)
        phones = dict(db.execute(select(Staff.id, Staff.phone).where(Staff.id.in_(people))).all())
    assert everything.total == 5
    assert [r.batch_id for r in everything.rows] == [second] * 2 + [first] * 3
    assert [r.id for r in everything.rows] == sorted((r.id for r in everything.rows), reverse=True)
    row = failed.rows[0]
    assert failed.total == 1 and row.state == DeliveryState.FAILED
    assert (row.last_error, row.attempts, row.source) == ("HTTP 500", 5, SmsSource.MANUAL)
    for r in everything.rows:
        assert "*" in r.phone and r.phone not in phones.values()
    assert (paged.page, paged.pages, len(paged.rows)) == (1, 3, 2)
    with pytest.raises(ValueError), sessions() as db:
        logs.list_deliveries(db, a.path, states=["nonsense"])


def test_resend_queues_a_failed_text_again_once(sessions: sessionmaker[Session]) -> None:
    a, b = two_communities(sessions)
    batch = send(sessions, a.path, staff_ids(sessions, a.path, 2), NOW, "resend-01")
    set_states(sessions, batch, ["failed", "sent"])
    with sessions() as db:
        failed_id, sent_id = db.scalars(
            select(Delivery.id).where(Delivery.batch_id == batch).order_by(Delivery.id)
        ).all()
    later = NOW + dt.timedelta(minutes=5)
    with sessions.begin() as db:
        with pytest.raises(logs.LogError, match="不存在或不在您的管辖范围内"):
            logs.resend(db, b.path, failed_id, later)
        with pytest.raises(logs.LogError, match="只有发送失败的短信可以重发"):
            logs.resend(db, a.path, sent_id, later)
        before = logs.resend(db, a.path, failed_id, later)
    assert (before.previous_attempts, before.previous_error) == (5, "HTTP 500")
    with sessions() as db:
        row = db.get(Delivery, failed_id)
        assert row is not None
        assert (row.state, row.attempts, row.next_attempt_at) == (DeliveryState.QUEUED, 0, later)
        assert row.failed_at is None and row.claimed_by is None
    with sessions.begin() as db, pytest.raises(logs.LogError, match="可能已重新排队"):
        logs.resend(db, a.path, failed_id, later)
