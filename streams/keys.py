"""Redis key and stream names, in one place so every process agrees on them.

The two streams the SQL outbox writes to are named by the record (``data.outbox_topics``)
and only taken from there: one name per stream, whichever layer reads it.
"""

from __future__ import annotations

from data.outbox_topics import ALERTS_STREAM as ALERTS_STREAM
from data.outbox_topics import EVENTS_STREAM as EVENTS_STREAM

POSITIONS_STREAM = "gw:pos"
POSITIONS_GROUP = "positions"

#: token hash -> device record (JSON); the live copy of the device table
DEVICE_BY_TOKEN = "gw:dev:token"
#: device identifier -> device record (JSON), for the OsmAnd protocol
DEVICE_BY_IDENTIFIER = "gw:dev:ident"

#: staff id -> latest fix (JSON)
STAFF_LAST_FIX = "gw:staff:last"
#: staff id scored by the timestamp of the latest fix (seconds)
STAFF_SEEN = "gw:staff:seen"
#: GEO set of staff latest positions
STAFF_GEO = "gw:staff:geo"

#: ingest counter per minute bucket (fixes accepted), for the wall KPI
INGEST_COUNT_PREFIX = "gw:ingest:min:"


def ingest_minute_key(epoch_minute: int) -> str:
    return f"{INGEST_COUNT_PREFIX}{epoch_minute}"


#: staff id -> "online" | "low_battery" | "offline"
STAFF_STATE = "gw:staff:state"
#: staff currently online, scored by last fix time; the offline sweep reads its low end
STAFF_ONLINE = "gw:staff:online"
#: the position consumer's output, for the browser bridge: one entry per applied batch
#: (field "u": fixes with their state) and one per staff member gone offline ("s", "state")
STAFF_STATE_STREAM = "gw:staffstate"

#: consumer group of the incident-effects worker (streams/incident_effects.py)
INCIDENT_EFFECTS_GROUP = "incident-effects"
#: incident id -> "seq|state|transition id" of the newest transition applied
INCIDENT_LAST = "gw:inc:last"
#: state -> number of incidents whose newest applied transition left them in it
INCIDENT_STATE_COUNT = "gw:inc:states"
#: action -> number of transitions applied (each exactly once)
INCIDENT_ACTION_COUNT = "gw:inc:actions"
#: per-incident bitmap of applied transition seqs: the exactly-once guard
INCIDENT_SEEN_PREFIX = "gw:inc:seen:"


def incident_seen_key(incident_id: int) -> str:
    return f"{INCIDENT_SEEN_PREFIX}{incident_id}"


#: token bucket per SMS gateway name (hash: tokens, ts)
SMS_BUCKET_PREFIX = "gw:sms:bucket:"


def sms_bucket_key(gateway: str) -> str:
    return f"{SMS_BUCKET_PREFIX}{gateway}"
