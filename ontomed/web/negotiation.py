"""Content negotiation onto Oxigraph's own formats.

The endpoint never serializes results itself: it picks an
``ox.QueryResultsFormat`` for SELECT/ASK and an ``ox.RdfFormat`` for
CONSTRUCT/DESCRIBE and graphs, from the ``format`` parameter when there is one
and from the ``Accept`` header otherwise. Both choices are made before a query
runs, because which one applies is known only when the engine answers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from ..kb.formats import RDF_FORMATS, RESULT_FORMATS
from .errors import HTTPError

R = ox.QueryResultsFormat
G = ox.RdfFormat

#: media type → results format, in order of preference when the client accepts anything.
RESULT_MEDIA_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": R.JSON,
    "application/sparql-results+xml": R.XML,
    "text/csv": R.CSV,
    "text/tab-separated-values": R.TSV,
    "application/json": R.JSON,
    "application/xml": R.XML,
    "text/xml": R.XML,
}
#: media type → RDF format for graphs, in order of preference.
GRAPH_MEDIA_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": G.TURTLE,
    "application/n-triples": G.N_TRIPLES,
    "application/rdf+xml": G.RDF_XML,
    "application/ld+json": G.JSON_LD,
    "application/x-turtle": G.TURTLE,
    "text/plain": G.N_TRIPLES,
    "application/xml": G.RDF_XML,
    "text/xml": G.RDF_XML,
    "application/json": G.JSON_LD,
}
#: the RDF syntaxes a graph is shown in (not the dataset formats N-Quads/TriG, nor N3).
GRAPH_FORMATS = (G.TURTLE, G.N_TRIPLES, G.RDF_XML, G.JSON_LD)


@dataclass(frozen=True)
class Choice:
    """The formats a response may use; None where the client accepts none."""

    results: ox.QueryResultsFormat | None
    graph: ox.RdfFormat | None

    def require_graph(self) -> ox.RdfFormat:
        if self.graph is None:
            raise not_acceptable("an RDF graph", GRAPH_MEDIA_TYPES)
        return self.graph


def not_acceptable(what: str, table: dict[str, object]) -> HTTPError:
    return HTTPError(406, f"none of the media types in Accept can carry {what}; "
                     f"this endpoint offers: {', '.join(dict.fromkeys(table))}")


def choose(accept: str | None, format_param: str | None = None) -> Choice:
    """Pick the results and graph formats for a request's Accept header and ``format``."""
    if format_param:
        return _from_name(format_param.strip())
    return _from_accept((accept or "").strip())


@functools.lru_cache(maxsize=256)
def _from_accept(header: str) -> Choice:
    """Clients send the same few Accept headers over and over: match each once."""
    if not header:  # no Accept header: the usual defaults
        return Choice(R.JSON, G.TURTLE)
    accept = parse_accept_header(header, MIMEAccept)
    results = accept.best_match(list(RESULT_MEDIA_TYPES))
    graph = accept.best_match(list(GRAPH_MEDIA_TYPES))
    return Choice(RESULT_MEDIA_TYPES.get(results or ""), GRAPH_MEDIA_TYPES.get(graph or ""))


def choose_graph(accept: str | None, format_param: str | None = None) -> ox.RdfFormat:
    return choose(accept, format_param).require_graph()


def _from_name(name: str) -> Choice:
    key = name.lower()
    results = RESULT_FORMATS.get(key) or RESULT_MEDIA_TYPES.get(key.split(";")[0].strip())
    graph = RDF_FORMATS.get(key) or GRAPH_MEDIA_TYPES.get(key.split(";")[0].strip())
    if key == "json":
        graph = G.JSON_LD
    if graph is not None and graph not in GRAPH_FORMATS:
        graph = None
    if results is None and graph is None:
        raise HTTPError(400, f"unknown format {name!r} (results: json, xml, csv, tsv; "
                        "graphs: ttl, nt, xml, jsonld; or a media type)")
    return Choice(results, graph)


def media_type(fmt: ox.QueryResultsFormat | ox.RdfFormat) -> str:
    """The Content-Type to send for a format (UTF-8 is said where the type allows it)."""
    mt = fmt.media_type
    if fmt in (G.TURTLE, G.N_TRIPLES) and "charset" not in mt:
        mt += "; charset=utf-8"
    return mt
