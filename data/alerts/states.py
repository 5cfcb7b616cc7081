"""The alert state machine as data: which action may follow which state, and to where.

Kept free of SQL so the hypothesis test can drive it directly and the lifecycle
module can refuse an illegal action before touching a row.
"""

from __future__ import annotations

from data.models import AlertState

ISSUE = "issue"
REISSUE = "reissue"
RAISE = "raise"
LOWER = "lower"
EXTEND = "extend"
LIFT = "lift"
EXPIRE = "expire"
ACKNOWLEDGE = "acknowledge"

#: "acknowledged" is the alarm sense (someone responded), not "everyone confirmed"
ALERT_STATE_LABELS: dict[AlertState, str] = {
    AlertState.ACTIVE: "生效 · 待签收",
    AlertState.ACKNOWLEDGED: "生效 · 已有人签收",
    AlertState.LIFTED: "已解除",
    AlertState.EXPIRED: "已过期",
}
ALERT_ACTION_LABELS: dict[str, str] = {
    ISSUE: "发布",
    REISSUE: "更新",
    RAISE: "升级",
    LOWER: "降级",
    EXTEND: "延长",
    LIFT: "解除",
    EXPIRE: "到期",
    ACKNOWLEDGE: "首次签收",
}

#: actions that text the recipients (one delivery per recipient per action)
NOTIFYING_ACTIONS = frozenset({ISSUE, REISSUE, RAISE, LOWER, LIFT})

LIVE_STATES = frozenset({AlertState.ACTIVE, AlertState.ACKNOWLEDGED})
FINAL_STATES = frozenset({AlertState.LIFTED, AlertState.EXPIRED})

_A, _K = AlertState.ACTIVE, AlertState.ACKNOWLEDGED
#: (from state, action) -> to state; ``None`` as from state: the alert does not exist yet.
#: A changed alert (reissue, level change) is active again: it must be acknowledged anew,
#: like an alarm that re-annunciates. Extending changes nothing anyone must act on.
TRANSITIONS: dict[tuple[AlertState | None, str], AlertState] = {
    (None, ISSUE): _A,
    **{(s, REISSUE): _A for s in LIVE_STATES},
    **{(s, RAISE): _A for s in LIVE_STATES},
    **{(s, LOWER): _A for s in LIVE_STATES},
    (_A, EXTEND): _A,
    (_K, EXTEND): _K,
    **{(s, LIFT): AlertState.LIFTED for s in LIVE_STATES},
    **{(s, EXPIRE): AlertState.EXPIRED for s in LIVE_STATES},
    (_A, ACKNOWLEDGE): _K,
}


class IllegalAction(ValueError):
    """The action is not allowed in the alert's current state (or with these arguments)."""


def next_state(state: AlertState | None, action: str) -> AlertState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalAction(f"{action} is not allowed when the alert is {state}") from None
