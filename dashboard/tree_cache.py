"""The org tree of one app instance, loaded once and reloaded on demand (not module state)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from dashboard.services import Services
from data.org_tree import OrgTree


@dataclass
class TreeCache:
    """The org tree of this app instance, reloaded on demand (not module state)."""

    services: Services
    _tree: OrgTree | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> OrgTree:
        with self._lock:
            if self._tree is None:
                with self.services.sessions() as session:
                    self._tree = OrgTree.load(session)
            return self._tree

    def invalidate(self) -> None:
        with self._lock:
            self._tree = None
