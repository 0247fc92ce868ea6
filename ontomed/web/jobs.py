"""The work the endpoint hands to the engine: plain functions of a knowledge base.

Each job takes the :class:`~ontomed.kb.KnowledgeBase` and keyword arguments
that pickle (strings, bytes, lists), and returns something that pickles: a
worker process runs them against its own read-only handle (architecture.md §8), the
in-memory engine runs them in a thread. Results are serialized here, in the
worker, by Oxigraph's own serializers, so the web process only moves bytes.

A result's body is usually not written by the job itself: the job returns an
:class:`Outcome` whose body is a *writer*, a function that serializes into a
binary file. The worker runs it into its pipe, so a big result streams to the
client while Oxigraph is still evaluating it (see worker.py); the in-memory
engine runs it into a buffer.

Formats cross the process boundary as file extensions (``json``, ``ttl``):
Oxigraph's format objects do not pickle.

The row cap is exact and never silent: results are first written as TSV
(SELECT) or N-Triples (graphs), where one line is one row or one triple even
when a literal holds a newline, and the writer is stopped after ``max_rows``
lines. When the client asked for another format, Oxigraph parses those lines
back and writes them in that format; measured on a 40k-row OPTIONAL query this
costs the same as serializing JSON directly, because evaluation dominates.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import IO, Any

import pyoxigraph as ox

from .. import iri as I
from ..errors import NotFoundError, OntomedError, StoreError
from ..kb.formats import check_rdf_xml
from ..kb import KnowledgeBase
from ..kb.query_text import reorder_tsv, star_columns
from . import guard, protocol
from .describe import entity_page, entity_rdf_query
from .errors import HTTPError
from .negotiation import (
    GRAPH_MEDIA_TYPES,
    RESULT_MEDIA_TYPES,
    media_type,
    not_acceptable,
)

TSV = ox.QueryResultsFormat.TSV
NT = ox.RdfFormat.N_TRIPLES
_PREFIXED = (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.TRIG)


#: A function that writes a serialized answer into a binary file.
Writer = Callable[[IO[bytes]], None]


@dataclass(frozen=True)
class Outcome:
    """A serialized answer: the body, its format, and whether the row cap cut it.

    ``body`` is bytes; or, as a job returns it, a :data:`Writer`; or, as the
    process engine returns a streamed answer, an iterable of chunks with a
    ``close()`` that must be called (a WSGI server does; :meth:`read` does).
    """

    body: bytes | Writer | Iterable[bytes]
    media_type: str | None
    truncated: bool = False
    rows: int | None = None
    created: bool = False

    def read(self) -> bytes:
        """The whole body as bytes, whatever form it has."""
        body = self.body
        if isinstance(body, (bytes, bytearray)):
            return bytes(body)
        if callable(body):
            buffer = io.BytesIO()
            body(buffer)
            return buffer.getvalue()
        try:
            return b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def written(self) -> Outcome:
        """This outcome with its body as bytes."""
        return self if isinstance(self.body, bytes) else replace(self, body=self.read())


def _lazy(write: Writer) -> Writer:
    """A writer whose evaluation errors (they surface while writing) become a 400."""

    def run(output: IO[bytes]) -> None:
        try:
            write(output)
        except OSError as exc:
            raise HTTPError(400, f"query evaluation failed: {exc}") from None

    return run


class _Stop(Exception):
    """Raised from the sink to stop Oxigraph's writer at the row cap."""


class _LineCap(io.RawIOBase):
    """A binary sink that keeps the first ``limit`` lines and then stops the writer."""

    def __init__(self, limit: int) -> None:
        self.limit, self.lines, self.truncated = limit, 0, False
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        n = data.count(b"\n")
        if self.lines + n > self.limit:
            cut = -1
            for _ in range(self.limit - self.lines):
                cut = data.index(b"\n", cut + 1)
            self.chunks.append(data[: cut + 1])
            self.lines, self.truncated = self.limit, True
            raise _Stop
        self.lines += n
        self.chunks.append(data)
        return len(data)

    def value(self) -> bytes:
        return b"".join(self.chunks)


def _capped(write: Callable[[Any], None], limit: int) -> tuple[bytes, bool, int]:
    """Run ``write(sink)`` keeping ``limit`` lines: (bytes, truncated, lines)."""
    sink = _LineCap(limit)
    try:
        write(sink)
    except (_Stop, OSError):
        if not sink.truncated:
            raise
    return sink.value(), sink.truncated, sink.lines


# -- SPARQL -------------------------------------------------------------------

def query(kb: KnowledgeBase, *, text: str | None = None, results_format: str | None = None,
          graph_format: str | None = None, max_rows: int, base_iri: str | None = None,
          default_graph: list[str] | None = None, named_graphs: list[str] | None = None,
          union: bool = False, max_depth: int = guard.DEFAULT_MAX_DEPTH,
          allowed_services: Sequence[str] = (), form: bytes | None = None,
          url_params: Sequence[tuple[str, str]] = (), accept: str | None = None) -> Outcome:
    """Run a SPARQL query and serialize its answer in whichever of the two formats fits.

    The guard reads the text first, here in the worker rather than in the web
    process: reading a 16 MiB query takes seconds of Python, which in the web
    process would hold up every other request and here counts against the
    query's own deadline. For the same reason a query sent as a URL-encoded
    form arrives as the raw ``form`` body (with the URL's ``url_params`` and the
    ``accept`` header) and is decoded and negotiated here (see protocol.py).
    """
    if form is not None:
        params = protocol.form_params(form, url_params)
        text = protocol.one(params.get("query", []), "query")
        results_format, graph_format = protocol.formats(accept, (params.get("format") or [None])[0])
        default_graph = protocol.valid_graphs(params.get("default-graph-uri", []), "default-graph-uri")
        named_graphs = protocol.valid_graphs(params.get("named-graph-uri", []), "named-graph-uri")
    if text is None:
        raise HTTPError(400, "the request has no query")
    guard.inspect(text, max_depth=max_depth, allowed_services=allowed_services)
    options: dict[str, Any] = {}
    if default_graph or named_graphs:  # the protocol's dataset; none given: the store's own
        options["default_graph"] = [_graph(g) for g in default_graph or []]
        options["named_graphs"] = [_graph(g) for g in named_graphs or []]
    elif union:
        options["use_default_graph_as_union"] = True
    # the guard checked the nesting (to the configured depth)
    result = kb.query(text, base_iri=base_iri, max_depth=None, **options)
    try:
        if isinstance(result, ox.QueryBoolean):
            fmt = results_format_for(_need(results_format, "a boolean result", RESULT_MEDIA_TYPES))
            return Outcome(result.serialize(format=fmt) or b"", media_type(fmt))
        if isinstance(result, ox.QuerySolutions):
            fmt = results_format_for(_need(results_format, "SPARQL results", RESULT_MEDIA_TYPES))
            return solutions(result, fmt, max_rows, star_columns(text, [v.value for v in result.variables]))
        graph = rdf_format_for(_need(graph_format, "an RDF graph", GRAPH_MEDIA_TYPES))
        return triples(result.serialize, graph, max_rows)
    except OSError as exc:  # evaluation is lazy: errors surface while writing
        raise HTTPError(400, f"query evaluation failed: {exc}") from None


def solutions(result: ox.QuerySolutions, fmt: ox.QueryResultsFormat, max_rows: int,
              columns: Sequence[str] | None = None) -> Outcome:
    """Rows as ``fmt``: written as they are evaluated, or (with a cap) once the cap has decided.

    ``columns``: the order of ``SELECT *``'s columns when it is not Oxigraph's (alphabetical,
    see :func:`ontomed.kb.query_text.star_columns`); such a result is put in that order
    through TSV, so it is held until complete rather than streamed.
    """
    if not max_rows and columns is None:
        return Outcome(_lazy(lambda out: result.serialize(out, format=fmt)), media_type(fmt))
    body, truncated, lines = _capped(lambda sink: result.serialize(sink, TSV), max_rows + 1 if max_rows else 2**62)
    if columns is not None:
        body = reorder_tsv(body, columns)
    rows = max(lines - 1, 0)
    if fmt == TSV:
        return Outcome(body, media_type(fmt), truncated, rows)
    return Outcome(_lazy(lambda out: ox.parse_query_results(body, TSV).serialize(out, format=fmt)),
                   media_type(fmt), truncated, rows)


def triples(write: Callable[..., Any], fmt: ox.RdfFormat, max_rows: int) -> Outcome:
    """Serialize a graph given as ``write(output, format)`` (a query result or a dump)."""
    if not max_rows and fmt not in _PREFIXED:
        return Outcome(_lazy(lambda out: write(out, fmt)), media_type(fmt))
    body, truncated, lines = _capped(lambda sink: write(sink, NT), max_rows or 2**62)
    if fmt == NT:
        return Outcome(body, media_type(fmt), truncated, lines)
    opts = {"prefixes": dict(I.PREFIXES)} if fmt in _PREFIXED else {}
    return Outcome(_lazy(lambda out: ox.serialize(ox.parse(body, NT), out, format=fmt, **opts)),
                   media_type(fmt), truncated, lines)


def sparql_update(kb: KnowledgeBase, *, text: str | None = None, base_iri: str | None = None,
                  max_depth: int = guard.DEFAULT_MAX_DEPTH, allowed_services: Sequence[str] = (),
                  using: Sequence[str] = (), using_named: Sequence[str] = (),
                  form: bytes | None = None, url_params: Sequence[tuple[str, str]] = ()) -> Outcome:
    """A SPARQL update from a client: the guard (LOAD refused, SERVICE allow-listed), the
    protocol's ``using-graph-uri`` / ``using-named-graph-uri`` as USING clauses, then
    :func:`update`. Read here in the writer, under the deadline (see :func:`query`),
    from a URL-encoded ``form`` body when the update came as one."""
    if form is not None:
        params = protocol.form_params(form, url_params)
        text = protocol.one(params.get("update", []), "update")
        using = protocol.valid_graphs(params.get("using-graph-uri", []), "using-graph-uri")
        using_named = protocol.valid_graphs(params.get("using-named-graph-uri", []),
                                            "using-named-graph-uri")
    if text is None:
        raise HTTPError(400, "the request has no update")
    guard.inspect(text, max_depth=max_depth, allowed_services=allowed_services, update=True)
    return update(kb, text=guard.add_using(text, using, using_named), base_iri=base_iri)


def update(kb: KnowledgeBase, *, text: str, base_iri: str | None = None) -> Outcome:
    """Through :meth:`KnowledgeBase.update`, which also forgets what the update may have
    changed (the stamps, the schema it reads classes and properties from)."""
    try:
        kb.update(text, base_iri=base_iri, max_depth=None)  # the guard checked the nesting
    except StoreError as exc:  # the store refused the update: the client's to fix
        raise HTTPError(400, str(exc)) from exc
    return Outcome(b"", None)


def results_format_for(ext: str) -> ox.QueryResultsFormat:
    fmt = ox.QueryResultsFormat.from_extension(ext)
    if fmt is None:
        raise HTTPError(400, f"unknown results format {ext!r}")
    return fmt


def rdf_format_for(ext: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_extension(ext)
    if fmt is None:
        raise HTTPError(400, f"unknown RDF format {ext!r}")
    return fmt


def _need(fmt: Any, what: str, offered: dict[str, Any]) -> Any:
    if fmt is None:
        raise not_acceptable(f"{what} (what this query returns)", offered)
    return fmt


def _graph(name: str | None) -> ox.NamedNode | ox.DefaultGraph:
    if name is None:
        return ox.DefaultGraph()
    try:
        return ox.NamedNode(name)
    except ValueError:
        raise HTTPError(400, f"not a valid graph IRI: {name!r}") from None


# -- the Graph Store HTTP Protocol ---------------------------------------------

def _existing(kb: KnowledgeBase, graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    g = _graph(graph)
    if isinstance(g, ox.NamedNode) and not kb.has_graph(g):
        raise NotFoundError(f"no graph {graph} in this store")
    return g


def graph_get(kb: KnowledgeBase, *, graph: str | None, fmt: str, max_rows: int) -> Outcome:
    g = _existing(kb, graph)
    return triples(lambda out, f: kb.dump(out, f, graph=g), rdf_format_for(fmt), max_rows)


def _parse(data: bytes, fmt: ox.RdfFormat, base_iri: str | None) -> list[ox.Triple]:
    if fmt == ox.RdfFormat.RDF_XML:
        check_rdf_xml(data, "the body")
    try:
        return [q.triple for q in ox.parse(data, fmt, base_iri=base_iri)]
    except SyntaxError as exc:
        raise HTTPError(400, f"the {fmt.name} body does not parse: {exc}") from None


def graph_put(kb: KnowledgeBase, *, graph: str | None, data: bytes, fmt: str,
              base_iri: str | None = None) -> Outcome:
    """Replace a graph in one transaction (one SPARQL update: clear, then insert)."""
    g = _graph(graph)
    created = isinstance(g, ox.NamedNode) and not kb.has_graph(g)
    parsed = _parse(data, rdf_format_for(fmt), base_iri)
    body = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in parsed)
    if isinstance(g, ox.NamedNode):
        text = f"DROP SILENT GRAPH {g} ; CREATE SILENT GRAPH {g} ; INSERT DATA {{ GRAPH {g} {{ {body} }} }}"
    else:
        text = f"CLEAR SILENT DEFAULT ; INSERT DATA {{ {body} }}"
    update(kb, text=text)
    return Outcome(b"", None, created=created)


def graph_post(kb: KnowledgeBase, *, graph: str | None, data: bytes, fmt: str,
               base_iri: str | None = None) -> Outcome:
    """Add to a graph in one transaction."""
    g = _graph(graph)
    created = isinstance(g, ox.NamedNode) and not kb.has_graph(g)
    triples_ = _parse(data, rdf_format_for(fmt), base_iri)
    if created:
        kb.create_graph(g)  # an empty POST still creates the graph
    kb.extend(ox.Quad(t.subject, t.predicate, t.object, g) for t in triples_)
    return Outcome(b"", None, created=created)


def graph_delete(kb: KnowledgeBase, *, graph: str | None) -> Outcome:
    kb.drop_graph(_existing(kb, graph))
    return Outcome(b"", None)


# -- pages and metadata ------------------------------------------------------

def stats(kb: KnowledgeBase) -> dict[str, Any]:
    return kb.stats()


def entity_rdf(kb: KnowledgeBase, *, iri: str, fmt: str, max_rows: int) -> Outcome:
    """An entity's triples and the evidence about its facts, for a client asking for RDF."""
    node = _graph(iri)
    if not isinstance(node, ox.NamedNode) or not kb.has_quad(node):
        raise NotFoundError(f"no entity {iri} in the knowledge base")
    return query(kb, text=entity_rdf_query(iri), results_format=None, graph_format=fmt,
                 max_rows=max_rows)


def search_names(kb: KnowledgeBase, *, text: str, types: Sequence[str] = (), limit: int = 20) -> list[dict[str, Any]]:
    """``ontomed search`` for the header's search box: the same index and ranking."""
    from ..kb.names import search

    return [hit.to_dict() for hit in search(kb, text, types=list(types), limit=limit)]


def resolve_name(kb: KnowledgeBase, *, name: str) -> dict[str, Any]:
    """What ``/entity/<name>`` means when no entity has that IRI: as the command line
    reads a name (an identifier, an IRI, a label or synonym in any case, and with
    ``_`` for spaces as in the URLs of entity pages). ``{"iri": …}``, or
    ``{"error": …, "candidates": [{"iri", "label"}…]}`` with the closest names."""
    from ..apps.names import by_identifier, english_label
    from ..errors import AmbiguousError, NotFoundError
    from ..kb.names import resolve_entity

    text = name.strip()
    found = by_identifier(kb, text) if text else None
    if found and len(found) == 1:
        return {"iri": found[0]}
    first_error: OntomedError | None = None
    for candidate in dict.fromkeys((text, text.replace("_", " "))):
        try:
            return {"iri": resolve_entity(kb, candidate)}
        except (AmbiguousError, NotFoundError) as exc:
            first_error = first_error or exc
    candidates = list(getattr(first_error, "candidates", None) or found or [])
    return {"error": str(first_error), "status": getattr(first_error, "http_status", 404),
            "candidates": [{"iri": c, "label": english_label(kb, c)} for c in candidates[:10]]}


# -- the applications (architecture.md §9) ----------------------------------------------

def _application(run: Callable[[], Any]) -> dict[str, Any]:
    """``{"status", "body"}``: the answer's ``to_dict()``, or the error as JSON a client can
    act on (each unknown name with the closest names), computed here in the worker."""
    from ..apps.names import UnknownNamesError
    from ..errors import BadInputError

    try:
        return {"status": 200, "body": run().to_dict()}
    except UnknownNamesError as exc:
        return {"status": 400, "body": exc.to_dict()}
    except BadInputError as exc:
        return {"status": exc.http_status, "body": {"error": str(exc)}}


def treatment(kb: KnowledgeBase, *, disease: str, conditions: Sequence[str] = (),
              taking: Sequence[str] = ()) -> dict[str, Any]:
    from ..apps.treatment import treat

    return _application(lambda: treat(kb, disease, conditions=conditions, taking=taking))


def diagnosis(kb: KnowledgeBase, *, symptoms: Sequence[str], exclude: Sequence[str] = (),
              top: int = 10) -> dict[str, Any]:
    from ..apps.diagnosis import diagnose

    return _application(lambda: diagnose(kb, symptoms, excluded=exclude, top=top))


def repurposing(kb: KnowledgeBase, *, drug: str | None = None, disease: str | None = None,
                relation: str = "treats", top: int = 10) -> dict[str, Any]:
    from ..apps.repurposing import predict

    return _application(lambda: predict(kb, drug=drug, disease=disease, relation=relation, top=top))


def backup(kb: KnowledgeBase, *, directory: str) -> dict[str, Any]:
    """A consistent copy of the store, from this worker's read-only handle (ontomed.ops.backup)."""
    from ..ops.backup import backup as write_backup

    return write_backup(kb, directory).to_dict()


JOBS: dict[str, Callable[..., Any]] = {
    "query": query,
    "update": sparql_update,
    "graph_get": graph_get,
    "graph_put": graph_put,
    "graph_post": graph_post,
    "graph_delete": graph_delete,
    "stats": stats,
    "entity": entity_page,
    "entity_rdf": entity_rdf,
    "search": search_names,
    "resolve": resolve_name,
    "treat": treatment,
    "diagnose": diagnosis,
    "repurpose": repurposing,
    "backup": backup,
}
#: Jobs that write: they run in the single writer (see engine.py).
WRITE_JOBS = frozenset({"update", "graph_put", "graph_post", "graph_delete"})


def run(kb: KnowledgeBase, name: str, params: dict[str, Any]) -> Any:
    try:
        fn = JOBS[name]
    except KeyError:
        raise HTTPError(500, f"unknown job {name!r}") from None
    return fn(kb, **params)
