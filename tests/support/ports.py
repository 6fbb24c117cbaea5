"""A loopback port nothing listens on (bound to port 0, then closed): for a server to start on, or for a
connection that must be refused."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
