"""The request-body cap for bodies sent without a ``Content-Length``.

A body with a ``Content-Length`` over the cap is refused by Flask before it is
read (``MAX_CONTENT_LENGTH``). A chunked body has no length up front, and there
Werkzeug stops reading at the cap *without an error*: the app would see the
first ``max_body`` bytes of a longer query or upload, a silent truncation. So
this middleware reads such a body itself, up to one byte past the cap: over
it, the answer is 413; within it, the app gets the bytes with their length, as
if the client had sent a ``Content-Length``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]


class BodyLimit:
    """WSGI middleware: a chunked request body is read up to ``max_body`` bytes, or 413."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 max_body: int) -> None:
        self.app, self.max_body = app, max_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        stream = environ["wsgi.input"]
        parts, size = [], 0
        while size <= self.max_body:
            chunk = stream.read(min(65536, self.max_body + 1 - size))
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        if size > self.max_body:
            body = f"request body too large (the limit is {self.max_body} bytes)\n".encode()
            start_response("413 Request Entity Too Large", [
                ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                ("Connection", "close")])
            return [body]
        data = b"".join(parts)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)
