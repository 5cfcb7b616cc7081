"""Child-process helpers: free ports and children that die with their parent."""

from __future__ import annotations

import ctypes
import signal
import socket

#: PR_SET_PDEATHSIG from <sys/prctl.h>
_PR_SET_PDEATHSIG = 1


def _load_libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:  # not Linux: fall back to explicit shutdown only
        return None


#: loaded once in the parent, so a child started from a busy thread (the Redis supervisor)
#: does no dynamic loading between fork and exec
_LIBC = _load_libc()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """preexec_fn: ask Linux to SIGTERM the child when the parent dies (no orphans).

    Linux ties this to the *thread* that started the child: start long-lived children
    from a thread that lives as long as they should.
    """
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
