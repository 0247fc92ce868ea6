"""A knowledge base read through a SPARQL server (ontomed.kb.remote): ontomed serve's own endpoint
while it holds the store, and Oxigraph's server, answer the read verbs as the store on disk does.

Real servers: ``ontomed serve`` in a subprocess (tests/live_server.py) and ``oxigraph serve`` (PyPI
``oxigraph``, the test extra), each on a free loopback port; a small HTTP server for what a real one
does not do on demand (ask for credentials)."""

from __future__ import annotations

import http.server
import io
import json
import os
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from ontomed import Evidence, KnowledgeBase
from ontomed.cli import cli
from ontomed.errors import BadInputError, QuerySyntaxError, StoreError
from ontomed.kb import remote
from ontomed.kb.remote import GENID, Endpoints, RemoteBackend

from tests.conftest import EXAMPLE_TTL, add_treatment_facts, make_example_kb
from tests.live_server import live_server
from tests.needs import requires
from tests.sparql_server import OXIGRAPH, oxigraph



@pytest.fixture(scope="module")
def reference() -> KnowledgeBase:
    """The example data with the treatment facts, in memory: what every server below holds."""
    return add_treatment_facts(make_example_kb())


@pytest.fixture(scope="module")
def dump(reference: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dump") / "data.nq"
    reference.export(path, "nq")
    return path


@pytest.fixture(scope="module")
def served(dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The same data held by ontomed serve: (its directory, its /sparql URL)."""
    path = tmp_path_factory.mktemp("remote") / "kb"
    with KnowledgeBase(path) as kb:
        kb.load(dump)
    with live_server(path) as server:
        yield path, server.sparql


def test_a_url_names_the_endpoints_of_its_server():
    assert Endpoints.from_url("http://127.0.0.1:8000/sparql") == Endpoints("http://127.0.0.1:8000/sparql")
    assert Endpoints.from_url("https://fuseki.example.org/ds/query/") == Endpoints(
        "https://fuseki.example.org/ds/query")
    assert Endpoints.from_url("http://localhost:7878") == Endpoints(
        "http://localhost:7878/query", "http://localhost:7878/update", "http://localhost:7878/store")
    assert Endpoints.from_url("http://graphdb:7200/repositories/kb") == Endpoints(
        "http://graphdb:7200/repositories/kb", "http://graphdb:7200/repositories/kb/statements",
        "http://graphdb:7200/repositories/kb/rdf-graphs/service")
    with pytest.raises(BadInputError, match="put no credentials in the URL"):
        Endpoints.from_url("http://me:secret@localhost:7878")
    with pytest.raises(BadInputError, match="not a SPARQL server URL"):
        Endpoints.from_url("http://")


def test_the_read_verbs_answer_through_ontomed_serve_as_from_the_directory(served, reference):
    _, url = served
    kb = KnowledgeBase(url)
    assert repr(kb) == f"KnowledgeBase({url!r})" and kb.read_only and kb.path is None
    assert len(kb) == len(reference) > 900
    assert kb.entity("metformin") == reference.entity("metformin")  # facts with their evidence
    assert kb.stats()["entities"] == reference.stats()["entities"]
    assert kb.stats()["knowledge_base"] == url
    assert kb.resolve("T2DM") == reference.resolve("T2DM")
    rows = kb.select("SELECT ?d WHERE { ome:metformin om:treats ?d }")
    assert [r["d"].value for r in rows] == ["https://w3id.org/ontomed/entity/type_2_diabetes_mellitus"]
    assert kb.ask("ASK { ome:aspirin a om:Drug }")
    constructed = kb.query("CONSTRUCT { ome:metformin ?p ?o } WHERE { ome:metformin ?p ?o }")
    assert isinstance(constructed, ox.QueryTriples) and len(list(constructed)) > 5


def test_the_command_line_reads_through_the_server_while_it_holds_the_store(served):
    path, url = served
    runner = CliRunner()
    held = runner.invoke(cli, ["stats", "--kb", str(path)])
    assert held.exit_code == 2 and f"--kb {url}" in held.output and "Traceback" not in held.output
    for args, expected in ((["query", "SELECT ?d WHERE { ome:metformin om:treats ?d }"], "type_2_diabetes"),
                           (["describe", "metformin"], "Metformin treats type 2 diabetes mellitus."),
                           (["search", "metfor"], "ome:metformin"),
                           (["treat", "--disease", "hypercholesterolemia"], "simvastatin"),
                           (["stats"], url)):
        result = runner.invoke(cli, [args[0], "--kb", url, *args[1:]])
        assert result.exit_code == 0, (args, result.output)
        assert expected in result.output, (args, result.output)


def test_an_export_through_the_server_is_the_same_graph(served, reference, tmp_path):
    _, url = served
    out = tmp_path / "remote.nt"
    result = CliRunner().invoke(cli, ["export", "--kb", url, "--format", "nt", "-o", str(out)])
    assert result.exit_code == 0, result.output
    local = io.BytesIO()
    reference.export(local, "nt")
    assert isomorphic(Graph().parse(out, format="nt"), Graph().parse(data=local.getvalue(), format="nt"))


def test_writes_bad_queries_and_absent_servers_are_one_line_errors(served):
    _, url = served
    kb = KnowledgeBase(url)  # ontomed serve's /sparql: no update endpoint named, so read-only
    with pytest.raises(StoreError, match="is a SPARQL server, opened read-only"):
        kb.add_entity("zorblamab", "Drug", "zorblamab")
    with pytest.raises(StoreError, match="takes no updates here"):
        kb.backend.update("INSERT DATA { ome:a ome:b ome:c }")
    with pytest.raises(QuerySyntaxError, match=r"SPARQL syntax error at line 2"):
        kb.query("SELECT ?s\nWHERE { ?s ?p }")  # said as the store on disk says it
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket closes
    result = CliRunner().invoke(cli, ["query", "--kb", f"http://127.0.0.1:{port}/sparql", "ASK {}"])
    assert result.exit_code == 2
    assert f"cannot reach the SPARQL server at http://127.0.0.1:{port}/sparql" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


class _Guarded(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint that wants a bearer token and answers every query with no rows."""

    seen: list[str | None] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Guarded.seen.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != "Bearer s3cret":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": []}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_credentials_come_from_the_environment_and_are_never_said(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Guarded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    try:
        monkeypatch.delenv("ONTOMED_KB_TOKEN", raising=False)
        with pytest.raises(StoreError, match="refused access \\(HTTP 401\\): set ONTOMED_KB_TOKEN"):
            RemoteBackend(Endpoints(url)).query("SELECT * WHERE { ?s ?p ?o }")
        monkeypatch.setenv("ONTOMED_KB_TOKEN", "s3cret")
        rows = RemoteBackend(Endpoints(url)).query("SELECT * WHERE { ?s ?p ?o }")
        assert isinstance(rows, ox.QuerySolutions) and list(rows) == []
        assert _Guarded.seen[-1] == "Bearer s3cret"
        monkeypatch.setenv("ONTOMED_KB_TOKEN", "wrong")
        result = CliRunner().invoke(cli, ["query", "--kb", url, "SELECT * WHERE { ?s ?p ?o }"])
        assert result.exit_code == 2 and "wrong" not in result.output and "refused access" in result.output
    finally:
        server.shutdown()


# -- Oxigraph's server: any SPARQL 1.1 server, with its URL layout as the preset ----------------------

@pytest.fixture(scope="module")
def oxigraph_server(dump: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if OXIGRAPH is None:
        pytest.fail("oxigraph (the server, PyPI package oxigraph) is not installed: "
                    "pip install -e '.[test]'")
    base = tmp_path_factory.mktemp("oxigraph")
    subprocess.run([OXIGRAPH, "load", "--location", str(base / "db"), "--file", str(dump)],
                   check=True, capture_output=True, timeout=120)
    with oxigraph("serve-read-only", base / "db") as url:
        yield url


@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_oxigraph_server_answers_as_the_store_on_disk(oxigraph_server, reference):
    kb = KnowledgeBase(oxigraph_server)
    assert kb.backend.endpoints.update == oxigraph_server + "/update"  # the preset
    assert len(kb) == len(reference)
    for name in ("metformin", "aspirin", "type 2 diabetes"):
        assert kb.entity(name) == reference.entity(name)
    assert kb.stats()["facts"] == reference.stats()["facts"]
    result = CliRunner().invoke(cli, ["diagnose", "--kb", oxigraph_server, "--symptom", "polyuria",
                                      "--top", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["candidates"][0]["label"] == "type 2 diabetes mellitus"


# -- writing: Oxigraph's server read-write -----------------------------------------------------------

@pytest.fixture
def writable(tmp_path, monkeypatch) -> Iterator[str]:
    """An empty ``oxigraph serve`` (read-write, its own directory) and the bookkeeping in a
    temporary cache directory; its base URL."""
    if OXIGRAPH is None:
        pytest.fail("oxigraph (the server, PyPI package oxigraph) is not installed: pip install -e '.[test]'")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with oxigraph("serve", tmp_path / "db") as url:
        yield url


def _same_graph(a: KnowledgeBase, b: KnowledgeBase) -> bool:
    out_a, out_b = io.BytesIO(), io.BytesIO()
    a.export(out_a, "nt")
    b.export(out_b, "nt")
    return isomorphic(Graph().parse(data=out_a.getvalue(), format="nt"),
                      Graph().parse(data=out_b.getvalue(), format="nt"))


EVIDENCE = Evidence(document="https://example.org/trial/7", text="Zorblamab treats asthma.",
                    extractor="test", confidence=0.9)


def _write_the_same(kb: KnowledgeBase) -> None:
    kb.initialize()
    kb.load(EXAMPLE_TTL)
    kb.add_entity("zorblamab", "Drug", "zorblamab", synonyms=["Zorbla"])
    kb.add_fact("zorblamab", "treats", "asthma", EVIDENCE)


@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_writes_through_a_server_give_the_graph_the_store_on_disk_gets(writable):
    kb, local = KnowledgeBase(writable), KnowledgeBase()
    assert not kb.read_only
    _write_the_same(kb)
    _write_the_same(local)
    assert _same_graph(kb, local) and len(kb) == len(local)
    assert kb.entity("zorblamab") == local.entity("zorblamab")
    # set-like, as on disk: the evidence node is skolemized on the server, so it is not duplicated
    before = len(kb)
    kb.add_fact("zorblamab", "treats", "asthma", EVIDENCE)
    assert len(kb) == before and kb.load(EXAMPLE_TTL).skipped  # the file ledger, kept per server
    on_server = kb.select("SELECT (COUNT(*) AS ?n) WHERE { ?a a owl:Axiom FILTER(STRSTARTS(STR(?a), "
                          f'"{GENID}")) }}')
    assert int(next(iter(on_server))["n"].value) == local.stats()["evidence_annotations"] == 33
    # an update that declares a property refreshes the schema the writes are checked by
    kb.update("INSERT DATA { om:preventsRelapseOf a owl:ObjectProperty }")
    kb.add_fact("zorblamab", "om:preventsRelapseOf", "asthma", EVIDENCE)
    kb.create_graph("https://example.org/graph/g")
    assert kb.has_graph("https://example.org/graph/g")
    kb.drop_graph(ox.NamedNode("https://example.org/graph/g"))
    assert not kb.has_graph("https://example.org/graph/g")


@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_a_bulk_write_cut_by_the_network_resumes_with_the_batches_not_acknowledged(writable, monkeypatch):
    monkeypatch.setattr(remote, "BATCH", 100)
    quads = [ox.Quad(ox.NamedNode(f"https://example.org/s{i}"), ox.NamedNode("https://example.org/p"),
                     ox.Literal(str(i)), ox.DefaultGraph()) for i in range(1_000)]
    kb = KnowledgeBase(writable)
    backend = kb.backend
    real, calls = backend._post, []

    def cut_after_three_batches(url, *args, **kwargs):  # the network fails under the fourth batch
        calls.append(url)
        if url.endswith("/store") and len(calls) == 4:
            raise StoreError(f"cannot reach the SPARQL server at {url}: Connection reset by peer")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(backend, "_post", cut_after_three_batches)
    with pytest.raises(StoreError, match="Connection reset"):
        kb.add_quads(quads)
    assert dict(backend.batches) == {"sent": 3, "failed": 1} and len(kb) == 300
    resumed = KnowledgeBase(writable)
    resumed.add_quads(quads)
    assert dict(resumed.backend.batches) == {"skipped": 3, "sent": 7} and len(resumed) == 1_000


@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_the_command_line_builds_a_knowledge_base_on_a_server(writable, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Metformin is indicated for type 2 diabetes mellitus. Metformin can cause diarrhea.\n")
    runner = CliRunner()
    for args in (["init"], ["load", str(EXAMPLE_TTL)], ["build", str(corpus)]):
        result = runner.invoke(cli, [args[0], "--kb", writable, *args[1:]])
        assert result.exit_code == 0, (args, result.output)
    kb = KnowledgeBase(writable)
    [treats] = [f for f in kb.entity("metformin").facts if f.predicate.endswith("#treats")]
    assert any(ev.text == "Metformin is indicated for type 2 diabetes mellitus." for ev in treats.evidence)
    again = runner.invoke(cli, ["build", "--kb", writable, "--json", str(corpus)])
    assert again.exit_code == 0 and json.loads(again.output)["evidence_added"] == 0


@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_a_vocabulary_import_goes_to_the_server_in_batches_and_not_twice(writable, tmp_path, monkeypatch):
    from ontomed import VocabularySource, hookimpl, plugins
    from ontomed.testing import registered
    from ontomed.vocab import CONDITION, DRUG, CuratedFact, Record, SourceResult, import_vocabulary

    class Formulary(VocabularySource):
        id = "remote-formulary"
        origins = ("remote-formulary",)
        distribution = "ontomed-remote-formulary"

        def version(self):
            return "1"

        def read(self, entities):
            result = SourceResult(self.id)
            result.records += [Record(f"{self.id}:d{i}", self.id, DRUG, ("Drug",), f"zorblamab {i}")
                               for i in range(150)]
            result.records.append(Record(f"{self.id}:fever", self.id, CONDITION, ("Disease",), "zorblax fever"))
            result.facts += [CuratedFact(f"{self.id}:d{i}", "treats", f"{self.id}:fever", Evidence(
                document="https://formulary.example.org", extractor="curated:test", source_record=str(i)))
                for i in range(150)]
            return result

    class Plugin:
        @hookimpl
        def register_vocabularies(self, register):
            register(Formulary())

    monkeypatch.setattr(remote, "BATCH", 500)
    with registered(Plugin()):
        plugins.get_plugin_manager().unregister(name="ontomed.default_plugins.vocabularies")
        kb, local = KnowledgeBase(writable), KnowledgeBase()
        report = import_vocabulary(kb, directory=tmp_path / "builds")
        import_vocabulary(local, directory=tmp_path / "builds")
        assert kb.backend.batches["sent"] >= 3 and _same_graph(kb, local)
        assert len(kb.entity("zorblax fever").incoming) == 150
        again = import_vocabulary(KnowledgeBase(writable), directory=tmp_path / "builds")
    assert report.quads_added > 1_500 and again.already_imported and again.quads_added == 0


@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_ontomed_serve_fronts_a_knowledge_base_on_a_server(writable):
    from tests.live_server import TOKEN, http

    with KnowledgeBase(writable) as kb:
        _write_the_same(kb)
    with live_server(writable, "--update-token", TOKEN) as server:
        query = "SELECT ?d WHERE { ome:metformin om:treats ?d }"
        reply = http("GET", server.sparql + "?query=" + urllib.request.quote(query),
                     headers={"Accept": "text/csv"})
        assert reply.status == 200 and "type_2_diabetes_mellitus" in reply.text
        page = http("GET", server.url + "entity/zorblamab", headers={"Accept": "text/html"})
        assert page.status == 200 and "Zorblamab treats asthma." in page.text
        bad = http("GET", server.sparql + "?query=SELEC", headers={"Accept": "text/csv"})
        assert bad.status == 400 and "\n" not in bad.text.strip()
        body = b"update=INSERT+DATA+%7B+ome%3Azorblamab+om%3Atreats+ome%3Acough+%7D"
        update = http("POST", server.sparql, body,
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "Authorization": f"Bearer {TOKEN}"})
        assert update.status in (200, 204), update.text
        health = json.loads(http("GET", server.url + "-/health").text)
        assert health["engine"]["store"] == writable
    assert KnowledgeBase(writable).has_fact("zorblamab", "treats", "cough")



@requires(OXIGRAPH is not None, "the oxigraph server (PyPI oxigraph, the test extra) is not installed")
def test_a_layout_no_preset_knows_is_named_endpoint_by_endpoint(writable, monkeypatch):
    monkeypatch.delenv("ONTOMED_KB_UPDATE_URL", raising=False)
    monkeypatch.delenv("ONTOMED_KB_STORE_URL", raising=False)
    query = writable + "/query"
    assert KnowledgeBase(query).read_only  # a query endpoint alone: read-only
    runner = CliRunner()
    named = ["--update-url", writable + "/update", "--store-url", writable + "/store"]
    for args in (["init", "--kb", query], ["load", "--kb", query, str(EXAMPLE_TTL)]):
        result = runner.invoke(cli, [*named, *args])
        assert result.exit_code == 0, result.output
    assert KnowledgeBase(writable).has_fact("metformin", "treats", "type_2_diabetes_mellitus")
    result = runner.invoke(cli, ["--update-url", "ftp://elsewhere", "stats", "--kb", query])
    assert result.exit_code == 2 and "not a SPARQL server URL: 'ftp://elsewhere'" in result.output
    assert "ONTOMED_KB_UPDATE_URL" not in os.environ  # the command's setting ended with it
