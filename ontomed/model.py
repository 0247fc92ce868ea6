"""Frozen value objects that flow between the knowledge base, the CLI and plugins."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """Why a fact is believed: one OWL axiom annotation (DESIGN §3).

    ``document`` is the IRI of the source (a document hash IRI, a PubMed IRI,
    a curated source's record IRI). ``extractor`` is the extractor's id, or
    ``curated:<source>`` for facts taken from a curated database.
    ``annotations`` holds extra annotation values keyed by property (local
    name in the ``om:`` namespace or a full IRI), for example
    ``{"severity": "contraindicated"}``.
    """

    document: str
    extractor: str
    text: str | None = None
    confidence: float | None = None
    source_record: str | None = None
    generated_at: _dt.datetime | None = None
    annotations: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.document:
            raise ValueError("Evidence needs a document IRI")
        if not self.extractor:
            raise ValueError("Evidence needs an extractor id")
        if self.confidence is not None and not 0.0 <= float(self.confidence) <= 1.0:
            raise ValueError(f"confidence must be between 0 and 1, not {self.confidence}")

    def __hash__(self) -> int:  # annotations is a dict; hash the identity fields
        return hash((self.document, self.extractor, self.text, self.source_record))


@dataclass(frozen=True)
class Fact:
    """One asserted object-property assertion with all its evidence."""

    subject: str
    predicate: str
    object: str
    evidence: tuple[Evidence, ...] = ()
    subject_label: str | None = None
    object_label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "subject_label": self.subject_label,
            "predicate": self.predicate,
            "object": self.object,
            "object_label": self.object_label,
            "evidence": [evidence_to_dict(e) for e in self.evidence],
        }


@dataclass(frozen=True)
class Entity:
    """Everything the knowledge base says about one entity, as plain values."""

    iri: str
    label: str | None
    types: tuple[str, ...] = ()
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    synonyms: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    exact_matches: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    definition: str | None = None
    facts: tuple[Fact, ...] = ()
    incoming: tuple[Fact, ...] = ()

    def __hash__(self) -> int:
        return hash(self.iri)

    def to_dict(self) -> dict[str, Any]:
        return {
            "iri": self.iri,
            "label": self.label,
            "types": list(self.types),
            "labels": {k: list(v) for k, v in self.labels.items()},
            "synonyms": list(self.synonyms),
            "identifiers": [{"scheme": s, "id": i} for s, i in self.identifiers],
            "exact_matches": list(self.exact_matches),
            "broader": list(self.broader),
            "definition": self.definition,
            "facts": [f.to_dict() for f in self.facts],
            "incoming": [f.to_dict() for f in self.incoming],
        }


def evidence_to_dict(e: Evidence) -> dict[str, Any]:
    return {
        "document": e.document,
        "extractor": e.extractor,
        "text": e.text,
        "confidence": e.confidence,
        "source_record": e.source_record,
        "generated_at": e.generated_at.isoformat() if e.generated_at else None,
        "annotations": dict(e.annotations),
    }
