"""Entities named by people: an IRI, a label or a synonym, with the closest matches on a miss.

:meth:`KnowledgeBase.resolve` answers exact names. When a name is unknown, a
person wants to see what they probably meant ("metfromin" → metformin), so
the knowledge base's name index (:mod:`ontomed.kb.names`: prefix, then fuzzy
matches with rapidfuzz) is consulted; when a name is ambiguous, the candidates
are listed with their labels and IRIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import iri as I
from .errors import AmbiguousError, NotFoundError

if TYPE_CHECKING:
    from .kb import KnowledgeBase

class UnknownEntityError(NotFoundError):
    """No entity has this name; ``candidates`` are the closest names' IRIs."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


def closest_entities(kb: KnowledgeBase, name: str, *, limit: int = 5) -> list[tuple[str, str, float]]:
    """(IRI, the name that matched, score) of the entities whose names are closest to ``name``:
    the same name index as ``ontomed search`` (prefix, then fuzzy matches), cached beside the
    knowledge base, so a miss costs milliseconds, not a scan of every label."""
    from .kb.names import name_index

    index = name_index(kb)
    return [(index.entities[entity], matched, score)
            for entity, matched, _kind, score in index.find(name, limit=limit)]


def _label(kb: KnowledgeBase, iri: str) -> str:
    from .describe.verbalize import Verbalizer

    return Verbalizer(kb).name(iri)


def resolve_entity(kb: KnowledgeBase, name: str) -> str:
    """The IRI ``name`` stands for; an unknown name lists the closest matches, an
    ambiguous one the entities it could mean (both one line, exit code 2)."""
    text = name.strip()
    if not text:
        raise NotFoundError("no entity given (an IRI, a label or a synonym)")
    try:
        return kb.resolve(text)
    except AmbiguousError as exc:
        shown = ", ".join(f"{_label(kb, c)} ({I.shorten(c)})" for c in exc.candidates[:8])
        raise AmbiguousError(f"{text!r} names {len(exc.candidates)} entities: {shown}; give one by its IRI",
                             exc.candidates) from None
    except NotFoundError as exc:
        needle = text
        if I.is_iri(text) or text.startswith("ome:"):  # ome:metfromin → "metfromin"
            needle = text.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1].removeprefix("ome:")
            needle = needle.replace("_", " ")
        close = closest_entities(kb, needle)
        if not close:
            raise UnknownEntityError(f"{exc}; nothing close to it either", []) from None
        shown = ", ".join(match if match == _label(kb, iri) else f"{match} ({_label(kb, iri)})"
                          for iri, match, _ in close)
        raise UnknownEntityError(f"{exc}; closest: {shown}", [iri for iri, _, _ in close]) from None
