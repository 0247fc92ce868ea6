"""HTTP errors as one-line messages, never a traceback (architecture.md §8).

Library code raises :class:`~ontomed.errors.OntomedError` subclasses, which
already carry an ``http_status``; the web layer adds :class:`HTTPError` for
what only HTTP has (406, 413, 403 …). :func:`register_error_handlers` turns
both, Werkzeug's own HTTP exceptions and anything unexpected into an answer
of one line: a ``text/plain`` body for the API (``/sparql``, ``/store``,
``/api/``, ``/-/``), a script or ``curl``, and, for a browser on a page (a
request that prefers ``text/html``), an HTML page with the same line, the
site's header and its search box, and links to the closest entities when an
entity was not found.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import OntomedError

log = logging.getLogger("ontomed.web")

_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           406: "Not acceptable", 413: "Too large", 500: "Internal error", 503: "Unavailable"}


class HTTPError(OntomedError):
    """A request the endpoint answers with ``status`` and a one-line message.

    ``candidates`` (``{"iri", "label"}`` dicts) are shown as links on the HTML page.
    """

    exit_code = 2

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 candidates: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.http_status = status
        self.headers = headers or {}
        self.candidates = candidates or []


#: The API's paths: their errors stay one plain line whoever asks (the SPARQL protocol, the
#: Graph Store, the applications' JSON, the server's own status).
API_PATHS = ("/sparql", "/store", "/api/", "/-/")


def _is_page() -> bool:
    try:
        return not request.path.startswith(API_PATHS)
    except RuntimeError:  # outside a request
        return False


def wants_html() -> bool:
    """A browser navigating to a page: ``text/html`` preferred to plain text. A client that
    sends ``*/*``, nothing, or only machine formats gets the plain line."""
    if not _is_page():
        return False
    accept = request.accept_mimetypes
    return bool(accept) and accept.best_match(["text/plain", "text/html"]) == "text/html"


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   candidates: list[dict[str, str]] | None = None) -> Response:
    line = " ".join(message.split())  # one line, whatever the parser printed
    response = None
    if wants_html():
        response = _html(status, line, candidates or [])
    if response is None:
        response = Response(line + "\n", status=status, mimetype="text/plain")
    response.headers.update(headers or {})
    if _is_page():
        response.vary.add("Accept")
    return response


def _html(status: int, line: str, candidates: list[dict[str, str]]) -> Response | None:
    from .context import state
    from .describe import entity_path

    try:
        page = render_template("error.html", label=state().label, status=status,
                               title=_TITLES.get(status, "Error"), message=line,
                               candidates=[{**c, "page": entity_path(c["iri"])} for c in candidates])
    except Exception:  # noqa: BLE001 - the page must never hide the error it reports
        log.exception("the error page could not be rendered")
        return None
    return Response(page, status=status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(OntomedError)
    def _ontomed(exc: OntomedError) -> Response:
        status = exc.http_status if 400 <= exc.http_status < 600 else 500
        return error_response(status, str(exc), getattr(exc, "headers", None), _candidates(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = {
            413: f"request body too large (the limit is {app.config.get('MAX_CONTENT_LENGTH')} bytes)",
            404: f"not found: {request.path}" if wants_html() else "not found",
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


def _candidates(exc: OntomedError) -> list[dict[str, str]]:
    found: Any = getattr(exc, "candidates", None) or []
    return [c for c in found if isinstance(c, dict) and "iri" in c and "label" in c]


def _method() -> str:
    return request.method
