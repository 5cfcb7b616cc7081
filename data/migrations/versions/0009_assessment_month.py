"""assessment monthly sums: the daily facts of each calendar month summed

``assessment_fact_month`` keeps one row per month (its first day), grid, staff member
(0 = the grid) and measure, recomputed from ``assessment_fact`` whenever days are
stored, so a month's ranking reads tens of thousands of sums instead of millions of
daily rows (docs/assessment.md "Monthly sums"). Filled here from the facts already
stored. ``ix_assessment_fact_measure_day`` lets the ack median read its few daily rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:30:00.000000
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: a median is not summable: read from the daily rows
MEDIAN = "ack_seconds_p50"


def upgrade() -> None:
    op.create_table(
        "assessment_fact_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["org_node.id"]),
        sa.PrimaryKeyConstraint("month", "staff_id", "node_id", "measure"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_assessment_fact_month_node", "assessment_fact_month", ["node_id", "month"]
    )
    # the ack median reads its few daily rows by measure, not the whole month's days
    op.create_index("ix_assessment_fact_measure_day", "assessment_fact", ["measure", "day"])
    _fill()


def _fill() -> None:
    """Sum the stored daily facts month by month (plain SQL: the same on both databases)."""
    bind = op.get_bind()
    span = bind.execute(sa.text("SELECT MIN(day), MAX(day) FROM assessment_fact")).one()
    if span[0] is None:
        return
    low = span[0] if isinstance(span[0], dt.date) else dt.date.fromisoformat(str(span[0]))
    high = span[1] if isinstance(span[1], dt.date) else dt.date.fromisoformat(str(span[1]))
    month = low.replace(day=1)
    while month <= high:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        bind.execute(
            sa.text(
                "INSERT INTO assessment_fact_month (month, node_id, staff_id, measure, value)"
                " SELECT :month, node_id, staff_id, measure, SUM(value) FROM assessment_fact"
                " WHERE day >= :low AND day < :high AND measure <> :median"
                " GROUP BY node_id, staff_id, measure"
            ).bindparams(
                sa.bindparam("month", type_=sa.Date()),
                sa.bindparam("low", type_=sa.Date()),
                sa.bindparam("high", type_=sa.Date()),
            ),
            {"month": month, "low": month, "high": following, "median": MEDIAN},
        )
        month = following


def downgrade() -> None:
    op.drop_index("ix_assessment_fact_measure_day", table_name="assessment_fact")
    op.drop_index("ix_assessment_fact_month_node", table_name="assessment_fact_month")
    op.drop_table("assessment_fact_month")
