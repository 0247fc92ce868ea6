"""Read → extract → link → facts with evidence (architecture.md §1, §3).

``build(kb, sources)`` is what ``ontomed build`` runs. Documents are
identified by a hash of their text and each piece of evidence by a hash of the
fact, document, sentence and extractor, so running it twice on the same input
adds nothing. Negated and speculative relations are counted, never asserted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..components import Extractor, Linker
from ..errors import BadInputError
from ..values import Document, Evidence, Extraction, Mention, SkippedDocument
from .readers import expand_sources, reader_for

if TYPE_CHECKING:
    from ..kb import KnowledgeBase

DEFAULT_EXTRACTORS = ("dictionary",)
DEFAULT_MIN_CONFIDENCE = 0.5
BATCH = 32


@dataclass
class BuildReport:
    """The summary ``ontomed build`` prints."""

    documents: int = 0
    documents_new: int = 0
    mentions: int = 0
    #: mentions of a name several entities share, linked to one by the linking preference
    linked_by_preference: int = 0
    relations: int = 0
    negated: int = 0
    speculative: int = 0
    below_confidence: int = 0
    asserted: int = 0
    unlinked: int = 0
    facts_new: int = 0
    facts_known: int = 0
    evidence_added: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    #: clinical notes redacted before anything of them was stored, and what was removed, by kind
    redacted: int = 0
    identifiers_removed: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every source was read, 1 when some could not be (they are in
        ``skipped``), 2 when no document could be read at all."""
        if not self.documents:
            return 2
        return 1 if self.skipped else 0

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["skipped"] = [{"source": s, "reason": r} for s, r in self.skipped]
        d["documents_per_second"] = round(self.documents / self.seconds, 1) if self.seconds else None
        return d


def select_extractors(names: Sequence[str] | None) -> list[Extractor]:
    from ..plugins import get_extractor

    chosen = list(names) if names else list(DEFAULT_EXTRACTORS)
    return [get_extractor(name) for name in dict.fromkeys(chosen)]


def read_documents(sources: Iterable[str], *, stdin_format: str = "text") -> Iterator[Document | SkippedDocument]:
    """Every document of every source (files, directories, ``-``), with skips."""
    from ..plugins import get_readers

    readers = get_readers()
    for source in expand_sources(sources):
        try:
            reader = reader_for(source, readers, stdin_format)
        except BadInputError as exc:
            if source in sources:  # named explicitly: the user must hear about it
                raise
            yield SkippedDocument(source, str(exc).split(": ", 1)[-1])
            continue
        try:
            yield from reader.read(source)
        except BadInputError as exc:  # the source cannot be read at all; the others still are
            yield SkippedDocument(source, str(exc).removeprefix(f"{source}: "))


class ExtractionRunner:
    """Runs the chosen extractors over texts, links mentions, adds pattern relations."""

    def __init__(self, kb: KnowledgeBase | None, extractors: Sequence[Extractor]) -> None:
        from ..plugins import get_linkers

        self.extractors = list(extractors)
        for extractor in self.extractors:
            extractor.setup(kb)
        self.linkers: list[Linker] = list(get_linkers().values())
        for linker in self.linkers:
            linker.setup(kb)
        self._types = _LinkedTypes(self.linkers)

    def run(self, texts: Sequence[str]) -> list[list[Extraction]]:
        """For each text, one (linked, relation-completed) Extraction per extractor."""
        per_text: list[list[Extraction]] = [[] for _ in texts]
        for extractor in self.extractors:
            for i, (text, extraction) in enumerate(zip(texts, extractor.extract_batch(list(texts)))):
                per_text[i].append(self._complete(text, extractor, extraction))
        return per_text

    def _complete(self, text: str, extractor: Extractor, extraction: Extraction) -> Extraction:
        if extractor.finds_relations:
            return extraction
        from .extractors.relations import find_relations
        from .sentences import sentence_spans

        mentions = tuple(self._link(m) for m in extraction.mentions)
        relations = list(extraction.relations)
        for start, end in sentence_spans(text):
            inside = [m for m in mentions if m.start >= start and m.end <= end and m.iri]
            if len(inside) >= 2:
                relations.extend(find_relations(text, start, end, inside, self._types))
        return Extraction(extraction.extractor, mentions, tuple(relations))

    def _link(self, mention: Mention) -> Mention:
        if mention.iri:
            return mention
        for linker in self.linkers:
            iri = linker.link(mention)
            if iri:
                return Mention(mention.text, mention.type, mention.start, mention.end, mention.confidence, iri)
        return mention


class _LinkedTypes(Mapping[str, set[str]]):
    """An entity's types as its linkers know them, whichever extractor found the mention
    (looked up only: the relation patterns ask for one entity at a time)."""

    def __init__(self, linkers: Sequence[Linker]) -> None:
        self._linkers = linkers

    def __getitem__(self, iri: str) -> set[str]:
        found: set[str] = set()
        for linker in self._linkers:
            found |= linker.entity_types(iri)
        if not found:
            raise KeyError(iri)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def build(kb: KnowledgeBase, sources: Sequence[str], *, extractors: Sequence[str] | None = None,
          min_confidence: float = DEFAULT_MIN_CONFIDENCE, progress: bool | None = False,
          stdin_format: str = "text", clinical: bool = False,
          redactors: Sequence[str] | None = None) -> BuildReport:
    """Read ``sources``, extract, link, and add facts with evidence to ``kb``.

    Clinical notes (``clinical=True`` for every document, or a record's own ``clinical`` field)
    pass through the redactors first (:mod:`ontomed.ingest.redaction`): what is extracted and stored
    comes from the redacted note only.
    """
    from tqdm import tqdm

    if not 0.0 <= min_confidence <= 1.0:
        raise BadInputError(f"--min-confidence must be between 0 and 1, not {min_confidence}")
    runner = ExtractionRunner(kb, select_extractors(extractors))
    redaction = _Redaction(clinical, redactors)
    report = BuildReport()
    started = time.perf_counter()
    bar = tqdm(desc="documents", unit="doc", disable=None if progress is None else not progress,
               leave=False)
    batch: list[Document] = []
    try:
        for item in read_documents(sources, stdin_format=stdin_format):
            if isinstance(item, SkippedDocument):
                report.skipped.append((item.source, item.reason))
                continue
            item = redaction.apply(item, report)
            if item is None:
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                _process(kb, runner, batch, report, min_confidence)
                bar.update(len(batch))
                batch = []
        if batch:
            _process(kb, runner, batch, report, min_confidence)
            bar.update(len(batch))
    finally:
        bar.close()
        kb.flush()
    report.seconds = time.perf_counter() - started
    return report


class _Redaction:
    """The redaction step of a build: redactors and key are loaded on the first clinical note."""

    def __init__(self, clinical: bool, names: Sequence[str] | None) -> None:
        from .redaction import select_redactors

        self.clinical = clinical
        self.redactors = select_redactors(names) if clinical or names else None
        self.key: bytes | None = None

    def apply(self, doc: Document, report: BuildReport) -> Document | None:
        from .redaction import RedactionError, is_clinical, redact_document, redaction_key, select_redactors

        if not is_clinical(doc, self.clinical):
            return doc
        if self.redactors is None:
            self.redactors = select_redactors(None)
        if self.key is None:
            self.key = redaction_key()
        try:
            redacted, found = redact_document(doc, self.redactors, self.key)
        except RedactionError as exc:
            # the source path may name the patient: a clinical note is skipped under its number
            report.skipped.append((f"clinical note {report.redacted + len(report.skipped) + 1}", str(exc)))
            return None
        report.redacted += 1
        for kind, count in found.counts().items():
            report.identifiers_removed[kind] = report.identifiers_removed.get(kind, 0) + count
        return redacted


def _process(kb: KnowledgeBase, runner: ExtractionRunner, docs: list[Document], report: BuildReport,
             min_confidence: float) -> None:
    results = runner.run([d.text for d in docs])
    facts: list[tuple[str, str, str, Evidence]] = []
    # the batch's documents and facts go in one transaction: a build killed half-way
    # leaves whole documents with all their facts, or nothing of the batch
    documents: list[Any] = []
    builder = kb.quad_builder()
    for doc, extractions in zip(docs, results):
        report.documents += 1
        if not kb.has_document(doc.iri):
            report.documents_new += 1
        written = builder.document(doc.text, title=doc.title, identifier=doc.id,
                                   source=str(doc.metadata.get("url") or doc.source or "") or None)
        documents.extend(written.quads)
        doc_iri = written.iri
        for extraction in extractions:
            report.mentions += len(extraction.mentions)
            report.linked_by_preference += sum(1 for m in extraction.mentions if m.candidates)
            for rel in extraction.relations:
                report.relations += 1
                if rel.negated:
                    report.negated += 1
                elif rel.speculative:
                    report.speculative += 1
                elif rel.confidence < min_confidence:
                    report.below_confidence += 1
                elif rel.subject.iri and rel.object.iri:
                    report.asserted += 1
                    facts.append((rel.subject.iri, rel.predicate, rel.object.iri, Evidence(
                        document=doc_iri, text=rel.sentence, extractor=extraction.extractor,
                        confidence=rel.confidence)))
                else:
                    report.unlinked += 1
    added = kb.add_facts(facts, also=documents)
    report.facts_new += added.new_facts
    report.facts_known += len({(s, p, o) for s, p, o, _ in facts}) - added.new_facts
    report.evidence_added += added.evidence_added


def extract(text: str, *, kb: KnowledgeBase | None, extractors: Sequence[str] | None = None) -> list[Extraction]:
    """Mentions and relations in one text, without writing anything."""
    runner = ExtractionRunner(kb, select_extractors(extractors))
    return runner.run([text])[0]
