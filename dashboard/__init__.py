"""Gridwatch app shell: settings, app factory, CLI, HTTP API, Socket.IO bridge."""
