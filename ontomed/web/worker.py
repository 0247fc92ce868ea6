"""The body of one engine worker process (see engine.py for why they exist).

A worker opens the knowledge base once (read-only, or read-write for the one
writer), answers ``(job, params)`` messages on its pipe with ``("ok", value)``
or ``("error", status, message)``, and exits on ``None`` or when the pipe
closes. Nothing here is imported by the web process at run time beyond
:func:`main`'s name; the forkserver preloads this module so a new worker is a
fork of an interpreter that already has pyoxigraph, not a fresh start.
"""

from __future__ import annotations

import ctypes
import os
import signal
from multiprocessing.connection import Connection
from typing import Any

from ..errors import OntomedError
from ..kb import KnowledgeBase
from . import jobs

READ_ONLY = "ro"
READ_WRITE = "rw"


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
            conn.send(_answer(kb, *message))
    finally:
        kb.close()


def _answer(kb: KnowledgeBase, name: str, params: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("ok", jobs.run(kb, name, params))
    except OntomedError as exc:
        return ("error", exc.http_status, str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in a job must not end the worker silently
        return ("error", 500, f"internal error in {name}: {type(exc).__name__}: {exc}")
