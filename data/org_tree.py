"""The organisation tree held in memory: ancestors, children and subtree tests.

Loaded once per process (a few tens of thousands of rows at Zhengzhou scale)
and reloaded when an unknown node shows up; boundaries are not kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import NODE_KIND_LABELS, NodeKind, OrgNode


@dataclass(frozen=True)
class NodeInfo:
    id: int
    parent_id: int | None
    kind: NodeKind
    grid_level: int | None
    name: str
    path: str
    depth: int
    center_lat: float
    center_lon: float

    @property
    def ancestor_ids(self) -> list[int]:
        """Root first, self last."""
        return [int(part) for part in self.path.strip("/").split("/")]

    @property
    def kind_label(self) -> str:
        return NODE_KIND_LABELS[self.kind]


@dataclass
class OrgTree:
    nodes: dict[int, NodeInfo] = field(default_factory=dict)
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> OrgTree:
        tree = cls()
        rows = session.execute(
            select(
                OrgNode.id,
                OrgNode.parent_id,
                OrgNode.kind,
                OrgNode.grid_level,
                OrgNode.name,
                OrgNode.path,
                OrgNode.depth,
                OrgNode.center_lat,
                OrgNode.center_lon,
            ).order_by(OrgNode.depth, OrgNode.code)
        ).all()
        for row in rows:
            info = NodeInfo(*row)
            tree.nodes[info.id] = info
            tree.children.setdefault(info.parent_id, []).append(info.id)
        return tree

    @property
    def root(self) -> NodeInfo | None:
        roots = self.children.get(None, [])
        return self.nodes[roots[0]] if roots else None

    def get(self, node_id: int | None) -> NodeInfo | None:
        return None if node_id is None else self.nodes.get(node_id)

    def children_of(self, node_id: int) -> list[NodeInfo]:
        return [self.nodes[c] for c in self.children.get(node_id, [])]

    def descendants_at_depth(self, node_id: int, depth: int, limit: int) -> list[NodeInfo]:
        """Nodes at absolute ``depth`` below ``node_id``; empty when more than ``limit``."""
        level = [node_id]
        node = self.nodes.get(node_id)
        if node is None or depth <= node.depth:
            return []
        for _ in range(depth - node.depth):
            level = [c for parent in level for c in self.children.get(parent, [])]
            if len(level) > limit:
                return []
        return [self.nodes[n] for n in level]

    def is_within(self, node_id: int, root_id: int) -> bool:
        node, root = self.nodes.get(node_id), self.nodes.get(root_id)
        return node is not None and root is not None and node.path.startswith(root.path)

    def place_name(self, node_id: int, fallback: str = "") -> str:
        """A grid's name with its community ("康桥西社区 · 第1网格"): grid names repeat."""
        node = self.nodes.get(node_id)
        if node is None:
            return fallback or str(node_id)
        if node.kind != NodeKind.GRID or node.parent_id is None:
            return node.name
        parent = self.nodes.get(node.parent_id)
        return f"{parent.name} · {node.name}" if parent else node.name

    def breadcrumb(self, node_id: int) -> list[NodeInfo]:
        node = self.nodes.get(node_id)
        return [] if node is None else [self.nodes[i] for i in node.ancestor_ids]


def node_label(tree: OrgTree, node: NodeInfo) -> str:
    """A node as a picker or a list names it: a grid with its community (grid names
    repeat: ``tree.place_name``), any other node with its kind ("金水区（区）").

    Here, below every page and access module, so that labels of org nodes have one home.
    """
    if node.kind == NodeKind.GRID:
        return tree.place_name(node.id, fallback=node.name)
    return f"{node.name}（{node.kind_label}）"


def boundaries(session: Session, node_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The GeoJSON boundary of each node (kept out of the in-memory tree: too large)."""
    if not node_ids:
        return {}
    rows = session.execute(select(OrgNode.id, OrgNode.boundary).where(OrgNode.id.in_(node_ids)))
    return {node_id: boundary for node_id, boundary in rows}
