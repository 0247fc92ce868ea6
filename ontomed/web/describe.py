"""What an entity page shows, computed in a worker from the knowledge base.

The page gets plain values (it is rendered in the web process, the data is read
in a worker): the entity as :meth:`Entity.to_dict` gives it, its facts grouped
by property with each property's English and Chinese label, the templated
description in both languages (ontomed.verbalize, DESIGN §7) and, when the
server is started with --generate-descriptions, the generator's checked
paragraph (ontomed.generation.describe_cached).
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


def entity_page(kb: KnowledgeBase, *, iri: str, generate: bool = False) -> dict[str, Any]:
    from ..generation import describe_cached

    entity = kb.entity(iri)
    props = _properties(kb)
    data = entity.to_dict()
    del data["facts"], data["incoming"]  # shown grouped, below
    return {
        "entity": data,
        "types": [I.shorten(t) for t in entity.types],
        "identifiers": [{"scheme": scheme, "id": value, "iri": I.IDENTIFIER_PREFIXES[scheme] + value}
                        for scheme, value in entity.identifiers],
        "outgoing": _grouped(entity.facts, props, "object"),
        "incoming": _grouped(entity.incoming, props, "subject"),
        "descriptions": {lang: describe_cached(kb, entity.iri, mode="template", lang=lang)["text"]
                         for lang in LANGUAGES},
        # the worker is long-lived, so describe_cached's cache keeps a checked paragraph
        # until the entity's facts change
        "generated": describe_cached(kb, entity.iri, mode="generate", lang="en") if generate else None,
    }


def _properties(kb: KnowledgeBase) -> dict[str, dict[str, dict[str, str]]]:
    """property IRI → {"label": {lang: text}, "template": {lang: text}}."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for row in kb.query(_PROPERTIES):  # type: ignore[union-attr]
        entry = out.setdefault(row["p"].value, {"label": {}, "template": {}})
        entry[row["kind"].value].setdefault(row["lang"].value, row["text"].value)
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
