"""Files only their owner can read: the database, Redis' AOF, passwords, photos of residents.

Modes are set explicitly (0700 for directories, 0600 for files) rather than left to the
umask, so a careless shell (umask 000) or an older install with world-readable files
cannot expose personal data to other local users.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it 0700; returns it."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR)
    return path


def write_private(path: Path, content: bytes | str) -> None:
    """Write ``content`` to a file that is 0600 from the moment it exists."""
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # an existing file keeps its old mode otherwise
        os.write(fd, data)
    finally:
        os.close(fd)


def touch_private(path: Path) -> None:
    """Create ``path`` empty as 0600 if it is missing; make an existing one 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def lock_down(root: Path) -> None:
    """Make ``root`` and everything under it owner-only (files of older installs too).

    Symbolic links are left alone (chmod would follow them out of the tree), and so is
    anything another user owns (only its owner or root may change it).
    """
    root = Path(root)
    if not root.exists():
        return
    uid = os.geteuid()
    paths = [root, *root.rglob("*")] if root.is_dir() else [root]
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue  # removed meanwhile (a WAL checkpoint, a log rotation)
        if stat.S_ISLNK(info.st_mode) or info.st_uid != uid:
            continue
        wanted = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
        if stat.S_IMODE(info.st_mode) != wanted:
            path.chmod(wanted)
