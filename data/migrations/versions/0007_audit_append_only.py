"""audit log append-only for DELETE too: only rows past the legal minimum may go

0002 made the database refuse UPDATE on ``audit_log``; a plain DELETE of a fresh row
still went through. This adds a trigger that refuses deleting any row younger than
three years (3 × 365 days, the legal minimum that ``GRIDWATCH_AUDIT_RETENTION_DAYS``
may not go below) and, on PostgreSQL, TRUNCATE, which skips row triggers.

The trigger knows only that fixed floor, by the database's own clock, and no
setting: a setting row would be one more thing a client could change to shorten the
retention. A longer configured retention is kept by ``gridwatch audit purge``, which
only ever asks for rows older than it. A statement that touches one protected row
fails whole (nothing is deleted).

Downgrade drops what this adds; 0002's UPDATE trigger stays, as in 0005.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:30:00.000000
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

#: the legal minimum retention, fixed here on purpose (see above)
MINIMUM_DAYS = 3 * 365
MESSAGE = f"audit_log is append-only: rows younger than {MINIMUM_DAYS} days cannot be deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # julianday() reads any stored time format (NULL if unreadable: refused too)
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            f"WHEN coalesce(julianday(OLD.at) >= julianday('now', '-{MINIMUM_DAYS} days'), 1) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION audit_log_refuse_young_delete() RETURNS trigger AS $$ "
        f"BEGIN IF OLD.at IS NULL OR OLD.at >= now() - interval '{MINIMUM_DAYS} days' THEN "
        f"RAISE EXCEPTION USING MESSAGE = '{MESSAGE} (id ' || OLD.id || ')'; "
        "END IF; RETURN OLD; END; "
        "$$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_young_delete()"
    )
    op.execute(
        "CREATE FUNCTION audit_log_refuse_truncate() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only: TRUNCATE is refused'; END; "
        "$$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_truncate()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_truncate()")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_young_delete()")
