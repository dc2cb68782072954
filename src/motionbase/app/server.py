"""Launching the app: offline, on a port that is free, with one clear message for each way it can fail.

Gradio is imported only after ``GRADIO_ANALYTICS_ENABLED`` is set to False (Gradio reads it at import),
and launched without a share link, server-side rendering, PWA or MCP server, so nothing is fetched from
or sent to the internet; the theme uses the system's fonts (:mod:`.ui`).
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from ..errors import MotionbaseError
from .gradio_import import require_gradio
from .ui import build_app, launch_options


def check_port(host: str, port: int) -> int:
    """``port`` if a server can listen on ``host:port`` now (0: a free port, chosen here); else a clear error."""
    if not 0 <= port <= 65535:
        raise MotionbaseError(f"--port {port}: expected 0 (any free port) to 65535")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise MotionbaseError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no conflict
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise MotionbaseError(f"port {port} on {host} is already in use; pass another --port "
                                      "(or --port 0 for any free one)") from None
            raise MotionbaseError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        return s.getsockname()[1]


@dataclass
class Served:
    """A running app: ``url`` to open, ``blocks`` (the Gradio Blocks; ``close()`` stops the server)."""

    url: str
    blocks: object

    def close(self) -> None:
        self.blocks.close()

    def wait(self) -> None:
        """Serve until interrupted (Ctrl+C), then stop."""
        try:
            self.blocks.block_thread()
        finally:
            self.close()


def serve(generator, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True, workdir=None,
          render=None) -> Served:
    """Serve the app for ``generator`` at ``http://host:port``.

    block: run until interrupted (the CLI); False returns at once with the server running in a
    background thread (tests, notebooks). Raises :class:`MotionbaseError` when gradio is missing or
    the port is taken.
    """
    port = check_port(host, port)
    require_gradio()
    blocks = build_app(generator, workdir=workdir, render=render)
    try:
        _, url, _ = blocks.launch(server_name=host, server_port=port, prevent_thread_lock=True,
                                  **launch_options(blocks))
    except OSError as exc:  # the port was taken between the check and the launch
        raise MotionbaseError(f"cannot serve on {host}:{port} ({str(exc).splitlines()[0]}); pass another --port") \
            from None
    served = Served(url, blocks)
    if block:
        served.wait()
    return served
