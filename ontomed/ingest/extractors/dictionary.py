"""Dictionary NER over the knowledge base's own vocabulary (architecture.md §6).

Every rdfs:label and skos:altLabel of every Drug, Disease, Symptom and Gene
becomes a pattern in an Aho–Corasick automaton (pyahocorasick, C), so one pass
over a text finds every name at once, however large the vocabulary. Matches
must sit on word boundaries; the longest leftmost match wins; simple plurals
("seizures", "allergies") and possessives ("Parkinson's") are covered; short
or common-word names ("MS", "ACE", "Today") match only in their own letter
case, or not at all, so everyday words are not tagged as drugs.

The compiled vocabulary is cached beside an on-disk knowledge base
(``KB/cache/``), keyed by a fingerprint of the store's data files and, when
those changed, by the number of names in the store; start-up then loads one
pickle instead of reading every label and compiling the automaton.
"""

from __future__ import annotations

import pickle
import re
import threading
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import iri as I
from ...components import Extractor
from ...files import write_pickle
from ...values import Extraction, Mention
from ..sentences import sentence_spans
from ...vocab.hygiene import ENGLISH_WORDS

if TYPE_CHECKING:
    from ...kb import KnowledgeBase

ENTITY_TYPES = ("Drug", "Gene", "Disease", "Symptom")  # priority when an entity has several
#: Names of these classes are matched (so that "ACE inhibitors" is not read as the gene ACE)
#: but give no mention: a drug class is not a drug (the annotation rules of data/eval).
BLOCKING_TYPES = ("DrugClass",)
CACHE_VERSION = 3  # 3: British spellings
#: The facts an entity takes part in, counted for the linking preference.
_FACT_PROPERTIES = ("treats", "hasSymptom", "hasSideEffect", "contraindicatedFor", "interactsWith",
                    "associatedWith", "targets")

_LABELS_QUERY = """
SELECT ?e ?type ?label ?pref (LANG(?label) AS ?lang) WHERE {
  VALUES ?type { om:Drug om:Disease om:Symptom om:Gene om:DrugClass }
  ?e a ?type .
  { ?e rdfs:label ?label BIND(true AS ?pref) } UNION { ?e skos:altLabel ?label BIND(false AS ?pref) }
}"""
_COUNT_QUERY = """
SELECT (COUNT(*) AS ?n) WHERE {
  VALUES ?type { om:Drug om:Disease om:Symptom om:Gene om:DrugClass } ?e a ?type .
  { ?e rdfs:label ?l } UNION { ?e skos:altLabel ?l } }"""
_WEIGHT_QUERIES = (
    "SELECT ?e (COUNT(*) AS ?n) WHERE { ?e skos:exactMatch ?x } GROUP BY ?e",
    *(f"SELECT ?e (COUNT(*) AS ?n) WHERE {{ {{ ?e om:{p} ?x }} UNION {{ ?x om:{p} ?e }} }} GROUP BY ?e"
      for p in _FACT_PROPERTIES),
)

# Common English words that some vocabularies carry as brand names or synonyms.
_COMMON_WORDS = ENGLISH_WORDS
#: Severity, timing and character words that a name may start with ("chronic cough",
#: "resting tremor"); see :meth:`Vocabulary._qualified`.
_QUALIFIERS = frozenset("""
acute chronic severe mild moderate dry productive resting pleuritic recurrent persistent
intermittent sudden painful painless episodic progressive transient occasional frequent
low-dose high-dose
""".split())
_ENGLISH_LANGS = frozenset({"", "en"})


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


#: American → British spellings of medical word parts, the way British texts write the
#: same names ("haematuria", "oedema", "hypokalaemia", "coeliac", "tumour"). Vocabularies list
#: only some British forms as synonyms ("anaemia", "diarrhoea"); these cover the rest.
_BRITISH = tuple((re.compile(a), b) for a, b in (
    (r"(?<=[a-z])emia\b", "aemia"),                       # anemia, hypokalemia
    (r"(isch|glyc|an|kal|nat|calc|ur|ox)emic\b", r"\1aemic"),  # ischemic, hypoglycemic
    (r"\b(hyper|hypo|)hem(?=at|or|o[a-z]|ang|ol)", r"\1haem"),  # hematuria, hemorrhage (not hemi-)
    (r"\b(?=edem)", "o"),                                 # edema
    (r"\b(?=esophag)", "o"),                              # esophagitis, esophageal
    (r"\b(?=estr)", "o"),                                 # estrogen, estradiol
    (r"(?<=[a-z])pnea\b", "pnoea"),                       # dyspnea, apnea, orthopnea
    (r"rrhea\b", "rrhoea"),                               # diarrhea, amenorrhea
    (r"\bceliac\b", "coeliac"),
    (r"\b(tum|hum|col)or(s?)\b", r"\1our\2"),           # tumor, humor
    (r"\bped(?=ia)", "paed"),                              # pediatric
    (r"\banesthe", "anaesthe"),
    (r"\bleukem", "leukaem"),
))


def _british(name: str) -> str | None:
    """The British spelling of a (lower-case) name, when it differs."""
    out = name
    for pattern, repl in _BRITISH:
        out = pattern.sub(repl, out)
    return out if out != name else None


@dataclass(frozen=True)
class Term:
    """One way of naming one entity."""

    iri: str
    type: str
    label: str
    preferred: bool
    case_sensitive: bool
    variant: bool = False  # a generated plural or British spelling


_TYPE_CODES = {name: i for i, name in enumerate(ENTITY_TYPES + BLOCKING_TYPES)}
_BLOCKING_CODES = frozenset(_TYPE_CODES[t] for t in BLOCKING_TYPES)
_PREFERRED, _CASE_SENSITIVE, _VARIANT = 1, 2, 4


class _TypeMap(Mapping[str, set[str]]):
    """IRI → entity types, over the vocabulary's compact arrays."""

    def __init__(self, vocab: Vocabulary) -> None:
        self._vocab = vocab

    def __getitem__(self, iri: str) -> set[str]:
        index = self._vocab.iri_index.get(iri)
        if index is None:
            raise KeyError(iri)
        bits = self._vocab._iri_types[index]
        return {name for name, code in _TYPE_CODES.items() if bits & (1 << code)}

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocab._iris)

    def __len__(self) -> int:
        return len(self._vocab._iris)


class Vocabulary:
    """Names → entities, compiled into an Aho–Corasick automaton.

    The term table is kept in flat arrays (not one object per name), so a
    compiled vocabulary of hundreds of thousands of names pickles to a compact
    cache and loads in a fraction of a second.
    """

    def __init__(self, rows: Iterable[tuple[Any, ...]], weights: Mapping[str, int] | None = None) -> None:
        """``rows``: (entity IRI, class local name, label, is-preferred-label[, language tag]).
        ``weights``: entity IRI → how many identifiers and facts it has (the linking
        preference among entities that share a name)."""
        by_key: dict[str, list[Term]] = {}
        iri_types: dict[str, int] = {}
        for row in rows:
            iri, cls, label, preferred = row[:4]
            lang = (row[4] if len(row) > 4 else "") or ""
            if cls not in _TYPE_CODES:
                continue
            iri_types[iri] = iri_types.get(iri, 0) | (1 << _TYPE_CODES[cls])
            name = " ".join(label.split())
            if not name:
                continue
            key = _lower(name)
            if key in _COMMON_WORDS and not preferred:
                continue
            if lang.lower() not in _ENGLISH_LANGS and not _is_cjk(name) and (
                    len(name) <= 2 or key in _COMMON_WORDS):
                continue  # a foreign name that is an English word ("or", French for gold)
            short = len(name) <= 3 or (len(name) <= 5 and name.isupper()) or key in _COMMON_WORDS
            by_key.setdefault(key, []).append(Term(iri, cls, name, preferred, short))
        for key, terms in list(by_key.items()):  # British spellings, where they name nothing else
            british = _british(key) if not _is_cjk(key) else None
            if british and british not in by_key:
                by_key[british] = [Term(t.iri, t.type, t.label, t.preferred, t.case_sensitive, True)
                                   for t in terms if not t.case_sensitive]
        for key, terms in list(by_key.items()):  # plurals, where they name nothing else
            for plural in _plurals(key):
                if plural not in by_key:
                    by_key[plural] = [Term(t.iri, t.type, t.label, t.preferred, t.case_sensitive, True)
                                      for t in terms if not t.case_sensitive]
        self._compile(by_key, iri_types)
        self._weight = array("I", (min((weights or {}).get(iri, 0), 2**32 - 1) for iri in self._iris))

    def _compile(self, by_key: dict[str, list[Term]], iri_types: dict[str, int]) -> None:
        import ahocorasick

        self._iris = list(iri_types)
        self._iri_index = {iri: i for i, iri in enumerate(self._iris)}
        self._iri_types = array("B", iri_types.values())
        self._labels: list[str] = []
        self._key_len, self._start = array("H"), array("I", [0])
        self._t_iri, self._t_type, self._t_flags, self._t_label = (array("I"), array("B"), array("B"),
                                                                   array("i"))
        self.automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for key, terms in by_key.items():
            terms = list(_resolve(terms))
            if not terms:
                continue
            self.automaton.add_word(key, len(self._key_len))
            self._key_len.append(min(len(key), 65535))
            for t in terms:
                self._t_iri.append(self._iri_index[t.iri])
                self._t_type.append(_TYPE_CODES[t.type])
                self._t_flags.append(_PREFERRED * t.preferred | _CASE_SENSITIVE * t.case_sensitive
                                     | _VARIANT * t.variant)
                if t.case_sensitive:
                    self._t_label.append(len(self._labels))
                    self._labels.append(t.label)
                else:
                    self._t_label.append(-1)
            self._start.append(len(self._t_iri))
        self.size = len(self._key_len)
        if self.size:
            self.automaton.make_automaton()
        self.types: Mapping[str, set[str]] = _TypeMap(self)

    @property
    def iri_index(self) -> dict[str, int]:
        return self._iri_index

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_iri_index"], state["types"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._iri_index = {iri: i for i, iri in enumerate(self._iris)}
        self.types = _TypeMap(self)

    def primary_type(self, iri: str) -> str:
        index = self._iri_index.get(iri)
        bits = self._iri_types[index] if index is not None else 0
        return next((t for t, code in _TYPE_CODES.items() if bits & (1 << code)), "Entity")

    def weight(self, iri: str) -> int:
        """How many identifiers and facts the entity has (0 when not counted)."""
        index = self._iri_index.get(iri)
        weights = getattr(self, "_weight", None)
        return weights[index] if index is not None and weights is not None and index < len(weights) else 0

    def find(self, text: str) -> list[Mention]:
        """Longest leftmost non-overlapping names on word boundaries."""
        if not self.size or not text:
            return []
        low = _lower(text)
        n = len(low)
        candidates: list[tuple[int, int, int]] = []
        key_len = self._key_len
        for end_index, key in self.automaton.iter(low):
            end = end_index + 1
            start = end - key_len[key]
            if (start > 0 and _is_word_char(low[start - 1])) or (end < n and _is_word_char(low[end])):
                if not _is_cjk(low[start:end]):
                    continue
            candidates.append((start, end, key))
        candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
        mentions: list[Mention] = []
        last_end = -1
        for start, end, key in candidates:
            if start < last_end:
                continue
            mention = self._mention(text, start, end, key)
            if mention is not None:
                mentions.extend(self._coordinated(text, self._qualified(text, mention)))
                last_end = end
        return [m for m in mentions if m.type not in BLOCKING_TYPES]

    def _qualified(self, text: str, mention: Mention) -> Mention:
        """A name that starts with a severity, timing or character word ("chronic cough",
        "resting tremor", "acute otitis media") is the unqualified name, when that is a name
        too and the qualified one is the same entity, or a finding (an HPO phenotype such as
        "Chronic cough"): the annotation rules leave such words out. A qualified name of
        another entity that is not a finding ("chronic kidney disease") stays whole."""
        head, _, rest = mention.text.partition(" ")
        if not rest or head.lower() not in _QUALIFIERS:
            return mention
        offset = mention.start + len(head) + 1
        key = self.automaton.get(_lower(text[offset:mention.end]), None)
        if key is None:
            return mention
        inner = self._mention(text, offset, mention.end, key)
        if inner is None or inner.type in BLOCKING_TYPES or not (
                inner.iri == mention.iri or (mention.type == "Symptom" and inner.type == "Symptom")
                or (mention.type == "Symptom" and inner.type == "Disease" and mention.iri
                    and not mention.candidates)):
            return mention
        return inner

    def _coordinated(self, text: str, mention: Mention) -> list[Mention]:
        """A name that is two names joined by "and" ("nausea and vomiting") is two mentions,
        as the annotation rules read it, when each part is a name of the same kind."""
        left, sep, right = mention.text.partition(" and ")
        if not sep or mention.type not in ("Symptom", "Disease"):
            return [mention]
        parts = []
        for start, end in ((mention.start, mention.start + len(left)),
                           (mention.end - len(right), mention.end)):
            key = self.automaton.get(_lower(text[start:end]), None)
            part = self._mention(text, start, end, key) if key is not None else None
            if part is None or part.type not in ("Symptom", "Disease"):
                return [mention]
            parts.append(part)
        return parts

    def _mention(self, text: str, start: int, end: int, key: int) -> Mention | None:
        """The entity a name found at text[start:end] links to.

        A name of several entities links to one by preference: the entity whose
        preferred label it is (when only one), then the one with more identifiers and
        facts, then the first in IRI order; the others are kept as the mention's
        ``candidates``, and the relation patterns may still switch to a candidate of
        the type a cue expects (:mod:`.relations`).
        """
        surface = text[start:end]
        usable = [
            t for t in range(self._start[key], self._start[key + 1])
            if not self._t_flags[t] & _CASE_SENSITIVE or self._labels[self._t_label[t]] == surface
        ]
        if not usable:
            return None
        if all(self._t_type[t] in _BLOCKING_CODES for t in usable):
            return Mention(surface, BLOCKING_TYPES[0], start, end, 1.0, None)
        usable = [t for t in usable if self._t_type[t] not in _BLOCKING_CODES]
        first = usable[0]
        flags = self._t_flags[first]
        confidence = (1.0 if flags & _PREFERRED else 0.95) - (0.05 if flags & _VARIANT else 0.0)
        iris = list(dict.fromkeys(self._t_iri[t] for t in usable))
        if len(iris) > 1:
            preferred = {self._t_iri[t] for t in usable if self._t_flags[t] & _PREFERRED}
            weights = getattr(self, "_weight", None)
            ranked = sorted(iris, key=lambda i: (i not in preferred,
                                                 -(weights[i] if weights is not None else 0),
                                                 self._iris[i]))
            best = self._iris[ranked[0]]
            return Mention(surface, self.primary_type(best), start, end, round(confidence - 0.1, 3), best,
                           tuple(self._iris[i] for i in ranked[1:]))
        iri = self._iris[self._t_iri[first]]
        return Mention(surface, self.primary_type(iri), start, end, confidence, iri)


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

def _label_rows(kb: KnowledgeBase) -> Iterator[tuple[str, str, str, bool, str]]:
    for row in kb.select(_LABELS_QUERY):
        yield (row["e"].value, row["type"].value[len(I.OM):], row["label"].value,
               row["pref"].value == "true", row["lang"].value if row["lang"] else "")


def _weights(kb: KnowledgeBase) -> dict[str, int]:
    """Entity IRI → identifiers + facts it takes part in: the linking preference."""
    out: dict[str, int] = {}
    for query in _WEIGHT_QUERIES:
        for row in kb.select(query):
            iri = row["e"].value
            out[iri] = out.get(iri, 0) + int(row["n"].value)
    return out


def _content_key(kb: KnowledgeBase) -> str:
    """Changes whenever a label or an entity of the four classes is added or removed."""
    n = next(iter(kb.select(_COUNT_QUERY)))["n"].value
    return f"v{CACHE_VERSION}-{n}"


_memory_cache: dict[tuple[int, str], Vocabulary] = {}
_lock = threading.Lock()


def vocabulary_for(kb: KnowledgeBase) -> Vocabulary:
    """The compiled vocabulary of ``kb``: from this process, from the cache beside an
    on-disk knowledge base, or compiled from the store (and then cached)."""
    with _lock:
        files_key = kb.files_fingerprint()
        cache_file = kb.path / "cache" / f"vocabulary-v{CACHE_VERSION}.pickle" if kb.path else None
        cached = _read_cache(cache_file)
        if cached is not None and files_key is not None and cached.get("files_key") == files_key:
            return _remember(kb, cached["content_key"], cached["vocabulary"])
        content_key = _content_key(kb)
        hit = _memory_cache.get((id(kb), content_key))
        if hit is not None:
            return hit
        if cached is not None and cached.get("content_key") == content_key:
            vocab = cached["vocabulary"]
        else:
            vocab = Vocabulary(_label_rows(kb), _weights(kb))
        if cache_file is not None and not kb.read_only:
            _write_cache(cache_file, {"files_key": files_key, "content_key": content_key,
                                      "vocabulary": vocab})
        return _remember(kb, content_key, vocab)


def _remember(kb: KnowledgeBase, key: str, vocab: Vocabulary) -> Vocabulary:
    _memory_cache.clear()
    _memory_cache[(id(kb), key)] = vocab
    return vocab


def _read_cache(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except Exception:  # noqa: BLE001 - a stale or truncated cache is rebuilt, never fatal
        return None
    return data if isinstance(data, dict) and isinstance(data.get("vocabulary"), Vocabulary) else None


def _write_cache(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_pickle(path, data)
    except OSError:
        pass  # a knowledge base on a read-only disk simply goes without the cache


class DictionaryExtractor(Extractor):
    """Names from the knowledge base's vocabulary, and the relations between them."""

    id = "dictionary"
    description = "vocabulary matching (Aho–Corasick) + typed relation patterns with negation"
    entity_types = ENTITY_TYPES
    finds_relations = True
    needs_knowledge_base = True

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

