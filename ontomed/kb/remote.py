"""A knowledge base held by a SPARQL server, read through the SPARQL 1.1 Protocol.

``KnowledgeBase("http://127.0.0.1:8000/sparql")`` (and ``--kb`` / ``$ONTOMED_KB``
with a URL) opens a :class:`RemoteBackend` instead of a directory: the read verbs
(``query``, ``stats``, ``search``, ``describe``, ``export``, the applications) work
against ``ontomed serve``'s own endpoint while the server holds the store, or against
any SPARQL 1.1 server (Oxigraph, Fuseki, GraphDB, Virtuoso, QLever …).

Which URL means what (:meth:`Endpoints.from_url`):

- a URL whose path ends in ``/sparql`` or ``/query`` (``ontomed serve``, Fuseki's
  ``/ds/sparql``, Virtuoso, QLever) is the query endpoint itself, read-only unless
  ``--update-url`` (and for bulk writes ``--store-url``) name the others;
- ``…/repositories/ID`` follows GraphDB's and RDF4J's layout: ``/statements`` for
  updates, ``/rdf-graphs/service`` for the Graph Store;
- any other server URL (``http://host:7878``) follows Oxigraph server's layout:
  ``/query``, ``/update``, ``/store``.

Reads become SPARQL: a pattern read is a ``SELECT`` with the bound terms, counts are
``COUNT`` queries, and query results come back as pyoxigraph's own result objects
(``pyoxigraph.parse_query_results``; a graph answer is constructed back out of a store in
memory), so everything above the backend sees the types it sees with the embedded store.
A query the server refuses as malformed is parsed here too, so that the error says what the
embedded store's would (position, an unknown prefix, a bracket left open).

Writes (when the server has an update endpoint) go as ``INSERT DATA`` / ``DELETE DATA``,
graph operations as SPARQL Update, and bulk writes as N-Quads batches posted to the Graph
Store endpoint (:data:`BATCH` quads each; atomic per batch). Each batch is named by the hash of
its bytes and recorded once the server acknowledged it, so a rerun after a failure sends
only the batches that are missing (:attr:`RemoteBackend.batches` counts sent, skipped).

Blank nodes are skolemized (RDF 1.1 §3.5): a server renames a blank node in every request,
which would duplicate the evidence nodes whose ids ontomed derives from the fact and its
evidence (so that writing the same evidence twice adds nothing). Written to a server,
``_:x`` becomes ``<https://w3id.org/ontomed/.well-known/genid/x>``; read back through this
backend it is ``_:x`` again, so ontomed sees what it sees with the embedded store. A client
querying the server directly sees the skolem IRIs; SPARQL query answers through
:meth:`RemoteBackend.query` show them too.

Credentials come from the environment, never the command line, and are never logged:
``ONTOMED_KB_TOKEN`` (bearer) or ``ONTOMED_KB_USER`` with ``ONTOMED_KB_PASSWORD`` (basic).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from ..errors import BadInputError, QuerySyntaxError, StoreError

TOKEN_ENV = "ONTOMED_KB_TOKEN"
#: The update and Graph Store endpoints of a server whose layout no preset knows (the CLI's
#: --update-url and --store-url set them; the query endpoint is --kb itself).
UPDATE_URL_ENV = "ONTOMED_KB_UPDATE_URL"
STORE_URL_ENV = "ONTOMED_KB_STORE_URL"
USER_ENV = "ONTOMED_KB_USER"
PASSWORD_ENV = "ONTOMED_KB_PASSWORD"
#: Seconds to wait for a server's answer before saying it did not answer.
TIMEOUT = 120.0
#: Quads per Graph Store batch of a bulk write. benchmarks/remote_store.py, 1M triples into
#: Oxigraph's server: 50k 1.99x, 100k 1.67x, 250k 1.34x the time of one whole-file POST; a
#: batch of 250k is about 35 MB of N-Quads, and what a failure costs to resend.
BATCH = 250_000
#: Skolem IRIs of blank nodes written to a server (see the module's doc).
GENID = "https://w3id.org/ontomed/.well-known/genid/"

_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "text/csv": ox.QueryResultsFormat.CSV,
}
#: TSV first: the same terms as JSON (lossless), in half the bytes, parsed in 60% of the time
#: (6,770 rows: 16 ms against 27 ms); JSON for what TSV cannot say, RDF for graph answers
_ACCEPT = ("text/tab-separated-values, application/sparql-results+json;q=0.9, application/n-triples;q=0.8, "
           "text/turtle;q=0.7, application/sparql-results+xml;q=0.5")


def bookkeeping_file(endpoints: Endpoints) -> Path:
    """Where ontomed keeps a server's bookkeeping (files loaded, writes that may delete, the
    bulk batches acknowledged): the user's cache directory, one folder per query URL."""
    from ..files import cache_dir

    key = hashlib.sha256(endpoints.query.encode("utf-8")).hexdigest()[:16]
    return cache_dir("remote") / key / "ontomed.json"


def _skolem(term: Any) -> Any:
    return ox.NamedNode(GENID + term.value) if isinstance(term, ox.BlankNode) else term


def _unskolem(term: Any) -> Any:
    if isinstance(term, ox.NamedNode) and term.value.startswith(GENID):
        return ox.BlankNode(term.value[len(GENID):])
    return term


def _skolem_quad(q: ox.Quad) -> ox.Quad:
    g = q.graph_name
    return ox.Quad(_skolem(q.subject), q.predicate, _skolem(q.object),
                   _skolem(g) if isinstance(g, ox.BlankNode) else g)


def _data_block(quads: Iterable[ox.Quad]) -> str:
    """Ground quads as the body of INSERT DATA / DELETE DATA (default graph, then each named one)."""
    default: list[str] = []
    named: dict[str, list[str]] = {}
    for q in quads:
        q = _skolem_quad(q)
        line = f"{q.subject} {q.predicate} {q.object} ."
        if isinstance(q.graph_name, ox.DefaultGraph):
            default.append(line)
        else:
            named.setdefault(str(q.graph_name), []).append(line)
    return "\n".join(default + [f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in named.items()])


def _prologue(base_iri: str | None, prefixes: dict[str, str] | None) -> str:
    """BASE and PREFIX declarations on one line (empty when there are none), so that a server's
    "at line N" is the user's line N - 1 (:func:`_shift_lines`)."""
    parts = ([f"BASE <{base_iri}>"] if base_iri else []) + [f"PREFIX {p}: <{iri}>"
                                                              for p, iri in (prefixes or {}).items()]
    return " ".join(parts) + "\n" if parts else ""


def _local_syntax_error(text: str, prefixes: dict[str, str] | None, base_iri: str | None, *,
                        update: bool) -> None:
    """Raise the ``SyntaxError`` pyoxigraph's parser finds in ``text`` (which the knowledge base
    turns into the message the embedded store gives), if it finds one. Parsing means running on
    an empty store in memory, so text that could reach out (``SERVICE``, ``LOAD``) is not tried."""
    from .query_text import tokens

    if any(t.keyword in ("SERVICE", "LOAD") for t in tokens(text)):
        return
    try:
        if update:
            ox.Store().update(text, prefixes=prefixes, base_iri=base_iri)
        else:
            ox.Store().query(text, prefixes=prefixes, base_iri=base_iri)
    except SyntaxError:
        raise
    except Exception:  # noqa: BLE001 - parsed, then failed on the empty store: not a syntax error
        return


def _shift_lines(message: str) -> str:
    """A server's syntax error about our one-line prologue + the user's text, in the user's
    line numbers ("at line 3" and Oxigraph's "at 3:7" become line 2)."""
    message = re.sub(r"\bline (\d+)", lambda m: f"line {max(int(m.group(1)) - 1, 1)}", message)
    return re.sub(r"\bat (\d+):(\d+)", lambda m: f"at {max(int(m.group(1)) - 1, 1)}:{m.group(2)}", message)


def is_url(location: object) -> bool:
    """Does ``--kb`` name a server (``http://`` or ``https://``) rather than a directory?"""
    return isinstance(location, str) and location.strip().lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Endpoints:
    """Where a SPARQL server answers queries, updates and Graph Store requests."""

    query: str
    update: str | None = None
    store: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Endpoints:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadInputError(f"not a SPARQL server URL: {url!r} (give http://host:port/path)")
        if parts.username or parts.password:
            raise BadInputError(f"put no credentials in the URL (they would be logged): set {TOKEN_ENV}, "
                                f"or {USER_ENV} and {PASSWORD_ENV}")
        path = parts.path.rstrip("/")
        update, store = os.environ.get(UPDATE_URL_ENV) or None, os.environ.get(STORE_URL_ENV) or None
        for named in (update, store):
            if named is not None and urlsplit(named).scheme not in ("http", "https"):
                raise BadInputError(f"not a SPARQL server URL: {named!r} (give http://host:port/path)")
        if path.endswith(("/sparql", "/query")):
            return cls(urlunsplit(parts._replace(path=path)), update, store)
        base = urlunsplit(parts._replace(path=path, query="", fragment=""))
        segments = path.split("/")
        if len(segments) >= 3 and segments[-2] == "repositories":  # GraphDB, RDF4J: /repositories/ID
            return cls(base, update or base + "/statements", store or base + "/rdf-graphs/service")
        return cls(base + "/query", update or base + "/update", store or base + "/store")


class RemoteBackend:
    """:class:`ontomed.kb.backend.Backend` over HTTP (see the module's doc)."""

    def __init__(self, endpoints: Endpoints, *, timeout: float = TIMEOUT) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.endpoints = endpoints
        self.timeout = timeout
        #: bulk-write batches: "sent", "skipped" (acknowledged before), "failed"
        self.batches: Counter[str] = Counter()
        self._ledger = bookkeeping_file(endpoints).with_name("batches.txt")
        # a connection refused or reset, or a gateway's 502-504, is tried again with backoff: a
        # query is read-only, so a retried POST does no harm. A write is tried again only when
        # it never reached the server (a refused connection): a user's update need not be
        # idempotent.
        reads = Retry(total=3, connect=3, read=2, backoff_factor=0.5, status_forcelist=(502, 503, 504),
                      allowed_methods=frozenset({"GET", "POST", "HEAD"}), raise_on_status=False)
        writes = Retry(total=3, connect=3, read=0, status=0, other=0, backoff_factor=0.5,
                       allowed_methods=frozenset({"POST"}), raise_on_status=False)
        self._session, self._writer = requests.Session(), requests.Session()
        token = os.environ.get(TOKEN_ENV)
        for session, retry in ((self._session, reads), (self._writer, writes)):
            adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            if token:
                session.headers["Authorization"] = f"Bearer {token}"
            elif os.environ.get(USER_ENV):
                session.auth = (os.environ[USER_ENV], os.environ.get(PASSWORD_ENV, ""))
            session.headers["User-Agent"] = "ontomed"

    def __repr__(self) -> str:
        return f"RemoteBackend({self.endpoints.query!r})"

    # -- HTTP ------------------------------------------------------------------------------------
    def _post(self, url: str, data: str | bytes, content_type: str, params: list[tuple[str, str]],
              accept: str, *, write: bool = False) -> Any:
        import requests

        session = self._writer if write else self._session
        body = data.encode("utf-8") if isinstance(data, str) else data
        try:
            response = session.post(url, data=body, params=params, timeout=self.timeout,
                                          headers={"Content-Type": content_type, "Accept": accept})
        except requests.Timeout:
            raise StoreError(f"the SPARQL server at {url} did not answer within {self.timeout:.0f} s") from None
        except requests.RequestException as exc:
            reason = _reason(exc)
            raise StoreError(f"cannot reach the SPARQL server at {url}: {reason}") from exc
        if response.status_code in (401, 403):
            raise StoreError(f"the SPARQL server at {url} refused access (HTTP {response.status_code}): "
                             f"set {TOKEN_ENV}, or {USER_ENV} and {PASSWORD_ENV}")
        if response.status_code >= 400:
            detail = " ".join(response.text.split())[:300] or response.reason
            if response.status_code == 400:
                raise QuerySyntaxError(f"the SPARQL server at {url} refused the request: {detail}")
            raise StoreError(f"the SPARQL server at {url} answered HTTP {response.status_code}: {detail}")
        return response

    def _read_only(self, what: str) -> StoreError:
        return StoreError(f"{what}: the SPARQL server at {self.endpoints.query} takes no updates here "
                          "(give its base URL for Oxigraph's layout, or one with an update endpoint)")

    # -- reads -----------------------------------------------------------------------------------
    def query(self, query: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
              use_default_graph_as_union: bool = False, default_graph: Any = None,
              named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
              **unsupported: Any) -> Any:
        if unsupported:
            raise BadInputError(f"a remote store cannot take {', '.join(sorted(unsupported))} with a query")
        prologue = _prologue(base_iri, prefixes)
        params: list[tuple[str, str]] = []
        graphs = default_graph if isinstance(default_graph, list) else [default_graph] if default_graph else []
        for g in graphs:
            if isinstance(g, ox.NamedNode):
                params.append(("default-graph-uri", g.value))
            elif not isinstance(g, ox.DefaultGraph):
                raise BadInputError("a remote store takes named graphs (IRIs) as the default graph")
        for g in named_graphs or ():
            if not isinstance(g, ox.NamedNode):
                raise BadInputError("a remote store takes named graphs by IRI")
            params.append(("named-graph-uri", g.value))
        if use_default_graph_as_union:
            params.append(("union-default-graph", ""))  # Oxigraph's parameter; others ignore it
        try:
            response = self._post(self.endpoints.query, prologue + query, "application/sparql-query",
                                  params, _ACCEPT)
        except QuerySyntaxError as exc:
            _local_syntax_error(query, prefixes, base_iri, update=False)  # raises SyntaxError if it finds one
            raise QuerySyntaxError(_shift_lines(str(exc)) if prologue else str(exc)) from None
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media in _RESULT_TYPES:
            try:
                return ox.parse_query_results(response.content, _RESULT_TYPES[media])
            except SyntaxError as exc:
                raise StoreError(f"the SPARQL server at {self.endpoints.query} answered results that do "
                                 f"not parse: {exc}") from None
        try:
            fmt = ox.RdfFormat.from_media_type(media)
        except ValueError:
            fmt = None
        if fmt is None:
            raise StoreError(f"the SPARQL server at {self.endpoints.query} answered {media or 'no type'}, "
                             "neither SPARQL results nor RDF")
        # pyoxigraph's own QueryTriples, so that callers handle a server's graph answer as the
        # embedded store's: the triples in a store of this process, constructed back out
        held = ox.Store()
        held.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                    for q in ox.parse(response.content, fmt))
        return held.query("CONSTRUCT WHERE { ?s ?p ?o }")

    def _select(self, query: str) -> ox.QuerySolutions:
        result = self.query(query)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(f"the SPARQL server at {self.endpoints.query} did not answer a SELECT with rows")
        return result

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,
                          graph_name: Any = None) -> Iterator[ox.Quad]:
        # a blank node ontomed wrote is on the server under its skolem IRI
        subject, object = _skolem(subject), _skolem(object)
        graph_name = _skolem(graph_name) if isinstance(graph_name, ox.BlankNode) else graph_name
        s = str(subject) if subject is not None else "?s"
        p = str(predicate) if predicate is not None else "?p"
        o = str(object) if object is not None else "?o"
        pattern = f"{s} {p} {o}"
        if graph_name is None:
            where = f"{{ {pattern} }} UNION {{ GRAPH ?g {{ {pattern} }} }}"
        elif isinstance(graph_name, ox.DefaultGraph):
            where = pattern
        else:
            where = f"GRAPH {graph_name} {{ {pattern} }}"
        for row in self._select(f"SELECT * WHERE {{ {where} }}"):
            g = row["g"] if graph_name is None else graph_name
            yield ox.Quad(_unskolem(subject or row["s"]), predicate or row["p"], _unskolem(object or row["o"]),
                          _unskolem(g) if g is not None else ox.DefaultGraph())

    def __len__(self) -> int:
        row = next(iter(self._select(
            "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")))
        return int(row["n"].value)

    def __contains__(self, quad: Any) -> bool:
        if not isinstance(quad, ox.Quad):
            return False
        return any(True for _ in self.quads_for_pattern(quad.subject, quad.predicate, quad.object,
                                                        quad.graph_name))

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        for row in self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"):  # empty ones too
            yield _unskolem(row["g"])

    def contains_named_graph(self, graph_name: Any) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {_skolem(graph_name)} {{ }} }}"))

    def dump(self, output: Any = None, format: Any = None, *, from_graph: Any = None,
             prefixes: dict[str, str] | None = None, base_iri: str | None = None) -> bytes | None:
        if format is None:
            raise BadInputError("say which RDF format to dump in")
        if from_graph is None:
            if not format.supports_datasets:
                raise BadInputError(f"{format.name} holds one graph: name one, or use N-Quads or TriG")
            items: Iterable[Any] = self.quads_for_pattern(None, None, None, None)
        else:
            items = (q.triple for q in self.quads_for_pattern(None, None, None, from_graph))
        # one answer, so the blank nodes in it are named consistently
        return ox.serialize(list(items), output, format, prefixes=prefixes, base_iri=base_iri)

    def flush(self) -> None:
        """Nothing is held here: the server writes as it goes."""

    # -- writes ------------------------------------------------------------------------------------
    def update(self, update: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
               **unsupported: Any) -> None:
        if self.endpoints.update is None:
            raise self._read_only("SPARQL update")
        if unsupported:
            raise BadInputError(f"a remote store cannot take {', '.join(sorted(unsupported))} with an update")
        prologue = _prologue(base_iri, prefixes)
        text = prologue + update
        try:
            self._post(self.endpoints.update, text, "application/sparql-update", [], "*/*", write=True)
        except QuerySyntaxError as exc:
            _local_syntax_error(update, prefixes, base_iri, update=True)
            raise QuerySyntaxError(_shift_lines(str(exc)) if prologue else str(exc)) from None

    def add(self, quad: ox.Quad) -> None:
        self.extend([quad])

    def remove(self, quad: ox.Quad) -> None:
        self.update(f"DELETE DATA {{ {_data_block([quad])} }}")

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """One request, so all of them or none (the server applies a request atomically)."""
        items = list(quads)
        if items:
            self._send(items)

    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None:
        """Batches of :data:`BATCH` quads; each acknowledged one is recorded and skipped by a rerun."""
        done = self._acknowledged()
        iterator = iter(quads)
        while batch := list(itertools.islice(iterator, BATCH)):
            body = self._nquads(batch)
            key = hashlib.sha256(body).hexdigest()
            if key in done:
                self.batches["skipped"] += 1
                continue
            try:
                self._send(batch, body)
            except StoreError:
                self.batches["failed"] += 1
                raise
            self.batches["sent"] += 1
            done.add(key)
            self._ledger.parent.mkdir(parents=True, exist_ok=True)
            with self._ledger.open("a", encoding="ascii") as f:
                f.write(key + "\n")

    def _acknowledged(self) -> set[str]:
        try:
            return set(self._ledger.read_text("ascii").split())
        except OSError:
            return set()

    @staticmethod
    def _nquads(quads: list[ox.Quad]) -> bytes:
        return ox.serialize([_skolem_quad(q) for q in quads], None, ox.RdfFormat.N_QUADS) or b""

    def _send(self, quads: list[ox.Quad], body: bytes | None = None) -> None:
        if self.endpoints.update is None:
            raise self._read_only("writing")
        if self.endpoints.store is None:  # no Graph Store endpoint: the same as one update
            self.update(f"INSERT DATA {{ {_data_block(quads)} }}")
            return
        payload = body if body is not None else self._nquads(quads)
        self._post(self.endpoints.store, payload, "application/n-quads", [], "*/*", write=True)

    def load(self, input: Any = None, format: Any = None, *, path: Any = None, base_iri: str | None = None,
             to_graph: Any = None, **unsupported: Any) -> None:
        """Parsed here (a syntax error says file, line and column, and sends nothing), sent in one request."""
        self.extend(self._parsed(input, format, path, base_iri, to_graph))

    def bulk_load(self, input: Any = None, format: Any = None, *, path: Any = None, base_iri: str | None = None,
                  to_graph: Any = None, **unsupported: Any) -> None:
        """Parsed here, sent in acknowledged batches (atomic per batch, not per file)."""
        self.bulk_extend(self._parsed(input, format, path, base_iri, to_graph))

    @staticmethod
    def _parsed(input: Any, format: Any, path: Any, base_iri: str | None, to_graph: Any) -> list[ox.Quad]:
        quads = list(ox.parse(input, format, path=path, base_iri=base_iri))  # all of it, or SyntaxError
        if to_graph is None or isinstance(to_graph, ox.DefaultGraph):
            return quads
        return [ox.Quad(q.subject, q.predicate, q.object, to_graph)
                if isinstance(q.graph_name, ox.DefaultGraph) else q for q in quads]

    def add_graph(self, graph_name: Any) -> None:
        self.update(f"CREATE SILENT GRAPH {_skolem(graph_name)}")

    def remove_graph(self, graph_name: Any) -> None:
        if isinstance(graph_name, ox.DefaultGraph):
            self.update("CLEAR SILENT DEFAULT")
        else:
            self.update(f"DROP SILENT GRAPH {_skolem(graph_name)}")

    def clear_graph(self, graph_name: Any) -> None:
        if isinstance(graph_name, ox.DefaultGraph):
            self.update("CLEAR SILENT DEFAULT")
        else:
            self.update(f"CLEAR SILENT GRAPH {_skolem(graph_name)}")

    def backup(self, target_directory: Any) -> None:
        raise StoreError(f"the knowledge base at {self.endpoints.query} is a SPARQL server: back it up "
                         "with the server's own tools")

    def close(self) -> None:
        self._session.close()
        self._writer.close()


def _reason(exc: BaseException) -> str:
    """The innermost cause of a connection failure, in a few words ("Connection refused")."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    if "]" in text and text.startswith("[Errno"):
        text = text.split("]", 1)[1].strip()
    return " ".join(text.split())[:200] or type(exc).__name__
