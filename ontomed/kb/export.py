"""Export: the store in any RDF format Oxigraph writes, and the Protégé export (ontology +
knowledge base as one OWL 2 DL RDF/XML file).

Protégé reads files through the OWL API, which reports every IRI used as an
individual without an ``owl:NamedIndividual`` declaration as a DL violation.
Facts added through :meth:`KnowledgeBase.add_fact` are declared already; data
loaded from arbitrary RDF may not be, so the export adds the missing
declarations (and the ontology itself, when the store does not hold it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError, StoreError, file_error
from .formats import rdf_format
from .ontology import bundled_ontology_path
from .quads import DEFAULT, term

if TYPE_CHECKING:
    from .store import KnowledgeBase

_UNDECLARED_INDIVIDUALS = """
SELECT DISTINCT ?x WHERE {
  { ?p a owl:ObjectProperty . { ?x ?p ?y } UNION { ?y ?p ?x } }
  UNION
  { ?x a ?c . ?c a owl:Class . }
  FILTER(isIRI(?x))
  FILTER NOT EXISTS { ?x a owl:NamedIndividual }
  FILTER NOT EXISTS { ?x a owl:Class }
  FILTER NOT EXISTS { ?x a owl:ObjectProperty }
}"""


def protege_triples(kb: KnowledgeBase) -> Iterator[ox.Triple]:
    """Every triple of the Protégé export, the ontology header first."""
    if not kb.is_initialized():
        for q in ox.parse(path=str(bundled_ontology_path()), format=ox.RdfFormat.RDF_XML):
            yield ox.Triple(q.subject, q.predicate, q.object)
    for q in kb.backend.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        yield ox.Triple(q.subject, q.predicate, q.object)
    rdf_type = ox.NamedNode(I.RDF + "type")
    individual = ox.NamedNode(I.OWL + "NamedIndividual")
    for row in kb.select(_UNDECLARED_INDIVIDUALS):
        yield ox.Triple(row["x"], rdf_type, individual)


def export(kb: KnowledgeBase, dest: str | os.PathLike[str] | IO[bytes], format: str = "ttl", *,
           graph: str | None = None) -> None:
    """Serialize with Oxigraph's writers: a triple format writes the default
    graph (or ``graph``); N-Quads and TriG write every graph."""
    fmt = rdf_format(format)
    opts: dict[str, Any] = {"format": fmt}
    if not fmt.supports_datasets:
        opts["from_graph"] = term(graph) if graph else DEFAULT
    elif graph:
        raise BadInputError(f"--graph selects one graph; {fmt.name} exports them all (use ttl, nt, xml or jsonld)")
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        opts["prefixes"] = dict(I.PREFIXES)
    try:
        if isinstance(dest, (str, os.PathLike)):
            kb.backend.dump(str(dest), **opts)
        else:
            kb.backend.dump(dest, **opts)
    except OSError as exc:
        if isinstance(dest, (str, os.PathLike)):
            raise file_error(dest, exc) from exc
        raise StoreError(f"export failed: {exc}") from exc


def export_protege(kb: KnowledgeBase, dest: str | os.PathLike[str] | IO[bytes]) -> int:
    """One RDF/XML OWL 2 DL file: the ontology plus every asserted fact and
    its evidence, with the declarations Protégé's OWL API expects. Returns
    the number of triples written."""
    triples = list(protege_triples(kb))
    try:
        if isinstance(dest, (str, os.PathLike)):
            try:
                f = open(dest, "wb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise file_error(dest, exc) from exc
            with f:
                ox.serialize(triples, f, ox.RdfFormat.RDF_XML, prefixes=dict(I.PREFIXES))
        else:
            ox.serialize(triples, dest, ox.RdfFormat.RDF_XML, prefixes=dict(I.PREFIXES))
    except (OSError, ValueError) as exc:
        raise StoreError(f"export failed: {exc}") from exc
    return len(triples)
