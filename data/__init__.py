"""The record: SQLAlchemy models, migrations, queries and the demo-city generator."""
