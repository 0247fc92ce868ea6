"""Compatibility: the value types now live in :mod:`ontomed.values`; import them from
``ontomed`` (``from ontomed import Fact``)."""

from .values import (
    Document,
    Entity,
    Evidence,
    Extraction,
    Fact,
    Identifier,
    Mention,
    Relation,
    SkippedDocument,
    evidence_to_dict,
)

__all__ = ["Document", "Entity", "Evidence", "Extraction", "Fact", "Identifier", "Mention", "Relation",
           "SkippedDocument", "evidence_to_dict"]
