"""Debian's nginx on 127.0.0.1, an ephemeral port and a temporary config, serving one directory.

nginx is the real Range implementation (206 with Content-Range, 416, ``If-Range``, ETag and
Last-Modified) the download engine and the remote-zip reader are tested against::

    with NginxServer(root) as server:
        url = server.url("archive.zip")

The server runs in the foreground (``daemon off``) as a child process; :meth:`NginxServer.stop`
terminates it and waits. Files may be added to ``root`` while it runs. ``extra_locations`` adds raw
``location`` blocks (e.g. a redirect) to the server block.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

from .ports import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

_CONF = """\
{user}
worker_processes 1;
daemon off;
master_process on;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    default_type application/octet-stream;
    access_log {work}/access.log;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        location / {{ autoindex off; }}
{extra}
    }}
}}
"""


class NginxUnavailableError(RuntimeError):
    """nginx is not installed or would not start."""


def nginx_available() -> bool:
    return os.path.exists(NGINX) and os.access(NGINX, os.X_OK)


class NginxServer:
    """One nginx master+worker serving ``root`` at ``http://127.0.0.1:<port>/``."""

    def __init__(self, root: Path, extra_locations: str = "") -> None:
        self.root = Path(root).resolve()
        self.extra_locations = extra_locations
        self.port: Optional[int] = None
        self.work: Optional[Path] = None
        self._process: Optional[subprocess.Popen] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str = "") -> str:
        return f"{self.base_url}/{name.lstrip('/')}"

    def start(self) -> NginxServer:
        if not nginx_available():
            raise NginxUnavailableError(f"nginx not found at {NGINX} (apt-get install nginx)")
        self.work = Path(tempfile.mkdtemp(prefix="scene-picker-nginx-"))
        last_error = ""
        for _ in range(5):  # bounded: another process may take the port between probe and bind
            self.port = free_port()
            conf = self.work / "nginx.conf"
            conf.write_text(
                _CONF.format(
                    user="user root;" if os.geteuid() == 0 else "",
                    work=self.work,
                    port=self.port,
                    root=self.root,
                    extra=self.extra_locations,
                )
            )
            self._process = subprocess.Popen(
                [NGINX, "-c", str(conf), "-p", str(self.work), "-e", str(self.work / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if self._wait_ready():
                return self
            last_error = self._stop_process()
        raise NginxUnavailableError(f"nginx did not start: {last_error[-500:]}")

    def _wait_ready(self) -> bool:
        assert self._process is not None and self.port is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def _stop_process(self) -> str:
        process, self._process = self._process, None
        if process is None:
            return ""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        log = self.work / "error.log" if self.work else None
        if log and log.exists():
            stderr += log.read_text(errors="replace")
        return stderr

    def stop(self) -> None:
        self._stop_process()
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def __enter__(self) -> NginxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
