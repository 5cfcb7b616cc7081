"""Running a built app: the Socket.IO-aware threaded server and clean shutdown."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from werkzeug.serving import WSGIRequestHandler, make_server

from dashboard.app import GridwatchApp, create_app
from dashboard.settings import Settings

log = logging.getLogger(__name__)


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 so terminals and the simulator reuse connections."""

    protocol_version = "HTTP/1.1"


class ServerThread:
    """A real threaded HTTP server for a built app, in a thread (tests, benchmarks)."""

    def __init__(self, app: GridwatchApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.httpd = make_server(
            host, port, app.server, threaded=True, request_handler=KeepAliveHandler
        )
        self.port = self.httpd.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(10)


def run_app(app: GridwatchApp, host: str, port: int) -> None:
    """Serve until interrupted; background workers stop with the server."""
    app.start_background()
    log.info("Gridwatch serving on http://%s:%d/wall", host, port)
    try:
        app.socketio.run(
            app.server,
            host=host,
            port=port,
            allow_unsafe_werkzeug=True,
            use_reloader=False,
            log_output=False,
            request_handler=KeepAliveHandler,
        )
    finally:
        app.close()


def serve_forever(settings: Settings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM, also one that comes while the app is being built."""
    _sigterm_as_interrupt()
    app: GridwatchApp | None = None
    try:
        app = create_app(settings)
        run_app(app, host, port)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # stop in order, once
        try:
            if app is not None:
                app.close()
        finally:
            signal.signal(signal.SIGINT, previous)
    print("已停止", flush=True)


def _sigterm_as_interrupt() -> None:
    """Treat SIGTERM like Ctrl-C so ``finally`` blocks stop Redis and children."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
