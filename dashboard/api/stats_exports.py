"""Downloads of /stats (统计报表): the rates table or the red/yellow card list, CSV or XLSX.

``/stats/export.csv`` and ``/stats/export.xlsx`` take ``?node=&kind=&value=&table=`` (``rates``
or ``cards``), the links the page writes. Permission and scope are checked by the access
layer (dashboard/access/stats.py); a refusal (bad period, a node outside the subtree, too
many rows) is a plain-text message, never a 500. Each export writes an
``export_assessment`` audit row, committed before the first byte is sent. The file
helpers (BOM, formula-safe cells, one bold header row) are the leader export's.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from dashboard.access.assessment import read_period
from dashboard.access.base import Refused
from dashboard.access.stats import cards_export, rates_export
from dashboard.api.exports import (
    XLSX_TYPE,
    csv_lines,
    download_response,
    export_user,
    refusal,
    xlsx_bytes,
)
from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.services import Services
from data.org_tree import NodeInfo, OrgTree
from data.record_ids import record_id

TABLES = {"rates": ("统计报表", "stats"), "cards": ("红黄牌", "cards")}
BAD_TABLE = "未知的导出表「{table}」（可选 rates 或 cards）"


def stats_export(services: Services, file_type: str) -> Response:
    """The table ``?table=`` of the node ``?node=`` for ``?kind=&value=`` as CSV or XLSX."""
    who = export_user(Perm.VIEW_ASSESSMENT)
    table = request.args.get("table") or "rates"
    try:
        if table not in TABLES:
            raise Refused(BAD_TABLE.format(table=table[:20]))
        period = read_period(request.args.get("kind"), request.args.get("value"))
        with services.sessions() as db:
            tree = OrgTree.load(db)
        node_id = record_id(request.args.get("node"))
        level = "all levels below"
        if table == "rates":
            node, level, header, rows = rates_export(services, tree, who, node_id, period)
        else:
            node, header, rows = cards_export(services, tree, who, node_id, period)
    except Refused as refused:
        return refusal(refused.message)
    _audit(services, who, node, table, level, period.label(), len(rows))
    title, stem = TABLES[table]
    name = f"{title}_{node.name}_{period.start}_{period.end}"
    ascii_name = f"{stem}-{node.id}-{period.start}-{period.end}"
    if file_type == "csv":
        return download_response(csv_lines(header, iter(rows)), f"{name}.csv", f"{ascii_name}.csv")
    response = Response(xlsx_bytes(header, rows, title), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}.xlsx\"; filename*=UTF-8''{quote(name + '.xlsx')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _audit(
    services: Services,
    who: SessionUser,
    node: NodeInfo,
    table: str,
    level: str,
    period: str,
    rows: int,
) -> None:
    with services.sessions.begin() as db:
        record_action(
            db,
            who,
            "export_assessment",
            target_type="org_node",
            target_id=node.id,
            node_id=node.id,
            address=client_address(),
            detail={
                "page": "stats",
                "table": table,
                "rows": rows,
                "level": level,
                "period": period,
            },
        )


def stats_exports_blueprint(services: Services) -> Blueprint:
    bp = Blueprint("stats_exports", __name__)

    @bp.get("/stats/export.csv")
    def stats_csv() -> Response:
        return stats_export(services, "csv")

    @bp.get("/stats/export.xlsx")
    def stats_xlsx() -> Response:
        return stats_export(services, "xlsx")

    return bp
