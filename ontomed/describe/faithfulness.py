"""Is generated text supported by the facts it was written from? (DESIGN §7)

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

An unsupported sentence is replaced by the template sentences of the facts it
touched (or dropped, when it touched none or they are already said), and the
facts no supported sentence stated are added as template sentences at the
end, so the result always states every fact and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ingest.sentences import sentence_spans
from .verbalize import LIST_STYLES, Description, Statement, Templates, Verbalizer

if TYPE_CHECKING:
    from ..kb import KnowledgeBase
    from ..values import Extraction

SUPPORTED, REPLACED, DROPPED, ADDED = "supported", "replaced", "dropped", "added"

_ZH_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")


@dataclass(frozen=True)
class CheckedSentence:
    """One sentence of the checked text and what became of it.

    ``status``: ``supported`` (the generated sentence, kept), ``replaced``
    (``text`` is the template for the facts the generated sentence touched),
    ``dropped`` (in no output), ``added`` (a template sentence for facts no
    generated sentence stated). ``generated`` is the model's sentence, if any.
    """

    text: str
    status: str
    generated: str | None
    facts: tuple[tuple[str, str, str], ...] = ()
    reason: str | None = None

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
        return gap.join(s.text for s in self.sentences if s.status != DROPPED)

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
    def facts_stated(self) -> int:
        """Listed facts that a supported generated sentence states."""
        return len({f for s in self.sentences if s.status == SUPPORTED for f in s.facts})

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "generated": self.generated,
                "supported": self.supported, "total": self.total,
                "replaced": self.count(REPLACED), "dropped": self.count(DROPPED),
                "added": self.count(ADDED), "facts": len(self.description.statements),
                "facts_stated": self.facts_stated,
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


def _read(kb: KnowledgeBase, texts: Sequence[str]) -> list[_Reading]:
    """Extract once over every paragraph (joined by blank lines, which end sentences)."""
    from ..ingest.pipeline import extract

    readings = [_Reading([], []) for _ in texts]
    if not any(t.strip() for t in texts):
        return readings
    starts, parts, pos = [], [], 0
    for text in texts:
        starts.append(pos)
        parts.append(text)
        pos += len(text) + 2
    joined = "\n\n".join(parts)
    extractions: list[Extraction] = extract(joined, kb=kb)

    def which(offset: int) -> int:
        lo = 0
        for i, start in enumerate(starts):
            if start <= offset:
                lo = i
        return lo

    for extraction in extractions:
        for m in extraction.mentions:
            if m.iri:
                i = which(m.start)
                readings[i].mentions.append((m.start - starts[i], m.end - starts[i], m.iri))
        for r in extraction.relations:
            if r.subject.iri and r.object.iri:
                i = which(min(r.subject.start, r.object.start))
                readings[i].relations.append((
                    min(r.subject.start, r.object.start) - starts[i], max(r.subject.end, r.object.end) - starts[i],
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


def _template_for(description: Description, statements: Sequence[Statement]) -> str:
    """Template text for some of a description's facts, grouped as the description groups them."""
    wanted = {st.triple for st in statements}
    parts = []
    for sentence in description.sentences:
        mine = [st for st in sentence.statements if st.triple in wanted]
        if mine:
            parts.append(sentence.say(mine))
    return LIST_STYLES[description.lang].sentence_gap.join(parts)


def _assemble(description: Description, text: str, reading: _Reading,
              verbalizer: Verbalizer | None) -> CheckedText:
    facts = _Facts(description, verbalizer.templates if verbalizer is not None else None)
    names = {description.entity: description.label}
    names.update({st.other: st.other_label for st in description.statements})
    if verbalizer is not None:
        for _, _, iri in reading.mentions:
            names.setdefault(iri, verbalizer.name(iri, description.lang))
        for *_, subj, _, obj, _ in reading.relations:
            for iri in (subj, obj):
                names.setdefault(iri, verbalizer.name(iri, description.lang))
    covered: set[tuple[str, str, str]] = set()
    out: list[CheckedSentence] = []
    for start, end in split_sentences(text, description.lang):
        generated = text[start:end]
        ok, touched, reason = _judge(facts, reading, start, end, names)
        triples = tuple(sorted(st.triple for st in touched))
        if ok:
            out.append(CheckedSentence(generated, SUPPORTED, generated, triples))
            covered.update(triples)
            continue
        fresh = [st for st in touched if st.triple not in covered]
        if fresh:
            covered.update(st.triple for st in fresh)
            out.append(CheckedSentence(_template_for(description, fresh), REPLACED, generated,
                                       tuple(sorted(st.triple for st in fresh)), reason))
        else:
            out.append(CheckedSentence("", DROPPED, generated, (), reason))
    missing = [st for st in description.statements if st.triple not in covered]
    if missing:
        out.append(CheckedSentence(_template_for(description, missing), ADDED, None,
                                   tuple(sorted(st.triple for st in missing)),
                                   "no generated sentence stated these facts"))
    return CheckedText(description, text, tuple(out))


def check(kb: KnowledgeBase | None, description: Description, text: str) -> CheckedText:
    """Check one generated paragraph against the description it was written from."""
    return check_batch(kb, [description], [text])[0]


def check_batch(kb: KnowledgeBase | None, descriptions: Sequence[Description],
                texts: Sequence[str]) -> list[CheckedText]:
    """Check many paragraphs with one extraction pass (the vocabulary is built once)."""
    if len(descriptions) != len(texts):
        raise ValueError(f"{len(descriptions)} descriptions but {len(texts)} texts")
    if kb is None:
        return [_assemble(d, t, _read_by_labels(d, t), None) for d, t in zip(descriptions, texts)]
    verbalizer = Verbalizer(kb)
    readings = _read(kb, texts)
    return [_assemble(d, t, r, verbalizer) for d, t, r in zip(descriptions, texts, readings)]
