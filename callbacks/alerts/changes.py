"""Alerts page: issue, raise/lower and lift through the confirmation; extend directly.

Form tokens are minted per page and renewed after each success, so a double click on
确认 is answered once and never texts twice. ``ask`` only shows what would be sent; the
pending change it stores is what ``confirm`` sends, under the token it carried.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.alerts.browser_values import as_int, new_token
from dashboard.access import alerts as alert_access
from dashboard.access.alerts import IssueForm, Outcome, Preview
from dashboard.auth.current import SessionUser, user
from dashboard.context import AppContext
from data.org_tree import OrgTree
from layouts import ids
from layouts.alerts import confirm_body
from layouts.tables import message


def register(app: Dash, context: AppContext) -> None:
    app.callback(*ASK_IO, prevent_initial_call=True)(partial(ask, context))
    app.callback(*CANCEL_IO, prevent_initial_call=True)(cancel)
    app.callback(
        *CONFIRM_IO,
        prevent_initial_call=True,
        # a city-wide alert queues tens of thousands of texts: say that it is working
        running=[
            (Output(ids.ALERTS_CONFIRM_OK, "disabled"), True, False),
            (Output(ids.ALERTS_CONFIRM_CANCEL, "disabled"), True, False),
        ],
    )(partial(confirm, context))
    app.callback(*EXTEND_IO, prevent_initial_call=True)(partial(extend, context))


# --- the form as the browser sends it and as the confirmation keeps it ------------------


def issue_form(
    node: Any, level: Any, category: Any, title: Any, text: Any, hours: Any, targets: Any
) -> IssueForm:
    """The 发布 form from browser values, each checked for its type."""
    return IssueForm(
        node_id=as_int(node),
        level=level if isinstance(level, str) else None,
        category=category if isinstance(category, str) else None,
        title=title if isinstance(title, str) else "",
        text=text if isinstance(text, str) else "",
        hours=as_int(hours),
        target_levels=[v for v in targets or [] if as_int(v) is not None],
    )


def _form_data(form: IssueForm) -> dict[str, Any]:
    return {
        "node_id": form.node_id,
        "level": form.level,
        "category": form.category,
        "title": form.title,
        "text": form.text,
        "hours": form.hours,
        "target_levels": form.target_levels,
    }


def _form_from_data(raw: dict[str, Any]) -> IssueForm:
    """The pending form back from the browser's store (checked again, like any input)."""
    return issue_form(
        raw.get("node_id"),
        raw.get("level"),
        raw.get("category"),
        raw.get("title"),
        raw.get("text"),
        raw.get("hours"),
        raw.get("target_levels"),
    )


# --- the confirmation ---------------------------------------------------------------------

ASK_IO = [
    Output(ids.ALERTS_CONFIRM, "hidden"),
    Output(ids.ALERTS_CONFIRM_TITLE, "children"),
    Output(ids.ALERTS_CONFIRM_BODY, "children"),
    Output(ids.ALERTS_CONFIRM_OK, "children"),
    Output(ids.ALERTS_CONFIRM_OK, "className"),
    Output(ids.ALERTS_PENDING_CHANGE, "data"),
    Output(ids.ALERTS_ISSUE_MSG, "children"),
    Output(ids.ALERTS_ACT_MSG, "children"),
    Input(ids.ALERTS_ISSUE, "n_clicks"),
    Input(ids.ALERTS_LEVEL_BTN, "n_clicks"),
    Input(ids.ALERTS_LIFT_BTN, "n_clicks"),
    State(ids.ALERTS_NODE, "value"),
    State(ids.ALERTS_LEVEL, "value"),
    State(ids.ALERTS_CATEGORY, "value"),
    State(ids.ALERTS_TITLE, "value"),
    State(ids.ALERTS_TEXT, "value"),
    State(ids.ALERTS_HOURS, "value"),
    State(ids.ALERTS_TARGET_LEVELS, "value"),
    State(ids.ALERTS_ISSUE_TOKEN, "data"),
    State(ids.ALERTS_SELECTED, "data"),
    State(ids.ALERTS_NEW_LEVEL, "value"),
    State(ids.ALERTS_ACT_TOKEN, "data"),
]

#: the confirmation's six outputs when it stays closed (nothing to confirm)
CLOSED: tuple[Any, ...] = (True, no_update, [], no_update, no_update, None)


def ask(
    context: AppContext,
    _issue: Any,
    _level: Any,
    _lift: Any,
    *form_and_change: Any,
) -> tuple[Any, ...]:
    """Show what would be sent, to whom and where; nothing is sent from here.

    ``form_and_change`` is the 发布 form (node … target levels), its token, then the
    selected alert, the new level and the changes' token, in ``ASK_IO``'s order.
    """
    *form_values, issue_token, selected, new_level, act_token = form_and_change
    who = user()
    if who is None:
        return *CLOSED, message(alert_access.NO_ALERTS, "error"), no_update
    tree = context.tree.get()
    if ctx.triggered_id == ids.ALERTS_ISSUE:
        form = issue_form(*form_values)
        return _ask_issue(context, tree, who, form, issue_token)
    action = "level" if ctx.triggered_id == ids.ALERTS_LEVEL_BTN else "lift"
    wanted = new_level if isinstance(new_level, str) else None
    return _ask_change(context, tree, who, as_int(selected), action, wanted, act_token)


def _ask_issue(
    context: AppContext, tree: OrgTree, who: SessionUser, form: IssueForm, token: Any
) -> tuple[Any, ...]:
    preview = alert_access.preview_issue(context.services, tree, who, form)
    if isinstance(preview, Outcome):
        return *CLOSED, message(preview.message, "error"), no_update
    pending = {"action": "issue", "form": _form_data(form), "token": token}
    return *_opened(context, preview, pending), "", no_update


def _ask_change(
    context: AppContext,
    tree: OrgTree,
    who: SessionUser,
    alert_id: int | None,
    action: str,
    level: str | None,
    token: Any,
) -> tuple[Any, ...]:
    preview = alert_access.preview_change(context.services, tree, who, alert_id, action, level)
    if isinstance(preview, Outcome):
        return *CLOSED, no_update, message(preview.message, "error")
    pending = {"action": action, "alert_id": alert_id, "level": level, "token": token}
    return *_opened(context, preview, pending), no_update, ""


def _opened(context: AppContext, preview: Preview, pending: dict[str, Any]) -> tuple[Any, ...]:
    """The confirmation open on ``preview``, keeping ``pending`` for 确认."""
    warn = preview.action == "lift"
    ok_class = "gw-button gw-button-warn" if warn else "gw-button gw-button-primary"
    body = confirm_body(preview, context.services.settings.tile_url)
    return False, preview.heading, body, preview.confirm_label, ok_class, pending


CANCEL_IO = [
    Output(ids.ALERTS_CONFIRM, "hidden", allow_duplicate=True),
    Output(ids.ALERTS_CONFIRM_BODY, "children", allow_duplicate=True),
    Output(ids.ALERTS_PENDING_CHANGE, "data", allow_duplicate=True),
    Input(ids.ALERTS_CONFIRM_CANCEL, "n_clicks"),
]


def cancel(_n: Any) -> tuple[Any, ...]:
    """取消: the confirmation closes and nothing is kept."""
    return True, [], None


# --- sending what was confirmed -----------------------------------------------------------

CONFIRM_IO = [
    Output(ids.ALERTS_CONFIRM, "hidden", allow_duplicate=True),
    Output(ids.ALERTS_CONFIRM_BODY, "children", allow_duplicate=True),
    Output(ids.ALERTS_PENDING_CHANGE, "data", allow_duplicate=True),
    Output(ids.ALERTS_ISSUE_MSG, "children", allow_duplicate=True),
    Output(ids.ALERTS_ISSUE_TOKEN, "data"),
    Output(ids.ALERTS_ACT_MSG, "children", allow_duplicate=True),
    Output(ids.ALERTS_ACT_TOKEN, "data"),
    Output(ids.ALERTS_SELECTED, "data", allow_duplicate=True),
    Output(ids.ALERTS_REFRESH, "data"),
    Input(ids.ALERTS_CONFIRM_OK, "n_clicks"),
    State(ids.ALERTS_PENDING_CHANGE, "data"),
    State(ids.ALERTS_REFRESH, "data"),
]

#: the confirmation's three outputs once it has been answered
ANSWERED: tuple[Any, ...] = (True, [], None)


def confirm(context: AppContext, _n: Any, pending: Any, version: Any) -> tuple[Any, ...]:
    """Send exactly what was confirmed, under the token the confirmation carried."""
    who = user()
    if who is None or not isinstance(pending, dict):
        raise PreventUpdate
    tree = context.tree.get()
    token = pending.get("token") if isinstance(pending.get("token"), str) else None
    bump = (as_int(version) or 0) + 1
    if pending.get("action") == "issue":
        raw = pending.get("form")
        form = _form_from_data(raw if isinstance(raw, dict) else {})
        outcome = alert_access.issue(context.services, tree, who, form, token or new_token())
        fresh = new_token() if outcome.ok else no_update
        chosen = outcome.alert_id if outcome.ok else no_update
        said = message(outcome.message, "ok" if outcome.ok else "error")
        return *ANSWERED, said, fresh, no_update, no_update, chosen, bump
    action = pending.get("action")
    if action not in ("level", "lift"):
        raise PreventUpdate
    level = pending.get("level") if isinstance(pending.get("level"), str) else None
    alert_id = as_int(pending.get("alert_id"))
    outcome = alert_access.change(
        context.services, tree, who, alert_id, action, token or new_token(), level=level
    )
    fresh = new_token() if outcome.ok else no_update
    said = message(outcome.message, "ok" if outcome.ok else "error")
    return *ANSWERED, no_update, no_update, said, fresh, no_update, bump


EXTEND_IO = [
    Output(ids.ALERTS_ACT_MSG, "children", allow_duplicate=True),
    Output(ids.ALERTS_ACT_TOKEN, "data", allow_duplicate=True),
    Output(ids.ALERTS_REFRESH, "data", allow_duplicate=True),
    Input(ids.ALERTS_EXTEND_BTN, "n_clicks"),
    State(ids.ALERTS_SELECTED, "data"),
    State(ids.ALERTS_EXTEND_HOURS, "value"),
    State(ids.ALERTS_ACT_TOKEN, "data"),
    State(ids.ALERTS_REFRESH, "data"),
]


def extend(
    context: AppContext, _n: Any, selected: Any, hours: Any, token: Any, version: Any
) -> tuple[Any, ...]:
    """Extending texts nobody, so it needs no confirmation."""
    who = user()
    if who is None:
        return message(alert_access.NO_ALERTS, "error"), no_update, no_update
    token = token if isinstance(token, str) and token else new_token()
    outcome = alert_access.change(
        context.services,
        context.tree.get(),
        who,
        as_int(selected),
        "extend",
        token,
        hours=as_int(hours),
    )
    bump = (as_int(version) or 0) + 1
    if not outcome.ok:
        return message(outcome.message, "error"), token, bump
    return message(outcome.message, "ok"), new_token(), bump
