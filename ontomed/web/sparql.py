"""``/sparql``: the SPARQL 1.1 Protocol (query by GET, POST form and POST
direct; update by POST with the token) and, without a query, the service
description."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from . import negotiation, protocol
from .config import ServerConfig
from .context import WebState, authorize_write, outcome_response, state
from .errors import HTTPError
from .jobs import Outcome

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    if request.method == "GET":
        if "update" in request.args:
            raise HTTPError(400, "an update must be sent by POST, never by GET (SPARQL 1.1 Protocol §2.2)")
        if "query" not in request.args:
            return service_description()
        return run_query(protocol.one(request.args.getlist("query"), "query"), request.args)
    kind = request.mimetype
    if kind == FORM:
        # The body is decoded in the worker (protocol.py says why); here only which
        # of the two it is, found by two C-speed searches over the raw bytes.
        body = request.get_data(cache=False)
        queries = "query" in request.args or _FORM_QUERY.search(body) is not None
        updates = "update" in request.args or _FORM_UPDATE.search(body) is not None
        if queries and updates:
            raise HTTPError(400, "a request carries a query or an update, not both")
        if updates:
            return run_update(None, request.args, form=body)
        if queries:
            return run_query(None, request.args, form=body)
        raise HTTPError(400, "the form has neither a 'query' nor an 'update' field")
    if kind == QUERY:
        return run_query(_body_text(), request.args)
    if kind == UPDATE:
        return run_update(_body_text(), request.args)
    raise HTTPError(415, f"a POST to /sparql needs Content-Type {QUERY}, {UPDATE} or {FORM}"
                    + (f", not {kind}" if kind else ""))


_FORM_QUERY = re.compile(rb"(?:^|&)query=")
_FORM_UPDATE = re.compile(rb"(?:^|&)update=")


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise HTTPError(415, f"the body must be UTF-8, not {charset}")
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPError(400, f"the body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise HTTPError(400, "the body is empty")
    return text


def _graphs(params: MultiDict, name: str) -> list[str]:
    return protocol.valid_graphs(params.getlist(name), name)


def _base_iri() -> str:
    """The endpoint's own URL: relative IRIs in a query or update resolve against it."""
    return f"{request.scheme}://{request.host}{request.script_root}{request.path}"


def run_query(text: str | None, params: MultiDict, *, form: bytes | None = None) -> Response:
    if form is None:
        assert text is not None
        return outcome_response(answer_query(
            state(), text, accept=request.headers.get("Accept"),
            format_param=params.get("format"), default=_graphs(params, "default-graph-uri"),
            named=_graphs(params, "named-graph-uri"), base_iri=_base_iri()))
    # a form: the worker reads it, with the URL's parameters and Accept (protocol.py)
    outcome = state().engine.run("query", form=form, url_params=list(params.items(multi=True)),
                                 accept=request.headers.get("Accept"), base_iri=_base_iri(),
                                 **_query_settings(state().config))
    return outcome_response(outcome)


def answer_query(st: WebState, text: str, *, accept: str | None, format_param: str | None,
                 default: list[str], named: list[str], base_iri: str) -> Outcome:
    """A query's answer: content negotiation, then the engine, whose job reads the text
    with the guard before Oxigraph sees it (jobs.query). Shared by the Flask view and
    the fast path (fast.py), so the two cannot answer differently."""
    results_format, graph_format = protocol.formats(accept, format_param)
    return st.engine.run("query", text=text, base_iri=base_iri, results_format=results_format,
                         graph_format=graph_format, default_graph=default, named_graphs=named,
                         **_query_settings(st.config))


def run_update(text: str | None, params: MultiDict, *, form: bytes | None = None) -> Response:
    authorize_write()
    if form is None:
        given = {"text": text, "using": _graphs(params, "using-graph-uri"),
                 "using_named": _graphs(params, "using-named-graph-uri")}
    else:  # the writer reads the form and the URL's parameters
        given = {"form": form, "url_params": list(params.items(multi=True))}
    state().engine.run("update", base_iri=_base_iri(), **given, **_guard_settings(state().config))
    return Response(status=204)


def _guard_settings(cfg: ServerConfig) -> dict[str, Any]:
    """What the guard in a query or update job needs from the server's settings."""
    return {"max_depth": cfg.max_depth, "allowed_services": list(cfg.service_allowlist)}


def _query_settings(cfg: ServerConfig) -> dict[str, Any]:
    return {"max_rows": cfg.max_rows, "union": cfg.union_default_graph, **_guard_settings(cfg)}


# -- the service description ---------------------------------------------------

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
_FORMAT_IRIS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD")


def service_description() -> Response:
    """What the endpoint is, in RDF (a browser asking for HTML gets the query page)."""
    if _wants_html() and "browser.index" in _endpoints():
        return redirect(url_for("browser.index"), 303)
    fmt = negotiation.choose_graph(request.headers.get("Accept"), request.args.get("format"))
    cfg = state().config
    service = ox.BlankNode("service")
    dataset, graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    languages = ["SPARQL11Query"] + (["SPARQL11Update"] if cfg.updates_enabled else [])
    features = ["UnionDefaultGraph"] if cfg.union_default_graph else []
    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(request.base_url)),
        *(ox.Triple(service, sd("supportedLanguage"), sd(x)) for x in languages),
        *(ox.Triple(service, sd("feature"), sd(x)) for x in features),
        *(ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS + x)) for x in _FORMAT_IRIS),
        ox.Triple(service, sd("defaultEntailmentRegime"),
                  ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
        ox.Triple(service, ox.NamedNode("http://purl.org/dc/terms/title"),
                  ox.Literal(f"ontomed SPARQL endpoint ({state().label})")),
    ]
    opts = {"prefixes": {"sd": SD}} if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else {}
    body = ox.serialize(triples, format=fmt, **opts)
    response = Response(body, content_type=negotiation.media_type(fmt))
    response.vary.add("Accept")
    return response


def _wants_html() -> bool:
    """A browser names text/html; a client sending only ``*/*`` gets RDF."""
    accept = request.accept_mimetypes
    named = any(value == "text/html" for value, _ in accept)
    best = accept.best_match(["text/html", *negotiation.GRAPH_MEDIA_TYPES])
    return named and best == "text/html" and "format" not in request.args


def _endpoints() -> Iterable[str]:
    from flask import current_app

    return current_app.view_functions.keys()
