"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect graph
identification: ``?default`` or ``?graph=IRI``). Reading is open; PUT, POST
and DELETE need the update token, like SPARQL Update."""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Blueprint, Response, request

from . import negotiation
from .context import authorize_write, outcome_response, state
from .errors import HTTPError

bp = Blueprint("graph_store", __name__)

#: DOCTYPE and ENTITY declarations: entity expansion ("billion laughs") and
#: external entities. Oxigraph's RDF/XML parser expands internal entities.
_XML_DECLARATIONS = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@bp.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    graph = _target_graph()
    st = state()
    if request.method in ("GET", "HEAD"):
        fmt = negotiation.choose_graph(request.headers.get("Accept"), request.args.get("format"))
        outcome = st.engine.run("graph_get", graph=graph, fmt=fmt.file_extension,
                                max_rows=st.config.max_rows)
        return outcome_response(outcome)
    authorize_write()
    if request.method == "DELETE":
        st.engine.run("graph_delete", graph=graph)
        return Response(status=204)
    data = request.get_data(cache=False)
    fmt = upload_format(data)
    job = "graph_put" if request.method == "PUT" else "graph_post"
    outcome = st.engine.run(job, graph=graph, data=data, fmt=fmt.file_extension,
                            base_iri=graph or request.base_url)
    return Response(status=201 if outcome.created else 204)


def _target_graph() -> str | None:
    """None for the default graph, else the graph IRI."""
    named = request.args.getlist("graph")
    if "default" in request.args and named:
        raise HTTPError(400, "name one graph: ?default or ?graph=IRI, not both")
    if "default" in request.args:
        return None
    if len(named) != 1:
        raise HTTPError(400, "name one graph: /store?default or /store?graph=IRI")
    try:
        ox.NamedNode(named[0])
    except ValueError:
        raise HTTPError(400, f"graph is not a valid IRI: {named[0]!r}") from None
    return named[0]


def upload_format(data: bytes) -> ox.RdfFormat:
    """The RDF syntax of an upload, from its Content-Type; refuses unsafe RDF/XML."""
    kind = request.mimetype
    fmt = ox.RdfFormat.from_media_type(kind) if kind else None
    if fmt is None or fmt.supports_datasets:
        raise HTTPError(415, "send a graph as text/turtle, application/n-triples, "
                        "application/rdf+xml or application/ld+json"
                        + (f", not {kind}" if kind else " (no Content-Type was given)"))
    if fmt == ox.RdfFormat.RDF_XML:
        if _XML_DECLARATIONS.search(data):
            raise HTTPError(400, "RDF/XML with DOCTYPE or ENTITY declarations is refused "
                            "(entity expansion); inline the values instead")
        if b"\x00" in data or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise HTTPError(415, "RDF/XML must be sent as UTF-8")
    return fmt
