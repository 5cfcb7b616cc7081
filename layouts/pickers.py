"""Org-node choices for dropdowns: only the user's own subtree, capped, breadth first."""

from __future__ import annotations

from collections import deque
from typing import Any

from dash import dcc

from data.org_tree import NodeInfo, OrgTree, node_label

#: a dropdown lists at most this many nodes; deeper ones are reached by narrowing first
MAX_NODE_OPTIONS = 1000


def node_options(
    tree: OrgTree, scope: NodeInfo, limit: int = MAX_NODE_OPTIONS
) -> list[dict[str, Any]]:
    """The user's node and the nodes under it, breadth first, at most ``limit``."""
    options: list[dict[str, Any]] = []
    queue: deque[int] = deque([scope.id])
    while queue and len(options) < limit:
        node = tree.nodes[queue.popleft()]
        options.append({"label": node_label(tree, node), "value": node.id})
        queue.extend(tree.children.get(node.id, []))
    return options


#: Dash 4 dropdowns speak English by default; every page's dropdowns pass these
ZH_DROPDOWN_LABELS: dcc.Dropdown.Labels = {
    "select_all": "全选",
    "deselect_all": "取消全选",
    "selected_count": "已选 {num_selected} 项",
    "search": "搜索",
    "clear_search": "清除搜索",
    "clear_selection": "清除选择",
    "no_options_found": "无匹配项",
}
