"""Alembic environment for the Gridwatch schema."""
