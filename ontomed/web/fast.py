"""The short way through for the commonest request: a SPARQL query by GET.

A lookup that Oxigraph answers in about 40 µs spent several hundred more in
Flask: building the request object, routing, decoding the URL twice, the CORS
extension, the response object. Under 16 concurrent clients that made the
endpoint about ten times slower than Oxigraph's own server. This WSGI
middleware answers ``GET /sparql?query=…`` itself with the very functions the
Flask view uses (:func:`ontomed.web.sparql.answer_query`: the guard, content
negotiation, the engine; :func:`~ontomed.web.context.truncation_headers`), so
the two paths cannot answer differently; ``tests/web/test_fast.py`` checks that
they do not.

Everything else goes to Flask unchanged: other paths and methods, updates,
requests from a browser page on another origin (an ``Origin`` header: CORS is
flask-cors's job), parameters the fast path does not know, and anything
unusual in the URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wsgi import get_host

from ..errors import OntomedError
from .context import MESSAGE_HEADER, TRUNCATED_HEADER, WebState, truncation_headers
from .protocol import valid_graphs
from .sparql import answer_query

log = logging.getLogger("ontomed.web")

#: The parameters a GET query may carry on the fast path.
_KNOWN = frozenset({"query", "default-graph-uri", "named-graph-uri", "format"})
_EXPOSED = ", ".join(sorted((MESSAGE_HEADER, TRUNCATED_HEADER)))

StartResponse = Callable[..., Any]


class FastQueries:
    """WSGI middleware: ``GET /sparql?query=…`` without Flask; the rest to ``app``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 state: WebState) -> None:
        self.app, self.state = app, state
        self.cors = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", _EXPOSED)] \
            if "*" in state.config.cors_origins else []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        params = self._params(environ)
        if params is None:
            return self.app(environ, start_response)
        try:
            outcome = answer_query(
                self.state, params["query"][0], accept=environ.get("HTTP_ACCEPT"),
                format_param=params["format"][0] if params.get("format") else None,
                default=valid_graphs(params.get("default-graph-uri", []), "default-graph-uri"),
                named=valid_graphs(params.get("named-graph-uri", []), "named-graph-uri"),
                base_iri=f"{environ['wsgi.url_scheme']}://{get_host(environ)}"
                         f"{environ.get('SCRIPT_NAME', '')}/sparql")
        except OntomedError as exc:
            status = exc.http_status if 400 <= exc.http_status < 600 else 500
            return self._error(start_response, status, str(exc), getattr(exc, "headers", None))
        except Exception as exc:  # a bug: log it, answer one line (as errors.py does)
            log.exception("unexpected error")
            return self._error(start_response, 500, f"internal error: {type(exc).__name__}")
        headers = [("Content-Type", outcome.media_type or "application/octet-stream"), ("Vary", "Accept")]
        body = outcome.body
        if isinstance(body, bytes):
            headers.append(("Content-Length", str(len(body))))
            body = [body]
        headers += truncation_headers(outcome, self.state.config.max_rows) + self.cors
        start_response("200 OK", headers)
        # the engine answers bytes or a stream of chunks, never a job's Writer (Outcome's third type)
        return body  # type: ignore[return-value]

    @staticmethod
    def _params(environ: dict[str, Any]) -> dict[str, list[str]] | None:
        """The query parameters, when this request is one the fast path takes; else None."""
        if (environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != "/sparql"
                or "HTTP_ORIGIN" in environ):
            return None
        raw = environ.get("QUERY_STRING", "")
        if not raw.isascii():  # raw bytes in the URL: Werkzeug's decoding rules apply
            return None
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            if key not in _KNOWN:
                return None
            params.setdefault(key, []).append(value)
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip() or len(params.get("format", [])) > 1:
            return None  # the Flask view says what is wrong
        return params

    def _error(self, start_response: StartResponse, status: int, message: str,
               extra: dict[str, str] | None) -> list[bytes]:
        body = (" ".join(message.split()) + "\n").encode()
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                   *(extra or {}).items(), *self.cors]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]
