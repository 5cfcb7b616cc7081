"""Downloads: residents (masked), audit searches and assessment rankings (CSV and XLSX),
all scope-checked and audited.

The scope is decided here in SQL from the session's user (the requested node's
``path`` must start with the user's node ``path``); a node outside it answers
404, as if it did not exist, and leaves a ``gridwatch.scope`` log line. Files
are UTF-8 with a BOM so Excel opens the Chinese text correctly. The audit row is
committed before the first byte is sent: an export that was started is on record.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from flask import Blueprint, Response, abort, request, stream_with_context
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from dashboard.access.assessment import export_table, read_period
from dashboard.access.audit import MAX_EXPORT_ROWS, parse_query, search
from dashboard.access.base import Refused
from dashboard.access.residents import masked
from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.services import Services
from data.models import OrgNode
from data.org_tree import OrgTree
from data.record_ids import record_id
from data.residents import count_in_subtree, iter_subtree

log = logging.getLogger("gridwatch.scope")

BOM = "\ufeff"
RESIDENT_COLUMNS = [
    "姓名",
    "性别",
    "年龄",
    "与户主关系",
    "住址",
    "网格",
    "标签",
    "身份证号（脱敏）",
    "手机号（脱敏）",
]
AUDIT_COLUMNS = ["编号", "时间", "操作人", "操作", "对象", "节点", "地址", "结果", "详情"]


def _cell(value: object) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(header: list[str], rows: Iterable[list[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in row])
        yield buffer.getvalue()


def download_response(lines: Iterator[str], filename: str, ascii_name: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def export_user(perm: Perm) -> SessionUser:
    who = user()
    if who is None:
        abort(401)
    if not who.can(perm):
        log.warning("permission: user %s lacks %s for %s", who.username, perm, request.path)
        abort(403)
    return who


def _user_node(db: Session, who: SessionUser) -> OrgNode:
    node = db.get(OrgNode, who.node_id)
    if node is None:
        abort(404)
    return node


def _node_in_scope(db: Session, who: SessionUser, raw: str | None) -> OrgNode:
    """The requested node if it lies in the user's subtree; 404 (and a log line) otherwise."""
    scope = _user_node(db, who)
    if not raw:
        return scope
    node_id = record_id(raw)
    node = None if node_id is None else db.get(OrgNode, node_id)
    if node is None or not node.path.startswith(scope.path):
        log.warning(
            "scope: user %s asked to export node %s outside node %s", who.username, raw, scope.id
        )
        abort(404)
    return node


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(header: list[str], rows: list[list[object]], title: str) -> bytes:
    """One sheet: the header row in bold, then the rows; text cells cannot run as formulas."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) if isinstance(v, str) else v for v in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refusal(message: str, status: int = 400) -> Response:
    """A refused export: the reason as plain text (the page's link never gets a 500)."""
    return Response(
        message, status=status, mimetype="text/plain", content_type="text/plain; charset=utf-8"
    )


def assessment_export(services: Services, file_type: str) -> Response:
    """The ranking of the level below ``?node=`` for ``?kind=&value=`` as CSV or XLSX."""
    who = export_user(Perm.VIEW_ASSESSMENT)
    try:
        period = read_period(request.args.get("kind"), request.args.get("value"))
        with services.sessions() as db:
            tree = OrgTree.load(db)
        view, header, rows = export_table(
            services, tree, who, record_id(request.args.get("node")), period
        )
    except Refused as refused:
        return refusal(refused.message)
    with services.sessions.begin() as db:
        record_action(
            db,
            who,
            "export_assessment",
            target_type="org_node",
            target_id=view.node.id,
            node_id=view.node.id,
            address=client_address(),
            detail={"rows": len(rows), "level": view.level, "period": view.period.label()},
        )
    name = f"考核排名_{view.node.name}_{view.period.start}_{view.period.end}"
    ascii_name = f"ranking-{view.node.id}-{view.period.start}-{view.period.end}"
    if file_type == "csv":
        return download_response(csv_lines(header, iter(rows)), f"{name}.csv", f"{ascii_name}.csv")
    response = Response(xlsx_bytes(header, rows, "考核排名"), mimetype=XLSX_TYPE)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}.xlsx\"; filename*=UTF-8''{quote(name + '.xlsx')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def exports_blueprint(services: Services) -> Blueprint:
    bp = Blueprint("exports", __name__)

    @bp.get("/residents/export.csv")
    def residents_csv() -> Response:
        who = export_user(Perm.EXPORT_RESIDENTS)
        with services.sessions.begin() as db:
            node = _node_in_scope(db, who, request.args.get("node"))
            count = count_in_subtree(db, node.path)
            record_action(
                db,
                who,
                "export_residents",
                target_type="org_node",
                target_id=node.id,
                node_id=node.id,
                address=client_address(),
                detail={"rows": count, "masked": True, "node": node.name},
            )
            path, name = node.path, node.name

        def masked_rows() -> Iterator[list[object]]:
            with services.sessions() as db:
                for row in iter_subtree(db, path):
                    m = masked(row)
                    yield [
                        m.name,
                        m.gender,
                        m.age,
                        m.relation,
                        m.address,
                        m.grid,
                        "、".join(m.tags),
                        m.id_number,
                        m.phone,
                    ]

        stamp = f"{dt.date.today():%Y%m%d}"
        return download_response(
            csv_lines(RESIDENT_COLUMNS, masked_rows()),
            f"居民信息_{name}_{stamp}.csv",
            f"residents-{node.id}-{stamp}.csv",
        )

    @bp.get("/admin/audit/export.csv")
    def audit_csv() -> Response:
        who = export_user(Perm.VIEW_AUDIT)
        query = parse_query(request.args)
        with services.sessions.begin() as db:
            scope = _user_node(db, who)
            entries = search(
                db,
                path=scope.path,
                is_city=scope.parent_id is None,
                query=query,
                limit=MAX_EXPORT_ROWS,
            )
            record_action(
                db,
                who,
                "export_audit",
                target_type="audit_log",
                node_id=scope.id,
                address=client_address(),
                detail={"rows": len(entries), "filters": query.as_params()},
            )
        rows = (
            [e.id, e.at, e.actor, e.action_label, e.target, e.node, e.address, e.outcome, e.detail]
            for e in entries
        )
        stamp = f"{dt.date.today():%Y%m%d}"
        return download_response(
            csv_lines(AUDIT_COLUMNS, rows), f"审计日志_{stamp}.csv", f"audit-{stamp}.csv"
        )

    _add_assessment_routes(bp, services)
    return bp


def _add_assessment_routes(bp: Blueprint, services: Services) -> None:
    """The leader page's ranking as CSV and as XLSX."""

    @bp.get("/leader/export.csv")
    def assessment_csv() -> Response:
        return assessment_export(services, "csv")

    @bp.get("/leader/export.xlsx")
    def assessment_xlsx() -> Response:
        return assessment_export(services, "xlsx")
