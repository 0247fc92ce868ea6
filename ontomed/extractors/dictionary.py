"""Dictionary NER over the knowledge base's own vocabulary (DESIGN §6).

Every rdfs:label and skos:altLabel of every Drug, Disease, Symptom and Gene
becomes a pattern in an Aho–Corasick automaton (pyahocorasick, C), so one pass
over a text finds every name at once, however large the vocabulary. Matches
must sit on word boundaries; the longest leftmost match wins; simple plurals
("seizures", "allergies") and possessives ("Parkinson's") are covered; short
or common-word names ("MS", "ACE", "Today") match only in their own letter
case, or not at all, so everyday words are not tagged as drugs.

The label table read from the knowledge base is cached beside it, keyed by
the number of label triples and entities, so start-up reads a file instead of
scanning the store; building the automaton from it takes well under a second.
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import iri as I
from ..base import Extractor, Linker
from ..model import Extraction, Mention
from ..text import sentence_spans

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

ENTITY_TYPES = ("Drug", "Gene", "Disease", "Symptom")  # priority when an entity has several
CACHE_VERSION = 1

_LABELS_QUERY = """
SELECT ?e ?type ?label ?pref WHERE {
  VALUES ?type { om:Drug om:Disease om:Symptom om:Gene }
  ?e a ?type .
  { ?e rdfs:label ?label BIND(true AS ?pref) } UNION { ?e skos:altLabel ?label BIND(false AS ?pref) }
}"""
_COUNT_QUERY = """
SELECT (COUNT(*) AS ?n) WHERE {
  VALUES ?type { om:Drug om:Disease om:Symptom om:Gene } ?e a ?type .
  { ?e rdfs:label ?l } UNION { ?e skos:altLabel ?l } }"""

# Common English words that some vocabularies carry as brand names or synonyms.
_COMMON_WORDS = frozenset("""
a an the and or but if of in on at to for from by with without into onto over under up down out
is are was were be been being am do does did have has had can could may might must shall should will
would not no nor yes all any some each every both few many more most much other such same so than too
very just only also even still yet again ever never always often now then here there when where why how
what which who whom whose this that these those it its he she they them his her their our your my me we
you us one two three four five six seven eight nine ten first second new old high low long short large
small good bad well best better less least man men woman women child children day days week weeks year
years time times today tomorrow night morning plan care cure aid help hope life live joy ease rest sleep
focus balance control relief comfort clear calm free safe sure fast slow strong soft hard gentle natural
pure simple smart easy prime total max min plus ultra active advance boost charge complete essential
extra fresh gold silver iron lead zinc copper salt water oil air fire sun star may june april august
march today allegra alli amber april bonus brand cell chart dose drug drugs form forms level mode note
""".split())


def _lower(text: str) -> str:
    """Lower-case without changing the length, so offsets stay valid."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _is_cjk(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)


def _plurals(name: str) -> list[str]:
    """English plural forms of a (lower-case) name's last word."""
    if len(name) < 4 or not name[-1].isalpha() or _is_cjk(name):
        return []
    if name.endswith(("s", "x", "z", "ch", "sh")):
        return [name + "es"]
    if name.endswith("y") and name[-2] not in "aeiou":
        return [name[:-1] + "ies", name + "s"]
    return [name + "s"]


@dataclass(frozen=True)
class Term:
    """One way of naming one entity."""

    iri: str
    type: str
    label: str
    preferred: bool
    case_sensitive: bool
    variant: bool = False  # a generated plural


class Vocabulary:
    """Names → entities, compiled into an Aho–Corasick automaton."""

    def __init__(self, rows: Iterable[tuple[str, str, str, bool]]) -> None:
        """``rows``: (entity IRI, class local name, label, is-preferred-label)."""
        import ahocorasick

        self.types: dict[str, set[str]] = {}
        by_key: dict[str, list[Term]] = {}
        for iri, cls, label, preferred in rows:
            self.types.setdefault(iri, set()).add(cls)
            name = " ".join(label.split())
            if not name:
                continue
            key = _lower(name)
            if key in _COMMON_WORDS and not preferred:
                continue
            short = len(name) <= 3 or (len(name) <= 5 and name.isupper()) or key in _COMMON_WORDS
            by_key.setdefault(key, []).append(Term(iri, cls, name, preferred, short))
        for key, terms in list(by_key.items()):  # plurals, where they name nothing else
            for plural in _plurals(key):
                if plural not in by_key:
                    by_key[plural] = [Term(t.iri, t.type, t.label, t.preferred, t.case_sensitive, True)
                                      for t in terms if not t.case_sensitive]
        self.automaton = ahocorasick.Automaton()
        for key, terms in by_key.items():
            if terms:
                self.automaton.add_word(key, (key, _resolve(terms)))
        self.size = len(by_key)
        if self.size:
            self.automaton.make_automaton()

    def primary_type(self, iri: str) -> str:
        types = self.types.get(iri, ())
        return next((t for t in ENTITY_TYPES if t in types), next(iter(types), "Entity"))

    def find(self, text: str) -> list[Mention]:
        """Longest leftmost non-overlapping names on word boundaries."""
        if not self.size or not text:
            return []
        low = _lower(text)
        candidates: list[tuple[int, int, tuple[Term, ...]]] = []
        for end_index, (key, terms) in self.automaton.iter(low):
            end = end_index + 1
            start = end - len(key)
            cjk = _is_cjk(key)
            if not cjk and ((start > 0 and _is_word_char(low[start - 1]))
                            or (end < len(low) and _is_word_char(low[end]))):
                continue
            candidates.append((start, end, terms))
        candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
        mentions: list[Mention] = []
        last_end = -1
        for start, end, terms in candidates:
            if start < last_end:
                continue
            surface = text[start:end]
            usable = [t for t in terms if not t.case_sensitive or surface == t.label]
            if not usable:
                continue
            term = usable[0]
            iri = term.iri if len({t.iri for t in usable}) == 1 else None
            if iri is None and len({t.type for t in usable}) > 1:
                continue  # a name shared by entities of different kinds: leave it alone
            confidence = 1.0 if term.preferred else 0.95
            if term.variant:
                confidence -= 0.05
            if iri is None:
                confidence = 0.5
            mentions.append(Mention(surface, self.primary_type(term.iri) if iri else term.type,
                                    start, end, confidence, iri))
            last_end = end
        return mentions


def _resolve(terms: list[Term]) -> tuple[Term, ...]:
    """Preferred labels first, so a name that is one entity's label and another's synonym
    links to the former."""
    pref = [t for t in terms if t.preferred]
    ordered = pref + [t for t in terms if not t.preferred]
    seen: set[tuple[str, bool]] = set()
    out = []
    for t in ordered:
        if (t.iri, t.case_sensitive) not in seen:
            seen.add((t.iri, t.case_sensitive))
            out.append(t)
    if pref and len({t.iri for t in pref}) == 1:
        return tuple(t for t in out if t.iri == pref[0].iri)
    return tuple(out)


# -- reading the vocabulary from a knowledge base, with a cache ---------------

def _label_rows(kb: KnowledgeBase) -> Iterator[tuple[str, str, str, bool]]:
    for row in kb.query(_LABELS_QUERY):
        yield (row["e"].value, row["type"].value[len(I.OM):], row["label"].value,  # type: ignore[index]
               row["pref"].value == "true")  # type: ignore[index]


def _cache_key(kb: KnowledgeBase) -> str:
    n = next(iter(kb.query(_COUNT_QUERY)))["n"].value  # type: ignore[index]
    return f"v{CACHE_VERSION}-{n}-{len(kb)}"


_memory_cache: dict[tuple[int, str], Vocabulary] = {}
_lock = threading.Lock()


def vocabulary_for(kb: KnowledgeBase) -> Vocabulary:
    """The compiled vocabulary of ``kb``, from a process cache or the on-disk label cache."""
    key = _cache_key(kb)
    with _lock:
        cached = _memory_cache.get((id(kb), key))
        if cached is not None:
            return cached
        rows: list[Any] | None = None
        cache_file = kb.path / "cache" / "labels.json" if kb.path is not None else None
        if cache_file is not None and cache_file.is_file():
            try:
                data = json.loads(cache_file.read_text("utf-8"))
                if data.get("key") == key:
                    rows = data["rows"]
            except (OSError, ValueError):
                rows = None
        if rows is None:
            rows = list(_label_rows(kb))
            if cache_file is not None and not kb.read_only:
                _write_atomic(cache_file, json.dumps({"key": key, "rows": rows}))
        vocab = Vocabulary(rows)
        _memory_cache.clear()
        _memory_cache[(id(kb), key)] = vocab
        return vocab


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


class DictionaryExtractor(Extractor):
    """Names from the knowledge base's vocabulary, and the relations between them."""

    id = "dictionary"
    description = "vocabulary matching (Aho–Corasick) + typed relation patterns with negation"
    entity_types = ENTITY_TYPES
    finds_relations = True

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self._vocab = vocabulary

    def setup(self, kb: KnowledgeBase | None) -> None:
        if kb is not None:
            self._vocab = vocabulary_for(kb)

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            raise RuntimeError("the dictionary extractor needs a knowledge base: call setup(kb)")
        return self._vocab

    def extract(self, text: str) -> Extraction:
        from .relations import find_relations

        if self._vocab is None:
            return Extraction(self.id)
        mentions = self.vocabulary.find(text)
        relations = []
        for start, end in sentence_spans(text):
            inside = [m for m in mentions if m.start >= start and m.end <= end]
            if len(inside) >= 2:
                relations.extend(find_relations(text, start, end, inside, self.vocabulary.types))
        return Extraction(self.id, tuple(mentions), tuple(relations))


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
