"""Find entities by name: exact matches first, then names that start with the text,
then close spellings (rapidfuzz), each hit with its class and identifiers. A
public identifier (``MESH:D003924``, ``HP:0002094``, ``DB00331``) finds its entity first.

The names (every ``rdfs:label`` and ``skos:altLabel`` of an entity typed with
an ontomed class) are read from the store, which takes 6-8 s on a knowledge
base holding the full vocabularies, so the compiled index is kept beside the
knowledge base per store state (:func:`ontomed.kb.cache.state_cached`, in
``KB/cache/search-index-v7.pickle``): on an unchanged store it is read back
without asking the store anything (0.3 s instead of 8 s); after a write, the
number of label, synonym and type triples (three COUNT queries: a tenth of a
second) decides whether it still holds. A change that keeps all three counts
equal (a label renamed in place by a SPARQL update) is not seen until
``refresh=True`` (``ontomed search --refresh``).

:func:`resolve_entity` answers a name a person gave (CLI arguments, web forms): exact
names through :meth:`KnowledgeBase.resolve`; an unknown one lists the closest names from
the same index ("metfromin" → metformin), an ambiguous one the entities it could mean.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import AmbiguousError, BadInputError, NotFoundError
from ..memory import no_gc
from ..vocab.records import _SPELLED_OUT

if TYPE_CHECKING:
    from .store import KnowledgeBase

INDEX_VERSION = 7
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


_NON_WORD = re.compile(r"[\W_]+")


def name_key(text: str) -> str:
    """The form names are compared in, in every language: accents off, Greek letters
    spelled out, lower case, punctuation and spacing ignored; letters of other scripts
    kept ("二甲双胍" is its own key, where an ASCII fold would leave nothing)."""
    text = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", text).strip()


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
    """Every entity name, folded for comparison, with its owner and whether it is preferred.

    Kept as a few flat arrays rather than an object per name (the names sorted by
    their folded key, each distinct key once with where its names start): a tenth
    of the objects, so the cached index loads, and is freed at exit, in a fraction
    of the time.
    """

    def __init__(self, entities: list[str], types: list[list[str]],
                 rows: list[tuple[str, int, bool]]) -> None:
        """``rows``: (name as written, entity index, preferred) in any order."""
        self.entities = entities
        self._classes = sorted({c for t in types for c in t})
        bit = {c: 1 << i for i, c in enumerate(self._classes)}
        self._type_bits = array("I", (sum(bit[c] for c in set(t)) for t in types))
        keyed = sorted(((name_key(name), name, entity, preferred) for name, entity, preferred in rows),
                       key=lambda r: (r[0], r[1]))
        self.names = [r[1] for r in keyed]
        self.owner = array("i", (r[2] for r in keyed))
        self.preferred = bytes(bool(r[3]) for r in keyed)
        self.keys: list[str] = []        # distinct folded names, sorted
        starts = array("i")
        for i, r in enumerate(keyed):
            if not self.keys or self.keys[-1] != r[0]:
                self.keys.append(r[0])
                starts.append(i)
        starts.append(len(keyed))
        self._starts = starts
        self._positions: dict[str, int] | None = None
        self.proper_words, self.common_words = word_cases(self.names)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_positions"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _positions=None)

    @property
    def types(self) -> _Types:
        """``types[entity]``: the ontomed classes of an entity, sorted."""
        return _Types(self._classes, self._type_bits)

    def position(self, iri: str) -> int | None:
        """The index of entity ``iri`` (in :attr:`entities`), or None."""
        if self._positions is None:
            self._positions = {e: i for i, e in enumerate(self.entities)}
        return self._positions.get(iri)

    def _rows(self, key_index: int) -> range:
        return range(self._starts[key_index], self._starts[key_index + 1])

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> NameIndex:
        position: dict[str, int] = {}
        entities: list[str] = []
        types: list[list[str]] = []
        for row in kb.select(_TYPES_QUERY):
            iri, cls_iri = row["e"].value, row["t"].value
            if iri not in position:
                position[iri] = len(entities)
                entities.append(iri)
                types.append([])
            types[position[iri]].append(cls_iri[len(I.OM):])
        rows = []
        for row in kb.select(_NAMES_QUERY):
            iri = row["e"].value
            if iri in position:
                rows.append((row["l"].value, position[iri], row["pref"].value == "true"))
        return cls(entities, types, rows)

    def find(self, text: str, *, types: Iterable[str] = (), limit: int = 10) -> list[tuple[int, str, str, float]]:
        """(entity index, matched name, match kind, score), best first, one per entity."""
        query = name_key(text)
        if not query:
            return []
        wanted = set(types)
        best: dict[int, tuple[Any, ...]] = {}   # entity → (sort key…, name, kind)

        wanted_bits = sum(1 << self._classes.index(c) for c in wanted if c in self._classes)
        if wanted and not wanted_bits:
            return []

        def offer(i: int, kind: str, score: float) -> None:
            name, entity, preferred = self.names[i], self.owner[i], self.preferred[i]
            if wanted and not wanted_bits & self._type_bits[entity]:
                return
            # exact and prefix: preferred labels first; fuzzy: the closest spelling first
            key = (_RANKS[kind], -score if kind == "fuzzy" else 0.0, 0 if preferred else 1,
                   -score, len(name), name)
            if entity not in best or key < best[entity][:6]:
                best[entity] = (*key, kind)

        start = bisect.bisect_left(self.keys, query)
        for k in range(start, len(self.keys)):
            key = self.keys[k]
            if not key.startswith(query):
                break
            kind, score = ("exact", 100.0) if key == query else ("prefix", round(100.0 * len(query) / len(key), 1))
            for i in self._rows(k):
                offer(i, kind, score)
        if len(best) < limit:
            from rapidfuzz import fuzz, process

            # Edit similarity for misspellings ("metfromin"), the same on sorted words
            # for another word order ("infarction myocardial"). Not WRatio: it scores
            # a short name inside a long query ("MET" in "metfromin") as high as a typo.
            for scorer in (fuzz.ratio, fuzz.token_sort_ratio):
                for _key, score, k in process.extract(query, self.keys, scorer=scorer,
                                                      limit=limit * 5, score_cutoff=FUZZY_CUTOFF):
                    for i in self._rows(k):
                        offer(i, "fuzzy", round(float(score), 1))
        ranked = sorted(best.items(), key=lambda item: item[1][:6])[:limit]
        return [(entity, key[5], key[6], -key[3]) for entity, key in ranked]


_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_FUNCTION_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or",
                             "the", "to", "with", "without"})
_CAPITALIZED = re.compile(r"[A-Z][a-z]+")


def word_cases(names: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(proper, common): the words the vocabulary writes as proper nouns (eponyms, places,
    genera) and as common words, lower-cased (:func:`ontomed.describe.verbalize.running_case`).

    The evidence is the names written in sentence case (HPO, OMIM: "Hereditary
    late-onset Parkinson disease", "Anemia of chronic disease"), where a word
    capitalized after the first is a proper noun and a word in lower case is
    not; whichever is written more often wins. Names in Title Case (MeSH
    headings) or all in lower case (MeSH entry terms) say nothing.
    """
    capital: dict[str, int] = {}
    lower: dict[str, int] = {}
    for name in names:
        found = _WORD.findall(name)
        if not found or not found[0][0].isupper():  # lower-cased entry terms ("… disease, PARK7")
            continue
        words = [w.split("'")[0].split("’")[0] for w in found[1:]]
        plain = [w for w in words if w.islower()]
        capped = [w for w in words if _CAPITALIZED.fullmatch(w)]
        content = [w for w in plain if w not in _FUNCTION_WORDS]
        if not content or len(content) < len(capped):  # Title Case, or nothing to compare
            continue
        for w in capped:
            capital[w.lower()] = capital.get(w.lower(), 0) + 1
        for w in plain:
            lower[w] = lower.get(w, 0) + 1
    proper = frozenset(w for w, n in capital.items() if n > lower.get(w, 0))
    return proper, frozenset(w for w, n in lower.items() if n >= capital.get(w, 0))


class _Types:
    """The classes of each entity, decoded from one bit mask per entity."""

    def __init__(self, classes: list[str], bits: array[int]) -> None:
        self._classes, self._bits = classes, bits

    def __getitem__(self, entity: int) -> list[str]:
        mask = self._bits[entity]
        return [c for i, c in enumerate(self._classes) if mask >> i & 1]

    def __len__(self) -> int:
        return len(self._bits)


def _cache_key(kb: KnowledgeBase) -> str:
    counts = [next(iter(kb.select(q)))["n"].value for q in _COUNTS]
    return "-".join(counts)


def name_index(kb: KnowledgeBase, *, refresh: bool = False) -> NameIndex:
    """The knowledge base's name index, built once per store state (see the module's doc)."""
    from .cache import state_cached

    with no_gc():  # unpickling a few hundred thousand tuples: the collector would only rescan them
        return state_cached(kb, f"search-index-v{INDEX_VERSION}", content_key=_cache_key,
                            build=NameIndex.from_kb, refresh=refresh)


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
    from ..apps.names import by_identifier

    index = name_index(kb, refresh=refresh)
    hits = []
    for iri in by_identifier(kb, text.strip()) or ():  # HP:0002094, MESH:D003924, DB00331
        position = index.position(iri)
        classes = tuple(index.types[position]) if position is not None else ()
        if not wanted or set(wanted) & set(classes):
            hits.append(SearchHit(iri, kb.label(iri), classes, _identifiers(kb, iri), text.strip(),
                                  "identifier", 100.0))
    found = {h.iri for h in hits}
    for entity, matched, kind, score in index.find(text, types=wanted, limit=limit):
        iri = index.entities[entity]
        if iri not in found:
            hits.append(SearchHit(iri, kb.label(iri), tuple(index.types[entity]),
                                  _identifiers(kb, iri), matched, kind, score))
    return hits[:limit]


def _identifiers(kb: KnowledgeBase, iri: str) -> tuple[tuple[str, str], ...]:
    found = (I.identifier_from_iri(q.object.value) for q in kb.backend.quads_for_pattern(
        ox.NamedNode(iri), ox.NamedNode(I.SKOS + "exactMatch"), None, ox.DefaultGraph()))
    return tuple(sorted(x for x in found if x))


# -- names people give: the entity meant, or the closest names on a miss ------------

class UnknownEntityError(NotFoundError):
    """No entity has this name; ``candidates`` are the closest names' IRIs."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


def closest_entities(kb: KnowledgeBase, name: str, *, limit: int = 5) -> list[tuple[str, str, float]]:
    """(IRI, the name that matched, score) of the entities whose names are closest to ``name``:
    the same name index as ``ontomed search`` (prefix, then fuzzy matches), cached beside the
    knowledge base, so a miss costs milliseconds, not a scan of every label."""
    index = name_index(kb)
    return [(index.entities[entity], matched, score)
            for entity, matched, _kind, score in index.find(name, limit=limit)]


def _spoken_name(kb: KnowledgeBase, iri: str) -> str:
    from ..describe.verbalize import Verbalizer

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
        shown = ", ".join(f"{_spoken_name(kb, c)} ({I.shorten(c)})" for c in exc.candidates[:8])
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
        shown = ", ".join(match if match == _spoken_name(kb, iri) else f"{match} ({_spoken_name(kb, iri)})"
                          for iri, match, _ in close)
        raise UnknownEntityError(f"{exc}; closest: {shown}", [iri for iri, _, _ in close]) from None
