"""Dash callbacks, one module (or package, like alerts/) per page, each exposing
``register(app, context)``; the callbacks themselves are named module-level functions."""
