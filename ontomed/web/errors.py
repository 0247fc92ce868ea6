"""HTTP errors as one-line messages, never a traceback (DESIGN §8).

Library code raises :class:`~ontomed.errors.OntomedError` subclasses, which
already carry an ``http_status``; the web layer adds :class:`HTTPError` for
what only HTTP has (406, 413, 403 …). :func:`register_error_handlers` turns
both, Werkzeug's own HTTP exceptions and anything unexpected into a
``text/plain`` body of one line.
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from ..errors import OntomedError

log = logging.getLogger("ontomed.web")


class HTTPError(OntomedError):
    """A request the endpoint answers with ``status`` and a one-line message."""

    exit_code = 2

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.http_status = status
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    line = " ".join(message.split())  # one line, whatever the parser printed
    response = Response(line + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers or {})
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(OntomedError)
    def _ontomed(exc: OntomedError) -> Response:
        status = exc.http_status if 400 <= exc.http_status < 600 else 500
        return error_response(status, str(exc), getattr(exc, "headers", None))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = {
            413: f"request body too large (the limit is {app.config.get('MAX_CONTENT_LENGTH')} bytes)",
            404: "not found",
            405: f"method {_method()} not allowed here",
        }.get(status, exc.description or exc.name)
        response = error_response(status, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:  # a bug: log it, answer one line
        log.exception("unexpected error")
        return error_response(500, f"internal error: {type(exc).__name__}")


def _method() -> str:
    from flask import request

    return request.method
