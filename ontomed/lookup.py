"""Entities named by people: an IRI, a label or a synonym, with the closest matches on a miss.

:meth:`KnowledgeBase.resolve` answers exact names. When a name is unknown, a
person wants to see what they probably meant ("metfromin" → metformin), so
the labels and synonyms of the knowledge base's entities are searched with
rapidfuzz (C++, a few hundred thousand names in well under a second); when a
name is ambiguous, the candidates are listed with their labels and IRIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import iri as I
from .errors import AmbiguousError, NotFoundError

if TYPE_CHECKING:
    from .kb import KnowledgeBase

_NAMES_QUERY = """
SELECT ?e ?l WHERE {
  VALUES ?t { om:Drug om:Disease om:Symptom om:Gene om:Condition }
  ?e a ?t .
  { ?e rdfs:label ?l } UNION { ?e skos:altLabel ?l }
}"""
#: Similarity (0-100) below which a name is not offered as a match.
MIN_SCORE = 60.0


class UnknownEntityError(NotFoundError):
    """No entity has this name; ``candidates`` are the closest names' IRIs."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


def closest_entities(kb: KnowledgeBase, name: str, *, limit: int = 5) -> list[tuple[str, str, float]]:
    """(IRI, the name that matched, score) of the entities whose names are closest to ``name``."""
    from rapidfuzz import fuzz, process, utils

    names: list[str] = []
    owners: list[str] = []
    for row in kb.query(_NAMES_QUERY):  # type: ignore[union-attr]
        names.append(row["l"].value)  # type: ignore[index]
        owners.append(row["e"].value)  # type: ignore[index]
    found: dict[str, tuple[str, float]] = {}
    # Two C scorers: edit similarity for misspellings ("metfromin"), word-set overlap,
    # slightly discounted, for partial names ("diabetes"). WRatio alone ranks short
    # names that share a few letters ("MI") too high.
    for scorer, weight in ((fuzz.ratio, 1.0), (fuzz.token_set_ratio, 0.9)):
        for match, score, index in process.extract(name, names, scorer=scorer, processor=utils.default_process,
                                                   limit=limit * 4, score_cutoff=MIN_SCORE / weight):
            iri, score = owners[index], score * weight
            if iri not in found or score > found[iri][1]:
                found[iri] = (match, score)
    ranked = sorted(found.items(), key=lambda item: (-item[1][1], item[1][0].lower()))
    return [(iri, match, score) for iri, (match, score) in ranked[:limit]]


def _label(kb: KnowledgeBase, iri: str) -> str:
    from .verbalize import Verbalizer

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
