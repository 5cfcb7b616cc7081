"""The streams an outbox row names: where each recorded change is announced.

They live with the record because the record chooses them: a transaction that writes an
incident transition or an alert action writes its outbox row in the same commit, naming
the stream here. ``streams.keys`` takes these names from this module, so the relay, the
consumers and the push read the very names the record wrote (one name per thing).
"""

from __future__ import annotations

#: incident transitions (and later other record changes), relayed to Redis from the outbox
EVENTS_STREAM = "gw:events"
#: alert actions (issue, level change, extend, lift, expire, acknowledge)
ALERTS_STREAM = "gw:alerts"
