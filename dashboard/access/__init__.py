"""What a logged-in user may see and do, one module per domain: permission, scope, one
transaction with its audit row, plain values for the pages.
"""
