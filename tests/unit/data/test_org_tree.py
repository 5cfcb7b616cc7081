"""Labels of org nodes: one home (data/org_tree.py) below the pages and the access layer."""

from __future__ import annotations

from data.models import NodeKind
from data.org_tree import NodeInfo, OrgTree, node_label


def _node(node_id: int, parent: int | None, kind: NodeKind, name: str, path: str) -> NodeInfo:
    return NodeInfo(node_id, parent, kind, None, name, path, path.count("/") - 1, 34.7, 113.6)


def _tree(*nodes: NodeInfo) -> OrgTree:
    tree = OrgTree()
    for node in nodes:
        tree.nodes[node.id] = node
        tree.children.setdefault(node.parent_id, []).append(node.id)
    return tree


DISTRICT = _node(1, None, NodeKind.DISTRICT, "金水区", "/1/")
COMMUNITY = _node(2, 1, NodeKind.COMMUNITY, "康桥西社区", "/1/2/")
GRID = _node(3, 2, NodeKind.GRID, "第1网格", "/1/2/3/")


def test_a_grid_carries_its_community_because_grid_names_repeat() -> None:
    tree = _tree(DISTRICT, COMMUNITY, GRID)
    assert node_label(tree, GRID) == "康桥西社区 · 第1网格"
    assert node_label(tree, GRID) == tree.place_name(GRID.id)


def test_other_nodes_carry_their_kind() -> None:
    tree = _tree(DISTRICT, COMMUNITY, GRID)
    assert node_label(tree, DISTRICT) == f"金水区（{DISTRICT.kind_label}）"
    assert node_label(tree, COMMUNITY) == f"康桥西社区（{COMMUNITY.kind_label}）"


def test_a_grid_whose_community_is_not_loaded_is_named_alone() -> None:
    assert node_label(_tree(GRID), GRID) == "第1网格"
    assert node_label(OrgTree(), GRID) == "第1网格"
