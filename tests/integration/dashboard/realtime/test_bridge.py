"""The bridge reads every stream entry after its start, even ones added between reads.

XREAD "$" means "after the newest entry at the time of this call": a bridge that
passed "$" again on each call skipped entries XADDed while it was emitting the
previous batch (a wall then missed an alert until its 30 s refresh).
"""

from __future__ import annotations

import redis

from dashboard.realtime.bridge import RealtimeBridge
from data.incidents.categories import default_categories
from data.org_tree import OrgTree
from streams.keys import ALERTS_STREAM, EVENTS_STREAM
from streams.live_state import StateRules


def _bridge(r: redis.Redis) -> RealtimeBridge:
    return RealtimeBridge(
        None,  # no Socket.IO: only the stream reads are tested
        r,
        load_tree=OrgTree,
        load_roster=dict,
        rules=StateRules(offline_after_s=300, low_battery_pct=20),
        interval_s=0.25,
        categories=default_categories(),
    )


def _kinds(reply: list) -> dict[str, list[bytes]]:
    return {
        (stream.decode() if isinstance(stream, bytes) else stream): [
            f[b"kind"] for _i, f in entries
        ]
        for stream, entries in reply
    }


def test_entries_added_after_start_are_read_even_between_reads(r: redis.Redis):
    r.xadd(ALERTS_STREAM, {"kind": "before-start"})
    tails = _bridge(r).stream_tails((ALERTS_STREAM, EVENTS_STREAM))
    assert tails[EVENTS_STREAM] == "0-0"  # not created yet: everything from it counts

    # the bridge is busy emitting; meanwhile an alert and an incident are published
    r.xadd(ALERTS_STREAM, {"kind": "alert"})
    r.xadd(EVENTS_STREAM, {"kind": "incident"})

    assert _kinds(r.xread(tails, block=10)) == {
        ALERTS_STREAM: [b"alert"],
        EVENTS_STREAM: [b"incident"],
    }
    # what "$" on the next call would have read: nothing (the entries were skipped)
    assert r.xread({ALERTS_STREAM: "$", EVENTS_STREAM: "$"}, block=10) == []
