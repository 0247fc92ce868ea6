"""Build the vocabulary (entities and curated facts of every source) and import it.

A build reads all entity sources (so entity IRIs never depend on which sources
are selected), merges them, and writes the selected sources' entities, facts
and evidence as N-Triples into a gzip cache file, while storing them. An import
from the cache parses that file with ``pyoxigraph.parse``, which keeps blank
node ids (``Store.bulk_load`` renames them, so a second import would duplicate
every evidence node), and stores the quads a million at a time through
Oxigraph's bulk writer. The cache lives in ``$XDG_CACHE_HOME/ontomed/vocab/`` (else
``~/.cache/ontomed/vocab/``) and is keyed by the source packages' versions,
ontomed's vocabulary code (a hash of the modules that shape the triples) and
the selected sources, so a ready build is reused until one of those changes.

The triples are set-like (evidence nodes have ids derived from fact and
evidence), so importing twice adds nothing.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import inspect
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from .. import iri as I
from ..kb import preferred_label
from ..files import atomic_write, cache_dir as user_cache_dir
from ..memory import no_gc
from ..kb.quads import QuadBuilder
from ..errors import BadInputError, OntomedError
from . import curated
from .merge import Merged, merge
from .records import DRUG, DRUG_CLASS, Record, SourceResult

if TYPE_CHECKING:
    from ..components import VocabularySource
    from ..kb import KnowledgeBase

#: The bundled vocabularies, in the order they are read (each a plugin: ontomed.vocab.sources).
SOURCES: tuple[str, ...] = ("drugs", "diseases", "hpo", "interactions")
_SOURCE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
#: The origin of the records :mod:`.curated` adds, and the source they are written with; the
#: curated names complete the bundled vocabularies, so they apply when all of these are read.
CURATED_ORIGIN, CURATED_SOURCE = "curated", "diseases"
BUNDLED_ENTITY_SOURCES = frozenset({"drugs", "diseases", "hpo"})
#: Symmetric properties: their facts are stored both ways, with the evidence annotating
#: one direction (subject < object in IRI order), so that it is not duplicated (architecture.md §3).
SYMMETRIC = frozenset({"interactsWith"})
#: Bump when the triples change in a way the code hash would not catch.
CACHE_FORMAT = 2
#: Besides ontomed/vocab/*.py, the modules whose code shapes the triples.
_CODE_FILES = ("kb/quads.py", "kb/store.py", "iri.py")
_RDFS_LABEL = ox.NamedNode(I.RDFS + "label")
_SKOS_ALT = ox.NamedNode(I.SKOS + "altLabel")
#: Quads are written and stored in chunks of this many: Oxigraph's bulk writer is
#: much faster from a list than from a lazy iterator.
CHUNK = 1_000_000

Progress = Callable[[str], None]


def registered_sources() -> dict[str, VocabularySource]:
    """Every vocabulary registered through ``register_vocabularies``, in reading order: the
    bundled ones first as :data:`SOURCES` lists them, then the others by id; entity sources
    before fact-only ones, which map their names onto the entities read before them."""
    from ..plugins import get_vocabularies

    found = get_vocabularies()
    for name in found:
        if not _SOURCE_ID.fullmatch(name):
            raise BadInputError(f"vocabulary id {name!r}: use lower-case letters, digits, '-' and '_' "
                                "(it names the cached build's file and goes in --sources)")
    order = {name: i for i, name in enumerate(SOURCES)}
    ids = sorted(found, key=lambda k: (not found[k].provides_entities, order.get(k, len(order)), k))
    return {k: found[k] for k in ids}


def source_names() -> tuple[str, ...]:
    """The ids ``--sources`` takes (:func:`registered_sources`' order)."""
    return tuple(registered_sources())


def parse_sources(names: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"drugs,hpo"`` → ``("drugs", "hpo")`` in reading order (None: every registered
    source); unknown names are bad input."""
    known = source_names()
    if names is None:
        return known
    items = [n.strip().lower() for n in (names.split(",") if isinstance(names, str) else names)]
    items = [n for n in items if n]
    unknown = [n for n in items if n not in known]
    if unknown:
        raise BadInputError(f"unknown source {unknown[0]!r} (known: {', '.join(known)})")
    if not items:
        raise BadInputError(f"no source given (known: {', '.join(known)})")
    return tuple(s for s in known if s in items)


@dataclass
class SourceSummary:
    """What one source brought: the numbers ``ontomed vocab import`` prints."""

    source: str
    version: str
    records: int = 0
    entities: int = 0
    synonyms: int = 0
    identifiers: int = 0
    facts: int = 0
    evidence: int = 0
    merged: int = 0
    unmapped: int = 0
    details: dict[str, int] = field(default_factory=dict)
    unmapped_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class VocabReport:
    """A build (or the cached one) and, after an import, what the import did."""

    sources: tuple[str, ...]
    summaries: dict[str, SourceSummary]
    merges: dict[str, int]
    entities: int
    triples: int
    build_seconds: float
    cache_file: str | None = None
    from_cache: bool = False
    import_seconds: float | None = None
    quads_added: int | None = None
    already_imported: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["sources"] = list(self.sources)
        out["summaries"] = {k: v.to_dict() for k, v in self.summaries.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VocabReport:
        data = dict(data)
        data["sources"] = tuple(data["sources"])
        data["summaries"] = {k: SourceSummary(**v) for k, v in data["summaries"].items()}
        return cls(**data)


# -- reading and merging ----------------------------------------------------

@dataclass
class Vocabulary:
    """Every source read and merged: ready to be written as triples."""

    results: dict[str, SourceResult]
    merged: Merged
    versions: dict[str, str]
    #: ``Record.origin`` → the source (``--sources`` name) its records belong to
    source_of_origin: dict[str, str] = field(default_factory=dict)
    #: source → the PyPI distribution its data comes from
    distributions: dict[str, str] = field(default_factory=dict)


def entity_records(records: Sequence[Record]) -> tuple[list[Record], Counter[str]]:
    """The entity sources' records with the curated names and lab-value rules applied
    (:mod:`.curated`), as the merge step takes them, and the counts of those rules."""
    rules: Counter[str] = Counter()
    return curated.apply(list(records), rules), rules


def read_vocabulary(sources: Sequence[str] | None = None, progress: Progress | None = None) -> Vocabulary:
    """Read every entity source (whichever are selected, so that entity IRIs never depend on
    the selection) and the selected fact-only ones, and merge."""
    step = progress or (lambda _: None)
    registry = registered_sources()
    selected = parse_sources(sources)
    results: dict[str, SourceResult] = {}
    records: list[Record] = []
    origin_of: dict[str, str] = {}
    for name, source in registry.items():
        if not source.provides_entities and name not in selected:
            continue
        step(name)
        try:
            result = source.read(list(records))
        except OntomedError:
            raise
        except Exception as exc:  # a third party's reader: say which source failed, in one line
            raise BadInputError(f"the {name!r} vocabulary could not be read: "
                                f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(result, SourceResult):
            raise BadInputError(f"the {name!r} vocabulary's read() returned {type(result).__name__}, "
                                "not a SourceResult")
        results[name] = result
        if source.provides_entities:
            for record in result.records:
                if record.origin not in source.origins:
                    raise BadInputError(f"the {name!r} vocabulary wrote a record of origin "
                                        f"{record.origin!r}, not one of its origins {source.origins}")
            records.extend(result.records)
        for origin in source.origins:
            origin_of.setdefault(origin, name)
    step("merge")
    same_as = [pair for result in results.values() for pair in result.same_as]
    curated_rules: Counter[str] = Counter()
    if BUNDLED_ENTITY_SOURCES <= set(results):  # the curated names complete the bundled vocabularies
        records, curated_rules = entity_records(records)
        origin_of.setdefault(CURATED_ORIGIN, CURATED_SOURCE)
    merged = merge(records, same_as)
    merged.rules.update(curated_rules)
    versions = {name: registry[name].version() for name in results}
    return Vocabulary(results, merged, versions, origin_of,
                      {name: registry[name].distribution for name in results})


# -- triples ------------------------------------------------------------------

SELF_LOOPS = "facts between records merged into one entity (left out)"


def vocabulary_quads(vocab: Vocabulary, sources: Sequence[str],
                     summaries: dict[str, SourceSummary] | None = None) -> Iterator[ox.Quad]:
    """The selected sources' entities, facts, evidence and documents as quads.

    An entity is written when one of its records comes from a selected source
    (with what those records say), or when a written fact needs it (then with
    everything its records say, so it has a label and a class). ``summaries``
    (by source) are filled in as the quads are produced.
    """
    builder = QuadBuilder()  # the contract's schema; every evidence node is built
    summaries = summaries if summaries is not None else {}
    facts = [(name, f) for name in sources if name in vocab.results
             for f in vocab.results[name].facts]
    needed = {vocab.merged.slug_of[k] for _, f in facts for k in (f.subject, f.object)
              if k in vocab.merged.slug_of}
    content = _EntityContent(vocab, sources)
    for entity in vocab.merged.entities:
        records = [r for r in entity.records if vocab.source_of_origin[r.origin] in sources]
        if not records:
            if entity.slug not in needed:
                continue
            records = list(entity.records)
        yield from content.quads(builder, entity, records, summaries)
    yield from _fact_quads(builder, vocab, facts, summaries)
    for name in sources:
        if name in vocab.results:
            package = f"{vocab.distributions[name]} {vocab.versions[name]}"
            for text, title, identifier in vocab.results[name].documents:
                yield from builder.document(text, title=title, identifier=identifier,
                                            source=package).quads


class _EntityContent:
    """What an entity's records say: classes, synonyms, identifiers, broader entities
    (HPO ``is_a``, MeSH tree parents) and labels in other languages."""

    def __init__(self, vocab: Vocabulary, sources: Sequence[str]) -> None:
        self.merged = vocab.merged
        self.source_of_origin = vocab.source_of_origin
        self.foreign: dict[str, dict[str, list[str]]] = {}
        for name in sources:
            for key, langs in (vocab.results[name].foreign_labels if name in vocab.results else {}).items():
                for lang, values in langs.items():
                    self.foreign.setdefault(key, {}).setdefault(lang, []).extend(values)
        self.tree_owner: dict[str, str] = {}
        #: MeSH id of a pharmacological action → its drug class entity: a drug that the
        #: source files under that action (its MeSH id claim) is a member (skos:broader)
        self.class_of_mesh: dict[str, str] = {}
        for entity in self.merged.entities:
            for record in entity.records:
                for tree in record.mesh_trees:
                    self.tree_owner.setdefault(tree, record.key)
                if record.kind == DRUG_CLASS:
                    for scheme, value in self.merged.identifiers[record.key]:
                        if scheme == "mesh":
                            self.class_of_mesh[value] = entity.slug

    def _parents(self, record: Record) -> list[str]:
        slug_of = self.merged.slug_of
        parents = [slug_of[p] for p in record.broader if p in slug_of]
        for tree in record.mesh_trees:
            parent_tree = tree.rsplit(".", 1)[0]
            if "." in tree and parent_tree in self.tree_owner:
                parents.append(slug_of[self.tree_owner[parent_tree]])
        if record.kind == DRUG:
            parents += [self.class_of_mesh[m] for m in record.mesh_claims if m in self.class_of_mesh]
        return parents

    def quads(self, builder: Any, entity: Any, records: list[Record],
              summaries: dict[str, SourceSummary]) -> list[ox.Quad]:
        seen = {entity.label.casefold()}
        synonyms: list[str] = []
        identifiers: list[tuple[str, str]] = []
        broader: list[str] = []
        added: dict[str, Counter[str]] = defaultdict(Counter)
        for record in records:
            source = self.source_of_origin[record.origin]
            for name in (record.label, *record.synonyms):
                if name.casefold() not in seen:
                    seen.add(name.casefold())
                    synonyms.append(name)
                    added[source]["synonyms"] += 1
            for pair in self.merged.identifiers[record.key]:
                if pair not in identifiers:
                    identifiers.append(pair)
                    added[source]["identifiers"] += 1
            for parent in self._parents(record):
                if parent != entity.slug and parent not in broader:
                    broader.append(parent)
        labels: dict[str, list[str]] = {}
        foreign_synonyms: list[tuple[str, str]] = []
        for record in entity.records:
            for lang, values in self.foreign.get(record.key, {}).items():
                labels.setdefault(lang, []).extend(v for v in values if v not in labels.get(lang, []))
        for lang, values in list(labels.items()):  # one label per language, the others synonyms
            if len(values) > 1:
                keep = preferred_label(values)
                labels[lang] = [keep]
                foreign_synonyms += [(v, lang) for v in values if v != keep]
        for source in {self.source_of_origin[r.origin] for r in records}:
            if source in summaries:
                summary = summaries[source]
                summary.entities += 1
                summary.synonyms += added[source]["synonyms"]
                summary.identifiers += added[source]["identifiers"]
                if len(entity.records) > 1:
                    summary.merged += sum(1 for r in entity.records
                                          if self.source_of_origin[r.origin] == source)
        written = builder.entity(
            "ome:" + entity.slug, list(entity.classes), entity.label,
            labels=labels, synonyms=synonyms, identifiers=identifiers,
            broader=["ome:" + b for b in broader])
        quads = list(written.quads)
        subject = ox.NamedNode(written.iri)
        for value, lang in foreign_synonyms:
            quads.append(ox.Quad(subject, _SKOS_ALT, ox.Literal(value, language=lang)))
        return quads


def _fact_quads(builder: Any, vocab: Vocabulary, facts: list[tuple[str, Any]],
                summaries: dict[str, SourceSummary]) -> Iterator[ox.Quad]:
    """Each fact once (a symmetric one in one direction), with all its evidence."""
    slug_of = vocab.merged.slug_of
    distinct: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    asserted: set[tuple[str, str, str]] = set()
    for name, fact in facts:
        s, o = slug_of.get(fact.subject), slug_of.get(fact.object)
        if s is None or o is None:
            continue
        summary = summaries.get(name)
        if s == o:
            if summary is not None:
                summary.details[SELF_LOOPS] = summary.details.get(SELF_LOOPS, 0) + 1
            continue
        if fact.prop in SYMMETRIC and o < s:
            s, o = o, s  # one fact per pair, whichever drug the record names first
        key = (s, fact.prop, o)
        distinct[name].add(key)
        written = builder.fact("ome:" + s, fact.prop, "ome:" + o, fact.evidence)
        if summary is not None:  # evidence nodes: one per (fact, record), however often listed
            summary.evidence += written.evidence_nodes
        # the fact is said once however much evidence it has (a symmetric one both ways);
        # its ends' declarations are left out, their entity quads made them already
        if key not in asserted:
            asserted.add(key)
            yield from written.statements
        yield from written.evidence
    for name, keys in distinct.items():
        if name in summaries:
            summaries[name].facts = len(keys)


# -- the cache ----------------------------------------------------------------

def cache_dir() -> Path:
    return user_cache_dir("vocab")


def cache_key(sources: Sequence[str]) -> str:
    """Source package versions + the code that shapes the triples + the selection."""
    here = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"format {CACHE_FORMAT}\n".encode())
    for name, source in registered_sources().items():
        if source.provides_entities or name in sources:
            digest.update(f"{name} {source.version()}\n".encode())
            if not type(source).__module__.startswith("ontomed."):
                # a third party's reader shapes the triples as much as its data does
                with contextlib.suppress(TypeError, OSError):
                    digest.update(inspect.getsource(sys.modules[type(source).__module__]).encode())
    code = sorted((here / "vocab").glob("*.py")) + [here / rel for rel in _CODE_FILES]
    for path in code:
        digest.update(path.name.encode() + b"\n" + path.read_bytes())
    digest.update(",".join(sources).encode())
    return digest.hexdigest()[:20]


def _cache_paths(sources: Sequence[str], directory: Path) -> tuple[Path, Path]:
    stem = f"{'-'.join(sources)}.{cache_key(sources)}"
    return directory / f"{stem}.nt.gz", directory / f"{stem}.json"


def build_vocabulary(sources: Sequence[str] | None = None, *, directory: Path | None = None,
                     progress: Progress | None = None, force: bool = False,
                     sink: Callable[[list[ox.Quad]], None] | None = None) -> VocabReport:
    """The build for ``sources``: from the cache when it is there, else built and cached.

    ``sink`` receives the quads, a chunk at a time (``KnowledgeBase.add_quads``),
    as they are built or read back from the cache.
    """
    sources = parse_sources(sources)
    directory = directory or cache_dir()
    data_path, report_path = _cache_paths(sources, directory)
    if not force and data_path.is_file() and report_path.is_file():
        try:
            report = VocabReport.from_dict(json.loads(report_path.read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            report = None  # an unreadable report: build again
        if report is not None:
            report.cache_file, report.from_cache = str(data_path), True
            if sink is None:
                return report
            if progress:
                progress("load")
            try:
                with gzip.open(data_path, "rb") as f, no_gc():
                    for chunk in _chunks(ox.parse(f, ox.RdfFormat.N_TRIPLES), CHUNK):
                        sink(chunk)
                return report
            except (OSError, EOFError, SyntaxError):
                # a damaged cache file: build again (what it had stored is stored again,
                # which adds nothing)
                data_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with no_gc():
        return _build(sources, directory, data_path, report_path, started, progress, sink)


def _build(sources: tuple[str, ...], directory: Path, data_path: Path, report_path: Path,
           started: float, progress: Progress | None,
           sink: Callable[[list[ox.Quad]], None] | None) -> VocabReport:
    vocab = read_vocabulary(sources, progress)
    summaries = {name: SourceSummary(name, vocab.versions[name]) for name in sources}
    for name in sources:
        result = vocab.results[name]
        summaries[name].records = len(result.records)
        summaries[name].details.update({k: int(v) for k, v in result.counts.items()})
        summaries[name].unmapped = len(result.unmapped)
        summaries[name].unmapped_names = list(result.unmapped)
    if progress:
        progress("write")
    directory.mkdir(parents=True, exist_ok=True)
    triples = 0
    with atomic_write(data_path) as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as out:
            for chunk in _chunks(vocabulary_quads(vocab, sources, summaries), CHUNK):
                ox.serialize(chunk, out, ox.RdfFormat.N_TRIPLES)
                triples += len(chunk)
                if sink is not None:
                    sink(chunk)
        for old in directory.glob(f"{'-'.join(sources)}.*"):
            old.unlink(missing_ok=True)  # earlier builds of the same selection
    report = VocabReport(
        sources=sources, summaries=summaries, merges=dict(sorted(vocab.merged.rules.items())),
        entities=len(vocab.merged.entities), triples=triples,
        build_seconds=round(time.perf_counter() - started, 1), cache_file=str(data_path))
    report_path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), "utf-8")
    return report


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_vocabulary(kb: KnowledgeBase, sources: str | Sequence[str] | None = None, *,
                      progress: bool | None = None, force: bool = False,
                      directory: Path | None = None) -> VocabReport:
    """Bring the selected sources into ``kb`` (initializing its ontology if needed).

    ``progress``: a tqdm bar on stderr (None: only on a terminal). ``force``:
    rebuild even when a cached build exists. Importing again adds nothing, and
    when nothing that can delete (a SPARQL update) has touched the knowledge base
    since this very build was imported, it does not even read the build again: a
    second instead of a minute (see :meth:`KnowledgeBase.stamp`).
    """
    from tqdm import tqdm

    selected = parse_sources(sources)
    started = time.perf_counter()
    kb.initialize()
    stamp = f"vocabulary:{','.join(selected)}"
    build_key = cache_key(selected)
    done = None if force else kb.stamped(stamp)
    if isinstance(done, dict) and done.get("build") == build_key:
        try:
            report = VocabReport.from_dict(done["report"])
        except (KeyError, TypeError, ValueError):
            report = None
        if report is not None:
            report.already_imported, report.quads_added = True, 0
            report.import_seconds = round(time.perf_counter() - started, 1)
            return report
    before = len(kb)
    bar = tqdm(desc="vocab", unit=" triples", unit_scale=True, leave=False,
               disable=None if progress is None else not progress)

    probe: list[ox.Quad] = []

    def store(chunk: list[ox.Quad]) -> None:
        kb.add_quads(chunk)
        bar.update(len(chunk))
        step = max(len(chunk) // 16, 1)  # a sample of every chunk, to check later that it is there
        probe.extend(q for q in chunk[::step] if not isinstance(q.subject, ox.BlankNode)
                     and not isinstance(q.object, ox.BlankNode) and q.predicate != _RDFS_LABEL)

    try:
        report = build_vocabulary(selected, directory=directory, force=force, sink=store,
                                  progress=lambda stage: bar.set_description(f"vocab: {stage}"))
    finally:
        bar.close()
    kb.tidy_labels()  # the vocabulary's labels beside those of data loaded before it
    report.quads_added = len(kb) - before
    report.import_seconds = round(time.perf_counter() - started, 1)
    kb.stamp(stamp, {"build": build_key, "report": {
        k: v for k, v in report.to_dict().items()
        if k not in ("import_seconds", "quads_added", "already_imported")}},
        probe=probe[:: max(len(probe) // 64, 1)])
    return report
