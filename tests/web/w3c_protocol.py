"""A runner for the W3C SPARQL 1.1 Protocol test suite against a live endpoint.

The manifest (``../shared/w3c/sparql11-protocol/manifest.ttl``) describes each
test as HTTP requests (method, path under ``/sparql/``, headers, body with its
character encoding) and what each response must be: a status class, and for
some a result format (``boolean``, ``tabular``, ``RDF``) and an ASK answer.
Fixture graphs (``ut:graphData``) are files loaded under the graph named by
their ``rdfs:label``.

How this runner fits the suite to an endpoint, as the manifest asks:
``/sparql/`` becomes the endpoint's path; before each test the store is reset
to exactly its fixture graphs (one SPARQL update); and every request carries
the endpoint's update credential, since ontomed refuses updates without one.
"""

from __future__ import annotations

import http.client
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection

MANIFEST_DIR = Path(os.environ.get(
    "ONTOMED_W3C_PROTOCOL",
    Path(__file__).resolve().parents[3] / "shared" / "w3c" / "sparql11-protocol"))

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

RESULT_TYPES = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
RDF_TYPES = {
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # acceptable status classes: 2, 3, 4
    format: str | None  # boolean, tabular, RDF
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graphs: tuple[tuple[Path, str], ...]  # (file, graph IRI)
    requests: tuple[Request, ...]


@dataclass
class Outcome:
    test: ProtocolTest
    passed: bool
    problems: list[str] = field(default_factory=list)


def load_manifest(directory: Path = MANIFEST_DIR) -> list[ProtocolTest]:
    """The tests, in the manifest's order."""
    path = directory / "manifest.ttl"
    g = rdflib.Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())
    manifest = next(g.subjects(rdflib.RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(g, g.value(manifest, MF.entries)):
        graphs = tuple(sorted(
            (Path(urlsplit(str(g.value(gd, UT.graph))).path), str(g.value(gd, rdflib.RDFS.label)))
            for gd in g.objects(entry, UT.graphData)))
        action = g.value(entry, MF.action)
        requests = tuple(_request(g, r) for r in Collection(g, g.value(action, HT.requests)))
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[1], str(g.value(entry, MF.name)),
                                  graphs, requests))
    return tests


def _request(g: rdflib.Graph, node: rdflib.term.Node) -> Request:
    headers = []
    header_list = g.value(node, HT.headers)
    if header_list is not None:
        for h in Collection(g, header_list):
            headers.append((str(g.value(h, HT.fieldName)), str(g.value(h, HT.fieldValue))))
    body = None
    content = g.value(node, HT.body)
    if content is not None:
        encoding = str(g.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(content, CNT.chars)).encode(encoding)
    response = g.value(node, HT.resp)
    statuses = frozenset(int(str(s)[len(HTS)]) for s in g.objects(response, MF.expectedStatus))
    fmt = g.value(response, MF.expectedFormat)
    boolean = g.value(response, MF.expectedBoolean)
    return Request(str(g.value(node, HT.methodName)), str(g.value(node, HT.absolutePath)),
                   tuple(headers), body, statuses, str(fmt) if fmt is not None else None,
                   boolean.toPython() if boolean is not None else None)


def reset_store(endpoint: str, test: ProtocolTest, headers: dict[str, str]) -> None:
    """Make the store hold exactly the test's fixture graphs."""
    graphs = " ".join(
        f"GRAPH <{iri}> {{ {file.read_text('utf-8')} }}" for file, iri in test.graphs)
    update = "DROP ALL" + (f" ; INSERT DATA {{ {graphs} }}" if graphs else "")
    status, _, body = send(endpoint, "POST", urlsplit(endpoint).path, update.encode(),
                           {"Content-Type": "application/sparql-update", **headers})
    if status // 100 != 2:
        raise RuntimeError(f"could not reset the store ({status}): {body[:200]!r}")


def send(endpoint: str, method: str, path: str, body: bytes | None,
         headers: dict[str, str]) -> tuple[int, str, bytes]:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


def run_test(test: ProtocolTest, endpoint: str, headers: dict[str, str] | None = None) -> Outcome:
    """Run one test against ``endpoint`` (the URL of the query/update service)."""
    extra = headers or {}
    reset_store(endpoint, test, extra)
    outcome = Outcome(test, True)
    base = urlsplit(endpoint).path
    for i, req in enumerate(test.requests, 1):
        path = base + req.path[len("/sparql/"):] if req.path.startswith("/sparql/") else req.path
        status, ctype, body = send(endpoint, req.method, path, req.body,
                                   {**dict(req.headers), **extra})
        problems = check(req, status, ctype, body)
        outcome.problems += [f"request {i} ({req.method} {path}): {p}" for p in problems]
    outcome.passed = not outcome.problems
    return outcome


def check(req: Request, status: int, content_type: str, body: bytes) -> list[str]:
    problems = []
    if status // 100 not in req.statuses:
        problems.append(f"status {status}, expected {sorted(req.statuses)}xx: {body[:200]!r}")
        return problems
    media = content_type.split(";")[0].strip().lower()
    if req.format in ("boolean", "tabular"):
        allowed = RESULT_TYPES if req.format == "tabular" else {
            k: v for k, v in RESULT_TYPES.items() if "sparql-results" in k}
        if media not in allowed:
            return [f"a {req.format} result as {media!r}, expected one of {sorted(allowed)}"]
        try:
            result = ox.parse_query_results(body, allowed[media]) if media != "text/csv" else None
        except SyntaxError as exc:
            return [f"the {media} body does not parse: {exc}"]
        if req.format == "boolean":
            if not isinstance(result, ox.QueryBoolean):
                return ["expected a boolean result"]
            if req.boolean is not None and bool(result) != req.boolean:
                problems.append(f"answered {bool(result)}, expected {req.boolean}")
        elif result is not None and not isinstance(result, ox.QuerySolutions):
            problems.append("expected a table of solutions")
    elif req.format == "RDF":
        if media not in RDF_TYPES:
            return [f"an RDF graph as {media!r}, expected one of {sorted(RDF_TYPES)}"]
        try:
            list(ox.parse(body, RDF_TYPES[media]))
        except SyntaxError as exc:
            problems.append(f"the {media} body does not parse: {exc}")
    return problems
