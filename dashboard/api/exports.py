"""CSV downloads: residents (masked) and audit searches, both scope-checked and audited.

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
from sqlalchemy.orm import Session

from dashboard.access.audit import MAX_EXPORT_ROWS, parse_query, search
from dashboard.access.residents import masked
from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, user
from dashboard.auth.permissions import Perm
from dashboard.auth.views import client_address
from dashboard.services import Services
from data.models import OrgNode
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


def _csv_lines(header: list[str], rows: Iterable[list[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(v) for v in row])
        yield buffer.getvalue()


def _download(lines: Iterator[str], filename: str, ascii_name: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _who(perm: Perm) -> SessionUser:
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


def exports_blueprint(services: Services) -> Blueprint:
    bp = Blueprint("exports", __name__)

    @bp.get("/residents/export.csv")
    def residents_csv() -> Response:
        who = _who(Perm.EXPORT_RESIDENTS)
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
        return _download(
            _csv_lines(RESIDENT_COLUMNS, masked_rows()),
            f"居民信息_{name}_{stamp}.csv",
            f"residents-{node.id}-{stamp}.csv",
        )

    @bp.get("/admin/audit/export.csv")
    def audit_csv() -> Response:
        who = _who(Perm.VIEW_AUDIT)
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
        return _download(
            _csv_lines(AUDIT_COLUMNS, rows), f"审计日志_{stamp}.csv", f"audit-{stamp}.csv"
        )

    return bp
