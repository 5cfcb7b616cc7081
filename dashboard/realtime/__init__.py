"""Live pushes to browsers: the bridge from Redis streams to Socket.IO rooms, the socket
handlers, per-topic routing.
"""
