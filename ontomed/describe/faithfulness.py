"""Is generated text supported by the facts it was written from? (architecture.md §7)

A language model writes fluent text and, sometimes, things the graph does not
say. Every generated sentence is therefore read back with ontomed's own
extraction (:func:`ontomed.ingest.pipeline.extract` over the knowledge base: the
entities it names, linked to their IRIs, and the relations it states) and
matched to the facts the generator was given. A sentence is supported when

- every entity it names is the described entity or one its facts name,
- every relation read from it is one of those facts (a symmetric one either
  way round, an inverse one turned around), and none is negated or hedged,
- and it names at least one of those facts' entities (a sentence that states
  no fact states something else).

Relation patterns are English; in Chinese, and where a pattern does not fire,
the check rests on the entity names alone. Without a knowledge base it falls
back to finding the facts' labels in the text, and cannot see foreign names.

The check reads the paragraph as a reader does, in order:

- a sentence whose subject is a pronoun ("It is used to treat ...", "它可以...")
  refers to what the sentence shown before it is about: when that is the
  described entity, the sentence is read with the pronoun replaced by its name
  (so that the relation patterns see the claim); when it is another entity, or
  there is none (the first sentence), the sentence says something about
  someone the facts do not, and is unsupported;
- a supported sentence that states only facts an earlier shown sentence
  already stated is a repeat: dropped, and not counted as support.

An unsupported sentence is replaced by one template sentence for the facts it
touched (or dropped, when it touched none or they are already said), and the
facts no shown sentence stated are added as template sentences at the end, one
per property, so the result always states every fact and nothing else, and
every shown sentence is one line of the account: kept + replaced + added
sentences are printed, kept + replaced + dropped + repeats are the generated
ones (:meth:`CheckedText.summary`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ingest.sentences import sentence_spans
from .verbalize import LIST_STYLES, Description, Statement, Templates, Verbalizer

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..values import Extraction

SUPPORTED, REPLACED, DROPPED, REPEAT, ADDED = "supported", "replaced", "dropped", "repeat", "added"
#: The statuses of sentences a reader sees.
SHOWN = (SUPPORTED, REPLACED, ADDED)

# A pronoun as a sentence's subject, after an optional connective: "It is used ...",
# "In addition, its side effects ...", "This drug ...". An object pronoun ("take it")
# names no subject and is left alone.
_CONNECTIVE_EN = (r"(?:(?:also|additionally|in addition|moreover|furthermore|further|however|finally|"
                  r"importantly)\s*,?\s*)?")
_PRONOUN = {
    "en": re.compile(r"^\s*" + _CONNECTIVE_EN + r"(?P<p>its|it|this (?:drug|medication|medicine|agent|"
                     r"compound|disease|condition|disorder|syndrome|gene|symptom|sign|finding))\b", re.I),
    "zh": re.compile(r"^\s*(?:(?:此外|另外|同时|而且)[，,]?\s*)?"
                     r"(?P<p>它|其|该药物?|此药物?|该疾病|该病|该基因|该症状)"),
}

_ZH_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


@dataclass(frozen=True)
class CheckedSentence:
    """One sentence of the checked text and what became of it.

    ``status``: ``supported`` (the generated sentence, kept), ``replaced``
    (``text`` is one template sentence for facts the generated sentence
    touched), ``dropped`` (unsupported, in no output), ``repeat`` (supported but
    saying only what an earlier shown sentence said; in no output), ``added``
    (one template sentence for facts no shown sentence stated). ``generated`` is
    the model's sentence, if any; ``subject`` the entity a shown sentence is
    about (what a pronoun in the next one refers to), when known.
    """

    text: str
    status: str
    generated: str | None
    facts: tuple[tuple[str, str, str], ...] = ()
    reason: str | None = None
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "status": self.status, "generated": self.generated,
                "facts": [list(f) for f in self.facts], "reason": self.reason}


@dataclass(frozen=True)
class CheckedText:
    """Generated text after the check: what is shown, and the account of each sentence."""

    description: Description
    generated: str
    sentences: tuple[CheckedSentence, ...]

    @property
    def text(self) -> str:
        gap = LIST_STYLES[self.description.lang].sentence_gap
        return gap.join(s.text for s in self.sentences if s.status in SHOWN)

    @property
    def total(self) -> int:
        """Sentences the generator wrote."""
        return sum(1 for s in self.sentences if s.status != ADDED)

    @property
    def supported(self) -> int:
        return sum(1 for s in self.sentences if s.status == SUPPORTED)

    def count(self, status: str) -> int:
        return sum(1 for s in self.sentences if s.status == status)

    @property
    def printed(self) -> int:
        """Sentences a reader sees: kept, replaced and added ones."""
        return sum(1 for s in self.sentences if s.status in SHOWN)

    @property
    def facts_stated(self) -> int:
        """Listed facts that a supported generated sentence states."""
        return len({f for s in self.sentences if s.status == SUPPORTED for f in s.facts})

    def summary(self) -> str:
        """The account of every sentence, in numbers that add up: generated = kept +
        replaced + dropped + repeats, printed = kept + replaced + added."""
        kept, replaced, added = self.supported, self.count(REPLACED), self.count(ADDED)
        return (f"{self.total} generated sentences: {kept} kept, {replaced} replaced by a template sentence, "
                f"{self.count(DROPPED)} dropped as unsupported, {self.count(REPEAT)} dropped as repeats; "
                f"{added} template sentences added for facts left out; {self.printed} sentences shown")

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "generated": self.generated,
                "supported": self.supported, "total": self.total,
                "replaced": self.count(REPLACED), "dropped": self.count(DROPPED),
                "repeats": self.count(REPEAT), "added": self.count(ADDED), "printed": self.printed,
                "facts": len(self.description.statements), "facts_stated": self.facts_stated,
                "summary": self.summary(),
                "sentences": [s.to_dict() for s in self.sentences]}


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: ontomed's English splitter, or Chinese full stops."""
    if lang == "zh":
        spans = []
        for m in _ZH_SENTENCE.finditer(text):
            chunk = m.group()
            start = m.start() + len(chunk) - len(chunk.lstrip())
            end = m.end() - (len(chunk) - len(chunk.rstrip()))
            if end > start:
                spans.append((start, end))
        return spans
    return sentence_spans(text)


@dataclass
class _Reading:
    """What extraction found in one paragraph: linked mentions and relations, by offset."""

    mentions: list[tuple[int, int, str]]  # start, end, IRI
    relations: list[tuple[int, int, str, str, str, bool]]  # start, end, s, p, o, negated-or-hedged


class _Reader:
    """Reads texts with ontomed's extraction (one runner: the vocabulary and the entity
    types are loaded once), or, without a knowledge base, by the facts' labels."""

    def __init__(self, kb: KnowledgeBase | None) -> None:
        self.runner = None
        if kb is not None:
            from ..ingest.pipeline import ExtractionRunner, select_extractors

            self.runner = ExtractionRunner(kb, select_extractors(None))

    def read(self, descriptions: Sequence[Description], texts: Sequence[str]) -> list[_Reading]:
        """One reading per paragraph, extracted in one pass (joined by blank lines,
        which end sentences)."""
        if self.runner is None:
            return [_read_by_labels(d, t) for d, t in zip(descriptions, texts)]
        readings = [_Reading([], []) for _ in texts]
        if not any(t.strip() for t in texts):
            return readings
        starts, pos = [], 0
        for text in texts:
            starts.append(pos)
            pos += len(text) + 2
        extractions: list[Extraction] = self.runner.run(["\n\n".join(texts)])[0]

        def which(offset: int) -> int:
            return bisect.bisect_right(starts, offset) - 1

        for extraction in extractions:
            for m in extraction.mentions:
                if m.iri:
                    i = which(m.start)
                    readings[i].mentions.append((m.start - starts[i], m.end - starts[i], m.iri))
            for r in extraction.relations:
                if r.subject.iri and r.object.iri:
                    i = which(min(r.subject.start, r.object.start))
                    readings[i].relations.append((
                        min(r.subject.start, r.object.start) - starts[i],
                        max(r.subject.end, r.object.end) - starts[i],
                        r.subject.iri, r.predicate, r.object.iri, r.negated or r.speculative))
        return readings


def _read_by_labels(description: Description, text: str) -> _Reading:
    """No knowledge base: find the facts' own labels (whole words, any case)."""
    names = {description.entity: description.label}
    names.update({st.other: st.other_label for st in description.statements})
    low = text.lower()
    mentions = []
    for iri, label in names.items():
        if not label:
            continue
        pattern = re.escape(label.lower())
        if label.isascii():
            pattern = r"(?<!\w)" + pattern + r"(?!\w)"
        mentions.extend((m.start(), m.end(), iri) for m in re.finditer(pattern, low))
    return _Reading(mentions, [])


class _Facts:
    """The facts one description lists, with the matching rules for relations."""

    def __init__(self, description: Description, templates: Templates | None) -> None:
        self.description = description
        self.templates = templates
        self.allowed = description.entities
        self.triples = {st.triple: st for st in description.statements}
        self.by_other: dict[str, list[Statement]] = {}
        for st in description.statements:
            self.by_other.setdefault(st.other, []).append(st)

    def match(self, s: str, p: str, o: str) -> Statement | None:
        if (s, p, o) in self.triples:
            return self.triples[(s, p, o)]
        if self.templates is not None:
            info = self.templates.get(p)
            if info.symmetric and (o, p, s) in self.triples:
                return self.triples[(o, p, s)]
            if info.inverse and (o, info.inverse, s) in self.triples:
                return self.triples[(o, info.inverse, s)]
        return None


def _judge(facts: _Facts, reading: _Reading, start: int, end: int,
           names: dict[str, str]) -> tuple[bool, list[Statement], str | None]:
    """(supported, the facts the sentence touches, why not)."""
    mentioned = {iri for s, e, iri in reading.mentions if s >= start and e <= end}
    touched: dict[tuple[str, str, str], Statement] = {}
    for iri in mentioned:
        for st in facts.by_other.get(iri, ()):
            touched[st.triple] = st
    foreign = sorted(mentioned - facts.allowed)
    if foreign:
        return False, list(touched.values()), f"names {names.get(foreign[0], foreign[0])}, which none of the facts does"
    for s, e, subj, pred, obj, doubtful in reading.relations:
        if s < start or e > end:
            continue
        st = facts.match(subj, pred, obj)
        label = pred.rsplit("#", 1)[-1]
        if doubtful:
            return False, list(touched.values()), f"negates or hedges {label} between {names.get(subj, subj)} " \
                                                  f"and {names.get(obj, obj)}"
        if st is None:
            return False, list(touched.values()), f"says {names.get(subj, subj)} {label} {names.get(obj, obj)}, " \
                                                  "which is not among the facts"
        touched[st.triple] = st
    if not touched:
        return False, [], "states none of the facts"
    return True, list(touched.values()), None


def _template_sentences(description: Description,
                        statements: Sequence[Statement]) -> list[tuple[str, list[Statement], str | None]]:
    """One template sentence per property for some of a description's facts, as the
    description groups them: (text, its facts, the entity it is about)."""
    wanted = {st.triple for st in statements}
    parts = []
    for sentence in description.sentences:
        mine = [st for st in sentence.statements if st.triple in wanted]
        if mine:
            about = (mine[0].other if len(mine) == 1 else None) if sentence.backwards else description.entity
            parts.append((sentence.say(mine), mine, about))
    return parts


def _pronoun_subject(sentence: str, lang: str) -> tuple[int, int, str] | None:
    """(start, end, word) of the pronoun a sentence opens with, if any."""
    pattern = _PRONOUN.get(lang)
    m = pattern.match(sentence) if pattern is not None else None
    return (m.start("p"), m.end("p"), m.group("p")) if m else None


def _resolve(sentence: str, pronoun: tuple[int, int, str], name: str, lang: str) -> str:
    """The sentence with its subject pronoun replaced by ``name``."""
    start, end, word = pronoun
    if lang == "en" and word.lower() == "its":
        name += "'s"
    return sentence[:start] + name + sentence[end:]


def _first_mention(reading: _Reading, start: int, end: int) -> str | None:
    inside = sorted((s, iri) for s, e, iri in reading.mentions if s >= start and e <= end)
    return inside[0][1] if inside else None


def _assemble(description: Description, text: str, reading: _Reading, reader: _Reader,
              verbalizer: Verbalizer | None) -> CheckedText:
    lang = description.lang
    facts = _Facts(description, verbalizer.templates if verbalizer is not None else None)
    names = {description.entity: description.label}
    names.update({st.other: st.other_label for st in description.statements})

    def name(iri: str) -> str:
        if iri not in names and verbalizer is not None:
            names[iri] = verbalizer.name(iri, lang)
        return names.get(iri, iri)

    for _, _, iri in reading.mentions:
        name(iri)
    for *_, subj, _, obj, _ in reading.relations:
        name(subj), name(obj)
    covered: set[tuple[str, str, str]] = set()
    out: list[CheckedSentence] = []
    about: str | None = None  # what the last shown sentence is about: a pronoun's antecedent
    for start, end in split_sentences(text, lang):
        generated = text[start:end]
        seen, lo, hi = reading, start, end
        pronoun = _pronoun_subject(generated, lang)
        if pronoun is not None and about == description.entity:  # read it as the reader does
            resolved = _resolve(generated, pronoun, description.label, lang)
            seen, lo, hi = reader.read([description], [resolved])[0], 0, len(resolved)
            for *_, subj, _, obj, _ in seen.relations:
                name(subj), name(obj)
        ok, touched, reason = _judge(facts, seen, lo, hi, names)
        if pronoun is not None and about != description.entity:
            ok = False
            reason = (f"its subject {pronoun[2]!r} refers to nothing said before it" if about is None else
                      f"its subject {pronoun[2]!r} refers to {name(about)}, not {description.label}")
        triples = tuple(sorted(st.triple for st in touched))
        if ok and not set(triples) <= covered:
            covered.update(triples)
            subject = about if pronoun is not None else _first_mention(seen, lo, hi)
            out.append(CheckedSentence(generated, SUPPORTED, generated, triples, subject=subject))
            about = subject
            continue
        if ok:
            out.append(CheckedSentence("", REPEAT, generated, triples, "repeats what an earlier sentence said"))
            continue
        fresh = [st for st in touched if st.triple not in covered]
        if fresh:
            said, mine, subject = _template_sentences(description, fresh)[0]
            covered.update(st.triple for st in mine)
            out.append(CheckedSentence(said, REPLACED, generated, tuple(sorted(st.triple for st in mine)),
                                       reason, subject))
            about = subject
        else:
            out.append(CheckedSentence("", DROPPED, generated, (), reason))
    missing = [st for st in description.statements if st.triple not in covered]
    for said, mine, subject in _template_sentences(description, missing):
        out.append(CheckedSentence(said, ADDED, None, tuple(sorted(st.triple for st in mine)),
                                   "no generated sentence stated these facts", subject))
    return CheckedText(description, text, tuple(out))


def check(kb: KnowledgeBase | None, description: Description, text: str) -> CheckedText:
    """Check one generated paragraph against the description it was written from."""
    return check_batch(kb, [description], [text])[0]


def check_batch(kb: KnowledgeBase | None, descriptions: Sequence[Description],
                texts: Sequence[str]) -> list[CheckedText]:
    """Check many paragraphs with one extraction pass (the vocabulary is built once)."""
    if len(descriptions) != len(texts):
        raise ValueError(f"{len(descriptions)} descriptions but {len(texts)} texts")
    reader = _Reader(kb)
    verbalizer = Verbalizer(kb) if kb is not None else None
    readings = reader.read(descriptions, texts)
    return [_assemble(d, t, r, reader, verbalizer) for d, t, r in zip(descriptions, texts, readings)]
