"""The failed-login limits hold against parallel guesses, not only one after another.

The review sent 40 guesses at once: 30 wrong passwords were checked and the right one
accepted against an account limit of 5, and one address got 53 checks against 20,
because the count was read, then the password checked, then the failure counted.
Each check leaves one audit row (``login`` or ``login_failed`` with outcome
``denied``); refusals without a check are ``locked``.
"""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import func, or_, select

from data.models import AuditLog, Role
from tests.support.accounts import login_form, make_user
from tests.support.running import Running

GUESSES = 40
# every reserved attempt gets its check however loaded the machine is
PATIENT = {"login_check_wait_s": 120.0}


def _guess_in_parallel(base_url: str, tries: list[tuple[str, str]]) -> list[requests.Response]:
    forms = [login_form(base_url) for _ in tries]
    answers: list[requests.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(len(tries))

    def guess(http: requests.Session, token: str, username: str, password: str) -> None:
        start.wait()
        answer = http.post(
            f"{base_url}/login",
            data={"username": username, "password": password, "csrf": token},
            allow_redirects=False,
            timeout=180,
        )
        with lock:
            answers.append(answer)

    threads = [
        threading.Thread(target=guess, args=(http, token, *attempt))
        for (http, token), attempt in zip(forms, tries, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _checks(running: Running, *where) -> int:
    """Password checks the audit log shows (every check leaves one row)."""
    checked = or_(
        AuditLog.action == "login",
        (AuditLog.action == "login_failed") & (AuditLog.outcome == "denied"),
    )
    with running.app.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(AuditLog).where(checked, *where)) or 0


@pytest.mark.parametrize("running", [PATIENT], indirect=True)
def test_parallel_guesses_get_no_more_checks_than_the_account_limit(running: Running):
    root = running.app.tree.get().root
    username, password = make_user(running.app.services.sessions, Role.DUTY_OFFICER, root.id)
    tries = [(username, f"wrong-guess-{n}") for n in range(GUESSES - 1)]
    tries.insert(GUESSES // 2, (username, password))

    answers = _guess_in_parallel(running.url, tries)

    assert all(a.status_code in (302, 401, 429) for a in answers), [
        (a.status_code, a.text[:200]) for a in answers if a.status_code not in (302, 401, 429)
    ]
    limit = running.app.services.settings.login_max_failures_account
    checks = _checks(running, AuditLog.actor == username)
    # the right password clears the account's count (as it must), so guesses that reach the
    # server only after it is accepted (a loaded machine spreads the burst out) may be
    # checked up to the limit again: at most limit before it (itself included) and limit
    # after it, never the 30 of 40 the review saw
    accepted = any(a.status_code == 302 for a in answers)
    bound = 2 * limit if accepted else limit
    assert 1 <= checks <= bound, f"{checks} passwords checked against a bound of {bound}"

    # a locked account refuses the right password too, and says until when
    if not any(a.status_code == 302 for a in answers):
        (http, token), *_ = [login_form(running.url)]
        again = http.post(
            f"{running.url}/login",
            data={"username": username, "password": password, "csrf": token},
            allow_redirects=False,
        )
        assert again.status_code == 429 and "已暂时锁定" in again.text


@pytest.mark.parametrize("running", [PATIENT], indirect=True)
def test_parallel_guesses_from_one_address_get_no_more_checks_than_its_limit(running: Running):
    # names that exist or not cost the same check and count the same against the address
    names = [f"guess-{n}" for n in range(GUESSES)]
    answers = _guess_in_parallel(running.url, [(name, "wrong-guess-0") for name in names])

    assert all(a.status_code in (401, 429) for a in answers)
    limit = running.app.services.settings.login_max_failures_address
    checks = _checks(running, AuditLog.address == "127.0.0.1")
    assert checks <= limit, f"{checks} passwords checked from one address against {limit}"
    assert any("已暂时锁定" in a.text for a in answers if a.status_code == 429)


def test_a_success_gives_the_address_its_attempt_back_and_clears_the_account(running: Running):
    """An office behind one address logs in all day: only failures count against it."""
    root = running.app.tree.get().root
    sessions = running.app.services.sessions
    username, password = make_user(sessions, Role.LEADER, root.id)
    limit = running.app.services.settings.login_max_failures_account

    def attempt(secret: str) -> int:
        http, token = login_form(running.url)
        return http.post(
            f"{running.url}/login",
            data={"username": username, "password": secret, "csrf": token},
            allow_redirects=False,
        ).status_code

    for _ in range(2):  # limit - 1 failures, then a success, several times over
        assert [attempt("wrong-guess-1") for _ in range(limit - 1)] == [401] * (limit - 1)
        assert attempt(password) == 302
    redis = running.app.services.redis
    assert int(redis.get("gw:login:fail:address:127.0.0.1") or 0) == 2 * (limit - 1)
    assert redis.get(f"gw:login:fail:account:{username.lower()}") is None
