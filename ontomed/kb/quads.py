"""The quads an entity, a fact with its evidence, or a source document is written as.

Pure functions of their arguments and of the ontology's schema (which classes and
properties exist, which properties are symmetric): nothing here reads or writes a
store. :class:`KnowledgeBase` writes what they build (``add_entity``, ``add_fact``,
``add_document``); a bulk import (the vocabularies) builds millions of quads here and
writes them at once with :meth:`KnowledgeBase.add_quads`.

The provenance conventions are those of the contract (docs/architecture.md): a
fact's evidence is an ``owl:Axiom`` annotation node whose blank node id is a hash of
the fact and the evidence, so writing the same evidence twice adds nothing; a
symmetric fact is stated both ways and its evidence annotates one direction.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError
from ..values import Evidence, Fact

RDF_TYPE = ox.NamedNode(I.RDF + "type")
RDFS_LABEL = ox.NamedNode(I.RDFS + "label")
SKOS_ALT = ox.NamedNode(I.SKOS + "altLabel")
SKOS_MATCH = ox.NamedNode(I.SKOS + "exactMatch")
SKOS_BROADER = ox.NamedNode(I.SKOS + "broader")
SKOS_DEF = ox.NamedNode(I.SKOS + "definition")
NAMED_INDIVIDUAL = ox.NamedNode(I.OWL + "NamedIndividual")
OWL_AXIOM = ox.NamedNode(I.OWL + "Axiom")
ANN_SOURCE = ox.NamedNode(I.OWL + "annotatedSource")
ANN_PROPERTY = ox.NamedNode(I.OWL + "annotatedProperty")
ANN_TARGET = ox.NamedNode(I.OWL + "annotatedTarget")
_WAS_DERIVED_FROM = ox.NamedNode(I.WAS_DERIVED_FROM)
_EXTRACTED_BY = ox.NamedNode(I.EXTRACTED_BY)
_GENERATED_AT_TIME = ox.NamedNode(I.GENERATED_AT_TIME)
_EVIDENCE_TEXT = ox.NamedNode(I.EVIDENCE_TEXT)
_CONFIDENCE = ox.NamedNode(I.CONFIDENCE)
_SOURCE_RECORD = ox.NamedNode(I.SOURCE_RECORD)
_XSD_DECIMAL = ox.NamedNode(I.XSD + "decimal")
_XSD_DATETIME = ox.NamedNode(I.XSD + "dateTime")
DEFAULT = ox.DefaultGraph()

#: The schema an empty store has: the contract's classes and properties.
CONTRACT_CLASSES = frozenset(I.OM + c for c in I.CLASSES)
CONTRACT_PROPERTIES = frozenset(I.OM + p for p in I.PROPERTIES)
CONTRACT_SYMMETRIC = frozenset({I.OM + "interactsWith"})


def term(value: str) -> ox.NamedNode:
    """An IRI as a node; a malformed one is bad input, said with the IRI."""
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise BadInputError(f"not a valid IRI: {value!r} ({exc})") from exc


def decimal(value: float) -> ox.Literal:
    """An xsd:decimal in its lexical form: never an exponent ("1e-05" is not a decimal)."""
    text = f"{value:.6f}".rstrip("0")
    return ox.Literal(text + "0" if text.endswith(".") else text, datatype=_XSD_DECIMAL)


def literal(value: Any, lang: str | None = None) -> ox.Literal:
    if isinstance(value, ox.Literal):
        return value
    if isinstance(value, bool):
        return ox.Literal(value)
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, int):
        return ox.Literal(value)
    if isinstance(value, _dt.datetime):
        return ox.Literal(value.isoformat(), datatype=_XSD_DATETIME)
    return ox.Literal(str(value), language=lang) if lang else ox.Literal(str(value))


@dataclass(frozen=True)
class Written:
    """What an entity or a document is written as: its IRI and its quads."""

    iri: str
    quads: list[ox.Quad]


@dataclass(frozen=True)
class FactQuads:
    """What one fact with its evidence is written as, by part."""

    fact: Fact
    #: the fact itself; a symmetric fact also the other direction
    statements: list[ox.Quad]
    #: both ends declared named individuals
    declarations: list[ox.Quad]
    #: the annotation nodes not recorded yet (none when all were)
    evidence: list[ox.Quad]
    #: how many annotation nodes ``evidence`` holds
    evidence_nodes: int

    @property
    def quads(self) -> list[ox.Quad]:
        return [*self.statements, *self.declarations, *self.evidence]


def entity_quads(name_or_iri: str, classes: str | Iterable[str], label: str, *,
                 known_classes: frozenset[str] = CONTRACT_CLASSES,
                 labels: Mapping[str, str | Iterable[str]] | None = None,
                 synonyms: Iterable[str] = (),
                 identifiers: Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]] = (),
                 broader: Iterable[str] = (), definition: str | None = None,
                 lang: str = "en") -> Written:
    """An entity (an OWL named individual) of one class or several (``["Disease", "Symptom"]``).

    ``identifiers`` maps a scheme (mesh, drugbank, hpo, omim, icd10, hgnc, …) to one id
    or several, written as ``skos:exactMatch`` IRIs in their usual resolvable form.
    """
    if not label or not label.strip():
        raise BadInputError("an entity needs a non-empty label")
    subject = term(I.entity_iri(name_or_iri))
    quads = [ox.Quad(subject, RDF_TYPE, NAMED_INDIVIDUAL, DEFAULT)]
    first, *more = [classes] if isinstance(classes, str) else list(classes)
    for n, cls in enumerate([first, *more]):
        cls_iri = I.class_iri(cls)
        if cls_iri not in known_classes:
            known = "" if n else " (known: " + ", ".join(
                sorted(I.shorten(c) for c in known_classes if c.startswith(I.OM))) + ")"
            raise BadInputError(f"{I.shorten(cls_iri)} is not a class of the ontology{known}")
        quads.append(ox.Quad(subject, RDF_TYPE, term(cls_iri), DEFAULT))
    quads.append(ox.Quad(subject, RDFS_LABEL, ox.Literal(label.strip(), language=lang), DEFAULT))
    for other_lang, values in (labels or {}).items():
        for value in [values] if isinstance(values, str) else values:
            quads.append(ox.Quad(subject, RDFS_LABEL, ox.Literal(value, language=other_lang), DEFAULT))
    for syn in synonyms:
        if syn and syn.strip() and syn.strip() != label.strip():
            quads.append(ox.Quad(subject, SKOS_ALT, ox.Literal(syn.strip(), language=lang), DEFAULT))
    pairs = identifiers.items() if isinstance(identifiers, Mapping) else identifiers
    for scheme, values in pairs:
        for value in [values] if isinstance(values, str) else values:
            try:
                target = I.identifier_iri(scheme, value)
            except ValueError as exc:
                raise BadInputError(str(exc)) from exc
            quads.append(ox.Quad(subject, SKOS_MATCH, ox.NamedNode(target), DEFAULT))
    for parent in broader:
        quads.append(ox.Quad(subject, SKOS_BROADER, term(I.entity_iri(parent)), DEFAULT))
    if definition:
        quads.append(ox.Quad(subject, SKOS_DEF, ox.Literal(definition, language=lang), DEFAULT))
    return Written(subject.value, quads)


def evidence_node_id(s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode, ev: Evidence) -> str:
    """The annotation node's blank node id: a hash of the fact, the document, the sentence,
    the extractor and the source record, so the same evidence is one node however often
    it is written."""
    key = "\x1f".join([s.value, p.value, o.value, ev.document, ev.text or "",
                       ev.extractor, ev.source_record or ""])
    return "ev" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def evidence_quads(s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode, ev: Evidence,
                   node_id: str) -> list[ox.Quad]:
    """One annotation node: the fact it annotates and what the evidence says."""
    node = ox.BlankNode(node_id)
    when = ev.generated_at or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    quads = [
        ox.Quad(node, RDF_TYPE, OWL_AXIOM, DEFAULT),
        ox.Quad(node, ANN_SOURCE, s, DEFAULT),
        ox.Quad(node, ANN_PROPERTY, p, DEFAULT),
        ox.Quad(node, ANN_TARGET, o, DEFAULT),
        ox.Quad(node, _WAS_DERIVED_FROM, term(ev.document), DEFAULT),
        ox.Quad(node, _EXTRACTED_BY, ox.Literal(ev.extractor), DEFAULT),
        ox.Quad(node, _GENERATED_AT_TIME, literal(when), DEFAULT),
    ]
    if ev.text:
        quads.append(ox.Quad(node, _EVIDENCE_TEXT, ox.Literal(ev.text), DEFAULT))
    if ev.confidence is not None:
        quads.append(ox.Quad(node, _CONFIDENCE, decimal(float(ev.confidence)), DEFAULT))
    if ev.source_record:
        quads.append(ox.Quad(node, _SOURCE_RECORD, ox.Literal(ev.source_record), DEFAULT))
    for key, value in ev.annotations.items():
        prop = key if I.is_iri(key) else I.property_iri(key)
        quads.append(ox.Quad(node, term(prop), literal(value), DEFAULT))
    return quads


def fact_quads(subject: str, prop: str, object: str,
               evidence: Evidence | Iterable[Evidence] | None = None, *,
               properties: frozenset[str] = CONTRACT_PROPERTIES,
               symmetric: frozenset[str] = CONTRACT_SYMMETRIC,
               skip_evidence: Callable[[str], bool] = lambda node_id: False) -> FactQuads:
    """``subject prop object`` with each piece of evidence as an annotation node.

    ``skip_evidence(node_id)``: True for a node already written (in the store, or
    earlier in the same batch); its quads are left out.
    """
    s = term(I.entity_iri(subject))
    p_iri = I.property_iri(prop)
    if p_iri not in properties:
        known = ", ".join(sorted(I.shorten(x) for x in properties if x.startswith(I.OM)))
        raise BadInputError(f"{I.shorten(p_iri)} is not an object property of the ontology (known: {known})")
    p = ox.NamedNode(p_iri)
    o = term(I.entity_iri(object))
    statements = [ox.Quad(s, p, o, DEFAULT)]
    es, eo = s, o
    if p_iri in symmetric and s != o:
        # stated both ways, so that plain SPARQL finds it from either side; the evidence
        # annotates one direction (subject < object), so it is never duplicated
        statements.append(ox.Quad(o, p, s, DEFAULT))
        if o.value < s.value:
            es, eo = o, s
    items: list[Evidence] = (
        [] if evidence is None else [evidence] if isinstance(evidence, Evidence) else list(evidence)
    )
    written: list[ox.Quad] = []
    nodes = 0
    for ev in items:
        node_id = evidence_node_id(es, p, eo, ev)
        if skip_evidence(node_id):
            continue
        written.extend(evidence_quads(es, p, eo, ev, node_id))
        nodes += 1
    declarations = [ox.Quad(s, RDF_TYPE, NAMED_INDIVIDUAL, DEFAULT),
                    ox.Quad(o, RDF_TYPE, NAMED_INDIVIDUAL, DEFAULT)]
    return FactQuads(Fact(s.value, p_iri, o.value, tuple(items)), statements, declarations,
                     written, nodes)


def document_quads(text: str, *, title: str | None = None, identifier: str | None = None,
                   source: str | None = None) -> Written:
    """A source document, identified by the hash of its text."""
    doc = ox.NamedNode(I.document_iri(text))
    quads = [
        ox.Quad(doc, RDF_TYPE, NAMED_INDIVIDUAL, DEFAULT),
        ox.Quad(doc, RDF_TYPE, ox.NamedNode(I.OM + "Document"), DEFAULT),
    ]
    if title:
        quads.append(ox.Quad(doc, ox.NamedNode(I.DCTERMS + "title"), ox.Literal(title), DEFAULT))
    if identifier:
        quads.append(ox.Quad(doc, ox.NamedNode(I.DCTERMS + "identifier"), ox.Literal(identifier), DEFAULT))
    if source:
        quads.append(ox.Quad(doc, ox.NamedNode(I.DCTERMS + "source"), ox.Literal(source), DEFAULT))
    return Written(doc.value, quads)


class QuadBuilder:
    """Entities, facts and documents as quads, by one schema, each evidence node built once.

    ``QuadBuilder()`` builds by the contract's schema with every evidence node
    included (a bulk import into an empty store); :meth:`KnowledgeBase.quad_builder`
    gives one with the store's schema that leaves out evidence already recorded.
    """

    def __init__(self, *, classes: frozenset[str] = CONTRACT_CLASSES,
                 properties: frozenset[str] = CONTRACT_PROPERTIES,
                 symmetric: frozenset[str] = CONTRACT_SYMMETRIC,
                 recorded: Callable[[str], bool] = lambda node_id: False) -> None:
        self.classes, self.properties, self.symmetric = classes, properties, symmetric
        self._recorded = recorded
        #: evidence node ids built so far
        self.pending: set[str] = set()

    def _skip(self, node_id: str) -> bool:
        if node_id in self.pending or self._recorded(node_id):
            return True
        self.pending.add(node_id)
        return False

    def entity(self, name_or_iri: str, classes: str | Iterable[str], label: str,
               **options: Any) -> Written:
        return entity_quads(name_or_iri, classes, label, known_classes=self.classes, **options)

    def fact(self, subject: str, prop: str, object: str,
             evidence: Evidence | Iterable[Evidence] | None = None) -> FactQuads:
        return fact_quads(subject, prop, object, evidence, properties=self.properties,
                          symmetric=self.symmetric, skip_evidence=self._skip)

    def document(self, text: str, **options: Any) -> Written:
        return document_quads(text, **options)

