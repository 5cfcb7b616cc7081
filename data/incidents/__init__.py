"""Incidents (事件): categories, intake, the workflow, time limits, duplicates and the outbox.

Everything here works inside the caller's SQLAlchemy transaction: a report or a
transition, its history row and its outbox row commit together or not at all.
HTTP routes and pages are built on these functions and add no rules of their own.
"""
