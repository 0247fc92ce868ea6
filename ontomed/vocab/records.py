"""What every source reader produces: records (one thing as one source knows it) and
curated facts between records. The merge step turns records into entities."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ..values import Evidence

#: Kinds of record; records of different kinds are never merged, because their
#: classes are disjoint in the ontology (Drug, Gene, Condition; a DrugClass is
#: a set of drugs, not one).
DRUG, CONDITION, GENE, DRUG_CLASS = "drug", "condition", "gene", "drug class"


@dataclass(frozen=True)
class Record:
    """One entry of one source.

    ``key`` is unique across sources (``"drugs:metformin"``, ``"HP:0001658"``,
    ``"OMIM:219700"``); ``origin`` names the record's own vocabulary (``drugs``,
    ``mesh``, ``hpo``, ``omim``, ``orpha``, ``decipher``, ``gene``): an entity
    holds at most one record of each origin, except where a rule says otherwise.
    ``mesh_claims`` are MeSH ids the source attaches, with the record's MeSH tree
    numbers; the merge step decides which ids are really the record's own.
    """

    key: str
    origin: str
    kind: str
    classes: tuple[str, ...]
    label: str
    synonyms: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    broader: tuple[str, ...] = ()
    mesh_claims: tuple[str, ...] = ()
    mesh_trees: tuple[str, ...] = ()


@dataclass(frozen=True)
class CuratedFact:
    """``subject prop object`` between two record keys, with the source's evidence."""

    subject: str
    prop: str
    object: str
    evidence: Evidence


@dataclass
class SourceResult:
    """What one source reader found, and counts worth reporting."""

    source: str
    records: list[Record] = field(default_factory=list)
    facts: list[CuratedFact] = field(default_factory=list)
    #: record key → extra labels in another language, e.g. {"fr": [...]}
    foreign_labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: source documents to record: (content, title, identifier); IRI = hash of content
    documents: list[tuple[str, str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    unmapped: list[str] = field(default_factory=list)
    #: pairs of this source's record keys that name one thing, with the rule that says so
    #: (``(key_a, key_b, rule)``): merged even though they come from one origin
    same_as: list[tuple[str, str, str]] = field(default_factory=list)


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Letters that NFKD does not reduce to ASCII but that carry meaning in drug and
#: disease names (α- and β-mannose are different substances).
_SPELLED_OUT = str.maketrans({
    "œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss", "’": "'",
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "ω": "omega",
})


def fold(text: str) -> str:
    """Accents off, ligatures and Greek letters spelled out, lower case
    (``"Œstrogènes"`` → ``"oestrogenes"``, ``"α-D-mannose"`` → ``"alpha-d-mannose"``)."""
    text = text.translate(_SPELLED_OUT)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def name_key(text: str) -> str:
    """The form names are compared in: folded, punctuation and spacing ignored."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}
#: Words after which a Roman numeral is a number ("type II", "class III").
_NUMBERED = frozenset({"type", "class", "grade", "stage", "group", "phase", "factor"})


def uninverted_key(text: str) -> str:
    """:func:`name_key` of the name in natural word order: MeSH headings are inverted
    ("Diabetes Mellitus, Type 2" → "type 2 diabetes mellitus",
    "Pulmonary Disease, Chronic Obstructive" → "chronic obstructive pulmonary disease")."""
    parts = [p for p in fold(text).split(",") if p.strip()]
    return name_key(" ".join(reversed(parts))) if len(parts) > 1 else name_key(text)


def concept_key(text: str) -> str:
    """The form conditions are merged by: uninverted, and a Roman numeral after "type",
    "class" … written in Arabic ("Type II diabetes mellitus" → "type 2 diabetes mellitus")."""
    words = uninverted_key(text).split()
    return " ".join(_ROMAN.get(w, w) if i and words[i - 1] in _NUMBERED else w
                    for i, w in enumerate(words))
