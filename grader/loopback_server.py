"""A WSGI app served on 127.0.0.1 (or on a Unix socket, for a sandboxed run) from a background thread,
without an access log (the emulator and the market-data stub keep their own records of what clients
asked)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server


class LoopbackServer:
    def __init__(self, app, port: int = 0, name: str = "server", handler: type = WSGIRequestHandler,
                 unix_socket: Path | None = None):
        if port:  # werkzeug would print and exit on a busy port; raise OSError instead
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port))
        quiet = type(f"Quiet{handler.__name__}", (handler,),
                     {"log_request": lambda self, *args, **kwargs: None})
        host = f"unix://{unix_socket}" if unix_socket else "127.0.0.1"
        self._server = make_server(host, port, app, threaded=True, request_handler=quiet)
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        # a short poll: stop() waits for it, and every grading stops servers of its own (a wake-up
        # every 10 ms costs microseconds)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
