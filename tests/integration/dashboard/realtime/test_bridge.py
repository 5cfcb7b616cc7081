"""The bridge reads every stream entry after its start, even ones added between reads.

XREAD "$" means "after the newest entry at the time of this call": a bridge that
passed "$" again on each call skipped entries XADDed while it was emitting the
previous batch (a wall then missed an alert until its 30 s refresh).
"""

from __future__ import annotations

import redis

from dashboard.realtime.bridge import RealtimeBridge
from streams.keys import ALERTS_STREAM, EVENTS_STREAM


def _bridge(r: redis.Redis) -> RealtimeBridge:
    return RealtimeBridge(
        None,  # type: ignore[arg-type]  # not emitting here
        r,
        load_tree=lambda: None,  # type: ignore[arg-type,return-value]
        load_roster=dict,
        rules=None,  # type: ignore[arg-type]
        interval_s=0.25,
        categories=None,  # type: ignore[arg-type]
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
