"""Latest fix and state per staff member in a real Redis."""

from __future__ import annotations

from streams.codec import StreamFix
from streams.keys import STAFF_STATE_STREAM
from streams.live_state import (
    LOW_BATTERY,
    OFFLINE,
    ONLINE,
    UPDATES_FIELD,
    LiveState,
    StaffUpdate,
    StateRules,
    decode_updates,
)

RULES = StateRules(offline_after_s=300, low_battery_pct=20)


def fix(staff: int, ts: float, lat: float = 34.7, battery: float | None = 90) -> StreamFix:
    return StreamFix(staff, 9, lat, 113.6, ts, None, None, None, battery, 1)


def test_newest_fix_wins_whatever_the_arrival_order(r):
    live = LiveState(r, RULES)
    now = 10_000.0
    assert live.apply([fix(1, now - 5, lat=34.71), fix(1, now - 1, lat=34.72)], now) == 1
    assert live.apply([fix(1, now - 50, lat=34.60)], now) == 0  # late buffered fix
    stored, _state = live.latest([1])[1]
    assert stored.lat == 34.72
    assert r.geopos("gw:staff:geo", 1)[0] is not None


def test_states_online_low_battery_and_offline_after_sweep(r):
    import time

    live = LiveState(r, RULES)
    now = time.time()
    live.apply([fix(1, now), fix(2, now, battery=12), fix(3, now - 200)], now)
    states = {k: v[1] for k, v in live.latest([1, 2, 3, 4]).items()}
    assert states == {1: ONLINE, 2: LOW_BATTERY, 3: ONLINE}
    # 150 s later staff 3 has been silent for 350 s: the sweep says so, once
    assert live.sweep_offline(now + 150) == 1
    assert live.sweep_offline(now + 151) == 0
    assert r.hget("gw:staff:state", 3) == OFFLINE.encode()
    events = [f for _id, f in r.xrange("gw:staffstate") if UPDATES_FIELD not in f]
    assert [(e[b"s"], e[b"state"]) for e in events] == [(b"3", b"offline")]


def _published(r) -> list[list[StaffUpdate]]:
    return [
        decode_updates(f[UPDATES_FIELD])
        for _id, f in r.xrange(STAFF_STATE_STREAM)
        if UPDATES_FIELD in f
    ]


def test_each_applied_batch_is_published_once_with_its_states(r):
    """The push is fed by what the consumer applied: one entry per batch, state included."""
    live = LiveState(r, RULES)
    now = 10_000.0
    live.apply([fix(1, now - 5), fix(1, now - 1, lat=34.72), fix(2, now, battery=12)], now)
    live.apply([fix(1, now - 50)], now)  # older than what is stored: applied nowhere
    [batch] = _published(r)
    assert sorted((u.fix.staff, u.fix.ts, u.fix.lat, u.state) for u in batch) == [
        (1, now - 1, 34.72, ONLINE),
        (2, now, 34.7, LOW_BATTERY),
    ]
