"""Facts read aloud: one sentence per fact, an entity described by its facts (architecture.md §7).

Templated verbalization is the ground truth every generator is checked
against, so it must be exact and cheap. The sentence templates are not written
here: each object property carries them in the ontology (``om:template``, one
literal per language, with ``{subject}`` and ``{object}``), and
:class:`Templates` reads them from the knowledge base, together with each
property's inverse (``owl:inverseOf``, read in both directions) and whether it
is symmetric; where a template's wording does not agree in number with a list
("has the symptom"), the property also carries ``om:templatePlural`` ("has the
symptoms"). What lives here is only what a language does with lists and names:
how it joins them ("fever, cough and myalgia", "发热、咳嗽和肌痛"), how it says
that a list was cut ("and 3 more"; Chinese gives the total: "等5项"), and, in
English, how a label is written inside a sentence: "contraindicated in chronic
kidney disease", not "in Chronic kidney disease" as the vocabulary capitalizes
its first letter; proper nouns and symbols ("Parkinson disease", "CFTR") keep
their case (:func:`running_case`).

A fact about an entity is read from that entity's side: an incoming fact is
phrased with the inverse property's template ("Type 2 diabetes mellitus is
treated by metformin"), a symmetric one with its own template turned around.
An entity description groups the facts by property (as seen from the entity),
lists the best-supported first (most evidence, then highest confidence), and
cuts each list at ``limit``.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import BadInputError, OntomedError
from ..values import Entity, Fact

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

LANGUAGES: tuple[str, ...] = ("en", "zh")
#: How many facts of one property a description lists before "and N more".
DEFAULT_LIMIT = 8

_LABEL = ox.NamedNode(I.RDFS + "label")
_TEMPLATE = ox.NamedNode(I.TEMPLATE)
_TEMPLATE_PLURAL = ox.NamedNode(I.TEMPLATE_PLURAL)
_INVERSE = ox.NamedNode(I.OWL + "inverseOf")
_TYPE = ox.NamedNode(I.RDF + "type")
_OBJECT_PROPERTY = ox.NamedNode(I.OWL + "ObjectProperty")
_SYMMETRIC = I.OWL + "SymmetricProperty"
_DEFAULT_GRAPH = ox.DefaultGraph()


@dataclass(frozen=True)
class ListStyle:
    """How a language joins a list and says that it was cut.

    ``more`` is filled with ``{listed}`` (the joined names shown), ``{more}``
    (how many were left out) and ``{total}``: English says how many more
    ("a, b and 3 more"), Chinese how many in all ("a、b等5项").
    """

    separator: str
    last: str
    more: str
    sentence_gap: str
    full_stop: str


LIST_STYLES: Mapping[str, ListStyle] = {
    "en": ListStyle(", ", " and ", "{listed} and {more} more", " ", "."),
    "zh": ListStyle("、", "和", "{listed}等{total}项", "", "。"),
}


def check_lang(lang: str) -> str:
    """The language code if ontomed can verbalize in it; bad input otherwise."""
    if lang not in LIST_STYLES:
        raise BadInputError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    return lang


def join_list(items: Sequence[str], lang: str = "en", *, omitted: int = 0) -> str:
    """``["fever", "cough", "myalgia"]`` → "fever, cough and myalgia" (en), "发热、咳嗽和肌痛" (zh).

    With ``omitted`` > 0 the list was cut: "fever, cough and 3 more", "发热、咳嗽等5项".
    """
    style = LIST_STYLES[check_lang(lang)]
    if omitted > 0:
        listed = style.separator.join(items)
        return style.more.format(listed=listed, more=omitted, total=len(items) + omitted)
    if len(items) <= 1:
        return "".join(items)
    return style.separator.join(items[:-1]) + style.last + items[-1]


@dataclass(frozen=True)
class PropertyInfo:
    """What the ontology says about reading one object property aloud."""

    iri: str
    labels: Mapping[str, str] = field(default_factory=dict)
    templates: Mapping[str, str] = field(default_factory=dict)
    inverse: str | None = None
    symmetric: bool = False
    plurals: Mapping[str, str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.labels.get("") or _local(self.iri)

    def template(self, lang: str, *, several: bool = False) -> str:
        """The ontology's template (for ``several`` objects, its ``om:templatePlural`` where
        the language has one); a property without one is read with its label."""
        if several and self.templates.get(lang) is not None and lang in self.plurals:
            return self.plurals[lang]
        if several and lang not in self.templates and "en" in self.plurals:
            return self.plurals["en"]
        found = self.templates.get(lang) or self.templates.get("en")
        if found:
            return found
        style = LIST_STYLES[lang]
        gap = style.sentence_gap
        return "{subject}" + gap + self.label(lang) + gap + "{object}" + style.full_stop


class Templates:
    """Every object property's templates, labels, inverse and symmetry, from the ontology.

    Read once per :class:`Verbalizer`: a few dozen triples, looked up by index.
    """

    def __init__(self, properties: Mapping[str, PropertyInfo]) -> None:
        self._properties = dict(properties)

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> Templates:
        found: dict[str, dict[str, Any]] = {}
        iris = {q.subject.value for q in kb.quads(None, _TYPE, _OBJECT_PROPERTY, _DEFAULT_GRAPH)
                if isinstance(q.subject, ox.NamedNode)}
        for iri in sorted(iris | set(kb.object_properties())):
            entry: dict[str, Any] = {"labels": {}, "templates": {}, "plurals": {}, "inverse": None,
                                     "symmetric": False}
            for q in kb.quads(ox.NamedNode(iri), None, None, _DEFAULT_GRAPH):
                p, o = q.predicate.value, q.object
                if p == _LABEL.value and isinstance(o, ox.Literal):
                    entry["labels"].setdefault(o.language or "", o.value)
                elif p == _TEMPLATE.value and isinstance(o, ox.Literal):
                    entry["templates"].setdefault(o.language or "en", o.value)
                elif p == _TEMPLATE_PLURAL.value and isinstance(o, ox.Literal):
                    entry["plurals"].setdefault(o.language or "en", o.value)
                elif p == _INVERSE.value and isinstance(o, ox.NamedNode):
                    entry["inverse"] = o.value
                elif p == _TYPE.value and o.value == _SYMMETRIC:
                    entry["symmetric"] = True
            found[iri] = entry
        for iri, entry in found.items():  # owl:inverseOf is stated on one side only
            other = entry["inverse"]
            if other in found and found[other]["inverse"] is None:
                found[other]["inverse"] = iri
        # A knowledge base initialized before the ontology had plural templates: the bundled
        # ontology's, for a template that is still the bundled one.
        bundled = _bundled_plurals()
        for iri, entry in found.items():
            for lang, (template, plural) in bundled.get(iri, {}).items():
                if lang not in entry["plurals"] and entry["templates"].get(lang) == template:
                    entry["plurals"][lang] = plural
        return cls({iri: PropertyInfo(iri, e["labels"], e["templates"], e["inverse"], e["symmetric"],
                                      e["plurals"])
                    for iri, e in found.items()})

    def get(self, iri: str) -> PropertyInfo:
        return self._properties.get(iri) or PropertyInfo(iri)

    def __contains__(self, iri: object) -> bool:
        return iri in self._properties

    def __len__(self) -> int:
        return len(self._properties)


_bundled: dict[str, dict[str, tuple[str, str]]] | None = None


def _bundled_plurals() -> dict[str, dict[str, tuple[str, str]]]:
    """property → {lang: (template, plural template)} in the ontology that ships with ontomed."""
    global _bundled
    if _bundled is None:
        from ..kb import bundled_ontology_path

        templates: dict[tuple[str, str], str] = {}
        plurals: dict[tuple[str, str], str] = {}
        try:
            for t in ox.parse(path=str(bundled_ontology_path()), format=ox.RdfFormat.RDF_XML):
                if isinstance(t.object, ox.Literal) and t.predicate in (_TEMPLATE, _TEMPLATE_PLURAL):
                    key = (t.subject.value, t.object.language or "en")
                    (templates if t.predicate == _TEMPLATE else plurals)[key] = t.object.value
        except (OSError, SyntaxError, BadInputError):
            pass
        found: dict[str, dict[str, tuple[str, str]]] = {}
        for (iri, lang), plural in plurals.items():
            if (iri, lang) in templates:
                found.setdefault(iri, {})[lang] = (templates[iri, lang], plural)
        _bundled = found
    return _bundled


@dataclass(frozen=True)
class Statement:
    """One fact as a description lists it: from the described entity's side.

    ``fact`` is the fact with its evidence and with its labels in the
    description's language; ``property`` is the property whose template reads
    it (the inverse of the fact's predicate for an incoming fact), ``other``
    the entity it links to; ``sentence`` says this one fact alone.
    """

    fact: Fact
    property: str
    other: str
    other_label: str
    sentence: str
    other_phrase: str = ""  # other_label as written inside a sentence (see running_case)

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.fact.subject, self.fact.predicate, self.fact.object)

    @property
    def support(self) -> tuple[int, float | None]:
        """(pieces of evidence, best confidence): what "best-supported first" sorts by."""
        return _support(self.fact)

    def to_dict(self) -> dict[str, Any]:
        evidence, confidence = self.support
        return {"subject": self.fact.subject, "predicate": self.fact.predicate,
                "object": self.fact.object, "other": self.other, "other_label": self.other_label,
                "evidence": evidence, "confidence": confidence, "sentence": self.sentence}


@dataclass(frozen=True)
class Sentence:
    """One sentence of a description: one property, the facts it lists, how many it left out.

    It keeps what it was made from (the template, the name it is about, the
    language), so that :meth:`say` can state a part of its facts again.
    """

    text: str
    property: str
    property_label: str
    statements: tuple[Statement, ...]
    omitted: int = 0
    template: str = "{subject} {object}"
    focus_label: str = ""
    backwards: bool = False
    lang: str = "en"
    plural: str = ""  # the template for several objects, when the language words it otherwise

    def say(self, statements: Sequence[Statement]) -> str:
        """This sentence for some of its facts only (all of them: :attr:`text`)."""
        if {st.triple for st in statements} >= {st.triple for st in self.statements}:
            return self.text
        names = join_list([st.other_phrase or st.other_label for st in statements], self.lang)
        subject, obj = (names, self.focus_label) if self.backwards else (self.focus_label, names)
        several = len(statements) > 1 and not self.backwards and self.plural
        return _fill(self.plural if several else self.template, subject, obj, self.lang)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "property": self.property, "property_label": self.property_label,
                "facts": [s.to_dict() for s in self.statements], "omitted": self.omitted}


@dataclass(frozen=True)
class Description:
    """An entity described by its facts in one language: the template text and what it says.

    This is also what a text generator is given (the entity, its facts and
    their template sentences), and what its output is checked against.
    """

    entity: str
    label: str
    lang: str
    sentences: tuple[Sentence, ...]
    types: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return LIST_STYLES[self.lang].sentence_gap.join(s.text for s in self.sentences)

    @property
    def statements(self) -> tuple[Statement, ...]:
        """The facts listed (those cut by the limit are not)."""
        return tuple(st for s in self.sentences for st in s.statements)

    @property
    def facts(self) -> tuple[Fact, ...]:
        """The listed facts, labelled in the description's language."""
        return tuple(st.fact for st in self.statements)

    @property
    def omitted(self) -> int:
        return sum(s.omitted for s in self.sentences)

    @property
    def entities(self) -> frozenset[str]:
        """The described entity and every entity its listed facts name."""
        return frozenset({self.entity} | {st.other for st in self.statements})

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "label": self.label, "lang": self.lang,
                "types": list(self.types), "text": self.text,
                "facts": len(self.statements) + self.omitted, "facts_listed": len(self.statements),
                "sentences": [s.to_dict() for s in self.sentences]}


def _local(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


_EPONYM_HEADS = frozenset({"disease", "syndrome", "sign", "palsy", "lymphoma", "sarcoma", "anomaly",
                           "phenomenon", "tumor", "tumour", "ulcer", "reflex", "test", "virus", "fever"})
_ADJECTIVE = re.compile(r".*(?:ic|al|ous|ive|ary|ar|ed|ing|ant|ent|ile|oid|ful|less|ly)$")
_CAPITALIZED_WORD = re.compile(r"([(\[]*)([A-Z][a-z]+(?:[-'’][a-z]+)*)([)\],.;:]*)")
_FUNCTION_WORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or",
                             "the", "to", "with", "without"})


def running_case(label: str, proper: Container[str] = frozenset(),
                 common: Container[str] = frozenset()) -> str:
    """A label as written inside an English sentence.

    Vocabularies capitalize a label's first letter ("Chronic kidney disease") or
    every word (MeSH: "Female Urogenital Diseases"); inside a sentence those
    words are lower case. A word keeps its case when it is a symbol (a capital
    after the first letter, a digit, one letter: "CFTR", "HbA1c", "X-linked",
    "Ehlers-Danlos") or a proper noun: one of ``proper`` (the vocabulary writes
    it capitalized inside its names, :func:`ontomed.kb.names.word_cases`), or, when
    it is not one of ``common``, a word before "disease", "syndrome"… that does
    not look like an adjective ("Down syndrome"). Only the first word of a label
    in sentence case is looked at; in a label in Title Case, every word.
    """
    words = label.split(" ")
    title_case = sum(1 for w in words if _CAPITALIZED_WORD.fullmatch(w)) >= 2 and all(
        _CAPITALIZED_WORD.fullmatch(w) or w.lower() in _FUNCTION_WORDS or not w[:1].islower()
        for w in words)
    out = list(words)
    for i, word in enumerate(words if title_case else words[:1]):
        m = _CAPITALIZED_WORD.fullmatch(word)
        if m is None:
            continue
        key = m.group(2).lower()
        base = re.split(r"['’]", key)[0]
        if base in proper:
            continue
        following = words[i + 1].lower().strip(",.;:()") if i + 1 < len(words) else ""
        if base not in common and following in _EPONYM_HEADS and not _ADJECTIVE.fullmatch(base):
            continue
        out[i] = m.group(1) + key + m.group(2)[len(key):] + m.group(3)
    return " ".join(out)


def _capitalize(sentence: str, lang: str) -> str:
    """Upper-case the first letter of an English sentence that starts with a lower-case
    word ("metformin" → "Metformin"); names in mixed case ("eGFR") are left alone."""
    if lang != "en" or not sentence or not ("a" <= sentence[0] <= "z"):
        return sentence
    first = sentence.split(" ", 1)[0]
    if not first.islower():
        return sentence
    return sentence[0].upper() + sentence[1:]


def _fill(template: str, subject: str, obj: str, lang: str) -> str:
    return _capitalize(template.replace("{subject}", subject).replace("{object}", obj), lang)


def _support(fact: Fact) -> tuple[int, float | None]:
    confidences = [e.confidence for e in fact.evidence if e.confidence is not None]
    return len(fact.evidence), (max(confidences) if confidences else None)


class Verbalizer:
    """Reads facts aloud with the templates of one knowledge base's ontology.

    Build one per knowledge base and reuse it: the templates are read once,
    entity labels on demand (and remembered for this verbalizer's lifetime, so
    make a new one after changing labels).
    """

    def __init__(self, kb: KnowledgeBase, templates: Templates | None = None) -> None:
        self.kb = kb
        self.templates = templates if templates is not None else Templates.from_kb(kb)
        self._labels: dict[str, dict[str, str]] = {}
        self._cases: tuple[Container[str], Container[str]] | None = None

    # -- names ----------------------------------------------------------------
    def labels(self, iri: str) -> dict[str, str]:
        """``{lang: label}`` of an entity; of several labels in one language the
        alphabetically first, so that the choice does not depend on store order."""
        known = self._labels.get(iri)
        if known is None:
            known = {}
            for q in self.kb.quads(ox.NamedNode(iri), _LABEL, None, _DEFAULT_GRAPH):
                if isinstance(q.object, ox.Literal):
                    lang = q.object.language or ""
                    if lang not in known or q.object.value < known[lang]:
                        known[lang] = q.object.value
            if len(self._labels) > 100_000:
                self._labels.clear()
            self._labels[iri] = known
        return known

    def name(self, iri: str, lang: str = "en", hint: str | None = None) -> str:
        """The entity's label in ``lang``; else the English one; else any; else ``hint``
        (a label the caller has, such as a fact's); else the IRI's last part."""
        known = self.labels(iri)
        return known.get(lang) or known.get("en") or known.get("") or next(iter(known.values()), None) \
            or hint or _local(iri)

    def phrase(self, iri: str, lang: str = "en", hint: str | None = None) -> str:
        """The entity's name as written inside a sentence (:func:`running_case` in English)."""
        label = self.name(iri, lang, hint)
        if lang != "en" or not label[:1].isupper():
            return label
        if self._cases is None:
            self._cases = self._word_cases()
        return running_case(label, *self._cases)

    def _word_cases(self) -> tuple[Container[str], Container[str]]:
        """What the knowledge base's vocabulary says about the case of words (from the
        name index, kept per store state: read once per verbalizer)."""
        from ..kb.names import name_index

        try:
            index = name_index(self.kb)
        except (OntomedError, OSError):
            return frozenset(), frozenset()
        return index.proper_words, index.common_words

    # -- one fact -------------------------------------------------------------
    def sentence(self, fact: Fact, lang: str = "en", *, about: str | None = None) -> str:
        """One sentence saying ``fact``; phrased from the object's side when ``about`` is the object."""
        check_lang(lang)
        prop, subject, obj = self._reading(fact, about)
        hints = {fact.subject: fact.subject_label, fact.object: fact.object_label}
        return _fill(self.templates.get(prop).template(lang), self.phrase(subject, lang, hints[subject]),
                     self.phrase(obj, lang, hints[obj]), lang)

    def sentences(self, facts: Iterable[Fact], lang: str = "en", *, about: str | None = None) -> list[str]:
        """One sentence per fact, in order (the fast path a benchmark measures)."""
        return [self.sentence(f, lang, about=about) for f in facts]

    def _reading(self, fact: Fact, about: str | None) -> tuple[str, str, str]:
        """(property to read with, its subject, its object) for ``fact`` seen from ``about``."""
        if about is None or about == fact.subject or about != fact.object:
            return fact.predicate, fact.subject, fact.object
        info = self.templates.get(fact.predicate)
        if info.symmetric:
            return fact.predicate, fact.object, fact.subject
        if info.inverse:
            return info.inverse, fact.object, fact.subject
        return fact.predicate, fact.subject, fact.object  # no inverse phrasing: read it forwards

    # -- an entity --------------------------------------------------------------
    def describe(self, entity: str | Entity, lang: str = "en", *, limit: int | None = DEFAULT_LIMIT) -> Description:
        """The entity's facts as sentences, one per property, best-supported facts first.

        ``entity`` is an IRI, a label or synonym, or an :class:`Entity` already
        read. ``limit`` caps how many facts each sentence lists (None: all).
        """
        ent = entity if isinstance(entity, Entity) else self.kb.entity(entity)
        return self.describe_facts((*ent.facts, *ent.incoming), lang, about=ent.iri, limit=limit,
                                   types=ent.types)

    def describe_facts(self, facts: Iterable[Fact], lang: str = "en", *, about: str | None = None,
                       limit: int | None = DEFAULT_LIMIT, types: Sequence[str] = ()) -> Description:
        """Facts grouped into sentences, read from ``about``'s side where it takes part.

        Without ``about`` the entity named most often is the one described.
        A fact that does not involve it is read forwards, grouped with the
        other facts of its subject and property. Names come from the
        knowledge base, else from the facts' own labels.
        """
        check_lang(lang)
        if limit is not None and limit < 1:
            raise BadInputError(f"the limit must be at least 1, not {limit}")
        facts = list(facts)
        hints: dict[str, str] = {}
        for fact in facts:
            if fact.subject_label:
                hints.setdefault(fact.subject, fact.subject_label)
            if fact.object_label:
                hints.setdefault(fact.object, fact.object_label)
        if about is None and facts:
            counts: dict[str, int] = {}
            for fact in facts:
                for iri in (fact.subject, fact.object):
                    counts[iri] = counts.get(iri, 0) + 1
            about = max(counts, key=lambda iri: (counts[iri], iri == facts[0].subject))
        # (focus, property, backwards) → other entity → (fact, subject, object)
        groups: dict[tuple[str, str, bool], dict[str, tuple[Fact, str, str]]] = {}
        for fact in facts:
            prop, subject, obj = self._reading(fact, about)
            if obj == about and subject != about:  # no inverse known: read forwards, ``about`` as object
                key, other = (about, prop, True), subject
            else:
                key, other = (subject, prop, False), obj
            group = groups.setdefault(key, {})
            if other in group and _support(group[other][0]) >= _support(fact):
                continue  # a symmetric fact stated both ways: keep the better-supported
            group[other] = (fact, subject, obj)
        sentences = [self._group_sentence(key, members, lang, limit, hints)
                     for key, members in groups.items()]
        # The described entity's sentences first, then the best-supported; ties by
        # size, then by the English label so that every language gives the same order.
        focus = {id(sent): key[0] for sent, key in zip(sentences, groups)}
        sentences.sort(key=lambda s: (focus[id(s)] != about, -s.statements[0].support[0],
                                      -(s.statements[0].support[1] or 0.0),
                                      -(len(s.statements) + s.omitted),
                                      self.templates.get(s.property).label("en").lower(), s.property))
        me = about or ""
        label = self.name(me, lang, hints.get(me)) if me else ""
        return Description(me, label, lang, tuple(sentences), tuple(types))

    def _group_sentence(self, key: tuple[str, str, bool], members: Mapping[str, tuple[Fact, str, str]],
                        lang: str, limit: int | None, hints: Mapping[str, str]) -> Sentence:
        focus, prop, backwards = key
        info = self.templates.get(prop)
        template = info.template(lang)
        plural = info.template(lang, several=True)

        def name(iri: str) -> str:
            return self.name(iri, lang, hints.get(iri))

        def phrase(iri: str) -> str:
            return self.phrase(iri, lang, hints.get(iri))

        statements = []
        for other, (fact, subject, obj) in members.items():
            single = _fill(template, phrase(subject), phrase(obj), lang)
            labelled = replace(fact, subject_label=name(fact.subject), object_label=name(fact.object))
            statements.append(Statement(labelled, prop, other, name(other), single, phrase(other)))
        statements.sort(key=lambda s: (-s.support[0], -(s.support[1] or 0.0), s.other_label.lower(), s.other))
        shown = statements if limit is None else statements[:limit]
        omitted = len(statements) - len(shown)
        names = join_list([s.other_phrase for s in shown], lang, omitted=omitted)
        if backwards:  # a property with no inverse: the others are the subjects
            text = _fill(template, names, phrase(focus), lang)
        else:  # several objects: the template that agrees in number with a list
            text = _fill(plural if len(shown) + omitted > 1 else template, phrase(focus), names, lang)
        return Sentence(text, prop, info.label(lang), tuple(shown), omitted, template, phrase(focus),
                        backwards, lang, plural if plural != template else "")


_ontology_verbalizer: Verbalizer | None = None


def ontology_verbalizer() -> Verbalizer:
    """A verbalizer over the bundled ontology alone, for facts that come without a
    knowledge base (names are then the facts' own labels)."""
    global _ontology_verbalizer
    if _ontology_verbalizer is None:
        from ..kb import KnowledgeBase

        kb = KnowledgeBase()
        kb.initialize()
        _ontology_verbalizer = Verbalizer(kb)
    return _ontology_verbalizer


def describe(kb: KnowledgeBase, entity: str | Entity, lang: str = "en", *,
             limit: int | None = DEFAULT_LIMIT) -> Description:
    """The template description of one entity (see :meth:`Verbalizer.describe`)."""
    return Verbalizer(kb).describe(entity, lang, limit=limit)


def verbalize(kb: KnowledgeBase, fact: Fact, lang: str = "en", *, about: str | None = None) -> str:
    """One sentence for one fact (see :meth:`Verbalizer.sentence`)."""
    return Verbalizer(kb).sentence(fact, lang, about=about)
