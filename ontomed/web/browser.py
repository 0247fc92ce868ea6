"""The knowledge base in a browser: the query page ``/`` and one page per entity.

Every asset is served from the package (``static/``; the editor is YASQE,
vendored by ``scripts/vendor_web_assets.py``): the pages make no request to
any other host.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request

from .. import iri as I
from ..errors import OntomedError
from . import negotiation
from .context import outcome_response, state
from .describe import entity_path
from .errors import HTTPError

#: Hits the search page lists.
SEARCH_LIMIT = 25

bp = Blueprint("browser", __name__)  # templates/ and static/ are the app's (ontomed/web/)

_PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in I.PREFIXES.items()
                    if p in ("om", "ome", "rdfs", "owl", "prov"))

#: (title, query) — each answers something on the bundled example data.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Drugs that treat a disease", _PROLOGUE + """
SELECT ?drug ?drugLabel WHERE {
  ?drug om:treats ome:type_2_diabetes_mellitus ;
        rdfs:label ?drugLabel .
  FILTER(LANG(?drugLabel) = "en")
}"""),
    ("Symptoms of a disease", _PROLOGUE + """
SELECT ?symptom ?label ?labelZh WHERE {
  ome:type_2_diabetes_mellitus om:hasSymptom ?symptom .
  ?symptom rdfs:label ?label . FILTER(LANG(?label) = "en")
  OPTIONAL { ?symptom rdfs:label ?labelZh FILTER(LANG(?labelZh) = "zh") }
}"""),
    ("Interactions of a drug", _PROLOGUE + """
SELECT ?other ?label WHERE {
  { ome:warfarin om:interactsWith ?other } UNION { ?other om:interactsWith ome:warfarin }
  ?other rdfs:label ?label . FILTER(LANG(?label) = "en")
}"""),
    ("The evidence behind a fact", _PROLOGUE + """
SELECT ?source ?sentence ?extractor ?confidence WHERE {
  ?ax owl:annotatedSource ome:metformin ;
      owl:annotatedProperty om:treats ;
      owl:annotatedTarget ome:type_2_diabetes_mellitus ;
      prov:wasDerivedFrom ?source ;
      om:extractedBy ?extractor .
  OPTIONAL { ?ax om:evidenceText ?sentence }
  OPTIONAL { ?ax om:confidence ?confidence }
}"""),
    ("Facts per relation", _PROLOGUE + """
SELECT ?relation (COUNT(*) AS ?facts) WHERE {
  ?s ?relation ?o . ?relation a owl:ObjectProperty .
} GROUP BY ?relation ORDER BY DESC(?facts)"""),
)


@bp.route("/")
def index() -> str:
    st = state()
    return render_template("index.html", examples=EXAMPLES, label=st.label,
                           prefixes=I.PREFIXES, entity_ns=I.ENTITY,
                           max_rows=st.config.max_rows, timeout=st.config.timeout)


@bp.route("/entity/<path:name>")
def entity(name: str) -> Response | str:
    """HTML to a browser; Turtle, N-Triples, RDF/XML or JSON-LD to a client that asks.

    A name that is no entity's IRI is read as the command line reads it (a label or
    synonym in any case, an identifier): ``/entity/Glucophage`` redirects to
    ``/entity/metformin``. A name that is nobody's is a 404 with the closest names.
    """
    iri = I.ENTITY + name
    st = state()
    fmt = request.args.get("format")
    accept = request.accept_mimetypes
    wants_rdf = fmt is not None or (
        bool(accept) and accept.best_match(["text/html", *negotiation.GRAPH_MEDIA_TYPES]) != "text/html")
    try:
        if wants_rdf:
            graph = negotiation.choose_graph(request.headers.get("Accept"), fmt)
            outcome = st.engine.run("entity_rdf", iri=iri, fmt=graph.file_extension,
                                    max_rows=st.config.max_rows)
            return outcome_response(outcome)
        page = st.engine.run("entity", iri=iri, generate=st.config.generate_descriptions,
                             generator=st.config.description_generator)
    except OntomedError as exc:
        if exc.http_status != 404:
            raise
        return _resolved(name)
    return render_template("entity.html", label=st.label, page_path=entity_path, web_link=web_link,
                           **page)


def _resolved(name: str) -> Response:
    answer = state().engine.run("resolve", name=name)
    target = entity_path(answer["iri"]) if "iri" in answer else None
    if target is None or target == request.path:
        raise HTTPError(answer.get("status", 404), answer.get("error") or f"no entity named {name!r}",
                        candidates=answer.get("candidates"))
    query = request.query_string.decode("latin-1")
    # flask.redirect builds the app's response class; its stub says werkzeug's base class
    return redirect(target + (f"?{query}" if query else ""), 303)  # type: ignore[return-value]


@bp.route("/search")
def search() -> Response | str:
    """Entities by label, synonym or identifier, ranked as ``ontomed search`` ranks them:
    a page for a browser, JSON (``{"query", "hits"}``) for a client that asks for it."""
    st = state()
    text = request.args.get("q", "").strip()
    types = request.args.getlist("type")
    hits = st.engine.run("search", text=text, types=types, limit=SEARCH_LIMIT) if text else []
    accept = request.accept_mimetypes
    if request.args.get("format") == "json" or (
            bool(accept) and accept.best_match(["text/html", "application/json"]) == "application/json"):
        response = jsonify({"query": text, "hits": hits})
        response.vary.add("Accept")
        return response
    for hit in hits:
        hit["page"] = entity_path(hit["iri"])
    return render_template("search.html", label=st.label, query=text, hits=hits, types=types)


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every page, and for JSON or text answers too."""
    return current_app.send_static_file("favicon.ico")


def web_link(iri: str | None) -> str | None:
    """An IRI a page may link to: http(s) only, never ``javascript:`` or ``data:`` from the data."""
    if iri and iri.lower().startswith(("http://", "https://")):
        return iri
    return None
