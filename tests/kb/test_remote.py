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
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from ontomed import KnowledgeBase
from ontomed.cli import cli
from ontomed.errors import BadInputError, QuerySyntaxError, StoreError
from ontomed.kb.remote import Endpoints, RemoteBackend, RemoteTriples

from tests.conftest import add_treatment_facts, make_example_kb
from tests.live_server import live_server
from tests.needs import requires

#: the server beside this interpreter (a virtual environment's bin/ need not be on PATH), else on PATH
OXIGRAPH = shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                          os.environ.get("PATH", "")]))


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
    assert isinstance(constructed, RemoteTriples) and len(constructed) > 5


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
    kb = KnowledgeBase(url)
    with pytest.raises(StoreError, match="is a SPARQL server, opened read-only"):
        kb.add_entity("zorblamab", "Drug", "zorblamab")
    with pytest.raises(StoreError, match="opened read-only"):
        kb.backend.update("INSERT DATA { ome:a ome:b ome:c }")
    with pytest.raises(QuerySyntaxError, match=r"refused the request: .*line 2"):
        kb.query("SELECT ?s\nWHERE { ?s ?p }")
    with pytest.raises(StoreError, match="cannot be asked for a blank node"):
        list(kb.backend.quads_for_pattern(ox.BlankNode("x"), None, None))
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([OXIGRAPH, "serve-read-only", "--location", str(base / "db"),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"oxigraph serve did not start: {proc.stderr.read()!r}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


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
