"""Oxigraph's server (PyPI ``oxigraph``, the test extra) as the second backend of the knowledge
base tests: one per session on a free loopback port, emptied before each test that uses it.

Under CI a server that cannot start fails the tests that need it (tests/needs.py), never skips
them: .ci/run installs it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: the server beside this interpreter (a virtual environment's bin/ need not be on PATH), else on PATH
OXIGRAPH = shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                          os.environ.get("PATH", "")]))
MISSING = "the oxigraph server (PyPI package oxigraph, in the test extra) is not installed"


@contextmanager
def oxigraph(mode: str, location: Path) -> Iterator[str]:
    """``oxigraph serve`` (or ``serve-read-only``) on a free loopback port; its base URL once it answers."""
    assert OXIGRAPH is not None, MISSING
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([OXIGRAPH, mode, "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"oxigraph serve did not start: {proc.stderr.read()!r}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def empty(url: str) -> None:
    """Remove every graph and triple the server holds."""
    request = urllib.request.Request(url + "/update", data=b"DROP ALL", method="POST",
                                     headers={"Content-Type": "application/sparql-update"})
    urllib.request.urlopen(request, timeout=30).close()
