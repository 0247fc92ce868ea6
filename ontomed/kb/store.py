"""The knowledge base: a pyoxigraph store plus ontomed's provenance conventions.

Hot paths (load, query) hand work straight to Oxigraph and return its own
result objects, so a query through ``KnowledgeBase`` costs what it costs in
raw pyoxigraph (architecture.md §4). Everything ontomed adds (entities, facts with
evidence, exports) is written as plain triples any SPARQL client can read.

On disk a knowledge base is a directory::

    KB/
      store/          the Oxigraph (RocksDB) store
      ontomed.json    bookkeeping: format version, files already loaded
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import io
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import pyoxigraph as ox

from .. import iri as I
from ..errors import (
    AmbiguousError,
    BadInputError,
    NotFoundError,
    QuerySyntaxError,
    RDFSyntaxError,
    StoreError,
)
from . import backend as backends
from . import remote as remotes
from .backend import Backend, Graph, Object, Subject
from .ontology import bundled_ontology_path, store_version
from ..files import write_json
from .formats import check_rdf_xml, guess_rdf_format, rdf_format
from ..values import Entity, Evidence, Fact
from .quads import QuadBuilder, document_quads, term
from .query_text import MAX_NESTING, check_nesting, syntax_error_message

MEMORY = ":memory:"
STORE_DIR = "store"
META_FILE = "ontomed.json"
KB_FORMAT_VERSION = 1
#: Files above this size go through Oxigraph's bulk loader (atomic, and 3-4x
#: faster than a transaction from about 100k triples on); smaller ones load in
#: one transaction, which does not write a new set of files per load.
BULK_THRESHOLD = 1024 * 1024
#: How many of the quads a stamp covers are kept to check that they are still there.
_PROBE = 64

_RDF_TYPE = ox.NamedNode(I.RDF + "type")
_RDFS_LABEL = ox.NamedNode(I.RDFS + "label")
_SKOS_ALT = ox.NamedNode(I.SKOS + "altLabel")
_SKOS_MATCH = ox.NamedNode(I.SKOS + "exactMatch")
_SKOS_BROADER = ox.NamedNode(I.SKOS + "broader")
_SKOS_DEF = ox.NamedNode(I.SKOS + "definition")
_NAMED_INDIVIDUAL = ox.NamedNode(I.OWL + "NamedIndividual")
_OWL_AXIOM = ox.NamedNode(I.OWL + "Axiom")
_ANN_SOURCE = ox.NamedNode(I.OWL + "annotatedSource")
_ANN_PROPERTY = ox.NamedNode(I.OWL + "annotatedProperty")
_ANN_TARGET = ox.NamedNode(I.OWL + "annotatedTarget")
_DEFAULT = ox.DefaultGraph()

_EVIDENCE_FIELDS = {
    I.WAS_DERIVED_FROM: "document",
    I.EVIDENCE_TEXT: "text",
    I.EXTRACTED_BY: "extractor",
    I.CONFIDENCE: "confidence",
    I.SOURCE_RECORD: "source_record",
    I.GENERATED_AT_TIME: "generated_at",
}


@dataclass(frozen=True)
class AddReport:
    """What one ``add_facts`` did."""

    facts: int
    new_facts: int
    evidence_added: int


@dataclass(frozen=True)
class LoadReport:
    """What one ``load`` did."""

    source: str
    format: str
    quads: int
    graph: str | None
    skipped: bool = False
    sha256: str = ""
    loaded_at: str | None = None


class _ProgressReader(io.RawIOBase):
    """A binary file that reports the bytes read to a progress bar."""

    def __init__(self, raw: BinaryIO, progress: Any = None) -> None:
        self._raw, self._progress = raw, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if self._progress is not None:
            self._progress.update(n)
        return n


def _progress_bar(enabled: bool | None, total: int, desc: str) -> Any:
    """A tqdm bar on stderr; ``None`` shows it only on a terminal, False never."""
    if enabled is False:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=None if enabled is None else not enabled, leave=False)


def _rdf_syntax_error(exc: SyntaxError, source: str) -> RDFSyntaxError:
    msg = str(exc.args[0]) if exc.args else str(exc)
    line = exc.lineno if isinstance(exc.lineno, int) else None
    col = exc.offset if isinstance(exc.offset, int) else None
    # Oxigraph's message already says "at line L column C"; keep only the reason.
    for marker in (": ",):
        if msg.startswith("Parser error") and marker in msg:
            msg = msg.split(marker, 1)[1]
    return RDFSyntaxError(msg, source=source, line=line, column=col)


def _python_value(node: Any) -> Any:
    if isinstance(node, ox.Literal):
        dt = node.datatype.value
        if dt == I.XSD + "decimal" or dt == I.XSD + "double" or dt == I.XSD + "float":
            return float(node.value)
        if dt == I.XSD + "integer":
            return int(node.value)
        if dt == I.XSD + "boolean":
            return node.value == "true"
        if dt == I.XSD + "dateTime":
            with contextlib.suppress(ValueError):
                return _dt.datetime.fromisoformat(node.value.replace("Z", "+00:00"))
        return node.value
    return node.value


def preferred_label(labels: Iterable[str]) -> str:
    """Which of an entity's labels in one language is its ``rdfs:label``: a name written
    as a terminology writes it (an initial capital: "Polyuria", "Type 2 diabetes
    mellitus") before one all in lower case, then the shorter, then the first in code
    point order. It depends on the labels only, never on the order they were loaded."""
    return min(labels, key=lambda label: (label == label.lower() and label != label.upper(),
                                          len(label), label))


def _evidence_from(pairs: Iterable[tuple[str, Any]]) -> tuple[tuple[str, str, str] | None, Evidence | None]:
    """One annotation node's (property, value) pairs: the fact it annotates and its evidence."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    source = prop = target = None
    for pred, obj in pairs:
        if pred == _ANN_SOURCE.value:
            source = obj.value
        elif pred == _ANN_PROPERTY.value:
            prop = obj.value
        elif pred == _ANN_TARGET.value:
            target = obj.value
        elif pred in _EVIDENCE_FIELDS:
            values[_EVIDENCE_FIELDS[pred]] = _python_value(obj)
        elif pred != _RDF_TYPE.value:
            extra[I.shorten(pred).removeprefix("om:")] = _python_value(obj)
    if source is None or prop is None or target is None or "document" not in values:
        return None, None
    values.setdefault("extractor", "unknown")
    return (source, prop, target), Evidence(annotations=extra, **values)


def _node(value: Any) -> Any:
    """A string as a named node (an IRI); terms and None unchanged."""
    return term(value) if isinstance(value, str) else value


class KnowledgeBase:
    """A medical knowledge graph in an Oxigraph store, on disk or in memory.

    >>> kb = KnowledgeBase()                      # in memory
    >>> kb = KnowledgeBase("ontomed-kb")          # on disk, created if missing
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *,
                 read_only: bool = False, create: bool = True, backend: Backend | None = None) -> None:
        if path is not None and not str(path).strip():
            raise BadInputError("an empty path names no knowledge base (give a directory, or ':memory:')")
        #: where the knowledge base is, as the user named it (a directory, ":memory:", a URL)
        self.location = str(path) if path is not None else MEMORY
        remote = remotes.is_url(path)
        self.path: Path | None = None if path in (None, MEMORY) or remote else Path(path)
        self.read_only = read_only
        #: the bookkeeping file: beside the store; for a server, in the user's cache directory
        self._meta_path: Path | None = self.path / META_FILE if self.path is not None else None
        self._meta: dict[str, Any] = {"format": KB_FORMAT_VERSION, "loads": {}}
        self._object_properties: frozenset[str] | None = None
        self._symmetric: frozenset[str] | None = None
        self._classes: frozenset[str] | None = None
        #: The store (:class:`ontomed.kb.backend.Backend`). Only the ``kb`` package calls it;
        #: code above reads and writes through this class's methods, whatever the backend.
        self.backend: Backend
        self._memory = False
        if backend is not None:
            if path is not None:
                raise BadInputError("give a knowledge base directory or a backend, not both")
            self.backend = backend
            return
        if remote:
            assert isinstance(path, str)
            endpoints = remotes.Endpoints.from_url(path)
            self.backend = remotes.RemoteBackend(endpoints)
            self.read_only = read_only or endpoints.update is None
            self._meta_path = remotes.bookkeeping_file(endpoints)
            self._read_meta(read_only)
            return
        if self.path is None:
            self.backend, self._memory = backends.in_memory(), True
            return
        self.backend = backends.open_embedded(self.path / STORE_DIR, kb_path=self.path,
                                              create=create, read_only=read_only)
        self._read_meta(read_only)

    def _read_meta(self, read_only: bool) -> None:
        meta_path = self._meta_path
        if meta_path is None:
            return
        if meta_path.exists():
            try:
                self._meta = json.loads(meta_path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise StoreError(f"{meta_path}: unreadable bookkeeping file ({exc})") from exc
        elif not read_only:
            self._save_meta()

    @property
    def store(self) -> Backend:
        """The backend under its old name (kept for scripts written against it)."""
        return self.backend

    @property
    def in_memory(self) -> bool:
        """True for an embedded store that lives and dies with this process (no directory)."""
        return self._memory

    @property
    def closed(self) -> bool:
        return self.backend is None

    def close(self) -> None:
        """Flush to disk and release the store (the lock is released when it is collected).
        Closing twice is harmless."""
        if self.backend is None:
            return
        if not self.in_memory and not self.read_only:
            self.backend.flush()
        closer = getattr(self.backend, "close", None)  # a remote store's connections
        if callable(closer):
            closer()
        self.backend = None  # type: ignore[assignment]  # closed: no caller may use it again

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.backend)

    def __repr__(self) -> str:
        return f"KnowledgeBase({self.location!r})"

    def _save_meta(self) -> None:
        if self._meta_path is None:
            return
        self._meta_path.parent.mkdir(parents=True, exist_ok=True)
        write_json(self._meta_path, self._meta, indent=2, sort_keys=True)

    # -- the ontology ------------------------------------------------------
    def is_initialized(self) -> bool:
        """True when the ontomed ontology is in the store."""
        onto = ox.NamedNode(I.ONTOLOGY)
        return any(True for _ in self.backend.quads_for_pattern(
            onto, _RDF_TYPE, ox.NamedNode(I.OWL + "Ontology"), _DEFAULT))

    def initialize(self) -> bool:
        """Load the bundled ontology into the default graph; False when already there."""
        if self.is_initialized():
            return False
        path = bundled_ontology_path()
        try:
            self.backend.load(path=str(path), format=ox.RdfFormat.RDF_XML)
        except SyntaxError as exc:  # a broken installation, not user input
            raise StoreError(str(_rdf_syntax_error(exc, str(path)))) from None
        self._object_properties = self._classes = self._symmetric = None
        self.flush()
        return True

    def ontology_version(self) -> str | None:
        """The ``owl:versionInfo`` of the ontology in the store (None without one)."""
        return store_version(self.backend)

    def upgrade_ontology(self) -> Any:
        """Replace an older ontomed ontology in the store by the bundled one, in one
        transaction, the data kept (:func:`ontomed.ops.upgrade.upgrade`); None when it is
        current. A newer ontology than the bundled one is refused (no downgrade)."""
        from ..ops.upgrade import upgrade

        self._check_writable()
        report = upgrade(self)
        if report is not None:
            self._object_properties = self._classes = None
        return report

    def classes(self) -> frozenset[str]:
        """IRIs declared owl:Class in the store, plus the contract's classes."""
        if self._classes is None:
            found = {
                q.subject.value
                for q in self.backend.quads_for_pattern(None, _RDF_TYPE, ox.NamedNode(I.OWL + "Class"), _DEFAULT)
                if isinstance(q.subject, ox.NamedNode)
            }
            self._classes = frozenset(found | {I.OM + c for c in I.CLASSES})
        return self._classes

    def object_properties(self) -> frozenset[str]:
        """IRIs declared owl:ObjectProperty in the store, plus the contract's seven."""
        if self._object_properties is None:
            found = {
                q.subject.value
                for q in self.backend.quads_for_pattern(
                    None, _RDF_TYPE, ox.NamedNode(I.OWL + "ObjectProperty"), _DEFAULT)
                if isinstance(q.subject, ox.NamedNode)
            }
            self._object_properties = frozenset(found | {I.OM + p for p in I.PROPERTIES})
        return self._object_properties

    def symmetric_properties(self) -> frozenset[str]:
        """IRIs declared owl:SymmetricProperty in the store, plus om:interactsWith. Their
        facts are stored both ways (architecture.md §3), the evidence annotating one direction."""
        if self._symmetric is None:
            found = {
                q.subject.value
                for q in self.backend.quads_for_pattern(
                    None, _RDF_TYPE, ox.NamedNode(I.OWL + "SymmetricProperty"), _DEFAULT)
                if isinstance(q.subject, ox.NamedNode)
            }
            self._symmetric = frozenset(found | {I.OM + "interactsWith"})
        return self._symmetric

    # -- one preferred label per language ------------------------------------
    def tidy_labels(self, entities: Iterable[str] | None = None) -> int:
        """Leave each entity one ``rdfs:label`` per language; the others become ``skos:altLabel``.

        Several sources can label one entity in one language ("Polyuria"@en from the
        vocabularies, "polyuria"@en from the example data), and every list of names
        would then show it twice. The label kept does not depend on the order things
        were loaded in (:func:`preferred_label`). ``entities``: only these (IRIs);
        default every entity under ``ome:``. Returns how many labels became synonyms.
        """
        if self.read_only:
            return 0
        by_entity: dict[tuple[ox.NamedNode, str], list[ox.Literal]] = {}
        if entities is None:
            query = f"""
                SELECT ?e ?l WHERE {{
                  {{ SELECT ?e ?lang WHERE {{
                      ?e rdfs:label ?x FILTER(isIRI(?e) && STRSTARTS(STR(?e), "{I.ENTITY}"))
                    }} GROUP BY ?e (LANG(?x) AS ?lang) HAVING (COUNT(*) > 1) }}
                  ?e rdfs:label ?l FILTER(LANG(?l) = ?lang)
                }}"""
            for row in self.select(query):
                label = row["l"]
                if isinstance(label, ox.Literal):
                    by_entity.setdefault((row["e"], label.language or ""), []).append(label)
        else:
            for iri in entities:
                node = term(I.entity_iri(iri))
                for q in self.backend.quads_for_pattern(node, _RDFS_LABEL, None, _DEFAULT):
                    if isinstance(q.object, ox.Literal):
                        by_entity.setdefault((node, q.object.language or ""), []).append(q.object)
        demoted = 0
        for (node, _lang), labels in by_entity.items():
            if len(labels) < 2:
                continue
            keep = preferred_label([label.value for label in labels])
            for label in labels:
                if label.value != keep:
                    self.backend.remove(ox.Quad(node, _RDFS_LABEL, label, _DEFAULT))
                    self.backend.add(ox.Quad(node, _SKOS_ALT, label, _DEFAULT))
                    demoted += 1
        return demoted

    # -- loading -----------------------------------------------------------
    def load(self, path: str | os.PathLike[str], *, format: str | None = None,
             graph: str | None = None, force: bool = False,
             progress: bool | None = False, base_iri: str | None = None) -> LoadReport:
        """Import an RDF file; all or nothing.

        A malformed file raises :class:`RDFSyntaxError` (file, line, column)
        and leaves the store exactly as it was: small files load in one
        transaction, bigger ones through Oxigraph's bulk loader, which is
        atomic too (it ingests what it built only once the whole file parsed).
        Loading the same file (same SHA-256) into the same graph again is
        skipped, since its blank nodes would otherwise be duplicated, unless
        ``force`` is set. ``LoadReport.quads`` is the number of quads added.
        """
        self._check_writable()
        src = Path(path)
        if not src.is_file():
            raise NotFoundError(f"{src}: no such file")
        fmt = rdf_format(format) if format else guess_rdf_format(src)
        to_graph = term(graph) if graph else _DEFAULT
        if graph and fmt.supports_datasets:
            raise BadInputError(f"{src}: --graph cannot be used with {fmt.name}, which names its own graphs")
        base = base_iri or src.resolve().as_uri()
        try:
            with open(src, "rb") as f:
                sha = hashlib.file_digest(f, "sha256").hexdigest()
        except OSError as exc:
            raise BadInputError(f"{src}: cannot read ({exc.strerror})") from exc
        if fmt == ox.RdfFormat.RDF_XML:
            check_rdf_xml(src, str(src))
        key = self._load_key(sha, graph)
        if key in self._meta["loads"] and not force:
            prior = self._meta["loads"][key]
            return LoadReport(str(src), fmt.name, 0, graph, True, sha, prior.get("at"))
        size = src.stat().st_size
        before = len(self.backend)
        pending = self._meta.setdefault("pending", {})
        if key in pending and not force and self._loaded_before(src, fmt, base, to_graph):
            # a load killed after the store took the file, before it was recorded: record it
            # now instead of loading it again (its blank nodes would be added a second time)
            self._meta["loads"][key] = {**pending.pop(key), "quads": None}
            self._save_meta()
            return LoadReport(str(src), fmt.name, 0, graph, True, sha, self._meta["loads"][key]["at"])
        when = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        if not self.in_memory:
            pending[key] = {"source": str(src), "graph": graph, "at": when}
            self._save_meta()
        bar = _progress_bar(progress, total=size, desc=src.name)
        try:
            with open(src, "rb") as f:
                reader = cast(IO[bytes], _ProgressReader(f, bar))  # a raw binary file, as Oxigraph reads it
                if size > BULK_THRESHOLD and not self.in_memory:
                    self.backend.bulk_load(input=reader, format=fmt, base_iri=base, to_graph=to_graph)
                else:
                    self.backend.load(input=reader, format=fmt, base_iri=base, to_graph=to_graph)
        except (SyntaxError, OSError) as exc:
            pending.pop(key, None)  # nothing was loaded
            self._save_meta()
            if isinstance(exc, SyntaxError):
                raise _rdf_syntax_error(exc, str(src)) from None
            raise StoreError(f"{src}: {exc}") from exc
        finally:
            if bar is not None:
                bar.close()
        if not graph:
            self.tidy_labels()
        self.flush()
        added = len(self.backend) - before
        self._meta["loads"][key] = {"source": str(src), "quads": added, "graph": graph, "at": when}
        self._meta["pending"].pop(key, None)
        self._save_meta()
        self._object_properties = self._classes = self._symmetric = None
        return LoadReport(str(src), fmt.name, added, graph, False, sha, when)

    def _loaded_before(self, src: Path, fmt: ox.RdfFormat, base: str, graph: Any) -> bool:
        """Did a load of ``src`` that was never recorded reach the store? Loads are all or
        nothing, so the file's first quads without blank nodes (up to 50) answer it."""
        sample = []
        try:
            for q in ox.parse(path=str(src), format=fmt, base_iri=base):
                if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object)):
                    sample.append(ox.Quad(q.subject, q.predicate, q.object,
                                          graph if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name))
                    if len(sample) == 50:
                        break
        except (SyntaxError, OSError):
            return False
        return bool(sample) and all(q in self.backend for q in sample)

    @staticmethod
    def _load_key(sha: str, graph: str | None) -> str:
        return sha if not graph else f"{sha} {graph}"

    def load_data(self, data: str | bytes, format: str, *, graph: str | None = None,
                  base_iri: str | None = None) -> int:
        """Import RDF given as a string; returns the number of quads added."""
        self._check_writable()
        fmt = rdf_format(format)
        if fmt == ox.RdfFormat.RDF_XML:
            check_rdf_xml(data.encode("utf-8") if isinstance(data, str) else data, "data")
        before = len(self.backend)
        try:
            self.backend.load(input=data, format=fmt, base_iri=base_iri,
                            to_graph=term(graph) if graph else _DEFAULT)
        except SyntaxError as exc:
            raise _rdf_syntax_error(exc, "data") from None
        self._object_properties = self._classes = self._symmetric = None
        return len(self.backend) - before

    def _check_writable(self) -> None:
        if self.read_only:
            if remotes.is_url(self.location):
                raise StoreError(f"the knowledge base at {self.location} is a SPARQL server, opened "
                                 "read-only: load into the server with its own loader")
            raise StoreError("this knowledge base was opened read-only")

    def flush(self) -> None:
        if not self.in_memory and not self.read_only:
            self.backend.flush()

    def files_fingerprint(self) -> str | None:
        """A cheap fingerprint of the store's data files (RocksDB tables and non-empty logs).

        Unchanged files mean unchanged data, so a cache of something computed from
        the store (the compiled vocabulary, the diagnosis model) is still valid
        when this is; a changed fingerprint says only that something may have
        changed. ``None`` in memory or when the files cannot be listed.
        """
        if self.path is None:
            return None
        self.flush()  # writes still in memory must reach the files to be seen
        digest = hashlib.sha256()
        try:
            entries = sorted(os.scandir(self.path / STORE_DIR), key=lambda e: e.name)
            for entry in entries:
                if entry.name.endswith((".sst", ".log")):
                    size = entry.stat().st_size
                    if size:
                        digest.update(f"{entry.name}:{size};".encode())
        except OSError:
            return None
        return digest.hexdigest()

    # -- SPARQL ------------------------------------------------------------
    def query(self, sparql: str, *, prefixes: Mapping[str, str] | None = None,
              max_depth: int | None = MAX_NESTING,
              **options: Any) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run SPARQL on Oxigraph's engine; returns Oxigraph's own result object.

        The ``om:``, ``ome:``, ``rdfs:``, ``skos:``, ``prov:`` … prefixes are
        predeclared. Oxigraph lists ``SELECT *``'s variables alphabetically;
        :func:`ontomed.kb.query_text.star_columns` gives the query's own order. Extra keyword arguments go to ``pyoxigraph.Store.query``
        (``default_graph``, ``named_graphs``, ``use_default_graph_as_union``, ``base_iri``).
        ``max_depth``: deeper bracket nesting is refused before the engine sees it (its
        parser would crash the process, not say why); None when the caller checked already
        (the endpoint's guard).
        """
        known = dict(prefixes or I.PREFIXES)
        if max_depth is not None:
            check_nesting(sparql, max_depth)
        try:
            return self.backend.query(sparql, prefixes=known, **options)
        except SyntaxError as exc:
            raise QuerySyntaxError(syntax_error_message(exc, sparql, known)) from None
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def select(self, sparql: str, **options: Any) -> ox.QuerySolutions:
        """Run a SELECT query (as :meth:`query`) and return its solutions; another query form is
        bad input. Typed, so a caller iterating rows needs no cast."""
        result = self.query(sparql, **options)
        if not isinstance(result, ox.QuerySolutions):
            form = "an ASK" if isinstance(result, ox.QueryBoolean) else "a CONSTRUCT or DESCRIBE"
            raise BadInputError(f"expected a SELECT query, not {form} query")
        return result

    def ask(self, sparql: str, **options: Any) -> bool:
        """Run an ASK query (as :meth:`query`); another query form is bad input."""
        result = self.query(sparql, **options)
        if not isinstance(result, ox.QueryBoolean):
            raise BadInputError("expected an ASK query")
        return bool(result)

    # -- quads and graphs (what code above the kb package reads instead of the store) --
    def quads(self, subject: str | Subject | None = None,
              predicate: str | ox.NamedNode | None = None, object: str | Object | None = None,
              graph: str | Graph | None = None) -> Iterator[ox.Quad]:
        """The quads matching a pattern; ``None`` matches anything, ``graph=None`` every graph
        (``ox.DefaultGraph()`` only the default graph, where facts and entities live). A string
        is an IRI. Lazy: stopping early reads no more of the store than was needed."""
        return self.backend.quads_for_pattern(
            _node(subject), _node(predicate), _node(object), _node(graph))

    def has_quad(self, subject: str | Subject | None = None, predicate: str | ox.NamedNode | None = None,
                 object: str | Object | None = None, graph: str | Graph | None = None) -> bool:
        """Is there at least one quad matching the pattern (as for :meth:`quads`)?"""
        return any(True for _ in self.quads(subject, predicate, object, graph))

    def has_graph(self, graph: str | Graph) -> bool:
        """Does the store hold the named graph (possibly empty)?"""
        return self.backend.contains_named_graph(_node(graph))

    def create_graph(self, graph: str | Graph) -> None:
        """Create an empty named graph (no-op when it exists)."""
        self._check_writable()
        self.backend.add_graph(_node(graph))

    def dump(self, output: Any, format: ox.RdfFormat, *, graph: str | Graph | None = None) -> None:
        """Serialize the store, or one graph (``ox.DefaultGraph()`` for the default one), to a
        path or a binary file; a dataset format without ``graph`` writes every graph."""
        if graph is None:
            self.backend.dump(output, format)
        else:
            self.backend.dump(output, format, from_graph=_node(graph))

    def backup(self, target_directory: str | os.PathLike[str]) -> None:
        """A consistent copy of the store's files in a new directory (the embedded store's
        checkpoint: hard links where it can). :func:`ontomed.ops.backup.backup` adds the
        bookkeeping and the report."""
        try:
            self.backend.backup(str(target_directory))
        except OSError as exc:
            raise StoreError(f"backup to {target_directory} failed: {exc}") from exc

    def update(self, sparql: str, *, base_iri: str | None = None,
               max_depth: int | None = MAX_NESTING) -> None:
        """Run a SPARQL 1.1 Update (``max_depth`` as for :meth:`query`).

        The update may delete, so what :meth:`stamp` recorded no longer holds; it may
        declare classes and properties, so the schema is read again on next use.
        """
        self._check_writable()
        if max_depth is not None:
            check_nesting(sparql, max_depth)
        self.note_removal()
        try:
            self.backend.update(sparql, base_iri=base_iri, prefixes=dict(I.PREFIXES))
        except SyntaxError as exc:
            raise QuerySyntaxError(syntax_error_message(exc, sparql, I.PREFIXES)) from None
        except OSError as exc:
            raise StoreError(f"update failed: {exc}") from exc
        finally:
            self._forget_schema()

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction (named graphs are created as needed)."""
        self._check_writable()
        try:
            self.backend.extend(quads)
        except OSError as exc:
            raise StoreError(f"write failed: {exc}") from exc
        finally:
            self._forget_schema()

    def drop_graph(self, graph: ox.NamedNode | ox.DefaultGraph) -> None:
        """Remove a named graph, or empty the default graph."""
        self._check_writable()
        self.note_removal()
        try:
            if isinstance(graph, ox.NamedNode):
                self.backend.remove_graph(graph)
            else:
                self.backend.clear_graph(graph)
        finally:
            self._forget_schema()

    def _forget_schema(self) -> None:
        self._object_properties = self._classes = self._symmetric = None

    # -- writing entities and facts ----------------------------------------
    def add_entity(self, name_or_iri: str, cls: str, label: str, *,
                   labels: Mapping[str, str | Iterable[str]] | None = None,
                   synonyms: Iterable[str] = (),
                   identifiers: Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]] = (),
                   broader: Iterable[str] = (), definition: str | None = None,
                   lang: str = "en") -> str:
        """Declare an entity (an OWL named individual of ``cls``); returns its IRI.

        ``identifiers`` maps a scheme (mesh, drugbank, hpo, omim, icd10, hgnc,
        …) to one id or several, recorded as ``skos:exactMatch`` IRIs in their
        usual resolvable form. Adding the same entity again adds only what is new.
        """
        self._check_writable()
        written = self.quad_builder().entity(name_or_iri, cls, label, labels=labels,
                                             synonyms=synonyms, identifiers=identifiers,
                                             broader=broader, definition=definition, lang=lang)
        self.backend.extend(written.quads)
        self.tidy_labels([written.iri])
        return written.iri

    def add_fact(self, subject: str, prop: str, object: str,
                 evidence: Evidence | Iterable[Evidence] | None = None) -> Fact:
        """Assert ``subject prop object`` with its evidence as OWL axiom annotations.

        Each piece of evidence becomes one annotation node whose identity is
        a hash of the fact, the document, the sentence, the extractor and the
        source record, so adding the same fact with the same evidence twice
        changes nothing.
        """
        self._check_writable()
        written = self.quad_builder().fact(subject, prop, object, evidence)
        self.backend.extend(written.quads)
        return written.fact

    def add_facts(self, facts: Iterable[tuple[str, str, str, Evidence | Iterable[Evidence] | None]],
                  *, also: Iterable[ox.Quad] = ()) -> AddReport:
        """Add many facts in one transaction; says how many facts and evidence nodes were new.

        ``also``: quads written in the same transaction (the documents the facts come
        from), so a process killed half-way leaves all of them or none.
        """
        self._check_writable()
        batch: list[ox.Quad] = list(also)
        builder = self.quad_builder()
        seen: set[tuple[str, str, str]] = set()
        n = new = 0
        for s, p, o, ev in facts:
            written = builder.fact(s, p, o, ev)
            fact = written.fact
            key = (fact.subject, fact.predicate, fact.object)
            if key not in seen and not self.has_fact(*key):
                new += 1
            seen.add(key)
            batch.extend(written.quads)
            n += 1
        self.backend.extend(batch)
        return AddReport(n, new, len(builder.pending))

    def has_fact(self, subject: str, prop: str, object: str) -> bool:
        """Is ``subject prop object`` asserted (in the default graph)?"""
        s, p, o = (term(I.entity_iri(subject)), term(I.property_iri(prop)), term(I.entity_iri(object)))
        return any(True for _ in self.backend.quads_for_pattern(s, p, o, _DEFAULT))

    def has_document(self, iri: str) -> bool:
        return any(True for _ in self.backend.quads_for_pattern(
            term(iri), _RDF_TYPE, ox.NamedNode(I.OM + "Document"), _DEFAULT))

    def add_document(self, text: str, *, title: str | None = None,
                     identifier: str | None = None, source: str | None = None) -> str:
        """Record a source document (identified by the hash of its text); returns its IRI."""
        self._check_writable()
        written = document_quads(text, title=title, identifier=identifier, source=source)
        self.backend.extend(written.quads)
        return written.iri

    # -- bulk writing --------------------------------------------------------
    def quad_builder(self) -> QuadBuilder:
        """Entities, facts and documents as quads, by the same rules as ``add_entity``,
        ``add_fact`` and ``add_document``, without writing them: for imports of
        hundreds of thousands of facts, written at once with :meth:`add_quads`."""
        return QuadBuilder(classes=self.classes(), properties=self.object_properties(),
                           symmetric=self.symmetric_properties(), recorded=self._has_evidence_node)

    def _has_evidence_node(self, node_id: str) -> bool:
        return any(True for _ in self.backend.quads_for_pattern(
            ox.BlankNode(node_id), _RDF_TYPE, _OWL_AXIOM, _DEFAULT))

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Write ready-made quads with Oxigraph's bulk writer.

        Much faster than a transaction for millions of quads, but not atomic:
        an interrupted call leaves some of them written. Writing the same quads
        again adds nothing (blank node ids are kept as given), so re-running an
        interrupted import completes it.
        """
        self._check_writable()
        try:
            self.backend.bulk_extend(quads)
        except OSError as exc:
            raise StoreError(f"bulk write failed: {exc}") from exc
        self._object_properties = self._classes = self._symmetric = None
        self.flush()

    # -- reading entities --------------------------------------------------
    def find_entities(self, name: str) -> list[str]:
        """IRIs of entities whose label or synonym equals ``name``, case-insensitively.

        Preferred labels rank before synonyms. The usual spellings of the name
        (as given, lower case, Capitalized, Title Case, UPPER CASE; English,
        Chinese, French or untagged) are looked up in the store's index first,
        which takes milliseconds however large the knowledge base; only when
        none of them is there does a case-insensitive scan of every label run
        (a second or more on a knowledge base holding the full vocabularies).
        """
        text = name.strip()
        if not text:
            return []
        # str(Literal) is the N-Triples form, escaped, so it is safe to splice in.
        spellings = dict.fromkeys((text, text.lower(), text[:1].upper() + text[1:].lower(),
                                   text.title(), text.upper()))
        literals = " ".join(str(ox.Literal(s, language=lang)) if lang else str(ox.Literal(s))
                            for s in spellings for lang in ("en", "zh", "fr", None))
        exact = f"""
            SELECT ?e (MIN(?rank) AS ?r) WHERE {{
              VALUES ?l {{ {literals} }}
              {{ ?e rdfs:label ?l BIND(0 AS ?rank) }} UNION {{ ?e skos:altLabel ?l BIND(1 AS ?rank) }}
              FILTER(isIRI(?e))
            }} GROUP BY ?e ORDER BY ?r STR(?e)"""
        rows = list(self.select(exact))
        if rows:
            return [row["e"].value for row in rows]
        scan = f"""
            SELECT ?e (MIN(?rank) AS ?r) WHERE {{
              VALUES ?name {{ {ox.Literal(text)} }}
              {{ ?e rdfs:label ?l BIND(0 AS ?rank) }} UNION {{ ?e skos:altLabel ?l BIND(1 AS ?rank) }}
              FILTER(isIRI(?e) && LCASE(STR(?l)) = LCASE(?name))
            }} GROUP BY ?e ORDER BY ?r STR(?e)"""
        rows = list(self.select(scan))
        return [row["e"].value for row in rows]

    def resolve(self, iri_or_label: str) -> str:
        """One entity IRI for an IRI, ``ome:slug`` or a label; raises when unknown or ambiguous."""
        text = iri_or_label.strip()
        if I.is_iri(text) or text.startswith("ome:"):
            iri = I.entity_iri(text)
            if any(True for _ in self.backend.quads_for_pattern(term(iri), None, None)):
                return iri
            raise NotFoundError(f"no entity {iri} in the knowledge base")
        found = self.find_entities(text)
        if not found:
            raise NotFoundError(f"no entity labelled {text!r} in the knowledge base")
        preferred = [e for e in found if self._has_label(e, text)]
        if len(preferred) == 1:
            return preferred[0]
        if len(found) == 1:
            return found[0]
        raise AmbiguousError(f"{text!r} names {len(found)} entities: " + ", ".join(found[:10]), found)

    def _has_label(self, iri: str, text: str) -> bool:
        return any(
            q.object.value.lower() == text.lower()
            for q in self.backend.quads_for_pattern(ox.NamedNode(iri), _RDFS_LABEL, None, _DEFAULT)
        )

    def entity(self, iri_or_label: str) -> Entity:
        """Labels, types, identifiers, facts (both directions) and evidence of one entity."""
        iri = self.resolve(iri_or_label)
        node = ox.NamedNode(iri)
        labels: dict[str, list[str]] = {}
        types, synonyms, matches, broader = [], [], [], []
        definition = None
        for q in self.backend.quads_for_pattern(node, None, None, _DEFAULT):
            p, o = q.predicate.value, q.object
            if p == _RDFS_LABEL.value and isinstance(o, ox.Literal):
                labels.setdefault(o.language or "", []).append(o.value)
            elif p == _RDF_TYPE.value and o.value != _NAMED_INDIVIDUAL.value:
                types.append(o.value)
            elif p == _SKOS_ALT.value:
                synonyms.append(o.value)
            elif p == _SKOS_MATCH.value:
                matches.append(o.value)
            elif p == _SKOS_BROADER.value:
                broader.append(o.value)
            elif p == _SKOS_DEF.value and definition is None:
                definition = o.value
        label = (labels.get("en") or labels.get("") or next(iter(labels.values()), [None]))[0]
        identifiers = tuple(x for x in (I.identifier_from_iri(m) for m in sorted(matches)) if x)
        outgoing = self.facts(subject=iri)
        return Entity(
            iri=iri, label=label, types=tuple(sorted(types)),
            labels={k: tuple(sorted(v)) for k, v in labels.items()},
            synonyms=tuple(sorted(synonyms)), identifiers=identifiers,
            exact_matches=tuple(sorted(matches)), broader=tuple(sorted(broader)),
            definition=definition, facts=tuple(outgoing),
            # a symmetric fact is stored both ways, so it is among both (with the same evidence)
            incoming=tuple(self.facts(object=iri)),
        )

    def facts(self, *, subject: str | None = None, predicate: str | None = None,
              object: str | None = None) -> list[Fact]:
        """Asserted object-property facts matching a pattern, each with its evidence."""
        props = self.object_properties()
        s = ox.NamedNode(subject) if subject else None
        p = ox.NamedNode(I.property_iri(predicate)) if predicate else None
        o = ox.NamedNode(object) if object else None
        found: dict[tuple[str, str, str], list[Evidence]] = {}
        for q in self.backend.quads_for_pattern(s, p, o, _DEFAULT):
            if q.predicate.value in props and isinstance(q.object, ox.NamedNode):
                found.setdefault((q.subject.value, q.predicate.value, q.object.value), [])
        self._collect_evidence(found, subject=subject, object=object)
        return [
            Fact(fs, fp, fo, tuple(evs), self.label(fs), self.label(fo))
            for (fs, fp, fo), evs in sorted(found.items())
        ]

    def _collect_evidence(self, found: dict[tuple[str, str, str], list[Evidence]], *,
                          subject: str | None, object: str | None) -> None:
        """Fill ``found`` (fact → evidence list) with one SPARQL query over the annotation nodes.

        The nodes are reached from the fixed end of the pattern (``annotatedTarget``
        when the object is fixed, else ``annotatedSource``), so an entity with
        thousands of facts costs one pass over its annotations, not one per fact. One
        query rather than a pattern read per node: an annotation node is a blank node,
        which a remote store can name only within one answer.
        """
        if not found:
            return
        if object:
            anchors = [(_ANN_TARGET, object)]
        elif subject:
            anchors = [(_ANN_SOURCE, subject)]
        else:
            anchors = [(_ANN_SOURCE, fs) for fs in sorted({key[0] for key in found})]
        symmetric = self.symmetric_properties()
        if any(key[1] in symmetric for key in found):
            # a symmetric fact's evidence annotates one direction: look from the other end too
            flipped = {_ANN_TARGET: _ANN_SOURCE, _ANN_SOURCE: _ANN_TARGET}
            anchors += [(flipped[a], v) for a, v in anchors]
        values = " ".join(f"({a} {term(v)})" for a, v in dict.fromkeys(anchors))
        nodes: dict[Any, list[tuple[str, Any]]] = {}
        for row in self.select(f"SELECT DISTINCT ?a ?p ?v WHERE {{ VALUES (?anchor ?end) {{ {values} }} "
                               "?a ?anchor ?end . ?a ?p ?v }"):
            nodes.setdefault(row["a"], []).append((row["p"].value, row["v"]))
        for pairs in nodes.values():
            key, ev = _evidence_from(pairs)
            if ev is None or key is None:
                continue
            if key in found:
                found[key].append(ev)
            elif key[1] in symmetric and (key[2], key[1], key[0]) in found:
                found[(key[2], key[1], key[0])].append(ev)
        for evs in found.values():
            evs.sort(key=lambda e: (-(e.confidence or 0.0), e.document, e.text or ""))

    def label(self, iri: str) -> str | None:
        """The entity's English ``rdfs:label``, else an untagged one, else any; None without."""
        best = None
        for q in self.backend.quads_for_pattern(ox.NamedNode(iri), _RDFS_LABEL, None, _DEFAULT):
            lang = getattr(q.object, "language", None)
            if lang == "en":
                return q.object.value
            if best is None or not lang:
                best = q.object.value
        return best

    # -- export ------------------------------------------------------------
    def export(self, dest: str | os.PathLike[str] | IO[bytes], format: str = "ttl", *,
               graph: str | None = None) -> None:
        """Serialize the store (:func:`ontomed.kb.export.export`)."""
        from .export import export

        export(self, dest, format, graph=graph)

    def export_protege(self, dest: str | os.PathLike[str] | IO[bytes]) -> int:
        """Ontology + knowledge base as one OWL 2 DL RDF/XML file for Protégé
        (:func:`ontomed.kb.export.export_protege`); returns the number of triples written."""
        from .export import export_protege

        return export_protege(self, dest)

    # -- statistics --------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts a person wants first: triples, graphs, entities, facts, documents."""
        from .stats import compute_stats

        return compute_stats(self)

    def adjacency(self, properties: Iterable[str] | None = None,
                  classes: Iterable[str] | None = None) -> Any:
        """The facts as a scipy CSR matrix over a stable entity index
        (:func:`ontomed.apps.adjacency.adjacency`; ``.to_torch()`` for torch)."""
        from ..apps.adjacency import adjacency

        return adjacency(self, None if properties is None else list(properties),
                         None if classes is None else list(classes))

    def loads(self) -> list[dict[str, Any]]:
        """Files loaded so far (source, quads, graph, when)."""
        return sorted(self._meta["loads"].values(), key=lambda r: r.get("at") or "")

    # -- what is known to be in the store ------------------------------------
    def stamp(self, name: str, value: Any, probe: Iterable[ox.Quad] = ()) -> None:
        """Record that ``name`` (a vocabulary build, say) is in the store, with ``value``.

        :meth:`stamped` gives ``value`` back for as long as nothing may have
        removed it: no write that can delete (a SPARQL update, a Graph Store
        PUT or DELETE, counted by :meth:`note_removal`) happened since, and the
        ``probe`` quads (a sample of what was written) are all still there,
        which catches a store replaced or emptied behind ontomed's back. Not the
        store's file fingerprint: RocksDB compacts in the background after a
        bulk write, so the files change for a while after the data stopped
        changing. Kept in ``ontomed.json``; nothing is kept in memory.
        """
        if self._meta_path is None or self.read_only:
            return
        quads = [str(q) for q in itertools.islice(probe, _PROBE)]
        self._meta.setdefault("stamps", {})[name] = {
            "removals": self.removals(), "probe": quads, "value": value}
        self._save_meta()

    def stamped(self, name: str) -> Any:
        """The value :meth:`stamp` recorded for ``name``, while it still holds; else None."""
        record = self._meta.get("stamps", {}).get(name)
        if record is None or record.get("removals") != self.removals():
            return None
        try:
            probe = [q for q in ox.parse(" .\n".join(record.get("probe", [])) + " .\n",
                                         ox.RdfFormat.N_QUADS)] if record.get("probe") else []
        except SyntaxError:
            return None
        if not all(q in self.backend for q in probe):
            return None
        return record.get("value")

    def note_removal(self) -> None:
        """Count a write that may have removed quads (what :meth:`stamp` relies on)."""
        if self._meta_path is None or self.read_only:
            return
        self._meta["removals"] = self.removals() + 1
        self._save_meta()

    def removals(self) -> int:
        """How many writes that may delete (SPARQL updates, Graph Store PUT and DELETE)
        this knowledge base has seen, as ``ontomed.json`` says now: a server's query
        workers see the count its writer keeps."""
        if self._meta_path is not None:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self._meta["removals"] = json.loads(self._meta_path.read_text("utf-8")).get(
                    "removals", 0)
        return int(self._meta.get("removals", 0))

