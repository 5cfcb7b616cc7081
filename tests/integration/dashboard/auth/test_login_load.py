"""A burst of failed logins must not take the database away from everyone else.

The review exhausted the connection pool with ~90 parallel wrong-password logins: each
held a pooled connection while argon2 checked the hash, so health checks, pages and the
SMS sender timed out behind them. The server here has a deliberately small pool (2
connections, 3 s wait) so that holding one across a hash shows at once.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from data.models import Role
from tests.support.accounts import login, login_form, make_user
from tests.support.running import Running

BURST = 90
SMALL_POOL = {
    "database_pool_size": 2,
    "database_pool_overflow": 0,
    "database_pool_timeout_s": 3.0,
    # this test is about the pool, not the lockout: let every guess reach the hash check
    "login_max_failures_account": 1000,
    "login_max_failures_address": 1000,
}


@pytest.mark.parametrize("running", [SMALL_POOL], indirect=True)
def test_a_burst_of_wrong_passwords_leaves_the_database_to_everyone_else(running: Running):
    root = running.app.tree.get().root
    sessions = running.app.services.sessions
    target, _ = make_user(sessions, Role.DUTY_OFFICER, root.id)
    reader = login(running.url, *make_user(sessions, Role.LEADER, root.id))
    forms = [login_form(running.url) for _ in range(BURST)]

    answers: list[requests.Response | Exception] = []
    lock = threading.Lock()
    start = threading.Barrier(BURST + 1)

    def guess(http: requests.Session, token: str, n: int) -> None:
        start.wait()
        try:
            answer: requests.Response | Exception = http.post(
                f"{running.url}/login",
                data={"username": target, "password": f"wrong-guess-{n}", "csrf": token},
                allow_redirects=False,
                timeout=60,
            )
        except requests.RequestException as exc:
            answer = exc
        with lock:
            answers.append(answer)

    threads = [
        threading.Thread(target=guess, args=(http, token, n))
        for n, (http, token) in enumerate(forms)
    ]
    for thread in threads:
        thread.start()
    start.wait()

    health: list[tuple[int, str]] = []
    pages: list[int] = []
    while any(thread.is_alive() for thread in threads):
        began = time.monotonic()
        answer = requests.get(f"{running.url}/healthz", timeout=30)
        health.append((answer.status_code, f"{time.monotonic() - began:.1f}s {answer.text[:300]}"))
        pages.append(reader.get(f"{running.url}/wall", timeout=30).status_code)
    for thread in threads:
        thread.join()

    assert len(answers) == BURST
    failed = [a for a in answers if isinstance(a, Exception) or a.status_code not in (401, 503)]
    assert not failed, [
        a if isinstance(a, Exception) else (a.status_code, a.text[:200]) for a in failed[:5]
    ]
    responses = [a for a in answers if not isinstance(a, Exception)]
    busy = [a for a in responses if a.status_code == 503]
    assert all("系统繁忙，请稍后重试" in a.text for a in busy)
    assert any(a.status_code == 401 for a in responses)
    assert health, "the burst ended before a health check could run"
    assert all(code == 200 for code, _ in health), [h for h in health if h[0] != 200][:3]
    assert all(code == 200 for code in pages), pages
