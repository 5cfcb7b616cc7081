"""The role table is data, documented as generated, and follows least privilege."""

from __future__ import annotations

from dashboard.auth.permissions import PUBLIC, ROLE_PERMISSIONS, Perm, markdown_table
from data.models import Role
from tests.support.paths import REPO_ROOT

DOCS = REPO_ROOT / "docs" / "security.md"


def test_docs_show_the_table_the_code_enforces():
    text = DOCS.read_text()
    start = text.index("<!-- roles-table:start -->") + len("<!-- roles-table:start -->")
    end = text.index("<!-- roles-table:end -->")
    assert text[start:end].strip() == markdown_table(), "regenerate the table in security.md"


def test_every_role_has_an_entry_and_least_privilege_holds():
    assert set(ROLE_PERMISSIONS) == {*Role, PUBLIC}
    assert Perm.REVEAL_PERSONAL_DATA not in ROLE_PERMISSIONS[Role.ADMIN]
    assert Perm.REVEAL_PERSONAL_DATA not in ROLE_PERMISSIONS[Role.WALL]
    assert ROLE_PERMISSIONS[PUBLIC] == {Perm.SUBMIT_CITIZEN_REPORT}
    assert not ROLE_PERMISSIONS[Role.WALL] & {
        Perm.VIEW_RESIDENTS,
        Perm.EXPORT_RESIDENTS,
        Perm.MANAGE_USERS,
        Perm.MANAGE_DEVICES,
    }
