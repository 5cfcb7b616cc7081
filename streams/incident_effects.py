"""The incident effects consumer: ``gw:events`` in, the wall's live incident counts out.

Entries can arrive twice (the outbox relay may publish a row again after a crash, and a
reclaimed pending entry is handled again), so ``IncidentEffects`` applies each
transition's effects in one Lua script guarded by a per-incident bitmap of applied
seqs: a replayed or reclaimed entry changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from streams import keys
from streams.worker import Entry, StreamWorker


@dataclass(frozen=True)
class IncidentEvent:
    """One decoded ``gw:events`` entry about an incident."""

    outbox_id: int
    incident_id: int
    transition_id: str
    seq: int
    action: str
    state: str
    data: dict[str, Any]

    @classmethod
    def decode(cls, fields: dict[bytes, bytes]) -> IncidentEvent | None:
        """None for entries that are not incident events (other kinds share the stream)."""
        if fields.get(b"kind") != b"incident":
            return None
        data = json.loads(fields[b"data"])
        return cls(
            outbox_id=int(fields[b"outbox_id"]),
            incident_id=int(fields[b"incident_id"]),
            transition_id=fields[b"transition_id"].decode(),
            seq=int(fields[b"seq"]),
            action=str(data["action"]),
            state=str(data["to_state"]),
            data=data,
        )


#: KEYS: seen bitmap, last hash, state counts, action counts
#: ARGV: incident id, seq, state, action, transition id. Returns 1 when applied, 0 when seen.
_APPLY_LUA = """
if redis.call('SETBIT', KEYS[1], ARGV[2], 1) == 1 then return 0 end
redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
local last = redis.call('HGET', KEYS[2], ARGV[1])
if last then
  local sep = string.find(last, '|', 1, true)
  if tonumber(ARGV[2]) < tonumber(string.sub(last, 1, sep - 1)) then return 1 end
  local rest = string.sub(last, sep + 1)
  local old_state = string.sub(rest, 1, string.find(rest, '|', 1, true) - 1)
  redis.call('HINCRBY', KEYS[3], old_state, -1)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[5])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return 1
"""


class IncidentEffects(StreamWorker):
    """Consumer-group template over ``gw:events`` whose effects are exactly-once per transition.

    The effect kept here is the live projection the wall needs: the newest applied
    transition per incident (``gw:inc:last``), how many incidents stand in each state
    (``gw:inc:states``) and how many transitions of each action were applied
    (``gw:inc:actions``). A seq older than the newest applied one (a reclaimed entry
    overtaken by a later transition) counts as applied but does not move the state
    back. Subclasses add effects by extending the Lua script's pattern: guard with
    the seen bit first, then change state, all in one script.
    """

    def __init__(self, r: redis.Redis, consumer: str, **kwargs: Any) -> None:
        super().__init__(r, keys.EVENTS_STREAM, keys.INCIDENT_EFFECTS_GROUP, consumer, **kwargs)
        self._apply = r.register_script(_APPLY_LUA)
        self.applied = 0
        self.repeated = 0

    def handle(self, entries: Sequence[Entry]) -> None:
        events = [e for e in (IncidentEvent.decode(fields) for _id, fields in entries) if e]
        if not events:
            return
        pipe = self.r.pipeline(transaction=False)
        for event in events:
            self._apply(
                keys=[
                    keys.incident_seen_key(event.incident_id),
                    keys.INCIDENT_LAST,
                    keys.INCIDENT_STATE_COUNT,
                    keys.INCIDENT_ACTION_COUNT,
                ],
                args=[event.incident_id, event.seq, event.state, event.action, event.transition_id],
                client=pipe,
            )
        results = pipe.execute()
        self.applied += sum(1 for x in results if x == 1)
        self.repeated += sum(1 for x in results if x == 0)
