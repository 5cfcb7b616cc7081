"""Killing a real redis-server under a running Gridwatch, for the outage tests."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress


def _bound(port: int) -> socket.socket | None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", port))
        holder.listen(64)
    except OSError:
        holder.close()
        return None
    return holder


@contextmanager
def redis_killed(current_pid: Callable[[], int], port: int) -> Iterator[None]:
    """``kill -9`` a redis-server, then hold its port until the block ends, so that its
    supervisor cannot bring it back before the test has seen the outage. Connections to
    the port are accepted and closed at once, as a crashed server's would be.

    ``current_pid`` is asked again on each try (it raises ProcessLookupError while there
    is none): if the supervisor was quicker than the test, the restarted server is
    killed too.
    """
    deadline = time.monotonic() + 20
    while True:
        with suppress(ProcessLookupError):  # already gone (and maybe reaped by its parent)
            os.kill(current_pid(), signal.SIGKILL)
        holder = _bound(port)
        if holder is not None:
            break
        assert time.monotonic() < deadline, "could not hold the port of the killed Redis"
        time.sleep(0.02)
    done = threading.Event()

    def refuse() -> None:
        while not done.is_set():
            try:
                conn, _ = holder.accept()
            except OSError:
                return
            conn.close()

    thread = threading.Thread(target=refuse, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        holder.shutdown(socket.SHUT_RDWR)
        holder.close()
        thread.join(5)
