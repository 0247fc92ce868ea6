"""Contract checks for plugin components, for third parties' tests and ontomed's own.

Every built-in extractor, reader, linker and text generator passes these, and
``tests/test_contracts.py`` runs them over every registered component, so a
plugin author who calls them in their own tests knows their component will
behave inside ``ontomed build`` exactly as a built-in does::

    from ontomed.testing import check_extractor

    def test_my_extractor_keeps_the_contract():
        check_extractor(MyExtractor(), samples=["Metformin 500 mg twice daily."])

Each check raises :class:`AssertionError` with a message naming the component,
the rule it broke and the input that broke it, so a failure reads well inside
pytest. The checks never use ``assert`` statements: they still run under
``python -O``. They return what the component produced, for further
assertions of your own.

To run a plugin inside ontomed for one test (``ontomed build``, ``ontomed extract``
finding it by id), register it for that test only::

    pytest_plugins = ["ontomed.testing"]      # in conftest.py: gives the fixture

    def test_build_finds_my_extractor(register_plugin):
        register_plugin(MyPlugin())
        ...

or, outside pytest, ``with registered(MyPlugin()): ...``. The plugin manager is
rebuilt before and after, so nothing registered in one test is seen by the next.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import iri as I
from .components import Extractor, Linker, Reader, TextGenerator, _Component
from .errors import OntomedError
from .values import Document, Evidence, Extraction, Fact, Mention, Relation, SkippedDocument

if TYPE_CHECKING:
    from .kb import KnowledgeBase

__all__ = [
    "DEFAULT_SAMPLES",
    "ENTITY_CLASSES",
    "RELATION_PREDICATES",
    "check_extraction",
    "check_extractor",
    "check_linker",
    "check_plugin",
    "check_reader",
    "check_text_generator",
    "register_plugin",
    "registered",
    "sample_facts",
]

#: The ontology classes a mention may have without the extractor declaring it.
ENTITY_CLASSES: frozenset[str] = frozenset(c for c in I.CLASSES if c != "Document")
#: The full IRIs a relation's predicate may be (the ontology's object properties).
RELATION_PREDICATES: frozenset[str] = frozenset(I.om(p) for p in I.PROPERTIES)

#: Texts every extractor is run over when no samples are given. They are chosen to
#: break the usual offset bugs: non-ASCII letters before a mention, characters outside
#: the Basic Multilingual Plane (one code point, two UTF-16 units, four UTF-8 bytes),
#: Chinese, several sentences and lines, and a negated claim.
DEFAULT_SAMPLES: tuple[str, ...] = (
    "Metformin is indicated for type 2 diabetes mellitus.",
    "Aspirin 81 mg once daily may cause gastrointestinal bleeding; aspirin inhibits PTGS1.",
    "Mutations in CFTR cause cystic fibrosis. Patients present with cough and fatigue.",
    "Warfarin should not be combined with ibuprofen.\nWarfarin did not reduce mortality in sepsis.",
    "Naïve patients (n=12) 🙂 received imatinib 400 mg for chronic myeloid leukemia.",
    "二甲双胍用于治疗2型糖尿病。 Influenza presents with fever, cough and myalgia.",
)

_CONFIDENCE_TOLERANCE = 1e-4  # batched and single runs of a model may differ in the last bits


def _require(condition: object, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _snippet(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _is_iri(value: object) -> bool:
    return isinstance(value, str) and I.is_iri(value)


def _check_component(component: object, base: type[_Component], kind: str,
                     registered: Mapping[str, _Component] | None) -> str:
    """What every component owes: its type, a usable id that no other component has,
    a description, and a ``setup(None)`` that works without a knowledge base."""
    _require(isinstance(component, base),
             f"{component!r} is not a {base.__module__}.{base.__name__}")
    ident = getattr(component, "id", None)
    _require(isinstance(ident, str) and ident.strip() == ident and ident,
             f"{kind} {type(component).__name__}: id must be a non-empty string without "
             f"surrounding spaces, not {ident!r}")
    assert isinstance(ident, str)  # for the type checker; _require has checked it
    _require(all(c.isprintable() and not c.isspace() for c in ident),
             f"{kind} {ident!r}: an id is typed on command lines, so no spaces or control characters")
    _require(isinstance(getattr(component, "description", ""), str),
             f"{kind} {ident!r}: description must be a string")
    if registered is None:
        registered = _registered(kind)
    other = registered.get(ident)
    _require(other is None or type(other) is type(component),
             f"{kind} {ident!r}: the id is taken by {type(other).__module__}.{type(other).__name__}; "
             "ids must be unique across installed plugins")
    assert isinstance(component, _Component)  # for the type checker; _require has checked it
    try:
        component.setup(None)
    except Exception as exc:  # noqa: BLE001 - the message is the point
        raise AssertionError(f"{kind} {ident!r}: setup(None) must work without a knowledge base, "
                             f"but raised {type(exc).__name__}: {exc}") from exc
    return ident


def _registered(kind: str) -> Mapping[str, _Component]:
    from . import plugins

    getters: dict[str, Callable[[], Mapping[str, _Component]]] = {
        "extractor": plugins.get_extractors, "reader": plugins.get_readers,
        "linker": plugins.get_linkers, "text generator": plugins.get_text_generators}
    try:
        found = getters[kind]()
    except plugins.PluginError as exc:
        raise AssertionError(f"the installed plugins break the contract: {exc}") from exc
    broken = plugins.invalid_plugins()  # left out by ontomed; a test must not pass over them
    _require(not broken, "the installed plugins break the contract: " + "; ".join(
        f"plugin {name!r}: {why}" for name, why in broken.items()))
    return found


# -- plugins -------------------------------------------------------------------

def check_plugin(plugin: object) -> None:
    """The plugin module (or object) keeps the hook contract: every ``@hookimpl``
    function is named after a hook that exists (``register_extractors``, not
    ``register_extractor``) and takes only arguments the hook passes.

    ontomed itself leaves such a plugin out with a warning and carries on; this
    check (like ``ontomed plugins --check``) makes it a failure, for the plugin's
    own tests.
    """
    from . import plugins

    problem = plugins.contract_problem(plugin)
    _require(problem is None, f"plugin {getattr(plugin, '__name__', plugin)!r}: {problem}")


def _check_one_line_error(exc: BaseException, who: str, what: str) -> None:
    _require(isinstance(exc, OntomedError),
             f"{who}: {what} must raise an ontomed.errors.OntomedError (BadInputError, "
             f"NotFoundError) with a clear message, not {type(exc).__name__}: {exc}")
    message = str(exc)
    _require(message.strip() and "\n" not in message.strip(),
             f"{who}: {what} must give a one-line error message, not {message!r}")


# -- extractors ----------------------------------------------------------------

def check_extractor(extractor: Extractor, samples: Sequence[str] = DEFAULT_SAMPLES, *,
                    kb: KnowledgeBase | None = None,
                    registered: Mapping[str, Extractor] | None = None) -> list[Extraction]:
    """Check that ``extractor`` keeps the extractor contract on ``samples``.

    Checked: a unique non-empty ``id``; ``entity_types`` a tuple of names;
    ``setup(None)`` works; ``extract`` returns an :class:`Extraction` named after
    the extractor, whose mentions lie inside the text (``0 <= start < end <=
    len(text)`` and ``text[start:end] == mention.text``), have a type that is an
    ontology class or one the extractor declares in ``entity_types``, a
    confidence in [0, 1] and an absolute IRI or None; whose relations join two
    mentions of the same extraction with one of the ontology's object
    properties (full IRIs, ``https://w3id.org/ontomed#treats``), a confidence in
    [0, 1] and the sentence they were read from; ``extract_batch`` gives what
    ``extract`` gives, text by text, and nothing for no texts; an empty text
    gives an empty extraction.

    ``kb``, when given, is passed to ``setup`` after ``setup(None)`` (an
    extractor that needs a vocabulary finds nothing without one).
    ``registered`` are the installed extractors the id must not clash with
    (default: :func:`ontomed.plugins.get_extractors`). Returns the extractions
    of ``samples``.
    """
    ident = _check_component(extractor, Extractor, "extractor", registered)
    who = f"extractor {ident!r}"
    types = extractor.entity_types
    _require(isinstance(types, tuple) and all(isinstance(t, str) and t for t in types),
             f"{who}: entity_types must be a tuple of type names, not {types!r}")
    _require(isinstance(extractor.finds_relations, bool),
             f"{who}: finds_relations must be True or False, not {extractor.finds_relations!r}")
    _require(isinstance(samples, Sequence) and not isinstance(samples, str),
             f"check_extractor: samples must be a list of texts, not {type(samples).__name__}")
    if kb is not None:
        extractor.setup(kb)
    allowed = ENTITY_CLASSES | set(types)

    for empty in ("", "   \n"):
        result = extractor.extract(empty)
        check_extraction(result, empty, extractor_id=ident, allowed_types=allowed)
        _require(not result.mentions and not result.relations,
                 f"{who}: a blank text {empty!r} must give an empty extraction, not {result!r}")

    singles = []
    for text in samples:
        result = extractor.extract(text)
        check_extraction(result, text, extractor_id=ident, allowed_types=allowed)
        singles.append(result)

    batch = extractor.extract_batch(list(samples))
    _require(isinstance(batch, list) and len(batch) == len(samples),
             f"{who}: extract_batch of {len(samples)} texts must return a list of {len(samples)} "
             f"extractions, not {type(batch).__name__} of {len(batch) if hasattr(batch, '__len__') else '?'}")
    for text, single, batched in zip(samples, singles, batch):
        _require(isinstance(batched, Extraction),
                 f"{who}: extract_batch must return Extractions, not {type(batched).__name__}")
        _require(_same_extraction(single, batched),
                 f"{who}: extract_batch and extract disagree on {_snippet(text)}:\n"
                 f"  extract:       {_brief(single)}\n  extract_batch: {_brief(batched)}")
    none = extractor.extract_batch([])
    _require(none == [], f"{who}: extract_batch([]) must return [], not {none!r}")
    return singles


def check_extraction(extraction: object, text: str, *, extractor_id: str,
                     allowed_types: Iterable[str] = ENTITY_CLASSES) -> None:
    """Check one extraction of ``text`` (the per-text part of :func:`check_extractor`)."""
    who = f"extractor {extractor_id!r} on {_snippet(text)}"
    _require(isinstance(extraction, Extraction),
             f"{who}: must return an ontomed.values.Extraction, not {type(extraction).__name__}")
    assert isinstance(extraction, Extraction)
    _require(extraction.extractor == extractor_id,
             f"{who}: Extraction.extractor must be the extractor's id {extractor_id!r}, "
             f"not {extraction.extractor!r}")
    _require(isinstance(extraction.mentions, tuple) and isinstance(extraction.relations, tuple),
             f"{who}: mentions and relations must be tuples (an Extraction is a frozen value)")
    allowed = set(allowed_types)
    for mention in extraction.mentions:
        _check_mention(mention, text, who, allowed)
    for relation in extraction.relations:
        _check_relation(relation, extraction.mentions, text, who)


def _check_mention(mention: object, text: str, who: str, allowed: set[str]) -> None:
    _require(isinstance(mention, Mention), f"{who}: {mention!r} is not an ontomed.values.Mention")
    assert isinstance(mention, Mention)
    start, end = mention.start, mention.end
    _require(type(start) is int and type(end) is int,
             f"{who}: mention offsets must be ints, not {start!r}, {end!r}")
    _require(0 <= start < end <= len(text),
             f"{who}: mention {mention.text!r} has span {start}..{end}, outside 0..{len(text)} "
             "or empty (offsets count characters of the str, not bytes or tokens)")
    _require(text[start:end] == mention.text,
             f"{who}: mention {mention.text!r} at {start}..{end} but text[{start}:{end}] is "
             f"{text[start:end]!r} (offsets count characters of the str, not bytes or tokens)")
    _require(mention.text.strip() == mention.text,
             f"{who}: mention {mention.text!r} starts or ends with white space: trim the span")
    _require(mention.type in allowed,
             f"{who}: mention {mention.text!r} has type {mention.type!r}, which is neither an "
             f"ontology class ({', '.join(sorted(ENTITY_CLASSES))}) nor declared in the extractor's "
             f"entity_types")
    _check_confidence(mention.confidence, f"{who}: mention {mention.text!r}")
    _require(mention.iri is None or _is_iri(mention.iri),
             f"{who}: mention {mention.text!r} has iri {mention.iri!r}: an absolute IRI or None")


def _check_confidence(value: object, who: str) -> None:
    _require(isinstance(value, (int, float)) and not isinstance(value, bool)
             and not math.isnan(value) and 0.0 <= value <= 1.0,
             f"{who}: confidence must be a number between 0 and 1, not {value!r}")


def _check_relation(relation: object, mentions: tuple[Mention, ...], text: str, who: str) -> None:
    _require(isinstance(relation, Relation), f"{who}: {relation!r} is not an ontomed.values.Relation")
    assert isinstance(relation, Relation)
    name = f"{who}: relation {relation.subject.text!r} {relation.predicate} {relation.object.text!r}"
    _require(relation.subject in mentions and relation.object in mentions,
             f"{name} joins mentions that are not in the same extraction's mentions")
    _require(relation.subject != relation.object, f"{name} relates a mention to itself")
    if relation.predicate not in RELATION_PREDICATES:
        local = relation.predicate.rsplit("#", 1)[-1]
        hint = (f" (write the full IRI {I.om(local)})" if local in I.PROPERTIES else "")
        raise AssertionError(f"{name}: predicate must be one of the ontology's object properties "
                             f"({', '.join(I.PROPERTIES)}) as a full om: IRI{hint}")
    _check_confidence(relation.confidence, name)
    _require(isinstance(relation.sentence, str) and relation.sentence.strip()
             and relation.sentence in text,
             f"{name}: sentence must be the part of the text it was read from, not "
             f"{_snippet(str(relation.sentence))}")
    _require(isinstance(relation.negated, bool) and isinstance(relation.speculative, bool),
             f"{name}: negated and speculative must be True or False")


def _same_extraction(a: Extraction, b: Extraction) -> bool:
    """Equal, but with confidences compared with a tolerance: a model run on a padded
    batch differs from a run on one text in the last bits of its floats."""
    if a.extractor != b.extractor or len(a.mentions) != len(b.mentions) \
            or len(a.relations) != len(b.relations):
        return False
    for x, y in zip(a.mentions, b.mentions):
        if (x.text, x.type, x.start, x.end, x.iri) != (y.text, y.type, y.start, y.end, y.iri) \
                or abs(x.confidence - y.confidence) > _CONFIDENCE_TOLERANCE:
            return False
    for r, s in zip(a.relations, b.relations):
        if (r.predicate, r.sentence, r.negated, r.speculative) != (s.predicate, s.sentence, s.negated,
                                                                   s.speculative) \
                or (r.subject.start, r.subject.end, r.object.start, r.object.end) != \
                (s.subject.start, s.subject.end, s.object.start, s.object.end) \
                or abs(r.confidence - s.confidence) > _CONFIDENCE_TOLERANCE:
            return False
    return True


def _brief(e: Extraction) -> str:
    mentions = ", ".join(f"{m.text!r}:{m.type}@{m.start}" for m in e.mentions)
    return f"{len(e.mentions)} mentions [{mentions}], {len(e.relations)} relations"


# -- readers ---------------------------------------------------------------------

def check_reader(reader: Reader, sources: Sequence[str | os.PathLike[str]] = (), *,
                 registered: Mapping[str, Reader] | None = None) -> list[Document]:
    """Check that ``reader`` keeps the reader contract on ``sources`` (files it reads).

    Checked: a unique id; ``extensions`` a tuple of lower-case suffixes with a
    dot; ``can_read`` answers True or False, also for a path that does not
    exist, and True for each of ``sources``; ``read`` yields
    :class:`Document` (with non-blank text) or :class:`SkippedDocument` (with a
    reason) items only, at least one Document per source; a source that does
    not exist raises an :class:`~ontomed.errors.OntomedError` with a one-line
    message, when it is read, not at import or construction.
    Returns the documents read.
    """
    ident = _check_component(reader, Reader, "reader", registered)
    who = f"reader {ident!r}"
    ext = reader.extensions
    _require(isinstance(ext, tuple) and all(isinstance(e, str) and e.startswith(".") and e == e.lower()
                                            for e in ext),
             f"{who}: extensions must be a tuple of lower-case suffixes such as '.jsonl', not {ext!r}")
    with tempfile.TemporaryDirectory() as tmp:
        missing = str(Path(tmp) / f"no-such-file{ext[0] if ext else '.txt'}")
        answer = reader.can_read(missing)
        _require(isinstance(answer, bool),
                 f"{who}: can_read must return True or False, not {answer!r}")
        try:
            items = reader.read(missing)
            _require(isinstance(items, Iterator),
                     f"{who}: read must return an iterator (write it as a generator), "
                     f"not {type(items).__name__}")
            list(items)
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - checked below
            _check_one_line_error(exc, who, "reading a file that does not exist")
        else:
            raise AssertionError(f"{who}: reading a file that does not exist must raise a one-line "
                                 "OntomedError (NotFoundError), not yield nothing")
    documents: list[Document] = []
    for source in sources:
        path = os.fspath(source)
        _require(reader.can_read(path) is True, f"{who}: can_read({path!r}) must be True for a sample source")
        found = 0
        items = reader.read(path)
        _require(isinstance(items, Iterator),
                 f"{who}: read must return an iterator (write it as a generator, so that a large "
                 f"source is streamed), not {type(items).__name__}")
        for item in items:
            if isinstance(item, SkippedDocument):
                _require(isinstance(item.reason, str) and item.reason.strip(),
                         f"{who}: a SkippedDocument from {path!r} must say why")
                continue
            _require(isinstance(item, Document),
                     f"{who}: read({path!r}) must yield Document or SkippedDocument, not "
                     f"{type(item).__name__}")
            _require(isinstance(item.text, str) and item.text.strip(),
                     f"{who}: read({path!r}) yielded a Document with blank text (yield a "
                     "SkippedDocument with the reason instead)")
            _require(item.id is None or isinstance(item.id, str),
                     f"{who}: Document.id must be a string or None, not {item.id!r}")
            _require(isinstance(item.metadata, Mapping),
                     f"{who}: Document.metadata must be a mapping, not {type(item.metadata).__name__}")
            documents.append(item)
            found += 1
        _require(found, f"{who}: read({path!r}) yielded no document")
    return documents


# -- linkers ---------------------------------------------------------------------

def check_linker(linker: Linker, mentions: Sequence[Mention] = (), *, kb: KnowledgeBase | None = None,
                 registered: Mapping[str, Linker] | None = None) -> dict[Mention, str | None]:
    """Check that ``linker`` keeps the linker contract on ``mentions``.

    Checked: a unique id; ``setup(None)`` works, and so does linking before
    any knowledge base was given; ``link`` answers an absolute IRI or None,
    the same answer twice, for ``mentions`` and for a made-up word. ``kb``,
    when given, is passed to ``setup`` afterwards. Returns each mention's IRI.
    """
    ident = _check_component(linker, Linker, "linker", registered)
    who = f"linker {ident!r}"
    probes = [Mention("zyxqvw", "Drug", 0, 6)]
    for probe in probes:
        try:
            answer = linker.link(probe)
        except Exception as exc:  # noqa: BLE001 - the message is the point
            raise AssertionError(f"{who}: link() before setup(kb) must work (answer None when there "
                                 f"is nothing to link against), not raise {type(exc).__name__}: {exc}") from exc
        _require(answer is None or _is_iri(answer),
                 f"{who}: link({probe.text!r}) must be an absolute IRI or None, not {answer!r}")
    if kb is not None:
        linker.setup(kb)
    out: dict[Mention, str | None] = {}
    for mention in [*mentions, *probes]:
        answer = linker.link(mention)
        _require(answer is None or _is_iri(answer),
                 f"{who}: link({mention.text!r}) must be an absolute IRI or None, not {answer!r}")
        _require(linker.link(mention) == answer,
                 f"{who}: link({mention.text!r}) answered differently the second time")
        out[mention] = answer
    return out


# -- text generators ---------------------------------------------------------------

def sample_facts() -> list[Fact]:
    """Two facts with labels and evidence, as a knowledge base hands them to a generator."""
    evidence = Evidence(document=I.document_iri("contract check"), extractor="curated:ontomed.testing",
                        text="Metformin is indicated for type 2 diabetes mellitus.", confidence=1.0)
    return [
        Fact(I.entity_iri("metformin"), I.om("treats"), I.entity_iri("type_2_diabetes_mellitus"),
             (evidence,), subject_label="metformin", object_label="type 2 diabetes mellitus"),
        Fact(I.entity_iri("metformin"), I.om("hasSideEffect"), I.entity_iri("nausea"),
             (evidence,), subject_label="metformin", object_label="nausea"),
    ]


def check_text_generator(generator: TextGenerator, facts: Sequence[Fact] | None = None, *,
                         languages: Sequence[str] = ("en",), require_labels: bool = True,
                         registered: Mapping[str, TextGenerator] | None = None,
                         **options: Any) -> dict[str, str]:
    """Check that ``generator`` keeps the text-generator contract.

    Checked: a unique id; ``setup(None)`` works; ``generate(facts, lang=...)``
    returns non-blank text for each of ``languages``, which for English names
    every subject and object by its label when ``require_labels`` (a generator
    that drops an entity has not stated the fact); no facts give a string (the
    empty string will do); an unknown language is either served or refused with
    a one-line :class:`~ontomed.errors.OntomedError`. ``options`` go to every
    ``generate`` call (a seed, a small ``max_new_tokens``). Returns the text per language.
    """
    ident = _check_component(generator, TextGenerator, "text generator", registered)
    who = f"text generator {ident!r}"
    facts = list(facts) if facts is not None else sample_facts()
    out: dict[str, str] = {}
    for lang in languages:
        text = generator.generate(facts, lang=lang, **options)
        _require(isinstance(text, str) and text.strip(),
                 f"{who}: generate({len(facts)} facts, lang={lang!r}) must return non-blank text, "
                 f"not {text!r}")
        if lang == "en" and require_labels:
            low = text.lower()
            for fact in facts:
                for label in (fact.subject_label, fact.object_label):
                    _require(label is None or label.lower() in low,
                             f"{who}: the English text does not name {label!r}: {_snippet(text, 200)}")
        out[lang] = text
    nothing = generator.generate([], lang=languages[0] if languages else "en", **options)
    _require(isinstance(nothing, str), f"{who}: generate([]) must return a string, not {nothing!r}")
    try:
        odd = generator.generate(facts, lang="x-no-such-language", **options)
    except Exception as exc:  # noqa: BLE001 - checked below
        _check_one_line_error(exc, who, "an unknown language")
    else:
        _require(isinstance(odd, str), f"{who}: generate(lang='x-no-such-language') must return a "
                                       f"string or raise BadInputError, not {odd!r}")
    return out


# -- plugins registered for one test ---------------------------------------------------------

@contextlib.contextmanager
def registered(*plugins: object) -> Iterator[Callable[..., None]]:
    """Register ``plugins`` (objects or modules with ``@hookimpl`` functions) on a freshly
    built plugin manager for the ``with`` block; yields a ``register(plugin, name=None)``
    that adds more. The manager is rebuilt on the way out, whatever happened inside."""
    from . import plugins as manager

    manager.reset()
    pm = manager.get_plugin_manager()

    def register(plugin: object, name: str | None = None) -> None:
        pm.register(plugin, name=name or f"test-plugin-{type(plugin).__name__}-{id(plugin):x}")

    try:
        for plugin in plugins:
            register(plugin)
        yield register
    finally:
        manager.reset()


try:
    import pytest as _pytest
except ImportError:  # the checks above work without pytest
    _pytest = None  # type: ignore[assignment]  # the checks above work without pytest

if _pytest is not None:
    @_pytest.fixture
    def register_plugin() -> Iterator[Callable[..., None]]:
        """``register_plugin(plugin, name=None)``: the plugin is registered for this test only
        (add ``pytest_plugins = ["ontomed.testing"]`` to your conftest.py to use it)."""
        with registered() as register:
            yield register
