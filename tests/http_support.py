"""A local HTTP server for tests of endpoint clients, that never writes to the test's stderr."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    """Serves in a background thread; ``close()`` waits for every request thread.

    A client that gives up early (a timeout test) leaves the handler writing to a closed socket; the
    standard server prints that to ``sys.stderr`` from its thread, whenever it happens, which lands in
    whatever a later test is capturing. Here such errors are kept in ``errors`` instead.
    """

    daemon_threads = False  # so server_close() joins the request threads
    block_on_close = True

    def __init__(self, handler) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}/v1"

    def handle_error(self, request, client_address) -> None:
        import sys

        self.errors.append(repr(sys.exc_info()[1]))

    def close(self) -> None:
        self.shutdown()
        self.server_close()
