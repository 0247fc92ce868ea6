"""Frozen value objects that flow between the knowledge base, the CLI and plugins."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """Why a fact is believed: one OWL axiom annotation (architecture.md §3).

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


# -- what flows through extraction (architecture.md §1) --------------------------------

@dataclass(frozen=True)
class Document:
    """A source text. ``iri`` defaults to the hash of the text, so re-reading adds nothing."""

    text: str
    id: str | None = None
    title: str | None = None
    source: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def iri(self) -> str:
        from .iri import document_iri

        return document_iri(self.text)

    def __hash__(self) -> int:
        return hash((self.id, self.text))


@dataclass(frozen=True)
class SkippedDocument:
    """A record a reader could not turn into a document, and why (the rest go on)."""

    source: str
    reason: str


@dataclass(frozen=True)
class Mention:
    """A span of text naming an entity of one type (Drug, Disease, Symptom, Gene)."""

    text: str
    type: str
    start: int
    end: int
    confidence: float = 1.0
    iri: str | None = None
    #: Other entities the same name names, when ``iri`` was chosen among several by the
    #: linking preference (the extractor's docs say which); empty when the name is unique.
    candidates: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {"text": self.text, "type": self.type, "start": self.start, "end": self.end,
               "confidence": self.confidence, "iri": self.iri}
        if self.candidates:
            out["candidates"] = list(self.candidates)
        return out


@dataclass(frozen=True)
class Relation:
    """A relation between two mentions, read from one sentence."""

    subject: Mention
    predicate: str
    object: Mention
    confidence: float
    sentence: str
    negated: bool = False
    speculative: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject.to_dict(), "predicate": self.predicate,
                "object": self.object.to_dict(), "confidence": self.confidence,
                "sentence": self.sentence, "negated": self.negated,
                "speculative": self.speculative}


@dataclass(frozen=True)
class Extraction:
    """What one extractor found in one text."""

    extractor: str
    mentions: tuple[Mention, ...] = ()
    relations: tuple[Relation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"extractor": self.extractor,
                "mentions": [m.to_dict() for m in self.mentions],
                "relations": [r.to_dict() for r in self.relations]}


# -- redaction of clinical notes (issue 15) ----------------------------------------

@dataclass(frozen=True)
class Identifier:
    """A span of a clinical note that identifies a person (a HIPAA Safe Harbor kind).

    ``kind`` is one of :data:`ontomed.ingest.redaction.KINDS` (``NAME``, ``DATE``, ``PHONE``, …)
    or a redactor's own; ``replacement`` is what the span becomes (``"[DATE] 2019"``), None for
    the kind's placeholder (``"[NAME]"``).
    """

    kind: str
    start: int
    end: int
    replacement: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"an identifier span needs 0 <= start < end, not {self.start}..{self.end}")
        if not self.kind:
            raise ValueError("an identifier needs a kind")
