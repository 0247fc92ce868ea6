"""Serving the app: granian, an access log, and a clean stop on SIGINT/SIGTERM.

Why granian. The endpoint's hot path is a query handed to a worker process and
its answer handed back. Under waitress (one process, a Python ``asyncore`` loop
that walks every connection on each wake-up, plus a thread per request) the
threads spent far more time taking turns at the GIL than working: 16
concurrent lookups ran at ~1,100/s with ~900 µs of server CPU each. granian (a
Rust HTTP server on hyper and tokio, for WSGI/ASGI apps, maintained by the
Emmett project) parses HTTP and handles sockets in Rust, outside the GIL, and
calls the WSGI app from a small pool of threads: the same app and engine answer
more than twice as many lookups there (benchmarks/endpoint_latency.py).

The process model stays the one engine.py needs: granian's supervisor forks
one server process, which builds the app (so that process, and only it, holds
the store's lock and runs the query workers) and serves it. SIGINT/SIGTERM
reach the supervisor, which stops the server process after the requests in
flight; the server process stops its query workers on the way out.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask

from ..errors import OntomedError
from .apps import PRIVATE_PATHS
from .config import ServerConfig
from .engine import StreamBroken

access_log = logging.getLogger("ontomed.access")


class AccessLog:
    """WSGI middleware: one line per request, in the common log format plus milliseconds."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        began = time.perf_counter()
        seen: dict[str, Any] = {"status": "-", "size": 0}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        body = self.app(environ, _start)
        if isinstance(body, list):  # whole already (the fast path's answers): log it now
            seen["size"] = sum(len(chunk) for chunk in body)
            _log(environ, seen, began)
            return body
        return _Logged(body, environ, seen, began)


class _Logged:
    def __init__(self, body: Iterable[bytes], environ: dict[str, Any], seen: dict[str, Any],
                 began: float) -> None:
        self.body, self.environ, self.seen, self.began = body, environ, seen, began

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.seen["size"] += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            _log(self.environ, self.seen, self.began)


def _log(e: dict[str, Any], seen: dict[str, Any], began: float) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    path = e.get("PATH_INFO", "")
    if e.get("QUERY_STRING") and not path.startswith(PRIVATE_PATHS):  # patient data is never logged
        path += f"?{e['QUERY_STRING']}"
    if len(path) > 300:
        path = path[:300] + "…"
    access_log.info('%s - - [%s] "%s %s %s" %s %d %.0fms', e.get("REMOTE_ADDR", "-"),
                    time.strftime("%d/%b/%Y:%H:%M:%S %z"), e.get("REQUEST_METHOD"), path,
                    e.get("SERVER_PROTOCOL"), seen["status"], seen["size"],
                    (time.perf_counter() - began) * 1000)


def serve(make_app: Callable[[], Flask], config: ServerConfig, *,
          announce: Callable[[str], None] | None = None) -> None:
    """Serve ``make_app()`` until SIGINT or SIGTERM.

    ``make_app`` runs in the server process granian forks (see the module's
    docstring), after a check here that the address can be bound, so an address
    in use is an error before anything starts (``OSError``). A failure to build
    the app there (say, the store taken meanwhile) comes back here as that
    error, one line. ``announce(url)`` is called once the app is ready.
    """
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    port = _check_address(config.host, config.port)
    host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{host}:{port}/"
    # Why the server process could not start, if it could not: read here once it has ended.
    read_end, write_end = os.pipe()

    def load(target: str) -> Any:  # in the server process
        os.close(read_end)
        try:
            app = make_app()
        except OntomedError as exc:
            os.write(write_end, f"{exc.exit_code} {exc}".encode())
            os._exit(exc.exit_code)
        os.write(write_end, b"ok")
        os.close(write_end)
        state = app.extensions["ontomed"]
        multiprocessing.util.Finalize(state, state.close, exitpriority=10)  # on the way out
        for handler in logging.getLogger("_granian").handlers:
            handler.addFilter(_no_stream_tracebacks)
        _leave_sigint_to_the_supervisor()
        (announce or (lambda u: print(u, flush=True)))(url)
        return AccessLog(app)

    server = Server(
        "ontomed", address=config.host, port=port, interface=Interfaces.WSGI, workers=1,
        blocking_threads=config.threads, http=HTTPModes.http1, websockets=False,
        log_enabled=True, log_level=LogLevels.error, log_access=False,
        workers_kill_timeout=max(10, int(config.timeout) + 5),
    )
    if sys.platform == "linux" and multiprocessing.get_start_method() != "fork":
        # granian forks its server process when the default start method is fork and
        # spawns it otherwise (Python 3.14's default); a spawned process would need
        # `load` and the app's settings pickled. Fork, as on Python 3.11 to 3.13.
        multiprocessing.set_start_method("fork", force=True)
    try:
        server.serve(target_loader=load)
    except SystemExit:
        # granian's way to say the server process ended without being asked to: also
        # when SIGTERM reaches it a moment before the supervisor (pkill). Once the app
        # had started, that is a stop, said by granian's own log line if it was not.
        pass
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:  # every writer has ended: this cannot block
        reply = pipe.read().decode(errors="replace")
    if reply == "ok":
        return
    if reply:
        code, _, message = reply.partition(" ")
        error = OntomedError(message)
        error.exit_code = int(code) if code.isdigit() else 1
        raise error
    raise OntomedError("the server process ended before it could serve (see the lines above)")


def _leave_sigint_to_the_supervisor() -> None:
    """In the server process: ignore SIGINT once granian has set its handlers.

    Ctrl-C in a terminal sends SIGINT to every process of the group. The
    supervisor then stops the server process with SIGTERM, and when that
    SIGTERM lands just after the server process's own SIGINT, granian 2.8's
    worker sometimes never wakes from its shutdown wait (seen here in about one
    stop in ten), so the stop took the whole kill timeout. With SIGINT ignored
    the server process stops on the supervisor's SIGTERM alone, as it does for
    `kill` or `pkill` (SIGTERM). granian reads this function at the moment it
    sets its handlers (an import inside its worker), so wrapping it here, before
    the worker starts, is enough; if a later granian moves it, nothing changes.
    """
    try:
        import granian._signals as granian_signals
    except ImportError:  # pragma: no cover - a granian without the module
        return
    original = getattr(granian_signals, "set_sync_signals", None)
    if original is None:  # pragma: no cover
        return

    def set_sync_signals() -> Any:
        event = original()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return event

    granian_signals.set_sync_signals = set_sync_signals


def _no_stream_tracebacks(record: logging.LogRecord) -> bool:
    """A streamed answer cut short reaches granian as an exception from the body
    (that is how a WSGI app makes the server cut the connection), which granian
    logs with its traceback in the message. The engine has already said why in
    one line; that record is dropped, any other passes."""
    return f"\n{StreamBroken.__name__}: " not in record.getMessage()


def _check_address(host: str, port: int) -> int:
    """The port to serve on (a free one for 0), after checking that it can be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return probe.getsockname()[1]


def configure_logging(verbose: bool = True) -> None:
    """Access lines and warnings on stderr, as a server's console shows them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("ontomed.access", "ontomed.web"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO if verbose else logging.WARNING)
        logger.propagate = False
