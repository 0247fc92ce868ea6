"""Find entities by name: exact matches first, then names that start with the text,
then close spellings (rapidfuzz), each hit with its class and identifiers.

The names (every ``rdfs:label`` and ``skos:altLabel`` of an entity typed with
an ontomed class) are read by one SPARQL query, which takes seconds on a
knowledge base holding the full vocabularies, so they are kept in
``KB/cache/search-index.json``, keyed by the number of label, synonym and type
triples (three COUNT queries: a tenth of a second). A change that keeps all
three counts equal (a label renamed in place by a SPARQL update) is not seen
until ``refresh=True`` (``ontomed search --refresh``).
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from . import iri as I
from .errors import BadInputError
from .vocab.records import name_key

if TYPE_CHECKING:
    from .kb import KnowledgeBase

INDEX_VERSION = 2
CLASSES = ("Drug", "Disease", "Symptom", "Gene", "Condition")
#: Below this rapidfuzz similarity (0-100) a name is not a fuzzy match.
FUZZY_CUTOFF = 75.0

_NAMES_QUERY = f"""
SELECT ?e ?l ?pref WHERE {{
  {{ SELECT DISTINCT ?e WHERE {{ VALUES ?t {{ {' '.join('om:' + c for c in CLASSES)} }} ?e a ?t }} }}
  {{ ?e rdfs:label ?l BIND(true AS ?pref) }} UNION {{ ?e skos:altLabel ?l BIND(false AS ?pref) }}
}}"""
_TYPES_QUERY = f"""
SELECT ?e ?t WHERE {{ VALUES ?t {{ {' '.join('om:' + c for c in CLASSES)} }} ?e a ?t }}"""
_COUNTS = ("SELECT (COUNT(*) AS ?n) WHERE { ?e rdfs:label ?l }",
           "SELECT (COUNT(*) AS ?n) WHERE { ?e skos:altLabel ?l }",
           "SELECT (COUNT(*) AS ?n) WHERE { ?e a ?t }")
_RANKS = {"exact": 0, "prefix": 1, "fuzzy": 2}


@dataclass(frozen=True)
class SearchHit:
    """One entity found, how (exact, prefix, fuzzy) and by which of its names."""

    iri: str
    label: str | None
    types: tuple[str, ...]
    identifiers: tuple[tuple[str, str], ...]
    matched: str
    match: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "types": list(self.types),
                "identifiers": [{"scheme": s, "id": i} for s, i in self.identifiers],
                "matched": self.matched, "match": self.match, "score": self.score}


class NameIndex:
    """Every entity name, folded for comparison, with its owner and whether it is preferred."""

    def __init__(self, entities: list[str], types: list[list[str]],
                 rows: list[tuple[str, int, bool]], keys: list[str] | None = None) -> None:
        self.entities = entities
        self.types = types
        self.rows = rows                          # (name as written, entity index, preferred)
        self.keys = keys if keys is not None else [name_key(name) for name, _, _ in rows]
        self.by_key: dict[str, list[int]] = {}
        for i, key in enumerate(self.keys):
            self.by_key.setdefault(key, []).append(i)
        self.sorted_keys = sorted(self.by_key)

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> NameIndex:
        position: dict[str, int] = {}
        entities: list[str] = []
        types: list[list[str]] = []
        for row in kb.query(_TYPES_QUERY):  # type: ignore[union-attr]
            iri, cls_iri = row["e"].value, row["t"].value  # type: ignore[index]
            if iri not in position:
                position[iri] = len(entities)
                entities.append(iri)
                types.append([])
            types[position[iri]].append(cls_iri[len(I.OM):])
        rows = []
        for row in kb.query(_NAMES_QUERY):  # type: ignore[union-attr]
            iri = row["e"].value  # type: ignore[index]
            if iri in position:
                rows.append((row["l"].value, position[iri], row["pref"].value == "true"))  # type: ignore[index]
        rows.sort()
        return cls(entities, [sorted(t) for t in types], rows)

    def to_json(self) -> dict[str, Any]:
        return {"entities": self.entities, "types": self.types, "rows": self.rows, "keys": self.keys}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NameIndex:
        return cls(data["entities"], data["types"], data["rows"], data["keys"])

    def find(self, text: str, *, types: Iterable[str] = (), limit: int = 10) -> list[tuple[int, str, str, float]]:
        """(entity index, matched name, match kind, score), best first, one per entity."""
        query = name_key(text)
        if not query:
            return []
        wanted = set(types)
        best: dict[int, tuple[Any, ...]] = {}   # entity → (sort key…, name, kind)

        def offer(i: int, kind: str, score: float) -> None:
            name, entity, preferred = self.rows[i]
            if wanted and not wanted & set(self.types[entity]):
                return
            # exact and prefix: preferred labels first; fuzzy: the closest spelling first
            key = (_RANKS[kind], -score if kind == "fuzzy" else 0.0, 0 if preferred else 1,
                   -score, len(name), name)
            if entity not in best or key < best[entity][:6]:
                best[entity] = (*key, kind)  # type: ignore[assignment]

        for i in self.by_key.get(query, ()):
            offer(i, "exact", 100.0)
        start = bisect.bisect_left(self.sorted_keys, query)
        for key in itertools.islice(self.sorted_keys, start, None):
            if not key.startswith(query):
                break
            if key != query:
                for i in self.by_key[key]:
                    offer(i, "prefix", round(100.0 * len(query) / len(key), 1))
        if len(best) < limit:
            from rapidfuzz import fuzz, process

            # Edit similarity for misspellings ("metfromin"), the same on sorted words
            # for another word order ("infarction myocardial"). Not WRatio: it scores
            # a short name inside a long query ("MET" in "metfromin") as high as a typo.
            for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
                for key, score, _ in process.extract(query, self.sorted_keys, scorer=scorer,
                                                     limit=limit * 5, score_cutoff=FUZZY_CUTOFF):
                    for i in self.by_key[key]:
                        offer(i, "fuzzy", round(float(score), 1))
        ranked = sorted(best.items(), key=lambda item: item[1][:6])[:limit]
        return [(entity, key[5], key[6], -key[3]) for entity, key in ranked]  # type: ignore[misc]


def _cache_key(kb: KnowledgeBase) -> str:
    counts = [next(iter(kb.query(q)))["n"].value for q in _COUNTS]  # type: ignore[index]
    return f"v{INDEX_VERSION}-" + "-".join(counts)


_memo: dict[tuple[str, str], NameIndex] = {}


def name_index(kb: KnowledgeBase, *, refresh: bool = False) -> NameIndex:
    """The knowledge base's name index: kept in memory for the process, and in
    ``KB/cache/search-index.json`` for the next one, while the counts still match."""
    key = _cache_key(kb)
    memo_key = (str(kb.path) if kb.path is not None else f"memory:{id(kb.store)}", key)
    if not refresh and memo_key in _memo:
        return _memo[memo_key]
    path = kb.path / "cache" / "search-index.json" if kb.path is not None else None
    index = None
    if path is not None and path.is_file() and not refresh:
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("key") == key:
                index = NameIndex.from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            index = None
    if index is None:
        index = NameIndex.from_kb(kb)
        if path is not None and not kb.read_only:
            _write_atomic(path, json.dumps({"key": key, **index.to_json()}, ensure_ascii=False))
    _memo.clear()
    _memo[memo_key] = index
    return index


def search(kb: KnowledgeBase, text: str, *, types: Iterable[str] = (), limit: int = 10,
           refresh: bool = False) -> list[SearchHit]:
    """Entities named ``text``: exact, then prefix, then fuzzy matches, each ranked
    preferred label before synonym; ``types`` keeps only those classes (``Drug``…)."""
    if limit < 1:
        raise BadInputError("--limit must be at least 1")
    wanted = []
    for t in types:
        cls = I.class_iri(t)[len(I.OM):]
        if cls not in CLASSES:
            raise BadInputError(f"unknown type {t!r} (known: {', '.join(CLASSES)})")
        wanted.append(cls)
    index = name_index(kb, refresh=refresh)
    hits = []
    for entity, matched, kind, score in index.find(text, types=wanted, limit=limit):
        iri = index.entities[entity]
        hits.append(SearchHit(iri, _label(kb, iri), tuple(index.types[entity]),
                              _identifiers(kb, iri), matched, kind, score))
    return hits


def _label(kb: KnowledgeBase, iri: str) -> str | None:
    best = None
    for q in kb.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(I.RDFS + "label"), None,
                                        ox.DefaultGraph()):
        if getattr(q.object, "language", None) == "en":
            return q.object.value
        best = best or q.object.value
    return best


def _identifiers(kb: KnowledgeBase, iri: str) -> tuple[tuple[str, str], ...]:
    found = (I.identifier_from_iri(q.object.value) for q in kb.store.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(I.SKOS + "exactMatch"), None, ox.DefaultGraph()))
    return tuple(sorted(x for x in found if x))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)
