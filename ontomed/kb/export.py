"""The Protégé export: ontology + knowledge base as one OWL 2 DL RDF/XML file.

Protégé reads files through the OWL API, which reports every IRI used as an
individual without an ``owl:NamedIndividual`` declaration as a DL violation.
Facts added through :meth:`KnowledgeBase.add_fact` are declared already; data
loaded from arbitrary RDF may not be, so the export adds the missing
declarations (and the ontology itself, when the store does not hold it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .. import iri as I

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
        from .store import bundled_ontology_path

        for q in ox.parse(path=str(bundled_ontology_path()), format=ox.RdfFormat.RDF_XML):
            yield ox.Triple(q.subject, q.predicate, q.object)
    for q in kb.store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        yield ox.Triple(q.subject, q.predicate, q.object)
    rdf_type = ox.NamedNode(I.RDF + "type")
    individual = ox.NamedNode(I.OWL + "NamedIndividual")
    for row in kb.query(_UNDECLARED_INDIVIDUALS):
        yield ox.Triple(row["x"], rdf_type, individual)  # type: ignore[index]
