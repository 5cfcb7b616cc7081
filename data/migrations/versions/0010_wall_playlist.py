"""wall playlist: a wall account's timed rotation between its views

``wall_playlist`` holds one row per wall account: the views in order (e.g. map,
rankings), seconds per view and an enabled flag (dashboard/access/wall_playlist.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wall_playlist",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("views", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("wall_playlist")
