"""assessment facts: daily raw counts per grid (and staff member) and the dirty days

``assessment_fact`` keeps one row per local day, grid, staff member (0 = the grid as
a whole) and measure, so a year's ranking reads facts, not every incident.
``assessment_dirty_day`` lists the (day, grid) pairs a change has invalidated; the
refresh loop recomputes them (data/assessment/facts.py, docs/assessment.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_fact",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["org_node.id"]),
        sa.PrimaryKeyConstraint("day", "node_id", "staff_id", "measure"),
    )
    op.create_index("ix_assessment_fact_day", "assessment_fact", ["day"])
    op.create_index("ix_assessment_fact_node_day", "assessment_fact", ["node_id", "day"])
    op.create_table(
        "assessment_dirty_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "node_id"),
    )


def downgrade() -> None:
    op.drop_table("assessment_dirty_day")
    op.drop_index("ix_assessment_fact_node_day", table_name="assessment_fact")
    op.drop_index("ix_assessment_fact_day", table_name="assessment_fact")
    op.drop_table("assessment_fact")
