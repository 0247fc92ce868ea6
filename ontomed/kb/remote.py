"""A knowledge base held by a SPARQL server, read through the SPARQL 1.1 Protocol.

``KnowledgeBase("http://127.0.0.1:8000/sparql")`` (and ``--kb`` / ``$ONTOMED_KB``
with a URL) opens a :class:`RemoteBackend` instead of a directory: the read verbs
(``query``, ``stats``, ``search``, ``describe``, ``export``, the applications) work
against ``ontomed serve``'s own endpoint while the server holds the store, or against
any SPARQL 1.1 server (Oxigraph, Fuseki, GraphDB, Virtuoso, QLever …).

Which URL means what (:meth:`Endpoints.from_url`):

- a URL whose path ends in ``/sparql`` or ``/query`` (``ontomed serve``, Fuseki's
  ``/ds/sparql``, GraphDB's repository URL with ``?`` parameters left off) is the
  query endpoint itself;
- a bare server URL (``http://host:7878``) follows Oxigraph server's layout:
  ``/query``, ``/update``, ``/store``.

Reads become SPARQL: a pattern read is a ``SELECT`` with the bound terms, counts are
``COUNT`` queries, and query results come back as pyoxigraph's own result objects
(``pyoxigraph.parse_query_results``), so everything above the backend sees the types it
sees with the embedded store. A blank node cannot be named in a later query (a server
renames it per answer), so nothing in ontomed reads one by its label: the evidence of
facts is read in one query (``KnowledgeBase._collect_evidence``).

Writing is not done through this backend yet: a remote store is opened read-only, and
loads go to the server's own loader. Credentials come from the environment, never the
command line, and are never logged: ``ONTOMED_KB_TOKEN`` (bearer) or
``ONTOMED_KB_USER`` with ``ONTOMED_KB_PASSWORD`` (basic).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox

from ..errors import BadInputError, QuerySyntaxError, StoreError

TOKEN_ENV = "ONTOMED_KB_TOKEN"
USER_ENV = "ONTOMED_KB_USER"
PASSWORD_ENV = "ONTOMED_KB_PASSWORD"
#: Seconds to wait for a server's answer before saying it did not answer.
TIMEOUT = 120.0

_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "text/csv": ox.QueryResultsFormat.CSV,
}
_ACCEPT = ("application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
           "application/sparql-results+xml;q=0.5")


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
        if path.endswith(("/sparql", "/query")):
            return cls(urlunsplit(parts._replace(path=path)))
        base = urlunsplit(parts._replace(path=path, query="", fragment=""))
        return cls(base + "/query", base + "/update", base + "/store")


class RemoteTriples:
    """The answer of a CONSTRUCT or DESCRIBE query from a server: iterable triples that
    serialize like ``pyoxigraph.QueryTriples``."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self._triples = triples

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def serialize(self, output: IO[bytes] | str | None = None,
                  format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> bytes | None:
        return ox.serialize(self._triples, output, format)


class RemoteBackend:
    """:class:`ontomed.kb.backend.Backend` over HTTP, read-only (see the module's doc)."""

    def __init__(self, endpoints: Endpoints, *, timeout: float = TIMEOUT) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.endpoints = endpoints
        self.timeout = timeout
        self._session = requests.Session()
        # a connection refused or reset, or a gateway's 502-504, is tried again with backoff;
        # a query is read-only, so a retried POST does no harm
        retry = Retry(total=3, connect=3, read=2, backoff_factor=0.5, status_forcelist=(502, 503, 504),
                      allowed_methods=frozenset({"GET", "POST", "HEAD"}), raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        token = os.environ.get(TOKEN_ENV)
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        elif os.environ.get(USER_ENV):
            self._session.auth = (os.environ[USER_ENV], os.environ.get(PASSWORD_ENV, ""))
        self._session.headers["User-Agent"] = "ontomed"

    def __repr__(self) -> str:
        return f"RemoteBackend({self.endpoints.query!r})"

    # -- HTTP ------------------------------------------------------------------------------------
    def _post(self, url: str, data: str, content_type: str, params: list[tuple[str, str]],
              accept: str) -> Any:
        import requests

        try:
            response = self._session.post(url, data=data.encode("utf-8"), params=params, timeout=self.timeout,
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
        return StoreError(f"{what}: the knowledge base at {self.endpoints.query} is a SPARQL server, "
                          "opened read-only (load into the server with its own loader)")

    # -- reads -----------------------------------------------------------------------------------
    def query(self, query: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
              use_default_graph_as_union: bool = False, default_graph: Any = None,
              named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
              **unsupported: Any) -> Any:
        if unsupported:
            raise BadInputError(f"a remote store cannot take {', '.join(sorted(unsupported))} with a query")
        # one line, so that a server's "at line N" is the user's line N + 1 (said right below)
        prologue = " ".join([f"BASE <{base_iri}>"] if base_iri else []
                            + [f"PREFIX {p}: <{iri}>" for p, iri in (prefixes or {}).items()])
        prologue = prologue + "\n" if prologue else ""
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
            if not prologue:
                raise
            message = re.sub(r"\bline (\d+)", lambda m: f"line {max(int(m.group(1)) - 1, 1)}", str(exc))
            raise QuerySyntaxError(message) from None
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
        return RemoteTriples([q.triple for q in ox.parse(response.content, fmt)])

    def _select(self, query: str) -> ox.QuerySolutions:
        result = self.query(query)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError(f"the SPARQL server at {self.endpoints.query} did not answer a SELECT with rows")
        return result

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,
                          graph_name: Any = None) -> Iterator[ox.Quad]:
        for name, value in (("subject", subject), ("object", object), ("graph", graph_name)):
            if isinstance(value, ox.BlankNode):
                raise StoreError(f"a remote store cannot be asked for a blank node by its label ({name} "
                                 f"{value}): the server names blank nodes anew in each answer")
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
            yield ox.Quad(subject or row["s"], predicate or row["p"], object or row["o"],
                          g if g is not None else ox.DefaultGraph())

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
        for row in self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            yield row["g"]

    def contains_named_graph(self, graph_name: Any) -> bool:
        result = self.query(f"ASK {{ GRAPH {graph_name} {{ ?s ?p ?o }} }}")
        return bool(result)

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

    # -- writes: not through this backend (a read-only remote store) --------------------------------
    def update(self, update: str, **options: Any) -> None:
        raise self._read_only("SPARQL update")

    def add(self, quad: ox.Quad) -> None:
        raise self._read_only("writing")

    def remove(self, quad: ox.Quad) -> None:
        raise self._read_only("writing")

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        raise self._read_only("writing")

    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None:
        raise self._read_only("writing")

    def load(self, input: Any = None, format: Any = None, **options: Any) -> None:
        raise self._read_only("loading")

    def bulk_load(self, input: Any = None, format: Any = None, **options: Any) -> None:
        raise self._read_only("loading")

    def add_graph(self, graph_name: Any) -> None:
        raise self._read_only("creating a graph")

    def remove_graph(self, graph_name: Any) -> None:
        raise self._read_only("removing a graph")

    def clear_graph(self, graph_name: Any) -> None:
        raise self._read_only("clearing a graph")

    def backup(self, target_directory: Any) -> None:
        raise StoreError(f"the knowledge base at {self.endpoints.query} is a SPARQL server: back it up "
                         "with the server's own tools")

    def close(self) -> None:
        self._session.close()


def _reason(exc: BaseException) -> str:
    """The innermost cause of a connection failure, in a few words ("Connection refused")."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc)
    if "]" in text and text.startswith("[Errno"):
        text = text.split("]", 1)[1].strip()
    return " ".join(text.split())[:200] or type(exc).__name__
