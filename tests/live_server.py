"""A real ``ontomed serve`` in a subprocess, for the end-to-end web tests.

The server binds 127.0.0.1 on a free port (``--port 0``; the URL it prints
says which) and is stopped with SIGTERM, the way an operator stops it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import make_example_kb

TOKEN = "test-update-token-0123"


def build_example_kb(path: Path) -> Path:
    """An on-disk knowledge base: the ontology plus the example data."""
    make_example_kb(path).close()
    return path


@dataclass
class LiveServer:
    url: str  # ends with "/"
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)
    banner: str = ""
    kb_path: Path | None = None  # the knowledge base it serves

    @property
    def sparql(self) -> str:
        return self.url + "sparql"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@contextmanager
def live_server(kb_path: Path, *args: str) -> Iterator[LiveServer]:
    """Start ``ontomed serve --kb kb_path ARGS`` and yield it once it answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ONTOMED_UPDATE_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ontomed.cli", "serve", "--kb", str(kb_path), "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    server = LiveServer("", proc, kb_path=kb_path)
    threading.Thread(target=_drain, args=(proc.stderr, server.log), daemon=True).start()
    try:
        server.banner = _read_banner(proc)
        server.url = re.search(r"http://127\.0\.0\.1:\d+/", server.banner).group()
        threading.Thread(target=_drain, args=(proc.stdout, server.log), daemon=True).start()
        _wait_until_up(server.url)
        yield server
    finally:
        server.stop()


def _drain(stream, sink: list[str]) -> None:
    for line in stream:
        sink.append(line.rstrip("\n"))


def _read_banner(proc: subprocess.Popen) -> str:
    """The line where the server says its URL."""
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"ontomed serve exited ({proc.wait()}) before printing its URL")
        if re.search(r"http://127\.0\.0\.1:\d+/", line):
            return line.strip()
    raise RuntimeError("ontomed serve printed no URL in 30 s")


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "-/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Canary:
    """A loopback TCP listener that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 500 Canary\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


def http(method: str, url: str, body: bytes | str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    """One raw HTTP request; any status comes back as a Reply, never an exception."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        data = body.encode("utf-8") if isinstance(body, str) else body
        conn.request(method, path, body=data, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())
    finally:
        conn.close()
