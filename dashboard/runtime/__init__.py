"""What a Gridwatch process runs beside itself: the embedded redis-server, child processes,
log masking.
"""
