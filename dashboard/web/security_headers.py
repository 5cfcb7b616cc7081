"""Security headers on every response: pages, API, assets, errors and Socket.IO.

The Content-Security-Policy allows only what Gridwatch serves itself: its scripts and
styles from 'self', Dash's inline scripts by their hashes (``Dash.csp_hashes``), images
from 'self', ``data:`` and the configured tile server, and connections (Socket.IO's
polling and WebSocket) back to the same host. Pages cannot be framed (clickjacking),
content types are not sniffed, and no full URL leaks to other sites as a referrer.

The exceptions are as narrow as the browser glue allows; each one is named below.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from dash import Dash

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

#: a tile URL's placeholders, e.g. {s} in https://{s}.tile.example.org/{z}/{x}/{y}.png
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def tile_source(tile_url: str) -> str | None:
    """The CSP source of the tile server's origin; None when tiles come from Gridwatch.

    A subdomain placeholder (``{s}``, ``t{s}``) becomes a ``*.`` wildcard, the only
    wildcard CSP knows; a placeholder anywhere else in the host allows the scheme only
    (said in the log, since that is wide).
    """
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return None  # relative: served by Gridwatch itself ('self')
    host = parts.netloc.rsplit("@", 1)[-1]
    labels = host.split(".")
    if _PLACEHOLDER.search(labels[0]):
        labels[0] = "*"
    if any(_PLACEHOLDER.search(label) for label in labels):
        log.warning(
            "GRIDWATCH_TILE_URL: 占位符不在主机名最左侧，CSP 只能放行整个 %s: (wide)", parts.scheme
        )
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(labels)}"


def content_security_policy(script_hashes: Iterable[str], tile_url: str) -> str:
    """The policy, with ``{ws}`` left for the WebSocket origin of each request."""
    images = ["'self'", "data:"]
    tiles = tile_source(tile_url)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes, "'report-sample'"],
        # Dash's and dash-leaflet's bundles inject their CSS as <style> elements at run
        # time (webpack style-loader, no nonce support): inline style *elements* are
        # allowed; style *attributes* in markup are not. Browsers without the -elem/-attr
        # directives (before Chrome 75, Safari 15.4) fall back to style-src.
        "style-src": ["'self'", "'unsafe-inline'"],
        "style-src-elem": ["'self'", "'unsafe-inline'", "'report-sample'"],
        "style-src-attr": ["'none'", "'report-sample'"],
        "img-src": images,
        "font-src": ["'self'"],
        # Socket.IO: long-polling over 'self', then the WebSocket to the same host
        "connect-src": ["'self'", "{ws}"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class SecurityHeaders:
    """WSGI middleware: the outermost layer, so no response leaves without the headers."""

    def __init__(self, app: WsgiApp, policy: str) -> None:
        self.app = app
        self.policy = policy

    def _headers(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        scheme = "wss" if environ.get("wsgi.url_scheme") == "https" else "ws"
        ws = f"{scheme}://{host}" if host else ""
        return [
            ("Content-Security-Policy", self.policy.replace("{ws}", ws)),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
        ]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        extra = self._headers(environ)

        def with_headers(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            present = {name.lower() for name, _ in headers}
            headers.extend((n, v) for n, v in extra if n.lower() not in present)
            return start_response(status, headers, *exc)

        return self.app(environ, with_headers)


def install_security_headers(server: Any, dash_app: Dash, tile_url: str) -> None:
    """Wrap the server's WSGI app; call it last, once every clientside callback exists."""
    policy = content_security_policy(dash_app.csp_hashes(), tile_url)
    server.wsgi_app = SecurityHeaders(server.wsgi_app, policy)
