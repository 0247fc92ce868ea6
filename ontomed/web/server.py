"""Serving the app: waitress, an access log, and a clean stop on SIGINT/SIGTERM.

Why waitress and not gunicorn. The app already runs its own pool of query
processes and must be the one process that holds the store's lock (see
engine.py); gunicorn's model is several pre-forked copies of the app, which
would mean several pools and several would-be lock holders. waitress is a
production WSGI server in one process with a thread per in-flight request:
those threads only wait on worker pipes (the GIL is released), it is pure
Python (nothing to compile, runs wherever ontomed does), and it can be started
and stopped from Python, which is what ``ontomed serve`` and the tests do.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask

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
            e = self.environ
            path = e.get("PATH_INFO", "") + (f"?{e['QUERY_STRING']}" if e.get("QUERY_STRING") else "")
            if len(path) > 300:
                path = path[:300] + "…"
            access_log.info('%s - - [%s] "%s %s %s" %s %d %.0fms', e.get("REMOTE_ADDR", "-"),
                            time.strftime("%d/%b/%Y:%H:%M:%S %z"), e.get("REQUEST_METHOD"), path,
                            e.get("SERVER_PROTOCOL"), self.seen["status"], self.seen["size"],
                            (time.perf_counter() - self.began) * 1000)


def serve(app: Flask, *, announce: Callable[[str], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM; then finish in-flight requests, stop the workers."""
    from waitress import create_server

    cfg = app.extensions["ontomed"].config
    server: Any = create_server(
        AccessLog(app), host=cfg.host, port=cfg.port, threads=cfg.threads, ident="ontomed",
        # a little above the app's own cap, so a body just over it gets the app's one-line
        # 413; far bigger ones are refused by waitress before it buffers them
        max_request_body_size=cfg.max_body + 65536, channel_timeout=max(120, int(cfg.timeout) + 30),
        clear_untrusted_proxy_headers=True,
    )
    host = f"[{cfg.host}]" if ":" in cfg.host else cfg.host
    url = f"http://{host}:{server.effective_port}/"

    def _stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)  # waitress's loop catches it and shuts its threads down

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        (announce or (lambda u: print(u, flush=True)))(url)
        server.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        server.close()
        app.extensions["ontomed"].close()


def configure_logging(verbose: bool = True) -> None:
    """Access lines and warnings on stderr, as a server's console shows them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("ontomed.access", "ontomed.web"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO if verbose else logging.WARNING)
        logger.propagate = False
    logging.getLogger("waitress").setLevel(logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N" under load
