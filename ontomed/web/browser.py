"""The knowledge base in a browser: the query page ``/`` and one page per entity.

Every asset is served from the package (``static/``; the editor is YASQE,
vendored by ``scripts/vendor_web_assets.py``): the pages make no request to
any other host.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from .. import iri as I
from . import negotiation
from .context import outcome_response, state
from .describe import entity_path

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
    """HTML to a browser; Turtle, N-Triples, RDF/XML or JSON-LD to a client that asks."""
    iri = I.ENTITY + name
    st = state()
    fmt = request.args.get("format")
    accept = request.accept_mimetypes
    wants_rdf = fmt is not None or (
        bool(accept) and accept.best_match(["text/html", *negotiation.GRAPH_MEDIA_TYPES]) != "text/html")
    if wants_rdf:
        graph = negotiation.choose_graph(request.headers.get("Accept"), fmt)
        outcome = st.engine.run("entity_rdf", iri=iri, fmt=graph.file_extension,
                                max_rows=st.config.max_rows)
        return outcome_response(outcome)
    page = st.engine.run("entity", iri=iri, generate=st.config.generate_descriptions)
    return render_template("entity.html", label=st.label, page_path=entity_path, web_link=web_link,
                           **page)


def web_link(iri: str | None) -> str | None:
    """An IRI a page may link to: http(s) only, never ``javascript:`` or ``data:`` from the data."""
    if iri and iri.lower().startswith(("http://", "https://")):
        return iri
    return None
