"""Accounts, roles, org scope, sessions and the audit trail."""
