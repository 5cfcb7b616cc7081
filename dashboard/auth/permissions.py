"""What each role may see and do: written once, here, as data.

docs/security.md shows this table; tests read it rather than repeating it.
"""

from __future__ import annotations

import enum

from data.models import Role


class Perm(enum.StrEnum):
    VIEW_WALL = "view_wall"
    VIEW_STAFF_POSITIONS = "view_staff_positions"
    VIEW_RESIDENTS = "view_residents"
    REVEAL_PERSONAL_DATA = "reveal_personal_data"
    EXPORT_RESIDENTS = "export_residents"
    MANAGE_USERS = "manage_users"
    MANAGE_DEVICES = "manage_devices"
    VIEW_AUDIT = "view_audit"
    SUBMIT_CITIZEN_REPORT = "submit_citizen_report"
    VIEW_INCIDENTS = "view_incidents"
    HANDLE_INCIDENTS = "handle_incidents"
    ISSUE_ALERTS = "issue_alerts"
    SEND_SMS = "send_sms"
    VIEW_ASSESSMENT = "view_assessment"


PERM_LABELS: dict[Perm, str] = {
    Perm.VIEW_WALL: "查看指挥大屏",
    Perm.VIEW_STAFF_POSITIONS: "查看人员实时位置",
    Perm.VIEW_RESIDENTS: "查看居民信息（脱敏）",
    Perm.REVEAL_PERSONAL_DATA: "逐条查看完整身份证号/手机号（留痕）",
    Perm.EXPORT_RESIDENTS: "导出居民信息（脱敏）",
    Perm.MANAGE_USERS: "管理用户与角色",
    Perm.MANAGE_DEVICES: "管理终端与令牌",
    Perm.VIEW_AUDIT: "查询与导出审计日志",
    Perm.SUBMIT_CITIZEN_REPORT: "市民上报问题",
    Perm.VIEW_INCIDENTS: "查看事件列表与详情",
    Perm.HANDLE_INCIDENTS: "值班台登记与处理事件（受理、派遣、核查、结案等）",
    Perm.ISSUE_ALERTS: "发布、调整与解除四级预警，查看签收进度",
    Perm.SEND_SMS: "短信平台：发送短信、模板、用户分组、统计与日志",
    Perm.VIEW_ASSESSMENT: "查看与导出考核排名（本辖区）",
}

#: The public (citizen, not logged in) is not a Role of a stored user.
PUBLIC = "public"

ROLE_PERMISSIONS: dict[Role | str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {
            Perm.VIEW_WALL,
            Perm.VIEW_STAFF_POSITIONS,
            Perm.VIEW_RESIDENTS,
            Perm.EXPORT_RESIDENTS,
            Perm.MANAGE_USERS,
            Perm.MANAGE_DEVICES,
            Perm.VIEW_AUDIT,
        }
    ),
    Role.LEADER: frozenset(
        {
            Perm.VIEW_WALL,
            Perm.VIEW_STAFF_POSITIONS,
            Perm.VIEW_RESIDENTS,
            Perm.REVEAL_PERSONAL_DATA,
            Perm.EXPORT_RESIDENTS,
            Perm.VIEW_INCIDENTS,
            Perm.HANDLE_INCIDENTS,
            Perm.ISSUE_ALERTS,
            Perm.SEND_SMS,
            Perm.VIEW_ASSESSMENT,
        }
    ),
    Role.DUTY_OFFICER: frozenset(
        {
            Perm.VIEW_WALL,
            Perm.VIEW_STAFF_POSITIONS,
            Perm.VIEW_RESIDENTS,
            Perm.REVEAL_PERSONAL_DATA,
            Perm.VIEW_INCIDENTS,
            Perm.HANDLE_INCIDENTS,
            Perm.ISSUE_ALERTS,
            Perm.SEND_SMS,
            Perm.VIEW_ASSESSMENT,
        }
    ),
    Role.GRID_STAFF: frozenset(
        {Perm.VIEW_WALL, Perm.VIEW_STAFF_POSITIONS, Perm.VIEW_RESIDENTS, Perm.VIEW_INCIDENTS}
    ),
    Role.WALL: frozenset({Perm.VIEW_WALL, Perm.VIEW_STAFF_POSITIONS, Perm.VIEW_INCIDENTS}),
    PUBLIC: frozenset({Perm.SUBMIT_CITIZEN_REPORT}),
}


def permissions_of(role: Role | str) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role, frozenset())


def markdown_table() -> str:
    """The role → permission table as docs/security.md shows it (a test keeps them equal)."""
    from data.models import ROLE_LABELS

    roles: list[Role | str] = [*Role, PUBLIC]
    header = ["权限"] + [ROLE_LABELS[r] if isinstance(r, Role) else "公众（未登录）" for r in roles]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for perm in Perm:
        marks = ["✓" if perm in permissions_of(r) else "" for r in roles]
        lines.append(f"| {PERM_LABELS[perm]} (`{perm.value}`) | " + " | ".join(marks) + " |")
    return "\n".join(lines)
