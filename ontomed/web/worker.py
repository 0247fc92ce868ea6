"""The body of one engine worker process (see engine.py for why they exist).

A worker opens the knowledge base once (read-only, or read-write for the one
writer), answers ``(job, params)`` messages on its pipe with ``("ok", value)``
or ``("error", status, message)``, and exits on ``None`` or when the pipe
closes.

A result that serializes to more than :data:`CHUNK` bytes is streamed: the
worker sends ``("stream", outcome-without-body)``, then ``("chunk", bytes)``
messages as Oxigraph writes, then ``("end",)``, or ``("abort", message)`` if
evaluation fails half-way (the web process then cuts the connection, so the
client sees an incomplete response, never a silently short one). Smaller
results travel whole in one ``("ok", outcome)``, as before. Nothing here is imported by the web process at run time beyond
:func:`main`'s name; the forkserver preloads this module so a new worker is a
fork of an interpreter that already has pyoxigraph, not a fresh start.
"""

from __future__ import annotations

import ctypes
import io
import os
import signal
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from ..errors import OntomedError
from ..kb import KnowledgeBase
from . import jobs

READ_ONLY = "ro"
READ_WRITE = "rw"
#: Bytes of a serialized answer held back before it is streamed in chunks of about this size.
CHUNK = 64 * 1024


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the process that forked it ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still ends idle workers
        pass


def main(conn: Connection, kb_path: str, mode: str) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    try:
        kb = KnowledgeBase(kb_path, read_only=mode == READ_ONLY, create=False)
    except OntomedError as exc:
        conn.send(("error", exc.http_status, str(exc)))
        return
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            conn.send(_answer(conn, kb, *message))
    finally:
        kb.close()


class _PipeWriter(io.RawIOBase):
    """Where a job's writer serializes: held back up to CHUNK bytes, then streamed."""

    def __init__(self, conn: Connection, head: jobs.Outcome) -> None:
        self.conn, self.head = conn, head
        self.parts: list[bytes] = []
        self.size = 0
        self.streaming = False

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK:
            self.send()
        return len(data)

    def send(self) -> None:
        if not self.streaming:
            self.conn.send(("stream", self.head))
            self.streaming = True
        if self.parts:
            self.conn.send(("chunk", b"".join(self.parts)))
            self.parts, self.size = [], 0


def _answer(conn: Connection, kb: KnowledgeBase, name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    sink: _PipeWriter | None = None
    try:
        result = jobs.run(kb, name, params)
        if not (isinstance(result, jobs.Outcome) and callable(result.body)):
            return ("ok", result)
        sink = _PipeWriter(conn, replace(result, body=b""))
        result.body(sink)
        if not sink.streaming:
            return ("ok", replace(result, body=b"".join(sink.parts)))
        sink.send()
        return ("end",)
    except OntomedError as exc:
        if sink is not None and sink.streaming:
            return ("abort", str(exc))
        return ("error", exc.http_status, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in a job must not end the worker silently
        message = f"internal error in {name}: {type(exc).__name__}: {exc}"
        if sink is not None and sink.streaming:
            return ("abort", message)
        return ("error", 500, message)
