"""What an entity page shows, computed in a worker from the knowledge base.

The page gets plain values (it is rendered in the web process, the data is read
in a worker): the entity as :meth:`Entity.to_dict` gives it, its facts grouped
by property with each property's English and Chinese label, and one sentence
per fact from the property's ``om:template`` annotation (DESIGN §2, §7). The
templates are the ontology's; this module only fills in the labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from .. import iri as I
from ..kb import KnowledgeBase
from ..model import Fact

LANGUAGES = ("en", "zh")

_PROPERTIES = """
SELECT ?p ?kind ?lang ?text WHERE {
  ?p a owl:ObjectProperty .
  { ?p rdfs:label ?text BIND("label" AS ?kind) } UNION { ?p om:template ?text BIND("template" AS ?kind) }
  BIND(LANG(?text) AS ?lang)
}"""


def entity_page(kb: KnowledgeBase, *, iri: str) -> dict[str, Any]:
    entity = kb.entity(iri)
    props = _properties(kb)
    related = {f.object for f in entity.facts} | {f.subject for f in entity.incoming} | {entity.iri}
    labels = _labels(kb, related)
    data = entity.to_dict()
    del data["facts"], data["incoming"]  # shown grouped, below
    return {
        "entity": data,
        "types": [I.shorten(t) for t in entity.types],
        "identifiers": [{"scheme": scheme, "id": value, "iri": I.IDENTIFIER_PREFIXES[scheme] + value}
                        for scheme, value in entity.identifiers],
        "outgoing": _grouped(entity.facts, props, "object"),
        "incoming": _grouped(entity.incoming, props, "subject"),
        "sentences": {lang: [s for s in (_sentence(f, props, labels, lang) for f in entity.facts) if s]
                      for lang in LANGUAGES},
    }


def _properties(kb: KnowledgeBase) -> dict[str, dict[str, dict[str, str]]]:
    """property IRI → {"label": {lang: text}, "template": {lang: text}}."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for row in kb.query(_PROPERTIES):  # type: ignore[union-attr]
        entry = out.setdefault(row["p"].value, {"label": {}, "template": {}})
        entry[row["kind"].value].setdefault(row["lang"].value, row["text"].value)
    return out


def _labels(kb: KnowledgeBase, iris: Iterable[str]) -> dict[str, dict[str, str]]:
    """IRI → {lang: label}, for the languages a page shows."""
    values = " ".join(str(ox.NamedNode(i)) for i in sorted(iris))
    out: dict[str, dict[str, str]] = {}
    if not values:
        return out
    for row in kb.query(f"SELECT ?e ?l WHERE {{ VALUES ?e {{ {values} }} ?e rdfs:label ?l }}"):  # type: ignore[union-attr]
        label = row["l"]
        out.setdefault(row["e"].value, {}).setdefault(label.language or "", label.value)
    return out


def _grouped(facts: Iterable[Fact], props: dict[str, Any], other: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for fact in facts:
        names = props.get(fact.predicate, {}).get("label", {})
        group = groups.setdefault(fact.predicate, {
            "property": fact.predicate, "short": I.shorten(fact.predicate),
            "label": names.get("en") or I.shorten(fact.predicate), "label_zh": names.get("zh"),
            "facts": []})
        data = fact.to_dict()
        target = data[other]
        group["facts"].append({
            "iri": target, "label": data[f"{other}_label"] or I.shorten(target),
            "page": entity_path(target), "evidence": data["evidence"]})
    return sorted(groups.values(), key=lambda g: g["label"])


def _sentence(fact: Fact, props: dict[str, Any], labels: dict[str, dict[str, str]],
              lang: str) -> str | None:
    template = props.get(fact.predicate, {}).get("template", {}).get(lang)
    if not template:
        return None

    def name(iri: str) -> str:
        known = labels.get(iri, {})
        return known.get(lang) or known.get("en") or known.get("") or I.shorten(iri)

    sentence = template.replace("{subject}", name(fact.subject)).replace("{object}", name(fact.object))
    return sentence[:1].upper() + sentence[1:]


def entity_path(iri: str) -> str | None:
    """The page of an entity IRI (``/entity/<name>``), or None for other IRIs."""
    if iri.startswith(I.ENTITY) and len(iri) > len(I.ENTITY):
        return "/entity/" + iri[len(I.ENTITY):]
    return None


def entity_rdf_query(iri: str) -> str:
    """What an entity IRI answers to a machine: its triples and the evidence about its facts."""
    node = str(ox.NamedNode(iri))
    return f"""CONSTRUCT {{ {node} ?p ?o . ?ax ?ap ?av }} WHERE {{
  {{ {node} ?p ?o }} UNION {{ ?ax owl:annotatedSource {node} ; ?ap ?av }}
}}"""
