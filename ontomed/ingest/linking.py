"""Linkers: a mention → the IRI of the entity it names (``register_linkers``).

The pipeline links the mentions of extractors that find names without knowing the
knowledge base (a Transformer NER model), then reads relations between the linked
mentions by the types their linkers give (:meth:`Linker.entity_types`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..components import Linker
from ..values import Mention
from .extractors.dictionary import Vocabulary, vocabulary_for

if TYPE_CHECKING:
    from ..kb import KnowledgeBase


class VocabularyLinker(Linker):
    """Links a mention whose whole text is one of the vocabulary's names."""

    id = "vocabulary"
    description = "a mention → the entity whose label or synonym it is (case rules as the dictionary)"

    def __init__(self) -> None:
        self._vocab: Vocabulary | None = None

    def setup(self, kb: KnowledgeBase | None) -> None:
        self._vocab = vocabulary_for(kb) if kb is not None else None

    def link(self, mention: Mention) -> str | None:
        if self._vocab is None:
            return None
        found = self._vocab.find(mention.text)
        if len(found) == 1 and found[0].start == 0 and found[0].end == len(mention.text):
            return found[0].iri
        return None

    def entity_types(self, iri: str) -> set[str]:
        return set(self._vocab.types.get(iri, ())) if self._vocab is not None else set()
